"""Numba kernels used only by the image denoiser (:mod:`pgm.models.ising`).

Integer energy sums of spin images and the batch-means bookkeeping of its Gibbs
marginals; the sampling itself runs on :class:`pgm.inference.grid.GridIsing`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["spin_sums", "fold_batch", "finish_marginals"]


@njit(cache=True)
def spin_sums(x, y, conn):
    """Integer sums of spin images ``x``, ``y`` (int8 ``(H, W)``, open boundary):
    ``(sum x, sum x*y, sum over neighbour pairs x_i x_j)`` (4 or 8 neighbours)."""
    H, W = x.shape
    acc = np.zeros((H, 3), dtype=np.int64)
    for i in prange(H):
        a = np.int64(0)
        b = np.int64(0)
        p = np.int64(0)
        for j in range(W):
            v = np.int64(x[i, j])
            a += v
            b += v * np.int64(y[i, j])
            if j + 1 < W:
                p += v * np.int64(x[i, j + 1])
            if i + 1 < H:
                p += v * np.int64(x[i + 1, j])
                if conn == 8:
                    if j + 1 < W:
                        p += v * np.int64(x[i + 1, j + 1])
                    if j > 0:
                        p += v * np.int64(x[i + 1, j - 1])
        acc[i, 0] = a
        acc[i, 1] = b
        acc[i, 2] = p
    return acc[:, 0].sum(), acc[:, 1].sum(), acc[:, 2].sum()


@njit(cache=True)
def fold_batch(bacc, size, total, bm_sum, bm_sq, with_means):
    """Fold one batch of spin sums ``bacc`` (int32 ``(chains, H, W)``, ``size`` records)
    into ``total += bacc.sum(0)`` and, with ``with_means``, the batch means of
    ``P(+1)``: ``bm_sum += bm.sum(0)``, ``bm_sq += (bm**2).sum(0)`` with ``bm = (bacc /
    size + 1) / 2`` (the same float64 operations, in the same order, as NumPy)."""
    C, H, W = bacc.shape
    fs = np.float64(size)
    for i in prange(H):
        for j in range(W):
            t = np.int64(0)
            for c in range(C):
                t += bacc[c, i, j]
            total[i, j] += t
            if with_means:
                bm = (np.float64(bacc[0, i, j]) / fs + 1.0) / 2.0
                s1 = bm
                s2 = bm * bm
                for c in range(1, C):
                    bm = (np.float64(bacc[c, i, j]) / fs + 1.0) / 2.0
                    s1 += bm
                    s2 += bm * bm
                bm_sum[i, j] += s1
                bm_sq[i, j] += s2


@njit(cache=True)
def finish_marginals(total, denom, y, bm_sum, bm_sq, k, p, mpm, stderr):
    """``p = (total / denom + 1) / 2``, the MPM image (``y`` on a tie) and, if
    ``stderr.size``, ``sqrt(max(bm_sq - bm_sum**2 / k, 0) / (k - 1) / k)``."""
    H, W = total.shape
    fd = np.float64(denom)
    fk = np.float64(k)
    fk1 = np.float64(k - 1)
    err = stderr.size > 0
    for i in prange(H):
        for j in range(W):
            pv = (np.float64(total[i, j]) / fd + 1.0) / 2.0
            p[i, j] = pv
            mpm[i, j] = 1 if pv > 0.5 else (-1 if pv < 0.5 else y[i, j])
            if err:
                var = max(bm_sq[i, j] - bm_sum[i, j] * bm_sum[i, j] / fk, 0.0) / fk1
                stderr[i, j] = np.sqrt(var / fk)
