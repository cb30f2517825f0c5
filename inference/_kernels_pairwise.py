"""Numba kernels for pairwise binary models in Ising form (spins ``int8`` in {-1, +1}).

Energy ``E(s) = -sum_i h_i s_i - sum_{i<j} J_ij s_i s_j``; the conditional of one spin
is ``p(s_i = +1 | rest) = sigmoid(2 beta f_i)`` with the local field
``f_i = h_i + sum_j J_ij s_j``.

* 2-D grids (4 or 8 neighbours, open or periodic boundary, uniform couplings,
  per-site field): float32 arithmetic, checkerboard (4-neighbour: 2 colours;
  8-neighbour: 4 colours) with rows in parallel.
* Sparse couplings in CSR: chromatic updates, colour classes in parallel.
* Bernoulli / sign sampling from logits or probabilities (the RBM's block steps,
  after the fields came from a BLAS product in NumPy).

All randomness is a counter-based hash of ``(seed, chain or row, sweep or step,
site)``, so the results do not depend on the number of threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from pgm.inference._kernels_generic import record_index, sweep_key, uniform32, uniform64
from pgm.inference.binary import BRACKET_BINS, BRACKET_XMAX

# ---------------------------------------------------------------------- grids


@njit(cache=True, inline="always")
def _adjacent(i, n, periodic):
    """(previous index, its weight, next index, its weight) of index ``i`` of a grid axis
    of length ``n`` (rows: up/down; columns: left/right).  Weight 0 marks a missing
    neighbour on a non-periodic edge (its index is a harmless 0)."""
    if i > 0:
        prev, wp = i - 1, 1
    elif periodic:
        prev, wp = n - 1, 1
    else:
        prev, wp = 0, 0
    if i < n - 1:
        nxt, wn = i + 1, 1
    elif periodic:
        nxt, wn = 0, 1
    else:
        nxt, wn = 0, 0
    return prev, wp, nxt, wn


@njit(cache=True, inline="always")
def _grid_field(sc, frow, i, j, H, W, J, Jd, conn, periodic):
    """Local field of site (i, j) of one chain's spins ``sc`` (H, W)."""
    up, wu, dn, wd = _adjacent(i, H, periodic)
    lf, wl, rt, wr = _adjacent(j, W, periodic)
    nbs = wu * np.int32(sc[up, j]) + wd * np.int32(sc[dn, j]) \
        + wl * np.int32(sc[i, lf]) + wr * np.int32(sc[i, rt])
    f = frow[j] + J * np.float32(nbs)
    if conn == 8:
        dg = wu * wl * np.int32(sc[up, lf]) + wu * wr * np.int32(sc[up, rt]) \
            + wd * wl * np.int32(sc[dn, lf]) + wd * wr * np.int32(sc[dn, rt])
        f += Jd * np.float32(dg)
    return f


# Exp-free decision for the per-site-field path.  ``p = sigmoid(x)``, ``x = 2 beta f``, is
# bracketed by a table over bins of ``x`` (independent of beta): ``brk[2b] <= p <
# brk[2b + 1]`` for every ``x`` of bin ``b``, with a margin far above the float32
# rounding of ``x`` and ``p``.  A uniform below the lower bound gives +1, one at or
# above the upper bound -1; only the rare uniform in between (about 0.1% of the
# sites) computes ``p = 1 / (1 + exp(-x))`` exactly as before.  So the spins are
# bit-identical to the plain ``exp`` path, at the cost of a table lookup.
# (the table is pgm.inference.grid.bracket_table, the constants pgm.inference.binary's)
_BX = np.float32(BRACKET_XMAX)
_BINV = np.float32(BRACKET_BINS / (2.0 * BRACKET_XMAX))
_BTOP = np.float32(BRACKET_BINS + 1)


@njit(cache=True, inline="always", fastmath=True)
def _spin_or_zero(f, beta2, u, brk):
    """+1 / -1 when the table decides ``u < sigmoid(beta2 * f)``, else 0 (no branch, no call)."""
    t = (beta2 * f + _BX) * _BINV + np.float32(1.0)
    t = min(max(t, np.float32(0.0)), _BTOP)
    b = 2 * np.int32(t)
    return np.int8(u < brk[b]) - np.int8(u >= brk[b + 1])


