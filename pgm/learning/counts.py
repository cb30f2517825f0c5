"""Sufficient statistics: the counts of every CPD family in one vectorized pass.

A family is a CPD's scope ``(*parents, child)``.  Its counts are a table of the CPD's
shape holding how many rows show each joint state; a row with a missing value anywhere
in the family is left out of that family's counts.  Each family's counts are one
:func:`numpy.bincount` of the rows' flat table indices (mixed-radix numbers of the
family's codes), not a Python loop over rows; on a Dask dataset every partition is
counted where it lives and the integer tables are summed
(:meth:`pgm.learning.data.Dataset.map_reduce`), so the result is exactly the in-memory one.

Examples
--------
>>> import numpy as np
>>> codes = np.array([[0, 1], [0, 1], [1, 0]], dtype=np.int32)
>>> count_chunk(codes, [(0,), (0, 1)], np.array([2, 2]))[1].tolist()
[0, 2, 1, 0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pgm._config import check_allocation

__all__ = ["family_columns", "flat_index", "count_chunk", "family_counts", "unique_rows"]


def family_columns(structure) -> list[tuple[int, ...]]:
    """Per variable, the code-array columns of its family ``(*parents, child)``."""
    col = {v: j for j, v in enumerate(structure.variables)}
    return [tuple(col[u] for u in fam) for fam in structure.families()]


def flat_index(codes: np.ndarray, cols: Sequence[int],
               cards: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Row-major flat index of each row's state of the columns ``cols`` and the mask of
    rows observed in all of them (None when every row is)."""
    n = codes.shape[0]
    idx = np.zeros(n, dtype=np.int64)
    ok = None
    stride = 1
    for c in reversed(cols):
        col = codes[:, c]
        if col.size and col.min() < 0:
            m = col >= 0
            ok = m if ok is None else ok & m
        idx += col.astype(np.int64) * stride
        stride *= int(cards[c])
    return idx, ok


def count_chunk(codes: np.ndarray, families: Sequence[Sequence[int]], cards: np.ndarray) -> list[np.ndarray]:
    """Flat ``int64`` counts of each family (columns ``families[k]``) in one code chunk."""
    out = []
    for cols in families:
        size = int(np.prod([int(cards[c]) for c in cols], dtype=np.int64))
        idx, ok = flat_index(codes, cols, cards)
        if ok is not None:
            idx = idx[ok]
        out.append(np.bincount(idx, minlength=size).astype(np.int64))
    return out


def family_counts(dataset, structure, *, memory_budget: int | None = None) -> list[np.ndarray]:
    """The counts of every family of ``structure`` in ``dataset``, each shaped like its
    CPD table (parents first, child last)."""
    families = family_columns(structure)
    cards = dataset.cardinalities
    shapes = [tuple(int(cards[c]) for c in cols) for cols in families]
    check_allocation(8 * sum(int(np.prod(s, dtype=np.int64)) for s in shapes),
                     "the count tables of the CPDs", memory_budget=memory_budget)
    flat = dataset.map_reduce(count_chunk, families, cards)
    return [f.reshape(s) for f, s in zip(flat, shapes)]


def unique_rows(codes: np.ndarray, cards: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(distinct rows, their multiplicities, inverse)`` of a code array (``-1`` counts as
    one more value), so that each distinct row is inferred once.

    Rows are keyed by one mixed-radix ``int64`` when the key fits (a 1-D sort), by
    :func:`numpy.unique` over rows otherwise.

    Examples
    --------
    >>> u, w, inv = unique_rows(np.array([[0, -1], [1, 0], [0, -1]]), np.array([2, 2]))
    >>> u.tolist(), w.tolist(), inv.tolist()
    ([[0, -1], [1, 0]], [2, 1], [0, 1, 0])
    """
    codes = np.asarray(codes)
    if codes.shape[0] == 0:
        return codes.copy(), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    radix = np.asarray(cards, dtype=np.int64) + 1
    if float(np.sum(np.log2(radix.astype(np.float64)))) < 62:
        key = np.zeros(codes.shape[0], dtype=np.int64)
        for j in range(codes.shape[1]):
            key = key * radix[j] + (codes[:, j].astype(np.int64) + 1)
        _, first, inverse, counts = np.unique(key, return_index=True, return_inverse=True,
                                              return_counts=True)
        return codes[first], counts.astype(np.int64), inverse.ravel().astype(np.int64)
    uniq, inverse, counts = np.unique(codes, axis=0, return_inverse=True, return_counts=True)
    return uniq, counts.astype(np.int64), inverse.ravel().astype(np.int64)
