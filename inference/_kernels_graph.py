"""Numba kernels for structure queries on integer-indexed DAGs (CSR adjacency).

Called through :mod:`pgm.inference.dseparation` (and so
:class:`pgm.structure_index.StructureIndex`, which validates the query and maps
variable names to indices).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["d_separated_kernel", "d_separated_packed_kernel"]

_IN_Z, _IN_Y, _ANC_Z, _SEEN_UP, _SEEN_DOWN = 1, 2, 4, 8, 16


@njit(cache=True, nogil=True, inline="always")
def _visit(v, ptr, idx, flags, seen, direction, stack, top):  # pragma: no cover
    """Push the unseen neighbours ``idx[ptr[v]:ptr[v + 1]]`` of ``v`` (parents: direction 0,
    reached from a child; children: direction 1, reached from a parent); returns ``top``."""
    for k in range(ptr[v], ptr[v + 1]):
        u = idx[k]
        if not flags[u] & seen:
            flags[u] |= seen
            stack[top] = 2 * u + direction
            top += 1
    return top


@njit(cache=True, nogil=True)
def d_separated_packed_kernel(graph, query):  # pragma: no cover
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
    return d_separated_kernel(pred_ptr, pred_idx, succ_ptr, succ_idx, xs, ys, zs)


@njit(cache=True, nogil=True)
def d_separated_kernel(pred_ptr, pred_idx, succ_ptr, succ_idx, xs, ys, zs):  # pragma: no cover
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
            top = _visit(v, pred_ptr, pred_idx, flags, _SEEN_UP, 0, stack, top)
            top = _visit(v, succ_ptr, succ_idx, flags, _SEEN_DOWN, 1, stack, top)
        else:
            if not flags[v] & _IN_Z:
                if flags[v] & _IN_Y:
                    return False
                top = _visit(v, succ_ptr, succ_idx, flags, _SEEN_DOWN, 1, stack, top)
            if flags[v] & _ANC_Z:
                top = _visit(v, pred_ptr, pred_idx, flags, _SEEN_UP, 0, stack, top)
    return True
