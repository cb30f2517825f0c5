"""Readers for the shared data sets (MNIST in IDX format).

The files live under the data root of :mod:`pgm.datasets.paths` (``$PGM_DATA_DIR``, else
``../shared/data``); nothing is downloaded or copied into the project.

MNIST is stored as the four standard gzip-compressed IDX files
(``train-images-idx3-ubyte.gz`` and friends).  An IDX file starts with a 4-byte
big-endian magic number ``0x0000TTDD`` (``TT``: element type, ``0x08`` for
unsigned bytes; ``DD``: number of dimensions), then one big-endian ``uint32`` per
dimension, then the data in C order.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
from pathlib import Path

import numpy as np

from pgm._config import check_allocation
from pgm.datasets.paths import check_path
from pgm.exceptions import ModelLoadError, ParameterError
from pgm.validation import check_nonnegative_int

__all__ = ["MNIST_FILES", "load_mnist", "read_idx"]

#: ``{kind: (images file, labels file)}``
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

#: IDX element type code -> numpy dtype (big-endian)
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _open(path: Path):
    return gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")


def read_idx(path: str | os.PathLike, *, expected_ndim: int | None = None,
             limit: int | None = None) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed, by the ``.gz`` suffix).

    Parameters
    ----------
    path : path-like
        The file.
    expected_ndim : int, optional
        Number of dimensions the header must announce (3 for images, 1 for labels).
    limit : int, optional
        Read only the first ``limit`` items along the first axis.

    Returns
    -------
    ndarray
        The data in native byte order (``uint8`` for MNIST).

    Raises
    ------
    ModelLoadError
        Missing or unreadable file, a bad magic number, an unknown element type, or
        fewer data bytes than the header announces.
    MemoryBudgetError
        The header announces more data than the memory budget allows.

    Examples
    --------
    >>> import gzip, struct, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x-idx1-ubyte.gz")
    >>> with gzip.open(p, "wb") as f:
    ...     _ = f.write(struct.pack(">IIBBB", 0x0801, 3, 7, 8, 9))
    >>> read_idx(p).tolist()
    [7, 8, 9]
    """
    path = check_path("path", path)
    if expected_ndim is not None:
        expected_ndim = check_nonnegative_int("expected_ndim", expected_ndim)
    if limit is not None:
        limit = check_nonnegative_int("limit", limit)
    if not path.exists():
        raise ModelLoadError(f"IDX file {path} not found")
    try:
        with _open(path) as fh:
            head = fh.read(4)
            if len(head) < 4:
                raise ModelLoadError(f"{path}: too short for an IDX header ({len(head)} bytes)")
            zero, dtype_code, ndim = struct.unpack(">HBB", head)
            if zero != 0 or dtype_code not in _IDX_TYPES or ndim == 0:
                raise ModelLoadError(
                    f"{path}: bad IDX magic number 0x{int.from_bytes(head, 'big'):08x} "
                    "(expected 0x0000TTDD with a known type TT, e.g. 0x00000803 for MNIST images)"
                )
            if expected_ndim is not None and ndim != expected_ndim:
                raise ModelLoadError(
                    f"{path}: IDX magic number 0x{int.from_bytes(head, 'big'):08x} announces "
                    f"{ndim} dimensions, expected {expected_ndim}"
                )
            dims_raw = fh.read(4 * ndim)
            if len(dims_raw) < 4 * ndim:
                raise ModelLoadError(f"{path}: truncated IDX header")
            dims = list(struct.unpack(f">{ndim}I", dims_raw))
            if limit is not None:
                dims[0] = min(dims[0], limit)
            dtype = np.dtype(_IDX_TYPES[dtype_code])
            need = math.prod(dims) * dtype.itemsize
            check_allocation(need, f"{path}: IDX data of shape {tuple(dims)}")
            chunks, got = [], 0
            while got < need:  # in blocks: a damaged header announcing 2**64 bytes reads no more
                block = fh.read(min(need - got, 1 << 24))  # than the file holds
                if not block:
                    break
                chunks.append(block)
                got += len(block)
            data = b"".join(chunks)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ModelLoadError(f"cannot read IDX file {path}: {exc}") from None
    if len(data) != need:
        raise ModelLoadError(
            f"{path}: the header announces shape {tuple(dims)} ({need} bytes of data) but the "
            f"file holds only {len(data)} bytes; the file is truncated or corrupt"
        )
    return np.frombuffer(data, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


def load_mnist(kind: str = "train", data_dir: str | os.PathLike | None = None, *,
               limit: int | None = None, download: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Load MNIST images and labels from the gzip IDX files.

    Parameters
    ----------
    kind : {"train", "test"}
        The 60,000 training or the 10,000 test images.
    data_dir : path-like, optional
        Folder holding the four ``*-ubyte.gz`` files; default ``data_path("mnist")``
        (``$PGM_DATA_DIR/mnist``).
    limit : int, optional
        Read only the first ``limit`` images (faster for tests and demos).
    download : bool, default False
        When files are missing, fetch them from the canonical mirrors and verify their
        checksums first (:func:`pgm.datasets.download.ensure_mnist`).

    Returns
    -------
    images : ndarray of uint8, shape (n, 28, 28)
        Grey levels 0 (background) to 255 (ink).
    labels : ndarray of uint8, shape (n,)
        Digits 0-9.

    Raises
    ------
    ModelLoadError
        Missing files (the message names the path and ``PGM_DATA_DIR``), a bad magic
        number (2051 for images, 2049 for labels), a wrong image size, truncated
        data, or images and labels of different counts.
    ParameterError
        An unknown ``kind``, a ``data_dir`` that is not a path, a negative ``limit``.

    Examples
    --------
    >>> images, labels = load_mnist("test", limit=5)   # doctest: +SKIP
    >>> images.shape, images.dtype, labels.tolist()    # doctest: +SKIP
    ((5, 28, 28), dtype('uint8'), [7, 2, 1, 0, 4])
    """
    if not isinstance(kind, str) or kind not in MNIST_FILES:
        raise ParameterError(f"kind must be 'train' or 'test', got {kind!r}")
    if data_dir is not None:
        data_dir = check_path("data_dir", data_dir)
    if limit is not None:
        limit = check_nonnegative_int("limit", limit)
    if not isinstance(download, (bool, np.bool_)):
        raise ParameterError(f"download must be True or False, got {download!r}")
    img_name, lab_name = MNIST_FILES[kind]
    if download:
        from pgm.datasets.download import ensure_mnist
        from pgm.datasets.paths import data_dir as root

        folder = Path(data_dir) if data_dir is not None else root() / "mnist"
        if not ((folder / img_name).exists() and (folder / lab_name).exists()):
            ensure_mnist(folder, verify_existing=False)
        data_dir = folder
    if data_dir is None:
        from pgm.datasets.paths import data_path

        img_path, lab_path = data_path("mnist", img_name), data_path("mnist", lab_name)
    else:
        img_path, lab_path = Path(data_dir) / img_name, Path(data_dir) / lab_name
    images = _read_magic(img_path, 2051, 3, limit)
    labels = _read_magic(lab_path, 2049, 1, limit)
    if images.shape[1:] != (28, 28):
        raise ModelLoadError(f"{img_path}: MNIST images must be 28x28, got {images.shape[1:]}")
    if images.shape[0] != labels.shape[0]:
        raise ModelLoadError(
            f"{img_path} holds {images.shape[0]} images but {lab_path} holds "
            f"{labels.shape[0]} labels"
        )
    if labels.size and int(labels.max()) > 9:
        raise ModelLoadError(f"{lab_path}: label {int(labels.max())} is not a digit 0-9")
    return images, labels


def _read_magic(path: Path, magic: int, ndim: int, limit: int | None) -> np.ndarray:
    if not path.exists():
        raise ModelLoadError(
            f"MNIST file {path} not found; set PGM_DATA_DIR to the folder holding mnist/"
        )
    try:
        with _open(path) as fh:
            head = fh.read(4)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ModelLoadError(f"cannot read MNIST file {path}: {exc}") from None
    found = int.from_bytes(head, "big") if len(head) == 4 else None
    if found != magic:
        shown = "none (file too short)" if found is None else f"{found}"
        raise ModelLoadError(
            f"{path}: bad magic number {shown}, expected {magic} "
            f"({'images' if magic == 2051 else 'labels'}); is this the right MNIST file?"
        )
    return read_idx(path, expected_ndim=ndim, limit=limit)
