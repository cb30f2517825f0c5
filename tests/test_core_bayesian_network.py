"""Bayesian networks: normalization, conversion, local conditionals and input errors.

Every numeric claim is checked against a brute-force joint built here from the raw
CPD tables with ``itertools.product`` (no library code on the reference side).
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import pgm
from pgm import (
    BayesianNetwork,
    CardinalityError,
    CycleError,
    EvidenceError,
    InvalidProbabilityError,
    MissingCPDError,
    ModelError,
    NormalizationError,
    PGMError,
    StructureMismatchError,
    TabularCPD,
    UnknownVariableError,
)
from pgm.exceptions import QueryError
from pgm.testing import assignments, bayesian_networks

# ------------------------------------------------------------------ helpers


def brute_joint(bn: BayesianNetwork) -> tuple[list, dict[tuple, float]]:
    """``{states: prod_k p(x_k | pa_k)}`` over every configuration, from the raw tables."""
    nodes = list(bn.nodes)
    cpds = {v: bn.get_cpd(v) for v in nodes}
    out = {}
    for states in itertools.product(*(range(cpds[v].cardinality) for v in nodes)):
        a = dict(zip(nodes, states))
        p = 1.0
        for v in nodes:
            cpd = cpds[v]
            p *= float(cpd.values[tuple(a[u] for u in cpd.parents) + (a[v],)])
        out[states] = p
    return nodes, out


def sprinkler() -> BayesianNetwork:
    return BayesianNetwork.from_cpds([
        TabularCPD("cloudy", [0.5, 0.5]),
        TabularCPD("rain", [[0.8, 0.2], [0.2, 0.8]], parents=["cloudy"]),
        TabularCPD("sprinkler", [[0.5, 0.5], [0.9, 0.1]], parents=["cloudy"]),
        TabularCPD("wet", [[[1.0, 0.0], [0.1, 0.9]], [[0.1, 0.9], [0.01, 0.99]]],
                   parents=["rain", "sprinkler"],
                   state_names={"wet": ["dry", "wet"], "rain": ["no", "yes"]}),
    ])


def replace_entry(bn: BayesianNetwork, variable, index, delta: float) -> None:
    cpd = bn.get_cpd(variable)
    values = cpd.values.copy()
    values[index] += delta
    bn.add_cpd(TabularCPD(variable, values, cpd.parents, cpd.state_names))


# -------------------------------------------------------------- normalization
@given(bayesian_networks())
def test_random_networks_are_normalized(bn):
    bn.validate(atol=1e-12)
    _, joint = brute_joint(bn)
    assert sum(joint.values()) == pytest.approx(1.0, abs=1e-12)
    for method in ("enumerate", "elimination", "auto"):
        report = bn.check_normalization(method=method)
        assert report.ok and bool(report)
        assert report.problems == [] and report.worst is None
        assert abs(report.total_probability - 1.0) < 1e-9
    assert bn.check_normalization(method="enumerate").method == "enumerate"
    assert bn.check_normalization(method="elimination").method == "elimination"


@given(bayesian_networks(max_nodes=5), st.data())
def test_perturbed_cpd_is_reported(bn, data):
    v = data.draw(st.sampled_from(bn.nodes), label="variable")
    cpd = bn.get_cpd(v)
    index = tuple(data.draw(st.integers(0, s - 1)) for s in cpd.values.shape)
    row_sum = float(cpd.values[index[:-1]].sum())
    replace_entry(bn, v, index, 0.1)
    _, joint = brute_joint(bn)
    expected_total = sum(joint.values())
    totals = {}
    for method in ("enumerate", "elimination"):
        report = bn.check_normalization(method=method)
        assert not report.ok
        assert [p.variable for p in report.problems] == [v]
        worst = report.worst
        assert worst.variable == v and worst.kind == "sum" and worst.rows == 1
        assert worst.value == pytest.approx(row_sum + 0.1, abs=1e-12)
        assert worst.deviation == pytest.approx(0.1, abs=1e-12)
        assert worst.parent_assignment == {
            p: bn.state_names(p)[i] for p, i in zip(cpd.parents, index[:-1])
        }
        assert repr(v) in worst.message
        assert report.total_probability == pytest.approx(expected_total, rel=1e-9)
        assert "NOT normalized" in report.summary()
        totals[method] = report.total_probability
        d = report.to_dict()
        assert d["ok"] is False and d["problems"][0]["variable"] == str(v)
    assert totals["enumerate"] == pytest.approx(totals["elimination"], rel=1e-9)
    with pytest.raises(NormalizationError, match=repr(v)):
        bn.validate()


def test_normalization_error_names_variable_parents_and_sum():
    bn = sprinkler()
    replace_entry(bn, "wet", (1, 0, 1), 0.25)  # rain=yes, sprinkler=0
    with pytest.raises(NormalizationError) as info:
        bn.validate()
    msg = str(info.value)
    assert "'wet'" in msg and "rain=yes" in msg and "sprinkler=0" in msg and "sums to 1.25," in msg
    report = bn.check_normalization()
    assert report.worst.parent_assignment == {"rain": "yes", "sprinkler": "0"}
    assert report.total_probability == pytest.approx(1 + 0.25 * 0.5 * (0.2 * 0.5 + 0.8 * 0.9))


def test_validate_tolerance_is_configurable():
    bn = sprinkler()
    replace_entry(bn, "rain", (0, 1), 1e-7)
    bn.validate()  # default atol=1e-6
    with pytest.raises(NormalizationError, match="tolerance 1e-08"):
        bn.validate(atol=1e-8)
    assert not bn.check_normalization().ok  # default atol=1e-9
    assert bn.check_normalization(atol=1e-6).ok


def test_wrong_conditional_behind_zero_probability_parent_is_reported():
    bn = BayesianNetwork.from_cpds([
        TabularCPD("a", [1.0, 0.0]),
        TabularCPD("b", [[0.3, 0.7], [0.5, 0.9]], parents=["a"]),  # row a=1 sums to 1.4
    ])
    report = bn.check_normalization()
    assert report.total_probability == pytest.approx(1.0)
    assert not report.ok and report.worst.variable == "b"
    assert report.worst.parent_assignment == {"a": "1"}


@pytest.mark.parametrize("bad", [-0.1, np.nan, np.inf])
def test_invalid_entries(bad):
    bn = sprinkler()
    cpd = bn.get_cpd("rain")
    values = cpd.values.copy()
    values[1, 0] = bad
    bn.add_cpd(TabularCPD("rain", values, cpd.parents))
    with pytest.raises(InvalidProbabilityError, match="'rain'"):
        bn.validate()
    report = bn.check_normalization()
    assert not report.ok and np.isnan(report.total_probability)
    assert report.worst.variable == "rain" and report.worst.kind == "invalid"
    assert report.worst.parent_assignment == {"cloudy": "1"}
    assert "invalid" in report.worst.message
    assert isinstance(report.to_dict()["total_probability"], str)


def test_check_normalization_unknown_method():
    with pytest.raises(QueryError, match="'fast'"):
        sprinkler().check_normalization(method="fast")
    with pytest.raises(pgm.ArgumentTypeError):   # a PGMError and a TypeError
        pgm.check_normalization(object())


def test_check_normalization_doc_example():
    bn = BayesianNetwork.from_cpds([TabularCPD("a", [0.5, 0.6])])
    report = pgm.check_normalization(bn)
    assert not report.ok and report.total_probability == pytest.approx(1.1)
    assert report.worst.variable == "a" and report.worst.parent_assignment == {}


# ---------------------------------------------------------------- conversion
@given(bayesian_networks())
def test_factor_graph_conversion_preserves_joint(bn):
    nodes, joint = brute_joint(bn)
    fg = bn.to_factor_graph()
    assert fg.variables == nodes
    assert fg.cardinalities == bn.cardinalities
    assert fg.partition_function() == pytest.approx(1.0, abs=1e-12)
    table = bn.joint()
    assert list(table.variables) == nodes
    for states, p in joint.items():
        a = dict(zip(nodes, states))
        assert bn.probability(a) == pytest.approx(p, rel=1e-12, abs=1e-300)
        assert np.exp(fg.log_unnormalized(a)) == pytest.approx(p, rel=1e-12, abs=1e-300)
        assert table.values[states] == pytest.approx(p, rel=1e-12, abs=1e-300)
        if p == 0:
            assert bn.log_probability(a) == -np.inf
        else:
            assert bn.log_probability(a) == pytest.approx(np.log(p), rel=1e-12, abs=1e-12)
    for v in nodes:
        assert fg.state_names(v) == bn.state_names(v)


@given(bayesian_networks(), st.data())
def test_local_conditional_matches_brute_force(bn, data):
    nodes, joint = brute_joint(bn)
    fg = bn.to_factor_graph()
    a = data.draw(assignments(bn), label="assignment")
    v = data.draw(st.sampled_from(nodes), label="variable")
    blanket = bn.markov_blanket(v)
    pos = nodes.index(v)
    # p(v | blanket) by brute force: sum the joint over everything but v and the blanket
    mass = np.zeros(bn.cardinality(v))
    for states, p in joint.items():
        if all(states[nodes.index(u)] == a[u] for u in blanket):
            mass[states[pos]] += p
    # only the blanket is passed: the local conditional must not need anything else
    mb_assignment = {u: a[u] for u in blanket}
    if mass.sum() > 0:
        expected = mass / mass.sum()
        np.testing.assert_allclose(bn.local_conditional(v, mb_assignment), expected,
                                   rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(fg.local_conditional(v, a), expected, rtol=1e-9, atol=1e-12)
        # p(v | everything else) is the same whenever it is defined
        row = np.array([joint[tuple(s if i != pos else k for i, s in enumerate(
            tuple(a[u] for u in nodes)))] for k in range(bn.cardinality(v))])
        if row.sum() > 0:
            np.testing.assert_allclose(row / row.sum(), expected, rtol=1e-9, atol=1e-12)


def test_local_conditional_errors():
    bn = sprinkler()
    with pytest.raises(UnknownVariableError, match="'sprinkler'"):
        bn.local_conditional("rain", {"cloudy": 0, "wet": 1})
    with pytest.raises(UnknownVariableError, match="'nope'"):
        bn.local_conditional("nope", {})
    bn2 = BayesianNetwork.from_cpds([
        TabularCPD("a", [1.0, 0.0]),
        TabularCPD("b", [[1.0, 0.0], [1.0, 0.0]], parents=["a"]),
    ])
    with pytest.raises(EvidenceError, match="'a'"):
        bn2.local_conditional("a", {"b": 1})


# ------------------------------------------------------------------ structure
@given(bayesian_networks())
def test_markov_blanket_definition(bn):
    g = bn.graph
    for v in bn.nodes:
        expected = set(g.predecessors(v)) | set(g.successors(v))
        for c in g.successors(v):
            expected |= set(g.predecessors(c))
        expected.discard(v)
        assert bn.markov_blanket(v) == expected
        # the blanket is the neighbourhood in the moral graph
        assert set(bn.moral_graph().neighbors(v)) == expected


def test_structure_accessors():
    bn = sprinkler()
    assert bn.parents("wet") == ["rain", "sprinkler"]
    assert set(bn.children("cloudy")) == {"rain", "sprinkler"}
    assert bn.cardinality("wet") == 2 and len(bn) == 4 and "wet" in bn
    order = bn.topological_order()
    assert order.index("cloudy") < order.index("rain") < order.index("wet")
    assert bn.state_names("wet") == ["dry", "wet"]
    assert bn.state_names("rain") == ["no", "yes"]  # from the child's CPD
    assert bn.state_names("cloudy") == ["0", "1"]
    assert bn.state_index("rain", "yes") == 1 and bn.state_index("cloudy", "1") == 1
    assert bn.state_index("wet", 0) == 0
    c = bn.copy()
    replace_entry(c, "rain", (0, 0), 0.5)
    assert bn.check_normalization().ok and not c.check_normalization().ok
    assert set(c.edges) == set(bn.edges)


# -------------------------------------------------------------- input errors
def test_error_hierarchy():
    for cls in (CycleError, MissingCPDError, StructureMismatchError, CardinalityError,
                InvalidProbabilityError, NormalizationError):
        assert issubclass(cls, ModelError) and issubclass(cls, ValueError)
        assert issubclass(cls, PGMError)
    assert issubclass(EvidenceError, ValueError) and issubclass(EvidenceError, PGMError)
    assert issubclass(QueryError, ValueError) and issubclass(QueryError, PGMError)
    assert issubclass(UnknownVariableError, KeyError) and issubclass(UnknownVariableError, PGMError)
    assert str(UnknownVariableError("no 'x'")) == "no 'x'"


def test_cycle_is_named():
    bn = BayesianNetwork([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")])
    for v in "abcd":
        bn.add_cpd(TabularCPD(v, [0.5, 0.5]))
    for call in (bn.validate, bn.topological_order, bn.check_normalization):
        with pytest.raises(CycleError) as info:
            call()
        msg = str(info.value)
        cycle = msg.split(": ", 1)[1].split(" -> ")
        assert cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}


def test_missing_cpd_is_named():
    bn = BayesianNetwork([("a", "b")], [TabularCPD("a", [0.5, 0.5])])
    for call in (bn.validate, bn.check_normalization, bn.to_factor_graph,
                 lambda: bn.get_cpd("b"), lambda: bn.cardinality("b")):
        with pytest.raises(MissingCPDError, match="'b'"):
            call()


def test_structure_mismatch():
    bn = BayesianNetwork([("a", "b")], [TabularCPD("a", [0.5, 0.5]), TabularCPD("b", [0.5, 0.5])])
    with pytest.raises(StructureMismatchError, match=r"'b'.*missing from the CPD: \['a'\]"):
        bn.validate()
    bn = BayesianNetwork(cpds=[TabularCPD("a", [0.5, 0.5]), TabularCPD("c", [0.5, 0.5]),
                               TabularCPD("b", [[0.5, 0.5], [0.5, 0.5]], parents=["c"])])
    bn.add_edge("a", "b")
    with pytest.raises(StructureMismatchError, match=r"not in the graph: \['c'\]"):
        bn.validate()


def test_cardinality_mismatch():
    bn = BayesianNetwork.from_cpds([
        TabularCPD("a", [0.5, 0.5]),
        TabularCPD("b", [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]], parents=["a"]),
    ])
    with pytest.raises(CardinalityError, match=r"'b'.*'a' 3 states.*'a' has 2"):
        bn.validate()
    bn = BayesianNetwork.from_cpds([
        TabularCPD("a", [0.5, 0.5], state_names={"a": ["lo", "hi"]}),
        TabularCPD("b", [[0.5, 0.5], [0.5, 0.5]], parents=["a"],
                   state_names={"a": ["hi", "lo"]}),
    ])
    with pytest.raises(CardinalityError, match="'a'"):
        bn.validate()


def test_cpd_constructor_errors():
    with pytest.raises(CardinalityError, match="'b'"):
        TabularCPD("b", [0.5, 0.5], parents=["a"])
    with pytest.raises(CardinalityError, match="'b'"):
        TabularCPD("b", np.ones((2, 0)), parents=["a"])
    with pytest.raises(ModelError, match="own parent"):
        TabularCPD("a", [[0.5, 0.5], [0.5, 0.5]], parents=["a"])
    with pytest.raises(ModelError, match="twice"):
        TabularCPD("c", np.ones((2, 2, 2)) / 2, parents=["a", "a"])
    with pytest.raises(CardinalityError, match="3 state names"):
        TabularCPD("a", [0.5, 0.5], state_names={"a": ["x", "y", "z"]})
    with pytest.raises(ModelError, match="'zz'"):
        TabularCPD("a", [0.5, 0.5], state_names={"zz": ["x", "y"]})
    with pytest.raises(ModelError, match="distinct"):
        TabularCPD("a", [0.5, 0.5], state_names={"a": ["x", "x"]})
    with pytest.raises(TypeError):   # pgm.ArgumentTypeError: a PGMError and a TypeError
        BayesianNetwork().add_cpd("not a cpd")


def test_cpd_accessors():
    cpd = TabularCPD("wet", [[0.9, 0.1], [0.2, 0.8]], parents=["rain"])
    assert cpd.cardinality == 2 and cpd.parent_cardinalities == (2,)
    assert cpd.scope == ("rain", "wet")
    assert cpd.conditional({"rain": 1}).tolist() == [0.2, 0.8]
    f = cpd.to_factor(log=True)
    assert f.log and f.variables == ("rain", "wet")
    assert np.allclose(np.exp(f.values), cpd.values)
    c = cpd.copy()
    c.values[0, 0] = 0.0
    assert cpd.values[0, 0] == 0.9


def test_unknown_variables_in_queries():
    bn = sprinkler()
    calls = [
        lambda: bn.get_cpd("nope"), lambda: bn.parents("nope"), lambda: bn.children("nope"),
        lambda: bn.markov_blanket("nope"), lambda: bn.d_separated("nope", "wet"),
        lambda: bn.d_separated("rain", "wet", given=["nope"]),
        lambda: bn.independence_gap("rain", "nope"),
        lambda: bn.probability({"cloudy": 0, "rain": 0, "sprinkler": 0}),
    ]
    for call in calls:
        with pytest.raises(UnknownVariableError) as info:
            call()
        assert "'nope'" in str(info.value) or "'wet'" in str(info.value)


@pytest.mark.parametrize("xs, ys, zs", [("rain", "rain", ()), ("rain", "wet", "rain"),
                                        ("rain", "wet", ["wet", "cloudy"])])
def test_overlapping_sets(xs, ys, zs):
    bn = sprinkler()
    for call in (bn.d_separated, bn.independence_gap,
                 lambda *a: bn.is_independent(*a, numeric=True)):
        with pytest.raises(QueryError, match="disjoint"):
            call(xs, ys, zs)


def test_evidence_out_of_range():
    bn = sprinkler()
    with pytest.raises(EvidenceError, match="'wet'"):
        bn.state_index("wet", 2)
    with pytest.raises(EvidenceError, match="'soaked'"):
        bn.state_index("wet", "soaked")
    with pytest.raises(EvidenceError):
        bn.state_index("wet", 1.0)
    with pytest.raises(EvidenceError, match="'rain'"):
        bn.probability({"cloudy": 0, "rain": 2, "sprinkler": 0, "wet": 0})
    # range errors win over an early zero factor (cloudy=0 has probability 0 here)
    bn.add_cpd(TabularCPD("cloudy", [0.0, 1.0]))
    with pytest.raises(EvidenceError, match="'wet'"):
        bn.log_probability({"cloudy": 0, "rain": 0, "sprinkler": 0, "wet": 7})
    assert bn.log_probability({"cloudy": 0, "rain": 0, "sprinkler": 0, "wet": 0}) == -np.inf
    fg = bn.to_factor_graph()
    with pytest.raises(EvidenceError, match="'rain'"):
        fg.check_evidence({"rain": 5})
    with pytest.raises(EvidenceError, match="'nope'"):
        fg.check_evidence({"nope": 0})


def test_is_independent_structural_and_numeric():
    bn = sprinkler()
    assert bn.is_independent("rain", "sprinkler", "cloudy")
    assert not bn.is_independent("rain", "sprinkler", ["cloudy", "wet"])
    assert bn.is_independent("rain", "sprinkler", "cloudy", numeric=True)
    assert not bn.is_independent("rain", "sprinkler", numeric=True)
    assert bn.is_separated is not None and nx.is_directed_acyclic_graph(bn.graph)
