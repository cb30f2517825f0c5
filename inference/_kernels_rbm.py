"""Numba kernels of a bipartite binary model (an RBM): exact ``log Z`` and annealing.

The summation is :func:`pgm.inference.bipartite.bipartite_log_partition`, which
validates its input, picks the smaller layer and calls :func:`enumerate_logsumexp`
here: the states of each block in Gray-code order, so one step adds or removes one
row of ``W``.

:func:`anneal_hidden` and :func:`anneal_visible` are the two halves of one annealing
step of :func:`pgm.inference.bipartite.anneal_log_weights` (AIS and reverse AIS):
each takes the BLAS product of a batch of runs, adds the bias and, in one pass over
the rows (parallel), accumulates the weight increments in float64 and draws the next
layer from the engine's counter-based streams (:mod:`pgm.inference._kernels_generic`).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from pgm.inference._kernels_generic import sweep_key, uniform32

__all__ = ["enumerate_logsumexp", "anneal_hidden", "anneal_visible"]

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


@njit(cache=True, parallel=True, fastmath=True)
def anneal_hidden(xw, a, b_hi, b_lo, b_s, seed, step, sample, h_out, vdb, db_scale, inc):
    """Hidden half of an annealing step, for each run (row) ``r``.

    ``x = xw[r] + a`` (the fields of the hidden units; ``xw = v @ W``).  Adds to
    ``inc[r]`` the log ratio ``log f_hi(v) - log f_lo(v)`` of the intermediate
    distributions at ``b_hi`` and ``b_lo``, that is
    ``db_scale * vdb[r] + sum_j softplus(b_hi x_j) - softplus(b_lo x_j)`` with
    ``db_scale = b_hi - b_lo`` and ``vdb[r] = v . (b - b_A)``, in float64 (the difference
    of softplus as ``log((1 + e^-|b_hi x|) / (1 + e^-|b_lo x|))`` plus the linear parts:
    no cancellation).  With ``sample``, ``h_out[r, j] = 1`` with probability
    ``sigmoid(b_s x_j)`` from counter ``j`` of stream ``(seed, r, step)``.
    """
    R, P = xw.shape
    for r in prange(R):
        key = sweep_key(seed, r, step)
        acc = 0.0
        for j in range(P):
            x = np.float64(xw[r, j]) + np.float64(a[j])
            if b_hi != b_lo:
                yh = b_hi * x
                yl = b_lo * x
                th = np.exp(-abs(yh))
                tl = np.exp(-abs(yl))
                acc += max(yh, 0.0) - max(yl, 0.0) + np.log1p((th - tl) / (1.0 + tl))
            if sample:
                ys = np.float32(b_s * x)
                ts = np.exp(-abs(ys))
                p = np.float32(1.0) / (np.float32(1.0) + ts)
                if ys < 0:
                    p = ts * p
                h_out[r, j] = np.float32(1.0) if uniform32(key, j) < p else np.float32(0.0)
        inc[r] += acc + db_scale * vdb[r]


@njit(cache=True, parallel=True, fastmath=True)
def anneal_visible(hw, b, b_s, base, db, seed, step, v_out, vdb):
    """Visible half of an annealing step, for each run (row) ``r``.

    ``v_out[r, i] = 1`` with probability ``sigmoid(b_s (hw[r, i] + b_i) + (1 - b_s) base_i)``
    (``hw = h @ W.T``, ``base`` the base-rate model's biases) from counter ``i`` of
    stream ``(seed, r, step)``; ``vdb[r] = v_out[r] . db`` (float64).
    """
    R, D = hw.shape
    one = np.float32(1.0)
    for r in prange(R):
        key = sweep_key(seed, r, step)
        acc = 0.0
        for i in range(D):
            y = np.float32(b_s * (np.float64(hw[r, i]) + b[i]) + (1.0 - b_s) * base[i])
            t = np.exp(-abs(y))
            p = one / (one + t)
            if y < 0:
                p = t * p
            if uniform32(key, i) < p:
                v_out[r, i] = 1.0
                acc += db[i]
            else:
                v_out[r, i] = 0.0
        vdb[r] = acc
