"""Causal queries on Bayesian networks: interventions by graph surgery, back-door and
front-door adjustment sets, and average causal effects computed exactly.

* :func:`do` returns the *mutilated* network of an intervention ``do(X = x)``: the arcs
  into ``X`` are cut and ``X``'s CPD becomes a point mass at ``x``.  Any inference method
  then answers ``P(Y | do(X=x), Z=z)`` on it (:func:`interventional_marginal` does so with
  variable elimination).
* :func:`is_backdoor_set` / :func:`backdoor_sets`: ``Z`` satisfies the back-door
  criterion for ``(X, Y)`` when no member of ``Z`` descends from ``X`` and ``Z``
  d-separates ``X`` from ``Y`` in the graph without ``X``'s outgoing arcs (Pearl 2009,
  3.3.1).  :func:`frontdoor_sets` checks the front-door criterion (3.3.2).
* :func:`average_causal_effect`: ``P(Y=y | do(X=x1)) - P(Y=y | do(X=x0))`` by the
  adjustment formula ``sum_z P(y | x, z) P(z)`` over a back-door set, computed exactly
  by variable elimination (the tests cross-check it against the mutilated network).

Exact answers come from :mod:`pgm.inference.variable_elimination`, imported inside the
functions that need it (the core does not import pgm.inference when it loads).

Examples
--------
>>> import pgm.examples
>>> asia = pgm.examples.load("asia")
>>> backdoor_sets(asia, "either", "dysp")
[frozenset({'bronc'}), frozenset({'lung'}), frozenset({'smoke'})]
>>> round(average_causal_effect(asia, "smoke", "dysp", ("yes", "no"), "yes"), 4)
0.2337
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import networkx as nx
import numpy as np

from pgm.exceptions import ParameterError, QueryError
from pgm.independence import as_variable_set

__all__ = [
    "do",
    "interventional_marginal",
    "is_backdoor_set",
    "backdoor_sets",
    "is_frontdoor_set",
    "frontdoor_sets",
    "adjustment_marginal",
    "average_causal_effect",
]


def _graph(model: Any) -> nx.DiGraph:
    if isinstance(model, nx.DiGraph):
        return model
    if hasattr(model, "graph") and isinstance(model.graph, nx.DiGraph):
        return model.graph
    raise ParameterError(f"a causal query needs a Bayesian network or a DAG, got "
                         f"{type(model).__name__}")


def _names(graph: nx.DiGraph, xs: Any, what: str) -> frozenset:
    return frozenset(as_variable_set(xs, graph, what))


def do(bn: Any, intervention: Mapping[Hashable, Any]):
    """The mutilated network of ``do(intervention)``, ``{variable: state}`` (names or
    indices): arcs into each intervened variable cut, its CPD a point mass.

    Examples
    --------
    >>> import pgm.examples
    >>> cut = do(pgm.examples.load("asia"), {"lung": "yes"})
    >>> cut.parents("lung"), cut.get_cpd("lung").values.tolist()
    ([], [1.0, 0.0])
    """
    from pgm.cpd import TabularCPD
    from pgm.evidence import normalize_evidence

    states = normalize_evidence(bn, intervention)
    if not states:
        raise QueryError("do() needs at least one intervention {variable: state}")
    out = bn.copy()
    for v, s in states.items():
        for p in list(out.graph.predecessors(v)):
            out.graph.remove_edge(p, v)
        table = np.zeros(bn.cardinality(v))
        table[s] = 1.0
        out.add_cpd(TabularCPD(v, table, state_names={v: bn.state_names(v)}))
    return out


def interventional_marginal(bn: Any, targets: Iterable[Hashable] | Hashable,
                            intervention: Mapping[Hashable, Any],
                            evidence: Mapping[Hashable, Any] | None = None):
    """``P(targets | do(intervention), evidence)`` by variable elimination on the
    mutilated network: :class:`~pgm.results.Marginals`."""
    from pgm.inference.variable_elimination import marginals

    targets = [targets] if isinstance(targets, (str, bytes)) else list(targets)
    return marginals(do(bn, intervention), targets, evidence=evidence)


def _descendants(graph: nx.DiGraph, xs: frozenset) -> set:
    out = set()
    for x in xs:
        out |= nx.descendants(graph, x)
    return out


def is_backdoor_set(model: Any, x: Any, y: Any, z: Iterable[Hashable]) -> bool:
    """Whether ``z`` satisfies the back-door criterion for the effect of ``x`` on ``y``.

    Examples
    --------
    >>> import pgm.examples
    >>> asia = pgm.examples.load("asia")
    >>> is_backdoor_set(asia, "either", "dysp", ["bronc"]), is_backdoor_set(asia, "either", "dysp", [])
    (True, False)
    """
    from pgm.independence import d_separated

    g = _graph(model)
    xs, ys = _names(g, x, "treatment"), _names(g, y, "outcome")
    zs = _names(g, z, "adjustment variable") if z else frozenset()
    if xs & ys or zs & (xs | ys):
        raise QueryError("treatment, outcome and adjustment sets must be disjoint")
    if zs & _descendants(g, xs):
        return False
    cut = g.copy()
    cut.remove_edges_from([(a, b) for a in xs for b in list(g.successors(a))])
    return d_separated(cut, xs, ys, zs)


def backdoor_sets(model: Any, x: Any, y: Any, *, minimal: bool = True,
                  max_size: int | None = None) -> list[frozenset]:
    """Back-door adjustment sets for ``(x, y)``: the minimal ones (no proper subset
    works; default) or all of them, up to ``max_size`` variables, smallest first.

    Candidates are the non-descendants of ``x`` other than ``x`` and ``y``; the search
    enumerates subsets by size, so ``max_size`` bounds its cost on large networks.
    """
    g = _graph(model)
    xs, ys = _names(g, x, "treatment"), _names(g, y, "outcome")
    candidates = sorted((set(g) - xs - ys - _descendants(g, xs)), key=str)
    limit = len(candidates) if max_size is None else min(int(max_size), len(candidates))
    found: list[frozenset] = []
    for k in range(limit + 1):
        for combo in itertools.combinations(candidates, k):
            z = frozenset(combo)
            if minimal and any(f <= z for f in found):
                continue
            if is_backdoor_set(g, xs, ys, z):
                found.append(z)
    return sorted(found, key=lambda s: (len(s), sorted(map(str, s))))


def is_frontdoor_set(model: Any, x: Any, y: Any, z: Iterable[Hashable]) -> bool:
    """Whether ``z`` satisfies the front-door criterion: it intercepts every directed path
    from ``x`` to ``y``, no back-door path from ``x`` to ``z`` is open, and every
    back-door path from ``z`` to ``y`` is blocked by ``x``."""
    g = _graph(model)
    xs, ys = _names(g, x, "treatment"), _names(g, y, "outcome")
    zs = _names(g, z, "mediator") if z else frozenset()
    if not zs:
        return False
    blocked = g.copy()
    blocked.remove_nodes_from(zs)
    if any(nx.has_path(blocked, a, b) for a in xs for b in ys if a in blocked and b in blocked):
        return False
    if not is_backdoor_set(g, xs, zs, frozenset()):
        return False
    return all(is_backdoor_set(g, frozenset([m]), ys, xs) for m in zs)


def frontdoor_sets(model: Any, x: Any, y: Any, *, max_size: int = 3) -> list[frozenset]:
    """The minimal front-door sets for ``(x, y)`` of at most ``max_size`` variables."""
    g = _graph(model)
    xs, ys = _names(g, x, "treatment"), _names(g, y, "outcome")
    candidates = sorted(_descendants(g, xs) - ys - xs, key=str)
    found: list[frozenset] = []
    for k in range(1, min(max_size, len(candidates)) + 1):
        for combo in itertools.combinations(candidates, k):
            z = frozenset(combo)
            if any(f <= z for f in found):
                continue
            if is_frontdoor_set(g, xs, ys, z):
                found.append(z)
    return found


def adjustment_marginal(bn: Any, y: Hashable, x: Mapping[Hashable, Any],
                        adjustment: Iterable[Hashable] | None = None) -> np.ndarray:
    """``P(y | do(x))`` by the back-door adjustment formula ``sum_z P(y | x, z) P(z)``,
    exactly (variable elimination); ``adjustment`` defaults to the first minimal
    back-door set.  Raises :class:`QueryError` when no back-door set exists."""
    from pgm.evidence import normalize_evidence
    from pgm.inference.variable_elimination import VariableElimination

    treat = normalize_evidence(bn, x)
    if adjustment is None:
        sets = backdoor_sets(bn, list(treat), y)
        if not sets:
            raise QueryError(f"no back-door adjustment set exists for {list(treat)} -> {y!r}")
        adjustment = sets[0]
    zs = sorted(adjustment, key=str)
    if not is_backdoor_set(bn, list(treat), y, zs):
        raise QueryError(f"{zs} is not a back-door set for {list(treat)} -> {y!r}")
    ve = VariableElimination(bn)
    if not zs:
        return ve.marginals([y], treat)[y]
    pz = ve.marginal(zs).values
    out = np.zeros(bn.cardinality(y))
    for idx in itertools.product(*(range(bn.cardinality(z)) for z in zs)):
        w = float(pz[idx])
        if w <= 0:
            continue
        ev = {**treat, **dict(zip(zs, idx))}
        out += w * ve.marginals([y], ev)[y]
    return out


def average_causal_effect(bn: Any, x: Hashable, y: Hashable, treatments: tuple[Any, Any],
                          outcome: Any, *, adjustment: Iterable[Hashable] | None = None) -> float:
    """``P(y = outcome | do(x = treatments[0])) - P(y = outcome | do(x = treatments[1]))``
    by back-door adjustment, exactly."""
    from pgm.evidence import state_index

    if not isinstance(treatments, (tuple, list)) or len(treatments) != 2:
        raise ParameterError(f"treatments is a pair (treated, control) of states of {x!r}, "
                             f"got {treatments!r}")
    k = state_index(bn, y, outcome)
    p1 = adjustment_marginal(bn, y, {x: treatments[0]}, adjustment)
    p0 = adjustment_marginal(bn, y, {x: treatments[1]}, adjustment)
    return float(p1[k] - p0[k])
