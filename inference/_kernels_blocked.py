"""Numba kernels of blocked Gibbs over a flattened factor graph (see :mod:`pgm.inference.compiled`).

A scan visits *sites*: ``site_vars[site_ptr[i]:site_ptr[i + 1]]`` are the variables
of site ``i``, one for a single-site update, several for a block; ``sf_fac[sf_ptr[i]:
sf_ptr[i + 1]]`` are the factors touching a block.  A block is drawn jointly from its
exact conditional given the rest: its joint states are enumerated in mixed radix (the
last variable fastest) and each gets the sum of the log-values of the factors
touching the block, the other variables at their current values.

A single site uses exactly the update and the uniform of
:func:`pgm.inference._kernels_generic._sweep_one_chain`; a block uses the uniform
of counter ``v`` of its first variable ``v`` (systematic scan), so the counters of
the sites never collide.

This module imports numba; it is loaded lazily by :func:`pgm.inference.gibbs_sample`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from pgm.inference._kernels_generic import (
    exp_normalize,
    local_logp,
    max_cardinality,
    record_index,
    sample_logp,
    sweep_key,
    uniform64,
)


@njit(cache=True)
def block_states(card, site_ptr, site_vars):
    """The largest number of joint states of a site (at least 1): the scratch size."""
    big = 1
    for i in range(site_ptr.shape[0] - 1):
        tot = 1
        for j in range(site_ptr[i], site_ptr[i + 1]):
            tot *= card[site_vars[j]]
        if tot > big:
            big = tot
    return big


@njit(cache=True)
def block_logp(m, bvars, facs, x, logp, digits, fstride):
    """Fill ``logp[:S]`` with the log-weight of each joint state of the block ``bvars``.

    ``S`` (returned) is the product of the block's cardinalities; ``facs`` are the
    factors touching the block; the other variables are read from ``x``.
    ``digits`` and ``fstride`` are scratch arrays of at least ``len(bvars)`` entries.
    """
    card, vf_ptr, vf_fac, vf_stride, f_ptr, f_vars, f_stride, tab, tab_off = m
    nv = bvars.shape[0]
    total = 1
    for p in range(nv):
        total *= card[bvars[p]]
    for s in range(total):
        logp[s] = 0.0
    for e in range(facs.shape[0]):
        f = facs[e]
        base = tab_off[f]
        for p in range(nv):
            fstride[p] = 0
            digits[p] = 0
        for j in range(f_ptr[f], f_ptr[f + 1]):
            u = f_vars[j]
            inside = False
            for p in range(nv):
                if bvars[p] == u:
                    fstride[p] = f_stride[j]
                    inside = True
                    break
            if not inside:
                base += np.int64(x[u]) * f_stride[j]
        idx = base
        for s in range(total):
            logp[s] += tab[idx]
            p = nv - 1
            while p >= 0:    # odometer step, keeping idx the table index of the digits
                digits[p] += 1
                idx += fstride[p]
                if digits[p] < card[bvars[p]]:
                    break
                idx -= digits[p] * fstride[p]
                digits[p] = 0
                p -= 1
    return total


@njit(cache=True)
def update_site(m, xc, site_ptr, site_vars, sf_ptr, sf_fac, i, beta, u, logp, digits, fstride):
    """Gibbs update of site ``i`` of chain state ``xc`` with the uniform ``u``.

    Returns -1, or the (first) variable of a site whose conditional is all zero (the
    state is then left as it was).
    """
    card = m[0]
    a = site_ptr[i]
    b = site_ptr[i + 1]
    if b - a == 1:
        v = site_vars[a]
        local_logp(m, v, xc, logp)
        s = sample_logp(logp, card[v], beta, u)
        if s < 0:
            return v
        xc[v] = s
        return -1
    bvars = site_vars[a:b]
    total = block_logp(m, bvars, sf_fac[sf_ptr[i]:sf_ptr[i + 1]], xc, logp, digits, fstride)
    s = sample_logp(logp, total, beta, u)
    if s < 0:
        return bvars[0]
    for p in range(b - a - 1, -1, -1):
        k = card[bvars[p]]
        xc[bvars[p]] = s % k
        s //= k
    return -1


@njit(cache=True)
def _sweep_sites(m, xc, site_ptr, site_vars, sf_ptr, sf_fac, scan, key, beta, logp, digits,
                 fstride):
    """One sweep over the sites (``scan`` 0: in order; 1: as many uniformly drawn sites)."""
    nsites = site_ptr.shape[0] - 1
    bad = -1
    for i in range(nsites):
        if scan == 0:
            site = i
            u = uniform64(key, site_vars[site_ptr[i]])
        else:
            site = np.int64(uniform64(key, 2 * i) * nsites)
            if site >= nsites:
                site = nsites - 1
            u = uniform64(key, 2 * i + 1)
        r = update_site(m, xc, site_ptr, site_vars, sf_ptr, sf_fac, site, beta, u, logp, digits,
                        fstride)
        if r >= 0 and bad < 0:
            bad = r
    return bad


@njit(cache=True, parallel=True)
def gibbs_blocked_chains(m, x, site_ptr, site_vars, sf_ptr, sf_fac, scan, seed, sweep0, n_burn,
                         n_rec, thin, betas, out, status):
    """Blocked Gibbs, chains in parallel: the twin of
    :func:`pgm.inference._kernels_generic.gibbs_chains` over sites instead of variables.

    Systematic (``scan=0``, sites in order) or random (``scan=1``: each sweep makes as
    many updates as there are sites, each of a uniformly drawn site).  Records,
    thinning, ``betas`` and ``status`` are as in ``gibbs_chains``.
    """
    card = m[0]
    size = max(max_cardinality(card), block_states(card, site_ptr, site_vars))
    width = 1
    for i in range(site_ptr.shape[0] - 1):
        if site_ptr[i + 1] - site_ptr[i] > width:
            width = site_ptr[i + 1] - site_ptr[i]
    n_sweeps = n_burn + n_rec * thin
    nb_ = betas.shape[0]
    for c in prange(x.shape[0]):
        logp = np.empty(size)
        digits = np.zeros(width, dtype=np.int64)
        fstride = np.zeros(width, dtype=np.int64)
        xc = x[c]
        for t in range(n_sweeps):
            beta = betas[t] if nb_ > 1 else betas[0]
            key = sweep_key(seed, c, sweep0 + t)
            bad = _sweep_sites(m, xc, site_ptr, site_vars, sf_ptr, sf_fac, scan, key, beta, logp,
                               digits, fstride)
            if bad >= 0 and status[c] < 0:
                status[c] = bad
            r = record_index(t, n_burn, thin)
            if r >= 0:
                for v in range(xc.shape[0]):
                    out[c, r, v] = xc[v]


@njit(cache=True)
def block_conditional(m, bvars, facs, x, beta):
    """``p(block | rest)`` over the joint states of ``bvars`` (mixed radix, last fastest);
    all zeros if every joint state has probability zero."""
    card = m[0]
    total = 1
    for p in range(bvars.shape[0]):
        total *= card[bvars[p]]
    logp = np.empty(total)
    digits = np.zeros(bvars.shape[0], dtype=np.int64)
    fstride = np.zeros(bvars.shape[0], dtype=np.int64)
    block_logp(m, bvars, facs, x, logp, digits, fstride)
    return exp_normalize(logp, beta)
