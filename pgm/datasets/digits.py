"""The digit-modelling study's data split (seed Problem 5), and :func:`binarize`.

3000 training, 1000 validation and 3000 test digits: 300 / 100 / 300 of each class,
drawn without replacement by a fixed seed, training and validation from the MNIST
training set, test from the MNIST test set; pixels scaled to ``[0, 1]`` (float32).

Examples
--------
>>> split = digits_split()                        # doctest: +SKIP
>>> split.X_train.shape, split.X_val.shape, split.X_test.shape    # doctest: +SKIP
((3000, 784), (1000, 784), (3000, 784))
>>> binarize(np.array([[0.2, 0.5, 0.9]])).tolist()
[[0.0, 0.0, 1.0]]
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from pgm.exceptions import ParameterError, PGMError
from pgm.validation import check_float, check_nonnegative_int

__all__ = ["DigitSplit", "digits_split", "binarize", "SPLIT_SEED", "PER_CLASS"]

#: seed of the study's split
SPLIT_SEED = 2024
#: digits per class in (train, validation, test)
PER_CLASS = (300, 100, 300)


@dataclass(frozen=True)
class DigitSplit:
    """Images as float32 rows in ``[0, 1]`` (784 pixels) and int64 labels."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    train_index: np.ndarray
    val_index: np.ndarray
    test_index: np.ndarray


def binarize(X, threshold: float = 0.5) -> np.ndarray:
    """``1.0`` where ``X > threshold`` (strictly above), else ``0.0``, as float32.

    The toolkit's one binarization: the digit study, the RBM command line and
    :func:`pgm.models.images.binarize` (grey image to spins) all compare this way.  A
    value exactly at the threshold is background (``0``).  On MNIST scaled to
    ``[0, 1]`` (grey levels ``k / 255``) no pixel equals ``0.5``, so ``>`` and ``>=``
    give the same digits at the default threshold.

    ``X`` must be real numbers (a bool array is taken as 0/1); NaN and infinite entries
    are refused (:class:`~pgm.exceptions.ParameterError` naming the first one) rather
    than binarized to ``0`` or ``1``, and so are strings, complex numbers and ragged rows.

    Examples
    --------
    >>> binarize([[0.1, 0.6, 0.7]], threshold=0.6).tolist()
    [[0.0, 0.0, 1.0]]
    >>> binarize([[0.1, float("nan")]])       # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pgm.exceptions.ParameterError: cannot binarize a non-finite value nan (at index (0, 1)); ...
    """
    threshold = check_float("threshold", threshold)
    try:
        A = np.asarray(X)
        if A.dtype.kind == "O":
            A = np.asarray(X, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"cannot binarize {type(X).__name__}: not a numeric array ({exc})") \
            from None
    if A.dtype.kind not in "biuf":
        raise ParameterError(f"cannot binarize an array of dtype {A.dtype}; it must hold real "
                             "numbers")
    if A.dtype.kind == "f":
        bad = ~np.isfinite(A)
        if bad.any():
            at = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ParameterError(f"cannot binarize a non-finite value {float(A[at])} (at index "
                                 f"{at}); clean or impute the data first")
    return (A > threshold).astype(np.float32)


def _draw(labels: np.ndarray, counts: tuple[int, ...], rng: np.random.Generator
          ) -> list[np.ndarray]:
    parts: list[list[np.ndarray]] = [[] for _ in counts]
    for c in range(10):
        idx = np.flatnonzero(labels == c)
        if len(idx) < sum(counts):
            raise PGMError(f"class {c} has only {len(idx)} images, need {sum(counts)}")
        chosen = rng.choice(idx, sum(counts), replace=False)
        start = 0
        for i, k in enumerate(counts):
            parts[i].append(chosen[start:start + k])
            start += k
    return [rng.permutation(np.concatenate(p)) for p in parts]


def digits_split(data_dir: str | os.PathLike | None = None, *, seed: int = SPLIT_SEED,
                 per_class: tuple[int, int, int] = PER_CLASS) -> DigitSplit:
    """The study's deterministic split of MNIST (see the module docstring).

    Parameters
    ----------
    data_dir : path-like, optional
        Folder of the MNIST files (default ``$PGM_DATA_DIR/mnist``).
    seed : int
        Seed of the draw (fixed by default: every run gets the same digits).
    per_class : (train, val, test)
        Digits per class.

    Raises
    ------
    ModelLoadError
        The MNIST files are missing or unreadable.
    """
    from pgm.datasets.mnist import load_mnist

    seed = check_nonnegative_int("seed", seed)
    try:
        counts = None if isinstance(per_class, (str, bytes, dict)) else tuple(per_class)
    except TypeError:
        counts = None
    if counts is None or len(counts) != 3:
        raise ParameterError(f"per_class must be three counts (train, val, test), got {per_class!r}")
    per_class = tuple(check_nonnegative_int(f"per_class[{i}]", c) for i, c in enumerate(counts))
    tr_img, tr_lab = load_mnist("train", data_dir)
    te_img, te_lab = load_mnist("test", data_dir)
    rng = np.random.default_rng([int(seed), 5])
    i_tr, i_va = _draw(tr_lab, per_class[:2], rng)
    (i_te,) = _draw(te_lab, per_class[2:], rng)

    def rows(img: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return (img[idx].reshape(len(idx), -1) / np.float32(255.0)).astype(np.float32)

    return DigitSplit(rows(tr_img, i_tr), tr_lab[i_tr].astype(np.int64),
                      rows(tr_img, i_va), tr_lab[i_va].astype(np.int64),
                      rows(te_img, i_te), te_lab[i_te].astype(np.int64), i_tr, i_va, i_te)
