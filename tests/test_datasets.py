"""The MNIST IDX reader (pgm.datasets)."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from pgm.datasets import MNIST_FILES, load_mnist, read_idx
from pgm.exceptions import ModelLoadError, PGMError


def _write_idx(path, magic: int, dims, data: bytes, *, compress: bool = True):
    raw = struct.pack(">I", magic) + struct.pack(f">{len(dims)}I", *dims) + data
    if compress:
        with gzip.open(path, "wb") as fh:
            fh.write(raw)
    else:
        path.write_bytes(raw)


def _fake_mnist(folder, n=3, *, kind="test", img_magic=2051, lab_magic=2049, side=28,
                n_labels=None, truncate=0):
    img_name, lab_name = MNIST_FILES[kind]
    pixels = (np.arange(n * side * side) % 256).astype(np.uint8).tobytes()
    _write_idx(folder / img_name, img_magic, (n, side, side), pixels[: len(pixels) - truncate])
    m = n if n_labels is None else n_labels
    _write_idx(folder / lab_name, lab_magic, (m,), bytes(i % 10 for i in range(m)))


def test_read_idx_plain_and_gzip(tmp_path):
    data = np.arange(12, dtype=np.uint8)
    _write_idx(tmp_path / "a-idx2-ubyte", 0x0802, (3, 4), data.tobytes(), compress=False)
    _write_idx(tmp_path / "a-idx2-ubyte.gz", 0x0802, (3, 4), data.tobytes())
    for name in ("a-idx2-ubyte", "a-idx2-ubyte.gz"):
        arr = read_idx(tmp_path / name)
        assert arr.shape == (3, 4) and (arr.ravel() == data).all()
    assert read_idx(tmp_path / "a-idx2-ubyte.gz", limit=2).shape == (2, 4)
    # big-endian int32 payload
    _write_idx(tmp_path / "i.gz", 0x0C01, (2,), struct.pack(">ii", -5, 70000))
    assert read_idx(tmp_path / "i.gz").tolist() == [-5, 70000]


def test_load_fake_mnist(tmp_path):
    _fake_mnist(tmp_path, 4)
    images, labels = load_mnist("test", tmp_path)
    assert images.shape == (4, 28, 28) and images.dtype == np.uint8
    assert labels.tolist() == [0, 1, 2, 3]
    images, labels = load_mnist("test", tmp_path, limit=2)
    assert images.shape == (2, 28, 28) and labels.shape == (2,)


@pytest.mark.parametrize("kwargs, message", [
    ({"img_magic": 2049}, "bad magic number 2049, expected 2051"),
    ({"lab_magic": 2051}, "bad magic number 2051, expected 2049"),
    ({"side": 27}, "28x28"),
    ({"n_labels": 5}, "3 images but"),
    ({"truncate": 100}, "truncated"),
])
def test_bad_mnist_files(tmp_path, kwargs, message):
    _fake_mnist(tmp_path, 3, **kwargs)
    with pytest.raises(ModelLoadError, match=message):
        load_mnist("test", tmp_path)


def test_missing_and_corrupt(tmp_path):
    with pytest.raises(ModelLoadError, match="not found"):
        load_mnist("train", tmp_path)
    img_name, lab_name = MNIST_FILES["test"]
    (tmp_path / img_name).write_bytes(b"not gzip at all")
    (tmp_path / lab_name).write_bytes(b"")
    with pytest.raises(ModelLoadError, match="cannot read"):
        load_mnist("test", tmp_path)
    with pytest.raises(PGMError, match="kind"):
        load_mnist("validation", tmp_path)


def test_missing_data_root_names_pgm_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PGM_DATA_DIR", str(tmp_path))
    with pytest.raises(ModelLoadError, match="PGM_DATA_DIR"):
        load_mnist("test")


def test_real_mnist():
    try:
        images, labels = load_mnist("test", limit=5)
    except ModelLoadError as exc:
        pytest.skip(f"MNIST not available: {exc}")
    assert images.shape == (5, 28, 28) and images.dtype == np.uint8
    assert labels.tolist() == [7, 2, 1, 0, 4]
    assert images.max() == 255 and images.min() == 0
