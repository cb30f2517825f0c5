"""Data sets: where they live, the MNIST reader, verified downloads, the digit split.

* :mod:`pgm.datasets.paths`: the data root, ``$PGM_DATA_DIR`` (else ``../shared/data``):
  :func:`data_dir`, :func:`data_path`.
* :mod:`pgm.datasets.mnist`: the IDX reader :func:`read_idx` and :func:`load_mnist`.
* :mod:`pgm.datasets.download`: :func:`download_file` (sha256-verified, atomic) and
  :func:`ensure_mnist`.
* :mod:`pgm.datasets.digits`: the digit study's fixed split (:func:`digits_split`,
  :class:`DigitSplit`) and the toolkit's one :func:`binarize` (strictly above the
  threshold is ``1``).

Nothing is copied into the project; the example networks shipped with the package
are in :mod:`pgm.examples`.

Examples
--------
>>> from pgm.datasets import binarize
>>> binarize([[0.2, 0.5, 0.9]]).tolist()
[[0.0, 0.0, 1.0]]
"""

from pgm.datasets.digits import PER_CLASS, SPLIT_SEED, DigitSplit, binarize, digits_split
from pgm.datasets.download import (
    MNIST_SHA256,
    MNIST_URLS,
    ChecksumError,
    DownloadError,
    download_file,
    ensure_mnist,
    sha256_of,
)
from pgm.datasets.mnist import MNIST_FILES, load_mnist, read_idx
from pgm.datasets.paths import data_dir, data_path

__all__ = [
    "data_dir",
    "data_path",
    "MNIST_FILES",
    "load_mnist",
    "read_idx",
    "ChecksumError",
    "DownloadError",
    "MNIST_SHA256",
    "MNIST_URLS",
    "download_file",
    "ensure_mnist",
    "sha256_of",
    "DigitSplit",
    "digits_split",
    "binarize",
    "SPLIT_SEED",
    "PER_CLASS",
]
