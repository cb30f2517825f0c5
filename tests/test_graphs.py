"""Equivalence classes and graph queries (pgm.graphs): CPDAGs against brute force over
the Markov equivalence class, invariance under covered-edge reversals, Meek's rules,
SHD conventions, Bayes-ball reachability against d-separation, minimal d-separators."""

from __future__ import annotations

import itertools
import random

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pgm
import pgm.examples
from pgm.exceptions import ArgumentTypeError, ModelError, QueryError, UnknownVariableError
from pgm.graphs import (
    _minimal_d_separator,
    cpdag,
    directed_edges,
    immoralities,
    is_markov_equivalent,
    meek_rules,
    minimal_d_separator,
    pdag_from_edges,
    pdag_to_dag,
    reachable,
    shd,
    skeleton,
    undirected_edges,
)
from pgm.testing import dags

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def covered_reversals(dag: nx.DiGraph, rng: random.Random, steps: int = 6) -> nx.DiGraph:
    """A Markov-equivalent DAG by random covered-edge reversals (Chickering 1995):
    ``x -> y`` is covered when pa(y) = pa(x) + {x}."""
    g = dag.copy()
    for _ in range(steps):
        covered = [(x, y) for x, y in g.edges
                   if set(g.predecessors(y)) == set(g.predecessors(x)) | {x}]
        if not covered:
            break
        x, y = rng.choice(sorted(covered))
        g.remove_edge(x, y)
        g.add_edge(y, x)
        assert nx.is_directed_acyclic_graph(g)
    return g


def brute_force_cpdag(dag: nx.DiGraph) -> tuple[set, set]:
    """The class by enumeration: every acyclic orientation of the skeleton with the same
    immoralities; an edge is directed when every member orients it the same way."""
    edges = sorted(tuple(sorted(e, key=str)) for e in skeleton(dag).edges)
    target = immoralities(dag)
    orientations: dict = {e: set() for e in edges}
    for flips in itertools.product((False, True), repeat=len(edges)):
        g = nx.DiGraph()
        g.add_nodes_from(dag.nodes)
        g.add_edges_from((v, u) if f else (u, v) for (u, v), f in zip(edges, flips))
        if nx.is_directed_acyclic_graph(g) and immoralities(g) == target:
            for (u, v), f in zip(edges, flips):
                orientations[(u, v)].add((v, u) if f else (u, v))
    directed = {next(iter(o)) for o in orientations.values() if len(o) == 1}
    undirected = {frozenset(e) for e, o in orientations.items() if len(o) == 2}
    return directed, undirected


# ------------------------------------------------------------------ cpdag
def test_small_cpdags():
    chain = nx.DiGraph([("a", "b"), ("b", "c")])
    assert directed_edges(cpdag(chain)) == set()
    assert undirected_edges(cpdag(chain)) == {("a", "b"), ("b", "c")}
    collider = nx.DiGraph([("a", "c"), ("b", "c")])
    assert directed_edges(cpdag(collider)) == {("a", "c"), ("b", "c")}
    # R1 propagates out of the collider
    g = cpdag(nx.DiGraph([("a", "c"), ("b", "c"), ("c", "d"), ("d", "e")]))
    assert undirected_edges(g) == set()
    # R2: a -> b -> c, a - c in the skeleton, with a compelled a -> b
    g = cpdag(nx.DiGraph([("x", "b"), ("a", "b"), ("b", "c"), ("a", "c")]))
    assert {("x", "b"), ("a", "b"), ("b", "c"), ("a", "c")} == directed_edges(g)


def test_asia_cpdag_and_node_data_kept():
    asia = pgm.examples.load("asia")
    g = cpdag(asia)
    assert directed_edges(g) == {("tub", "either"), ("lung", "either"), ("either", "xray"),
                                 ("either", "dysp"), ("bronc", "dysp")}
    assert {frozenset(e) for e in undirected_edges(g)} == {
        frozenset(e) for e in [("asia", "tub"), ("smoke", "lung"), ("smoke", "bronc")]}
    assert list(g.nodes) == list(asia.nodes)
    d = nx.DiGraph([("a", "b")])
    d.nodes["a"]["states"] = ["x", "y"]
    assert cpdag(d).nodes["a"]["states"] == ["x", "y"]


@SETTINGS
@given(dags(max_nodes=6, max_parents=3))
def test_cpdag_equals_brute_force(dag):
    if dag.number_of_edges() > 10:
        return
    g = cpdag(dag)
    directed, undirected = brute_force_cpdag(dag)
    assert directed_edges(g) == directed
    assert {frozenset(e) for e in undirected_edges(g)} == undirected
    assert meek_rules(g).edges == g.edges          # closed under the rules
    assert is_markov_equivalent(pdag_to_dag(g), dag)


