"""Binary images for the Ising denoiser: read, write, binarize, add noise, test images.

Convention: a binary image is an ``int8`` array of *spins* in ``{-1, +1}`` of shape
``(H, W)``; ``+1`` is bright (white, MNIST ink) and ``-1`` dark.  Grey images are
float arrays in ``[0, 1]``.

* :func:`read_image` / :func:`write_image`: PNG and the other formats Pillow knows
  (files written atomically: a temporary file, then :func:`os.replace`).
* :func:`binarize`: grey (or uint8, or bool) -> spins with a threshold.
* :func:`add_flip_noise`: flip each pixel independently with a given probability.
* :func:`shapes_image`: the built-in test picture (a disc, a ring, a rounded
  rectangle and a thick letter), drawn procedurally.
* :func:`mnist_digits` / :func:`mnist_mosaic`: binarized MNIST digits.
* :func:`builtin_image`: either of them by name (``"shapes"``, ``"mnist"``, ``"mnist:K"``).
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pgm.exceptions import ModelLoadError, PGMError

__all__ = [
    "ImageError",
    "ImageLoadError",
    "BUILTIN_IMAGES",
    "add_flip_noise",
    "as_spins",
    "binarize",
    "builtin_image",
    "mnist_digits",
    "mnist_mosaic",
    "pixel_accuracy",
    "read_image",
    "save_panels",
    "shapes_image",
    "spins_to_uint8",
    "write_image",
]

#: names accepted by :func:`builtin_image` (``"mnist:K"`` picks test digit ``K``)
BUILTIN_IMAGES = ("shapes", "mnist")

#: peak bytes a pixel of :func:`read_image` (Pillow's decoded image, up to 4 bytes a pixel,
#: its ``"L"`` conversion, and the float64 grey levels with one temporary) and of
#: :func:`shapes_image` (float64 coordinate grids and masks; measured 73 bytes a pixel)
READ_BYTES_PER_PIXEL = 24
SHAPES_BYTES_PER_PIXEL = 80


class ImageError(PGMError, ValueError):
    """An image array or image parameter is unusable (not 2-D, not binary, bad noise rate...)."""


class ImageLoadError(ModelLoadError, ImageError):
    """An image file could not be read (missing, not an image, or not 2-D after conversion)."""


# ------------------------------------------------------------------ file I/O
def read_image(path: str | os.PathLike, *, memory_budget: int | None = None) -> np.ndarray:
    """Read an image file as grey levels in ``[0, 1]`` (float64, shape ``(H, W)``).

    Colour images are converted to luminance (ITU-R 601-2, as Pillow's ``"L"``
    mode); an alpha channel is dropped.  16-bit greyscale keeps its precision.
    The size in the file's header is checked against the memory budget
    (:data:`READ_BYTES_PER_PIXEL` bytes a pixel; ``memory_budget`` bytes, default
    ``$PGM_MEMORY_BUDGET`` or 4 GiB) before anything is decoded.

    Raises
    ------
    ImageLoadError
        Missing file, a folder, a file Pillow cannot decode, or a header whose size
        trips Pillow's decompression-bomb limit (``PIL.Image.MAX_IMAGE_PIXELS``).
    MemoryBudgetError
        The decoded image would exceed the memory budget.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.png")
    >>> _ = write_image(p, np.array([[1, -1], [-1, 1]], dtype=np.int8))
    >>> read_image(p).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    import warnings

    from PIL import Image, UnidentifiedImageError

    from pgm._config import check_allocation

    path = Path(path)
    if not path.exists():
        raise ImageLoadError(f"image file {path} not found")
    if path.is_dir():
        raise ImageLoadError(f"image file {path} is a folder")
    bomb = (Image.DecompressionBombError, Image.DecompressionBombWarning)
    with warnings.catch_warnings():
        # a header over Pillow's pixel limit warns, twice the limit raises: both refuse
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as im:
                w, h = im.size
                check_allocation(w * h * READ_BYTES_PER_PIXEL,
                                 f"decoding the {w}x{h} image {path}", memory_budget=memory_budget)
                im.load()
                if im.mode in ("I;16", "I;16B", "I;16L", "I"):
                    arr = np.asarray(im, dtype=np.float64)
                    top = 65535.0 if im.mode.startswith("I;16") else max(float(arr.max()), 1.0)
                    grey = arr / top
                else:
                    grey = np.asarray(im.convert("L"), dtype=np.float64) / 255.0
        except bomb as exc:
            raise ImageLoadError(f"cannot read image {path}: {exc}") from None
        except (UnidentifiedImageError, OSError, ValueError, EOFError, SyntaxError) as exc:
            raise ImageLoadError(f"cannot read image {path}: {exc}") from None
    if grey.ndim != 2 or grey.size == 0:
        raise ImageLoadError(f"image {path} is not a non-empty 2-D image (shape {grey.shape})")
    return grey


