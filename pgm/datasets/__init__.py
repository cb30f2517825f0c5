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

from pgm.datasets import digits, download, mnist, paths
from pgm.datasets.digits import *  # noqa: F403
from pgm.datasets.download import *  # noqa: F403
from pgm.datasets.mnist import *  # noqa: F403
from pgm.datasets.paths import *  # noqa: F403

__all__ = [*paths.__all__, *mnist.__all__, *download.__all__, *digits.__all__]