@njit(cache=True, inline="always", fastmath=True)
def _exact_spin(f, beta2, u):
    p = np.float32(1.0) / (np.float32(1.0) + np.exp(-beta2 * f))
    return 1 if u < p else -1


@njit(cache=True, inline="always", fastmath=True)
def _spin(f, beta2, u, brk):
    """+1 if ``u < sigmoid(beta2 * f)`` else -1, ``exp`` only when the table cannot tell."""
    t = (beta2 * f + _BX) * _BINV + np.float32(1.0)
    t = min(max(t, np.float32(0.0)), _BTOP)
    b = 2 * np.int32(t)
    p = brk[b]
    if u >= p and u < brk[b + 1]:
        p = np.float32(1.0) / (np.float32(1.0) + np.exp(-beta2 * f))
    return 1 if u < p else -1


@njit(cache=True, inline="always", fastmath=True)
def _edge4(srow, su, sd, wu, wd, j, W, periodic, mode, frow, irow, lut, J, beta2, key, base,
           brk):
    lf, wl, rt, wr = _adjacent(j, W, periodic)
    nbs = wu * np.int32(su[j]) + wd * np.int32(sd[j]) \
        + wl * np.int32(srow[lf]) + wr * np.int32(srow[rt])
    u = uniform32(key, base + j)
    if mode == 2:
        srow[j] = 1 if u < lut[nbs + 4] else -1
    elif mode == 1:
        srow[j] = 1 if u < lut[np.int32(irow[j]) * 9 + nbs + 4] else -1
    else:
        srow[j] = _spin(frow[j] + J * np.float32(nbs), beta2, u, brk)


@njit(cache=True, inline="always", fastmath=True)
def _row4(srow, su, sd, wu, wd, j0, W, periodic, mode, frow, irow, lut, J, beta2, key, base,
          brk):
    """Update the sites ``j0, j0 + 2, ...`` of one row (4 neighbours).

    ``mode``: 2 one field level (table by neighbour sum), 1 table by level, 0 per-site
    field (bracketed ``exp``).
    """
    js = j0
    if j0 == 0:
        _edge4(srow, su, sd, wu, wd, 0, W, periodic, mode, frow, irow, lut, J, beta2, key, base,
               brk)
        js = 2
    # interior sites 0 < j < W - 1: no boundary test
    if mode == 2:
        for j in range(js, W - 1, 2):
            nbs = wu * np.int32(su[j]) + wd * np.int32(sd[j]) + np.int32(srow[j - 1]) \
                + np.int32(srow[j + 1])
            srow[j] = 1 if uniform32(key, base + j) < lut[nbs + 4] else -1
    elif mode == 1:
        for j in range(js, W - 1, 2):
            nbs = wu * np.int32(su[j]) + wd * np.int32(sd[j]) + np.int32(srow[j - 1]) \
                + np.int32(srow[j + 1])
            p = lut[np.int32(irow[j]) * 9 + nbs + 4]
            srow[j] = 1 if uniform32(key, base + j) < p else -1
    else:
        # pass 1 (no call in the loop): the table decides, undecided sites get 0 ...
        nz = 0
        for j in range(js, W - 1, 2):
            nbs = wu * np.int32(su[j]) + wd * np.int32(sd[j]) + np.int32(srow[j - 1]) \
                + np.int32(srow[j + 1])
            f = frow[j] + J * np.float32(nbs)
            sv = _spin_or_zero(f, beta2, uniform32(key, base + j), brk)
            srow[j] = sv
            nz += sv == 0
        # ... pass 2: exact exp for those (their neighbours are of the other colour)
        if nz > 0:
            for j in range(js, W - 1, 2):
                if srow[j] == 0:
                    nbs = wu * np.int32(su[j]) + wd * np.int32(sd[j]) + np.int32(srow[j - 1]) \
                        + np.int32(srow[j + 1])
                    f = frow[j] + J * np.float32(nbs)
                    srow[j] = _exact_spin(f, beta2, uniform32(key, base + j))
    if W > 1 and (W - 1) % 2 == j0 and W - 1 >= js:
        _edge4(srow, su, sd, wu, wd, W - 1, W, periodic, mode, frow, irow, lut, J, beta2, key,
               base, brk)


