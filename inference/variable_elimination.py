"""Exact inference by variable elimination, in log space.

The elimination itself (multiply the factors that mention a variable, then sum or
max it out) exists once, in :func:`eliminate`; every exact query is built on it.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np

from pgm.exceptions import EvidenceError, PGMError
from pgm.factor import Factor, check_table_size, factor_product

__all__ = [
    "elimination_order",
    "induced_width",
    "eliminate",
    "log_partition_function",
]

HEURISTICS = ("min-fill", "weighted-min-fill", "min-degree", "min-weight")


def _model_factors(model, evidence: Mapping[Hashable, int] | None):
    """Log-space factors of a BayesianNetwork or FactorGraph, reduced by evidence."""
    from pgm.bayesian_network import BayesianNetwork

    fg = model.to_factor_graph() if isinstance(model, BayesianNetwork) else model
    ev = fg.check_evidence(evidence)
    factors = [f.to_log().reduce(ev) for f in fg.factors]
    card = {v: c for v, c in fg.cardinalities.items() if v not in ev}
    return fg, factors, card, ev


def elimination_order(scopes: Iterable[Sequence[Hashable]], cardinalities: Mapping[Hashable, int],
                      variables: Iterable[Hashable] | None = None, *,
                      heuristic: str = "min-fill") -> list[Hashable]:
    """Greedy elimination order for ``variables`` (default: all) of an interaction graph.

    ``heuristic`` is one of ``"min-fill"`` (fewest new edges, ties broken by table
    size), ``"weighted-min-fill"`` (sum of the products of the cardinalities of the
    new edges), ``"min-degree"`` or ``"min-weight"`` (smallest resulting table).

    Examples
    --------
    >>> elimination_order([("a", "b"), ("b", "c")], {"a": 2, "b": 2, "c": 2})[0] in "ac"
    True
    """
    if heuristic not in HEURISTICS:
        raise PGMError(f"unknown elimination heuristic {heuristic!r}; use one of {HEURISTICS}")
    adj: dict[Hashable, set] = {v: set() for v in cardinalities}
    for scope in scopes:
        for u in scope:
            adj[u].update(w for w in scope if w != u)
    todo = set(adj) if variables is None else set(variables)
    logc = {v: float(np.log(cardinalities[v])) for v in adj}

    def score(v):
        nb = adj[v]
        if heuristic == "min-degree":
            return (len(nb), 0.0)
        weight = logc[v] + sum(logc[u] for u in nb)
        if heuristic == "min-weight":
            return (weight, 0.0)
        fill = 0
        wfill = 0.0
        nbl = list(nb)
        for i, a in enumerate(nbl):
            na = adj[a]
            for b in nbl[i + 1:]:
                if b not in na:
                    fill += 1
                    if heuristic == "weighted-min-fill":
                        wfill += cardinalities[a] * cardinalities[b]
        return (wfill if heuristic == "weighted-min-fill" else fill, weight)

    scores = {v: score(v) for v in todo}
    order = []
    while scores:
        v = min(scores, key=scores.__getitem__)
        del scores[v]
        order.append(v)
        nb = adj.pop(v)
        touched = set(nb)
        for a in nb:
            adj[a].discard(v)
            new = nb - adj[a] - {a}
            if new:
                adj[a].update(new)
            touched.update(adj[a])
        for u in touched:
            if u in scores:
                scores[u] = score(u)
    return order


def induced_width(scopes: Iterable[Sequence[Hashable]], order: Sequence[Hashable]) -> int:
    """Largest number of *other* variables a table mentions when eliminating in ``order``."""
    adj: dict[Hashable, set] = {}
    for scope in scopes:
        for u in scope:
            adj.setdefault(u, set()).update(w for w in scope if w != u)
    width = 0
    for v in order:
        nb = adj.pop(v, set())
        width = max(width, len(nb))
        for a in nb:
            adj[a].discard(v)
            adj[a].update(nb - {a})
    return width


def eliminate(factors: Sequence[Factor], order: Sequence[Hashable], *, operation: str = "sum",
              memory_budget: int | None = None,
              traceback: list | None = None) -> list[Factor]:
    """Eliminate ``order``'s variables one by one from log-space ``factors``.

    For each variable: multiply the factors that mention it (a sum of log tables),
    then sum it out (log-sum-exp) or, with ``operation="max"``, max it out.  With
    ``traceback`` (a list) and ``operation="max"``, appends ``(variable, factor)``
    pairs from which the maximizing states can be decoded in reverse order.
    Returns the factors that remain (over the variables not eliminated).
    """
    if operation not in ("sum", "max"):
        raise PGMError(f"operation must be 'sum' or 'max', got {operation!r}")
    pool: dict[int, Factor] = {}
    holders: dict[Hashable, set[int]] = {}
    next_id = 0
    for f in factors:
        if not f.log:
            f = f.to_log()
        pool[next_id] = f
        for v in f.variables:
            holders.setdefault(v, set()).add(next_id)
        next_id += 1
    for v in order:
        ids = holders.pop(v, set())
        if not ids:
            continue
        group = [pool.pop(i) for i in sorted(ids)]
        for f in group:
            for u in f.variables:
                if u != v and u in holders:
                    holders[u].difference_update(ids)
        card: dict[Hashable, int] = {}
        for f in group:
            card.update(zip(f.variables, f.cardinalities))
        check_table_size(list(card.values()), memory_budget=memory_budget,
                         what=f"eliminating {v!r} builds a table that")
        prod = factor_product(group, memory_budget=memory_budget)
        if operation == "sum":
            msg = prod.sum_out([v])
        else:
            msg = prod.max_out([v])
            if traceback is not None:
                traceback.append((v, prod))
        pool[next_id] = msg
        for u in msg.variables:
            holders.setdefault(u, set()).add(next_id)
        next_id += 1
    return list(pool.values())


def log_partition_function(model, evidence: Mapping[Hashable, int] | None = None, *,
                           order: Sequence[Hashable] | None = None,
                           heuristic: str = "min-fill",
                           memory_budget: int | None = None) -> float:
    """Natural log of ``Z`` (with evidence: of ``sum over the rest`` of the product).

    For a Bayesian network with evidence this is ``log P(evidence)``.  Raises
    :class:`EvidenceError` when the evidence has probability zero and
    :class:`MemoryBudgetError` (before allocating) when a table would be too large.

    Examples
    --------
    >>> from pgm import FactorGraph, Factor
    >>> fg = FactorGraph([Factor(["a", "b"], [2, 2], [[1.0, 2.0], [3.0, 4.0]])])
    >>> round(float(np.exp(log_partition_function(fg))), 9)
    10.0
    """
    _, factors, card, ev = _model_factors(model, evidence)
    if order is None:
        order = elimination_order([f.variables for f in factors], card, heuristic=heuristic)
    else:
        missing = set(card) - set(order)
        if missing:
            raise PGMError(f"elimination order misses variables {sorted(map(str, missing))}")
    rest = eliminate(factors, [v for v in order if v in card], memory_budget=memory_budget)
    logz = float(sum(f.total() for f in rest))
    if not np.isfinite(logz):
        if ev:
            raise EvidenceError(f"the evidence {ev} has probability zero")
        raise EvidenceError("the model gives every configuration probability zero")
    return logz