def spins_to_uint8(image: np.ndarray) -> np.ndarray:
    """Grey levels 0-255 of an image: spins ``-1/+1`` -> 0/255, bool -> 0/255,
    floats in ``[0, 1]`` -> scaled, uint8 unchanged.

    Examples
    --------
    >>> spins_to_uint8(np.array([[-1, 1]], dtype=np.int8)).tolist()
    [[0, 255]]
    """
    a = _as_2d(image, "image")
    if a.dtype == np.uint8:
        return a.copy()
    if a.dtype == bool:
        return np.where(a, 255, 0).astype(np.uint8)
    if a.dtype.kind in "iu":
        vals = np.unique(a)
        if np.isin(vals, (-1, 1)).all():
            return np.where(a > 0, 255, 0).astype(np.uint8)
        if np.isin(vals, (0, 1)).all():
            return np.where(a > 0, 255, 0).astype(np.uint8)
        if vals.min() >= 0 and vals.max() <= 255:
            return a.astype(np.uint8)
        raise ImageError(f"integer image values {vals.min()}..{vals.max()} are neither spins "
                         "-1/+1, 0/1 nor grey levels 0..255")
    if a.dtype.kind == "f":
        if not np.isfinite(a).all() or a.min() < 0 or a.max() > 1:
            raise ImageError("float images must hold finite grey levels in [0, 1]")
        return np.round(a * 255.0).astype(np.uint8)
    raise ImageError(f"cannot write an image of dtype {a.dtype}")


def write_image(path: str | os.PathLike, image: np.ndarray, *, format: str | None = None) -> Path:
    """Write a 2-D image (spins, bool, uint8 or float in ``[0, 1]``) as greyscale.

    The format comes from the suffix (``.png``, ``.bmp``, ``.tif``, ``.jpg``, ...)
    unless ``format`` is given.  The file is written atomically.

    Raises
    ------
    ImageError
        Not a 2-D image, values out of range, or an unknown format.

    Examples
    --------
    >>> import tempfile, os
    >>> p = write_image(os.path.join(tempfile.mkdtemp(), "x.png"), shapes_image(64))
    >>> p.suffix
    '.png'
    """
    from PIL import Image

    path = Path(path)
    pixels = spins_to_uint8(image)
    buf = io.BytesIO()
    fmt = format
    if fmt is None:
        ext = path.suffix.lower()
        fmt = Image.registered_extensions().get(ext)
        if fmt is None:
            raise ImageError(f"cannot tell the image format of {path} from its suffix {ext!r}; "
                             "use .png, .bmp, .tif, .jpg, ...")
    try:
        Image.fromarray(pixels, mode="L").save(buf, format=fmt)
    except (KeyError, ValueError, OSError) as exc:
        raise ImageError(f"cannot write {path} as {fmt}: {exc}") from None
    return _atomic_write(path, buf.getvalue())


from pgm.files import atomic_write_bytes as _atomic_write  # noqa: E402


# ---------------------------------------------------------- binary images
def _as_2d(image, what: str) -> np.ndarray:
    a = np.asarray(image)
    if a.ndim != 2:
        raise ImageError(f"{what} must be a 2-D array, got shape {a.shape}")
    if a.size == 0:
        raise ImageError(f"{what} is empty (shape {a.shape})")
    return a


