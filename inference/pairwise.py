"""Pairwise binary models (Ising / Boltzmann) and their fast compiled paths.

A :class:`PairwiseBinaryModel` has unary fields ``h`` and symmetric couplings ``J``
(zero diagonal, sparse CSR) over binary units, either spins in {-1, +1}
(``domain="ising"``) or units in {0, 1} (``domain="boltzmann"``), with

    ``E(x) = -sum_i h_i x_i - sum_{i<j} J_ij x_i x_j``,   ``p(x) ∝ exp(-beta E(x))``.

Every kernel works in Ising form (a Boltzmann model is converted exactly by
:meth:`PairwiseBinaryModel.to_ising`).  Three fast paths:

* :class:`GridIsing` / :func:`gibbs_grid_ising` / :func:`icm_grid_ising`: a 2-D grid
  with 4 or 8 neighbours, uniform couplings and a per-site field; checkerboard
  updates, rows in parallel, float32 arithmetic, and a lookup table instead of
  ``exp`` when the field takes few distinct values (e.g. zero, or ``eta * y`` for a
  binary image ``y``).
* sparse couplings in CSR (any graph): chromatic updates, colour classes in parallel.
* :class:`BipartiteBinary` (RBM): fields from BLAS products ``v @ W + b`` in NumPy;
  only the Bernoulli step (:func:`sample_from_logits`, :func:`sample_bernoulli`) is
  a Numba kernel, with one random stream per row.

Randomness is counter based (hash of seed, chain/row, sweep/step and site), so
a seed gives the same result whatever the number of threads.
:meth:`PairwiseBinaryModel.to_factor_graph` gives the same distribution as a
:class:`~pgm.factor_graph.FactorGraph` (state 0 is -1 or 0, state 1 is +1 or 1), so
the generic kernels can cross-check the fast ones.

Examples
--------
>>> g = GridIsing((64, 64), coupling=0.3)
>>> s = g.random_spins(seed=0)
>>> _ = g.gibbs(s, n_sweeps=10, seed=1)
>>> s.dtype, s.shape
(dtype('int8'), (64, 64))
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np
from pgm.inference.compiled import ParameterError, check_positive_int, resolve_seed

from pgm.exceptions import CardinalityError, EvidenceError, ModelError, UnknownVariableError

__all__ = [
    "PairwiseBinaryModel",
    "GridIsing",
    "BipartiteBinary",
    "gibbs_grid_ising",
    "icm_grid_ising",
    "grid_ising_energy",
    "gibbs_pairwise",
    "sample_from_logits",
    "sample_bernoulli",
    "DOMAINS",
]

DOMAINS = ("ising", "boltzmann")

#: grid ICM runs rows in parallel only from this many sites per thread
ICM_PARALLEL_MIN_SITES = 1 << 21


def _check_domain(domain: str) -> str:
    if domain not in DOMAINS:
        raise ParameterError(f"domain must be one of {DOMAINS}, got {domain!r}")
    return domain


def _finite(name: str, arr: np.ndarray) -> np.ndarray:
    arr = np.asarray(arr, dtype=float)
    if not np.all(np.isfinite(arr)):
        idx = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise ModelError(f"{name} has a non-finite entry {arr[idx]!r} at {idx}")
    return arr


def _betas(beta, n_sweeps: int, dtype=np.float64) -> np.ndarray:
    b = np.asarray(beta, dtype=float).ravel()
    if b.size not in (1, n_sweeps):
        raise ParameterError(f"beta must be one number or one per sweep ({n_sweeps}), got {b.size}")
    if not np.all(np.isfinite(b) & (b > 0)):
        raise ParameterError(f"beta must be positive and finite, got {beta!r}")
    return b.astype(dtype)


def _kp():  # numba import only when a kernel runs
    from pgm.inference import _kernels_pairwise as KP

    return KP


# ====================================================================== grids


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

    def __init__(self, shape: tuple[int, int], field=0.0, coupling: float = 1.0, *,
                 connectivity: int = 4, diagonal_coupling: float | None = None,
                 periodic: bool = False, levels=None, level_index=None) -> None:
        if len(tuple(shape)) != 2:
            raise ParameterError(f"grid shape must be (rows, columns), got {shape!r}")
        H = check_positive_int("rows", shape[0], 1)
        W = check_positive_int("columns", shape[1], 1)
        if connectivity not in (4, 8):
            raise ParameterError(f"connectivity must be 4 or 8, got {connectivity!r}")
        if periodic and (H % 2 or W % 2):
            raise ParameterError(f"a periodic grid needs even sides for the checkerboard, got {H}x{W}")
        self.shape = (H, W)
        self.connectivity = int(connectivity)
        self.periodic = bool(periodic)
        self.coupling = float(_finite("coupling", coupling))
        jd = self.coupling if diagonal_coupling is None else diagonal_coupling
        self.diagonal_coupling = float(_finite("diagonal_coupling", jd)) if connectivity == 8 else 0.0
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
            f = _finite("field", field)
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
        lv64 = _finite("levels", np.asarray(levels, dtype=float)).ravel()
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
        k = _kp().detect_levels(self._f32_val, kmax, levels, idx)
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

    def random_spins(self, chains: int | None = None, seed: int | None = None) -> np.ndarray:
        """Uniformly random spins, shape ``(H, W)`` or ``(chains, H, W)``."""
        rng = np.random.default_rng(seed)
        shape = self.shape if chains is None else (check_positive_int("chains", chains),
                                                    *self.shape)
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
        KP = _kp()
        n_sweeps = check_positive_int("n_sweeps", n_sweeps, 0)
        s3, orig = self._spins(spins)
        betas = _betas(beta, max(n_sweeps, 1), np.float32)
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
                 KP.BRACKET, c3, o3, record_from, thin)
        return orig

    def icm(self, spins: np.ndarray, max_sweeps: int = 100, *, clamp=None, clamp_values=None
            ) -> tuple[np.ndarray, np.ndarray, bool]:
        """Checkerboard ICM in place: ``(spins, energies, converged)``.

        ``energies[0]`` is the starting energy, then one per sweep (non-increasing,
        summed over chains for a 3-D array).
        """
        KP = _kp()
        max_sweeps = check_positive_int("max_sweeps", max_sweeps, 1)
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
        KP = _kp()
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

    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(i, j, J_ij)`` of every coupled pair (flat indices ``r * W + c``; repeats kept)."""
        H, W = self.shape
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


