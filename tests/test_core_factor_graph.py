"""Factor graphs: partition function, joint, separation, local conditionals, errors.

References are brute-force enumerations over the raw factor tables and networkx.
"""

from __future__ import annotations

import itertools
from functools import reduce

import networkx as nx
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import pgm
from pgm import (
    CardinalityError,
    EvidenceError,
    Factor,
    FactorGraph,
    InvalidProbabilityError,
    MemoryBudgetError,
    UnknownVariableError,
)
from pgm.exceptions import QueryError
from pgm.testing import assignments, disjoint_variable_sets, evidence, factor_graphs

# ------------------------------------------------------------------ helpers


def brute_unnormalized(fg: FactorGraph) -> tuple[list, dict[tuple, float]]:
    """``{states: prod_k phi_k(x_k)}`` from the raw tables, by enumeration."""
    variables = fg.variables
    card = fg.cardinalities
    out = {}
    for states in itertools.product(*(range(card[v]) for v in variables)):
        a = dict(zip(variables, states))
        p = 1.0
        for f in fg.factors:
            val = float(f.values[tuple(a[v] for v in f.variables)])
            p *= np.exp(val) if f.log else val
        out[states] = p
    return variables, out


def nx_separated(graph: nx.Graph, xs, ys, zs) -> bool:
    h = graph.subgraph(set(graph) - set(zs))
    return not any(nx.has_path(h, x, y) for x in xs for y in ys)


# ------------------------------------------------------- partition function
@given(factor_graphs())
def test_partition_function_matches_brute_force(fg):
    _, table = brute_unnormalized(fg)
    z = sum(table.values())
    assert fg.partition_function() == pytest.approx(z, rel=1e-10)
    assert fg.log_partition_function(method="enumerate") == pytest.approx(np.log(z), rel=1e-10, abs=1e-10)
    assert fg.log_partition_function(method="elimination") == pytest.approx(
        fg.log_partition_function(method="enumerate"), rel=1e-10, abs=1e-10)
    report = pgm.check_normalization(fg)
    assert report.total_probability == pytest.approx(z, rel=1e-10)
    assert report.ok == (abs(z - 1) <= 1e-9)
    assert pgm.check_normalization(fg, method="elimination").total_probability == pytest.approx(
        z, rel=1e-10)


@given(factor_graphs(max_variables=5))
def test_joint_and_log_unnormalized_match_brute_force(fg):
    variables, table = brute_unnormalized(fg)
    z = sum(table.values())
    joint = fg.joint()
    log_joint = fg.joint(log=True)
    unnorm = fg.joint(normalized=False)
    assert list(joint.variables) == variables
    assert joint.values.sum() == pytest.approx(1.0, abs=1e-12)
    for states, p in table.items():
        a = dict(zip(variables, states))
        assert np.exp(fg.log_unnormalized(a)) == pytest.approx(p, rel=1e-10)
        assert joint.values[states] == pytest.approx(p / z, rel=1e-10)
        assert np.exp(log_joint.values[states]) == pytest.approx(p / z, rel=1e-10)
        assert unnorm.values[states] == pytest.approx(p, rel=1e-10)


@given(factor_graphs(max_variables=5), st.data())
def test_evidence_strategy_and_reduced_partition_function(fg, data):
    from pgm.inference.variable_elimination import log_partition_function

    ev = data.draw(evidence(fg))
    assert fg.check_evidence(ev) == ev
    variables, table = brute_unnormalized(fg)
    expected = sum(p for s, p in table.items()
                   if all(s[variables.index(v)] == k for v, k in ev.items()))
    assert np.exp(log_partition_function(fg, ev)) == pytest.approx(expected, rel=1e-10)


def test_elimination_on_a_chain_too_long_to_enumerate():
    # 20 binary variables: 'auto' eliminates; compare with transfer matrices.
    rng = np.random.default_rng(7)
    mats = [rng.uniform(0.5, 2.0, size=(2, 2)) for _ in range(19)]
    fg = FactorGraph([Factor([f"x{i}", f"x{i + 1}"], [2, 2], m) for i, m in enumerate(mats)])
    expected = np.ones(2) @ reduce(np.matmul, mats) @ np.ones(2)
    assert fg.log_partition_function() == pytest.approx(np.log(expected), rel=1e-12)
    report = pgm.check_normalization(fg, method="auto")
    assert report.method == "enumerate" and report.total_probability == pytest.approx(expected)
    assert pgm.check_normalization(fg, method="elimination").total_probability == pytest.approx(
        expected, rel=1e-12)


