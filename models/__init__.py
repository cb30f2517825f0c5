"""Models built on the :mod:`pgm` core and the :mod:`pgm.inference` engine.

Nothing is here yet: the RBM and the Ising denoiser arrive with their issues.
"""

__all__: list[str] = []
