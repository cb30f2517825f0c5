"""Numba kernels over a flattened discrete factor graph (see :mod:`pgm.inference.compiled`).

The model travels as a tuple ``m = (card, vf_ptr, vf_fac, vf_stride, f_ptr, f_vars,
f_stride, tab, tab_off)``:

* ``card[v]`` - number of states of variable ``v``;
* ``vf_ptr``/``vf_fac``/``vf_stride`` - CSR list of the factors incident to each
  variable, with the stride of that variable inside the factor's table;
* ``f_ptr``/``f_vars``/``f_stride`` - CSR list of each factor's scope and strides;
* ``tab`` - every log-table, C order, concatenated; ``tab_off[f]`` its start.

Randomness is counter based: the uniform used for variable ``v`` in sweep ``t`` of
chain ``c`` is a hash of ``(seed, c, t, v)`` (splitmix64), so results do not depend
on the number of threads or on the order in which parallel updates run.

This module imports numba; it is loaded lazily by the public functions.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numba import njit, prange

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_C1 = np.uint64(0xD1B54A32D192ED03)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_S40 = np.uint64(40)
_ONE = np.uint64(1)
_INV53 = 1.0 / 9007199254740992.0
_INV24 = np.float32(1.0 / 16777216.0)

# ----------------------------------------------------------------- randomness


@njit(cache=True, inline="always")
def mix64(z):
    """splitmix64 finalizer (a bijective 64-bit hash)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def sweep_key(seed, chain, sweep):
    """Key of one (chain, sweep) stream; ``seed`` is uint64, the others int64."""
    k = mix64(seed ^ ((np.uint64(chain) + _ONE) * _C1))
    return mix64(k + (np.uint64(sweep) + _ONE) * GOLDEN)


@njit(cache=True, inline="always")
def uniform64(key, counter):
    """Uniform double in [0, 1) for ``counter`` (int64) of stream ``key``."""
    h = mix64(key + (np.uint64(counter) + _ONE) * GOLDEN)
    return np.float64(h >> _S11) * _INV53


@njit(cache=True, inline="always")
def uniform32(key, counter):
    """Uniform float32 in [0, 1) (24 random bits) for ``counter`` of stream ``key``."""
    h = mix64(key + (np.uint64(counter) + _ONE) * GOLDEN)
    return np.float32(h >> _S40) * _INV24


# ------------------------------------------------------------ local conditional


@njit(cache=True)
def local_logp(m, v, x, logp):
    """Fill ``logp[:card[v]]`` with ``sum_f log phi_f(x with v=s)`` for each state ``s``."""
    card, vf_ptr, vf_fac, vf_stride, f_ptr, f_vars, f_stride, tab, tab_off = m
    k = card[v]
    for s in range(k):
        logp[s] = 0.0
    for e in range(vf_ptr[v], vf_ptr[v + 1]):
        f = vf_fac[e]
        base = tab_off[f]
        for j in range(f_ptr[f], f_ptr[f + 1]):
            u = f_vars[j]
            if u != v:
                base += np.int64(x[u]) * f_stride[j]
        st = vf_stride[e]
        for s in range(k):
            logp[s] += tab[base + s * st]


@njit(cache=True)
def sample_logp(logp, k, beta, u):
    """Draw a state from ``exp(beta * logp[:k])`` using the uniform ``u``; -1 if all are zero."""
    mx = -np.inf
    for s in range(k):
        if logp[s] > mx:
            mx = logp[s]
    if mx == -np.inf:
        return -1
    tot = 0.0
    for s in range(k):
        d = logp[s] - mx
        if d == 0.0:
            w = 1.0
        else:   # float32 exp: twice as fast, ample precision for a draw
            w = np.float64(np.exp(np.float32(beta * d)))
        logp[s] = w
        tot += w
    r = u * tot
    acc = 0.0
    last = -1
    for s in range(k):
        w = logp[s]
        if w > 0.0:
            last = s
            acc += w
            if r < acc:
                return s
    return last


@njit(cache=True)
def exp_normalize(logp, beta):
    """``exp(beta * logp)`` normalized to sum to one (all zeros if every entry is -inf)."""
    n = logp.shape[0]
    out = np.zeros(n)
    mx = logp.max()
    if mx == -np.inf:
        return out
    tot = 0.0
    for s in range(n):
        out[s] = np.exp(beta * (logp[s] - mx))
        tot += out[s]
    for s in range(n):
        out[s] /= tot
    return out


@njit(cache=True)
def local_conditionals(m, v, x, beta):
    """``p(v | rest)`` as an array (all zeros if every state has probability zero)."""
    card = m[0]
    logp = np.empty(card[v])
    local_logp(m, v, x, logp)
    return exp_normalize(logp, beta)


# ------------------------------------------------------------------ energies


@njit(cache=True)
def log_weight(m, x):
    """``sum_f log phi_f(x)`` for one full state ``x`` (``-inf`` if some factor is zero)."""
    card, vf_ptr, vf_fac, vf_stride, f_ptr, f_vars, f_stride, tab, tab_off = m
    total = 0.0
    for f in range(tab_off.shape[0]):
        idx = tab_off[f]
        for j in range(f_ptr[f], f_ptr[f + 1]):
            idx += np.int64(x[f_vars[j]]) * f_stride[j]
        total += tab[idx]
    return total


