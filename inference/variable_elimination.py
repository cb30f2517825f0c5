"""Exact inference by variable elimination, in log space.

Everything here is built on one elimination engine: the factors of a model are
reduced by the evidence, pruned to what can matter for the query, and their
variables are eliminated one by one in a greedy order (``heuristic="auto"``: min-fill,
or for big models the cheapest of several greedy orders and the model's own order).
At each step the factors that mention the variable are combined by NumPy
broadcasting (a sum of log tables, the variable on the first, slowest axis) and the
variable is summed out by a max-shifted log-sum-exp (or maxed out, for MAP), so
products of thousands of factors never underflow.  A big bucket whose factors'
dynamic range is moderate (under :data:`SAFE_LOG_RANGE` nats, where underflow is
impossible) is contracted instead by one :func:`numpy.einsum` of max-shifted
probability tables, which uses BLAS and never writes the full table.

Queries
-------
* :func:`log_partition_function` / :func:`probability_of_evidence`: ``log Z`` with
  or without evidence (``log P(e)`` for a Bayesian network).
* :func:`marginal`: the joint posterior of a set of variables, as a :class:`Factor`.
* :func:`marginals`: every single-variable posterior at once, by calibrating the
  bucket tree of one elimination (an upward and a downward pass, about two to
  three eliminations' worth of work however many variables are asked for).
* :func:`map_assignment`: the most probable assignment (MPE) by max-product with
  traceback, or marginal MAP over a subset of the variables.
* :class:`VariableElimination`: the same queries on one model, pgmpy-style
  (``VariableElimination(model).query(["X"], evidence={"Y": 1})``), caching the
  model's log tables between queries.

Pruning
-------
For a Bayesian network, only the ancestors of the query and evidence variables
matter (barren nodes sum to one); conditionals that do not sum to one (within
:data:`BARREN_ATOL`) are never pruned away.  After the evidence is applied, only
the connected components of the remaining interaction graph that contain a query
variable are eliminated (for a Bayesian network this drops exactly what is
d-separated from the query by the evidence).  The other components only scale
``Z``; they are still checked when they could make the evidence impossible.

Memory
------
The largest table of an elimination order is known before anything is allocated
(it is the largest clique of the triangulated graph); when it would exceed the
memory budget (``memory_budget=`` bytes, default :data:`pgm._config.DEFAULT_MEMORY_BUDGET`
or ``$PGM_MEMORY_BUDGET``) a :class:`MemoryBudgetError` is raised at once.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from pgm._config import memory_budget_bytes
from pgm.exceptions import (
    EvidenceError,
    MemoryBudgetError,
    PGMError,
    QueryError,
    UnknownVariableError,
)
from pgm.factor import Factor

__all__ = [
    "HEURISTICS",
    "BARREN_ATOL",
    "elimination_order",
    "induced_width",
    "max_table_size",
    "eliminate",
    "EliminationPlan",
    "VariableElimination",
    "log_partition_function",
    "probability_of_evidence",
    "marginal",
    "marginals",
    "map_assignment",
]

#: Elimination heuristics: ``"auto"`` (the default of the queries) keeps the cheapest of the
#: greedy heuristics and the model's own order (see :func:`_auto_order`); the others are greedy.
HEURISTICS = ("auto", "min-fill", "weighted-min-fill", "min-degree", "min-weight")

#: A Bayesian-network node whose conditionals all sum to 1 within this tolerance may be
#: pruned as a barren node (summing it out gives 1); others are always kept.
BARREN_ATOL = 1e-6

Variable = Hashable
_LogTable = tuple[tuple, np.ndarray]  # (variables, log-values) with one axis per variable


# ============================================================== elimination orders
def _adjacency(scopes: Iterable[Sequence[Variable]],
               variables: Iterable[Variable] = ()) -> dict[Variable, set]:
    adj: dict[Variable, set] = {v: set() for v in variables}
    for scope in scopes:
        for u in scope:
            s = adj.get(u)
            if s is None:
                s = adj[u] = set()
            s.update(scope)
            s.discard(u)
    return adj


def _greedy_order(adj: dict[Variable, set], card: Mapping[Variable, int],
                  phases: Sequence[Sequence[Variable]], heuristic: str) -> list[Variable]:
    """Greedy elimination of each phase's variables in turn (``adj`` is consumed).

    A binary heap with lazy invalidation picks the best variable; after each step
    only the variables whose score can have changed are rescored (the neighbours of
    the eliminated variable and, for the fill heuristics, the common neighbours of
    each new fill edge), so orders for ~1000-variable models take well under a second.
    """
    if heuristic not in HEURISTICS or heuristic == "auto":
        raise QueryError(f"unknown elimination heuristic {heuristic!r}; use one of {HEURISTICS}")
    logc = {v: math.log(card[v]) for v in adj}
    fill_kind = heuristic in ("min-fill", "weighted-min-fill")

    def score(v: Variable) -> tuple[float, float]:
        nb = adj[v]
        weight = logc[v] + sum(map(logc.__getitem__, nb))
        if heuristic == "min-degree":
            return (len(nb), weight)
        if heuristic == "min-weight":
            return (weight, 0.0)
        k = len(nb)
        if heuristic == "min-fill":
            linked = 0
            for a in nb:
                linked += len(adj[a] & nb)
            return ((k * (k - 1) - linked) // 2, weight)
        wfill = 0
        for a in nb:
            missing = nb - adj[a]
            missing.discard(a)
            if missing:
                wfill += card[a] * sum(card[b] for b in missing)
        return (wfill // 2, weight)

    order: list[Variable] = []
    for phase in phases:
        todo = [v for v in dict.fromkeys(phase) if v in adj]
        rank = {v: i for i, v in enumerate(todo)}
        version = dict.fromkeys(todo, 0)
        heap = [(score(v), rank[v], 0, v) for v in todo]
        heapq.heapify(heap)
        while heap:
            _, r, ver, v = heapq.heappop(heap)
            if version.get(v) != ver:
                continue
            del version[v]
            order.append(v)
            nb = adj.pop(v)
            for a in nb:
                adj[a].discard(v)
            touched = set(nb)
            for a in nb:
                new = nb - adj[a]
                new.discard(a)
                if new:
                    adj[a] |= new
                    if fill_kind:
                        for b in new:
                            touched |= adj[a] & adj[b]
            for u in touched:
                if u in version:
                    version[u] += 1
                    heapq.heappush(heap, (score(u), rank[u], version[u], u))
    return order


def elimination_order(scopes: Iterable[Sequence[Variable]], cardinalities: Mapping[Variable, int],
                      variables: Iterable[Variable] | None = None, *,
                      heuristic: str = "min-fill") -> list[Variable]:
    """Greedy elimination order for ``variables`` (default: all) of an interaction graph.

    Parameters
    ----------
    scopes : iterable of sequences
        The factor scopes; two variables are adjacent when they share a scope.
    cardinalities : mapping
        Number of states of every variable.
    variables : iterable, optional
        The variables to eliminate (the others stay in the graph); default all.
    heuristic : str
        ``"min-fill"`` (fewest new edges, ties broken by table size),
        ``"weighted-min-fill"`` (smallest sum over the new edges of the product of
        their end points' cardinalities), ``"min-degree"`` (fewest neighbours),
        ``"min-weight"`` (smallest resulting table), or ``"auto"``: min-fill, and when
        its tables are large the cheapest (by total table size) of all of these, the
        given variable order, its reverse and randomized tie-breaks.

    Returns
    -------
    list
        The variables in elimination order.

    Examples
    --------
    >>> elimination_order([("a", "b"), ("b", "c")], {"a": 2, "b": 2, "c": 2})[0] in "ac"
    True
    >>> elimination_order([("a", "b"), ("b", "c")], {"a": 2, "b": 5, "c": 3},
    ...                   heuristic="min-weight")
    ['a', 'b', 'c']
    """
    scopes = [tuple(s) for s in scopes]
    adj = _adjacency(scopes, cardinalities)
    for v in adj:
        if v not in cardinalities:
            raise UnknownVariableError(f"variable {v!r} of a scope has no cardinality")
    todo = list(adj) if variables is None else list(variables)
    for v in todo:
        if v not in adj:
            raise UnknownVariableError(f"variable {v!r} to eliminate is not in the graph")
    if heuristic == "auto":
        return _auto_order(scopes, list(adj), cardinalities, [todo], None)
    return _greedy_order(adj, cardinalities, [todo], heuristic)


def _cluster_sizes(scopes: Iterable[Sequence[Variable]], order: Sequence[Variable]):
    """Yield ``(variable, cluster)`` for each elimination step (cluster includes it)."""
    adj = _adjacency(scopes)
    for v in order:
        nb = adj.pop(v, set())
        yield v, nb
        for a in nb:
            s = adj[a]
            s.discard(v)
            s |= nb
            s.discard(a)


def induced_width(scopes: Iterable[Sequence[Variable]], order: Sequence[Variable]) -> int:
    """Largest number of *other* variables a table mentions when eliminating in ``order``.

    Examples
    --------
    >>> induced_width([("a", "b"), ("b", "c"), ("c", "a")], ["a", "b", "c"])
    2
    """
    return max((len(nb) for _, nb in _cluster_sizes(scopes, order)), default=0)


def max_table_size(scopes: Iterable[Sequence[Variable]], cardinalities: Mapping[Variable, int],
                   order: Sequence[Variable]) -> int:
    """Entries of the largest table built when eliminating ``order`` (exact integer).

    Examples
    --------
    >>> max_table_size([("a", "b"), ("b", "c")], {"a": 2, "b": 3, "c": 4}, ["a", "b", "c"])
    12
    """
    best = 1
    for v, nb in _cluster_sizes(scopes, order):
        n = cardinalities[v]
        for u in nb:
            n *= cardinalities[u]
        best = max(best, n)
    return best


@dataclass(frozen=True)
class EliminationPlan:
    """What an elimination will cost, known before any table is allocated.

    Attributes
    ----------
    order : the elimination order (relevant variables only).
    induced_width : largest number of other variables in a table (treewidth bound).
    max_table_entries : entries of the largest table.
    total_table_entries : entries of all the tables, summed.
    variables, factors : size of the model after evidence and pruning.
    """

    order: tuple
    induced_width: int
    max_table_entries: int
    total_table_entries: int
    variables: int
    factors: int

    @property
    def max_table_bytes(self) -> int:
        """Bytes of the largest (float64) table."""
        return 8 * self.max_table_entries

    @property
    def log2_max_table(self) -> float:
        """``log2`` of the number of entries of the largest table."""
        return math.log2(self.max_table_entries) if self.max_table_entries else 0.0


def _plan(factors: Sequence[_LogTable], card: Mapping[Variable, int], order: Sequence[Variable],
          keep: Sequence[Variable], budget: int | None, what: str,
          store: bool = False) -> EliminationPlan:
    """Simulate the elimination on the graph; raise MemoryBudgetError before allocating."""
    limit = memory_budget_bytes(budget)
    scopes = [vs for vs, _ in factors]
    width, biggest, total, stored = 0, 1, 0, 0
    for v, nb in _cluster_sizes(scopes, order):
        n = card[v]
        for u in nb:
            n *= card[u]
        width = max(width, len(nb))
        total += n
        stored += n // card[v]
        if n > biggest:
            biggest = n
            if 8 * n > limit:
                raise MemoryBudgetError(
                    f"{what}: eliminating {v!r} would build a table over {len(nb) + 1} variables "
                    f"with {n} entries ({8 * n / 2**30:.3g} GiB), over the memory budget of "
                    f"{limit / 2**30:.3g} GiB (induced width {len(nb)}, log2 table size "
                    f"{math.log2(n):.1f}); raise it with memory_budget=... or PGM_MEMORY_BUDGET, "
                    "or use an approximate method"
                )
    n_keep = 1
    for v in keep:
        n_keep *= card[v]
    if 8 * n_keep > limit:
        raise MemoryBudgetError(
            f"{what}: the joint table over the {len(keep)} query variables has {n_keep} "
            f"entries ({8 * n_keep / 2**30:.3g} GiB), over the memory budget of "
            f"{limit / 2**30:.3g} GiB"
        )
    if store and 8 * stored > limit:
        raise MemoryBudgetError(
            f"{what}: the messages kept for calibration take {8 * stored / 2**30:.3g} GiB, over "
            f"the memory budget of {limit / 2**30:.3g} GiB; ask for fewer variables with "
            "marginal() instead"
        )
    n_vars = len({v for vs in scopes for v in vs})
    return EliminationPlan(tuple(order), width, max(biggest, n_keep), total + n_keep, n_vars,
                           len(factors))


# ====================================================================== engine
def _canonical(factors: Iterable[_LogTable], pos: Mapping[Variable, int]) -> list[_LogTable]:
    """Transpose each table so its axes run by increasing elimination position.

    With every table in this one relative order, broadcasting needs no transposes,
    the variable eliminated next is always the first (slowest) axis, so summing or
    maxing it out is a handful of contiguous elementwise passes, and every message
    comes out canonical too.
    """
    out = []
    for vs, a in factors:
        if len(vs) > 1:
            key = sorted(range(len(vs)), key=lambda i: pos[vs[i]])
            if key != list(range(len(vs))):
                vs = tuple(vs[i] for i in key)
                a = np.transpose(a, key)
        out.append((vs, a))
    return out


class _Workspace:
    """One reusable buffer for the big combined tables of an elimination.

    A large table freshly allocated at every step costs more in page faults than
    the arithmetic on it; the combined table of a step never outlives the step
    (messages are new, smaller arrays), so one buffer serves them all.
    """

    __slots__ = ("buf",)
    SMALL = 1 << 15

    def __init__(self) -> None:
        self.buf: np.ndarray | None = None

    def empty(self, shape: tuple[int, ...]) -> np.ndarray:
        n = 1
        for c in shape:
            n *= c
        if n < self.SMALL:
            return np.empty(shape)
        if self.buf is None or self.buf.size < n:
            self.buf = None
            self.buf = np.empty(n)
        return self.buf[:n].reshape(shape)


def _broadcast_sum(factors: Sequence[_LogTable], variables: tuple,
                   card: Mapping[Variable, int], ws: _Workspace | None = None) -> np.ndarray:
    """Sum of canonical log tables broadcast over ``variables`` (new, or in ``ws``)."""
    index = {v: i for i, v in enumerate(variables)}
    views = []
    for vs, a in factors:
        sh = [1] * len(variables)
        for v, c in zip(vs, a.shape):
            sh[index[v]] = c
        views.append(a.reshape(sh))
    views.sort(key=lambda b: -b.size)  # largest first: the first addition is (nearly) full size
    shape = tuple(card[v] for v in variables)
    out = ws.empty(shape) if ws is not None else np.empty(shape)
    if len(views) == 1:
        np.copyto(out, views[0])
        return out
    np.add(views[0], views[1], out=out)
    for b in views[2:]:
        np.add(out, b, out=out)
    return out


def _premerge(factors: list[_LogTable], pos: Mapping[Variable, int],
              card: Mapping[Variable, int], full: int) -> list[_LogTable]:
    """Add up small tables among themselves before broadcasting them to the full table.

    Adding ``k`` small factors one by one into the full table costs ``k`` passes over
    it; merging the pair with the smallest union first (and so on, while the union
    stays smaller than the full table) usually leaves two or three tables, so the
    full table is written once or twice (DBN and grid buckets hold many pairwise
    factors next to one big message).
    """
    items = [(frozenset(vs), vs, a) for vs, a in factors]
    logc = {v: math.log2(card[v]) for it in items for v in it[0]}
    limit = math.log2(full) - 1e-9
    while len(items) > 2:
        best = None
        for i in range(len(items)):
            si = items[i][0]
            for j in range(i + 1, len(items)):
                u = si | items[j][0]
                size = sum(logc[v] for v in u)
                if best is None or size < best[0]:
                    best = (size, i, j, u)
        size, i, j, u = best
        if size >= limit:
            break
        variables = tuple(sorted(u, key=pos.__getitem__))
        merged = _broadcast_sum([items[i][1:], items[j][1:]], variables, card)
        items = [it for k, it in enumerate(items) if k not in (i, j)]
        items.append((u, variables, merged))
    return [(vs, a) for _, vs, a in items]


def _combine(factors: Sequence[_LogTable], pos: Mapping[Variable, int],
             card: Mapping[Variable, int],
             ws: _Workspace | None = None) -> tuple[tuple, np.ndarray, bool]:
    """Sum of canonical log tables over the union scope; returns (vars, table, owned).

    ``owned``: the table may be modified in place (it lives in ``ws`` when given, so
    it is only valid until the next call).
    """
    if len(factors) == 1:
        vs, a = factors[0]
        return vs, a, False
    allv: set = set()
    for vs, _ in factors:
        allv.update(vs)
    variables = tuple(sorted(allv, key=pos.__getitem__))
    if len(factors) > 2:
        full = 1
        for v in variables:
            full *= card[v]
        if full * len(factors) > 1 << 16:
            factors = _premerge(list(factors), pos, card, full)
    return variables, _broadcast_sum(factors, variables, card, ws), True


def _sum_axes(t: np.ndarray, axes: Sequence[int]) -> np.ndarray:
    """Sum over ``axes`` one axis at a time, short axes by slices (fast for C order).

    NumPy reduces a short inner axis (or several scattered axes) of a big array an
    order of magnitude slower than it adds contiguous slices.
    """
    for ax in sorted(axes, reverse=True):
        shape = t.shape
        k = shape[ax]
        outer = 1
        for c in shape[:ax]:
            outer *= c
        t3 = t.reshape(outer, k, -1)
        if k <= 16 and t3.shape[2] < 64:
            r = t3[:, 0, :] + t3[:, 1, :] if k > 1 else t3[:, 0, :].copy()
            for i in range(2, k):
                r += t3[:, i, :]
        else:
            r = t3.sum(axis=1)
        t = r.reshape(shape[:ax] + shape[ax + 1:])
    return t


def _logsumexp_first(t: np.ndarray, owned: bool) -> np.ndarray:
    """``log sum exp`` over axis 0, max-shifted (in place when ``owned``)."""
    if t.shape[0] == 1:
        return np.array(t[0])
    if t.size <= 512:  # small: one ufunc call beats the max-shift passes' overhead
        return np.asarray(np.logaddexp.reduce(t, axis=0), dtype=float)
    m = np.asarray(t.max(axis=0))
    finite = np.isfinite(m)
    if not finite.all():
        m = np.where(finite, m, 0.0)
    if owned:
        np.subtract(t, m, out=t)
        np.exp(t, out=t)
        s = np.asarray(t.sum(axis=0))
    else:
        s = np.asarray(np.exp(t - m).sum(axis=0))
    with np.errstate(divide="ignore"):
        np.log(s, out=s)
    s += m
    return s


def _max_first(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Max over axis 0 and its (first) argmax, as contiguous elementwise passes."""
    k = t.shape[0]
    if k > 32:
        arg = np.argmax(t, axis=0)
        return np.take_along_axis(t, arg[None], axis=0)[0], arg
    best = np.array(t[0])
    arg = np.zeros(best.shape, dtype=np.uint8)
    for i in range(1, k):
        better = t[i] > best
        arg[better] = i
        np.maximum(best, t[i], out=best)
    return best, arg


#: a bucket whose table has at least this many entries, once its factors are merged into
#: two tables, is contracted by :func:`numpy.einsum` in probability space (:func:`_einsum_pair`)
EINSUM_MIN_ENTRIES = 1 << 16
#: (not in calibration, whose downward pass reads the messages again and wants them contiguous)
#: largest total dynamic range (nats) of the two tables for the probability-space contraction
SAFE_LOG_RANGE = 600.0


def _einsum_pair(pair: Sequence[_LogTable], out: tuple) -> np.ndarray | None:
    """``log sum_v exp(A + B)`` over ``out`` by one einsum of max-shifted tables, or None.

    ``A`` and ``B`` are shifted by their maxima and exponentiated (entries in (0, 1]
    or exact zeros); einsum then contracts them with BLAS where it can, without
    writing the table over all their variables.  No nonzero product or partial sum
    can underflow when the two dynamic ranges (``max - min finite``) add up to less
    than :data:`SAFE_LOG_RANGE`, so the result is exact to rounding, zeros included;
    otherwise None and the caller stays in log space.  The result may be a
    non-contiguous array (broadcasting reads it as it is).
    """
    sym: dict = {}
    args: list = []
    shift = spread = 0.0
    for vs, a in pair:
        top = float(a.max())
        if top == -np.inf:
            return None  # all zero: the log-space path handles it
        spread += top - float(np.min(a, where=a > -np.inf, initial=top))
        if spread > SAFE_LOG_RANGE:
            return None
        shift += top
        args += [np.exp(a - top), [sym.setdefault(v, len(sym)) for v in vs]]
    if len(sym) > 52:
        return None
    args.append([sym[v] for v in out])
    r = np.asarray(np.einsum(*args, optimize=True))
    with np.errstate(divide="ignore"):
        r = np.log(r)
    r += shift
    return r


def _small_int(arg: np.ndarray, n: int) -> np.ndarray:
    dtype = np.uint8 if n <= 256 else np.uint16 if n <= 65536 else np.int64
    return arg if arg.dtype == dtype else arg.astype(dtype)


class _Upward:
    """Result of one upward (elimination) pass."""

    __slots__ = ("const", "rest", "buckets", "msgs", "parent", "argmax")

    def __init__(self) -> None:
        self.const = 0.0                 # sum of the scalar messages / constant factors
        self.rest: list[_LogTable] = []  # factors over kept (never eliminated) variables only
        self.buckets: dict = {}          # v -> list of the factors combined at v (calibration)
        self.msgs: dict = {}             # v -> its message (variables, log table)
        self.parent: dict = {}           # v -> bucket its message went to (None: constant/rest)
        self.argmax: dict = {}           # v -> (message scope, argmax table)  (max-product)


def _upward(factors: Sequence[_LogTable], order: Sequence[Variable], pos: Mapping[Variable, int],
            card: Mapping[Variable, int], *, operation: str = "sum", record: bool = False,
            traceback: list | None = None) -> _Upward:
    """Eliminate ``order`` from canonical log tables (bucket elimination)."""
    res = _Upward()
    buckets: dict[Variable, list[_LogTable]] = {v: [] for v in order}
    for vs, a in factors:
        if not vs:
            res.const += float(a)
            continue
        b = buckets.get(vs[0])
        (b if b is not None else res.rest).append((vs, a))
    maxing = operation == "max"
    ws = _Workspace()
    for v in order:
        fs = buckets.pop(v)
        if not fs:  # a variable in no factor: a uniform factor of ones
            if not maxing:
                res.const += math.log(card[v])
            elif record:
                res.argmax[v] = ((), np.zeros((), dtype=np.uint8))
            continue
        if not maxing and not record and traceback is None and len(fs) > 1:
            allv: set = set()
            for fvs, _ in fs:
                allv.update(fvs)
            vs = tuple(sorted(allv, key=pos.__getitem__))
            n = 1
            for u in vs:
                n *= card[u]
            if n >= EINSUM_MIN_ENTRIES:
                if len(fs) > 2:
                    fs = _premerge(list(fs), pos, card, n)
                if len(fs) == 2:
                    msg = _einsum_pair(fs, vs[1:])
                    if msg is not None:
                        _send(res, buckets, v, fs, vs[1:], msg, record)
                        continue
        vs, t, owned = _combine(fs, pos, card, ws)
        if traceback is not None:
            traceback.append((v, Factor(vs, t.shape, t.copy() if owned else t, log=True)))
        if maxing:
            msg, arg = _max_first(t)
            if record:
                res.argmax[v] = (vs[1:], _small_int(arg, card[v]))
        else:
            msg = _logsumexp_first(t, owned)
        del t
        _send(res, buckets, v, fs, vs[1:], msg, record)
    return res


def _send(res: _Upward, buckets: dict, v: Variable, fs: list, mvs: tuple, msg: np.ndarray,
          record: bool) -> None:
    """File the message of bucket ``v`` with the bucket of its first variable."""
    if record:
        res.buckets[v] = fs
        res.msgs[v] = (mvs, msg)
    if not mvs:
        res.const += float(msg)
        res.parent[v] = None
        return
    target = buckets.get(mvs[0])
    if target is None:
        res.rest.append((mvs, msg))
        res.parent[v] = None
    else:
        target.append((mvs, msg))
        res.parent[v] = mvs[0]


def _calibrate(up: _Upward, order: Sequence[Variable], pos: Mapping[Variable, int],
               card: Mapping[Variable, int], wanted: set) -> dict[Variable, np.ndarray]:
    """Downward pass over the bucket tree of ``up``; returns normalized single marginals.

    The belief of bucket ``v`` is the product of the factors combined there and the
    message from its parent bucket.  The message to a child ``c`` is the belief
    summed onto ``c``'s separator, divided by ``c``'s own upward message; the
    division can come after the sum because that message lives on the separator.
    Beliefs are exponentiated after a shift by their maximum: an entry that
    underflows is below 1e-300 of the largest one, far under any marginal's precision.
    """
    children: dict[Variable, list[Variable]] = {}
    for c, p in up.parent.items():
        if p is not None:
            children.setdefault(p, []).append(c)
    # only subtrees holding a wanted variable need a downward message
    needed = set()
    for v in order:  # children come before their parent in the order
        if v in wanted or any(c in needed for c in children.get(v, ())):
            needed.add(v)
    down: dict[Variable, _LogTable] = {}
    out: dict[Variable, np.ndarray] = {}
    ws = _Workspace()
    for v in reversed(order):
        if v not in needed:
            continue
        kids = [c for c in children.get(v, ()) if c in needed]
        fs = list(up.buckets.get(v, ()))
        if v in down:
            fs.append(down.pop(v))
        if not fs:  # a variable in no factor
            out[v] = np.full(card[v], 1.0 / card[v])
            continue
        vs, t, owned = _combine(fs, pos, card, ws)
        top = float(t.max())
        if not np.isfinite(top):
            raise EvidenceError("the evidence has probability zero")
        b = np.subtract(t, top, out=t if owned else None)
        np.exp(b, out=b)
        del t
        if v in wanted:
            p = b.sum(axis=tuple(range(1, b.ndim))) if b.ndim > 1 else b.copy()
            out[v] = p / p.sum()
        by_scope: dict[tuple, np.ndarray] = {}
        for c in kids:
            mvs, m = up.msgs[c]
            r = by_scope.get(mvs)
            if r is None:
                keep = set(mvs)
                axes = tuple(i for i, u in enumerate(vs) if u not in keep)
                r = _sum_axes(b, axes) if axes else b.copy()
                with np.errstate(divide="ignore"):
                    r = np.log(r)
                r += top
                by_scope[mvs] = r
            with np.errstate(invalid="ignore"):
                d = r - m
            d[np.isneginf(m)] = -np.inf
            down[c] = (mvs, d)
    return out


def _traceback(up: _Upward, order: Sequence[Variable], fixed: Mapping[Variable, int]) -> dict:
    """Decode the maximizing states in reverse elimination order."""
    assignment = dict(fixed)
    for v in reversed(order):
        mvs, arg = up.argmax[v]
        assignment[v] = int(arg[tuple(assignment[u] for u in mvs)])
    return assignment


# ============================================================ model preparation
def _is_integer_state(val: Any) -> bool:
    return isinstance(val, (int, np.integer)) and not isinstance(val, (bool, np.bool_))


class _Prepared:
    """A model's log tables, cached: one per CPD (Bayesian network) or factor."""

    def __init__(self, model: Any) -> None:
        from pgm.bayesian_network import BayesianNetwork
        from pgm.factor_graph import FactorGraph

        self.model = model
        if isinstance(model, BayesianNetwork):
            self.is_bn = True
            model.topological_order()  # CycleError on a cyclic graph
            fg = model.to_factor_graph()  # MissingCPDError, cardinality checks
            self.card = dict(fg.cardinalities)
            self.variables = list(model.nodes)
            self.pred = {v: list(model.graph.predecessors(v)) for v in self.variables}
            self.factors: list[_LogTable] = []
            self.normalized: dict[Variable, bool] = {}
            for v in self.variables:
                cpd = model.get_cpd(v)
                f = cpd.to_factor(log=True)
                self.factors.append((tuple(f.variables), f.values))
                dev = np.abs(cpd.conditional_sums() - 1.0)
                self.normalized[v] = bool(dev.size == 0 or dev.max() <= BARREN_ATOL)
            self._names = fg
        elif isinstance(model, FactorGraph):
            self.is_bn = False
            self.card = dict(model.cardinalities)
            self.variables = list(model.variables)
            self.factors = []
            seen: set = set()
            for f in model.factors:
                g = f.to_log()
                self.factors.append((tuple(g.variables), np.asarray(g.values, dtype=float)))
                seen.update(g.variables)
            for v in self.variables:  # a variable in no factor counts as a uniform factor
                if v not in seen:
                    self.factors.append(((v,), np.zeros(self.card[v])))
            self._names = model
        else:
            raise TypeError(f"expected a BayesianNetwork or FactorGraph, got {type(model).__name__}")

    # ---------------------------------------------------------------- inputs
    def state_names(self, v: Variable) -> list[str]:
        return self._names.state_names(v)

    def has_state_names(self, v: Variable) -> bool:
        return self._names.has_state_names(v)

    def evidence(self, evidence: Mapping[Variable, Any] | None) -> dict[Variable, int]:
        """Evidence as ``{variable: state index}``; state names are accepted too."""
        out: dict[Variable, int] = {}
        if evidence is None:
            return out
        if not isinstance(evidence, Mapping):
            raise EvidenceError(f"evidence must be a mapping {{variable: state}}, got "
                                f"{type(evidence).__name__}")
        for v, val in evidence.items():
            if v not in self.card:
                raise EvidenceError(f"evidence names unknown variable {v!r}")
            c = self.card[v]
            if _is_integer_state(val):
                if not 0 <= int(val) < c:
                    raise EvidenceError(
                        f"evidence {v!r}={val} is outside the states 0..{c - 1} of {v!r}"
                    )
                out[v] = int(val)
            elif isinstance(val, str):
                names = self.state_names(v)
                if val in names:
                    out[v] = names.index(val)
                elif val.isdigit() and int(val) < c:
                    out[v] = int(val)
                else:
                    raise EvidenceError(f"evidence {v!r}={val!r}: {v!r} has no state {val!r}; "
                                        f"its states are {names}")
            else:
                raise EvidenceError(f"evidence value {val!r} for {v!r} is neither a state "
                                    "index nor a state name")
        return out

    def query_variables(self, variables: Any, what: str = "query") -> list[Variable]:
        if variables is None:
            return list(self.variables)
        if isinstance(variables, (str, bytes)) or not isinstance(variables, Iterable):
            variables = [variables]
        out = list(variables)
        if len(set(out)) != len(out):
            raise QueryError(f"{what} variables repeat: {out}")
        for v in out:
            if v not in self.card:
                raise UnknownVariableError(f"{what} variable {v!r} is not in the model")
        return out

    # ---------------------------------------------------------------- pruning
    def relevant(self, query: Iterable[Variable], ev: Mapping[Variable, int], *,
                 prune: bool) -> list[_LogTable]:
        """Log tables that matter for ``query`` given ``ev``, reduced by the evidence.

        For a Bayesian network with ``prune``, the tables of the ancestral set of the
        query, the evidence and any non-normalized CPD (barren-node removal).
        """
        if self.is_bn and prune:
            keep: set = set()
            stack = [*query, *ev, *(v for v, ok in self.normalized.items() if not ok)]
            while stack:
                n = stack.pop()
                if n not in keep:
                    keep.add(n)
                    stack.extend(self.pred[n])
            tables = [f for v, f in zip(self.variables, self.factors) if v in keep]
        else:
            tables = self.factors
        out = []
        for vs, a in tables:
            if ev and any(v in ev for v in vs):
                idx = tuple(ev[v] if v in ev else slice(None) for v in vs)
                a = a[idx]
                vs = tuple(v for v in vs if v not in ev)
            out.append((vs, a))
        return out


def _components(factors: Sequence[_LogTable]) -> list[tuple[set, list[_LogTable]]]:
    """Connected components of the interaction graph, with their tables."""
    parent: dict = {}

    def find(x):
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for vs, _ in factors:
        for v in vs:
            parent.setdefault(v, v)
        r0 = find(vs[0]) if vs else None
        for v in vs[1:]:
            r = find(v)
            if r != r0:
                parent[r] = r0
    groups: dict = {}
    for v in parent:
        groups.setdefault(find(v), (set(), []))[0].add(v)
    consts: list[_LogTable] = []
    for f in factors:
        if f[0]:
            groups[find(f[0][0])][1].append(f)
        else:
            consts.append(f)
    comps = list(groups.values())
    if consts:
        comps.append((set(), consts))
    return comps


def _zero_message(ev: Mapping[Variable, int], what: str = "the evidence") -> str:
    if ev:
        shown = ", ".join(f"{v}={s}" for v, s in list(ev.items())[:8])
        more = f" (and {len(ev) - 8} more)" if len(ev) > 8 else ""
        return f"{what} {{{shown}}}{more} has probability zero under the model"
    return "the model gives every configuration probability zero (Z = 0)"


def _order_cost(scopes: Sequence[Sequence[Variable]], order: Sequence[Variable],
                card: Mapping[Variable, int]) -> tuple[float, float]:
    """``(total entries of all tables, entries of the largest)`` of an order, as floats."""
    total = biggest = 0.0
    for v, nb in _cluster_sizes(scopes, order):
        n = float(card[v])
        for u in nb:
            n *= card[u]
        total += n
        biggest = max(biggest, n)
    return total, biggest


#: ``heuristic="auto"`` stops at min-fill when its order builds fewer table entries than this,
AUTO_CHEAP = 2**20
#: and adds randomized tie-breaks when the best order still builds more than this
AUTO_RESTARTS = 2**24


def _auto_order(scopes: list[tuple], present: list[Variable], card: Mapping[Variable, int],
                phases: list[list[Variable]], budget: int | None) -> list[Variable]:
    """Cheapest of several candidate orders, by the total size of the tables they build.

    Min-fill first; when its tables hold more than :data:`AUTO_CHEAP` entries, also
    the model's own variable order and its reverse (a row-major order is optimal on a
    grid, where greedy heuristics lose their way), weighted min-fill, min-weight and
    min-degree, and beyond :data:`AUTO_RESTARTS` entries eight min-fill and weighted
    min-fill runs with seeded random tie-breaks (deterministic).  An order whose
    largest table fits the memory budget beats any that does not.
    """
    import random

    limit = memory_budget_bytes(budget)
    best: list = []

    def consider(order: list[Variable]) -> None:
        total, biggest = _order_cost(scopes, order, card)
        key = (8 * biggest > limit, total)
        if not best or key < best[0]:
            best[:] = [key, order]

    def greedy(heuristic: str, phs: list[list[Variable]]) -> list[Variable]:
        return _greedy_order(_adjacency(scopes, present), card, phs, heuristic)

    consider(greedy("min-fill", phases))
    if best[0][1] <= AUTO_CHEAP:
        return best[1]
    rng = random.Random(0)

    def shuffled() -> list[list[Variable]]:
        return [rng.sample(ph, len(ph)) for ph in phases]

    candidates = [lambda: [v for ph in phases for v in ph],
                  lambda: [v for ph in phases for v in reversed(ph)],
                  lambda: greedy("weighted-min-fill", phases), lambda: greedy("min-weight", phases),
                  lambda: greedy("min-degree", phases)]
    for make in candidates:
        consider(make())
    # randomized tie-breaks only when the elimination itself will take a while
    restarts = 0 if best[0][1] <= AUTO_RESTARTS else 8
    for i in range(restarts):
        consider(greedy(("min-fill", "weighted-min-fill")[i % 2], shuffled()))
    return best[1]


def _order_for(factors: Sequence[_LogTable], card: Mapping[Variable, int],
               phases: Sequence[Iterable[Variable]], order: Sequence[Variable] | None,
               heuristic: str, budget: int | None = None) -> list[Variable]:
    """The elimination order: by ``heuristic``, or ``order`` restricted to the phases.

    The phases are eliminated one after the other (for marginal MAP: the summed
    variables, then the maximized ones).
    """
    present = _space_of(factors)
    inside = set(present)
    phases = [[v for v in dict.fromkeys(ph) if v in inside] for ph in phases]
    if order is not None:
        order = list(order)
        where = {v: i for i, v in enumerate(order)}
        out: list = []
        for ph in phases:
            missing = [v for v in ph if v not in where]
            if missing:
                raise QueryError(f"the elimination order misses variables "
                                 f"{sorted(map(str, missing))[:10]}")
            out += sorted(ph, key=where.__getitem__)
        return out
    scopes = [vs for vs, _ in factors]
    if heuristic == "auto":
        return _auto_order(scopes, present, card, phases, budget)
    return _greedy_order(_adjacency(scopes, present), card, phases, heuristic)


def _positions(order: Sequence[Variable], kept: Sequence[Variable]) -> dict[Variable, int]:
    pos = {v: i for i, v in enumerate(order)}
    n = len(order)
    for i, v in enumerate(kept):
        pos.setdefault(v, n + i)  # kept variables: last axes, in the given order
    return pos


def _space_of(factors: Sequence[_LogTable]) -> list[Variable]:
    """The variables of ``factors``, in first-seen order (deterministic greedy tie-breaks)."""
    return list(dict.fromkeys(v for vs, _ in factors for v in vs))


# ================================================================= the class
class VariableElimination:
    """Exact inference on one model by variable elimination (pgmpy-style interface).

    The model's tables are converted to log space once and reused by every query.

    Parameters
    ----------
    model : BayesianNetwork or FactorGraph
        The model; a Bayesian network is handled through its factors (one per CPD)
        and its graph (for barren-node pruning).
    heuristic : str, default "auto"
        Elimination heuristic, one of :data:`HEURISTICS` (``"auto"``: the cheapest of
        several orders when the model is large, see :func:`elimination_order`).
    memory_budget : int, optional
        Largest table in bytes (default ``$PGM_MEMORY_BUDGET`` or 4 GiB).
    prune : bool, default True
        Drop what cannot change the answer (barren nodes, components without a query
        variable).  ``False`` eliminates the whole model every time.

    Examples
    --------
    >>> from pgm import BayesianNetwork, TabularCPD
    >>> bn = BayesianNetwork.from_cpds([
    ...     TabularCPD("rain", [0.8, 0.2]),
    ...     TabularCPD("wet", [[0.9, 0.1], [0.2, 0.8]], parents=["rain"]),
    ... ])
    >>> ve = VariableElimination(bn)
    >>> ve.query(["rain"], evidence={"wet": 1}).values.round(4).tolist()
    [0.3333, 0.6667]
    >>> ve.map_query(evidence={"wet": 1})  # P(rain, wet=1) = 0.08 (no), 0.16 (yes)
    {'rain': 1}
    >>> round(ve.probability_of_evidence({"wet": 1}), 6)
    0.24
    """

    def __init__(self, model: Any, *, heuristic: str = "auto",
                 memory_budget: int | None = None, prune: bool = True) -> None:
        if heuristic not in HEURISTICS:
            raise QueryError(f"unknown elimination heuristic {heuristic!r}; use one of {HEURISTICS}")
        self.model = model
        self.heuristic = heuristic
        self.memory_budget = memory_budget
        self.prune = prune
        self._p = _Prepared(model)

    def __repr__(self) -> str:
        return f"VariableElimination({self.model!r}, heuristic={self.heuristic!r})"

    @property
    def variables(self) -> list[Variable]:
        """The model's variables."""
        return list(self._p.variables)

    def _opts(self, heuristic: str | None, memory_budget: int | None, prune: bool | None):
        return (heuristic or self.heuristic,
                self.memory_budget if memory_budget is None else memory_budget,
                self.prune if prune is None else prune)

    # ------------------------------------------------------------ partition
    def _log_z(self, ev: dict, order, heuristic, budget, what) -> float:
        p = self._p
        factors = p.relevant((), ev, prune=self.prune)
        elim = _order_for(factors, p.card, [_space_of(factors)], order, heuristic, budget)
        _plan(factors, p.card, elim, (), budget, what)
        pos = _positions(elim, ())
        up = _upward(_canonical(factors, pos), elim, pos, p.card)
        return up.const

    def log_partition_function(self, evidence: Mapping[Variable, Any] | None = None, *,
                               order: Sequence[Variable] | None = None,
                               heuristic: str | None = None,
                               memory_budget: int | None = None) -> float:
        """Natural log of ``Z`` with the evidence applied (``log P(e)`` for a normalized BN).

        Raises :class:`EvidenceError` when it is ``-inf`` (impossible evidence).
        """
        heuristic, budget, _ = self._opts(heuristic, memory_budget, None)
        ev = self._p.evidence(evidence)
        logz = self._log_z(ev, order, heuristic, budget, "log partition function")
        if not np.isfinite(logz):
            raise EvidenceError(_zero_message(ev))
        return logz

    def probability_of_evidence(self, evidence: Mapping[Variable, Any], *, log: bool = False,
                                order: Sequence[Variable] | None = None,
                                heuristic: str | None = None,
                                memory_budget: int | None = None) -> float:
        """``P(e) = Z(e) / Z`` (natural log with ``log=True``).

        For a Bayesian network with normalized CPDs ``Z = 1`` is found at once
        (every node is barren when nothing is observed).  Unlike
        :meth:`log_partition_function`, impossible evidence gives ``0`` (``-inf``).
        """
        heuristic, budget, _ = self._opts(heuristic, memory_budget, None)
        ev = self._p.evidence(evidence)
        log_ze = self._log_z(ev, order, heuristic, budget, "probability of evidence")
        log_z = self._log_z({}, order, heuristic, budget, "probability of evidence")
        if not np.isfinite(log_z):
            raise EvidenceError(_zero_message({}))
        value = log_ze - log_z if np.isfinite(log_ze) else -np.inf
        return float(value) if log else float(np.exp(value))

    # ------------------------------------------------------------- marginals
    def _focus(self, query: Sequence[Variable], ev: dict, prune: bool,
               budget, heuristic, order) -> list[_LogTable]:
        """Relevant tables for a posterior query; checks the dropped components for P(e)=0."""
        p = self._p
        factors = p.relevant(query, ev, prune=prune)
        if not prune:
            return factors
        qset = set(query)
        kept: list[_LogTable] = []
        for comp_vars, comp in _components(factors):
            if comp_vars & qset:
                kept.extend(comp)
            elif any(np.isneginf(a).any() for _, a in comp):
                # a dropped component with zeros could make the evidence impossible
                elim = _order_for(comp, p.card, [list(comp_vars)], order, heuristic, budget)
                _plan(comp, p.card, elim, (), budget, "checking the evidence")
                pos = _positions(elim, ())
                if not np.isfinite(_upward(_canonical(comp, pos), elim, pos, p.card).const):
                    raise EvidenceError(_zero_message(ev))
        return kept

    def marginal(self, variables: Sequence[Variable] | Variable,
                 evidence: Mapping[Variable, Any] | None = None, *,
                 order: Sequence[Variable] | None = None, heuristic: str | None = None,
                 memory_budget: int | None = None, prune: bool | None = None) -> Factor:
        """Joint posterior ``P(variables | evidence)`` as a normalized :class:`Factor`.

        The factor's axes follow ``variables``; an observed variable gets a point mass.
        """
        heuristic, budget, prune = self._opts(heuristic, memory_budget, prune)
        p = self._p
        query = p.query_variables(variables)
        ev = p.evidence(evidence)
        free = [v for v in query if v not in ev]
        factors = self._focus(free, ev, prune, budget, heuristic, order)
        fset = set(free)
        elim = _order_for(factors, p.card, [[v for v in _space_of(factors) if v not in fset]],
                          order, heuristic, budget)
        _plan(factors, p.card, elim, free, budget, "marginal")
        pos = _positions(elim, free)
        up = _upward(_canonical(factors, pos), elim, pos, p.card)
        logt = np.zeros([p.card[v] for v in free])
        for vs, a in up.rest:
            sh = [p.card[v] if v in vs else 1 for v in free]
            perm = [vs.index(v) for v in free if v in vs]
            logt = logt + np.transpose(a, perm).reshape(sh)
        logt = logt + up.const
        top = logt.max() if logt.size else -np.inf
        if not np.isfinite(top):
            raise EvidenceError(_zero_message(ev))
        probs = np.exp(logt - top)
        probs /= probs.sum()
        # put the observed query variables back as point masses, in the caller's order
        for v in query:
            if v in ev:
                onehot = np.zeros(p.card[v])
                onehot[ev[v]] = 1.0
                probs = np.multiply.outer(probs, onehot)
        current = [v for v in query if v not in ev] + [v for v in query if v in ev]
        perm = [current.index(v) for v in query]
        probs = np.transpose(probs, perm) if perm != list(range(len(perm))) else probs
        return Factor(query, [p.card[v] for v in query], np.ascontiguousarray(probs))

    def marginals(self, variables: Iterable[Variable] | None = None,
                  evidence: Mapping[Variable, Any] | None = None, *,
                  order: Sequence[Variable] | None = None, heuristic: str | None = None,
                  memory_budget: int | None = None,
                  prune: bool | None = None) -> dict[Variable, np.ndarray]:
        """Every single-variable posterior ``P(X | evidence)`` (default: all variables).

        One upward and one downward pass over the bucket tree of one elimination
        order, so asking for all variables costs two to three eliminations, not one
        per variable.  Observed variables get point masses.
        """
        heuristic, budget, prune = self._opts(heuristic, memory_budget, prune)
        p = self._p
        query = p.query_variables(variables)
        ev = p.evidence(evidence)
        free = [v for v in query if v not in ev]
        out: dict[Variable, np.ndarray] = {}
        factors = self._focus(free, ev, prune, budget, heuristic, order)  # checks P(e) > 0
        if not free and not prune and not np.isfinite(
                self._log_z(ev, order, heuristic, budget, "marginals")):
            raise EvidenceError(_zero_message(ev))
        if free:
            elim = _order_for(factors, p.card, [_space_of(factors)], order, heuristic, budget)
            _plan(factors, p.card, elim, (), budget, "marginals", store=True)
            pos = _positions(elim, ())
            up = _upward(_canonical(factors, pos), elim, pos, p.card, record=True)
            if not np.isfinite(up.const):
                raise EvidenceError(_zero_message(ev))
            out = _calibrate(up, elim, pos, p.card, set(free))
        result: dict[Variable, np.ndarray] = {}
        for v in query:
            if v in ev:
                onehot = np.zeros(p.card[v])
                onehot[ev[v]] = 1.0
                result[v] = onehot
            else:
                result[v] = out[v]
        return result

    # ------------------------------------------------------------------- MAP
    def map_assignment(self, evidence: Mapping[Variable, Any] | None = None, *,
                       variables: Iterable[Variable] | None = None,
                       order: Sequence[Variable] | None = None, heuristic: str | None = None,
                       memory_budget: int | None = None) -> tuple[dict[Variable, int], float]:
        """Most probable assignment and its natural-log value.

        Without ``variables``: the MPE, ``argmax_x log p~(x, e)`` over every unobserved
        variable; the assignment includes the evidence and its value is the
        unnormalized log-probability of that full assignment (``log P(x, e)`` for a
        Bayesian network).  With ``variables``: marginal MAP, ``argmax_q log
        sum_rest p~(q, rest, e)`` (the other variables are summed out first); the
        assignment then holds ``variables`` only.  Ties are broken towards lower states.
        """
        heuristic, budget, prune = self._opts(heuristic, memory_budget, None)
        p = self._p
        ev = p.evidence(evidence)
        if variables is None:
            factors = p.relevant(p.variables, ev, prune=False)
            space = _space_of(factors)
            elim = _order_for(factors, p.card, [space], order, heuristic, budget)
            _plan(factors, p.card, elim, (), budget, "MAP", store=True)
            pos = _positions(elim, ())
            up = _upward(_canonical(factors, pos), elim, pos, p.card, operation="max",
                         record=True)
            if not np.isfinite(up.const):
                raise EvidenceError(_zero_message(ev))
            assignment = _traceback(up, elim, ev)
            for v in p.variables:  # variables in no table (cannot happen after conversion)
                assignment.setdefault(v, 0)
            return {v: assignment[v] for v in p.variables}, float(up.const)
        targets = [v for v in p.query_variables(variables, "MAP") if v not in ev]
        factors = p.relevant(targets, ev, prune=prune)
        space = _space_of(factors)
        tset = set(targets)
        sum_vars = [v for v in space if v not in tset]
        elim = _order_for(factors, p.card, [sum_vars, targets], order, heuristic, budget)
        _plan(factors, p.card, elim, (), budget, "marginal MAP", store=True)
        pos = _positions(elim, ())
        n_sum = len(sum_vars)
        can = _canonical(factors, pos)
        up1 = _upward(can, elim[:n_sum], pos, p.card)
        up2 = _upward(up1.rest, elim[n_sum:], pos, p.card, operation="max", record=True)
        value = up1.const + up2.const
        if not np.isfinite(value):
            raise EvidenceError(_zero_message(ev))
        assignment = _traceback(up2, elim[n_sum:], {})
        full = {v: assignment.get(v, 0) for v in targets}
        for v in p.query_variables(variables, "MAP"):
            if v in ev:
                full[v] = ev[v]
        return {v: full[v] for v in p.query_variables(variables, "MAP")}, float(value)

    # ------------------------------------------------------- pgmpy-like API
    def query(self, variables: Sequence[Variable] | Variable,
              evidence: Mapping[Variable, Any] | None = None, *, joint: bool = True,
              elimination_order: Sequence[Variable] | str | None = None,
              show_progress: bool = False) -> Factor | dict[Variable, Factor]:
        """Posterior of ``variables`` given ``evidence`` (pgmpy's ``query``).

        With ``joint=True`` one :class:`Factor` over all of them; else a dict of
        single-variable factors (computed together by :meth:`marginals`).
        ``evidence`` values may be state names or indices; ``elimination_order`` is
        a heuristic name or an explicit order.  ``show_progress`` is accepted for
        compatibility and ignored.
        """
        order, heuristic = _order_arg(elimination_order)
        if joint:
            return self.marginal(variables, evidence, order=order, heuristic=heuristic)
        query = self._p.query_variables(variables)
        margs = self.marginals(query, evidence, order=order, heuristic=heuristic)
        return {v: Factor([v], [len(m)], m) for v, m in margs.items()}

    def map_query(self, variables: Iterable[Variable] | None = None,
                  evidence: Mapping[Variable, Any] | None = None, *,
                  elimination_order: Sequence[Variable] | str | None = None,
                  show_progress: bool = False) -> dict[Variable, Any]:
        """MAP assignment as ``{variable: state}`` (pgmpy's ``map_query``).

        States are state names for variables that have them, else indices.  Without
        ``variables`` the unobserved variables' MPE is returned (evidence left out,
        like pgmpy); with ``variables``, their marginal MAP.
        """
        order, heuristic = _order_arg(elimination_order)
        assignment, _ = self.map_assignment(evidence, variables=variables, order=order,
                                            heuristic=heuristic)
        ev = self._p.evidence(evidence)
        out: dict[Variable, Any] = {}
        for v, s in assignment.items():
            if variables is None and v in ev:
                continue
            out[v] = self._p.state_names(v)[s] if self._p.has_state_names(v) else s
        return out

    def plan(self, variables: Iterable[Variable] | None = None,
             evidence: Mapping[Variable, Any] | None = None, *,
             order: Sequence[Variable] | None = None, heuristic: str | None = None,
             prune: bool | None = None) -> EliminationPlan:
        """The elimination plan (order, induced width, table sizes) of a query, without running it.

        ``variables=None`` plans the partition function (with the evidence); a list
        plans :meth:`marginals` of those variables.  Never raises
        :class:`MemoryBudgetError`.
        """
        heuristic, _, prune = self._opts(heuristic, None, prune)
        p = self._p
        ev = p.evidence(evidence)
        if variables is None:
            factors = p.relevant((), ev, prune=prune)
        else:
            free = [v for v in p.query_variables(variables) if v not in ev]
            factors = p.relevant(free, ev, prune=prune)
            if prune:
                qset = set(free)
                factors = [f for cv, comp in _components(factors) if cv & qset for f in comp]
        elim = _order_for(factors, p.card, [list(_space_of(factors))], order, heuristic)
        return _plan(factors, p.card, elim, (), 2**62, "plan")


def _order_arg(elimination_order) -> tuple[Sequence[Variable] | None, str | None]:
    if elimination_order is None:
        return None, None
    if isinstance(elimination_order, str):
        name = elimination_order.lower().replace("_", "-")
        aliases = {"minfill": "min-fill", "weightedminfill": "weighted-min-fill",
                   "mindegree": "min-degree", "minweight": "min-weight", "greedy": "min-fill"}
        name = aliases.get(name.replace("-", ""), name)
        if name not in HEURISTICS:
            raise QueryError(f"unknown elimination order {elimination_order!r}; use one of "
                             f"{HEURISTICS} or a list of variables")
        return None, name
    return list(elimination_order), None


# ========================================================= functional interface
def _engine(model: Any, heuristic: str, memory_budget: int | None,
            prune: bool = True) -> VariableElimination:
    if isinstance(model, VariableElimination):
        return model
    return VariableElimination(model, heuristic=heuristic, memory_budget=memory_budget,
                               prune=prune)


def log_partition_function(model: Any, evidence: Mapping[Variable, Any] | None = None, *,
                           order: Sequence[Variable] | None = None,
                           heuristic: str = "auto",
                           memory_budget: int | None = None, prune: bool = True) -> float:
    """Natural log of ``Z``: of the sum over the unobserved variables of the product of factors.

    For a Bayesian network with evidence this is ``log P(evidence)``.

    Parameters
    ----------
    model : BayesianNetwork, FactorGraph or VariableElimination
    evidence : mapping, optional
        ``{variable: state}`` (index, or state name).
    order : sequence, optional
        An explicit elimination order (must contain every relevant variable).
    heuristic : str
        Elimination heuristic when ``order`` is not given (see :data:`HEURISTICS`).
    memory_budget : int, optional
        Bytes; :class:`MemoryBudgetError` is raised before allocating a larger table.
    prune : bool
        Barren-node removal for Bayesian networks.

    Raises
    ------
    EvidenceError
        When the evidence has probability zero (``Z = 0``) or is malformed.

    Examples
    --------
    >>> from pgm import FactorGraph, Factor
    >>> fg = FactorGraph([Factor(["a", "b"], [2, 2], [[1.0, 2.0], [3.0, 4.0]])])
    >>> round(float(np.exp(log_partition_function(fg))), 9)
    10.0
    >>> round(float(np.exp(log_partition_function(fg, {"a": 1}))), 9)
    7.0
    """
    return _engine(model, heuristic, memory_budget, prune).log_partition_function(
        evidence, order=order, heuristic=heuristic, memory_budget=memory_budget)


def probability_of_evidence(model: Any, evidence: Mapping[Variable, Any], *, log: bool = False,
                            heuristic: str = "auto", memory_budget: int | None = None) -> float:
    """``P(evidence) = Z(evidence) / Z`` (its natural log with ``log=True``).

    Examples
    --------
    >>> from pgm import FactorGraph, Factor
    >>> fg = FactorGraph([Factor(["a", "b"], [2, 2], [[1.0, 2.0], [3.0, 4.0]])])
    >>> round(probability_of_evidence(fg, {"a": 1}), 9)
    0.7
    """
    return _engine(model, heuristic, memory_budget).probability_of_evidence(
        evidence, log=log, heuristic=heuristic, memory_budget=memory_budget)


def marginal(model: Any, variables: Sequence[Variable] | Variable,
             evidence: Mapping[Variable, Any] | None = None, *,
             order: Sequence[Variable] | None = None, heuristic: str = "auto",
             memory_budget: int | None = None, prune: bool = True) -> Factor:
    """Joint posterior ``P(variables | evidence)`` as a normalized probability :class:`Factor`.

    Examples
    --------
    >>> from pgm import FactorGraph, Factor
    >>> fg = FactorGraph([Factor(["a", "b"], [2, 2], [[1.0, 2.0], [3.0, 4.0]])])
    >>> marginal(fg, ["b"]).values.round(12).tolist()
    [0.4, 0.6]
    >>> marginal(fg, ["b", "a"], {"a": 0}).values.round(4).tolist()
    [[0.3333, 0.0], [0.6667, 0.0]]
    """
    return _engine(model, heuristic, memory_budget, prune).marginal(
        variables, evidence, order=order, heuristic=heuristic, memory_budget=memory_budget)


def marginals(model: Any, variables: Iterable[Variable] | None = None,
              evidence: Mapping[Variable, Any] | None = None, *,
              order: Sequence[Variable] | None = None, heuristic: str = "auto",
              memory_budget: int | None = None, prune: bool = True) -> dict[Variable, np.ndarray]:
    """``{X: P(X | evidence)}`` for each variable (default: all), from one calibration.

    Examples
    --------
    >>> from pgm import FactorGraph, Factor
    >>> fg = FactorGraph([Factor(["a", "b"], [2, 2], [[1.0, 2.0], [3.0, 4.0]])])
    >>> {v: p.round(2).tolist() for v, p in marginals(fg).items()}
    {'a': [0.3, 0.7], 'b': [0.4, 0.6]}
    """
    return _engine(model, heuristic, memory_budget, prune).marginals(
        variables, evidence, order=order, heuristic=heuristic, memory_budget=memory_budget)


def map_assignment(model: Any, evidence: Mapping[Variable, Any] | None = None, *,
                   variables: Iterable[Variable] | None = None,
                   order: Sequence[Variable] | None = None, heuristic: str = "auto",
                   memory_budget: int | None = None) -> tuple[dict[Variable, int], float]:
    """MPE (or, with ``variables``, marginal MAP) assignment and its natural-log value.

    Examples
    --------
    >>> from pgm import FactorGraph, Factor
    >>> fg = FactorGraph([Factor(["a", "b"], [2, 2], [[1.0, 2.0], [3.0, 4.0]])])
    >>> x, value = map_assignment(fg)
    >>> x, round(float(np.exp(value)), 9)
    ({'a': 1, 'b': 1}, 4.0)
    >>> map_assignment(fg, {"b": 0})[0]
    {'a': 1, 'b': 0}
    """
    return _engine(model, heuristic, memory_budget).map_assignment(
        evidence, variables=variables, order=order, heuristic=heuristic,
        memory_budget=memory_budget)


# ================================================= low-level, on Factor objects
def eliminate(factors: Sequence[Factor], order: Sequence[Variable], *, operation: str = "sum",
              memory_budget: int | None = None,
              traceback: list | None = None) -> list[Factor]:
    """Eliminate ``order``'s variables one by one from ``factors`` (log space inside).

    For each variable: multiply the factors that mention it (a sum of log tables),
    then sum it out (max-shifted log-sum-exp) or, with ``operation="max"``, max it
    out.  With ``traceback`` (a list) and ``operation="max"``, appends ``(variable,
    factor)`` pairs (the combined log table before maxing) from which the maximizing
    states can be decoded in reverse order.  Returns the log-space factors that
    remain (over the variables not eliminated; scalars are merged into one
    constant factor).  Raises :class:`MemoryBudgetError` before building a table
    over the budget.

    Examples
    --------
    >>> f = Factor(["a", "b"], [2, 2], [[1.0, 2.0], [3.0, 4.0]])
    >>> [round(float(x), 6) for x in eliminate([f], ["a"])[0].to_prob().values]
    [4.0, 6.0]
    """
    if operation not in ("sum", "max"):
        raise PGMError(f"operation must be 'sum' or 'max', got {operation!r}")
    tables: list[_LogTable] = []
    card: dict[Variable, int] = {}
    for f in factors:
        g = f.to_log()
        for v, c in zip(g.variables, g.cardinalities):
            if card.setdefault(v, c) != c:
                from pgm.exceptions import CardinalityError

                raise CardinalityError(
                    f"variable {v!r} has {card[v]} states in one factor and {c} in another"
                )
        tables.append((tuple(g.variables), np.asarray(g.values, dtype=float)))
    elim = [v for v in dict.fromkeys(order) if v in card]
    kept = [v for v in card if v not in set(elim)]
    _plan(tables, card, elim, (), memory_budget, "elimination")
    pos = _positions(elim, kept)
    up = _upward(_canonical(tables, pos), elim, pos, card, operation=operation,
                 traceback=traceback if operation == "max" else None)
    out = [Factor(vs, a.shape, a, log=True) for vs, a in up.rest]
    if up.const != 0.0 or not out:
        out.append(Factor.constant(up.const, log=True))
    return out