@SETTINGS
@given(dags(max_nodes=8, max_parents=3), st.integers(0, 2**16))
def test_cpdag_is_a_class_invariant(dag, seed):
    other = covered_reversals(dag, random.Random(seed))
    assert is_markov_equivalent(dag, other)
    assert set(cpdag(dag).edges) == set(cpdag(other).edges)
    assert shd(dag, other, equivalence_classes=True) == 0


@SETTINGS
@given(dags(min_nodes=4, max_nodes=5, max_parents=2), dags(min_nodes=4, max_nodes=5, max_parents=2))
def test_markov_equivalence_agrees_with_cpdag_equality(g1, g2):
    if set(g1.nodes) != set(g2.nodes):
        return
    same = set(cpdag(g1).edges) == set(cpdag(g2).edges)
    assert is_markov_equivalent(g1, g2) == same
    assert (shd(g1, g2, equivalence_classes=True) == 0) == same


def test_markov_equivalence_examples():
    a = nx.DiGraph([("a", "b"), ("b", "c")])
    assert is_markov_equivalent(a, nx.DiGraph([("b", "a"), ("b", "c")]))
    assert not is_markov_equivalent(a, nx.DiGraph([("a", "b"), ("c", "b")]))
    assert not is_markov_equivalent(a, nx.DiGraph([("a", "b"), ("b", "c"), ("a", "c")]))
    bigger = a.copy()
    bigger.add_node("d")
    assert not is_markov_equivalent(a, bigger)


def test_immoralities_and_skeleton():
    g = nx.DiGraph([("a", "c"), ("b", "c"), ("a", "b"), ("d", "c")])
    assert immoralities(g) == {("a", "c", "d"), ("b", "c", "d")}
    assert set(map(frozenset, skeleton(g).edges)) == set(map(frozenset, g.edges))
    assert isinstance(skeleton(g), nx.Graph) and not skeleton(g).is_directed()


# ------------------------------------------------------------------ meek rules
def test_meek_rules_each_rule():
    # R1: c -> a - b, c and b not adjacent
    assert directed_edges(meek_rules(pdag_from_edges([("c", "a")], [("a", "b")]))) == {
        ("c", "a"), ("a", "b")}
    # R2: a -> c -> b with a - b
    g = meek_rules(pdag_from_edges([("a", "c"), ("c", "b")], [("a", "b")]))
    assert ("a", "b") in directed_edges(g)
    # R3: a - c -> b, a - d -> b, c and d not adjacent, a - b
    g = meek_rules(pdag_from_edges([("c", "b"), ("d", "b")], [("a", "c"), ("a", "d"), ("a", "b")]))
    assert ("a", "b") in directed_edges(g)
    assert {frozenset(e) for e in undirected_edges(g)} == {frozenset("ac"), frozenset("ad")}
    # R4: a - c -> d -> b, c and b not adjacent, a adjacent to d, a - b
    pd = pdag_from_edges([("c", "d"), ("d", "b")], [("a", "c"), ("a", "b"), ("a", "d")])
    assert ("a", "b") in directed_edges(meek_rules(pd))
    assert ("a", "b") not in directed_edges(meek_rules(pd, rule4=False))
    # the input is not changed; an ambiguous triple blocks R1
    before = set(pd.edges)
    meek_rules(pd)
    assert set(pd.edges) == before
    g = meek_rules(pdag_from_edges([("c", "a")], [("a", "b")]), ambiguous_triples=[("c", "a", "b")])
    assert directed_edges(g) == {("c", "a")}


def test_undirected_graph_input():
    g = nx.path_graph(["a", "b", "c"])
    assert undirected_edges(g) == {("a", "b"), ("b", "c")}
    assert shd(g, cpdag(nx.DiGraph([("a", "b"), ("b", "c")]))) == 0


