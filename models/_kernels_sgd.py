"""Compiled parameter updates for minibatch SGD (see :mod:`pgm.models.sgd`)."""

from __future__ import annotations

from numba import njit, prange


# ``reassoc`` lets the row sum vectorise; without ``nnan``/``ninf`` a NaN or an
# infinity still reaches the sum (the divergence check relies on it).
@njit(cache=True, parallel=True, fastmath={"reassoc", "contract"})
def momentum_step_2d(param, velocity, grad, momentum, decay, row_sums):
    """``velocity = momentum * velocity + grad - decay * param``; ``param += velocity``.

    One pass over the three arrays (rows in parallel); ``row_sums[r]`` receives the
    sum of the new velocity of row ``r`` (non-finite iff some entry is).
    """
    R, C = param.shape
    mu = param.dtype.type(momentum)
    lam = param.dtype.type(decay)
    for r in prange(R):
        p = param[r]
        v = velocity[r]
        g = grad[r]
        acc = 0.0
        for c in range(C):
            u = mu * v[c] + g[c] - lam * p[c]
            v[c] = u
            p[c] += u
            acc += u
        row_sums[r] = acc
