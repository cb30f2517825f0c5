"""Models built on the :mod:`pgm` core and the :mod:`pgm.inference` engine.

* :mod:`pgm.models.ising`: binary image denoising with an Ising MRF (PRML 8.3.3).
* :mod:`pgm.models.images`: binary image I/O, noise and test images.
* :mod:`pgm.models.rbm`: binary restricted Boltzmann machines (CD-k / PCD, estimator);
  :mod:`pgm.models.rbm_likelihood`: exact and AIS log Z; :mod:`pgm.models.tiles`.
* :mod:`pgm.models.autoencoder`, :mod:`pgm.models.classifier`, :mod:`pgm.models.convnet`:
  (denoising) autoencoders, the pretrainable one-hidden-layer classifier, the Problem 1
  CNN.
* :mod:`pgm.models.studies`: applications with a report (``pgm demo``, the
  digit-modelling study of ``pgm experiments``); :mod:`pgm.models.testing`:
  Hypothesis strategies (``rbms``).
"""

from pgm.models.ising import METHODS, DenoiseResult, IsingDenoiser

__all__: list[str] = []
__all__ += ["IsingDenoiser", "DenoiseResult", "METHODS"]

# RBM names load on first use: pgm.models.rbm imports scikit-learn (about a second)
_RBM_NAMES = {"RBM": "rbm", "BernoulliRBM": "rbm",
              "exact_log_partition": "rbm_likelihood", "ais_log_partition": "rbm_likelihood",
              "average_log_likelihood": "rbm_likelihood",
              "Autoencoder": "autoencoder", "DenoisingAutoencoder": "autoencoder",
              "PretrainableClassifier": "classifier", "ConvNet": "convnet",
              "run_digits_study": "studies.digits"}
__all__ += list(_RBM_NAMES)


def __getattr__(name):
    module = _RBM_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'pgm.models' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"pgm.models.{module}"), name)
    globals()[name] = value
    return value
