"""Numba kernels for structure queries on integer-indexed DAGs (CSR adjacency).

Called through :class:`pgm.structure_index.StructureIndex`, which validates the
query and maps variable names to indices.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["d_separated_csr", "pack_graph", "d_separated_packed"]

_IN_Z, _IN_Y, _ANC_Z, _SEEN_UP, _SEEN_DOWN = 1, 2, 4, 8, 16


@njit(cache=True, nogil=True)
def _d_separated_packed(graph, query):  # pragma: no cover
    # graph = [n, m, pred_ptr (n+1), pred_idx (m), succ_ptr (n+1), succ_idx (m)]
    # query = [len(xs), len(ys), xs..., ys..., zs...]
    n = graph[0]
    m = graph[1]
    a = 2
    pred_ptr = graph[a:a + n + 1]
    pred_idx = graph[a + n + 1:a + n + 1 + m]
    b = a + n + 1 + m
    succ_ptr = graph[b:b + n + 1]
    succ_idx = graph[b + n + 1:b + n + 1 + m]
    nx_ = query[0]
    ny_ = query[1]
    xs = query[2:2 + nx_]
    ys = query[2 + nx_:2 + nx_ + ny_]
    zs = query[2 + nx_ + ny_:]
    return _d_separated_kernel(pred_ptr, pred_idx, succ_ptr, succ_idx, xs, ys, zs)


@njit(cache=True, nogil=True)
def _d_separated_kernel(pred_ptr, pred_idx, succ_ptr, succ_idx, xs, ys, zs):  # pragma: no cover
    n = pred_ptr.shape[0] - 1
    flags = np.zeros(n, np.uint8)
    for z in zs:
        flags[z] |= _IN_Z
    for y in ys:
        flags[y] |= _IN_Y
    stack = np.empty(2 * n + 1, np.int64)
    top = 0
    # Phase 1: the conditioning set and its ancestors (where v-structures are active).
    for z in zs:
        if not flags[z] & _ANC_Z:
            flags[z] |= _ANC_Z
            stack[top] = z
            top += 1
    while top > 0:
        top -= 1
        v = stack[top]
        for k in range(pred_ptr[v], pred_ptr[v + 1]):
            p = pred_idx[k]
            if not flags[p] & _ANC_Z:
                flags[p] |= _ANC_Z
                stack[top] = p
                top += 1
    # Phase 2: Bayes ball over (node, direction); even = reached from a child ("up").
    for x in xs:
        if not flags[x] & _SEEN_UP:
            flags[x] |= _SEEN_UP
            stack[top] = 2 * x
            top += 1
    while top > 0:
        top -= 1
        e = stack[top]
        v = e >> 1
        if e & 1 == 0:
            if flags[v] & _IN_Z:
                continue
            if flags[v] & _IN_Y:
                return False
            for k in range(pred_ptr[v], pred_ptr[v + 1]):
                p = pred_idx[k]
                if not flags[p] & _SEEN_UP:
                    flags[p] |= _SEEN_UP
                    stack[top] = 2 * p
                    top += 1
            for k in range(succ_ptr[v], succ_ptr[v + 1]):
                c = succ_idx[k]
                if not flags[c] & _SEEN_DOWN:
                    flags[c] |= _SEEN_DOWN
                    stack[top] = 2 * c + 1
                    top += 1
        else:
            if not flags[v] & _IN_Z:
                if flags[v] & _IN_Y:
                    return False
                for k in range(succ_ptr[v], succ_ptr[v + 1]):
                    c = succ_idx[k]
                    if not flags[c] & _SEEN_DOWN:
                        flags[c] |= _SEEN_DOWN
                        stack[top] = 2 * c + 1
                        top += 1
            if flags[v] & _ANC_Z:
                for k in range(pred_ptr[v], pred_ptr[v + 1]):
                    p = pred_idx[k]
                    if not flags[p] & _SEEN_UP:
                        flags[p] |= _SEEN_UP
                        stack[top] = 2 * p
                        top += 1
    return True


def d_separated_csr(pred_ptr: np.ndarray, pred_idx: np.ndarray, succ_ptr: np.ndarray,
                    succ_idx: np.ndarray, xs: np.ndarray, ys: np.ndarray, zs: np.ndarray) -> bool:
    """d-separation of index sets ``xs`` and ``ys`` given ``zs`` in a CSR-encoded DAG.

    The sets must be disjoint int64 arrays of node indices (the caller checks).
    Linear in the number of nodes and edges; each (node, direction) is pushed once.

    Examples
    --------
    >>> ptr = np.array([0, 0, 0, 2]); idx = np.array([0, 1])       # 0 -> 2 <- 1
    >>> sptr = np.array([0, 1, 2, 2]); sidx = np.array([2, 2])
    >>> e = np.empty(0, np.int64)
    >>> d_separated_csr(ptr, idx, sptr, sidx, np.array([0]), np.array([1]), e)
    True
    >>> d_separated_csr(ptr, idx, sptr, sidx, np.array([0]), np.array([1]), np.array([2]))
    False
    """
    return bool(_d_separated_kernel(pred_ptr, pred_idx, succ_ptr, succ_idx, xs, ys, zs))


def pack_graph(pred_ptr: np.ndarray, pred_idx: np.ndarray, succ_ptr: np.ndarray,
               succ_idx: np.ndarray) -> np.ndarray:
    """Pack CSR adjacency into one int64 array (one argument: less call overhead per query)."""
    n = pred_ptr.shape[0] - 1
    m = pred_idx.shape[0]
    return np.concatenate([np.array([n, m], np.int64), pred_ptr, pred_idx, succ_ptr, succ_idx]
                          ).astype(np.int64)


def d_separated_packed(graph: np.ndarray, query: np.ndarray) -> bool:
    """d-separation on a :func:`pack_graph` array; ``query = [|X|, |Y|, *X, *Y, *Z]`` (int64)."""
    return _d_separated_packed(graph, query)
