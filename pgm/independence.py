"""Structural and numerical independence queries.

* :func:`d_separated`: set-to-set d-separation in a DAG by the linear-time
  reachability ("Bayes-ball") algorithm of Koller and Friedman (Alg. 3.1).
* :func:`separated`: separation in an undirected graph (Markov networks).
* :func:`independence_gap`: ``max |P(x,y|z) - P(x|z) P(y|z)|`` from an exact joint,
  so a structural statement can be confirmed in the numbers.
* :class:`IndependenceQueries`: the ``is_independent`` / ``independence_gap`` methods
  that Bayesian networks and factor graphs share (each says what "structurally
  separated" means for it).
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable

import networkx as nx
import numpy as np

from pgm.exceptions import ModelError, PGMError, QueryError, UnknownVariableError
from pgm.factor import Factor, is_sequence
from pgm.validation import check_flag, check_float

__all__ = ["d_separated", "active_trail_nodes", "separated", "independence_gap",
           "as_variable_set", "query_sets", "IndependenceQueries"]


def as_variable_set(variables: Iterable[Hashable] | Hashable | None, nodes: Collection,
                    what: str) -> set:
    """Turn one name or an iterable of names into a set, checking each is a known variable."""
    if variables is None:
        return set()

    def known(v) -> bool:
        try:
            hash(v)
            return bool(v in nodes)
        except (TypeError, ValueError):  # unhashable, or an array compared elementwise
            return False

    if not isinstance(variables, (list, set, frozenset)) and known(variables):
        return {variables}  # one variable name (also a tuple name that is a node)
    if not is_sequence(variables):
        raise UnknownVariableError(f"{what} variable {variables!r} is not in the model")
    out = set()
    for v in variables:
        if not known(v):
            raise UnknownVariableError(f"{what} variable {v!r} is not in the model")
        out.add(v)
    return out


def _check_disjoint(xs: set, ys: set, zs: set) -> None:
    if xs.isdisjoint(ys) and xs.isdisjoint(zs) and ys.isdisjoint(zs):
        return
    for a, b, na, nb in ((xs, ys, "first", "second"), (xs, zs, "first", "conditioning"),
                         (ys, zs, "second", "conditioning")):
        common = a & b
        if common:
            raise QueryError(
                f"the {na} and {nb} sets must be disjoint; both contain {sorted(map(str, common))}"
            )


def query_sets(nodes: Collection, xs, ys, given=()) -> tuple[set, set, set]:
    """Validate the three sets of an independence query: known variables, pairwise disjoint."""
    xs = as_variable_set(xs, nodes, "first")
    ys = as_variable_set(ys, nodes, "second")
    zs = as_variable_set(given, nodes, "conditioning")
    _check_disjoint(xs, ys, zs)
    return xs, ys, zs


def d_separated(graph: nx.DiGraph, xs, ys, given=()) -> bool:
    """True if every trail between ``xs`` and ``ys`` is blocked given ``given``.

    Linear in the size of the graph (each node is visited at most twice).

    Examples
    --------
    >>> g = nx.DiGraph([("a", "c"), ("b", "c")])
    >>> d_separated(g, "a", "b"), d_separated(g, "a", "b", given="c")
    (True, False)
    """
    if not isinstance(graph, nx.DiGraph):
        raise ModelError(f"d_separated needs a networkx DiGraph, got {type(graph).__name__}")
    xs, ys, zs = query_sets(graph, xs, ys, given)
    if not xs or not ys:
        return True
    return not active_trail_nodes(graph, xs, zs, stop_at=ys) & ys


def active_trail_nodes(graph: nx.DiGraph, xs: set, zs: set, *, stop_at: Collection = ()) -> set:
    """The nodes outside ``zs`` joined to ``xs`` by an active trail given ``zs`` (Bayes
    ball; ``xs`` included), in time linear in the graph.  The walk stops as soon as it
    reaches a node of ``stop_at`` (the result then holds that node): what
    :func:`d_separated` asks.  ``xs`` and ``zs`` are sets of nodes of ``graph``.

    Examples
    --------
    >>> g = nx.DiGraph([("a", "c"), ("b", "c")])
    >>> sorted(active_trail_nodes(g, {"a"}, set())), sorted(active_trail_nodes(g, {"a"}, {"c"}))
    (['a', 'c'], ['a', 'b'])
    """
    pred = graph._pred  # adjacency dicts: avoid view overhead in the hot loop
    succ = graph._succ
    # Phase 1: Z and its ancestors (where a v-structure is active).
    anc = set()
    stack = list(zs)
    while stack:
        n = stack.pop()
        if n not in anc:
            anc.add(n)
            stack.extend(pred[n])
    # Phase 2: traverse (node, direction); "up" = reached from a child, "down" = from a parent.
    out: set = set()
    seen_up: set = set()
    seen_down: set = set()
    up = list(xs)
    down: list = []
    while up or down:
        if up:
            n = up.pop()
            if n in seen_up:
                continue
            seen_up.add(n)
            if n in zs:
                continue
            out.add(n)
            if n in stop_at:
                return out
            for p in pred[n]:
                if p not in seen_up:
                    up.append(p)
            for c in succ[n]:
                if c not in seen_down:
                    down.append(c)
        else:
            n = down.pop()
            if n in seen_down:
                continue
            seen_down.add(n)
            if n not in zs:
                out.add(n)
                if n in stop_at:
                    return out
                for c in succ[n]:
                    if c not in seen_down:
                        down.append(c)
            if n in anc:
                for p in pred[n]:
                    if p not in seen_up:
                        up.append(p)
    return out


def separated(graph: nx.Graph, xs, ys, given=()) -> bool:
    """True if removing ``given`` disconnects ``xs`` from ``ys`` in an undirected graph.

    Examples
    --------
    >>> separated(nx.path_graph(3), 0, 2, given=1)
    True
    """
    if not isinstance(graph, nx.Graph):
        raise ModelError(f"separated needs a networkx graph, got {type(graph).__name__}")
    xs = as_variable_set(xs, graph, "first")
    ys = as_variable_set(ys, graph, "second")
    zs = as_variable_set(given, graph, "conditioning")
    _check_disjoint(xs, ys, zs)
    adj = graph._adj
    seen = set(xs)
    stack = list(xs)
    while stack:
        n = stack.pop()
        for m in adj[n]:
            if m in seen or m in zs:
                continue
            if m in ys:
                return False
            seen.add(m)
            stack.append(m)
    return True


def independence_gap(joint: Factor, xs, ys, given=()) -> float:
    """``max |P(x, y | z) - P(x | z) P(y | z)|`` over all values, for ``z`` with ``P(z) > 0``.

    ``joint`` is any non-negative factor over (a superset of) the variables; it is
    normalized here.  Zero means ``xs`` and ``ys`` are independent given ``given`` in
    these numbers.

    Examples
    --------
    >>> p = Factor(["a", "b"], [2, 2], np.outer([0.3, 0.7], [0.6, 0.4]))
    >>> independence_gap(p, "a", "b") < 1e-15
    True
    """
    if not isinstance(joint, Factor):
        raise ModelError(f"independence_gap needs the joint as a Factor, got {type(joint).__name__}")
    joint.validate("the joint")
    nodes = set(joint.variables)
    xs_l = sorted(as_variable_set(xs, nodes, "first"), key=joint.variables.index)
    ys_l = sorted(as_variable_set(ys, nodes, "second"), key=joint.variables.index)
    zs_l = sorted(as_variable_set(given, nodes, "conditioning"), key=joint.variables.index)
    _check_disjoint(set(xs_l), set(ys_l), set(zs_l))
    if not xs_l or not ys_l:
        return 0.0
    p = joint.to_prob().marginal(xs_l + ys_l + zs_l)
    card = dict(zip(p.variables, p.cardinalities))
    nx_ = int(np.prod([card[v] for v in xs_l]))
    ny_ = int(np.prod([card[v] for v in ys_l]))
    nz_ = int(np.prod([card[v] for v in zs_l])) if zs_l else 1
    t = p.values.reshape(nx_, ny_, nz_)
    total = t.sum()
    if not total > 0:
        raise PGMError("the joint distribution is zero everywhere; nothing to compare")
    t = t / total
    pz = t.sum(axis=(0, 1))
    ok = pz > 0
    if not ok.any():
        return 0.0
    cond = t[:, :, ok] / pz[ok]
    px = cond.sum(axis=1, keepdims=True)
    py = cond.sum(axis=0, keepdims=True)
    return float(np.max(np.abs(cond - px * py)))


class IndependenceQueries:
    """Independence methods of a model with a ``joint()`` and a structural test
    ``is_separated(xs, ys, given)``, which each model defines (d-separation for a
    Bayesian network, graph separation for a factor graph)."""

    def is_independent(self, xs, ys, given=(), *, numeric: bool = False,
                       atol: float = 1e-9) -> bool:
        """Structural independence (:meth:`is_separated`) or, with ``numeric=True``,
        numerical independence: :meth:`independence_gap` at most ``atol``."""
        numeric = check_flag("numeric", numeric)
        atol = check_float("atol", atol, minimum=0)
        if numeric:
            return self.independence_gap(xs, ys, given) <= atol
        return self.is_separated(xs, ys, given)

    def independence_gap(self, xs, ys, given=()) -> float:
        """``max |P(x,y|z) - P(x|z)P(y|z)|`` from the exact joint (small models)."""
        return independence_gap(self.joint(), xs, ys, given)
