"""Binary image helpers of the Ising denoiser: I/O, binarization, noise, test images."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgm.exceptions import ModelLoadError, PGMError
from pgm.models.images import (
    ImageError,
    ImageLoadError,
    add_flip_noise,
    as_spins,
    binarize,
    builtin_image,
    mnist_digits,
    mnist_mosaic,
    pixel_accuracy,
    read_image,
    save_panels,
    shapes_image,
    spins_to_uint8,
    write_image,
)


def test_exception_hierarchy():
    assert issubclass(ImageError, PGMError) and issubclass(ImageError, ValueError)
    assert issubclass(ImageLoadError, ModelLoadError) and issubclass(ImageLoadError, ImageError)


@pytest.mark.parametrize("suffix", [".png", ".bmp", ".tif", ".gif"])
def test_write_read_round_trip(tmp_path, suffix):
    x = shapes_image(64)
    path = write_image(tmp_path / f"x{suffix}", x)
    assert path.exists() and not list(tmp_path.glob(".*.tmp"))
    grey = read_image(path)
    assert grey.shape == (64, 64) and grey.dtype == np.float64
    assert (binarize(grey) == x).all()


def test_read_colour_and_16_bit(tmp_path):
    from PIL import Image

    rgb = np.zeros((4, 5, 3), dtype=np.uint8)
    rgb[1:3, 1:4] = 255
    Image.fromarray(rgb).save(tmp_path / "c.png")
    assert binarize(read_image(tmp_path / "c.png")).sum() == 6 - 14
    g16 = (np.arange(6, dtype=np.uint16).reshape(2, 3) * 13000)
    Image.fromarray(g16).save(tmp_path / "g.png")
    grey = read_image(tmp_path / "g.png")
    assert grey.max() <= 1.0 and grey[1, 2] == pytest.approx(65000 / 65535)


def test_read_errors(tmp_path):
    with pytest.raises(ImageLoadError, match="not found"):
        read_image(tmp_path / "missing.png")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG but not really")
    with pytest.raises(ImageLoadError, match="cannot read image"):
        read_image(bad)


def test_write_errors(tmp_path):
    with pytest.raises(ImageError, match="suffix"):
        write_image(tmp_path / "x.unknown", np.ones((2, 2), dtype=np.int8))
    with pytest.raises(ImageError, match="2-D"):
        write_image(tmp_path / "x.png", np.ones((2, 2, 2), dtype=np.int8))
    with pytest.raises(ImageError, match=r"\[0, 1\]"):
        write_image(tmp_path / "x.png", np.full((2, 2), 1.5))


def test_spins_to_uint8():
    assert spins_to_uint8(np.array([[-1, 1]], dtype=np.int8)).tolist() == [[0, 255]]
    assert spins_to_uint8(np.array([[False, True]])).tolist() == [[0, 255]]
    assert spins_to_uint8(np.array([[0.0, 0.5, 1.0]])).tolist() == [[0, 128, 255]]
    with pytest.raises(ImageError):
        spins_to_uint8(np.array([[-3, 400]]))


def test_binarize():
    assert binarize(np.array([[0.2, 0.8]])).tolist() == [[-1, 1]]
    assert binarize(np.array([[0.2, 0.8]]), threshold=0.1).tolist() == [[1, 1]]
    assert binarize(np.array([[0, 200]], dtype=np.uint8)).tolist() == [[-1, 1]]
    assert binarize(np.array([[True, False]])).tolist() == [[1, -1]]
    spins = np.array([[1, -1]], dtype=np.int8)
    assert (binarize(spins) == spins).all()
    with pytest.raises(ImageError, match="2-D"):
        binarize(np.zeros((2, 2, 3)))
    with pytest.raises(ImageError, match="threshold"):
        binarize(np.zeros((2, 2)), threshold=2.0)
    with pytest.raises(ImageError, match=r"\[0, 1\]"):
        binarize(np.array([[0.5, 7.0]]))
    with pytest.raises(ImageError, match="NaN"):
        binarize(np.array([[0.5, np.nan]]))


def test_as_spins_and_accuracy():
    assert as_spins([[True, False]]).dtype == np.int8
    with pytest.raises(ImageError, match="-1/\\+1"):
        as_spins([[0, 1]])
    with pytest.raises(ImageError, match="empty"):
        as_spins(np.zeros((0, 3)))
    assert pixel_accuracy([[1, -1]], [[1, 1]]) == 0.5
    with pytest.raises(ImageError, match="shape"):
        pixel_accuracy([[1, -1]], [[1], [1]])


@given(rate=st.floats(0.0, 1.0), seed=st.integers(0, 2**32 - 1))
def test_flip_noise_rate_and_reproducibility(rate, seed):
    x = np.ones((60, 60), dtype=np.int8)
    y = add_flip_noise(x, rate, seed=seed)
    assert y.dtype == np.int8 and set(np.unique(y).tolist()) <= {-1, 1}
    assert (y == add_flip_noise(x, rate, seed=seed)).all()
    flipped = float((y != x).mean())
    # binomial: 3600 pixels, 6 standard deviations
    assert abs(flipped - rate) <= 6 * np.sqrt(rate * (1 - rate) / x.size) + 1e-12


def test_flip_noise_errors():
    x = np.ones((4, 4), dtype=np.int8)
    for bad in (-0.1, 1.5, float("nan"), "lots"):
        with pytest.raises(ImageError, match="noise rate"):
            add_flip_noise(x, bad, seed=0)
    with pytest.raises(ImageError, match="2-D"):
        add_flip_noise(np.ones(4, dtype=np.int8), 0.1)
    assert (add_flip_noise(x, 1.0, seed=0) == -x).all()
    assert (add_flip_noise(x, 0.0, seed=0) == x).all()


def test_shapes_image():
    x = shapes_image()
    assert x.shape == (256, 256) and x.dtype == np.int8
    assert 0.3 < (x == 1).mean() < 0.4
    # smooth shapes: few boundary pairs per pixel
    boundary = ((x[:, 1:] != x[:, :-1]).sum() + (x[1:] != x[:-1]).sum()) / x.size
    assert boundary < 0.035
    small = shapes_image(64)
    assert small.shape == (64, 64)
    with pytest.raises(ImageError, match="size"):
        shapes_image(8)
    assert (builtin_image("shapes", size=64) == small).all()
    with pytest.raises(ImageError, match="unknown built-in"):
        builtin_image("lena")


def test_mnist_images():
    try:
        digits, labels = mnist_digits(3)
    except ModelLoadError as exc:
        pytest.skip(f"MNIST not available: {exc}")
    assert digits.shape == (3, 28, 28) and digits.dtype == np.int8
    assert labels.tolist() == [7, 2, 1]
    assert 0.05 < (digits == 1).mean() < 0.4
    assert mnist_mosaic(2, 3).shape == (56, 84)
    assert (builtin_image("mnist:1") == digits[1]).all()
    assert builtin_image("mnist").shape == (112, 112)
    with pytest.raises(ImageError, match="MNIST index"):
        builtin_image("mnist:x")


def test_save_panels(tmp_path):
    x = shapes_image(32)
    p = save_panels(tmp_path / "f.png", [("a", x), ("p", np.full((32, 32), 0.3))])
    assert p.exists() and read_image(p).shape[1] > 32
    with pytest.raises(ImageError, match="no panels"):
        save_panels(tmp_path / "g.png", [])
