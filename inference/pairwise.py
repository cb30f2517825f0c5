"""Pairwise binary models (Ising / Boltzmann) and their fast compiled paths.

A :class:`PairwiseBinaryModel` has unary fields ``h`` and symmetric couplings ``J``
(zero diagonal, sparse CSR) over binary units, either spins in {-1, +1}
(``domain="ising"``) or units in {0, 1} (``domain="boltzmann"``), with

    ``E(x) = -sum_i h_i x_i - sum_{i<j} J_ij x_i x_j``,   ``p(x) ∝ exp(-beta E(x))``.

Every kernel works in Ising form (a Boltzmann model is converted exactly by
:meth:`PairwiseBinaryModel.to_ising`).  Two fast paths:

* a grid model (:meth:`PairwiseBinaryModel.grid`) runs on the checkerboard kernels
  of :class:`~pgm.inference.grid.GridIsing`;
* sparse couplings in CSR (any graph): chromatic updates, colour classes in parallel.

Randomness is counter based (hash of seed, chain, sweep and site), so a seed gives
the same result whatever the number of threads.
:meth:`PairwiseBinaryModel.to_factor_graph` gives the same distribution as a
:class:`~pgm.factor_graph.FactorGraph` (state 0 is -1 or 0, state 1 is +1 or 1), so
the generic kernels can cross-check the fast ones.  The exact MAP of a submodular
model is :func:`pgm.inference.graphcut.graph_cut_map`.

Examples
--------
>>> m = PairwiseBinaryModel.from_edges(3, [(0, 1, 0.5), (1, 2, 0.5)])
>>> s = np.ones((2, 3), dtype=np.int8)
>>> gibbs_pairwise(m, s, 5, seed=0).shape
(2, 3)
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import numpy as np

from pgm.exceptions import (
    CardinalityError,
    EvidenceError,
    ModelError,
    ParameterError,
    UnknownVariableError,
)
from pgm.inference.binary import DOMAINS, check_betas, check_domain, finite_array, kernels
from pgm.inference.grid import GridIsing
from pgm.validation import check_positive_int, resolve_seed

__all__ = ["PairwiseBinaryModel", "gibbs_pairwise", "DOMAINS"]

#: bytes per site of a grid model: the ``(row, col)`` name (a tuple in a list), its index
#: entry, the float64 fields and the grid's own arrays
BYTES_PER_GRID_SITE = 320


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

        self.domain = check_domain(domain)
        h = finite_array("fields", np.asarray(fields, dtype=float)).ravel()
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
            finite_array("couplings", J.data)
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
             periodic: bool = False, domain: str = "ising",
             memory_budget: int | None = None) -> PairwiseBinaryModel:
        """A 2-D grid with uniform couplings and a per-site field; variables ``(row, col)``.

        Sampling and ICM use the checkerboard grid kernels.  The variable names (one
        Python tuple a site, about :data:`BYTES_PER_GRID_SITE` bytes with the field) are
        checked against the memory budget first.

        Examples
        --------
        >>> m = PairwiseBinaryModel.grid((3, 4), coupling=0.5)
        >>> m.n_variables, m.couplings.nnz
        (12, 34)
        """
        from pgm._config import check_allocation

        check_domain(domain)
        g = GridIsing(shape, field, coupling, connectivity=connectivity,
                      diagonal_coupling=diagonal_coupling, periodic=periodic,
                      memory_budget=memory_budget)
        H, W = g.shape
        check_allocation(H * W * BYTES_PER_GRID_SITE, f"a {H}x{W} grid model",
                         memory_budget=memory_budget)
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

    def cardinality(self, variable: Hashable) -> int:
        """2 (checks the name), as a factor graph answers it."""
        self.index(variable)
        return 2

    def state_names(self, variable: Hashable) -> list[int]:
        """The values of states 0 and 1: ``[-1, 1]`` or ``[0, 1]``."""
        self.index(variable)
        return self.values.tolist()

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
    run = _runner(model, pos, vals, resolve_seed(seed), check_betas(beta, 1))
    run(spins, int(sweep_offset), n_sweeps, 0, np.empty((spins.shape[0], 0, spins.shape[1]),
                                                          dtype=np.int8), thin=1, convert=False)
    return spins


def _runner(model: PairwiseBinaryModel, pos, vals, seed: int, betas: np.ndarray):
    """``run(x, sweep0, n_burn, n_rec, out, thin, convert)`` on Ising spins ``x (C, n)``."""
    KP = kernels()
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


def gibbs_pairwise_model(model: PairwiseBinaryModel, n_samples, *, chains, burn_in, thin, scan,
                          evidence, seed, initial, return_samples, beta, memory_budget=None):
    from pgm._config import check_allocation
    from pgm.inference.gibbs import check_chain_states, drive, record_bytes

    if scan == "random":
        raise ParameterError("pairwise binary models are updated chromatically; scan='random' is not "
                       "supported (use 'chromatic' or 'systematic')")
    n = model.n_variables
    check_chain_states(chains, n, 1, "gibbs_sample", memory_budget)
    check_allocation(record_bytes(chains, n_samples, n, 2, 1, return_samples),
                     f"gibbs_sample records: {chains} chains x {n_samples} samples x {n} "
                     "variables", memory_budget=memory_budget)
    seed = resolve_seed(seed)
    ev, pos, vals = model._evidence(evidence)
    x = model._start(chains, seed, initial)
    x[:, pos] = vals
    run0 = _runner(model, pos, vals, seed, np.array([beta]))

    def run(x, sweep0, n_burn, n_rec, out):
        run0(x, sweep0, n_burn, n_rec, out, thin)

    status = np.full(chains, -1, dtype=np.int64)
    card = np.full(model.n_variables, 2, dtype=np.int64)
    res = drive(model.variables, card, run, x, n_samples, burn_in, thin, return_samples,
                 np.int8, status, ev, "chromatic", chains, seed, values_of_state=model.values)
    res.final_state = model.to_values(x)
    return res


def anneal_pairwise_model(model: PairwiseBinaryModel, temps: np.ndarray, *, chains, evidence,
                           seed, initial, memory_budget=None):
    from pgm.inference.gibbs import AnnealResult, check_chain_states

    check_chain_states(chains, model.n_variables, 3, "anneal", memory_budget)
    seed = resolve_seed(seed)
    ev, pos, vals = model._evidence(evidence)
    x = model._start(chains, seed, initial)
    x[:, pos] = vals
    im, offset = model.to_ising()
    energy = ising_energy_fn(model)
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


def ising_energy_fn(model: PairwiseBinaryModel):
    """Energy of Ising-form spins ``(C, n)`` under the Ising form of ``model``."""
    KP = kernels()
    if model.is_grid:
        g = model._grid
        return lambda x: g.energy(x.reshape(x.shape[0], *g.shape))
    h, indptr, indices, data = model._ising_arrays()
    return lambda x: KP.csr_energy(x, h, indptr, indices, data)


def icm_pairwise_model(model: PairwiseBinaryModel, initial, *, max_sweeps, seed, evidence,
                        restarts, memory_budget=None):
    from pgm.inference.icm import IcmResult, check_icm_allocation

    check_icm_allocation(restarts, model.n_variables, 1, max_sweeps, memory_budget)
    KP = kernels()
    seed = resolve_seed(seed)
    ev, pos, vals = model._evidence(evidence)
    starts = []
    if initial is not None:
        starts.append(model._start(1, seed, initial))
    if restarts > len(starts):
        xs = model._start(restarts - len(starts), seed, None)
        starts.extend(xs[i:i + 1].copy() for i in range(xs.shape[0]))
    _, offset = model.to_ising()
    energy = ising_energy_fn(model)
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