# ============================================================ general model


class PairwiseBinaryModel:
    """Unary fields plus symmetric pairwise couplings over binary units.

    Parameters
    ----------
    fields : array (n,)
        ``h``.
    couplings : array (n, n), scipy sparse matrix, or None
        ``J``, symmetric with zero diagonal (stored as CSR; ``None``: no coupling).
    domain : {"ising", "boltzmann"}
        Values {-1, +1} or {0, 1}.
    variables : sequence, optional
        Names (default ``0 .. n-1``).

    Examples
    --------
    >>> m = PairwiseBinaryModel([0.0, 0.5], [[0, 1.0], [1.0, 0]])
    >>> float(m.energy([1, -1]))
    1.5
    >>> m.to_factor_graph()
    FactorGraph(2 variables, 3 factors)
    """

    def __init__(self, fields, couplings=None, *, domain: str = "ising",
                 variables: Sequence[Hashable] | None = None, _grid: GridIsing | None = None,
                 _grid_source: GridIsing | None = None) -> None:
        import scipy.sparse as sp

        self.domain = _check_domain(domain)
        h = _finite("fields", np.asarray(fields, dtype=float)).ravel()
        n = h.size
        self.fields = h
        self._grid = _grid                       # kernel grid, Ising form
        self._grid_source = _grid_source or _grid  # grid with the model's own parameters
        if _grid is None:
            if couplings is None:
                J = sp.csr_matrix((n, n))
            else:
                J = sp.csr_matrix(couplings, dtype=float)
            if J.shape != (n, n):
                raise CardinalityError(f"couplings have shape {J.shape}, fields {n} entries")
            J.sum_duplicates()
            _finite("couplings", J.data)
            if J.diagonal().any():
                i = int(np.flatnonzero(J.diagonal())[0])
                raise ModelError(f"couplings have a nonzero diagonal entry at ({i}, {i})")
            if abs(J - J.T).max() > 1e-12 * max(1.0, abs(J).max()) if J.nnz else False:
                raise ModelError("couplings must be symmetric")
            J.eliminate_zeros()
            J.sort_indices()
            self._J = J
        else:
            self._J = None
        self.variables = list(range(n)) if variables is None else list(variables)
        if len(self.variables) != n or len(set(self.variables)) != n:
            raise ModelError(f"need {n} distinct variable names, got {len(self.variables)}")
        self._index = {v: i for i, v in enumerate(self.variables)}
        self._cache: dict = {}

    # ------------------------------------------------------------ builders
    @classmethod
    def grid(cls, shape: tuple[int, int], coupling: float = 1.0, field=0.0, *,
             connectivity: int = 4, diagonal_coupling: float | None = None,
             periodic: bool = False, domain: str = "ising") -> PairwiseBinaryModel:
        """A 2-D grid with uniform couplings and a per-site field; variables ``(row, col)``.

        Sampling and ICM use the checkerboard grid kernels.

        Examples
        --------
        >>> m = PairwiseBinaryModel.grid((3, 4), coupling=0.5)
        >>> m.n_variables, m.couplings.nnz
        (12, 34)
        """
        _check_domain(domain)
        g = GridIsing(shape, field, coupling, connectivity=connectivity,
                      diagonal_coupling=diagonal_coupling, periodic=periodic)
        H, W = g.shape
        names = [(i, j) for i in range(H) for j in range(W)]
        if domain == "ising":
            return cls(g.field.ravel(), None, domain=domain, variables=names, _grid=g)
        # Boltzmann grid: the kernels run on the equivalent Ising grid
        rows, cols, vals = g.edges()
        rowsum = np.bincount(rows, vals, H * W) + np.bincount(cols, vals, H * W)
        hi = g.field.ravel() / 2 + rowsum / 4
        gi = GridIsing(shape, hi.reshape(H, W), g.coupling / 4, connectivity=connectivity,
                       diagonal_coupling=g.diagonal_coupling / 4, periodic=periodic)
        return cls(g.field.ravel(), None, domain=domain, variables=names, _grid=gi,
                   _grid_source=g)

    @classmethod
    def from_edges(cls, variables: int | Sequence[Hashable], edges, fields=None, *,
                   domain: str = "ising") -> PairwiseBinaryModel:
        """Build from ``(u, v, J_uv)`` triples (names or indices; repeats add up).

        Examples
        --------
        >>> m = PairwiseBinaryModel.from_edges(["a", "b", "c"], [("a", "b", 1.0), ("b", "c", -0.5)])
        >>> m.couplings.nnz
        4
        """
        import scipy.sparse as sp

        names = list(range(variables)) if isinstance(variables, (int, np.integer)) else list(variables)
        index = {v: i for i, v in enumerate(names)}
        n = len(names)
        r, c, d = [], [], []
        for e in edges:
            u, v, w = e
            if u not in index or v not in index:
                raise UnknownVariableError(f"edge ({u!r}, {v!r}) names an unknown variable")
            if u == v:
                raise ModelError(f"self-coupling on {u!r}")
            r += [index[u], index[v]]
            c += [index[v], index[u]]
            d += [float(w), float(w)]
        J = sp.csr_matrix((d, (r, c)), shape=(n, n))
        h = np.zeros(n) if fields is None else fields
        return cls(h, J, domain=domain, variables=names)

    # ----------------------------------------------------------- accessors
    @property
    def n_variables(self) -> int:
        return self.fields.size

    @property
    def values(self) -> np.ndarray:
        """The two values, state 0 then state 1: ``[-1, 1]`` or ``[0, 1]``."""
        return np.array([-1, 1] if self.domain == "ising" else [0, 1], dtype=np.int8)

    @property
    def is_grid(self) -> bool:
        return self._grid is not None

    @property
    def shape(self) -> tuple[int, int] | None:
        """Grid shape, or None."""
        return self._grid.shape if self._grid is not None else None

    @property
    def couplings(self):
        """``J`` as a symmetric scipy CSR matrix (built on demand for grids)."""
        if self._J is None:
            import scipy.sparse as sp

            rows, cols, vals = self._grid_source.edges()
            n = self.n_variables
            J = sp.csr_matrix((np.concatenate([vals, vals]),
                               (np.concatenate([rows, cols]), np.concatenate([cols, rows]))),
                              shape=(n, n))
            J.sum_duplicates()
            J.eliminate_zeros()
            J.sort_indices()
            self._J = J
        return self._J

    def index(self, variable: Hashable) -> int:
        """Position of ``variable``."""
        try:
            return self._index[variable]
        except (KeyError, TypeError):
            raise UnknownVariableError(f"variable {variable!r} is not in the model") from None

    def __repr__(self) -> str:
        kind = f"grid {self.shape[0]}x{self.shape[1]}" if self.is_grid else \
            f"{self.couplings.nnz // 2} couplings"
        return f"PairwiseBinaryModel({self.n_variables} {self.domain} units, {kind})"

    # ------------------------------------------------------------- algebra
    def _values_array(self, states) -> np.ndarray:
        x = np.asarray(states)
        if x.shape[-1] != self.n_variables:
            if self.is_grid and x.shape[-2:] == self.shape:
                x = x.reshape(*x.shape[:-2], self.n_variables)
            else:
                raise ParameterError(f"states need {self.n_variables} entries, got shape {x.shape}")
        ok = (x == -1) | (x == 1) if self.domain == "ising" else (x == 0) | (x == 1)
        if not np.all(ok):
            raise EvidenceError(f"{self.domain} states must be in {self.values.tolist()}")
        return x

    def energy(self, states) -> float | np.ndarray:
        """``E(x)`` of one state (a float) or of each row."""
        x = self._values_array(states).astype(float)
        J = self.couplings
        e = -(x @ self.fields) - 0.5 * np.einsum("...i,...i->...", (J @ x.T).T, x)
        return float(e) if np.ndim(e) == 0 else e

    def local_fields(self, states) -> np.ndarray:
        """``h_i + sum_j J_ij x_j`` for each unit."""
        x = self._values_array(states).astype(float)
        return self.fields + (self.couplings @ x.T).T

    def conditional_probability(self, states, beta: float = 1.0) -> np.ndarray:
        """``p(x_i = 1 | rest)`` (the upper value) for every unit at ``states``."""
        f = self.local_fields(states)
        scale = 2.0 * beta if self.domain == "ising" else beta
        return 1.0 / (1.0 + np.exp(-scale * f))

    def to_ising(self) -> tuple[PairwiseBinaryModel, float]:
        """The equivalent Ising model and the offset: ``E(x) = E_ising(2x - 1) + offset``.

        For an Ising model, ``(self, 0.0)``.
        """
        if self.domain == "ising":
            return self, 0.0
        if "ising" in self._cache:
            return self._cache["ising"]
        J = self.couplings
        if self.is_grid:
            g = self._grid
            im = PairwiseBinaryModel(g.field.ravel(), None, domain="ising",
                                     variables=self.variables, _grid=g)
            im._J = J / 4
        else:
            im = PairwiseBinaryModel(self.fields / 2 + np.asarray(J.sum(axis=1)).ravel() / 4,
                                     J / 4, domain="ising", variables=self.variables)
        offset = -self.fields.sum() / 2 - J.sum() / 8
        self._cache["ising"] = (im, float(offset))
        return im, float(offset)

    def to_factor_graph(self):
        """The same distribution (at ``beta = 1``) as a FactorGraph with log-space factors.

        State 0 of each variable is -1 (Ising) or 0 (Boltzmann), state 1 is +1 / 1.
        """
        from pgm.factor import Factor
        from pgm.factor_graph import FactorGraph

        lo, hi = (-1.0, 1.0) if self.domain == "ising" else (0.0, 1.0)
        vals = np.array([lo, hi])
        fg = FactorGraph(cardinalities={v: 2 for v in self.variables})
        for i, v in enumerate(self.variables):
            fg.add_factor(Factor([v], [2], self.fields[i] * vals, log=True))
        J = self.couplings.tocoo()
        for i, j, w in zip(J.row.tolist(), J.col.tolist(), J.data.tolist()):
            if i < j:
                fg.add_factor(Factor([self.variables[i], self.variables[j]], [2, 2],
                                     w * np.outer(vals, vals), log=True))
        return fg

    # ---------------------------------------------------------- colouring
    def colouring(self, free: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Colour classes of the free units as CSR ``(col_ptr, col_vars)``.

        Grids use the checkerboard (2 colours, or 4 with 8 neighbours); bipartite
        graphs two colours; others :func:`networkx.greedy_color`.
        """
        import networkx as nx

        n = self.n_variables
        if free is None:
            free = np.arange(n, dtype=np.int64)
        key = ("colour", free.tobytes())
        if key in self._cache:
            return self._cache[key]
        if self.is_grid:
            H, W = self.shape
            i, j = np.divmod(free, W)
            cols = (i + j) % 2 if self._grid.connectivity == 4 else 2 * (i % 2) + (j % 2)
        else:
            J = self.couplings
            g = nx.Graph()
            g.add_nodes_from(free.tolist())
            isfree = np.zeros(n, dtype=bool)
            isfree[free] = True
            coo = J.tocoo()
            keep = isfree[coo.row] & isfree[coo.col] & (coo.row < coo.col)
            g.add_edges_from(zip(coo.row[keep].tolist(), coo.col[keep].tolist()))
            col = nx.bipartite.color(g) if nx.is_bipartite(g) else \
                nx.greedy_color(g, strategy="largest_first")
            cols = np.array([col[int(v)] for v in free], dtype=np.int64)
        order = np.lexsort((free, cols))
        col_vars = free[order].astype(np.int64)
        counts = np.bincount(cols, minlength=int(cols.max()) + 1 if cols.size else 0)
        col_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._cache[key] = (col_ptr, col_vars)
        return col_ptr, col_vars

    def _ising_arrays(self):
        if "arrays" not in self._cache:
            im, _ = self.to_ising()
            J = im.couplings
            self._cache["arrays"] = (np.ascontiguousarray(im.fields, dtype=np.float64),
                                     J.indptr.astype(np.int64), J.indices.astype(np.int64),
                                     J.data.astype(np.float64))
        return self._cache["arrays"]

    # ---------------------------------------------------------- sampling
    def _evidence(self, evidence) -> tuple[dict, np.ndarray, np.ndarray]:
        """Validated evidence ``{var: value}`` -> (dict, positions, spins)."""
        ev = {}
        for v, val in (evidence or {}).items():
            if v not in self._index:
                raise EvidenceError(f"evidence names unknown variable {v!r}")
            if isinstance(val, (bool, np.bool_)) or not isinstance(val, (int, np.integer)) \
                    or int(val) not in self.values.tolist():
                raise EvidenceError(f"evidence {v!r}={val!r} is not one of the {self.domain} "
                                    f"values {self.values.tolist()}")
            ev[v] = int(val)
        pos = np.array([self._index[v] for v in ev], dtype=np.int64)
        vals = np.array(list(ev.values()), dtype=np.int8)
        spins = vals if self.domain == "ising" else (2 * vals - 1).astype(np.int8)
        return ev, pos, spins

    def _start(self, chains: int, seed: int, initial) -> np.ndarray:
        """Starting spins ``(chains, n)`` (Ising form)."""
        n = self.n_variables
        if initial is None:
            rng = np.random.default_rng(seed)
            return np.where(rng.random((chains, n)) < 0.5, -1, 1).astype(np.int8)
        if isinstance(initial, Mapping):
            missing = [v for v in self.variables if v not in initial]
            if missing:
                raise UnknownVariableError(f"initial state lacks variable {missing[0]!r}")
            initial = np.array([initial[v] for v in self.variables])
        x = self._values_array(initial)
        if x.ndim == 1:
            x = np.broadcast_to(x, (chains, n))
        if x.shape != (chains, n):
            raise ParameterError(f"initial state must have {n} entries or shape ({chains}, {n}), "
                           f"got {np.shape(initial)}")
        s = x if self.domain == "ising" else 2 * x - 1
        # always a new, writable array (never a view of ``initial`` or a broadcast)
        return np.array(s, dtype=np.int8, order="C", copy=True)

    def to_values(self, spins: np.ndarray) -> np.ndarray:
        """Ising-form spins to this model's values (in a new array)."""
        return spins.copy() if self.domain == "ising" else ((spins + 1) // 2).astype(np.int8)


def gibbs_pairwise(model: PairwiseBinaryModel, spins: np.ndarray, n_sweeps: int = 1, *,
                   beta=1.0, seed: int = 0, sweep_offset: int = 0,
                   evidence: Mapping | None = None) -> np.ndarray:
    """Chromatic Gibbs sweeps on Ising-form spins ``(chains, n)`` int8, in place.

    Uses the grid kernel for grid models and the CSR kernel otherwise.  ``evidence``
    (``{variable: value}``) clamps units.  Sweep ``t`` of the call is number
    ``sweep_offset + t`` of the random stream.

    Examples
    --------
    >>> m = PairwiseBinaryModel.from_edges(3, [(0, 1, 0.5), (1, 2, 0.5)])
    >>> s = np.ones((2, 3), dtype=np.int8)
    >>> gibbs_pairwise(m, s, 10, seed=0).shape
    (2, 3)
    """
    n_sweeps = check_positive_int("n_sweeps", n_sweeps, 0)
    if not isinstance(spins, np.ndarray) or spins.dtype != np.int8 or spins.ndim != 2 \
            or spins.shape[1] != model.n_variables or not spins.flags.c_contiguous:
        raise ParameterError(f"spins must be a C-contiguous int8 array of shape (chains, "
                       f"{model.n_variables})")
    _, pos, vals = model._evidence(evidence)
    spins[:, pos] = vals
    run = _runner(model, pos, vals, resolve_seed(seed), _betas(beta, 1))
    run(spins, int(sweep_offset), n_sweeps, 0, np.empty((spins.shape[0], 0, spins.shape[1]),
                                                          dtype=np.int8), thin=1, convert=False)
    return spins


def _runner(model: PairwiseBinaryModel, pos, vals, seed: int, betas: np.ndarray):
    """``run(x, sweep0, n_burn, n_rec, out, thin, convert)`` on Ising spins ``x (C, n)``."""
    KP = _kp()
    useed = np.uint64(seed)
    if model.is_grid:
        g = model._grid
        H, W = g.shape
        clamp = None
        cvals = None
        if pos.size:
            clamp = np.zeros(H * W, dtype=bool)
            clamp[pos] = True
            clamp = clamp.reshape(H, W)
            cvals = np.zeros(H * W, dtype=np.int8)
            cvals[pos] = vals
            cvals = cvals.reshape(H, W)

        def run(x, sweep0, n_burn, n_rec, out, thin, convert=True):
            # one kernel call: burn-in, then the records written by the kernel
            x3 = x.reshape(x.shape[0], H, W)
            n = n_burn + n_rec * thin
            rec = None
            if n_rec:
                rec = out if out.flags.c_contiguous and out.dtype == np.int8 else \
                    np.empty((x.shape[0], n_rec, H * W), dtype=np.int8)
            if n:
                g.gibbs(x3, n, beta=betas, seed=seed, sweep_offset=sweep0, clamp=clamp,
                        clamp_values=cvals, samples=rec, record_from=n_burn, thin=thin)
            if rec is not None and rec is not out:
                out[...] = rec
            if convert and model.domain == "boltzmann" and n_rec:
                out += 1
                out //= 2
        return run
    h, indptr, indices, data = model._ising_arrays()
    free = np.setdiff1d(np.arange(model.n_variables), pos).astype(np.int64)
    col_ptr, col_vars = model.colouring(free)

    from pgm.inference.gibbs import use_site_parallel

    def run(x, sweep0, n_burn, n_rec, out, thin, convert=True):
        par = use_site_parallel(x.shape[0], free.size, len(col_ptr) - 1)
        kern = KP.csr_gibbs if par else KP.csr_gibbs_chains
        kern(x, h, indptr, indices, data, col_ptr, col_vars, betas, useed, sweep0,
                     n_burn, n_rec, thin, out)
        if convert and model.domain == "boltzmann" and n_rec:
            out += 1
            out //= 2
    return run


def _gibbs_pairwise_model(model: PairwiseBinaryModel, n_samples, *, chains, burn_in, thin, scan,
                          evidence, seed, initial, return_samples, beta):
    from pgm.inference.gibbs import _drive

    if scan == "random":
        raise ParameterError("pairwise binary models are updated chromatically; scan='random' is not "
                       "supported (use 'chromatic' or 'systematic')")
    seed = resolve_seed(seed)
    ev, pos, vals = model._evidence(evidence)
    x = model._start(chains, seed, initial)
    x[:, pos] = vals
    run0 = _runner(model, pos, vals, seed, np.array([beta]))

    def run(x, sweep0, n_burn, n_rec, out):
        run0(x, sweep0, n_burn, n_rec, out, thin)

    status = np.full(chains, -1, dtype=np.int64)
    card = np.full(model.n_variables, 2, dtype=np.int64)
    res = _drive(model.variables, card, run, x, n_samples, burn_in, thin, return_samples,
                 np.int8, status, ev, "chromatic", chains, seed, values_of_state=model.values)
    res.final_state = model.to_values(x)
    return res


def _anneal_pairwise_model(model: PairwiseBinaryModel, temps: np.ndarray, *, chains, evidence,
                           seed, initial):
    from pgm.inference.gibbs import AnnealResult

    seed = resolve_seed(seed)
    ev, pos, vals = model._evidence(evidence)
    x = model._start(chains, seed, initial)
    x[:, pos] = vals
    im, offset = model.to_ising()
    energy = _ising_energy_fn(model)
    betas = 1.0 / temps
    best = x.copy()
    best_e = energy(x)
    dummy = np.empty((chains, 0, model.n_variables), dtype=np.int8)
    for t, b in enumerate(betas):
        run = _runner(model, pos, vals, seed, np.array([b]))
        run(x, t, 1, 0, dummy, 1)
        e = energy(x)
        better = e < best_e
        best[better] = x[better]
        best_e = np.where(better, e, best_e)
    c = int(np.argmin(best_e))
    state = model.to_values(best[c])
    return AnnealResult(variables=model.variables, state=state, energy=float(best_e[c] + offset),
                        chain_energies=best_e + offset, final_states=model.to_values(x),
                        final_energies=energy(x) + offset, schedule=temps)


def _ising_energy_fn(model: PairwiseBinaryModel):
    """Energy of Ising-form spins ``(C, n)`` under the Ising form of ``model``."""
    KP = _kp()
    if model.is_grid:
        g = model._grid
        return lambda x: g.energy(x.reshape(x.shape[0], *g.shape))
    h, indptr, indices, data = model._ising_arrays()
    return lambda x: KP.csr_energy(x, h, indptr, indices, data)


def _icm_pairwise_model(model: PairwiseBinaryModel, initial, *, max_sweeps, seed, evidence,
                        restarts):
    from pgm.inference.icm import IcmResult

    KP = _kp()
    seed = resolve_seed(seed)
    ev, pos, vals = model._evidence(evidence)
    starts = []
    if initial is not None:
        starts.append(model._start(1, seed, initial))
    if restarts > len(starts):
        xs = model._start(restarts - len(starts), seed, None)
        starts.extend(xs[i:i + 1].copy() for i in range(xs.shape[0]))
    _, offset = model.to_ising()
    energy = _ising_energy_fn(model)
    best = None
    finals = []
    for x in starts:
        x[:, pos] = vals
        e0 = float(energy(x)[0])
        energies = np.empty(max_sweeps)
        if model.is_grid:
            g = model._grid
            clamp = None
            if pos.size:
                clamp = np.zeros(model.n_variables, dtype=bool)
                clamp[pos] = True
                clamp = clamp.reshape(g.shape)
            _, traj, conv = g.icm(x.reshape(1, *g.shape), max_sweeps, clamp=clamp)
            t = traj.size - 1
        else:
            h, indptr, indices, data = model._ising_arrays()
            free = np.setdiff1d(np.arange(model.n_variables), pos).astype(np.int64)
            _, col_vars = model.colouring(free)
            t, conv = KP.csr_icm(x, h, indptr, indices, data, col_vars, max_sweeps, energies)
            traj = np.concatenate([[e0], energies[:t]])
        traj = traj + offset
        finals.append(traj[-1])
        if best is None or traj[-1] < best[0]:
            best = (traj[-1], x, traj, t, conv)
    e, x, traj, t, conv = best
    return IcmResult(variables=model.variables, state=model.to_values(x[0]), energy=float(e),
                     energies=traj, n_sweeps=int(t), converged=bool(conv),
                     restart_energies=np.array(finals))


# =================================================================== bipartite


def _check_out(out, shape, dtype):
    if out is None:
        return np.empty(shape, dtype=dtype)
    if not isinstance(out, np.ndarray) or out.shape != shape or not out.flags.c_contiguous:
        raise ParameterError(f"out must be a C-contiguous array of shape {shape}")
    return out


def sample_from_logits(logits: np.ndarray, seed: int, step: int = 0, *, beta: float = 1.0,
                       spins: bool = False, out: np.ndarray | None = None,
                       return_prob: bool = False, overwrite_logits: bool = False):
    """Bernoulli units from logits, ``p = sigmoid(beta * logits)`` (one stream per row).

    With ``spins=True`` the units are -1/+1 and the logits are local fields
    (``p(+1) = sigmoid(2 beta logits)``).  ``out`` defaults to the dtype of the logits
    (float32 or float64, ready for the next BLAS product).  Entry ``(r, k)`` uses
    counter ``k`` of stream ``(seed, r, step)``: use a new ``step`` for every draw.

    ``overwrite_logits=True`` lets the probabilities replace a float32/float64
    C-contiguous ``logits`` array in place (no temporary; for callers that own it).

    Returns ``units`` or ``(units, probabilities)``.

    Examples
    --------
    >>> x = sample_from_logits(np.zeros((4, 1000), np.float32), seed=0)
    >>> x.dtype, bool(abs(x.mean() - 0.5) < 0.05)
    (dtype('float32'), True)
    """
    from pgm._math import sigmoid

    KP = _kp()
    logits = np.asarray(logits)
    if logits.dtype not in (np.float32, np.float64):
        logits = logits.astype(np.float64)
    squeeze = logits.ndim == 1
    lg = logits.reshape(1, -1) if squeeze else logits
    if lg.ndim != 2:
        raise ParameterError(f"logits must be 1-D or 2-D, got shape {logits.shape}")
    b = float(beta)
    if not (np.isfinite(b) and b > 0):
        raise ParameterError(f"beta must be positive and finite, got {beta!r}")
    o = _check_out(None if out is None else (out.reshape(lg.shape) if squeeze else out),
                   lg.shape, lg.dtype)
    # probabilities by NumPy's SIMD tanh (absolute error ~ the 2^-24 resolution of the
    # uniforms), then a branch-free compiled draw
    in_place = overwrite_logits and lg.flags.c_contiguous and lg.flags.writeable
    prob = sigmoid(lg, scale=2.0 * b if spins else b, out=lg if in_place else None)
    KP.bernoulli_prob(prob, np.uint64(resolve_seed(seed)), int(step), bool(spins), o)
    if squeeze:
        o = o.reshape(-1)
        prob = prob.reshape(-1) if return_prob else prob
    return (o, prob) if return_prob else o


def sample_bernoulli(prob: np.ndarray, seed: int, step: int = 0, *, spins: bool = False,
                     out: np.ndarray | None = None) -> np.ndarray:
    """Units equal to 1 with probability ``prob`` (else 0, or -1 with ``spins``).

    Same streams as :func:`sample_from_logits`.

    Examples
    --------
    >>> sample_bernoulli(np.array([[0.0, 1.0]]), seed=1).tolist()
    [[0.0, 1.0]]
    """
    KP = _kp()
    p = np.asarray(prob)
    if p.dtype not in (np.float32, np.float64):
        p = p.astype(np.float64)
    squeeze = p.ndim == 1
    p2 = np.ascontiguousarray(p.reshape(1, -1) if squeeze else p)
    if p2.ndim != 2:
        raise ParameterError(f"prob must be 1-D or 2-D, got shape {p.shape}")
    if np.any(~((p2 >= 0) & (p2 <= 1))):
        raise ParameterError("probabilities must lie in [0, 1]")
    o = _check_out(None if out is None else (out.reshape(p2.shape) if squeeze else out),
                   p2.shape, p2.dtype)
    KP.bernoulli_prob(p2, np.uint64(resolve_seed(seed)), int(step), bool(spins), o)
    return o.reshape(-1) if squeeze else o


class BipartiteBinary:
    """Dense bipartite couplings between visible and hidden binary units (an RBM's graph).

    ``E(v, h) = -a.v - b.h - v^T W h``, units in {0, 1} (``"boltzmann"``) or {-1, +1}
    (``"ising"``).  Fields are BLAS products in NumPy; the sampling step is a
    Numba kernel with one random stream per row (batch element).  Draw ``t`` of a
    chain uses step ``2t`` (hidden) and ``2t + 1`` (visible).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> bb = BipartiteBinary(rng.normal(0, 0.1, (6, 3)), np.zeros(6), np.zeros(3))
    >>> v = np.zeros((5, 6), np.float32)
    >>> v, h = bb.gibbs(v, n_steps=3, seed=0)
    >>> v.shape, h.shape
    ((5, 6), (5, 3))
    """

    def __init__(self, W, a, b, *, domain: str = "boltzmann", dtype=np.float32) -> None:
        self.domain = _check_domain(domain)
        self.dtype = np.dtype(dtype)
        self.W = np.ascontiguousarray(_finite("W", W), dtype=self.dtype)
        if self.W.ndim != 2:
            raise CardinalityError(f"W must be 2-D, got shape {self.W.shape}")
        nv, nh = self.W.shape
        self.a = np.ascontiguousarray(_finite("a", a), dtype=self.dtype).ravel()
        self.b = np.ascontiguousarray(_finite("b", b), dtype=self.dtype).ravel()
        if self.a.size != nv or self.b.size != nh:
            raise CardinalityError(f"W is {nv}x{nh} but a has {self.a.size} and b {self.b.size} "
                                   "entries")

    @property
    def spins(self) -> bool:
        return self.domain == "ising"

    def hidden_logits(self, v: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``v @ W + b`` (into ``out``, C-contiguous of the engine's dtype, if given)."""
        x = np.matmul(np.asarray(v, dtype=self.dtype), self.W, out=out)
        x += self.b
        return x

    def visible_logits(self, h: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``h @ W.T + a`` (into ``out`` if given)."""
        x = np.matmul(np.asarray(h, dtype=self.dtype), self.W.T, out=out)
        x += self.a
        return x

    def sample_hidden(self, v: np.ndarray, seed: int, step: int = 0, *, beta: float = 1.0,
                      return_prob: bool = False, out: np.ndarray | None = None,
                      prob_out: np.ndarray | None = None):
        """Sample ``h | v`` (rows of ``v`` are independent chains); stream step ``2*step``.

        ``out`` receives the units, ``prob_out`` (also the logits' buffer) the
        probabilities; both optional, C-contiguous, of the engine's dtype.
        """
        return sample_from_logits(self.hidden_logits(v, out=prob_out), seed, 2 * step,
                                  beta=beta, spins=self.spins, return_prob=return_prob,
                                  out=out, overwrite_logits=True)

    def sample_visible(self, h: np.ndarray, seed: int, step: int = 0, *, beta: float = 1.0,
                       return_prob: bool = False, out: np.ndarray | None = None,
                       prob_out: np.ndarray | None = None):
        """Sample ``v | h``; stream step ``2*step + 1`` (``out``, ``prob_out`` as in
        :meth:`sample_hidden`)."""
        return sample_from_logits(self.visible_logits(h, out=prob_out), seed, 2 * step + 1,
                                  beta=beta, spins=self.spins, return_prob=return_prob,
                                  out=out, overwrite_logits=True)

    def gibbs(self, v: np.ndarray, n_steps: int = 1, *, seed: int = 0, step0: int = 0,
              beta: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """Block Gibbs ``h ~ p(h|v), v ~ p(v|h)``, ``n_steps`` times: returns ``(v, h)``."""
        n_steps = check_positive_int("n_steps", n_steps, 1)
        v = np.asarray(v, dtype=self.dtype)
        h = None
        for t in range(step0, step0 + n_steps):
            h = self.sample_hidden(v, seed, t, beta=beta)
            v = self.sample_visible(h, seed, t, beta=beta)
        return v, h

    def energy(self, v: np.ndarray, h: np.ndarray) -> np.ndarray:
        """``E(v, h)`` per row (float64)."""
        v = np.asarray(v, dtype=float)
        h = np.asarray(h, dtype=float)
        return -(v @ self.a.astype(float)) - h @ self.b.astype(float) - \
            np.einsum("...i,...i->...", v @ self.W.astype(float), h)

    def free_energy(self, v: np.ndarray) -> np.ndarray:
        """``F(v) = -log sum_h exp(-E(v, h))`` per row."""
        v = np.asarray(v, dtype=float)
        x = v @ self.W.astype(float) + self.b.astype(float)
        if self.spins:
            soft = np.logaddexp(x, -x)
        else:
            soft = np.logaddexp(0.0, x)
        return -(v @ self.a.astype(float)) - soft.sum(axis=-1)

    def to_pairwise(self) -> PairwiseBinaryModel:
        """The joint model over ``(v_0.., h_0..)`` as a :class:`PairwiseBinaryModel`."""
        import scipy.sparse as sp

        nv, nh = self.W.shape
        W = sp.csr_matrix(self.W.astype(float))
        J = sp.bmat([[None, W], [W.T, None]], format="csr")
        names = [f"v{i}" for i in range(nv)] + [f"h{j}" for j in range(nh)]
        return PairwiseBinaryModel(np.concatenate([self.a, self.b]).astype(float), J,
                                   domain=self.domain, variables=names)
