"""Numba kernel of the exact log partition function of a bipartite binary model (an RBM).

The summation is :func:`pgm.inference.bipartite.bipartite_log_partition`, which
validates its input, picks the smaller layer and calls :func:`enumerate_logsumexp`
here: the states of each block in Gray-code order, so one step adds or removes one
row of ``W``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["enumerate_logsumexp"]

_CHUNK = 256  # softplus terms multiplied before one log (each factor is in [1, 2])


@njit(cache=True, inline="always")
def _softplus_sum(x, u, multiplicative):
    """``sum_i log(1 + exp(x_i))`` as ``sum max(x, 0) + log prod (1 + exp(-|x|))``.

    With ``multiplicative``, ``exp(-|x_i|)`` is ``min(u_i, 1 / u_i)`` from ``u = exp(x)``
    kept alongside ``x``: no ``exp`` per term.
    """
    n = x.shape[0]
    tot = 0.0
    for s in range(0, n, _CHUNK):
        e = min(n, s + _CHUNK)
        prod = 1.0
        lin = 0.0
        for i in range(s, e):
            xi = x[i]
            lin += max(xi, 0.0)
            if multiplicative:
                ui = u[i]
                prod *= 1.0 + min(ui, 1.0 / ui)
            else:
                prod *= 1.0 + np.exp(-abs(xi))
        tot += lin + np.log(prod)
    return tot


@njit(cache=True, parallel=True, fastmath=True)
def enumerate_logsumexp(Wk, c, d, low_bits, expW, exp_negW, multiplicative):
    """Per-block ``logsumexp_s [c^T s + sum_i softplus(d_i + (s^T Wk)_i)]`` over ``s`` in {0,1}^K.

    ``Wk`` is ``(K, N)`` float64 (row ``k``: couplings of enumerated unit ``k``),
    ``c`` its ``K`` biases, ``d`` the ``N`` biases of the summed-out layer.  The
    states are split into ``2^(K - low_bits)`` blocks by their high bits (one block
    per parallel task); inside a block the low ``low_bits`` units follow a Gray code,
    so each state adds or removes one row of ``Wk``.  With ``multiplicative`` the
    kernel also keeps ``u = exp(x)`` up to date with the rows of ``expW = exp(Wk)``
    and ``exp_negW = exp(-Wk)`` (no ``exp`` per term; the caller guarantees
    ``|x| < 600`` so that ``u`` neither overflows nor underflows).  Returns one
    log-sum per block.
    """
    K, N = Wk.shape
    L = low_bits
    n_blocks = 1 << (K - L)
    out = np.empty(n_blocks)
    for blk in prange(n_blocks):
        x = d.copy()
        lin = 0.0
        for j in range(K - L):
            if (blk >> j) & 1:
                for i in range(N):
                    x[i] += Wk[L + j, i]
                lin += c[L + j]
        u = np.exp(x) if multiplicative else x[:0]
        state = np.zeros(max(L, 1), dtype=np.uint8)
        m = lin + _softplus_sum(x, u, multiplicative)
        acc = 1.0
        for t in range(1, 1 << L):
            # Gray code: the unit to flip is the lowest set bit of t
            j = 0
            tt = t
            while (tt & 1) == 0:
                tt >>= 1
                j += 1
            if state[j]:
                state[j] = 0
                lin -= c[j]
                for i in range(N):
                    x[i] -= Wk[j, i]
                if multiplicative:
                    for i in range(N):
                        u[i] *= exp_negW[j, i]
            else:
                state[j] = 1
                lin += c[j]
                for i in range(N):
                    x[i] += Wk[j, i]
                if multiplicative:
                    for i in range(N):
                        u[i] *= expW[j, i]
            val = lin + _softplus_sum(x, u, multiplicative)
            if val > m:
                acc = acc * np.exp(m - val) + 1.0
                m = val
            else:
                acc += np.exp(val - m)
        out[blk] = m + np.log(acc)
    return out
