"""The log-space variable-elimination engine, on ``(variables, log-table)`` pairs.

A :data:`LogTable` is a tuple of variables and a float64 NumPy array of log-values
with one axis per variable.  The factors are first put in one canonical axis order
(:func:`canonical`: by elimination position), so broadcasting needs no transposes
and the variable eliminated next is always the first, slowest axis.  At each step
(:func:`upward`, bucket elimination) the tables that mention the variable are
combined by broadcasting (a sum of log tables, small ones merged first) and the
variable is summed out by a max-shifted log-sum-exp (or maxed out, for MAP), so
products of thousands of factors never underflow.  A big bucket whose factors'
dynamic range is moderate (under :data:`SAFE_LOG_RANGE` nats, where underflow is
impossible) is contracted instead by one :func:`numpy.einsum` of max-shifted
probability tables (:func:`einsum_pair`), which uses BLAS and never writes the full
table.  :func:`calibrate` runs the downward pass over the bucket tree of one
upward pass (every single-variable marginal at once) and :func:`decode_assignment`
decodes a max-product pass.

Memory
------
The largest table of an elimination order is known before anything is allocated
(it is the largest clique of the triangulated graph); :func:`plan_elimination`
raises :class:`~pgm.exceptions.MemoryBudgetError` at once when it would exceed the
memory budget (``memory_budget=`` bytes, default :data:`pgm._config.DEFAULT_MEMORY_BUDGET`
or ``$PGM_MEMORY_BUDGET``).

:func:`eliminate` is the same engine on :class:`~pgm.factor.Factor` objects.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from pgm._config import memory_budget_bytes
from pgm.exceptions import CardinalityError, EvidenceError, MemoryBudgetError, PGMError
from pgm.factor import Factor
from pgm.inference.orders import Variable, cluster_sizes

__all__ = [
    "LogTable",
    "EliminationPlan",
    "EINSUM_MIN_ENTRIES",
    "SAFE_LOG_RANGE",
    "plan_elimination",
    "canonical",
    "positions",
    "components",
    "einsum_pair",
    "Upward",
    "upward",
    "calibrate",
    "decode_assignment",
    "eliminate",
]

LogTable = tuple[tuple, np.ndarray]  # (variables, log-values) with one axis per variable


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


def plan_elimination(factors: Sequence[LogTable], card: Mapping[Variable, int], order: Sequence[Variable],
          keep: Sequence[Variable], budget: int | None, what: str,
          store: bool = False) -> EliminationPlan:
    """Simulate the elimination on the graph; raise MemoryBudgetError before allocating."""
    limit = memory_budget_bytes(budget)
    scopes = [vs for vs, _ in factors]
    width, biggest, total, stored = 0, 1, 0, 0
    for v, nb in cluster_sizes(scopes, order):
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
def canonical(factors: Iterable[LogTable], pos: Mapping[Variable, int]) -> list[LogTable]:
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


def _broadcast_sum(factors: Sequence[LogTable], variables: tuple,
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


def _premerge(factors: list[LogTable], pos: Mapping[Variable, int],
              card: Mapping[Variable, int], full: int) -> list[LogTable]:
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


def _combine(factors: Sequence[LogTable], pos: Mapping[Variable, int],
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
#: two tables, is contracted by :func:`numpy.einsum` in probability space (:func:`einsum_pair`)
EINSUM_MIN_ENTRIES = 1 << 16
#: (not in calibration, whose downward pass reads the messages again and wants them contiguous)
#: largest total dynamic range (nats) of the two tables for the probability-space contraction
SAFE_LOG_RANGE = 600.0


def einsum_pair(pair: Sequence[LogTable], out: tuple) -> np.ndarray | None:
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


class Upward:
    """Result of one upward (elimination) pass."""

    __slots__ = ("const", "rest", "buckets", "msgs", "parent", "argmax")

    def __init__(self) -> None:
        self.const = 0.0                 # sum of the scalar messages / constant factors
        self.rest: list[LogTable] = []  # factors over kept (never eliminated) variables only
        self.buckets: dict = {}          # v -> list of the factors combined at v (calibration)
        self.msgs: dict = {}             # v -> its message (variables, log table)
        self.parent: dict = {}           # v -> bucket its message went to (None: constant/rest)
        self.argmax: dict = {}           # v -> (message scope, argmax table)  (max-product)


def upward(factors: Sequence[LogTable], order: Sequence[Variable], pos: Mapping[Variable, int],
            card: Mapping[Variable, int], *, operation: str = "sum", record: bool = False,
            traceback: list | None = None) -> Upward:
    """Eliminate ``order`` from canonical log tables (bucket elimination)."""
    res = Upward()
    buckets: dict[Variable, list[LogTable]] = {v: [] for v in order}
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
                    msg = einsum_pair(fs, vs[1:])
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


def _send(res: Upward, buckets: dict, v: Variable, fs: list, mvs: tuple, msg: np.ndarray,
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


def calibrate(up: Upward, order: Sequence[Variable], pos: Mapping[Variable, int],
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
    down: dict[Variable, LogTable] = {}
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


def decode_assignment(up: Upward, order: Sequence[Variable], fixed: Mapping[Variable, int]) -> dict:
    """Decode the maximizing states in reverse elimination order."""
    assignment = dict(fixed)
    for v in reversed(order):
        mvs, arg = up.argmax[v]
        assignment[v] = int(arg[tuple(assignment[u] for u in mvs)])
    return assignment



def components(factors: Sequence[LogTable]) -> list[tuple[set, list[LogTable]]]:
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
    consts: list[LogTable] = []
    for f in factors:
        if f[0]:
            groups[find(f[0][0])][1].append(f)
        else:
            consts.append(f)
    comps = list(groups.values())
    if consts:
        comps.append((set(), consts))
    return comps


def positions(order: Sequence[Variable], kept: Sequence[Variable]) -> dict[Variable, int]:
    pos = {v: i for i, v in enumerate(order)}
    n = len(order)
    for i, v in enumerate(kept):
        pos.setdefault(v, n + i)  # kept variables: last axes, in the given order
    return pos


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
    tables: list[LogTable] = []
    card: dict[Variable, int] = {}
    for f in factors:
        g = f.to_log()
        for v, c in zip(g.variables, g.cardinalities):
            if card.setdefault(v, c) != c:
                raise CardinalityError(
                    f"variable {v!r} has {card[v]} states in one factor and {c} in another"
                )
        tables.append((tuple(g.variables), np.asarray(g.values, dtype=float)))
    elim = [v for v in dict.fromkeys(order) if v in card]
    kept = [v for v in card if v not in set(elim)]
    plan_elimination(tables, card, elim, (), memory_budget, "elimination")
    pos = positions(elim, kept)
    up = upward(canonical(tables, pos), elim, pos, card, operation=operation,
                 traceback=traceback if operation == "max" else None)
    out = [Factor(vs, a.shape, a, log=True) for vs, a in up.rest]
    if up.const != 0.0 or not out:
        out.append(Factor.constant(up.const, log=True))
    return out
