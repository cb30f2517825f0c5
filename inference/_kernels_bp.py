"""Numba kernels of loopy belief propagation (see :mod:`pgm.inference.loopy_bp`).

The wiring travels as a tuple ``g = (card, f_ptr, f_vars, tab, tab_off, t_size, e_off,
ve_ptr, ve_edge, ve_fac, u_off, unary)``:

* ``card``, ``f_ptr``, ``f_vars``, ``tab``, ``tab_off`` - as in
  :mod:`pgm.inference.compiled` (scopes in CSR, every log-table in C order, concatenated);
  ``t_size[f]`` is the number of entries of factor ``f``'s table;
* an **edge** is a position ``p`` in ``f_vars`` (factor ``f`` owns ``f_ptr[f]:f_ptr[f+1]``);
  its messages (factor to variable and variable to factor) are
  ``msg[e_off[p]:e_off[p + 1]]``, one log-value per state of ``f_vars[p]``;
* ``ve_ptr``/``ve_edge``/``ve_fac`` - per variable, CSR list of its edges and their factors;
* ``unary[u_off[v]:u_off[v + 1]]`` - the log unary potential of variable ``v``: hard
  evidence (``0`` at the observed state, ``-inf`` elsewhere) plus the log of the soft
  evidence.

Messages are in log space: a factor's, each normalized so that ``logsumexp = 0`` (and
its probabilities kept in ``pfv``, to measure changes); a variable's, the plain sum of
its terms.  ``mode`` is ``0``
for sum-product (``logsumexp`` over the other variables of a scope) and ``1`` for
max-product.  A message with no state of positive weight marks a contradiction: the
kernels return its variable or factor so that the caller can raise.

This module imports numba; it is loaded lazily by the public functions.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

NEG_INF = -np.inf


# ------------------------------------------------------------------ helpers


@njit(cache=True, inline="always")
def log_normalize(a, lo, hi):
    """Shift ``a[lo:hi]`` so that its ``logsumexp`` is 0; returns the shift (``-inf``: all zero,
    then ``a`` is left as is)."""
    mx = NEG_INF
    for i in range(lo, hi):
        if a[i] > mx:
            mx = a[i]
    if mx == NEG_INF:
        return NEG_INF
    s = 0.0
    for i in range(lo, hi):
        d = a[i] - mx
        s += 1.0 if d == 0.0 else np.exp(d)
    c = mx + np.log(s)
    for i in range(lo, hi):
        a[i] -= c
    return c


@njit(cache=True, inline="always")
def next_state(xs, p0, p1, card, f_vars):
    """Advance the odometer ``xs[p0:p1]`` over a factor's scope to the next table entry
    (C order: the last variable fastest)."""
    i = p1 - 1
    while i >= p0:
        xs[i] += 1
        if xs[i] < card[f_vars[i]]:
            return
        xs[i] = 0
        i -= 1


@njit(cache=True)
def variable_messages(g, v, fv, vf, vsum, vninf):
    """Variable ``v`` to each of its factors: the unary plus every other incoming message
    (not normalized: only the factors' messages are, and they are what converges).

    ``vsum``/``vninf`` (indexed like ``unary``) are scratch: the finite part of the sum
    of all incoming log-messages and the count of ``-inf`` terms, so that each outgoing
    message costs one subtraction (``O(degree)``, not ``O(degree^2)``).  Returns 1 if
    some outgoing message has no state of positive weight, else 0.
    """
    card, e_off, ve_ptr, ve_edge, u_off, unary = g[0], g[6], g[7], g[8], g[10], g[11]
    k = card[v]
    uo = u_off[v]
    for s in range(k):
        u = unary[uo + s]
        if u == NEG_INF:
            vsum[uo + s] = 0.0
            vninf[uo + s] = 1
        else:
            vsum[uo + s] = u
            vninf[uo + s] = 0
    for q in range(ve_ptr[v], ve_ptr[v + 1]):
        o = e_off[ve_edge[q]]
        for s in range(k):
            m = fv[o + s]
            if m == NEG_INF:
                vninf[uo + s] += 1
            else:
                vsum[uo + s] += m
    bad = 0
    for q in range(ve_ptr[v], ve_ptr[v + 1]):
        o = e_off[ve_edge[q]]
        for s in range(k):
            m = fv[o + s]
            if m == NEG_INF:
                vf[o + s] = vsum[uo + s] if vninf[uo + s] == 1 else NEG_INF
            else:
                vf[o + s] = vsum[uo + s] - m if vninf[uo + s] == 0 else NEG_INF
        top = NEG_INF
        for s in range(k):
            if vf[o + s] > top:
                top = vf[o + s]
        if top == NEG_INF:
            bad = 1
    return bad


#: the divided-out path needs every weight of a factor within this many nats of its
#: largest (``exp`` of the gap must not underflow)
DIVIDE_RANGE = 690.0


@njit(cache=True)
def factor_messages_divided(g, f, vf, out, acc, xs, mode):
    """:func:`factor_messages` by dividing out: with ``w(x) = tab(x) + sum_i vf_i(x_i)``,
    the message to ``p`` at ``s`` is ``log sum_{x_p = s} exp(w) - vf_p(s)`` (or the max),
    one ``exp`` per table entry instead of one per entry and variable.  Only where it is
    exact: every incoming message finite (no evidence ``-inf``) and, for sum-product,
    the finite weights within :data:`DIVIDE_RANGE` nats of each other.  Returns whether
    it ran (else the caller takes the general path)."""
    card, f_ptr, f_vars, tab, tab_off, t_size, e_off = g[0], g[1], g[2], g[3], g[4], g[5], g[6]
    p0 = f_ptr[f]
    p1 = f_ptr[f + 1]
    for i in range(e_off[p0], e_off[p1]):
        if vf[i] == NEG_INF:
            return False
    to = tab_off[f]
    n = t_size[f]
    top = NEG_INF
    low = np.inf
    if mode == 0:
        for p in range(p0, p1):
            xs[p] = 0
        for t in range(n):
            w = tab[to + t]
            if w != NEG_INF:
                for i in range(p0, p1):
                    w += vf[e_off[i] + xs[i]]
                if w > top:
                    top = w
                if w < low:
                    low = w
            next_state(xs, p0, p1, card, f_vars)
        if top == NEG_INF or top - low > DIVIDE_RANGE:
            return False
    for p in range(p0, p1):
        xs[p] = 0
        for i in range(e_off[p], e_off[p + 1]):
            out[i] = NEG_INF
            acc[i] = 0.0
    for t in range(n):
        w = tab[to + t]
        if w != NEG_INF:
            for i in range(p0, p1):
                w += vf[e_off[i] + xs[i]]
            if mode == 1:
                for j in range(p0, p1):
                    idx = e_off[j] + xs[j]
                    if w > out[idx]:
                        out[idx] = w
            else:
                x = np.exp(w - top)
                for j in range(p0, p1):
                    acc[e_off[j] + xs[j]] += x
        next_state(xs, p0, p1, card, f_vars)
    for i in range(e_off[p0], e_off[p1]):
        if mode == 1:
            if out[i] != NEG_INF:
                out[i] -= vf[i]
        elif acc[i] > 0.0:
            out[i] = np.log(acc[i]) + top - vf[i]
    return True


@njit(cache=True)
def factor_messages(g, f, vf, out, acc, xs, mode):
    """Unnormalized log-messages of factor ``f`` to each variable of its scope, into ``out``.

    ``out[e_off[p] + s] = log sum`` (``mode=0``) or ``log max`` (``mode=1``) over the
    table entries with ``x_p = s`` of ``tab + sum_{i != p} vf_i[x_i]``; the sum is an
    online ``logsumexp`` (``acc`` holds the running sums; ``xs`` the odometer of the
    scope, slots ``f_ptr[f]:f_ptr[f+1]``).
    """
    card, f_ptr, f_vars, tab, tab_off, t_size, e_off = g[0], g[1], g[2], g[3], g[4], g[5], g[6]
    p0 = f_ptr[f]
    p1 = f_ptr[f + 1]
    if p1 == p0:
        return
    if factor_messages_divided(g, f, vf, out, acc, xs, mode):
        return
    for p in range(p0, p1):
        xs[p] = 0
        for i in range(e_off[p], e_off[p + 1]):
            out[i] = NEG_INF
            acc[i] = 0.0
    to = tab_off[f]
    for t in range(t_size[f]):
        base = tab[to + t]
        if base != NEG_INF:
            for j in range(p0, p1):
                val = base
                for i in range(p0, p1):
                    if i != j:
                        val += vf[e_off[i] + xs[i]]
                if val != NEG_INF:
                    idx = e_off[j] + xs[j]
                    mx = out[idx]
                    if mode == 1:
                        if val > mx:
                            out[idx] = val
                    elif mx == NEG_INF:
                        acc[idx] = 1.0
                        out[idx] = val
                    elif val <= mx:
                        acc[idx] += np.exp(val - mx)
                    else:
                        acc[idx] = acc[idx] * np.exp(mx - val) + 1.0
                        out[idx] = val
        next_state(xs, p0, p1, card, f_vars)
    if mode == 0:
        for i in range(e_off[p0], e_off[p1]):
            if out[i] != NEG_INF:
                out[i] += np.log(acc[i])


@njit(cache=True)
def settle_messages(g, f, fv, pfv, new, damping, commit):
    """Normalize factor ``f``'s new messages in ``new``, damp them towards ``fv`` in log
    space (``(1 - d) new + d old``, normalized) and return the largest change in probability
    space against ``pfv`` (``exp(fv)``); ``-1.0`` if a message has no state of positive
    weight.  With ``commit``, also copy them to ``fv`` and their probabilities to ``pfv``."""
    f_ptr, e_off = g[1], g[6]
    change = 0.0
    for p in range(f_ptr[f], f_ptr[f + 1]):
        lo = e_off[p]
        hi = e_off[p + 1]
        if log_normalize(new, lo, hi) == NEG_INF:
            return -1.0
        if damping > 0.0:
            for i in range(lo, hi):
                new[i] = (1.0 - damping) * new[i] + damping * fv[i]
            if log_normalize(new, lo, hi) == NEG_INF:
                return -1.0
        for i in range(lo, hi):
            e = np.exp(new[i])
            d = abs(e - pfv[i])
            if d > change:
                change = d
            if commit:
                fv[i] = new[i]
                pfv[i] = e
    return change


@njit(cache=True)
def first_flag(flags):
    """Index of the first nonzero entry of ``flags``, or -1."""
    for i in range(flags.shape[0]):
        if flags[i] != 0:
            return i
    return -1


# ---------------------------------------------------------------- schedules


@njit(cache=True, parallel=True)
def flooding(g, fv, pfv, vf, new, acc, xs, vsum, vninf, damping, tol, max_iter, mode, chg,
             bad_v, bad_f):
    """Parallel (flooding) schedule: all variable messages, then all factor messages.

    Runs until the largest change of a factor message is below ``tol`` or for
    ``max_iter`` rounds; returns ``(rounds, last largest change, status)`` with status
    ``-1`` (fine), ``v`` (variable ``v`` sent an all-zero message) or ``-2 - f`` (factor
    ``f`` did).  ``chg``, ``bad_v``, ``bad_f`` are scratch of one entry per factor or
    variable.
    """
    card, f_ptr = g[0], g[1]
    n = card.shape[0]
    nf = f_ptr.shape[0] - 1
    it = 0
    change = np.inf
    while it < max_iter:
        nbad = 0
        for v in prange(n):
            b = variable_messages(g, v, fv, vf, vsum, vninf)
            bad_v[v] = b
            nbad += b
        if nbad > 0:
            return it, change, first_flag(bad_v)
        for f in prange(nf):
            if it > 0 and damping == 0.0 and f_ptr[f + 1] - f_ptr[f] == 1:
                chg[f] = 0.0     # an undamped unary factor's message is its normalized table
                continue
            factor_messages(g, f, vf, new, acc, xs, mode)
            c = settle_messages(g, f, fv, pfv, new, damping, True)
            chg[f] = c
            if c < 0.0:
                bad_f[f] = 1
                nbad += 1
        if nbad > 0:
            return it, change, -2 - first_flag(bad_f)
        it += 1
        change = 0.0
        for f in range(nf):
            if chg[f] > change:
                change = chg[f]
        if change < tol:
            break
    return it, change, -1


@njit(cache=True, inline="always")
def heap_swap(heap, pos, i, j):
    a = heap[i]
    b = heap[j]
    heap[i] = b
    heap[j] = a
    pos[b] = i
    pos[a] = j


@njit(cache=True)
def heap_update(heap, pos, key, f, value):
    """Set ``key[f] = value`` and restore the max-heap order of ``heap`` (``pos``: inverse)."""
    old = key[f]
    key[f] = value
    i = pos[f]
    size = heap.shape[0]
    if value > old:
        while i > 0:
            parent = (i - 1) // 2
            if key[heap[parent]] >= key[heap[i]]:
                break
            heap_swap(heap, pos, i, parent)
            i = parent
    else:
        while True:
            left = 2 * i + 1
            if left >= size:
                break
            best = left
            right = left + 1
            if right < size and key[heap[right]] > key[heap[left]]:
                best = right
            if key[heap[best]] <= key[heap[i]]:
                break
            heap_swap(heap, pos, i, best)
            i = best


@njit(cache=True)
def residual(g, fv, pfv, vf, new, acc, xs, vsum, vninf, damping, tol, max_updates, mode):
    """Residual schedule: repeatedly commit the pending messages of the factor whose
    messages would change most, then refresh the messages of its variables and the
    pending messages (and residuals) of their factors.

    A priority queue (binary max-heap) holds one residual per factor.  Returns
    ``(updates, largest pending change, status)`` with status as in :func:`flooding`.
    """
    card, f_ptr, e_off, ve_ptr, ve_fac, f_vars = g[0], g[1], g[6], g[7], g[9], g[2]
    n = card.shape[0]
    nf = f_ptr.shape[0] - 1
    for v in range(n):
        if variable_messages(g, v, fv, vf, vsum, vninf):
            return 0, np.inf, v
    key = np.zeros(nf)
    for f in range(nf):
        factor_messages(g, f, vf, new, acc, xs, mode)
        c = settle_messages(g, f, fv, pfv, new, damping, False)
        if c < 0.0:
            return 0, np.inf, -2 - f
        key[f] = c
    order = np.argsort(-key)
    heap = np.empty(nf, dtype=np.int64)
    pos = np.empty(nf, dtype=np.int64)
    for i in range(nf):
        heap[i] = order[i]
        pos[order[i]] = i
    mark = np.full(nf, -1, dtype=np.int64)
    updates = 0
    change = key[heap[0]] if nf else 0.0
    while updates < max_updates:
        f = heap[0] if nf else -1
        if f < 0 or key[f] < tol:
            break
        for i in range(e_off[f_ptr[f]], e_off[f_ptr[f + 1]]):
            fv[i] = new[i]
            pfv[i] = np.exp(new[i])
        updates += 1
        for p in range(f_ptr[f], f_ptr[f + 1]):
            v = f_vars[p]
            if variable_messages(g, v, fv, vf, vsum, vninf):
                return updates, change, v
            for q in range(ve_ptr[v], ve_ptr[v + 1]):
                h = ve_fac[q]
                if mark[h] != updates:
                    mark[h] = updates
                    factor_messages(g, h, vf, new, acc, xs, mode)
                    c = settle_messages(g, h, fv, pfv, new, damping, False)
                    if c < 0.0:
                        return updates, change, -2 - h
                    heap_update(heap, pos, key, h, c)
        change = key[heap[0]]
    if nf:
        change = key[heap[0]]
    return updates, change, -1


# ------------------------------------------------------------------ beliefs


@njit(cache=True, parallel=True)
def beliefs(g, fv, vf, vsum, vninf, xs, degree, vb, fb, bad_v, bad_f):
    """Normalized log-beliefs of every variable (``vb``, indexed like ``unary``) and every
    factor (``fb``, indexed like ``tab``) from the factor messages ``fv`` (the variable
    messages are refreshed first), and the Bethe estimate of ``log Z``.

    Returns ``(log Z estimate, status)``, status as in :func:`flooding`; the Bethe sum
    skips states of zero belief (``0 log 0 = 0``).
    """
    card, f_ptr, f_vars, tab, tab_off, t_size, e_off = g[0], g[1], g[2], g[3], g[4], g[5], g[6]
    ve_ptr, ve_edge, u_off, unary = g[7], g[8], g[10], g[11]
    n = card.shape[0]
    nf = f_ptr.shape[0] - 1
    nbad = 0
    for v in prange(n):
        b = variable_messages(g, v, fv, vf, vsum, vninf)
        bad_v[v] = b
        nbad += b
    if nbad > 0:
        return np.nan, first_flag(bad_v)
    bethe = 0.0
    for v in prange(n):
        lo = u_off[v]
        hi = u_off[v + 1]
        for i in range(lo, hi):
            vb[i] = unary[i]
        for q in range(ve_ptr[v], ve_ptr[v + 1]):
            o = e_off[ve_edge[q]]
            for s in range(card[v]):
                vb[lo + s] += fv[o + s]
        if log_normalize(vb, lo, hi) == NEG_INF:
            bad_v[v] = 1
            nbad += 1
        else:
            ent = 0.0
            avg = 0.0
            for i in range(lo, hi):
                if vb[i] != NEG_INF:
                    p = np.exp(vb[i])
                    ent += p * vb[i]
                    avg += p * unary[i]
            bethe += (degree[v] - 1) * ent + avg
    if nbad > 0:
        return np.nan, first_flag(bad_v)
    for f in prange(nf):
        p0 = f_ptr[f]
        p1 = f_ptr[f + 1]
        to = tab_off[f]
        for p in range(p0, p1):
            xs[p] = 0
        for t in range(t_size[f]):
            val = tab[to + t]
            for i in range(p0, p1):
                val += vf[e_off[i] + xs[i]]
            fb[to + t] = val
            next_state(xs, p0, p1, card, f_vars)
        if log_normalize(fb, to, to + t_size[f]) == NEG_INF:
            bad_f[f] = 1
            nbad += 1
        else:
            term = 0.0
            for t in range(to, to + t_size[f]):
                if fb[t] != NEG_INF:
                    term += np.exp(fb[t]) * (tab[t] - fb[t])
            bethe += term
    if nbad > 0:
        return np.nan, -2 - first_flag(bad_f)
    return bethe, -1