def as_spins(image, what: str = "image") -> np.ndarray:
    """Validate a binary image and return it as ``int8`` spins in ``{-1, +1}``.

    Accepts spins (any integer or float dtype holding only -1 and +1) or booleans
    (True -> +1).  Anything else raises :class:`ImageError` (use :func:`binarize`
    for grey images).

    Examples
    --------
    >>> as_spins([[True, False]]).tolist()
    [[1, -1]]
    """
    a = _as_2d(image, what)
    if a.dtype == bool:
        return np.where(a, 1, -1).astype(np.int8)
    if a.dtype.kind not in "iuf":
        raise ImageError(f"{what} must hold spins -1/+1, got dtype {a.dtype}")
    ok = (a == 1) | (a == -1)
    if not ok.all():
        bad = tuple(int(i) for i in np.argwhere(~ok)[0])
        raise ImageError(f"{what} must hold spins -1/+1 only; found {a[bad]!r} at pixel {bad} "
                         "(use binarize() for grey images)")
    return a.astype(np.int8)


def binarize(image, threshold: float = 0.5) -> np.ndarray:
    """Grey image -> spins: ``+1`` where the grey level exceeds ``threshold`` (strictly,
    as :func:`pgm.datasets.binarize`), else ``-1``.

    ``image`` may be float grey levels in ``[0, 1]``, ``uint8`` (scaled by 1/255),
    bool, or spins (returned as they are).  ``threshold`` is on the ``[0, 1]`` scale.

    Raises
    ------
    ImageError
        Not 2-D, or a threshold outside ``[0, 1]``.

    Examples
    --------
    >>> binarize(np.array([[0, 200], [90, 255]], dtype=np.uint8)).tolist()
    [[-1, 1], [-1, 1]]
    """
    a = _as_2d(image, "image")
    if not (isinstance(threshold, (int, float, np.floating, np.integer))
            and 0.0 <= float(threshold) <= 1.0):
        raise ImageError(f"threshold must be a number in [0, 1], got {threshold!r}")
    if a.dtype == bool:
        return np.where(a, 1, -1).astype(np.int8)
    if a.dtype.kind in "iu" and np.isin(a, (-1, 1)).all() and (a == -1).any():
        return a.astype(np.int8)
    if a.dtype.kind in "iu":
        if a.min() < 0 or a.max() > 255:
            raise ImageError(f"integer grey levels must lie in 0..255, got {a.min()}..{a.max()}")
        grey = a.astype(np.float64) / (255.0 if a.dtype == np.uint8 or a.max() > 1 else 1.0)
    elif a.dtype.kind == "f":
        grey = a.astype(np.float64)
        if not np.isfinite(grey).all():
            raise ImageError("image holds NaN or infinite grey levels")
        if grey.min() < 0 or grey.max() > 1:
            raise ImageError(f"grey levels must lie in [0, 1] (or be uint8), got "
                             f"{grey.min():g}..{grey.max():g}")
    else:
        raise ImageError(f"cannot binarize an image of dtype {a.dtype}")
    from pgm.datasets import binarize as _above  # the toolkit's one comparison

    return (2 * _above(grey, float(threshold)) - 1).astype(np.int8)


