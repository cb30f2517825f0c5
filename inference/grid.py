"""2-D Ising grids and their checkerboard kernels.

:class:`GridIsing` / :func:`gibbs_grid_ising` / :func:`icm_grid_ising`: a 2-D grid
with 4 or 8 neighbours, uniform couplings and a per-site field; checkerboard
updates, rows in parallel, float32 arithmetic, and a lookup table instead of
``exp`` when the field takes few distinct values (e.g. zero, or ``eta * y`` for a
binary image ``y``).  :meth:`PairwiseBinaryModel.grid
<pgm.inference.pairwise.PairwiseBinaryModel.grid>` runs on these kernels.

Randomness is counter based (hash of seed, chain, sweep and site), so a seed gives
the same result whatever the number of threads.

Examples
--------
>>> g = GridIsing((64, 64), coupling=0.3)
>>> s = g.random_spins(seed=0)
>>> _ = g.gibbs(s, n_sweeps=10, seed=1)
>>> s.dtype, s.shape
(dtype('int8'), (64, 64))
"""

from __future__ import annotations

import numpy as np

from pgm._config import check_allocation
from pgm.exceptions import CardinalityError, EvidenceError, ParameterError
from pgm.inference.binary import (
    BRACKET_BINS,
    BRACKET_MARGIN,
    BRACKET_XMAX,
    check_betas,
    finite_array,
    kernels,
)
from pgm.validation import check_positive_int, resolve_seed

__all__ = ["GridIsing", "gibbs_grid_ising", "icm_grid_ising", "grid_ising_energy",
           "ICM_PARALLEL_MIN_SITES", "bracket_table"]

#: grid ICM runs rows in parallel only from this many sites per thread
ICM_PARALLEL_MIN_SITES = 1 << 21


def bracket_table() -> np.ndarray:
    """float32 ``(2 * (BRACKET_BINS + 2),)``: (lower, upper) bound of ``p(+1)`` per bin of
    ``x = 2 beta f``; bin 0 is ``x < -XMAX``, bin ``BINS + 1`` is ``x >= XMAX``.

    The grid kernels' exp-free decision for the per-site-field path: ``p = sigmoid(x)``
    is bracketed by this table over bins of ``x`` (independent of beta), with a margin
    far above the float32 rounding of ``x`` and ``p``; only a uniform between the two
    bounds (about 0.1% of the sites) computes ``p`` exactly, so the spins are
    bit-identical to the plain ``exp`` path.
    """
    nb, xm, m = BRACKET_BINS, BRACKET_XMAX, BRACKET_MARGIN
    edges = -xm + (2.0 * xm / nb) * np.arange(nb + 1)
    sig = 1.0 / (1.0 + np.exp(-edges))
    tab = np.empty((nb + 2, 2))
    tab[0] = (-1.0, sig[0] + m)
    tab[1:nb + 1, 0] = sig[:-1] - m
    tab[1:nb + 1, 1] = sig[1:] + m
    tab[nb + 1] = (sig[-1] - m, 2.0)
    return np.ascontiguousarray(tab.ravel(), dtype=np.float32)


_BRACKET: list = []


def _bracket() -> np.ndarray:
    if not _BRACKET:
        _BRACKET.append(bracket_table())
    return _BRACKET[0]


