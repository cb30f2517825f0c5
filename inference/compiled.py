"""Flatten a discrete factor graph into arrays that a Numba kernel can walk.

:func:`compile_model` turns a :class:`~pgm.factor_graph.FactorGraph` (or a
:class:`~pgm.bayesian_network.BayesianNetwork`, through ``to_factor_graph()``)
into a :class:`CompiledModel`:

* per variable, a CSR list of its incident factors and its stride in each table;
* per factor, its scope and strides (C order, last variable fastest);
* every log-table concatenated into one float64 array, with offsets.

Compile once and pass the :class:`CompiledModel` to :func:`~pgm.inference.gibbs_sample`,
:func:`~pgm.inference.icm` or :func:`~pgm.inference.anneal` to reuse it.  This module
does not import numba at import time; kernels compile on first use (``cache=True``,
so later processes load them from disk).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from pgm.evidence import normalize_evidence
from pgm.exceptions import EvidenceError, ParameterError, UnknownVariableError

__all__ = ["CompiledModel", "compile_model", "as_factor_graph", "variable_order", "Blocking",
           "MAX_BLOCK_STATES"]

#: default limit on the joint states of one Gibbs block (product of its cardinalities)
MAX_BLOCK_STATES = 4096


def as_factor_graph(model):
    """A FactorGraph for a FactorGraph, BayesianNetwork or anything with ``to_factor_graph()``."""
    from pgm.bayesian_network import BayesianNetwork
    from pgm.factor_graph import FactorGraph

    if isinstance(model, FactorGraph):
        return model
    if isinstance(model, BayesianNetwork) or hasattr(model, "to_factor_graph"):
        return model.to_factor_graph()
    raise ParameterError(f"expected a FactorGraph or BayesianNetwork, got {type(model).__name__}")


def _state_dtype(max_card: int) -> np.dtype:
    if max_card <= 256:
        return np.dtype(np.uint8)
    if max_card <= 32768:
        return np.dtype(np.int16)
    return np.dtype(np.int32)


@dataclass
class CompiledModel:
    """A factor graph as flat arrays (see the module docstring).

    Attributes
    ----------
    variables : list
        Variables in model order; array position ``i`` is ``variables[i]``.
    cardinalities : ndarray of int64
        States per variable.
    arrays : tuple of ndarray
        ``(card, vf_ptr, vf_fac, vf_stride, f_ptr, f_vars, f_stride, tab, tab_off)``,
        the argument the kernels of :mod:`pgm.inference._kernels_generic` take.
    source : FactorGraph
        The compiled model.
    state_dtype : numpy dtype
        Smallest integer dtype holding every state (uint8 up to 256 states).
    is_bayesian_network : bool
        Whether it was compiled from a BayesianNetwork (the samplers' advice names
        likelihood weighting then).

    Examples
    --------
    >>> from pgm.factor import Factor
    >>> from pgm.factor_graph import FactorGraph
    >>> cm = compile_model(FactorGraph([Factor(["a", "b"], [2, 3], np.ones((2, 3)))]))
    >>> cm.n_variables, cm.n_factors, cm.arrays[7].size
    (2, 1, 6)
    """

    variables: list
    index: dict
    cardinalities: np.ndarray
    arrays: tuple
    source: object
    state_dtype: np.dtype
    is_bayesian_network: bool = False
    _colourings: dict = field(default_factory=dict, repr=False)
    _derived: dict = field(default_factory=dict, repr=False)   # forms other modules derive

    @property
    def n_variables(self) -> int:
        return len(self.variables)

    @property
    def n_factors(self) -> int:
        return int(self.arrays[8].shape[0])

    @property
    def max_cardinality(self) -> int:
        return int(self.cardinalities.max()) if self.cardinalities.size else 1

    # ------------------------------------------------------------ conversions
    def position(self, variable: Hashable) -> int:
        """Array position of ``variable``."""
        try:
            return self.index[variable]
        except (KeyError, TypeError):
            raise UnknownVariableError(f"variable {variable!r} is not in the model") from None

    def encode(self, assignment: Mapping[Hashable, int]) -> np.ndarray:
        """A full assignment ``{variable: state}`` as a state vector (validated)."""
        a = self.source._assignment_index(assignment)
        return np.array([a[v] for v in self.variables], dtype=self.state_dtype)

    def decode(self, x: np.ndarray) -> dict:
        """A state vector as ``{variable: state}``."""
        return {v: int(s) for v, s in zip(self.variables, np.asarray(x).tolist())}

    # ---------------------------------------------------------- evaluations
    def log_weight(self, x: np.ndarray) -> np.ndarray | float:
        """``sum_f log phi_f(x)`` of one state vector or of each row of a 2-D array."""
        from pgm.inference import _kernels_generic as K

        x = np.asarray(x)
        if x.ndim == 1:
            return float(K.log_weight(self.arrays, self._as_states(x)))
        flat = self._as_states(x.reshape(-1, x.shape[-1]))
        return K.log_weights(self.arrays, np.ascontiguousarray(flat)).reshape(x.shape[:-1])

    def energy(self, x: np.ndarray) -> np.ndarray | float:
        """Negative unnormalized log-probability ``-sum_f log phi_f(x)`` (``+inf`` if impossible)."""
        lw = self.log_weight(x)
        return -lw if isinstance(lw, float) else np.negative(lw)

    def conditional(self, variable: Hashable, x: np.ndarray, beta: float = 1.0) -> np.ndarray:
        """``p(variable | rest)`` at the state vector ``x`` (kernel version of
        :meth:`FactorGraph.local_conditional`); raises :class:`EvidenceError` if all zero."""
        from pgm.inference import _kernels_generic as K

        v = self.position(variable)
        p = K.local_conditionals(self.arrays, v, self._as_states(np.asarray(x)), float(beta))
        if not p.any():
            raise EvidenceError(
                f"every state of {variable!r} has probability zero given its Markov blanket"
            )
        return p

    def _as_states(self, x: np.ndarray) -> np.ndarray:
        if x.shape[-1] != self.n_variables:
            raise ParameterError(f"state vectors need {self.n_variables} entries, got {x.shape[-1]}")
        if x.dtype != self.state_dtype:
            if np.any(x < 0) or np.any(x >= self.cardinalities):
                raise EvidenceError("state vector holds a value outside its variable's states")
            x = x.astype(self.state_dtype)
        return np.ascontiguousarray(x)

    # -------------------------------------------------------------- evidence
    def split_evidence(self, evidence: Mapping[Hashable, int] | None
                       ) -> tuple[dict, np.ndarray, np.ndarray]:
        """Validate evidence (state names or indices, see :func:`pgm.evidence.normalize_evidence`);
        return ``(evidence as {variable: state index}, clamped positions, values)``."""
        ev = normalize_evidence(self.source, evidence)
        pos = np.array([self.index[v] for v in ev], dtype=np.int64)
        val = np.array(list(ev.values()), dtype=np.int64)
        return ev, pos, val

    def free_positions(self, clamped: np.ndarray) -> np.ndarray:
        """Positions of the variables not in ``clamped``, in model order."""
        mask = np.ones(self.n_variables, dtype=bool)
        mask[clamped] = False
        return np.flatnonzero(mask).astype(np.int64)

    def colouring(self, free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Colour classes of the Markov graph restricted to ``free`` as CSR ``(col_ptr, col_vars)``.

        A bipartite graph (grid, RBM, chain, tree) gets two colours; any other graph
        the greedy colouring of :func:`networkx.greedy_color` (largest first).
        """
        key = free.tobytes()
        if key in self._colourings:
            return self._colourings[key]
        g = nx.Graph()
        g.add_nodes_from(free.tolist())
        isfree = np.zeros(self.n_variables, dtype=bool)
        isfree[free] = True
        f_ptr, f_vars = self.arrays[4], self.arrays[5]
        for f in range(self.n_factors):
            scope = [int(u) for u in f_vars[f_ptr[f]:f_ptr[f + 1]] if isfree[u]]
            for i in range(len(scope)):
                for j in range(i + 1, len(scope)):
                    g.add_edge(scope[i], scope[j])
        if nx.is_bipartite(g):
            colour = nx.bipartite.color(g)
        else:
            colour = nx.greedy_color(g, strategy="largest_first")
        cols = np.array([colour[int(v)] for v in free], dtype=np.int64)
        order = np.lexsort((free, cols))
        col_vars = free[order].astype(np.int64)
        counts = np.bincount(cols, minlength=(cols.max() + 1) if cols.size else 0)
        col_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._colourings[key] = (col_ptr, col_vars)
        return col_ptr, col_vars

    # -------------------------------------------------------------- blocking
    def hard_factors(self, clamped: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Factors that can block single-site Gibbs moves, given the evidence.

        A factor is *hard* when its table, reduced by the evidence (``clamped``
        positions at ``values``), still holds a zero entry and at least two of its
        variables are free: a zero can forbid every single-variable move out of a
        state (``either = tub OR lung`` in asia), which makes single-site Gibbs
        reducible.  The rule is sound, not tight: some hard factors are harmless.

        Examples
        --------
        >>> from pgm.factor import Factor
        >>> from pgm.factor_graph import FactorGraph
        >>> eq = Factor(["a", "b"], [2, 2], [[1.0, 0.0], [0.0, 1.0]])
        >>> cm = compile_model(FactorGraph([eq, Factor(["b", "c"], [2, 2], np.ones((2, 2)))]))
        >>> cm.hard_factors(np.zeros(0, np.int64), np.zeros(0, np.int64)).tolist()
        [0]
        >>> cm.hard_factors(np.array([0]), np.array([1])).tolist()   # a clamped: b is forced
        []
        """
        card, f_ptr, f_vars, tab, tab_off = (self.arrays[0], self.arrays[4], self.arrays[5],
                                             self.arrays[7], self.arrays[8])
        fixed = np.full(self.n_variables, -1, dtype=np.int64)
        fixed[np.asarray(clamped, dtype=np.int64)] = np.asarray(values, dtype=np.int64)
        hard = []
        if self.n_factors == 0:
            return np.array(hard, dtype=np.int64)
        has_zero = np.isneginf(np.minimum.reduceat(tab, tab_off)) if tab.size else \
            np.zeros(self.n_factors, dtype=bool)
        for f in np.flatnonzero(has_zero).tolist():
            scope = f_vars[f_ptr[f]:f_ptr[f + 1]]
            if int(np.count_nonzero(fixed[scope] < 0)) < 2:
                continue
            shape = tuple(int(card[u]) for u in scope)
            size = int(np.prod(shape))
            t = tab[tab_off[f]:tab_off[f] + size]
            sub = t.reshape(shape)[tuple(int(fixed[u]) if fixed[u] >= 0 else slice(None)
                                         for u in scope)]
            if np.isneginf(sub).any():
                hard.append(f)
        return np.array(hard, dtype=np.int64)

    def blocking(self, clamped: np.ndarray, values: np.ndarray,
                 max_block_states: int = MAX_BLOCK_STATES) -> Blocking:
        """Group the free variables tied by :meth:`hard_factors` into Gibbs blocks.

        Hard factors are taken smallest first (by the joint states of their free
        variables, then model order); each one merges the blocks of its free variables
        (union-find) when the merged block has at most ``max_block_states`` joint
        states, else it is left out (listed in :attr:`Blocking.unblocked`), so a group
        over the limit is split into blocks under it or stays single-site.

        Examples
        --------
        >>> from pgm.factor import Factor
        >>> from pgm.factor_graph import FactorGraph
        >>> eq = [[1.0, 0.0], [0.0, 1.0]]
        >>> fg = FactorGraph([Factor(["a", "b"], [2, 2], eq), Factor(["b", "c"], [2, 2], eq),
        ...                   Factor(["c", "d"], [2, 2], np.ones((2, 2)))])
        >>> cm = compile_model(fg)
        >>> none = np.zeros(0, np.int64)
        >>> [tuple(cm.variables[v] for v in b) for b in cm.blocking(none, none).blocks]
        [('a', 'b', 'c')]
        >>> cm.blocking(none, none, max_block_states=4).unblocked.tolist()
        [1]
        """
        max_block_states = int(max_block_states)
        card = self.cardinalities
        f_ptr, f_vars = self.arrays[4], self.arrays[5]
        clamped = np.asarray(clamped, dtype=np.int64)
        isfree = np.ones(self.n_variables, dtype=bool)
        isfree[clamped] = False
        hard = self.hard_factors(clamped, values)
        parent = list(range(self.n_variables))
        states = [int(k) for k in card.tolist()]

        def root(v: int) -> int:
            while parent[v] != v:
                parent[v] = parent[parent[v]]
                v = parent[v]
            return v

        def free_scope(f: int) -> list[int]:
            return [int(u) for u in f_vars[f_ptr[f]:f_ptr[f + 1]] if isfree[u]]

        def scope_states(f: int) -> int:
            return int(np.prod([states[u] for u in free_scope(f)], dtype=object))

        unblocked = []
        for f in sorted(hard.tolist(), key=lambda f: (scope_states(f), f)):
            roots = sorted({root(u) for u in free_scope(f)})
            merged = 1
            for r in roots:
                merged *= states[r]
            if merged > max_block_states:
                unblocked.append(f)
                continue
            for r in roots[1:]:
                parent[r] = roots[0]
            states[roots[0]] = merged
        groups: dict[int, list[int]] = {}
        for v in np.flatnonzero(isfree).tolist():
            groups.setdefault(root(v), []).append(v)
        blocks = [np.array(g, dtype=np.int64) for g in groups.values() if len(g) > 1]
        blocks.sort(key=lambda b: int(b[0]))
        return Blocking(blocks, hard, np.array(sorted(unblocked), dtype=np.int64),
                        max_block_states)

    def sites(self, free_order: np.ndarray, blocks: Sequence[np.ndarray]
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The scan sites of a blocked sampler, as CSR arrays for the kernels.

        Walking ``free_order``, each variable outside a block is a site of its own and
        each block one site, at the place of its first variable met; returns
        ``(site_ptr, site_vars, sf_ptr, sf_fac)``: the variables of site ``i`` (a
        block's in model order, the last one the fastest digit of its joint state) and
        the factors touching it (blocks only; empty for single sites).

        Examples
        --------
        >>> from pgm.factor import Factor
        >>> from pgm.factor_graph import FactorGraph
        >>> fg = FactorGraph([Factor(["a", "b"], [2, 2], np.ones((2, 2))),
        ...                   Factor(["b", "c"], [2, 2], np.ones((2, 2)))])
        >>> site_ptr, site_vars, sf_ptr, sf_fac = compile_model(fg).sites(
        ...     np.array([2, 0, 1]), [np.array([0, 1])])
        >>> site_ptr.tolist(), site_vars.tolist(), sf_ptr.tolist(), sf_fac.tolist()
        ([0, 1, 3], [2, 0, 1], [0, 0, 2], [0, 1])
        """
        vf_ptr, vf_fac = self.arrays[1], self.arrays[2]
        block_of = np.full(self.n_variables, -1, dtype=np.int64)
        for b, blk in enumerate(blocks):
            block_of[blk] = b
        site_ptr, site_vars, sf_ptr, sf_fac = [0], [], [0], []
        seen = set()
        for v in np.asarray(free_order, dtype=np.int64).tolist():
            b = int(block_of[v])
            if b < 0:
                site_vars.append(v)
            elif b in seen:
                continue
            else:
                seen.add(b)
                site_vars.extend(blocks[b].tolist())
                facs = sorted({int(f) for u in blocks[b].tolist()
                               for f in vf_fac[vf_ptr[u]:vf_ptr[u + 1]]})
                sf_fac.extend(facs)
            site_ptr.append(len(site_vars))
            sf_ptr.append(len(sf_fac))
        return tuple(np.array(a, dtype=np.int64) for a in (site_ptr, site_vars, sf_ptr, sf_fac))

    def site_colouring(self, free: np.ndarray, blocks: Sequence[np.ndarray]) -> np.ndarray:
        """A scan order of ``free`` in which each block is one unit of the colouring.

        The graph of the sites (single free variables and blocks), joined when a factor
        touches both, is coloured as in :meth:`colouring`; the order lists the sites
        colour by colour (within a colour by first variable), a block's variables
        together.

        Examples
        --------
        >>> from pgm.factor import Factor
        >>> from pgm.factor_graph import FactorGraph
        >>> chain = [Factor([i, i + 1], [2, 2], np.ones((2, 2))) for i in range(4)]
        >>> cm = compile_model(FactorGraph(chain))
        >>> cm.site_colouring(np.arange(5), [np.array([1, 2])]).tolist()   # sites 0 (1 2) 3 4
        [1, 2, 4, 0, 3]
        """
        block_of = np.full(self.n_variables, -1, dtype=np.int64)
        for b, blk in enumerate(blocks):
            block_of[blk] = b
        isfree = np.zeros(self.n_variables, dtype=bool)
        isfree[free] = True

        def unit(v: int) -> int:   # a site's name: its first variable
            b = int(block_of[v])
            return int(blocks[b][0]) if b >= 0 else v

        g = nx.Graph()
        g.add_nodes_from(sorted({unit(v) for v in free.tolist()}))
        f_ptr, f_vars = self.arrays[4], self.arrays[5]
        for f in range(self.n_factors):
            scope = sorted({unit(int(u)) for u in f_vars[f_ptr[f]:f_ptr[f + 1]] if isfree[u]})
            for i in range(len(scope)):
                for j in range(i + 1, len(scope)):
                    g.add_edge(scope[i], scope[j])
        if nx.is_bipartite(g):
            colour = nx.bipartite.color(g)
        else:
            colour = nx.greedy_color(g, strategy="largest_first")
        order = []
        for u in sorted(g.nodes, key=lambda u: (colour[u], u)):
            b = int(block_of[u])
            order.extend(blocks[b].tolist() if b >= 0 else [u])
        return np.array(order, dtype=np.int64)

    # --------------------------------------------------------- initial state
    def initial_states(self, chains: int, clamped: np.ndarray, values: np.ndarray, seed: int,
                       *, random: bool = True, initial=None,
                       blocks: Sequence[np.ndarray] = ()) -> np.ndarray:
        """Starting states ``(chains, n)`` of positive probability, evidence clamped.

        Without ``initial``: variables are assigned one at a time, each from its
        conditional given the variables assigned so far with every factor maximized
        over the unassigned ones (``random=False`` takes the best state); if that
        dead-ends, a few Gibbs sweeps on the tables with zeros replaced by a large
        penalty repair the state (blocked sweeps over ``blocks`` if given, see
        :meth:`blocking`).  Raises :class:`EvidenceError` naming a variable left
        with no state of positive probability by the evidence, or if no state of
        positive probability is found.
        """
        from pgm.inference import _kernels_generic as K

        n = self.n_variables
        free = self.free_positions(clamped)
        if initial is not None:
            x0 = self._initial_from(initial, chains)
            x0[:, clamped] = values
            lw = self.log_weight(x0)
            bad = np.flatnonzero(~np.isfinite(lw))
            if bad.size:
                raise EvidenceError(
                    f"the initial state of chain {int(bad[0])} has probability zero"
                    + (" given the evidence" if clamped.size else "")
                )
            return x0
        assigned = np.zeros(n, dtype=np.bool_)
        assigned[clamped] = True
        base = np.zeros(n, dtype=self.state_dtype)
        base[clamped] = values
        dead = K.dead_variables(self.arrays, base, assigned, np.arange(n, dtype=np.int64))
        if dead >= 0:
            name = self.variables[dead]
            if assigned[dead]:
                raise EvidenceError(
                    f"the evidence {name!r}={int(base[dead])} has probability zero"
                    + (" given the rest of the evidence" if clamped.size > 1 else "")
                )
            what = "the evidence" if clamped.size else "the factors"
            raise EvidenceError(
                f"{what} leave variable {name!r} with no state of positive probability"
                + (" (the evidence has probability zero)" if clamped.size else "")
            )
        x = np.empty((chains, n), dtype=self.state_dtype)
        rng = np.random.default_rng(seed)
        for c in range(chains):
            xc = base.copy()
            a = assigned.copy()
            order = rng.permutation(free) if random else free
            K.greedy_init(self.arrays, xc, a, order.astype(np.int64), np.uint64(seed), c, random)
            x[c] = xc
        lw = self.log_weight(x)
        if np.all(np.isfinite(lw)):
            return x
        return self._repair(x, lw, free, seed, blocks=blocks)

    def _repair(self, x, lw, free, seed, rounds: int = 20, sweeps: int = 5,
                blocks: Sequence[np.ndarray] = ()) -> np.ndarray:
        from pgm.inference import _kernels_generic as K

        if len(blocks):
            from pgm.inference import _kernels_blocked as KB

            sites = self.sites(free, blocks)

        tab = self.arrays[7]
        penal = np.where(np.isfinite(tab), tab, -50.0)
        m = (*self.arrays[:7], penal, self.arrays[8])
        status = np.full(x.shape[0], -1, dtype=np.int64)
        out = np.empty((x.shape[0], 0, x.shape[1]), dtype=x.dtype)
        for r in range(rounds):
            bad = ~np.isfinite(lw)
            if not bad.any():
                return x
            xb = np.ascontiguousarray(x[bad])
            if len(blocks):
                KB.gibbs_blocked_chains(m, xb, *sites, 0, np.uint64(seed), 10**6 + r * sweeps,
                                        sweeps, 0, 1, np.ones(1), out[: xb.shape[0]],
                                        status[: xb.shape[0]])
            else:
                K.gibbs_chains(m, xb, free, 0, np.uint64(seed), 10**6 + r * sweeps, sweeps, 0, 1,
                               np.ones(1), out[: xb.shape[0]], status[: xb.shape[0]])
            x[bad] = xb
            lw = self.log_weight(x)
        if np.all(np.isfinite(lw)):
            return x
        raise EvidenceError(
            "could not find a state of positive probability (the evidence or the zeros of "
            "the factors may make every state impossible)"
        )

    def _initial_from(self, initial, chains: int) -> np.ndarray:
        if isinstance(initial, Mapping):
            missing = [v for v in self.variables if v not in initial]
            if missing:
                raise UnknownVariableError(f"initial state lacks variable {missing[0]!r}")
            for v in initial:
                if v not in self.index:
                    raise UnknownVariableError(f"initial state names unknown variable {v!r}")
            arr = np.array([initial[v] for v in self.variables])
        else:
            arr = np.asarray(initial)
        if arr.dtype.kind not in "iub":
            raise ParameterError(f"initial state must hold integer states, got dtype {arr.dtype}")
        if arr.ndim == 1:
            arr = np.broadcast_to(arr, (chains, arr.shape[0]))
        if arr.ndim != 2 or arr.shape != (chains, self.n_variables):
            raise ParameterError(
                f"initial state must have shape ({self.n_variables},) or ({chains}, "
                f"{self.n_variables}), got {np.shape(initial)}"
            )
        bad = np.argwhere((arr < 0) | (arr >= self.cardinalities))
        if bad.size:
            c, v = (int(i) for i in bad[0])
            raise EvidenceError(
                f"initial state {arr[c, v]} of {self.variables[v]!r} is outside its states "
                f"0..{self.cardinalities[v] - 1}"
            )
        return np.ascontiguousarray(arr.astype(self.state_dtype))


@dataclass
class Blocking:
    """The Gibbs blocks of a model given evidence (see :meth:`CompiledModel.blocking`).

    Attributes
    ----------
    blocks : list of ndarray
        Positions of the variables of each block (two or more, model order), blocks
        ordered by their first variable.
    hard : ndarray
        The hard factors (zero entries over two or more free variables).
    unblocked : ndarray
        Hard factors whose variables could not be put in one block under the limit.
    max_block_states : int
    """

    blocks: list
    hard: np.ndarray
    unblocked: np.ndarray
    max_block_states: int

    def names(self, cm: CompiledModel) -> list[tuple]:
        """The blocks as tuples of variables."""
        return [tuple(cm.variables[int(v)] for v in b) for b in self.blocks]


def compile_model(model) -> CompiledModel:
    """Flatten a FactorGraph or BayesianNetwork into a :class:`CompiledModel`.

    A :class:`CompiledModel` is returned unchanged.

    Examples
    --------
    >>> from pgm.factor import Factor
    >>> from pgm.factor_graph import FactorGraph
    >>> fg = FactorGraph([Factor(["a", "b"], [2, 2], [[1.0, 2.0], [3.0, 4.0]])])
    >>> cm = compile_model(fg)
    >>> round(cm.log_weight(np.array([1, 0])), 6) == round(float(np.log(3.0)), 6)
    True
    """
    if isinstance(model, CompiledModel):
        return model
    fg = as_factor_graph(model)
    variables = list(fg.variables)
    index = {v: i for i, v in enumerate(variables)}
    card = np.array([fg.cardinality(v) for v in variables], dtype=np.int64)
    factors = fg.factors
    nf = len(factors)
    f_ptr = np.zeros(nf + 1, dtype=np.int64)
    scopes: list[list[int]] = []
    strides: list[np.ndarray] = []
    tables: list[np.ndarray] = []
    for k, f in enumerate(factors):
        scope = [index[v] for v in f.variables]
        cards = np.array(f.cardinalities, dtype=np.int64)
        st = np.ones(len(scope), dtype=np.int64)
        if len(scope) > 1:
            st[:-1] = np.cumprod(cards[::-1])[::-1][1:]
        scopes.append(scope)
        strides.append(st)
        tables.append(np.ascontiguousarray(f.to_log().values, dtype=np.float64).ravel())
        f_ptr[k + 1] = f_ptr[k] + len(scope)
    f_vars = np.array([v for s in scopes for v in s], dtype=np.int64)
    f_stride = np.concatenate(strides).astype(np.int64) if strides else np.zeros(0, np.int64)
    sizes = np.array([t.size for t in tables], dtype=np.int64)
    tab_off = np.zeros(nf, dtype=np.int64)
    if nf:
        tab_off[1:] = np.cumsum(sizes)[:-1]
    tab = np.concatenate(tables) if tables else np.zeros(0)
    # per-variable incident factors (CSR), in factor order
    deg = np.bincount(f_vars, minlength=len(variables)) if f_vars.size else \
        np.zeros(len(variables), dtype=np.int64)
    vf_ptr = np.zeros(len(variables) + 1, dtype=np.int64)
    vf_ptr[1:] = np.cumsum(deg)
    fac_of_entry = np.repeat(np.arange(nf, dtype=np.int64), np.diff(f_ptr))
    order = np.argsort(f_vars, kind="stable")
    vf_fac = fac_of_entry[order].astype(np.int64)
    vf_stride = f_stride[order].astype(np.int64)
    arrays = (card, vf_ptr, vf_fac, vf_stride, f_ptr, f_vars, f_stride, tab, tab_off)
    from pgm.bayesian_network import BayesianNetwork

    return CompiledModel(variables, index, card, arrays, fg,
                         _state_dtype(int(card.max()) if card.size else 1),
                         is_bayesian_network=isinstance(model, BayesianNetwork))


def variable_order(cm: CompiledModel, order: Sequence[Hashable] | None, free: np.ndarray
                   ) -> np.ndarray:
    """Positions of the free variables in a user-given order (default: model order)."""
    if order is None:
        return free
    pos = [cm.position(v) for v in order]
    isfree = set(free.tolist())
    pos = [p for p in pos if p in isfree]
    if sorted(pos) != sorted(isfree):
        raise ParameterError("order must list every non-evidence variable exactly once")
    return np.array(pos, dtype=np.int64)
