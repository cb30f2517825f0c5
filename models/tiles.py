"""Tile many small images (RBM filters, samples) into one picture.

Examples
--------
>>> imgs = np.random.default_rng(0).random((10, 4, 4))
>>> tile_images(imgs, n_cols=5).shape          # 2 rows of 5, 1-pixel borders
(11, 26)
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from pgm.exceptions import CardinalityError, EvidenceError, ParameterError

__all__ = ["image_shape", "tile_images", "tile_filters", "save_tiles"]


def image_shape(n_pixels: int, shape: tuple[int, int] | None = None) -> tuple[int, int]:
    """``shape`` if given (checked), else the square ``(s, s)`` with ``s * s == n_pixels``.

    Examples
    --------
    >>> image_shape(784)
    (28, 28)
    """
    if shape is not None:
        h, w = (int(s) for s in shape)
        if h * w != n_pixels:
            raise CardinalityError(f"image shape {h}x{w} does not hold {n_pixels} pixels")
        return h, w
    s = math.isqrt(int(n_pixels))
    if s * s != n_pixels:
        raise CardinalityError(f"{n_pixels} pixels is not a square image; give the shape "
                               "(e.g. --shape 20x30)")
    return s, s


def tile_images(images, shape: tuple[int, int] | None = None, *, n_cols: int | None = None,
                padding: int = 1, normalize: str = "none", pad_value: float = 1.0,
                scale: int = 1) -> np.ndarray:
    """Arrange images in a grid: a 2-D float array in ``[0, 1]``.

    Parameters
    ----------
    images : array (n, H, W) or (n, H*W)
        Flat rows need ``shape`` (or a square pixel count).
    n_cols : int, optional
        Images per row (default about ``sqrt(n)``).
    padding : int
        Border width between tiles, filled with ``pad_value``.
    normalize : {"none", "each", "global"}
        ``"none"``: values must lie in ``[0, 1]``; ``"each"``: each image min-max
        scaled to ``[0, 1]`` (filters); ``"global"``: one min-max for all.
    scale : int
        Repeat each pixel ``scale x scale`` times (small images).

    Examples
    --------
    >>> t = tile_images(np.zeros((4, 9)), n_cols=2, padding=0)
    >>> t.shape
    (6, 6)
    """
    a = np.asarray(images, dtype=np.float64)
    if a.ndim == 2:
        h, w = image_shape(a.shape[1], shape)
        a = a.reshape(a.shape[0], h, w)
    elif a.ndim != 3:
        raise CardinalityError(f"images must be (n, H, W) or (n, pixels), got shape {a.shape}")
    n, h, w = a.shape
    if n == 0:
        raise CardinalityError("no images to tile")
    if not np.isfinite(a).all():
        raise EvidenceError("images hold a non-finite value")
    if normalize == "each":
        lo = a.min(axis=(1, 2), keepdims=True)
        rng = a.max(axis=(1, 2), keepdims=True) - lo
        a = (a - lo) / np.where(rng > 0, rng, 1.0)
    elif normalize == "global":
        lo, hi = a.min(), a.max()
        a = (a - lo) / (hi - lo if hi > lo else 1.0)
    elif normalize == "none":
        if a.min() < 0 or a.max() > 1:
            raise EvidenceError("image values must lie in [0, 1] (or use normalize='each')")
    else:
        raise ParameterError(f"normalize must be 'none', 'each' or 'global', got {normalize!r}")
    if scale > 1:
        a = np.repeat(np.repeat(a, int(scale), axis=1), int(scale), axis=2)
        h, w = a.shape[1:]
    cols = int(n_cols) if n_cols else math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    p = int(padding)
    out = np.full((rows * h + (rows + 1) * p, cols * w + (cols + 1) * p), float(pad_value))
    for i in range(n):
        r, c = divmod(i, cols)
        y, x = p + r * (h + p), p + c * (w + p)
        out[y:y + h, x:x + w] = a[i]
    return out


def tile_filters(W, shape: tuple[int, int] | None = None, *, n_cols: int | None = None,
                 n_filters: int | None = None, padding: int = 1, scale: int = 1) -> np.ndarray:
    """The columns of ``W`` (visible x hidden) as images, each scaled to ``[0, 1]``.

    Examples
    --------
    >>> tile_filters(np.random.default_rng(0).normal(size=(784, 100))).shape
    (291, 291)
    """
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2:
        raise CardinalityError(f"W must be 2-D (visible x hidden), got shape {W.shape}")
    F = W.T if n_filters is None else W.T[:n_filters]
    return tile_images(F, shape, n_cols=n_cols, padding=padding, normalize="each",
                       pad_value=1.0, scale=scale)


def save_tiles(path: str | os.PathLike, images, shape: tuple[int, int] | None = None,
               **kwargs) -> Path:
    """Write a tiled picture as a greyscale image (format from the suffix; atomic).

    ``images`` is either a tiled 2-D picture with values in ``[0, 1]`` (from
    :func:`tile_images` / :func:`tile_filters`), or a stack ``(n, H, W)`` tiled here
    with ``shape`` and ``kwargs`` (see :func:`tile_images`).

    Examples
    --------
    >>> import tempfile
    >>> p = save_tiles(os.path.join(tempfile.mkdtemp(), "t.png"), np.zeros((4, 3, 3)))
    >>> p.suffix
    '.png'
    """
    from pgm.models.images import write_image

    a = np.asarray(images, dtype=np.float64)
    if a.ndim == 2:
        if shape is not None or kwargs:
            raise CardinalityError("a 2-D array is saved as one picture; tile flat rows with "
                                   "tile_images first (or pass a stack (n, H, W))")
        picture = a
        if not np.isfinite(a).all() or a.min() < 0 or a.max() > 1:
            raise EvidenceError("picture values must lie in [0, 1]")
    else:
        picture = tile_images(a, shape, **kwargs)
    return write_image(path, picture)
