"""The array-backed structure index (compiled d-separation, memoized blankets) agrees with
networkx and with the pure-Python Bayes ball, and notices every change of the graph."""

from __future__ import annotations

import networkx as nx
from hypothesis import given
from hypothesis import strategies as st

import pgm
from pgm.structure_index import StructureIndex, TrackedDiGraph
from pgm.testing import dags, disjoint_variable_sets


def _network(graph: nx.DiGraph) -> pgm.BayesianNetwork:
    bn = pgm.BayesianNetwork()
    bn.graph.add_nodes_from(graph.nodes)
    bn.graph.add_edges_from(graph.edges)
    return bn


@given(st.data())
def test_compiled_d_separation_agrees_with_networkx(data):
    graph = data.draw(dags(min_nodes=2, max_nodes=12, max_parents=3))
    xs, ys, zs = data.draw(disjoint_variable_sets(graph))
    bn = _network(graph)
    expected = nx.is_d_separator(graph, xs, ys, zs)
    assert bn.d_separated(xs, ys, zs) == expected
    assert pgm.d_separated(graph, xs, ys, zs) == expected
    assert StructureIndex(graph).d_separated(xs, ys, zs) == expected


@given(dags(min_nodes=1, max_nodes=10))
def test_memoized_markov_blanket_matches_definition(graph):
    bn = _network(graph)
    for v in graph:
        want = set(graph.predecessors(v)) | set(graph.successors(v))
        for c in graph.successors(v):
            want |= set(graph.predecessors(c))
        want.discard(v)
        assert bn.markov_blanket(v) == want
        assert bn.markov_blanket(v) == want  # second call: from the memo


def test_index_is_rebuilt_after_every_kind_of_change():
    bn = pgm.BayesianNetwork([("a", "b"), ("b", "c")])
    assert not bn.d_separated("a", "c")
    assert bn.markov_blanket("a") == {"b"}
    bn.graph.remove_edge("b", "c")
    assert bn.d_separated("a", "c")
    bn.add_edge("a", "c")
    assert not bn.d_separated("a", "c", given="b")
    assert bn.markov_blanket("a") == {"b", "c"}
    bn.graph.remove_node("b")
    assert bn.markov_blanket("a") == {"c"}
    bn.graph = nx.DiGraph([("a", "c"), ("d", "c")])  # replaced by a plain graph
    assert bn.markov_blanket("a") == {"c", "d"}
    assert not bn.d_separated("a", "d", given="c")


def test_tracked_graph_counts_changes():
    g = TrackedDiGraph()
    v0 = g.version
    g.add_edge(1, 2)
    g.add_edges_from([(2, 3)])
    g.remove_node(3)
    assert g.version >= v0 + 3
    assert isinstance(g.copy(), nx.DiGraph)