@njit(cache=True, inline="always", fastmath=True)
def _row8(srow, su, sd, wu, wd, j0, W, periodic, frow, irow, lut, use_lut, J, Jd, beta2, key,
          base, brk):
    nz = 0
    for j in range(j0, W, 2):
        lf, wl, rt, wr = _adjacent(j, W, periodic)
        nbs = wu * np.int32(su[j]) + wd * np.int32(sd[j]) \
            + wl * np.int32(srow[lf]) + wr * np.int32(srow[rt])
        dg = wu * wl * np.int32(su[lf]) + wu * wr * np.int32(su[rt]) \
            + wd * wl * np.int32(sd[lf]) + wd * wr * np.int32(sd[rt])
        u = uniform32(key, base + j)
        if use_lut:
            p = lut[np.int32(irow[j]) * 81 + (nbs + 4) * 9 + dg + 4]
            srow[j] = 1 if u < p else -1
        else:
            f = frow[j] + J * np.float32(nbs) + Jd * np.float32(dg)
            sv = _spin_or_zero(f, beta2, u, brk)
            srow[j] = sv
            nz += sv == 0
    if nz > 0:      # exact exp for the sites the table left undecided (0)
        for j in range(j0, W, 2):
            if srow[j] == 0:
                lf, wl, rt, wr = _adjacent(j, W, periodic)
                nbs = wu * np.int32(su[j]) + wd * np.int32(sd[j]) \
                    + wl * np.int32(srow[lf]) + wr * np.int32(srow[rt])
                dg = wu * wl * np.int32(su[lf]) + wu * wr * np.int32(su[rt]) \
                    + wd * wl * np.int32(sd[lf]) + wd * wr * np.int32(sd[rt])
                f = frow[j] + J * np.float32(nbs) + Jd * np.float32(dg)
                srow[j] = _exact_spin(f, beta2, uniform32(key, base + j))


