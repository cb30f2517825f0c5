"""A compiled, batched junction tree: exact inference on many rows of evidence at once.

The tree is built once per model: the interaction graph is triangulated by an
elimination order of :mod:`pgm.inference.orders` (:func:`~pgm.inference.orders.order_for`,
the same heuristics as variable elimination), the maximal elimination clusters become
the cliques, and a maximum-weight spanning tree (Kruskal, weights = separator sizes,
ties broken as :func:`networkx.maximum_spanning_tree` does) links them; a disconnected
model gives a forest, one tree per component.  Every factor
(one per CPD for a :class:`~pgm.BayesianNetwork`) is multiplied into one clique that
contains its scope, and each clique's initial potential is stored as one table
(all ones when no factor lands there): the product is formed in log space and
exponentiated once, shifted to a maximum of 1, the shifts kept aside as one log
constant.

Queries take a **batch of rows**: ``codes`` is an integer array ``(B, n_variables)``
whose columns follow :attr:`JunctionTree.variables`, an entry being the observed state
index or ``-1`` for unobserved.  Hard evidence enters as one-hot indicators (all ones
for ``-1``) multiplied into one clique per variable, soft (virtual) evidence
``likelihoods={var: (B, card) or (card,)}`` likewise.  Propagation is the two-pass
Hugin sum-product (collect, then distribute with separator division, ``0/0 = 0``) with
a batch axis: every clique potential holds all B rows, and all rows go through each
clique in one NumPy operation (loops are over cliques, never over rows).  Inside, the
batch axis is the *last* one, ``(*clique cardinalities, B)``: every sum over clique
axes then adds contiguous runs of rows, 4-10x faster than with the rows first; what
the methods return has the rows first.  Every message is rescaled per row to a
maximum of 1 and its log scale added to that row's total, so long chains and tiny
probabilities neither underflow nor overflow.  An initial potential is held in
probability space relative to its largest entry: entries more than
:data:`MAX_LOG_RANGE` nats below it (a relative weight under ``1e-304``) are treated as
zero and counted in :attr:`JunctionTree.flushed`; variable elimination, which works in
log space, keeps them.  The distribute pass only
visits the cliques a query needs (none for the log evidence).  :meth:`~JunctionTree.calibrate`
(one evidence set, no batch axis) keeps the messages of its last call in both directions
and recomputes only those that an evidence change makes stale.  Rows are processed in
batches whose workspace stays under :data:`WORKSPACE_TARGET` bytes (or the memory
budget), checked with :func:`pgm._config.check_allocation` before anything is
allocated; the cost is about ``B`` times the total clique size.

Results
-------
* :meth:`~JunctionTree.log_evidence_batch`: ``log P(row)`` per row (for a factor graph
  ``log Z(row)``, the log of the sum of the factors' product over the unobserved
  variables; soft evidence multiplies in).  A row of impossible evidence gives ``-inf``.
* :meth:`~JunctionTree.marginals_batch`: ``P(X | row)`` of each variable, shape
  ``(B, card)``; the rows of impossible evidence are filled uniform (never NaN).
* :meth:`~JunctionTree.expected_counts`: ``sum_b w_b P(scope | row b)`` for scopes
  that each lie in one clique (the E-step of EM: the CPD families of a network always
  do); an impossible row with nonzero weight raises
  :class:`~pgm.exceptions.EvidenceError` (``on_impossible="skip"`` gives it weight 0).

Examples
--------
>>> import numpy as np
>>> from pgm import BayesianNetwork, TabularCPD
>>> bn = BayesianNetwork.from_cpds([
...     TabularCPD("rain", [0.8, 0.2]),
...     TabularCPD("wet", [[0.9, 0.1], [0.2, 0.8]], parents=["rain"]),
... ])
>>> jt = JunctionTree(bn)
>>> codes = np.array([[-1, 1], [1, -1], [-1, -1]])   # columns: rain, wet
>>> np.exp(jt.log_evidence_batch(codes)).round(4).tolist()   # P(wet=1), P(rain=1), 1
[0.24, 0.2, 1.0]
>>> logp, post = jt.marginals_batch(codes, ["rain"])
>>> post["rain"].round(4).tolist()
[[0.3333, 0.6667], [0.0, 1.0], [0.8, 0.2]]
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pgm._config import check_allocation, memory_budget_bytes
from pgm._math import safe_log
from pgm.bayesian_network import BayesianNetwork
from pgm.evidence import normalize_evidence, resolve_variable
from pgm.exceptions import (
    ArgumentTypeError,
    EvidenceError,
    ModelError,
    ParameterError,
    QueryError,
    UnknownVariableError,
)
from pgm.factor import is_sequence
from pgm.factor_graph import FactorGraph
from pgm.inference.orders import HEURISTICS, cluster_sizes, order_for
from pgm.results import named_marginals
from pgm.validation import check_choice, check_positive_int

__all__ = ["JunctionTree", "Calibration", "WORKSPACE_TARGET", "MAX_LOG_RANGE", "ON_IMPOSSIBLE"]

Variable = Hashable

#: bytes of per-batch workspace aimed at when ``batch_size`` is chosen automatically
WORKSPACE_TARGET = 64 * 2**20

#: largest span (in nats) between the biggest and the smallest nonzero entry of a clique's
#: initial potential: beyond it the smallest would underflow in probability space
MAX_LOG_RANGE = 700.0

#: the choices of ``expected_counts(..., on_impossible=...)``
ON_IMPOSSIBLE = ("raise", "skip")


@dataclass(frozen=True)
class _Edge:
    """A tree edge ``parent -- child`` and the axis bookkeeping of its messages.

    Tables hold the batch axis last; messages hold the separator's variables in the
    child's axis order, then the batch axis.
    """

    parent: int
    child: int
    sep: tuple
    child_sum: tuple      # axes of the child's table not in the separator
    parent_sum: tuple     # axes of the parent's table not in the separator
    to_parent: tuple      # permutation: child-ordered message -> parent-ordered
    to_child: tuple       # permutation: parent-ordered message -> child-ordered
    child_shape: tuple    # broadcast shape (without B) of a message into the child
    parent_shape: tuple   # broadcast shape (without B) of a message into the parent
    sep_in_child: tuple   # the separator's cardinalities in the child's axis order
    sep_in_parent: tuple  # the separator's cardinalities in the parent's axis order


@dataclass(frozen=True)
class _Messages:
    """What :meth:`JunctionTree.calibrate` keeps of its last calibration for the next one.

    ``row``/``lik``: the evidence (codes of one row, soft evidence by column);
    ``init[c]``: clique ``c``'s potential; ``prod[c]``: it times the upward messages of
    ``c``'s children; ``up[c]``/``up_log[c]``: the message ``c -> parent`` rescaled to a
    maximum of 1 (in the parent's broadcast shape) and the log of the scale divided out;
    ``down[c]``: the message ``parent -> c`` (in the child's broadcast shape).  Lists are
    indexed by clique (``None`` where no message exists); no array is written to after
    it is stored, so a new calibration copies the lists and replaces entries.
    """

    mode: str
    row: np.ndarray
    lik: dict
    init: list
    prod: list
    up: list
    up_log: list
    down: list


def _first(t: tuple) -> Any:
    return t[0]


def _imul(t: np.ndarray, m: np.ndarray) -> np.ndarray:
    t *= m
    return t


def _rescale(m: np.ndarray, logscale: np.ndarray) -> np.ndarray:
    """Divide each row of ``m`` (batch axis last) by its maximum; add its log to ``logscale``.

    Returns the divisors; a row that is all zero (impossible evidence) is left as it is.
    """
    b = m.shape[-1]
    s = m.reshape(-1, b).max(axis=0)
    s = np.where(s > 0, s, 1.0)
    m /= s
    logscale += np.log(s)
    return s


class JunctionTree:
    """Exact inference for many rows of evidence at once, on a tree compiled once.

    Parameters
    ----------
    model : BayesianNetwork or FactorGraph
        The model.  A Bayesian network contributes one factor per CPD; its log evidence
        is ``log P(row)`` (``log Z(row) - log Z``, so CPDs that are not exactly
        normalized still give probabilities).  A factor graph's is ``log Z(row)``.
    heuristic : str, default "auto"
        Elimination heuristic of the triangulation, one of
        :data:`~pgm.inference.orders.HEURISTICS`.
    memory_budget : int, optional
        Bytes (default ``$PGM_MEMORY_BUDGET`` or 4 GiB).  The clique tables are checked
        against it at construction (:class:`~pgm.exceptions.MemoryBudgetError` naming the
        largest clique), and each batch's workspace before it is allocated.

    Attributes
    ----------
    variables : list
        The model's variables (``bn.nodes`` / ``fg.variables``); the columns of ``codes``.
    cardinalities : ndarray of int64
        Number of states of each variable, in that order.
    cliques : list of tuple
        The variables of each clique (in model order: the axes of its tables).
    separators : dict
        ``{(i, j): variables}`` for each tree edge, ``i < j``.
    last_messages_recomputed : int or None
        Directed messages computed by the last :meth:`calibrate` (out of
        :attr:`n_messages`; the others were reused, see its ``incremental``), None before
        the first call.

    Notes
    -----
    The model's tables are read once, at construction: after changing a CPD, build a new
    tree (cheap next to a batch: a few milliseconds for ``alarm``).  A row of impossible
    evidence gets ``log_evidence = -inf`` and uniform posteriors; :meth:`marginals` (one
    evidence dict) raises :class:`~pgm.exceptions.EvidenceError` instead, as variable
    elimination does.

    Examples
    --------
    >>> import numpy as np
    >>> from pgm import BayesianNetwork, TabularCPD
    >>> bn = BayesianNetwork.from_cpds([
    ...     TabularCPD("a", [0.6, 0.4]),
    ...     TabularCPD("b", [[0.7, 0.3], [0.1, 0.9]], parents=["a"]),
    ...     TabularCPD("c", [[0.5, 0.5], [0.2, 0.8]], parents=["b"]),
    ... ])
    >>> jt = JunctionTree(bn)
    >>> sorted(map(sorted, jt.cliques)), list(jt.separators.values())
    ([['a', 'b'], ['b', 'c']], [('b',)])
    >>> codes = np.array([[0, -1, 1], [-1, 1, -1]])          # columns a, b, c
    >>> logp, (ab,) = jt.expected_counts(codes, [("a", "b")])
    >>> ab.round(4).tolist()      # P(a, b | c=1, a=0) + P(a, b | b=1)
    [[0.5932, 0.7401], [0.0, 0.6667]]
    >>> round(jt.log_evidence({"b": 1}), 6) == round(float(np.log(0.6 * 0.3 + 0.4 * 0.9)), 6)
    True
    """

    def __init__(self, model: Any, *, heuristic: str = "auto",
                 memory_budget: int | None = None) -> None:
        if not isinstance(heuristic, str) or heuristic not in HEURISTICS:
            raise QueryError(f"unknown elimination heuristic {heuristic!r}; use one of {HEURISTICS}")
        if memory_budget is not None:
            memory_budget_bytes(memory_budget)  # ParameterError on a nonsensical budget
        self.model = model
        self.heuristic = heuristic
        self.memory_budget = memory_budget
        tables = self._model_tables(model)
        self._col = {v: j for j, v in enumerate(self.variables)}
        card = {v: int(c) for v, c in zip(self.variables, self.cardinalities)}
        self._card = card
        self._build_tree(tables, card)
        self._build_potentials(tables, card)
        self._log_norm: float | None = None if self._is_bn else 0.0
        self._messages: _Messages | None = None    # kept by calibrate() for the next call
        #: directed messages computed by the last :meth:`calibrate` (a diagnostic; None
        #: before the first)
        self.last_messages_recomputed: int | None = None

    @property
    def _normalizer(self) -> float:
        """``log Z`` of a Bayesian network without evidence (0 for a factor graph), computed
        once, on first use: subtracting it makes ``log P(row)`` exact for CPDs that are not
        exactly normalized (BIF files round them)."""
        if self._log_norm is None:
            self._log_norm = 0.0
            row = np.full((1, len(self.variables)), -1, dtype=np.int64)
            ll = float(self._batch_log_evidence(row, {})[0])
            if not np.isfinite(ll):
                self._log_norm = None
                raise ModelError("the network gives every configuration probability zero (Z = 0)")
            self._log_norm = ll
        return self._log_norm

    # ------------------------------------------------------------ construction
    def _model_tables(self, model: Any) -> list[tuple[tuple, np.ndarray]]:
        """The model's factors as ``(variables, natural-log table)`` (``-inf`` for zero)."""
        tables: list[tuple[tuple, np.ndarray]] = []
        if isinstance(model, BayesianNetwork):
            self._is_bn = True
            model.topological_order()          # CycleError on a cyclic graph
            fg = model.to_factor_graph()       # MissingCPDError, cardinality checks
            self.variables = list(model.nodes)
            self.cardinalities = np.array([fg.cardinality(v) for v in self.variables],
                                          dtype=np.int64)
            for f in fg.factors:               # one per CPD, in the order of model.nodes
                tables.append((tuple(f.variables), np.asarray(safe_log(f.values), dtype=float)))
        elif isinstance(model, FactorGraph):
            self._is_bn = False
            self.variables = list(model.variables)
            self.cardinalities = np.array([model.cardinality(v) for v in self.variables],
                                          dtype=np.int64)
            for f in model.factors:
                a = f.values if f.log else safe_log(f.values)
                tables.append((tuple(f.variables), np.asarray(a, dtype=float)))
        else:
            raise ArgumentTypeError(f"JunctionTree needs a BayesianNetwork or a FactorGraph, "
                                    f"got {type(model).__name__}")
        return tables

    def _build_tree(self, tables: list[tuple[tuple, np.ndarray]], card: dict) -> None:
        """Triangulate, keep the maximal clusters, link them by a maximum spanning tree."""
        where = self._col
        scopes = [vs for vs, _ in tables] + [(v,) for v in self.variables]
        order = order_for([(s, None) for s in scopes], card, [self.variables], None,
                          self.heuristic, self.memory_budget)
        cliques: list[frozenset] = []
        by_var: dict[Variable, list[int]] = {v: [] for v in self.variables}
        for v, nb in cluster_sizes(scopes, order):
            cluster = frozenset(nb) | {v}
            # a cluster inside another one is inside an earlier one that holds v
            if any(cluster <= cliques[k] for k in by_var[v]):
                continue
            for u in cluster:
                by_var[u].append(len(cliques))
            cliques.append(cluster)
        self.cliques = [tuple(sorted(c, key=where.__getitem__)) for c in cliques]
        self._sizes = [math.prod(card[v] for v in c) for c in self.cliques]
        k = len(self.cliques)
        self._by_var = {v: frozenset(ks) for v, ks in by_var.items()}
        # fail fast, before any table is built, when the cliques cannot fit
        if k:
            big = int(np.argmax(self._sizes))
            shown = list(self.cliques[big][:8]) + (["..."] if len(self.cliques[big]) > 8 else [])
            check_allocation(8 * sum(self._sizes),
                             f"the {k} clique tables of the junction tree (largest clique: "
                             f"{self._sizes[big]} entries over {len(self.cliques[big])} variables "
                             f"{shown})", memory_budget=self.memory_budget)
        # the clique graph (cliques sharing a variable), its edges in the order networkx
        # would list them (by first clique, then as added), their weights the separator sizes
        adj: list[dict[int, int]] = [{} for _ in range(k)]
        for ks in by_var.values():
            for i, a in enumerate(ks):
                ca, na = cliques[a], adj[a]
                for b in ks[i + 1:]:
                    if b not in na:
                        na[b] = adj[b][a] = len(ca & cliques[b])
        pairs = [(w, a, b) for a in range(k) for b, w in adj[a].items() if b > a]
        pairs.sort(key=_first, reverse=True)    # stable: Kruskal's order, heaviest first
        # a maximum spanning forest (Kruskal with union-find), as nx.maximum_spanning_tree
        group = list(range(k))

        def find(x: int) -> int:
            while group[x] != x:
                group[x] = group[group[x]]
                x = group[x]
            return x

        links: list[list[int]] = [[] for _ in range(k)]
        for _, a, b in pairs:
            ra, rb = find(a), find(b)
            if ra != rb:
                group[rb] = ra
                links[a].append(b)
                links[b].append(a)
        lowest: dict[int, int] = {}
        for x in range(k):
            lowest.setdefault(find(x), x)
        self._roots = sorted(lowest.values())    # the lowest clique of each tree
        self._parent = [-1] * k
        self._preorder: list[int] = []   # non-root cliques, every parent before its children
        self._edges: dict[int, _Edge] = {}
        self.separators: dict[tuple[int, int], tuple] = {}
        seen = [False] * k
        for r in self._roots:           # breadth first, neighbours in increasing order
            seen[r] = True
            queue = [r]
            for p in queue:
                for c in sorted(links[p]):
                    if not seen[c]:
                        seen[c] = True
                        queue.append(c)
                        self._parent[c] = p
                        self._preorder.append(c)
                        e = self._edges[c] = self._edge(p, c)
                        self.separators[(min(p, c), max(p, c))] = e.sep
        self.separators = dict(sorted(self.separators.items()))
        # one row's workspace: every clique table, the messages kept for the downward pass
        # and their temporaries, the largest clique's temporaries, evidence indicators
        sep_entries = sum(math.prod(card[v] for v in s) for s in self.separators.values())
        self._row_bytes = 8 * (sum(self._sizes) + 3 * sep_entries + 2 * max(self._sizes, default=1)
                               + 2 * int(self.cardinalities.sum()) + 8)
        if k:
            check_allocation(self._row_bytes, f"one row of the junction tree's workspace (largest "
                             f"clique: {self._sizes[big]} entries over {len(self.cliques[big])} "
                             f"variables {shown})", memory_budget=self.memory_budget)

    def _edge(self, p: int, c: int) -> _Edge:
        cv, pv = self.cliques[c], self.cliques[p]
        in_parent = set(pv)
        sep = tuple(v for v in cv if v in in_parent)
        in_p = [pv.index(v) for v in sep]                 # parent axis of each separator variable
        p_sorted = sorted(range(len(sep)), key=in_p.__getitem__)   # separator order in the parent
        return _Edge(
            parent=p, child=c, sep=sep,
            child_sum=tuple(i for i, v in enumerate(cv) if v not in sep),
            parent_sum=tuple(i for i, v in enumerate(pv) if v not in sep),
            to_parent=(*p_sorted, len(sep)),
            to_child=(*(p_sorted.index(i) for i in range(len(sep))), len(sep)),
            child_shape=tuple(self._card[v] if v in sep else 1 for v in cv),
            parent_shape=tuple(self._card[v] if v in sep else 1 for v in pv),
            sep_in_child=tuple(self._card[v] for v in cv if v in sep),
            sep_in_parent=tuple(self._card[v] for v in pv if v in sep),
        )

    def _smallest(self, candidates: Iterable[int]) -> int:
        return min(candidates, key=lambda k: (self._sizes[k], k))

    def _build_potentials(self, tables: list[tuple[tuple, np.ndarray]], card: dict) -> None:
        """Each factor into the smallest clique holding its scope.

        The product is formed in log space and exponentiated once, shifted to a maximum of
        1 (the shifts add up to :attr:`_offset`), so no factor underflows on its own;
        entries more than :data:`MAX_LOG_RANGE` nats below the maximum are set to zero
        (counted in :attr:`flushed`).
        """
        k = len(self.cliques)
        logs: list[np.ndarray | None] = [None] * k    # None: no factor lands there
        offset = 0.0
        for vs, a in tables:
            if not vs:  # a constant factor only scales Z
                offset += float(a)
                continue
            home = self._smallest(frozenset.intersection(*(self._by_var[v] for v in vs)))
            cv = self.cliques[home]
            perm = sorted(range(len(vs)), key=lambda i: cv.index(vs[i]))
            shape = [card[v] if v in vs else 1 for v in cv]
            if logs[home] is None:
                logs[home] = np.zeros([card[v] for v in cv])
            logs[home] += np.transpose(a, perm).reshape(shape)
        pots = []
        flushed = 0
        for c, t in enumerate(logs):
            if t is None:
                pots.append(np.ones([card[v] for v in self.cliques[c]]))
                continue
            top = float(t.max())
            if not math.isfinite(top):    # all zero: every row of evidence is impossible
                pots.append(np.zeros_like(t))
                continue
            t -= top
            offset += top
            if t.min() < -MAX_LOG_RANGE:  # zeros (-inf) or entries to flush
                tiny = t < -MAX_LOG_RANGE
                flushed += int(np.count_nonzero(tiny & np.isfinite(t)))
                t[tiny] = -np.inf
            pots.append(np.exp(t))
        self._potentials = pots
        self._offset = offset
        #: entries of the initial potentials set to zero (more than MAX_LOG_RANGE nats
        #: below their clique's largest)
        self.flushed = flushed
        # the variables whose evidence each clique takes: (column, axis, broadcast shape)
        self._home = {v: self._smallest(self._by_var[v]) for v in self.variables}
        self._evidence_of: list[list[tuple[int, tuple]]] = [[] for _ in range(k)]
        for v, h in self._home.items():
            cv = self.cliques[h]
            self._evidence_of[h].append((self._col[v], tuple(card[u] if u == v else 1 for u in cv)))
        self._scopes = [vs for vs, _ in tables]

    # ------------------------------------------------------------- structure
    def __repr__(self) -> str:
        width = max((len(c) for c in self.cliques), default=0) - 1
        return (f"JunctionTree({len(self.variables)} variables, {len(self.cliques)} cliques, "
                f"{len(self._roots)} tree{'s' if len(self._roots) != 1 else ''}, width {width}, "
                f"largest clique {max(self._sizes, default=0)} entries)")

    @property
    def clique_sizes(self) -> list[int]:
        """Number of entries of each clique's table."""
        return list(self._sizes)

    @property
    def roots(self) -> list[int]:
        """The root clique of each tree of the forest (one per connected component)."""
        return list(self._roots)

    @property
    def factor_scopes(self) -> list[tuple]:
        """The scope of each factor of the model (a CPD's is ``(*parents, child)``), in model order.

        Each lies in one clique, so ``expected_counts(codes, jt.factor_scopes)`` gives the
        expected sufficient statistics of every CPD (or factor) at once.
        """
        return list(self._scopes)

    def _variable(self, name: Any, what: str = "variable") -> Variable:
        try:
            if name in self._col:
                return name
        except TypeError:
            pass
        try:
            return resolve_variable(self.model, name, self._col)
        except EvidenceError:
            raise UnknownVariableError(f"{what} {name!r} is not in the model") from None

    def _scope(self, scope: Any) -> tuple:
        try:
            single = scope in self._col
        except TypeError:
            single = False
        if single or isinstance(scope, (str, bytes)) or not is_sequence(scope):
            scope = [scope]
        out = tuple(self._variable(v, "scope variable") for v in scope)
        if len(set(out)) != len(out):
            raise QueryError(f"the scope {list(out)} repeats a variable")
        return out

    def clique_of(self, scope: Any) -> int:
        """Index of a smallest clique containing every variable of ``scope``.

        ``scope`` is a variable or a sequence of variables.  Raises
        :class:`~pgm.exceptions.QueryError` when no clique holds them all.

        Examples
        --------
        >>> from pgm import FactorGraph, Factor
        >>> jt = JunctionTree(FactorGraph([Factor(["a", "b"], [2, 2], [[1, 2], [3, 4]]),
        ...                                Factor(["b", "c"], [2, 2], [[1, 1], [1, 5]])]))
        >>> jt.cliques[jt.clique_of("c")]
        ('b', 'c')
        """
        scope = self._scope(scope)
        if not self.cliques:
            raise QueryError("the model has no variables, so its junction tree has no clique")
        if not scope:
            return self._smallest(range(len(self.cliques)))
        holding = frozenset.intersection(*(self._by_var[v] for v in scope))
        if not holding:
            raise QueryError(f"no clique of the junction tree holds all of {list(scope)}; "
                             f"a scope must lie in one clique (the cliques holding {scope[0]!r}: "
                             f"{[self.cliques[k] for k in sorted(self._by_var[scope[0]])][:5]})")
        return self._smallest(holding)

    # ------------------------------------------------------------------ inputs
    def _check_codes(self, codes: Any) -> np.ndarray:
        n = len(self.variables)
        arr = np.asarray(codes)
        if arr.dtype.kind not in "iu":
            raise EvidenceError(f"codes must be an integer array (state index, or -1 for "
                                f"unobserved), got dtype {arr.dtype}")
        if arr.ndim != 2 or arr.shape[1] != n:
            raise EvidenceError(f"codes must have shape (rows, {n}), one column per variable of "
                                f"the model, got shape {arr.shape}")
        if arr.dtype.kind == "u" and arr.size and arr.max() > np.iinfo(np.int64).max:
            arr = np.minimum(arr, np.iinfo(np.int64).max)  # out of range either way
        arr = arr.astype(np.int64, copy=False)
        bad = (arr < -1) | (arr >= self.cardinalities)
        if bad.any():
            r, j = divmod(int(np.flatnonzero(bad)[0]), n)
            v = self.variables[j]
            raise EvidenceError(f"codes[{r}, {j}] = {int(arr[r, j])} is out of range for variable "
                                f"{v!r} (column {j}), which has states 0..{self.cardinalities[j] - 1} "
                                "(or -1 for unobserved)")
        return arr

    def _check_likelihoods(self, likelihoods: Any, rows: int) -> dict[int, np.ndarray]:
        if likelihoods is None:
            return {}
        if not isinstance(likelihoods, Mapping):
            raise EvidenceError(f"likelihoods must be a mapping {{variable: array}}, got "
                                f"{type(likelihoods).__name__}")
        out: dict[int, np.ndarray] = {}
        for name, value in likelihoods.items():
            v = self._variable(name, "likelihood variable")
            j = self._col[v]
            c = int(self.cardinalities[j])
            try:
                a = np.asarray(value, dtype=float)
            except (TypeError, ValueError):
                raise EvidenceError(f"the likelihood of {v!r} must be a numeric array") from None
            if a.shape not in ((c,), (rows, c)):
                raise EvidenceError(f"the likelihood of {v!r} must have shape ({c},) or ({rows}, {c}), "
                                    f"got {a.shape}")
            if not np.isfinite(a).all() or (a < 0).any():
                raise EvidenceError(f"the likelihood of {v!r} must be finite and non-negative")
            if j in out:
                raise EvidenceError(f"likelihoods give variable {v!r} twice")
            out[j] = a
        return out

    def _batches(self, rows: int, batch_size: int | None, extra_row_bytes: int = 0):
        """``(start, stop)`` of each batch, its workspace checked against the budget first."""
        per_row = self._row_bytes + extra_row_bytes
        if batch_size is None:
            target = min(WORKSPACE_TARGET, memory_budget_bytes(self.memory_budget))
            batch_size = max(1, target // per_row)
        else:
            batch_size = check_positive_int("batch_size", batch_size)
        batch_size = max(1, min(batch_size, rows))
        check_allocation(batch_size * per_row,
                         f"the junction-tree workspace of a batch of {batch_size} rows "
                         f"({per_row} bytes a row)", memory_budget=self.memory_budget)
        for start in range(0, rows, batch_size):
            yield start, min(rows, start + batch_size)

    # ------------------------------------------------------------ propagation
    def _initial(self, c: int, codes: np.ndarray, lik: Mapping[int, np.ndarray]) -> np.ndarray:
        """Clique ``c``'s potential for each row (batch axis last): its table times its
        variables' evidence indicators and likelihoods."""
        b = codes.shape[0]
        out = None
        for j, shape in self._evidence_of[c]:
            card = int(self.cardinalities[j])
            col = codes[:, j]
            ind = None
            if (col >= 0).any():
                ind = ((np.arange(card)[:, None] == col) | (col < 0)).astype(float)
            if j in lik:
                lk = lik[j]
                lk = lk[:, None] if lk.ndim == 1 else lk.T
                ind = np.broadcast_to(lk, (card, b)) if ind is None else ind * lk
            if ind is None:
                continue
            ind = ind.reshape((*shape, b))
            if out is None:
                out = self._potentials[c][..., None] * ind
            else:
                out *= ind
        if out is None:
            out = np.empty((*self._potentials[c].shape, b))
            out[...] = self._potentials[c][..., None]
        return out

    def _propagate(self, codes: np.ndarray, lik: Mapping[int, np.ndarray],
                   needed: frozenset) -> tuple[np.ndarray, dict[int, np.ndarray]]:
        """Collect (and, towards the ``needed`` cliques, distribute) for one batch.

        Returns ``log_evidence`` (B,) and ``{clique: posterior table}`` for the needed
        cliques, shaped ``(*clique cardinalities, B)`` (the batch axis last, so that every
        sum over clique axes adds contiguous rows); rows of impossible evidence are all
        zero there.
        """
        b = codes.shape[0]
        pots: list[np.ndarray | None] = [self._initial(c, codes, lik)
                                         for c in range(len(self.cliques))]
        logscale = np.full(b, self._offset - self._normalizer)
        sent: dict[int, np.ndarray] = {}
        visit = set()
        for c in needed:   # the cliques the distribute pass must reach: needed ones and their ancestors
            while c >= 0 and c not in visit:
                visit.add(c)
                c = self._parent[c]
        for c in reversed(self._preorder):            # collect: children before parents
            e = self._edges[c]
            m = pots[c].sum(axis=e.child_sum) if e.child_sum else pots[c].copy()
            scale = _rescale(m, logscale)
            if c in visit:
                sent[c] = (m, scale)
            else:
                pots[c] = None                         # not needed again
            pots[e.parent] *= m.transpose(e.to_parent).reshape((*e.parent_shape, b))
        with np.errstate(divide="ignore"):
            for r in self._roots:
                z = pots[r].reshape(-1, b).sum(axis=0)
                logscale += np.log(z)
                if r in visit:
                    pots[r] *= np.where(z > 0, 1.0 / np.where(z > 0, z, 1.0), 0.0)
        for c in self._preorder:                       # distribute: parents before children
            if c not in visit:
                continue
            e = self._edges[c]
            p = pots[e.parent]
            new = p.sum(axis=e.parent_sum) if e.parent_sum else p
            new = new.transpose(e.to_child)
            old, scale = sent.pop(c)
            # the child's table sums to scale * old on the separator: divide both out
            ratio = np.divide(new, old * scale, out=np.zeros(old.shape), where=old > 0)
            pots[c] *= ratio.reshape((*e.child_shape, b))
        return logscale, {c: pots[c] for c in needed}

    def _batch_log_evidence(self, codes: np.ndarray, lik: Mapping[int, np.ndarray]) -> np.ndarray:
        return self._propagate(codes, lik, frozenset())[0]

    @staticmethod
    def _slice(lik: Mapping[int, np.ndarray], start: int, stop: int) -> dict[int, np.ndarray]:
        return {j: (a if a.ndim == 1 else a[start:stop]) for j, a in lik.items()}

    # ----------------------------------------------------------------- queries
    def log_evidence_batch(self, codes: Any, *, likelihoods: Mapping[Any, Any] | None = None,
                           batch_size: int | None = None) -> np.ndarray:
        """Natural ``log P(row)`` of each row of ``codes`` (``log Z(row)`` for a factor graph).

        Parameters
        ----------
        codes : int array, shape (B, n_variables)
            State index per variable (columns in :attr:`variables` order), ``-1`` unobserved.
        likelihoods : mapping, optional
            ``{variable: (B, card) or (card,) array}`` of non-negative soft-evidence
            multipliers.
        batch_size : int, optional
            Rows per propagation (default: as many as fit :data:`WORKSPACE_TARGET`).

        Returns
        -------
        ndarray of float64, shape (B,)
            ``-inf`` for a row whose evidence is impossible.
        """
        codes = self._check_codes(codes)
        lik = self._check_likelihoods(likelihoods, codes.shape[0])
        out = np.empty(codes.shape[0])
        for s, t in self._batches(codes.shape[0], batch_size):
            out[s:t] = self._batch_log_evidence(codes[s:t], self._slice(lik, s, t))
        return out

    def marginals_batch(self, codes: Any, variables: Iterable[Any] | None = None, *,
                        likelihoods: Mapping[Any, Any] | None = None,
                        batch_size: int | None = None) -> tuple[np.ndarray, dict[Variable, np.ndarray]]:
        """Posterior of each variable given each row: ``(log_evidence, {var: (B, card)})``.

        Rows of each posterior sum to 1; an observed variable gets a point mass.  A row of
        impossible evidence (``log_evidence == -inf``) has every posterior uniform
        (``1 / card``), never NaN.  See :meth:`log_evidence_batch` for the arguments;
        ``variables`` defaults to all of them.
        """
        codes = self._check_codes(codes)
        rows = codes.shape[0]
        lik = self._check_likelihoods(likelihoods, rows)
        if variables is None:
            query = list(self.variables)
        else:
            if isinstance(variables, (str, bytes)) or not is_sequence(variables):
                variables = [variables]
            query = [self._variable(v, "query variable") for v in variables]
            if len(set(query)) != len(query):
                raise QueryError(f"query variables repeat: {query}")
        cards = [self._card[v] for v in query]
        check_allocation(8 * rows * (sum(cards) + 1), f"the posteriors of {len(query)} variables "
                         f"for {rows} rows", memory_budget=self.memory_budget)
        out = {v: np.empty((rows, c)) for v, c in zip(query, cards)}
        logev = np.empty(rows)
        homes = {v: self._home[v] for v in query}
        needed = frozenset(homes.values())
        for s, t in self._batches(rows, batch_size):
            ll, beliefs = self._propagate(codes[s:t], self._slice(lik, s, t), needed)
            logev[s:t] = ll
            bad = np.isneginf(ll)
            for v in query:
                h = homes[v]
                axis = self.cliques[h].index(v)
                axes = tuple(a for a in range(beliefs[h].ndim - 1) if a != axis)
                p = (beliefs[h].sum(axis=axes) if axes else beliefs[h]).T.copy()
                z = p.sum(axis=1, keepdims=True)
                p /= np.where(z > 0, z, 1.0)
                p[bad] = 1.0 / p.shape[1]
                out[v][s:t] = p
        return logev, out

    def expected_counts(self, codes: Any, scopes: Sequence[Any], *, weights: Any = None,
                        likelihoods: Mapping[Any, Any] | None = None, batch_size: int | None = None,
                        on_impossible: str = "raise") -> tuple[np.ndarray, list[np.ndarray]]:
        """Expected counts ``sum_b weights[b] P(scope | row b)`` of each scope.

        Parameters
        ----------
        codes : int array, shape (B, n_variables)
            As in :meth:`log_evidence_batch`.
        scopes : sequence
            Each a variable or a sequence of variables lying in one clique (for a
            Bayesian network each CPD family ``(*parents, child)`` does; see
            :attr:`factor_scopes`).
        weights : array of shape (B,), optional
            Finite non-negative row weights (default 1).
        on_impossible : {"raise", "skip"}
            What a row of impossible evidence with nonzero weight does: raise
            :class:`~pgm.exceptions.EvidenceError` naming the first such row, or count
            for nothing.

        Returns
        -------
        log_evidence : ndarray, shape (B,)
        counts : list of ndarray
            One per scope, shaped by the scope's cardinalities, axes in the scope's order.
        """
        codes = self._check_codes(codes)
        rows = codes.shape[0]
        lik = self._check_likelihoods(likelihoods, rows)
        check_choice("on_impossible", on_impossible, ON_IMPOSSIBLE)
        if isinstance(scopes, (str, bytes)) or not is_sequence(scopes):
            raise QueryError(f"scopes must be a sequence of scopes (each a sequence of variables), "
                             f"got {scopes!r}")
        scopes = [self._scope(s) for s in scopes]
        homes = [self.clique_of(s) for s in scopes]
        if weights is None:
            w = np.ones(rows)
        else:
            try:
                w = np.asarray(weights, dtype=float)
            except (TypeError, ValueError):
                raise ParameterError("weights must be an array of numbers") from None
            if w.shape != (rows,):
                raise ParameterError(f"weights must have shape ({rows},), one per row, got {w.shape}")
            if not np.isfinite(w).all() or (w < 0).any():
                raise ParameterError("weights must be finite and non-negative")
        counts = [np.zeros([self._card[v] for v in s]) for s in scopes]
        plans = []
        for s, h in zip(scopes, homes):
            cv = self.cliques[h]
            axes = tuple(a for a, v in enumerate(cv) if v not in s)
            kept = [v for v in cv if v in s]
            plans.append((h, axes, tuple(kept.index(v) for v in s)))
        needed = frozenset(homes)
        logev = np.empty(rows)
        for s, t in self._batches(rows, batch_size):
            ll, beliefs = self._propagate(codes[s:t], self._slice(lik, s, t), needed)
            logev[s:t] = ll
            wb = w[s:t]
            bad = np.isneginf(ll)
            if bad.any():
                hit = np.flatnonzero(bad & (wb != 0))
                if hit.size and on_impossible == "raise":
                    r = s + int(hit[0])
                    seen = {self.variables[j]: int(x) for j, x in enumerate(codes[r]) if x >= 0}
                    shown = dict(list(seen.items())[:8])
                    raise EvidenceError(
                        f"row {r} has probability zero under the model (evidence {shown}"
                        f"{' ...' if len(seen) > 8 else ''}{' and soft evidence' if lik else ''}); "
                        "give it weight 0 or pass on_impossible='skip'")
                wb = np.where(bad, 0.0, wb)
            per_clique = {h: beliefs[h] @ wb for h in needed}
            for acc, (h, axes, perm) in zip(counts, plans):
                table = per_clique[h].sum(axis=axes) if axes else per_clique[h]
                acc += np.transpose(table, perm)
        return logev, counts

    # ------------------------------------------------------------ convenience
    def _one_row(self, evidence: Mapping[Any, Any] | None) -> np.ndarray:
        ev = normalize_evidence(self.model, evidence)
        row = np.full((1, len(self.variables)), -1, dtype=np.int64)
        for v, s in ev.items():
            row[0, self._col[v]] = s
        return row

    def log_evidence(self, evidence: Mapping[Any, Any] | None = None) -> float:
        """``log P(evidence)`` (``log Z(evidence)`` for a factor graph); ``-inf`` if impossible.

        ``evidence`` is ``{variable: state}`` with state names or indices
        (:func:`pgm.evidence.normalize_evidence`).
        """
        return float(self.log_evidence_batch(self._one_row(evidence))[0])

    def marginals(self, evidence: Mapping[Any, Any] | None = None, *,
                  variables: Iterable[Any] | None = None) -> dict[Variable, np.ndarray]:
        """``{X: P(X | evidence)}`` for each variable (default all), from one calibration.

        Unlike :meth:`marginals_batch`, impossible evidence raises
        :class:`~pgm.exceptions.EvidenceError` (as variable elimination does).
        """
        row = self._one_row(evidence)
        ll, post = self.marginals_batch(row, variables)
        if not np.isfinite(ll[0]):
            ev = {self.variables[j]: int(x) for j, x in enumerate(row[0]) if x >= 0}
            raise EvidenceError(f"the evidence {ev} has probability zero under the model")
        return named_marginals(self.model, {v: p[0] for v, p in post.items()})

    # ------------------------------------------------------- one calibration
    @property
    def n_messages(self) -> int:
        """Number of directed messages of one calibration: two per tree edge."""
        return 2 * len(self._preorder)

    def _tree_links(self) -> tuple[list[list[int]], list[int]]:
        """Each clique's children and the root of its tree (computed once)."""
        links = self.__dict__.get("_links")
        if links is None:
            k = len(self.cliques)
            children: list[list[int]] = [[] for _ in range(k)]
            root = list(range(k))
            for c in self._preorder:               # parents before children
                children[self._parent[c]].append(c)
                root[c] = root[self._parent[c]]
            links = self._links = (children, root)
        return links

    def _clique_potential(self, c: int, row: np.ndarray, lik: Mapping[int, np.ndarray]) -> np.ndarray:
        """Clique ``c``'s potential given one row of evidence (no batch axis); the stored
        table itself (never to be written to) when none of its variables has evidence."""
        if any(row[0, j] >= 0 or j in lik for j, _ in self._evidence_of[c]):
            return self._initial(c, row, lik)[..., 0]
        return self._potentials[c]

    def _changed_cliques(self, last: _Messages, row: np.ndarray,
                         lik: Mapping[int, np.ndarray]) -> set[int]:
        """The cliques whose potential differs from the one ``last`` was computed with."""
        home = self._home
        cols = set(np.flatnonzero(row[0] != last.row).tolist())
        for j in lik.keys() | last.lik.keys():
            if j not in lik or j not in last.lik or not np.array_equal(lik[j], last.lik[j]):
                cols.add(j)
        return {home[self.variables[j]] for j in cols}

    def _sum_messages(self, row: np.ndarray, lik: dict[int, np.ndarray],
                      last: _Messages | None) -> tuple[float, list[np.ndarray], _Messages, int]:
        """Sum-product calibration for one row, reusing what of ``last`` is still valid.

        Messages are those of the Hugin scheme, kept for every edge in both directions: the
        upward one ``c -> parent`` (the separator marginal of ``prod[c]``, the clique's
        potential times its children's upward messages) and the downward one
        ``parent -> c`` (the parent's belief on the separator divided by the upward
        message, ``0/0 = 0``).  A directed message is stale iff the side of the tree it
        comes from holds a clique whose potential changed; a downward message that is not
        stale is kept only if the new upward message on its edge is zero wherever the
        old one was (where the old one was zero the division left no information).
        Nothing of ``last`` is written to; returns ``(log_evidence, unnormalized beliefs,
        new messages, number of messages recomputed)``, or raises
        :class:`~pgm.exceptions.EvidenceError` for impossible evidence.
        """
        k = len(self.cliques)
        edges, parent = self._edges, self._parent
        children, root = self._tree_links()
        if last is None:
            changed: Iterable[int] = range(k)
            init: list = [None] * k
            prod: list = [None] * k
            up: list = [None] * k
            up_log = [0.0] * k
            down: list = [None] * k
        else:
            changed = self._changed_cliques(last, row, lik)
            init, prod, up = list(last.init), list(last.prod), list(last.up)
            up_log, down = list(last.up_log), list(last.down)
        count = [0] * k                       # changed cliques in each subtree
        for c in changed:
            init[c] = self._clique_potential(c, row, lik)
            count[c] = 1
        for c in reversed(self._preorder):
            count[parent[c]] += count[c]
        recomputed = 0
        for c in (*reversed(self._preorder), *self._roots):   # collect: children first
            if not count[c]:
                continue
            t = init[c]
            for i, d in enumerate(children[c]):
                t = t * up[d] if i == 0 else _imul(t, up[d])
            prod[c] = t
            if parent[c] < 0:
                continue
            e = edges[c]
            m = t.sum(axis=e.child_sum, keepdims=True) if e.child_sum else t.copy()
            s = float(m.max())
            if s > 0:
                m /= s
            up_log[c] = math.log(s) if s > 0 else 0.0
            up[c] = m.reshape(e.sep_in_child).transpose(e.to_parent[:-1]).reshape(e.parent_shape)
            recomputed += 1
        terms = [self._offset - self._normalizer]
        terms += [up_log[c] for c in self._preorder]
        for r in self._roots:
            z = float(prod[r].sum())
            if not z > 0:
                ev = {self.variables[j]: int(x) for j, x in enumerate(row[0]) if x >= 0}
                raise EvidenceError(f"the evidence {ev}{' and soft evidence' if lik else ''} has "
                                    "probability zero under the model")
            terms.append(math.log(z))
        beliefs: list = [None] * k
        for r in self._roots:
            beliefs[r] = prod[r]
        for c in self._preorder:                       # distribute: parents first
            e = edges[c]
            fresh = count[c] < count[root[c]]          # the parent's side changed
            if not fresh and count[c] and last is not None:
                # c's side changed only: keep the message unless the new upward message
                # is nonzero where the old one was zero
                fresh = bool(np.any((up[c] > 0) & ~(last.up[c] > 0)))
            if fresh or last is None:
                b = beliefs[parent[c]]
                new = b.sum(axis=e.parent_sum, keepdims=True) if e.parent_sum else b
                ratio = np.divide(new, up[c], out=np.zeros(up[c].shape), where=up[c] > 0)
                s = float(ratio.max())
                if s > 0:
                    ratio /= s
                down[c] = (ratio.reshape(e.sep_in_parent).transpose(e.to_child[:-1])
                           .reshape(e.child_shape))
                recomputed += 1
            beliefs[c] = prod[c] * down[c]
        messages = _Messages("sum", row[0].copy(), lik, init, prod, up, up_log, down)
        return math.fsum(terms), beliefs, messages, recomputed

    def calibrate(self, evidence: Mapping[Any, Any] | None = None, *,
                  soft_evidence: Mapping[Any, Any] | None = None,
                  incremental: bool = True) -> Calibration:
        """One sum-product calibration: a :class:`Calibration` holding every clique's
        posterior, so that any number of marginals, joints of variables in one clique and
        the probability of the evidence are read off it without another propagation.

        ``evidence`` is ``{variable: state}`` (names or indices); ``soft_evidence`` is
        ``{variable: likelihood vector}`` (virtual evidence: the variable gets a virtual
        child observed with those likelihoods).  Impossible evidence raises
        :class:`~pgm.exceptions.EvidenceError`.

        Parameters
        ----------
        evidence : mapping, optional
            ``{variable: state}``.
        soft_evidence : mapping, optional
            ``{variable: likelihood vector of length card}``.
        incremental : bool, default True
            The tree keeps the messages of its last successful incremental calibration
            (with the evidence they were computed for).  With ``incremental``, a directed
            message ``i -> j`` is recomputed only when the side of the tree it comes
            from (the cliques on ``i``'s side of the edge) holds a clique whose potential
            changed, i.e. the home clique of a variable whose evidence or soft evidence
            differs (and a downward message also when the upward one on its edge became
            nonzero where it was zero: it was computed by division there); all other
            messages are reused, so the result equals a full propagation up to
            rounding.  One changed clique still makes about half the messages stale
            (every clique's belief changes, so every clique gets one new incoming
            message); the upward pass below unchanged subtrees is what is saved.
            ``False`` propagates from scratch and keeps nothing: it drops the kept
            messages, which hold about one more set of clique tables (the tables of
            cliques whose potential and children did not change are shared with the
            tree); they are kept only when about three sets of clique tables fit the
            memory budget (else every call propagates from scratch, as with ``False``).
            A call that raises leaves the kept messages as they were (or, with
            ``False``, dropped).

        Returns
        -------
        Calibration
            Fresh arrays, never changed by later calls; ``messages_recomputed`` (also
            :attr:`last_messages_recomputed` on the tree) says how many of the
            :attr:`n_messages` directed messages were computed.

        Examples
        --------
        >>> import pgm.examples
        >>> jt = JunctionTree(pgm.examples.load("asia"))
        >>> cal = jt.calibrate({"xray": "yes"})
        >>> cal.marginal("lung").round(4).tolist(), round(cal.probability_of_evidence(), 5)
        ([0.4887, 0.5113], 0.11029)
        >>> cal.joint(["lung", "either"]).values.shape
        (2, 2)
        >>> cal.messages_recomputed == jt.n_messages      # the first call computes all
        True
        >>> again = jt.calibrate({"xray": "yes", "asia": "yes"})
        >>> 0 < again.messages_recomputed < jt.n_messages
        True
        >>> jt.calibrate({"xray": "yes", "asia": "yes"}).messages_recomputed   # nothing changed
        0
        >>> full = jt.calibrate({"xray": "yes", "asia": "yes"}, incremental=False)
        >>> bool(np.allclose(full.marginal("lung"), again.marginal("lung"), atol=1e-12))
        True
        """
        row = self._one_row(evidence)
        lik = {j: np.array(a, dtype=float).reshape(-1)      # own copies, shape (card,)
               for j, a in self._check_likelihoods(soft_evidence, 1).items()}
        # keep the messages only where the tables, the kept copy and a propagation's
        # workspace (about three sets of clique tables) fit the memory budget
        incremental = incremental and \
            24 * sum(self._sizes) <= memory_budget_bytes(self.memory_budget)
        if not incremental:
            self._messages = None             # free them before the new tables are made
        last = self._messages
        if last is not None and last.mode != "sum":
            last = None
        ll, beliefs, messages, recomputed = self._sum_messages(row, lik, last)
        tables = []
        for c, t in enumerate(beliefs):    # a root's belief is its kept product: not in place
            if self._parent[c] < 0:
                t = t / t.sum()
            else:
                t /= t.sum()
            tables.append(t)
        self._messages = messages if incremental else None
        self.last_messages_recomputed = recomputed
        return Calibration(self, ll, tables, messages_recomputed=recomputed)

    def map_assignment(self, evidence: Mapping[Any, Any] | None = None, *,
                       soft_evidence: Mapping[Any, Any] | None = None) -> tuple[dict, float]:
        """The most probable assignment (MPE) by max-product on the tree, in log space.

        Returns ``({variable: state index}, log value)`` where the log value is
        ``log max_x p(x, evidence)`` (for a factor graph the unnormalized log score), with
        evidence variables at their observed states; ties go to the lowest state index.

        Examples
        --------
        >>> import pgm.examples
        >>> jt = JunctionTree(pgm.examples.load("asia"))
        >>> assignment, logp = jt.map_assignment({"dysp": "yes"})
        >>> jt.model.state_names("bronc")[assignment["bronc"]], round(logp, 4)
        ('yes', -1.6039)
        """
        row = self._one_row(evidence)
        lik = self._check_likelihoods(soft_evidence, 1)
        k = len(self.cliques)
        with np.errstate(divide="ignore"):
            logs = [np.log(self._initial(c, row, lik)[..., 0]) for c in range(k)]
        msgs: dict[int, np.ndarray] = {}
        for c in reversed(self._preorder):          # collect by max: children first
            e = self._edges[c]
            m = logs[c].max(axis=e.child_sum) if e.child_sum else logs[c].copy()
            msgs[c] = m
            logs[e.parent] = logs[e.parent] + m.transpose(e.to_parent[:-1]).reshape(e.parent_shape)
        state: dict[Variable, int] = {}
        value = self._offset - (self._normalizer if self._is_bn else 0.0)
        for r in self._roots:
            t = logs[r]
            top = float(t.max())
            if not np.isfinite(top):
                raise EvidenceError("the evidence has probability zero under the model")
            value += top
            idx = np.unravel_index(int(np.argmax(t)), t.shape)
            state.update({v: int(i) for v, i in zip(self.cliques[r], idx)})
        for c in self._preorder:                    # decode: parents first
            t = logs[c]
            fixed = tuple(state[v] if v in state else slice(None) for v in self.cliques[c])
            sub = t[fixed]
            free = [v for v in self.cliques[c] if v not in state]
            if free:
                idx = np.unravel_index(int(np.argmax(sub)), sub.shape)
                state.update({v: int(i) for v, i in zip(free, idx)})
        return {v: state[v] for v in self.variables}, float(value)


@dataclass
class Calibration:
    """The calibrated junction tree for one evidence set (see :meth:`JunctionTree.calibrate`).

    Attributes
    ----------
    tree : JunctionTree
    log_evidence : float
        ``log P(evidence)`` (``log Z(evidence)`` for a factor graph).
    beliefs : list of ndarray
        Each clique's normalized posterior table (axes: the clique's variables).
    messages_recomputed : int or None
        Directed messages computed for this calibration (out of
        :attr:`JunctionTree.n_messages`; the others were reused from the previous one).
    """

    tree: JunctionTree
    log_evidence: float
    beliefs: list
    messages_recomputed: int | None = None

    def probability_of_evidence(self, *, log: bool = False) -> float:
        """``P(evidence)`` (or its natural log)."""
        return self.log_evidence if log else float(np.exp(self.log_evidence))

    def joint(self, variables: Iterable[Any]):
        """``P(variables | evidence)`` as a normalized :class:`~pgm.factor.Factor`, axes in the
        order given; the variables must lie in one clique (else
        :class:`~pgm.exceptions.QueryError`)."""
        from pgm.factor import Factor

        scope = self.tree._scope(list(variables) if is_sequence(variables) else [variables])
        h = self.tree.clique_of(scope)
        cv = self.tree.cliques[h]
        axes = tuple(a for a, v in enumerate(cv) if v not in scope)
        table = self.beliefs[h].sum(axis=axes) if axes else self.beliefs[h]
        kept = [v for v in cv if v in scope]
        table = np.transpose(table, [kept.index(v) for v in scope])
        return Factor(list(scope), table.shape, table)

    def marginal(self, variable: Any) -> np.ndarray:
        """``P(variable | evidence)``."""
        v = self.tree._variable(variable, "query variable")
        h = self.tree._home[v]
        cv = self.tree.cliques[h]
        axes = tuple(a for a, u in enumerate(cv) if u != v)
        p = self.beliefs[h].sum(axis=axes) if axes else self.beliefs[h]
        return p / p.sum()

    def marginals(self, variables: Iterable[Any] | None = None) -> dict:
        """``{variable: P(variable | evidence)}`` (default: every variable)."""
        chosen = self.tree.variables if variables is None else list(variables)
        return named_marginals(self.tree.model, {self.tree._variable(v, "query variable"):
                                                 self.marginal(v) for v in chosen})