def test_variable_in_no_factor_counts_in_partition_function():
    # a variable in no factor multiplies Z by its number of states, in every method
    fg = FactorGraph([Factor(["a"], [2], [1.0, 2.0])], cardinalities={"b": 3})
    assert fg.partition_function(method="enumerate") == pytest.approx(9.0)
    assert fg.partition_function(method="elimination") == pytest.approx(9.0)
    assert pgm.check_normalization(fg, method="elimination").total_probability == pytest.approx(9.0)
    assert fg.variables == ["b", "a"] and fg.joint().values.shape == (3, 2)


def test_zero_partition_function_raises():
    fg = FactorGraph([Factor(["a"], [2], [0.0, 0.0])])
    assert fg.partition_function(method="enumerate") == 0.0
    with pytest.raises(EvidenceError, match="zero"):
        fg.log_partition_function(method="elimination")
    with pytest.raises(EvidenceError):
        fg.joint()


# ---------------------------------------------------------------- structure
@given(factor_graphs())
def test_markov_graph_and_blanket(fg):
    g = fg.markov_graph()
    assert set(g.nodes) == set(fg.variables)
    expected_edges = {frozenset(p) for f in fg.factors for p in itertools.combinations(f.variables, 2)}
    assert {frozenset(e) for e in g.edges} == expected_edges
    for v in fg.variables:
        assert fg.markov_blanket(v) == set(g.neighbors(v))
        assert all(v in f.variables for f in fg.factors_of(v))
        assert len(fg.factors_of(v)) == sum(v in f.variables for f in fg.factors)


@given(factor_graphs(min_variables=2, max_variables=7), st.data())
def test_separation_agrees_with_networkx(fg, data):
    xs, ys, zs = data.draw(disjoint_variable_sets(fg))
    g = fg.markov_graph()
    assert fg.is_separated(xs, ys, zs) == nx_separated(g, xs, ys, zs)
    assert fg.is_separated(xs, ys) == nx_separated(g, xs, ys, ())
    assert fg.is_independent(xs, ys, zs) == fg.is_separated(xs, ys, zs)


@given(factor_graphs(min_variables=2, max_variables=5), st.data())
def test_separation_implies_numeric_independence(fg, data):
    xs, ys, zs = data.draw(disjoint_variable_sets(fg))
    gap = fg.independence_gap(xs, ys, zs)
    if fg.is_separated(xs, ys, zs):
        assert gap < 1e-9
        assert fg.is_independent(xs, ys, zs, numeric=True)


@given(factor_graphs(min_variables=2, max_variables=6), st.data())
def test_markov_blanket_screens_off(fg, data):
    v = data.draw(st.sampled_from(fg.variables))
    blanket = fg.markov_blanket(v)
    rest = set(fg.variables) - blanket - {v}
    assume(rest)
    assert fg.is_separated({v}, rest, blanket)
    assert fg.independence_gap({v}, rest, blanket) < 1e-9


@given(factor_graphs(), st.data())
def test_local_conditional_matches_brute_force(fg, data):
    variables, table = brute_unnormalized(fg)
    a = data.draw(assignments(fg))
    assert set(a) == set(variables) and all(0 <= a[v] < fg.cardinality(v) for v in variables)
    v = data.draw(st.sampled_from(variables))
    pos = variables.index(v)
    base = [a[u] for u in variables]
    row = np.array([table[tuple(base[:pos] + [k] + base[pos + 1:])]
                    for k in range(fg.cardinality(v))])
    expected = row / row.sum()
    np.testing.assert_allclose(fg.local_conditional(v, a), expected, rtol=1e-9)
    blanket_only = {u: a[u] for u in fg.markov_blanket(v)}
    np.testing.assert_allclose(fg.local_conditional(v, blanket_only), expected, rtol=1e-9)


def test_local_conditional_errors():
    fg = FactorGraph([Factor(["a", "b"], [2, 2], [[1.0, 0.0], [1.0, 0.0]])])
    np.testing.assert_allclose(fg.local_conditional("b", {"a": 0}), [1.0, 0.0])
    zero = FactorGraph([Factor(["a", "b"], [2, 2], [[0.0, 0.0], [1.0, 1.0]])])
    with pytest.raises(EvidenceError, match="'b'.*probability zero"):
        zero.local_conditional("b", {"a": 0})
    with pytest.raises(UnknownVariableError, match="'a'"):
        fg.local_conditional("b", {})
    with pytest.raises(UnknownVariableError, match="'zz'"):
        fg.local_conditional("zz", {"a": 0})