@njit(cache=True)
def _fill_lut(lut, levels, J, Jd, conn, beta2):
    """``lut[l * Q + q]``: p(+1) for field level ``l`` and neighbour-sum code ``q``."""
    Q = 9 if conn == 4 else 81
    for lv in range(levels.shape[0]):
        for q in range(Q):
            if conn == 4:
                f = levels[lv] + J * np.float32(q - 4)
            else:
                f = levels[lv] + J * np.float32(q // 9 - 4) + Jd * np.float32(q % 9 - 4)
            lut[lv * Q + q] = np.float32(1.0) / (np.float32(1.0) + np.exp(-beta2 * f))


@njit(cache=True, inline="always")
def _first_column(i, col, conn, W):
    """First column of row ``i`` in colour ``col`` of the checkerboard (``W``: none).

    Two colours with 4 neighbours (``(i + j) % 2``), four with 8 (``(i % 2, j % 2)``).
    """
    if conn == 4:
        return (i + col) & 1
    return col & 1 if (i & 1) == (col >> 1) else W


@njit(cache=True, inline="always")
def _record_row(srow, c, i, W, r, counts, samples):
    if counts.size > 0:
        crow = counts[c, i]
        for j in range(W):
            crow[j] += srow[j]
    if samples.size > 0:
        base = i * W
        for j in range(W):
            samples[c, r, base + j] = srow[j]


@njit(cache=True, inline="always")
def _do_row(sc, i, j0, H, W, conn, periodic, mode, use_lut, field, field_idx, lut, J, Jd,
            beta2, key, brk, has_clamp, clamp, clamp_values):
    up, wu, dn, wd = _adjacent(i, H, periodic)
    srow = sc[i]
    base = i * W
    irow = field_idx[i] if use_lut else field_idx[0:0].ravel()
    if conn == 4:
        _row4(srow, sc[up], sc[dn], wu, wd, j0, W, periodic, mode, field[i], irow, lut, J,
              beta2, key, base, brk)
    else:
        _row8(srow, sc[up], sc[dn], wu, wd, j0, W, periodic, field[i], irow, lut, use_lut,
              J, Jd, beta2, key, base, brk)
    if has_clamp:
        for j in range(j0, W, 2):
            if clamp[i, j]:
                srow[j] = clamp_values[i, j]


@njit(cache=True, parallel=True, fastmath=True)
def grid_gibbs(spins, field, field_idx, levels, J, Jd, conn, periodic, betas, seed, sweep0,
               n_sweeps, clamp, clamp_values, brk, counts, samples, rec_from, thin):
    """Checkerboard Gibbs sweeps on spins ``(chains, H, W)`` in place.

    ``field`` is float32 ``(H, W)`` (not read when the table is used); ``J``/``Jd``
    float32 couplings to the 4 axis and (``conn == 8``) 4 diagonal neighbours;
    ``betas`` float32, one per sweep or one for all.  ``clamp`` is a bool ``(H, W)``
    mask of sites held at ``clamp_values`` (int8 ``(H, W)``; size 0: none).  When the
    field takes few distinct values, ``levels`` holds them and ``field_idx`` (uint8
    ``(H, W)``) the level of each site: the conditionals then come from a table
    rebuilt when beta changes instead of one ``exp`` per site (size-0 ``field_idx``:
    no table; then ``brk`` (:func:`~pgm.inference.grid.bracket_table`) spares most ``exp`` calls).  Site
    ``(i, j)`` in sweep ``t`` of chain ``c`` uses the uniform of counter ``i*W + j`` of
    stream ``(seed, c, sweep0 + t)``.

    Records: after sweep ``t`` of the call with ``t >= rec_from`` and ``(t - rec_from
    + 1) % thin == 0`` (record ``r``), the spins are added to ``counts`` (int32
    ``(chains, H, W)``) and copied to ``samples[:, r]`` (int8 ``(chains, R, H*W)``);
    size-0 arrays: not kept.
    """
    C, H, W = spins.shape
    has_clamp = clamp.size > 0
    use_lut = field_idx.size > 0
    rec_any = counts.size > 0 or samples.size > 0
    mode = (2 if levels.shape[0] == 1 else 1) if use_lut else 0
    nb_ = betas.shape[0]
    ncol = 2 if conn == 4 else 4
    lut = np.empty(levels.shape[0] * (9 if conn == 4 else 81), dtype=np.float32)
    last_beta2 = np.float32(-1.0)
    for t in range(n_sweeps):
        beta2 = np.float32(2.0) * (betas[t] if nb_ > 1 else betas[0])
        if use_lut and beta2 != last_beta2:
            _fill_lut(lut, levels, J, Jd, conn, beta2)
            last_beta2 = beta2
        rec = record_index(t, rec_from, thin) if rec_any else -1
        for col in range(ncol):
            for r in prange(C * H):
                c = r // H
                i = r - c * H
                j0 = _first_column(i, col, conn, W)
                key = sweep_key(seed, c, sweep0 + t)
                sc = spins[c]
                if j0 < W:
                    _do_row(sc, i, j0, H, W, conn, periodic, mode, use_lut, field, field_idx,
                            lut, J, Jd, beta2, key, brk, has_clamp, clamp, clamp_values)
                if rec >= 0 and col == ncol - 1:     # row i is final for this sweep
                    _record_row(sc[i], c, i, W, rec, counts, samples)


@njit(cache=True, parallel=True, fastmath=True)
def grid_gibbs_chains(spins, field, field_idx, levels, J, Jd, conn, periodic, betas, seed, sweep0,
                      n_sweeps, clamp, clamp_values, brk, counts, samples, rec_from, thin):
    """:func:`grid_gibbs` with the chains in parallel instead of the rows (same results).

    One parallel launch per call instead of one per colour and sweep: the better
    choice for small grids or at least as many chains as threads.
    """
    C, H, W = spins.shape
    has_clamp = clamp.size > 0
    use_lut = field_idx.size > 0
    rec_any = counts.size > 0 or samples.size > 0
    mode = (2 if levels.shape[0] == 1 else 1) if use_lut else 0
    nb_ = betas.shape[0]
    ncol = 2 if conn == 4 else 4
    Q = 9 if conn == 4 else 81
    for c in prange(C):
        lut = np.empty(levels.shape[0] * Q, dtype=np.float32)
        last_beta2 = np.float32(-1.0)
        sc = spins[c]
        for t in range(n_sweeps):
            beta2 = np.float32(2.0) * (betas[t] if nb_ > 1 else betas[0])
            if use_lut and beta2 != last_beta2:
                _fill_lut(lut, levels, J, Jd, conn, beta2)
                last_beta2 = beta2
            key = sweep_key(seed, c, sweep0 + t)
            for col in range(ncol):
                for i in range(H):
                    j0 = _first_column(i, col, conn, W)
                    if j0 < W:
                        _do_row(sc, i, j0, H, W, conn, periodic, mode, use_lut, field,
                                field_idx, lut, J, Jd, beta2, key, brk, has_clamp, clamp,
                                clamp_values)
            rec = record_index(t, rec_from, thin) if rec_any else -1
            if rec >= 0:
                for i in range(H):
                    _record_row(sc[i], c, i, W, rec, counts, samples)


@njit(cache=True)
def detect_levels(field, max_levels, levels, idx):
    """Distinct values of a float32 ``field (H, W)``, with early exit.

    Fills ``levels[:k]`` (first-seen order) and ``idx`` (uint8 ``(H, W)``, the level
    of each site); returns ``k``, or -1 as soon as more than ``max_levels`` values
    are seen (one pass, O(sites * k) at worst, usually O(sites)).
    """
    H, W = field.shape
    k = 0
    last = 0
    for i in range(H):
        for j in range(W):
            v = field[i, j]
            if k > 0 and levels[last] == v:
                idx[i, j] = last
                continue
            found = -1
            for q in range(k):
                if levels[q] == v:
                    found = q
                    break
            if found < 0:
                if k >= max_levels:
                    return -1
                levels[k] = v
                found = k
                k += 1
            idx[i, j] = found
            last = found
    return k


@njit(cache=True)
def grid_energy(spins, field, J, Jd, conn, periodic):
    """Energy of each chain of spins ``(chains, H, W)`` (float64 accumulation).

    Row sums, then added in row order.  One thread: a light, memory-bound pass that
    parallel launches only slowed down on a busy machine.
    """
    C, H, W = spins.shape
    rows = np.empty(C * H)
    for r in prange(C * H):
        c = r // H
        i = r - c * H
        sc = spins[c]
        row = 0.0
        dn_ok = i < H - 1 or periodic
        dn = i + 1 if i < H - 1 else 0
        for j in range(W):
            s = np.float64(sc[i, j])
            row -= np.float64(field[i, j]) * s
            if j < W - 1 or periodic:
                rt = j + 1 if j < W - 1 else 0
                row -= np.float64(J) * s * sc[i, rt]
            if dn_ok:
                row -= np.float64(J) * s * sc[dn, j]
                if conn == 8:
                    if j < W - 1 or periodic:
                        rt = j + 1 if j < W - 1 else 0
                        row -= np.float64(Jd) * s * sc[dn, rt]
                    if j > 0 or periodic:
                        lf = j - 1 if j > 0 else W - 1
                        row -= np.float64(Jd) * s * sc[dn, lf]
        rows[r] = row
    out = np.zeros(C)
    for c in range(C):
        tot = 0.0
        for i in range(H):
            tot += rows[c * H + i]
        out[c] = tot
    return out


@njit(cache=True, inline="always")
def _icm_site(sc, i, j, f):
    """Set spin (i, j) to the sign of ``f``: (changed, energy change)."""
    s = sc[i, j]
    if f > 0 and s != 1:
        sc[i, j] = 1
        return 1, -2.0 * np.float64(f)
    if f < 0 and s != -1:
        sc[i, j] = -1
        return 1, 2.0 * np.float64(f)
    return 0, 0.0


@njit(cache=True, inline="always")
def _icm_row(sc, field, i, col, H, W, J, Jd, conn, periodic, clamp, has_clamp):
    """ICM on the sites of colour ``col`` in row ``i``: (number changed, energy change)."""
    j0 = _first_column(i, col, conn, W)
    frow = field[i]
    changed = 0
    delta = 0.0
    if conn == 4 and not has_clamp:
        up, wu, dn, wd = _adjacent(i, H, periodic)
        srow = sc[i]
        su = sc[up]
        sd = sc[dn]
        js = j0
        if j0 == 0:
            a, d = _icm_site(sc, i, 0, _grid_field(sc, frow, i, 0, H, W, J, Jd, conn, periodic))
            changed += a
            delta += d
            js = 2
        for j in range(js, W - 1, 2):     # interior: no boundary test
            nbs = wu * np.int32(su[j]) + wd * np.int32(sd[j]) + np.int32(srow[j - 1]) \
                + np.int32(srow[j + 1])
            f = frow[j] + J * np.float32(nbs)
            s = srow[j]
            if f > 0 and s != 1:
                srow[j] = 1
                changed += 1
                delta -= 2.0 * np.float64(f)
            elif f < 0 and s != -1:
                srow[j] = -1
                changed += 1
                delta += 2.0 * np.float64(f)
        if W > 1 and (W - 1) % 2 == j0 and W - 1 >= js:
            a, d = _icm_site(sc, i, W - 1,
                             _grid_field(sc, frow, i, W - 1, H, W, J, Jd, conn, periodic))
            changed += a
            delta += d
        return changed, delta
    for j in range(j0, W, 2):
        if has_clamp:
            if clamp[i, j]:
                continue
        a, d = _icm_site(sc, i, j, _grid_field(sc, frow, i, j, H, W, J, Jd, conn, periodic))
        changed += a
        delta += d
    return changed, delta


@njit(cache=True, inline="always")
def _icm_chain_row(spins, field, r, col, J, Jd, conn, periodic, clamp, has_clamp):
    """:func:`_icm_row` on row ``r`` of the stacked chains ``(chains * H)`` of ``spins``."""
    C, H, W = spins.shape
    c = r // H
    return _icm_row(spins[c], field, r - c * H, col, H, W, J, Jd, conn, periodic, clamp,
                    has_clamp)


@njit(cache=True, parallel=True)
def grid_icm(spins, field, J, Jd, conn, periodic, clamp, max_sweeps, e0, energies):
    """Checkerboard ICM on spins ``(chains, H, W)`` in place, rows in parallel.

    Each spin takes the sign of its local field (unchanged at zero).  ``energies[t]``
    receives the total energy (over chains) after sweep ``t``, updated from ``e0`` by
    the exact change ``-(s_new - s_old) f`` of every flip.  Returns ``(sweeps run,
    converged)``.  :func:`grid_icm_serial` gives the same result on one thread.
    """
    C, H, W = spins.shape
    has_clamp = clamp.size > 0
    ncol = 2 if conn == 4 else 4
    changed_rows = np.zeros(C * H, dtype=np.int64)
    delta_rows = np.zeros(C * H)
    e = e0
    for t in range(max_sweeps):
        changed = 0
        for col in range(ncol):
            for r in prange(C * H):
                n_ch, d = _icm_chain_row(spins, field, r, col, J, Jd, conn, periodic, clamp,
                                         has_clamp)
                changed_rows[r] = n_ch
                delta_rows[r] = d
            changed += changed_rows.sum()
            e += delta_rows.sum()
        energies[t] = e
        if changed == 0:
            return t + 1, True
    return max_sweeps, False


@njit(cache=True)
def grid_icm_serial(spins, field, J, Jd, conn, periodic, clamp, max_sweeps, e0, energies):
    """:func:`grid_icm` on one thread (for small grids; same result)."""
    C, H, W = spins.shape
    has_clamp = clamp.size > 0
    ncol = 2 if conn == 4 else 4
    e = e0
    for t in range(max_sweeps):
        changed = 0
        for col in range(ncol):
            for r in range(C * H):
                n_ch, d = _icm_chain_row(spins, field, r, col, J, Jd, conn, periodic, clamp,
                                         has_clamp)
                changed += n_ch
                e += d
        energies[t] = e
        if changed == 0:
            return t + 1, True
    return max_sweeps, False


# ------------------------------------------------------------------------ CSR


@njit(cache=True, inline="always")
def _csr_field(sc, v, h, indptr, indices, data):
    f = h[v]
    for e in range(indptr[v], indptr[v + 1]):
        f += data[e] * sc[indices[e]]
    return f


@njit(cache=True, inline="always")
def _csr_update(sc, v, h, indptr, indices, data, beta2, key):
    """Heat-bath draw of spin ``v`` with counter ``v`` of stream ``key``."""
    f = _csr_field(sc, v, h, indptr, indices, data)
    p = 1.0 / (1.0 + np.exp(-beta2 * f))
    sc[v] = 1 if uniform64(key, v) < p else -1


@njit(cache=True, parallel=True)
def csr_gibbs(spins, h, indptr, indices, data, col_ptr, col_vars, betas, seed, sweep0, n_burn,
              n_rec, thin, out):
    """Chromatic Gibbs on spins ``(chains, n)``; records like the generic kernels.

    ``col_vars[col_ptr[k]:col_ptr[k+1]]`` are the free spins of colour ``k``.  The
    spin ``v`` in sweep ``t`` of chain ``c`` uses counter ``v`` of stream
    ``(seed, c, sweep0 + t)``.
    """
    C = spins.shape[0]
    n_sweeps = n_burn + n_rec * thin
    ncol = col_ptr.shape[0] - 1
    nb_ = betas.shape[0]
    keys = np.empty(C, dtype=np.uint64)
    for t in range(n_sweeps):
        beta2 = 2.0 * (betas[t] if nb_ > 1 else betas[0])
        for c in range(C):
            keys[c] = sweep_key(seed, c, sweep0 + t)
        for k in range(ncol):
            start = col_ptr[k]
            size = col_ptr[k + 1] - start
            for w in prange(C * size):
                c = w // size
                v = col_vars[start + w - c * size]
                sc = spins[c]
                _csr_update(sc, v, h, indptr, indices, data, beta2, keys[c])
        r = record_index(t, n_burn, thin)
        if r >= 0:
            for c in prange(C):
                for v in range(spins.shape[1]):
                    out[c, r, v] = spins[c, v]


@njit(cache=True, parallel=True)
def csr_gibbs_chains(spins, h, indptr, indices, data, col_ptr, col_vars, betas, seed, sweep0,
                     n_burn, n_rec, thin, out):
    """:func:`csr_gibbs` with the chains in parallel (same results, one launch per call)."""
    C = spins.shape[0]
    n_sweeps = n_burn + n_rec * thin
    nb_ = betas.shape[0]
    for c in prange(C):
        sc = spins[c]
        for t in range(n_sweeps):
            beta2 = 2.0 * (betas[t] if nb_ > 1 else betas[0])
            key = sweep_key(seed, c, sweep0 + t)
            for q in range(col_vars.shape[0]):
                v = col_vars[q]
                _csr_update(sc, v, h, indptr, indices, data, beta2, key)
            r = record_index(t, n_burn, thin)
            if r >= 0:
                for v in range(sc.shape[0]):
                    out[c, r, v] = sc[v]


@njit(cache=True, parallel=True)
def csr_energy(spins, h, indptr, indices, data):
    """Energy of each row of spins ``(rows, n)``."""
    R, n = spins.shape
    out = np.empty(R)
    for r in prange(R):
        sc = spins[r]
        tot = 0.0
        for v in range(n):
            s = np.float64(sc[v])
            pair = 0.0
            for e in range(indptr[v], indptr[v + 1]):
                pair += data[e] * sc[indices[e]]
            tot -= h[v] * s + 0.5 * pair * s
        out[r] = tot
    return out


@njit(cache=True)
def csr_icm(spins, h, indptr, indices, data, col_vars, max_sweeps, energies):
    """ICM on one spin vector ``(1, n)`` in place, in the order ``col_vars``.

    Returns ``(sweeps run, converged)``; ``energies[t]`` after sweep ``t``.
    """
    sc = spins[0]
    for t in range(max_sweeps):
        changed = 0
        for q in range(col_vars.shape[0]):
            v = col_vars[q]
            f = _csr_field(sc, v, h, indptr, indices, data)
            if f > 0 and sc[v] != 1:
                sc[v] = 1
                changed += 1
            elif f < 0 and sc[v] != -1:
                sc[v] = -1
                changed += 1
        energies[t] = csr_energy(spins, h, indptr, indices, data)[0]
        if changed == 0:
            return t + 1, True
    return max_sweeps, False


# ------------------------------------------------------------------ Bernoulli


@njit(cache=True, parallel=True, fastmath=True)
def bernoulli_prob(prob, seed, step, spins, out):
    """Sample units ``1`` with probability ``prob`` (else 0, or -1 with ``spins``).

    Entry ``(r, k)`` uses counter ``k`` of the stream ``(seed, r, step)``.  The loop
    is branch-free (the hash and the comparison vectorise).
    """
    R, K = prob.shape
    lo = -1.0 if spins else 0.0
    span = 1.0 - lo
    for r in prange(R):
        key = sweep_key(seed, r, step)
        pr = prob[r]
        o = out[r]
        for k in range(K):
            o[k] = lo + span * (uniform32(key, k) < pr[k])