class GridIsing:
    """A 2-D Ising grid prepared for the checkerboard kernels.

    ``E(s) = -sum_i h_i s_i - J sum_<axis pairs> s_i s_j - Jd sum_<diagonal pairs> s_i s_j``
    with spins ``int8`` in {-1, +1}, arrays of shape ``(H, W)`` or ``(chains, H, W)``.
    The kernels use the field and couplings in float32 (energies are accumulated in
    float64 from those float32 values).

    Parameters
    ----------
    shape : (int, int)
    field : float or array (H, W)
        Per-site field ``h``.
    coupling : float
        ``J``, coupling to the 4 axis neighbours.
    connectivity : {4, 8}
    diagonal_coupling : float, optional
        ``Jd`` for the 4 diagonal neighbours (8-connectivity; default ``coupling``).
    periodic : bool
        Wrap around (torus); then both sides must be even.

    Examples
    --------
    >>> g = GridIsing((8, 8), field=0.25, coupling=0.5)
    >>> s = np.ones((8, 8), dtype=np.int8)
    >>> float(g.energy(s)) == -(0.25 * 64 + 0.5 * 112)
    True
    """

    #: most distinct field values for the lookup-table path
    MAX_LEVELS = 64

    #: bytes per site of the arrays a grid builds on demand (float64 and float32 fields,
    #: the level of each site)
    BYTES_PER_SITE = 13

    def __init__(self, shape: tuple[int, int], field=0.0, coupling: float = 1.0, *,
                 connectivity: int = 4, diagonal_coupling: float | None = None,
                 periodic: bool = False, levels=None, level_index=None,
                 memory_budget: int | None = None) -> None:
        if len(tuple(shape)) != 2:
            raise ParameterError(f"grid shape must be (rows, columns), got {shape!r}")
        H = check_positive_int("rows", shape[0], 1)
        W = check_positive_int("columns", shape[1], 1)
        if connectivity not in (4, 8):
            raise ParameterError(f"connectivity must be 4 or 8, got {connectivity!r}")
        check_allocation(H * W * self.BYTES_PER_SITE, f"a {H}x{W} grid",
                         memory_budget=memory_budget)
        if periodic and (H % 2 or W % 2):
            raise ParameterError(f"a periodic grid needs even sides for the checkerboard, got {H}x{W}")
        self.shape = (H, W)
        self.connectivity = int(connectivity)
        self.periodic = bool(periodic)
        self.coupling = float(finite_array("coupling", coupling))
        jd = self.coupling if diagonal_coupling is None else diagonal_coupling
        self.diagonal_coupling = float(finite_array("diagonal_coupling", jd)) if connectivity == 8 else 0.0
        self._q = 9 if connectivity == 4 else 81
        self._field64 = None       # float64 field, built on demand
        self._lv64 = None
        self._lvidx = None
        self._f32_val = None       # float32 field, built on demand
        self._idx_val = None       # table path: level of each site (None: not detected yet)
        self._levels = np.zeros(1, dtype=np.float32)
        if (levels is None) != (level_index is None):
            raise ParameterError("levels and level_index go together")
        if levels is not None:
            if not (np.ndim(field) == 0 and float(field) == 0.0):
                raise ParameterError("give either field or levels + level_index, not both")
            self._init_levels(levels, level_index)
        else:
            f = finite_array("field", field)
            if f.ndim == 0:
                self._init_levels(f.reshape(1), None)
            else:
                if f.shape != (H, W):
                    raise CardinalityError(f"field has shape {f.shape}, the grid is {H}x{W}")
                self._field64 = f
                self._f32_val = np.ascontiguousarray(f, dtype=np.float32)
        self._noclamp = np.zeros((0, 0), dtype=np.bool_)
        self._noclampv = np.zeros((0, 0), dtype=np.int8)
        self._nofield = np.zeros((H, 0), dtype=np.float32)

    def _init_levels(self, levels, level_index) -> None:
        """A field given as ``levels[level_index]`` (a scalar: one level everywhere)."""
        H, W = self.shape
        lv64 = finite_array("levels", np.asarray(levels, dtype=float)).ravel()
        if lv64.size < 1 or lv64.size > 256:
            raise ParameterError(f"need 1 to 256 field levels, got {lv64.size}")
        if level_index is None:
            idx = None
        else:
            idx = np.asarray(level_index)
            if idx.shape != (H, W) or idx.dtype.kind not in "iub":
                raise ParameterError(f"level_index must be an integer array of shape {(H, W)}")
            idx = np.ascontiguousarray(idx, dtype=np.uint8) if idx.dtype != np.uint8 or \
                not idx.flags.c_contiguous else idx
            if lv64.size < 256 and int(idx.max()) >= lv64.size:
                raise ParameterError(f"level_index has an entry >= the number of levels "
                                     f"({lv64.size})")
        self._lv64 = lv64
        self._lvidx = idx
        lv32 = lv64.astype(np.float32)
        # distinct float32 levels (as np.unique of the whole field would see them)
        uniq, inv = np.unique(lv32, return_inverse=True)
        n = H * W
        if uniq.size * self._q > max(1, n // 4) and idx is not None:
            # small grid: the table rule depends on the levels actually used
            used = np.zeros(uniq.size, dtype=bool)
            used[inv[idx]] = True
            k = int(used.sum())
        else:
            k = uniq.size
        if k <= self.MAX_LEVELS and k * self._q <= max(1, n // 4):
            if idx is None:
                self._levels = lv32[:1].copy()
                self._idx_val = np.zeros((H, W), dtype=np.uint8)
            else:
                if uniq.size < lv32.size:       # equal in float32: one level
                    lv32 = uniq.astype(np.float32)
                    idx = inv.astype(np.uint8)[idx]
                elif k == 1:                    # one level used: the one-level table
                    lv32 = lv32[idx.ravel()[:1]]
                    idx = np.zeros((H, W), dtype=np.uint8)
                self._levels = np.ascontiguousarray(lv32, dtype=np.float32)
                self._idx_val = idx
        else:
            self._idx_val = np.zeros((0, 0), dtype=np.uint8)

    # ------------------------------------------------------------ field views
    @property
    def field(self) -> np.ndarray:
        """The per-site field ``h`` (float64, ``(H, W)``)."""
        if self._field64 is None:
            H, W = self.shape
            if self._lvidx is None:
                self._field64 = np.full((H, W), self._lv64[0])
            else:
                self._field64 = self._lv64[self._lvidx]
        return self._field64

    @property
    def _f32(self) -> np.ndarray:
        if self._f32_val is None:
            H, W = self.shape
            if self._lvidx is None:
                self._f32_val = np.full((H, W), self._lv64[0], dtype=np.float32)
            else:
                self._f32_val = np.take(self._lv64.astype(np.float32), self._lvidx)
        return self._f32_val

    @property
    def _idx(self) -> np.ndarray:
        """Level of each site for the table path (size 0: no table)."""
        if self._idx_val is None:
            self._detect()
        return self._idx_val

    @_idx.setter
    def _idx(self, value) -> None:
        self._idx_val = value

    def _detect(self) -> None:
        """Few distinct field values? One O(n) pass that stops at the first value too many."""
        H, W = self.shape
        n = H * W
        kmax = min(self.MAX_LEVELS, max(1, n // 4) // self._q)
        self._idx_val = np.zeros((0, 0), dtype=np.uint8)
        if kmax < 1:
            return
        levels = np.empty(kmax, dtype=np.float32)
        idx = np.empty((H, W), dtype=np.uint8)
        k = kernels().detect_levels(self._f32_val, kmax, levels, idx)
        if k > 0:
            self._levels = levels[:k].copy()
            self._idx_val = idx

    @property
    def n_sites(self) -> int:
        return self.shape[0] * self.shape[1]

    @property
    def uses_table(self) -> bool:
        """True if the conditionals come from a lookup table (few distinct field values)."""
        return self._idx.size > 0

    def _spins(self, spins) -> tuple[np.ndarray, np.ndarray]:
        """(3-D view, original) of a spin array, validated."""
        if not isinstance(spins, np.ndarray) or spins.dtype != np.int8:
            raise ParameterError("spins must be an int8 NumPy array of -1/+1 (see random_spins)")
        if not spins.flags.c_contiguous:
            raise ParameterError("spins must be C-contiguous (they are updated in place)")
        if spins.shape[-2:] != self.shape or spins.ndim not in (2, 3):
            raise ParameterError(f"spins must have shape {self.shape} or (chains, *{self.shape}), "
                           f"got {spins.shape}")
        return spins.reshape(-1, *self.shape), spins

    def _clamp(self, clamp, clamp_values, s3):
        if clamp is None:
            return self._noclamp, self._noclampv
        m = np.ascontiguousarray(clamp, dtype=np.bool_)
        if m.shape != self.shape:
            raise ParameterError(f"clamp mask must have shape {self.shape}, got {m.shape}")
        if clamp_values is None:
            vals = s3[0]
        else:
            vals = np.asarray(clamp_values)
            if vals.shape != self.shape:
                raise ParameterError(f"clamp_values must have shape {self.shape}, got {vals.shape}")
        vals = np.array(vals, dtype=np.int8, order="C")     # never aliases the spins
        if np.any(np.abs(vals[m]) != 1):
            raise EvidenceError("clamped spins must be -1 or +1")
        s3[:, m] = vals[m]
        return m, vals

    def random_spins(self, chains: int | None = None, seed: int | None = None, *,
                     memory_budget: int | None = None) -> np.ndarray:
        """Uniformly random spins, shape ``(H, W)`` or ``(chains, H, W)``."""
        rng = np.random.default_rng(seed)
        shape = self.shape if chains is None else (check_positive_int("chains", chains),
                                                    *self.shape)
        n = int(np.prod(shape, dtype=object))
        check_allocation(n * 10, f"random spins of shape {shape}", memory_budget=memory_budget)
        return np.where(rng.random(shape) < 0.5, -1, 1).astype(np.int8)

    def gibbs(self, spins: np.ndarray, n_sweeps: int = 1, *, beta=1.0, seed: int = 0,
              sweep_offset: int = 0, clamp=None, clamp_values=None, counts=None,
              samples=None, record_from: int = 0, thin: int = 1) -> np.ndarray:
        """``n_sweeps`` checkerboard Gibbs sweeps, in place; returns ``spins``.

        ``beta`` is one inverse temperature or one per sweep (annealing).  Sweep ``t``
        of the call is numbered ``sweep_offset + t`` in the random stream, so
        ``gibbs(s, 5, seed=k)`` equals ``gibbs(s, 2, seed=k)`` followed by
        ``gibbs(s, 3, seed=k, sweep_offset=2)``.  ``clamp``: bool mask of sites held
        fixed (at ``clamp_values``, default their current value).

        Recording inside the kernel (a whole burn-in + sampling run in one call):
        after each sweep ``t`` of the call with ``t >= record_from`` and ``(t -
        record_from + 1) % thin == 0`` (record ``r = 0, 1, ...``), the spins are
        *added* to ``counts`` (int32, the shape of ``spins``: the sums of the spins,
        so ``P(+1) = (counts / records + 1) / 2``) and copied to ``samples[..., r, :]``
        (int8 ``(chains, records, H*W)``, or ``(records, H*W)`` for 2-D spins).

        Examples
        --------
        >>> g = GridIsing((16, 16), coupling=0.2)
        >>> s = g.random_spins(seed=0)
        >>> acc = np.zeros((16, 16), np.int32)
        >>> _ = g.gibbs(s, 30, seed=1, counts=acc, record_from=10)     # 10 burn-in, 20 kept
        >>> int(np.abs(acc).max()) <= 20
        True
        """
        KP = kernels()
        n_sweeps = check_positive_int("n_sweeps", n_sweeps, 0)
        s3, orig = self._spins(spins)
        betas = check_betas(beta, max(n_sweeps, 1), np.float32)
        m, vals = self._clamp(clamp, clamp_values, s3)
        record_from = check_positive_int("record_from", record_from, 0)
        thin = check_positive_int("thin", thin, 1)
        C = s3.shape[0]
        n_rec = max(0, (n_sweeps - record_from) // thin)
        if counts is None:
            c3 = np.zeros((0, 0, 0), dtype=np.int32)
        else:
            if not isinstance(counts, np.ndarray) or counts.dtype != np.int32 \
                    or counts.shape != orig.shape or not counts.flags.c_contiguous:
                raise ParameterError(f"counts must be a C-contiguous int32 array of shape "
                                     f"{orig.shape}")
            c3 = counts.reshape(s3.shape)
        if samples is None:
            o3 = np.zeros((0, 0, 0), dtype=np.int8)
        else:
            want = (n_rec, self.n_sites) if orig.ndim == 2 else (C, n_rec, self.n_sites)
            if not isinstance(samples, np.ndarray) or samples.dtype != np.int8 \
                    or samples.shape != want or not samples.flags.c_contiguous:
                raise ParameterError(f"samples must be a C-contiguous int8 array of shape {want}")
            o3 = samples.reshape(C, n_rec, self.n_sites)
        if n_sweeps:
            from pgm.inference.gibbs import use_site_parallel

            kern = KP.grid_gibbs if use_site_parallel(C, self.n_sites, 2) \
                else KP.grid_gibbs_chains
            idx = self._idx
            field = self._nofield if idx.size else self._f32
            kern(s3, field, idx, self._levels, np.float32(self.coupling),
                 np.float32(self.diagonal_coupling), self.connectivity, self.periodic,
                 betas, np.uint64(resolve_seed(seed)), int(sweep_offset), n_sweeps, m, vals,
                 _bracket(), c3, o3, record_from, thin)
        return orig

    def icm(self, spins: np.ndarray, max_sweeps: int = 100, *, clamp=None, clamp_values=None
            ) -> tuple[np.ndarray, np.ndarray, bool]:
        """Checkerboard ICM in place: ``(spins, energies, converged)``.

        ``energies[0]`` is the starting energy, then one per sweep (non-increasing,
        summed over chains for a 3-D array).
        """
        KP = kernels()
        max_sweeps = check_positive_int("max_sweeps", max_sweeps, 1)
        check_allocation(8 * (max_sweeps + 1), f"the energy trace of {max_sweeps} ICM sweeps")
        s3, orig = self._spins(spins)
        m, _ = self._clamp(clamp, clamp_values, s3)
        e0 = float(self.energy(s3).sum())
        energies = np.empty(max_sweeps)
        import numba

        # ICM does little work per launch (most sites keep their sign): the row-parallel
        # kernel only pays off on big grids (measured: 2 threads on 2048x2048 were
        # slower than one).  Both kernels give the same result.
        par = numba.get_num_threads() > 1 and s3.size >= ICM_PARALLEL_MIN_SITES * \
            numba.get_num_threads()
        kern = KP.grid_icm if par else KP.grid_icm_serial
        t, conv = kern(s3, self._f32, np.float32(self.coupling),
                              np.float32(self.diagonal_coupling), self.connectivity, self.periodic,
                              m, max_sweeps, e0, energies)
        return orig, np.concatenate([[e0], energies[:t]]), bool(conv)

    def energy(self, spins: np.ndarray) -> float | np.ndarray:
        """Energy of spins ``(H, W)`` (a float) or ``(chains, H, W)`` (one per chain)."""
        KP = kernels()
        s = np.ascontiguousarray(spins, dtype=np.int8)
        s3 = s.reshape(-1, *self.shape)
        e = KP.grid_energy(s3, self._f32, np.float32(self.coupling),
                           np.float32(self.diagonal_coupling), self.connectivity, self.periodic)
        return float(e[0]) if s.ndim == 2 else e

    def local_fields(self, spins: np.ndarray) -> np.ndarray:
        """``h_i + sum_j J_ij s_j`` for every site (NumPy; float64)."""
        s = np.asarray(spins, dtype=float)
        H, W = self.shape
        p = self.periodic

        def shift(a, di, dj):
            out = np.roll(a, (di, dj), axis=(-2, -1))
            if not p:
                if di > 0:
                    out[..., :di, :] = 0
                elif di < 0:
                    out[..., di:, :] = 0
                if dj > 0:
                    out[..., :, :dj] = 0
                elif dj < 0:
                    out[..., :, dj:] = 0
            return out

        f = self.field + self.coupling * (shift(s, 1, 0) + shift(s, -1, 0) + shift(s, 0, 1)
                                          + shift(s, 0, -1))
        if self.connectivity == 8:
            f = f + self.diagonal_coupling * (shift(s, 1, 1) + shift(s, 1, -1) + shift(s, -1, 1)
                                              + shift(s, -1, -1))
        return f

    @property
    def n_pairs(self) -> int:
        """Number of coupled pairs (the length of :meth:`edges`), without building them.

        Examples
        --------
        >>> GridIsing((3, 4)).n_pairs, GridIsing((3, 4), connectivity=8).n_pairs
        (17, 29)
        """
        H, W = self.shape
        if self.periodic:
            return H * W * (2 if self.connectivity == 4 else 4)
        axis = H * (W - 1) + (H - 1) * W
        return axis + (2 * (H - 1) * (W - 1) if self.connectivity == 8 else 0)

    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(i, j, J_ij)`` of every coupled pair (flat indices ``r * W + c``; repeats kept)."""
        H, W = self.shape
        check_allocation(self.n_pairs * 24 + H * W * 8, f"the {self.n_pairs} edges of a {H}x{W} "
                         "grid")
        idx = np.arange(H * W).reshape(H, W)
        rows, cols, vals = [], [], []

        def add(a, b, val):
            rows.append(a.ravel())
            cols.append(b.ravel())
            vals.append(np.full(a.size, val))

        if self.periodic:
            add(idx, np.roll(idx, -1, axis=1), self.coupling)
            add(idx, np.roll(idx, -1, axis=0), self.coupling)
            if self.connectivity == 8:
                add(idx, np.roll(idx, (-1, -1), axis=(0, 1)), self.diagonal_coupling)
                add(idx, np.roll(idx, (-1, 1), axis=(0, 1)), self.diagonal_coupling)
        else:
            add(idx[:, :-1], idx[:, 1:], self.coupling)
            add(idx[:-1, :], idx[1:, :], self.coupling)
            if self.connectivity == 8:
                add(idx[:-1, :-1], idx[1:, 1:], self.diagonal_coupling)
                add(idx[:-1, 1:], idx[1:, :-1], self.diagonal_coupling)
        return (np.concatenate(rows), np.concatenate(cols), np.concatenate(vals))


def gibbs_grid_ising(spins: np.ndarray, field=0.0, coupling: float = 1.0, *, beta=1.0,
                     n_sweeps: int = 1, seed: int = 0, sweep_offset: int = 0,
                     connectivity: int = 4, diagonal_coupling: float | None = None,
                     periodic: bool = False, clamp=None) -> np.ndarray:
    """Checkerboard Gibbs sweeps on an Ising grid, in place (see :meth:`GridIsing.gibbs`).

    For repeated calls build a :class:`GridIsing` once instead.

    Examples
    --------
    >>> s = np.ones((2, 16, 16), dtype=np.int8)          # two chains
    >>> _ = gibbs_grid_ising(s, coupling=0.2, n_sweeps=5, seed=3)
    >>> set(np.unique(s).tolist()) <= {-1, 1}
    True
    """
    shape = np.shape(spins)[-2:]
    g = GridIsing(shape, field, coupling, connectivity=connectivity,
                  diagonal_coupling=diagonal_coupling, periodic=periodic)
    return g.gibbs(spins, n_sweeps, beta=beta, seed=seed, sweep_offset=sweep_offset, clamp=clamp)


def icm_grid_ising(spins: np.ndarray, field=0.0, coupling: float = 1.0, *, max_sweeps: int = 100,
                   connectivity: int = 4, diagonal_coupling: float | None = None,
                   periodic: bool = False, clamp=None) -> tuple[np.ndarray, np.ndarray, bool]:
    """Checkerboard ICM on an Ising grid, in place: ``(spins, energies, converged)``.

    Examples
    --------
    >>> y = np.ones((8, 8), dtype=np.int8); y[2, 3] = -1      # one flipped pixel
    >>> s, e, ok = icm_grid_ising(y.copy(), field=0.5 * y, coupling=1.0)
    >>> bool((s == 1).all()), ok
    (True, True)
    """
    g = GridIsing(np.shape(spins)[-2:], field, coupling, connectivity=connectivity,
                  diagonal_coupling=diagonal_coupling, periodic=periodic)
    return g.icm(spins, max_sweeps, clamp=clamp)


def grid_ising_energy(spins: np.ndarray, field=0.0, coupling: float = 1.0, *, connectivity: int = 4,
                      diagonal_coupling: float | None = None, periodic: bool = False):
    """Energy of grid spins (see :meth:`GridIsing.energy`)."""
    g = GridIsing(np.shape(spins)[-2:], field, coupling, connectivity=connectivity,
                  diagonal_coupling=diagonal_coupling, periodic=periodic)
    return g.energy(spins)