# ------------------------------------------------------------------- errors
def test_building_errors():
    fg = FactorGraph([Factor(["a", "b"], [2, 3], np.ones((2, 3)))])
    with pytest.raises(CardinalityError, match="'b'.*2 states.*3"):
        fg.add_factor(Factor(["b"], [2], [1.0, 1.0]))
    with pytest.raises(CardinalityError, match="'a'"):
        fg.add_variable("a", 5)
    with pytest.raises(CardinalityError, match="'c'"):
        fg.add_variable("c", 0)
    with pytest.raises(CardinalityError, match="'c'"):
        fg.add_variable("c", 2, ["only one"])
    for bad in (-1.0, np.nan, np.inf):
        with pytest.raises(InvalidProbabilityError, match=r"\['a'\]"):
            fg.add_factor(Factor(["a"], [2], [1.0, bad]))
    assert len(fg.factors) == 1  # failed additions leave the model unchanged
    assert fg.cardinalities == {"a": 2, "b": 3}


def test_query_errors():
    fg = FactorGraph([Factor(["a", "b"], [2, 3], np.ones((2, 3)))])
    with pytest.raises(UnknownVariableError, match="'zz'"):
        fg.cardinality("zz")
    with pytest.raises(UnknownVariableError, match="'zz'"):
        fg.markov_blanket("zz")
    with pytest.raises(UnknownVariableError, match="'zz'"):
        fg.is_separated("a", "zz")
    with pytest.raises(QueryError, match="disjoint"):
        fg.is_separated("a", "b", "b")
    with pytest.raises(UnknownVariableError, match="'b'"):
        fg.log_unnormalized({"a": 0})
    with pytest.raises(UnknownVariableError, match="'zz'"):
        fg.log_unnormalized({"a": 0, "b": 0, "zz": 0})
    with pytest.raises(EvidenceError, match="'b'"):
        fg.log_unnormalized({"a": 0, "b": 3})
    with pytest.raises(EvidenceError, match="'b'"):
        fg.check_evidence({"b": 3})
    with pytest.raises(EvidenceError, match="'a'"):   # state names or indices (pgm.evidence)
        fg.check_evidence({"a": "zz"})
    assert fg.check_evidence({"a": "0"}) == {"a": 0}
    with pytest.raises(QueryError, match="'magic'"):
        fg.log_partition_function(method="magic")


def test_memory_limits():
    fg = FactorGraph([Factor([f"x{i}"], [2], [1.0, 1.0]) for i in range(30)])
    with pytest.raises(MemoryBudgetError, match="enumeration limit"):
        fg.joint()
    small = FactorGraph([Factor(["a"], [2], np.ones(2)), Factor(["b"], [3], np.ones(3))])
    with pytest.raises(MemoryBudgetError):
        small.joint(memory_budget=8)
    assert fg.partition_function() == pytest.approx(2.0**30)  # elimination needs no big table


def test_accessors_and_copy():
    fg = FactorGraph(cardinalities={"a": 2}, state_names={"a": ["lo", "hi"], "b": ["x", "y", "z"]})
    assert fg.cardinalities == {"a": 2, "b": 3}
    assert fg.state_names("a") == ["lo", "hi"] and fg.has_state_names("b")
    fg.add_factor(Factor(["a", "c"], [2, 2], np.ones((2, 2))))
    assert fg.state_names("c") == ["0", "1"] and not fg.has_state_names("c")
    assert "c" in fg and "zz" not in fg
    c = fg.copy()
    c.factors[0].values[0, 0] = 5.0
    c.add_factor(Factor(["b"], [3], [1.0, 1.0, 1.0]))
    assert len(fg.factors) == 1 and len(c.factors) == 2
    assert fg.factors[0].values[0, 0] == 1.0
    assert c.state_names("a") == ["lo", "hi"]
    log_fg = FactorGraph([Factor(["a"], [2], [0.0, np.log(3.0)], log=True)])
    assert log_fg.partition_function() == pytest.approx(4.0)
    assert log_fg.log_unnormalized({"a": 1}) == pytest.approx(np.log(3.0))