@njit(cache=True, parallel=True)
def log_weights(m, xs):
    """:func:`log_weight` of each row of ``xs`` (shape ``(rows, n)``)."""
    out = np.empty(xs.shape[0])
    for r in prange(xs.shape[0]):
        out[r] = log_weight(m, xs[r])
    return out


# --------------------------------------------------------------- Gibbs kernels


@njit(cache=True, inline="always")
def max_cardinality(card):
    """The largest entry of ``card`` (at least 1): the size of a ``logp`` scratch array."""
    maxc = 1
    for v in range(card.shape[0]):
        if card[v] > maxc:
            maxc = card[v]
    return maxc


@njit(cache=True, inline="always")
def record_index(t, n_burn, thin):
    """Index of the record taken after sweep ``t`` (burn-in ``n_burn``, one in ``thin``), or -1."""
    if t < n_burn or (t - n_burn + 1) % thin != 0:
        return -1
    return (t - n_burn + 1) // thin - 1


@njit(cache=True)
def _sweep_one_chain(m, xc, free, scan, key, beta, logp):
    """One sweep of chain state ``xc``; returns -1 or the variable whose conditional is all zero."""
    card = m[0]
    nfree = free.shape[0]
    bad = -1
    if scan == 0:
        for i in range(nfree):
            v = free[i]
            local_logp(m, v, xc, logp)
            s = sample_logp(logp, card[v], beta, uniform64(key, v))
            if s < 0:
                if bad < 0:
                    bad = v
            else:
                xc[v] = s
    else:
        for i in range(nfree):
            pick = np.int64(uniform64(key, 2 * i) * nfree)
            if pick >= nfree:
                pick = nfree - 1
            v = free[pick]
            local_logp(m, v, xc, logp)
            s = sample_logp(logp, card[v], beta, uniform64(key, 2 * i + 1))
            if s < 0:
                if bad < 0:
                    bad = v
            else:
                xc[v] = s
    return bad


@njit(cache=True, parallel=True)
def gibbs_chains(m, x, free, scan, seed, sweep0, n_burn, n_rec, thin, betas, out, status):
    """Systematic (``scan=0``, order ``free``) or random (``scan=1``) scan Gibbs, chains in parallel.

    Runs ``n_burn + n_rec * thin`` sweeps numbered from ``sweep0``; after each
    ``thin``-th post-burn-in sweep the state is copied to ``out[c, r]``.  ``betas``
    holds one inverse temperature per sweep (length 1: constant).  ``status[c]`` is
    set to the first variable met with an all-zero conditional (else left as is).
    """
    card = m[0]
    maxc = max_cardinality(card)
    n_sweeps = n_burn + n_rec * thin
    nb_ = betas.shape[0]
    for c in prange(x.shape[0]):
        logp = np.empty(maxc)
        xc = x[c]
        for t in range(n_sweeps):
            beta = betas[t] if nb_ > 1 else betas[0]
            key = sweep_key(seed, c, sweep0 + t)
            bad = _sweep_one_chain(m, xc, free, scan, key, beta, logp)
            if bad >= 0 and status[c] < 0:
                status[c] = bad
            r = record_index(t, n_burn, thin)
            if r >= 0:
                for v in range(xc.shape[0]):
                    out[c, r, v] = xc[v]


@njit(cache=True, parallel=True)
def gibbs_chromatic(m, x, col_ptr, col_vars, seed, sweep0, n_burn, n_rec, thin, betas, out, status,
                    n_threads):
    """Chromatic Gibbs: the variables of each colour class are updated in parallel (``prange``).

    ``col_vars[col_ptr[k]:col_ptr[k+1]]`` are the free variables of colour ``k``; no
    two of them share a factor, so the result equals a systematic scan in the order
    ``col_vars`` (same counter-based uniforms), whatever the thread count.
    """
    card = m[0]
    maxc = max_cardinality(card)
    scratch = np.empty((n_threads, maxc))
    n_chains = x.shape[0]
    n_sweeps = n_burn + n_rec * thin
    ncol = col_ptr.shape[0] - 1
    nb_ = betas.shape[0]
    keys = np.empty(n_chains, dtype=np.uint64)
    for t in range(n_sweeps):
        beta = betas[t] if nb_ > 1 else betas[0]
        for c in range(n_chains):
            keys[c] = sweep_key(seed, c, sweep0 + t)
        for k in range(ncol):
            start = col_ptr[k]
            size = col_ptr[k + 1] - start
            for w in prange(n_chains * size):
                c = w // size
                v = col_vars[start + w % size]
                logp = scratch[nb.get_thread_id()]
                xc = x[c]
                local_logp(m, v, xc, logp)
                s = sample_logp(logp, card[v], beta, uniform64(keys[c], v))
                if s < 0:
                    if status[c] < 0:
                        status[c] = v
                else:
                    xc[v] = s
        r = record_index(t, n_burn, thin)
        if r >= 0:
            for c in prange(n_chains):
                for v in range(x.shape[1]):
                    out[c, r, v] = x[c, v]


