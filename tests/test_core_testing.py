"""The public Hypothesis strategies of :mod:`pgm.testing` produce what they promise."""

from __future__ import annotations

import importlib
import sys

import networkx as nx
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import pgm
from pgm.testing import (
    assignments,
    bayesian_networks,
    dags,
    disjoint_variable_sets,
    evidence,
    factor_graphs,
    model_variables,
)


@given(dags(min_nodes=2, max_nodes=9, max_parents=2))
def test_dags_are_acyclic_and_bounded(g):
    assert isinstance(g, nx.DiGraph) and nx.is_directed_acyclic_graph(g)
    assert 2 <= g.number_of_nodes() <= 9
    assert list(g.nodes) == [f"x{i}" for i in range(g.number_of_nodes())]
    assert max(d for _, d in g.in_degree()) <= 2


@given(dags(max_nodes=4, node_names="abcd", max_parents=0))
def test_dags_custom_names_and_no_edges(g):
    assert set(g.nodes) <= set("abcd") and g.number_of_edges() == 0


@given(dags(min_nodes=0, max_nodes=0))
def test_dags_can_be_empty(g):
    assert g.number_of_nodes() == 0


def test_dags_reach_edges_against_name_order():
    # the topological order is random: some edge must point from a later name to an earlier one
    seen = []

    @given(dags(min_nodes=3, max_nodes=5))
    def collect(g):
        seen.extend(int(u[1:]) > int(v[1:]) for u, v in g.edges)

    collect()
    assert any(seen) and not all(seen)


@given(bayesian_networks(max_nodes=6, max_parents=2, min_cardinality=2, max_cardinality=4))
def test_bayesian_networks_validate(bn):
    bn.validate(atol=1e-14)
    assert nx.is_directed_acyclic_graph(bn.graph)
    for v in bn.nodes:
        cpd = bn.get_cpd(v)
        assert set(cpd.parents) == set(bn.parents(v)) and len(cpd.parents) <= 2
        assert 2 <= cpd.cardinality <= 4
        assert np.all(cpd.values >= 0)
        np.testing.assert_allclose(cpd.conditional_sums(), 1.0, rtol=0, atol=1e-15)
        assert np.all(cpd.values.max(axis=-1) > 0)


@given(bayesian_networks(min_probability=0.1, max_cardinality=3))
def test_bayesian_networks_min_probability(bn):
    for v in bn.nodes:
        assert bn.get_cpd(v).values.min() >= 0.1 - 1e-15


def test_bayesian_networks_variety():
    seen = {"zeros": False, "names": False, "edges": False}

    @given(bayesian_networks())
    def collect(bn):
        cpds = bn.cpds.values()
        seen["zeros"] |= any((c.values == 0).any() for c in cpds)
        seen["names"] |= any(c.state_names for c in cpds)
        seen["edges"] |= bool(bn.edges)

    collect()
    assert all(seen.values()), seen


@given(factor_graphs(max_variables=6, max_factor_size=3, log_range=(-1.0, 2.0)))
def test_factor_graphs_are_positive_and_covered(fg):
    assert 1 <= len(fg.variables) <= 6
    for f in fg.factors:
        assert not f.log and 1 <= len(f.variables) <= 3
        assert np.all(f.values >= np.exp(-1.0) * (1 - 1e-12))
        assert np.all(f.values <= np.exp(2.0) * (1 + 1e-12))
    for v in fg.variables:
        assert fg.factors_of(v), f"{v} is in no factor"
        assert 2 <= fg.cardinality(v) <= 3
    assert fg.partition_function() > 0


def test_factor_graphs_include_loops():
    loops = []

    @given(factor_graphs(min_variables=3))
    def collect(fg):
        loops.append(bool(nx.cycle_basis(fg.markov_graph())))

    collect()
    assert any(loops) and not all(loops)


@given(factor_graphs(max_variables=4, max_factors=0))
def test_factor_graphs_with_only_unary_factors(fg):
    assert all(len(f.variables) == 1 for f in fg.factors)
    assert len(fg.factors) == len(fg.variables)


@given(st.one_of(bayesian_networks(), factor_graphs()), st.data())
def test_assignments_and_evidence_in_range(model, data):
    card = model.cardinalities
    a = data.draw(assignments(model))
    assert set(a) == set(card)
    assert all(isinstance(k, int) and 0 <= k < card[v] for v, k in a.items())
    ev = data.draw(evidence(model, max_size=2))
    assert len(ev) <= 2 and set(ev) <= set(card)
    assert all(0 <= k < card[v] for v, k in ev.items())


@given(st.one_of(bayesian_networks(min_nodes=2), factor_graphs(min_variables=2),
                 dags(min_nodes=2)), st.data())
def test_disjoint_variable_sets(model, data):
    xs, ys, zs = data.draw(disjoint_variable_sets(model, max_size=2))
    names = set(model_variables(model))
    assert xs and ys and xs | ys | zs <= names
    assert not (xs & ys or xs & zs or ys & zs)
    assert max(len(xs), len(ys), len(zs)) <= 2


@given(dags(min_nodes=3, max_nodes=5), st.data())
def test_disjoint_variable_sets_nonempty_given(g, data):
    xs, ys, zs = data.draw(disjoint_variable_sets(g, allow_empty_given=False))
    assert xs and ys and zs


def test_bad_arguments():
    with pytest.raises(ValueError):
        dags(min_nodes=3, max_nodes=2)
    with pytest.raises(ValueError):
        dags(max_nodes=3, node_names=["a"])
    with pytest.raises(ValueError):
        bayesian_networks(min_probability=0.5, max_cardinality=3)
    with pytest.raises(ValueError):
        factor_graphs(log_range=(1.0, -1.0))
    with pytest.raises(ValueError, match="at least 2"):
        disjoint_variable_sets(nx.DiGraph([("a", "a")]))
    with pytest.raises(pgm.ArgumentTypeError):   # a PGMError and a TypeError
        model_variables(42)
    with pytest.raises(pgm.ArgumentTypeError):
        assignments(nx.DiGraph())


def test_import_error_without_hypothesis(monkeypatch):
    monkeypatch.setitem(sys.modules, "hypothesis", None)
    monkeypatch.delitem(sys.modules, "pgm.testing")
    with pytest.raises(ImportError, match=r"pip install pgm\[dev\]"):
        importlib.import_module("pgm.testing")
    monkeypatch.undo()
    assert importlib.import_module("pgm.testing").dags is not None
    assert pgm.testing is sys.modules["pgm.testing"]