def add_flip_noise(image, rate: float, seed: int | np.random.Generator | None = None) -> np.ndarray:
    """Flip each pixel of a spin image independently with probability ``rate``.

    Parameters
    ----------
    image : array of spins (or bool), shape (H, W)
    rate : float in [0, 1]
    seed : int or numpy Generator, optional
        Same seed, same noise.

    Raises
    ------
    ImageError
        ``rate`` outside ``[0, 1]`` or NaN, or an image that is not binary.

    Examples
    --------
    >>> x = np.ones((100, 100), dtype=np.int8)
    >>> y = add_flip_noise(x, 0.1, seed=0)
    >>> 0.08 < float((y != x).mean()) < 0.12
    True
    """
    x = as_spins(image)
    try:
        r = float(rate)
    except (TypeError, ValueError):
        raise ImageError(f"noise rate must be a number in [0, 1], got {rate!r}") from None
    if not 0.0 <= r <= 1.0:  # also rejects NaN
        raise ImageError(f"noise rate must lie in [0, 1], got {rate!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    flip = rng.random(x.shape) < r
    return np.where(flip, -x, x).astype(np.int8)


def pixel_accuracy(restored, reference) -> float:
    """Fraction of pixels where two binary images agree.

    Examples
    --------
    >>> pixel_accuracy([[1, -1]], [[1, 1]])
    0.5
    """
    a, b = as_spins(restored, "restored image"), as_spins(reference, "reference image")
    if a.shape != b.shape:
        raise ImageError(f"images differ in shape: {a.shape} vs {b.shape}")
    return float((a == b).mean())


# ----------------------------------------------------------- test images
def _segment_distance(yy, xx, p, q) -> np.ndarray:
    """Distance of each pixel centre to the segment ``p``-``q`` (points as (row, col))."""
    py, px = p
    qy, qx = q
    dy, dx = qy - py, qx - px
    L2 = dy * dy + dx * dx
    t = np.clip(((yy - py) * dy + (xx - px) * dx) / L2, 0.0, 1.0) if L2 > 0 else 0.0
    return np.hypot(yy - (py + t * dy), xx - (px + t * dx))


def shapes_image(size: int = 256, *, memory_budget: int | None = None) -> np.ndarray:
    """The built-in test picture: a clean binary image with large smooth shapes.

    On a dark background: a disc, a ring (annulus), a rounded rectangle and a thick
    letter "S" (stroke width about ``size/13``).  The shapes are large and their
    outlines short (about 0.03 boundary pairs per pixel), so the Ising denoiser can
    restore the picture almost perfectly: with ``beta=1, eta=2.1`` and 10% flips
    ICM restores about 96.2% of the pixels (a flat image allows about 96.4%) and the
    exact MAP over 99%.  The layout scales with ``size`` (at least 32).  The drawing
    takes :data:`SHAPES_BYTES_PER_PIXEL` bytes a pixel, checked first against
    ``memory_budget`` (default ``$PGM_MEMORY_BUDGET`` or 4 GiB;
    :class:`~pgm.exceptions.MemoryBudgetError` above it).

    Examples
    --------
    >>> x = shapes_image()
    >>> x.shape, x.dtype, sorted(np.unique(x).tolist())
    ((256, 256), dtype('int8'), [-1, 1])
    >>> 0.3 < float((x == 1).mean()) < 0.4
    True
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 32:
        raise ImageError(f"size must be an integer >= 32, got {size!r}")
    from pgm._config import check_allocation

    n = int(size)
    check_allocation(n * n * SHAPES_BYTES_PER_PIXEL, f"the {n}x{n} built-in 'shapes' image",
                     memory_budget=memory_budget)
    s = n / 256.0  # drawn on a 256-unit canvas
    yy, xx = (np.mgrid[0:n, 0:n].astype(np.float64) + 0.5) / s
    on = np.hypot(yy - 62, xx - 62) <= 44                          # disc
    r = np.hypot(yy - 62, xx - 190)
    on |= (r <= 44) & (r >= 22)                                    # ring
    dy = np.maximum(np.maximum(150 - yy, yy - 210), 0)             # rounded rectangle
    dx = np.maximum(np.maximum(36 - xx, xx - 96), 0)
    on |= np.hypot(dy, dx) <= 18
    radius, half_width = 23.0, 10.0                                # letter "S": two arcs
    upper = [(158 - radius * np.sin(p), 190 + radius * np.cos(p))
             for p in np.deg2rad(np.linspace(15, 270, 14))]
    lower = [(204 - radius * np.sin(p), 190 + radius * np.cos(p))
             for p in np.deg2rad(np.linspace(90, -165, 14))]
    for pts in (upper, lower):
        for p, q in zip(pts[:-1], pts[1:]):
            on |= _segment_distance(yy, xx, p, q) <= half_width
    return np.where(on, 1, -1).astype(np.int8)


def mnist_digits(n: int = 16, *, kind: str = "test", start: int = 0, threshold: float = 0.5,
                 data_dir: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Binarized MNIST digits: ``(spins of shape (n, 28, 28), labels)``.

    Digits ``start .. start+n-1`` of the training or test set, ink ``+1``.

    Raises
    ------
    ModelLoadError
        The MNIST files are missing (set ``PGM_DATA_DIR``) or corrupt.

    Examples
    --------
    >>> x, labels = mnist_digits(2)   # doctest: +SKIP
    >>> x.shape, labels.tolist()      # doctest: +SKIP
    ((2, 28, 28), [7, 2])
    """
    from pgm.datasets import load_mnist

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ImageError(f"n must be a positive integer, got {n!r}")
    if isinstance(start, bool) or not isinstance(start, (int, np.integer)) or start < 0:
        raise ImageError(f"start must be a non-negative integer, got {start!r}")
    images, labels = load_mnist(kind, data_dir, limit=int(start) + int(n))
    available = images.shape[0]
    images, labels = images[start:], labels[start:]
    if images.shape[0] < n:
        raise ImageError(f"MNIST {kind} set has only {available} images (0..{available - 1}); "
                         f"asked for {start}..{start + n - 1}")
    spins = np.stack([binarize(im, threshold) for im in images])
    return spins, labels


def mnist_mosaic(rows: int = 4, cols: int = 4, *, kind: str = "test", start: int = 0,
                 data_dir: str | os.PathLike | None = None) -> np.ndarray:
    """A ``rows x cols`` tiling of binarized MNIST digits as one spin image.

    Examples
    --------
    >>> mnist_mosaic(2, 3).shape   # doctest: +SKIP
    (56, 84)
    """
    digits, _ = mnist_digits(rows * cols, kind=kind, start=start, data_dir=data_dir)
    return digits.reshape(rows, cols, 28, 28).transpose(0, 2, 1, 3).reshape(rows * 28, cols * 28)


def builtin_image(name: str = "shapes", *, size: int = 256,
                  memory_budget: int | None = None) -> np.ndarray:
    """A built-in clean test image by name.

    ``"shapes"``: :func:`shapes_image` of side ``size`` (checked against
    ``memory_budget``); ``"mnist"``: a 4x4 mosaic
    of the first 16 binarized MNIST test digits (112x112); ``"mnist:K"``: test
    digit ``K`` alone (28x28).

    Raises
    ------
    ImageError
        Unknown name.
    ModelLoadError
        MNIST requested but its files are missing.

    Examples
    --------
    >>> builtin_image("shapes", size=64).shape
    (64, 64)
    """
    if not isinstance(name, str):
        raise ImageError(f"built-in image name must be a string, got {name!r}")
    key = name.strip().lower()
    if key == "shapes":
        return shapes_image(size, memory_budget=memory_budget)
    if key == "mnist":
        return mnist_mosaic(4, 4)
    if key.startswith("mnist:"):
        try:
            k = int(key.split(":", 1)[1])
        except ValueError:
            raise ImageError(f"bad MNIST index in {name!r}; use e.g. 'mnist:7'") from None
        return mnist_digits(1, start=k)[0][0]
    raise ImageError(f"unknown built-in image {name!r}; choose one of "
                     f"{', '.join(BUILTIN_IMAGES)} or 'mnist:K'")


# ----------------------------------------------------------------- figures
def save_panels(path: str | os.PathLike, panels: Sequence[tuple[str, np.ndarray]], *,
                dpi: int = 100, cmap: str = "gray") -> Path:
    """Save images side by side with titles (a matplotlib figure, written atomically).

    Each panel is ``(title, image)``; binary images show black/white, float images
    (e.g. a marginal map ``P(x=+1)``) on a grey scale from 0 to 1 with a colour bar.

    Examples
    --------
    >>> import tempfile, os
    >>> x = shapes_image(64)
    >>> p = save_panels(os.path.join(tempfile.mkdtemp(), "f.png"), [("a", x), ("b", -x)])
    >>> p.exists()
    True
    """
    from pgm.exceptions import ParameterError
    from pgm.files import new_figure, save_figure

    if not panels:
        raise ImageError("no panels to draw")
    path = Path(path)
    k = len(panels)
    fig = new_figure((3.2 * k, 3.4))
    axes = fig.subplots(1, k, squeeze=False)[0]
    for ax, (title, img) in zip(axes, panels):
        a = _as_2d(img, f"panel {title!r}")
        if a.dtype.kind == "f" and not np.isin(a, (-1.0, 1.0)).all():
            im = ax.imshow(a, cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        else:
            ax.imshow(spins_to_uint8(a), cmap=cmap, vmin=0, vmax=255, interpolation="nearest")
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    try:
        return save_figure(fig, path, dpi=dpi)
    except ParameterError as exc:
        raise ImageError(str(exc)) from None