# ----------------------------------------------------------------- annealing


@njit(cache=True, parallel=True)
def anneal_chains(m, x, free, scan, seed, betas, best_x, best_lw, status):
    """Simulated annealing: one Gibbs sweep per entry of ``betas``; keeps each chain's best state."""
    card = m[0]
    maxc = max_cardinality(card)
    for c in prange(x.shape[0]):
        logp = np.empty(maxc)
        xc = x[c]
        lw = log_weight(m, xc)
        if lw > best_lw[c]:
            best_lw[c] = lw
            best_x[c, :] = xc
        for t in range(betas.shape[0]):
            key = sweep_key(seed, c, t)
            bad = _sweep_one_chain(m, xc, free, scan, key, betas[t], logp)
            if bad >= 0 and status[c] < 0:
                status[c] = bad
            lw = log_weight(m, xc)
            if lw > best_lw[c]:
                best_lw[c] = lw
                best_x[c, :] = xc


# ----------------------------------------------------------------------- ICM


@njit(cache=True)
def icm_run(m, x, free, max_sweeps, energies):
    """Iterated conditional modes in the order ``free`` until no variable changes.

    A variable moves only to a state of strictly higher local log-weight (ties keep
    the current state), so the energy never increases and the run terminates.
    ``energies[t]`` receives the energy after sweep ``t``; returns ``(sweeps run,
    converged)``, converged meaning the last sweep changed nothing.
    """
    card = m[0]
    maxc = max_cardinality(card)
    logp = np.empty(maxc)
    for t in range(max_sweeps):
        changed = 0
        for i in range(free.shape[0]):
            v = free[i]
            local_logp(m, v, x, logp)
            cur = x[v]
            best = cur
            bv = logp[cur]
            for s in range(card[v]):
                if logp[s] > bv:
                    bv = logp[s]
                    best = s
            if best != cur:
                x[v] = best
                changed += 1
        energies[t] = -log_weight(m, x)
        if changed == 0:
            return t + 1, True
    return max_sweeps, False


# ---------------------------------------------------------------- initial state


@njit(cache=True)
def lookahead_logp(m, v, x, assigned, logp):
    """Like :func:`local_logp`, but each factor is maximized over its unassigned variables."""
    card, vf_ptr, vf_fac, vf_stride, f_ptr, f_vars, f_stride, tab, tab_off = m
    k = card[v]
    for s in range(k):
        logp[s] = 0.0
    for e in range(vf_ptr[v], vf_ptr[v + 1]):
        f = vf_fac[e]
        a = f_ptr[f]
        b = f_ptr[f + 1]
        # table size = stride of first variable * its cardinality
        size = f_stride[a] * card[f_vars[a]]
        best = np.full(k, -np.inf)
        for idx in range(size):
            ok = True
            sv = 0
            for j in range(a, b):
                u = f_vars[j]
                val = (idx // f_stride[j]) % card[u]
                if u == v:
                    sv = val
                elif assigned[u] and val != x[u]:
                    ok = False
                    break
            if ok:
                w = tab[tab_off[f] + idx]
                if w > best[sv]:
                    best[sv] = w
        for s in range(k):
            logp[s] += best[s]


@njit(cache=True)
def greedy_init(m, x, assigned, order, seed, chain, random):
    """Assign the variables of ``order`` one by one, each from its look-ahead conditional.

    With ``random`` the state is drawn from ``exp(lookahead)``, else the best one is
    taken.  Returns -1, or the first variable whose every state was already ruled out
    (it then gets state 0 and the caller repairs or reports).
    """
    card = m[0]
    maxc = max_cardinality(card)
    logp = np.empty(maxc)
    key = sweep_key(seed ^ _C1, chain, 0)
    bad = -1
    for i in range(order.shape[0]):
        v = order[i]
        lookahead_logp(m, v, x, assigned, logp)
        if random:
            s = sample_logp(logp, card[v], 1.0, uniform64(key, v))
        else:
            s = -1
            bv = -np.inf
            for q in range(card[v]):
                if logp[q] > bv:
                    bv = logp[q]
                    s = q
        if s < 0:
            if bad < 0:
                bad = v
            s = 0
        x[v] = s
        assigned[v] = True
    return bad


@njit(cache=True)
def dead_variables(m, x, assigned, candidates):
    """First candidate variable that cannot take a positive-probability state, else -1.

    A free variable is dead when each of its states makes some factor zero whatever
    the unassigned variables do; an assigned one when its own value does.
    """
    card = m[0]
    maxc = max_cardinality(card)
    logp = np.empty(maxc)
    for i in range(candidates.shape[0]):
        v = candidates[i]
        lookahead_logp(m, v, x, assigned, logp)
        if assigned[v]:
            if logp[x[v]] == -np.inf:
                return v
            continue
        alive = False
        for s in range(card[v]):
            if logp[s] > -np.inf:
                alive = True
                break
        if not alive:
            return v
    return -1
