"""Models built on the :mod:`pgm` core and the :mod:`pgm.inference` engine.

* :mod:`pgm.models.ising`: binary image denoising with an Ising MRF (PRML 8.3.3).
* :mod:`pgm.models.images`: binary image I/O, noise and test images.
"""

from pgm.models.ising import METHODS, DenoiseResult, IsingDenoiser

__all__: list[str] = []
__all__ += ["IsingDenoiser", "DenoiseResult", "METHODS"]
