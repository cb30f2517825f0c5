"""d-separation, graph separation and numerical independence.

Structure is checked against networkx (``nx.is_d_separator``, ``nx.has_path``);
numbers against an independence gap computed here by brute force.
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import pgm
from pgm import Factor, PGMError, UnknownVariableError
from pgm.exceptions import QueryError
from pgm.testing import bayesian_networks, dags, disjoint_variable_sets


def nx_separated(graph: nx.Graph, xs, ys, zs) -> bool:
    """Undirected separation by brute force: remove Z, look for any X-Y path."""
    h = graph.subgraph(set(graph) - set(zs))
    return not any(nx.has_path(h, x, y) for x in xs for y in ys)


def brute_gap(joint: Factor, xs, ys, zs) -> float:
    """``max |P(x,y|z) - P(x|z)P(y|z)|`` by loops over every configuration."""
    variables = list(joint.variables)
    card = dict(zip(variables, joint.cardinalities))
    xs, ys, zs = sorted(xs), sorted(ys), sorted(zs)
    table: dict[tuple, float] = {}
    for states in itertools.product(*(range(card[v]) for v in variables)):
        a = dict(zip(variables, states))
        key = (tuple(a[v] for v in xs), tuple(a[v] for v in ys), tuple(a[v] for v in zs))
        table[key] = table.get(key, 0.0) + float(joint.values[states])
    total = sum(table.values())
    gap = 0.0
    for z in itertools.product(*(range(card[v]) for v in zs)):
        pz = sum(p for (_, _, zz), p in table.items() if zz == z) / total
        if pz <= 0:
            continue
        for x in itertools.product(*(range(card[v]) for v in xs)):
            pxz = sum(p for (xx, _, zz), p in table.items() if xx == x and zz == z) / total
            for y in itertools.product(*(range(card[v]) for v in ys)):
                pyz = sum(p for (_, yy, zz), p in table.items() if yy == y and zz == z) / total
                pxyz = table.get((x, y, z), 0.0) / total
                gap = max(gap, abs(pxyz / pz - (pxz / pz) * (pyz / pz)))
    return gap


def descendants_closed(graph: nx.DiGraph, v) -> set:
    return nx.descendants(graph, v) | {v}


# ------------------------------------------------------------ d-separation
@given(dags(min_nodes=2, max_nodes=9), st.data())
def test_d_separation_agrees_with_networkx(g, data):
    xs, ys, zs = data.draw(disjoint_variable_sets(g, max_size=4))
    assert pgm.d_separated(g, xs, ys, zs) == nx.is_d_separator(g, xs, ys, zs)
    assert pgm.d_separated(g, xs, ys) == nx.is_d_separator(g, xs, ys, set())
    # symmetric in X and Y
    assert pgm.d_separated(g, ys, xs, zs) == pgm.d_separated(g, xs, ys, zs)


@given(dags(min_nodes=2, max_nodes=7), st.data())
def test_d_separation_single_names(g, data):
    x, y = data.draw(st.permutations(list(g.nodes)))[:2]
    assert pgm.d_separated(g, x, y) == nx.is_d_separator(g, {x}, {y}, set())
    rest = [v for v in g if v not in (x, y)]
    if rest:
        z = data.draw(st.sampled_from(rest))
        assert pgm.d_separated(g, x, y, z) == nx.is_d_separator(g, {x}, {y}, {z})


def test_d_separation_classic_patterns():
    chain = nx.DiGraph([("a", "b"), ("b", "c")])
    fork = nx.DiGraph([("b", "a"), ("b", "c")])
    collider = nx.DiGraph([("a", "b"), ("c", "b"), ("b", "d")])
    for g in (chain, fork):
        assert not pgm.d_separated(g, "a", "c")
        assert pgm.d_separated(g, "a", "c", "b")
    assert pgm.d_separated(collider, "a", "c")
    assert not pgm.d_separated(collider, "a", "c", "b")
    assert not pgm.d_separated(collider, "a", "c", "d")  # descendant of the collider
    assert pgm.d_separated(collider, ["a"], [])  # empty side: trivially separated


def test_d_separation_is_linear_time_on_long_chain():
    g = nx.path_graph(20000, create_using=nx.DiGraph)
    assert not pgm.d_separated(g, 0, 19999)
    assert pgm.d_separated(g, 0, 19999, 10000)


def test_d_separation_errors():
    g = nx.DiGraph([("a", "b")])
    with pytest.raises(UnknownVariableError, match="'z'"):
        pgm.d_separated(g, "a", "z")
    with pytest.raises(QueryError, match=r"disjoint.*\['a'\]"):
        pgm.d_separated(g, "a", "b", "a")
    assert issubclass(QueryError, ValueError) and issubclass(QueryError, PGMError)


# ----------------------------------------------------- undirected separation
@st.composite
def undirected_graphs(draw):
    n = draw(st.integers(2, 9))
    pairs = list(itertools.combinations(range(n), 2))
    edges = draw(st.lists(st.sampled_from(pairs), unique=True))
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(edges)
    return g


@given(undirected_graphs(), st.data())
def test_separation_agrees_with_networkx(g, data):
    xs, ys, zs = data.draw(disjoint_variable_sets(g, max_size=4))
    assert pgm.separated(g, xs, ys, zs) == nx_separated(g, xs, ys, zs)
    assert pgm.separated(g, xs, ys) == nx_separated(g, xs, ys, ())


def test_separation_errors():
    g = nx.path_graph(3)
    with pytest.raises(UnknownVariableError, match="7"):
        pgm.separated(g, 0, 7)
    with pytest.raises(QueryError):
        pgm.separated(g, [0, 1], 1)


# ------------------------------------------------------ numeric independence
@given(st.integers(0, 2**32 - 1), st.data())
def test_independence_gap_matches_brute_force(seed, data):
    rng = np.random.default_rng(seed)
    names = ["a", "b", "c", "d"]
    cards = [data.draw(st.integers(1, 3)) for _ in names]
    values = rng.exponential(size=cards) * (rng.random(cards) < 0.8)
    assume(values.sum() > 0)
    joint = Factor(names, cards, values)
    xs, ys, zs = data.draw(disjoint_variable_sets(nx.empty_graph(names), max_size=2))
    expected = brute_gap(joint, xs, ys, zs)
    assert pgm.independence_gap(joint, xs, ys, zs) == pytest.approx(expected, abs=1e-12)
    assert pgm.independence_gap(joint.to_log(), xs, ys, zs) == pytest.approx(expected, abs=1e-12)


def test_independence_gap_of_product_distribution_is_zero():
    p = Factor(["a", "b"], [2, 3], np.outer([0.3, 0.7], [0.2, 0.5, 0.3]))
    assert pgm.independence_gap(p, "a", "b") < 1e-15
    q = Factor(["a", "b"], [2, 2], [[0.5, 0.0], [0.0, 0.5]])
    assert pgm.independence_gap(q, "a", "b") == pytest.approx(0.25)
    assert pgm.independence_gap(q, "a", []) == 0.0
    with pytest.raises(PGMError, match="zero everywhere"):
        pgm.independence_gap(Factor(["a", "b"], [2, 2], np.zeros((2, 2))), "a", "b")


@given(bayesian_networks(min_nodes=2, max_nodes=6), st.data())
def test_d_separation_implies_numeric_independence(bn, data):
    xs, ys, zs = data.draw(disjoint_variable_sets(bn))
    separated = bn.d_separated(xs, ys, zs)
    assert separated == nx.is_d_separator(bn.graph, xs, ys, zs)
    if separated:
        assert bn.independence_gap(xs, ys, zs) < 1e-9
        assert bn.is_independent(xs, ys, zs, numeric=True)


@given(bayesian_networks(min_nodes=2, max_nodes=5, min_probability=0.05), st.data())
def test_d_connection_shows_in_random_numbers(bn, data):
    # Random positive CPDs are faithful with probability one: a d-connected pair is
    # (numerically) dependent.  The threshold is far below any gap seen in practice.
    xs, ys, zs = data.draw(disjoint_variable_sets(bn))
    if not bn.d_separated(xs, ys, zs):
        assert bn.independence_gap(xs, ys, zs) > 1e-10


@given(bayesian_networks(min_nodes=2, max_nodes=6), st.data())
def test_markov_blanket_screens_off(bn, data):
    v = data.draw(st.sampled_from(bn.nodes))
    blanket = bn.markov_blanket(v)
    rest = set(bn.nodes) - blanket - {v}
    assume(rest)
    assert bn.d_separated({v}, rest, blanket)
    assert bn.independence_gap({v}, rest, blanket) < 1e-9


@given(bayesian_networks(min_nodes=2, max_nodes=6), st.data())
def test_local_markov_property(bn, data):
    v = data.draw(st.sampled_from(bn.nodes))
    parents = set(bn.parents(v))
    non_desc = set(bn.nodes) - descendants_closed(bn.graph, v) - parents
    assume(non_desc)
    assert bn.d_separated({v}, non_desc, parents)
    assert bn.independence_gap({v}, non_desc, parents) < 1e-9