# ------------------------------------------------------------------ shd
def test_shd_conventions():
    true = nx.DiGraph([("a", "b"), ("b", "c")])
    true.add_node("d")
    def g(*edges):
        out = nx.DiGraph(list(edges))
        out.add_nodes_from("abcd")
        return out
    assert shd(true, true) == 0
    assert shd(g(("b", "a"), ("b", "c")), true) == 1            # reversed
    assert shd(g(("a", "b")), true) == 1                        # missing
    assert shd(g(("a", "b"), ("b", "c"), ("c", "d")), true) == 1  # extra
    assert shd(pdag_from_edges([("b", "c")], [("a", "b")], nodes="abcd"), true) == 1  # unoriented
    assert shd(g(("b", "a"), ("c", "b"), ("a", "d")), true) == 3
    assert shd(cpdag(true), true) == 2
    assert shd(g(("b", "a"), ("b", "c")), true, equivalence_classes=True) == 0
    assert shd(g(("a", "b"), ("c", "b")), true, equivalence_classes=True) == 2
    with pytest.raises(ModelError, match="different nodes"):
        shd(nx.DiGraph([("a", "b")]), true)


@SETTINGS
@given(dags(min_nodes=5, max_nodes=5), dags(min_nodes=5, max_nodes=5))
def test_shd_is_a_metric(g1, g2):
    assert shd(g1, g2) == shd(g2, g1) >= 0
    assert (shd(g1, g2) == 0) == (set(g1.edges) == set(g2.edges))
    assert shd(g1, g2) <= len(set(map(frozenset, g1.edges)) | set(map(frozenset, g2.edges)))


def test_pdag_to_dag():
    four_cycle = pdag_from_edges([], [("a", "b"), ("b", "c"), ("c", "d"), ("d", "a")])
    with pytest.raises(ModelError, match="no consistent DAG extension"):
        pdag_to_dag(four_cycle)
    ext = pdag_to_dag(pdag_from_edges([("a", "b")], [("b", "c"), ("c", "d")]))
    assert set(ext.edges) == {("a", "b"), ("b", "c"), ("c", "d")}


# ------------------------------------------------------------------ reachability
@SETTINGS
@given(dags(min_nodes=2, max_nodes=8), st.data())
def test_reachable_agrees_with_d_separation(dag, data):
    nodes = sorted(dag.nodes)
    x = data.draw(st.sampled_from(nodes))
    z = set(data.draw(st.lists(st.sampled_from([v for v in nodes if v != x]), unique=True,
                               max_size=3)))
    found = reachable(dag, x, z)
    assert x in found and not (found & z)
    for y in nodes:
        if y != x and y not in z:
            assert (y in found) == (not pgm.d_separated(dag, x, y, z))


def test_reachable_examples_and_errors():
    g = nx.DiGraph([("a", "c"), ("b", "c"), ("c", "d")])
    assert reachable(g, "a") == {"a", "c", "d"}
    assert reachable(g, "a", "d") == {"a", "b", "c"}
    assert reachable(g, {"a", "b"}, "c") == {"a", "b"}
    assert reachable(pgm.BayesianNetwork([("a", "b")]), "a") == {"a", "b"}
    with pytest.raises(UnknownVariableError, match="'zz'"):
        reachable(g, "zz")
    with pytest.raises(QueryError):
        reachable(g, "a", {"a"})
    with pytest.raises(ModelError, match="cycle"):
        reachable(nx.DiGraph([("a", "b"), ("b", "a")]), "a")
    with pytest.raises(ArgumentTypeError):
        reachable([("a", "b")], "a")


# ------------------------------------------------------------------ minimal separators
def _is_minimal(dag, x, y, z, included=frozenset()):
    if not pgm.d_separated(dag, x, y, z):
        return False
    return all(not pgm.d_separated(dag, x, y, z - {v}) for v in z - set(included))


@SETTINGS
@given(dags(min_nodes=2, max_nodes=8), st.data())
def test_minimal_d_separator(dag, data):
    nodes = sorted(dag.nodes)
    x, y = data.draw(st.permutations(nodes))[:2]
    z = minimal_d_separator(dag, x, y)
    fallback = _minimal_d_separator(dag, {x}, {y}, set(), set(nodes) - {x, y})
    if dag.has_edge(x, y) or dag.has_edge(y, x):
        assert z is None and fallback is None
        return
    assert z is not None and _is_minimal(dag, x, y, z)
    assert fallback is not None and _is_minimal(dag, x, y, fallback)


def test_minimal_d_separator_options():
    g = nx.DiGraph([("a", "b"), ("b", "c"), ("a", "d"), ("d", "c"), ("c", "e")])
    assert minimal_d_separator(g, "a", "e", restricted={"c"}) == {"c"}
    assert minimal_d_separator(g, "a", "e", restricted={"b"}) is None
    z = minimal_d_separator(g, "a", "e", included={"c"})
    assert z == {"c"}
    with pytest.raises(QueryError):
        minimal_d_separator(g, "a", "a")
    with pytest.raises(UnknownVariableError):
        minimal_d_separator(g, "a", "nope")
