"""d-separation on integer-indexed DAGs (CSR adjacency), by a linear-time Bayes ball.

Thin wrappers around the Numba kernels of :mod:`pgm.inference._kernels_graph`;
:class:`pgm.structure_index.StructureIndex` calls :func:`pack_graph` and
:func:`d_separated_packed` (lazily: importing it does not import Numba).
"""

from __future__ import annotations

import numpy as np

__all__ = ["d_separated_csr", "pack_graph", "d_separated_packed"]


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
    from pgm.inference._kernels_graph import d_separated_kernel

    return bool(d_separated_kernel(pred_ptr, pred_idx, succ_ptr, succ_idx, xs, ys, zs))


def pack_graph(pred_ptr: np.ndarray, pred_idx: np.ndarray, succ_ptr: np.ndarray,
               succ_idx: np.ndarray) -> np.ndarray:
    """Pack CSR adjacency into one int64 array (one argument: less call overhead per query)."""
    n = pred_ptr.shape[0] - 1
    m = pred_idx.shape[0]
    return np.concatenate([np.array([n, m], np.int64), pred_ptr, pred_idx, succ_ptr, succ_idx]
                          ).astype(np.int64)


def d_separated_packed(graph: np.ndarray, query: np.ndarray) -> bool:
    """d-separation on a :func:`pack_graph` array; ``query = [|X|, |Y|, *X, *Y, *Z]`` (int64)."""
    from pgm.inference._kernels_graph import d_separated_packed_kernel

    return bool(d_separated_packed_kernel(graph, query))
