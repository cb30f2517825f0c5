"""The exact normalization check: totals, reports and both computation methods.

The reference total is ``sum_x prod_k cpd_k[x]`` over every configuration, from the
raw tables, so the check is verified without assuming the CPDs are normalized.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import pgm
from pgm import BayesianNetwork, CPDProblem, MemoryBudgetError, NormalizationReport, TabularCPD
from pgm.testing import bayesian_networks


def brute_total(bn: BayesianNetwork) -> float:
    nodes = list(bn.nodes)
    cpds = {v: bn.get_cpd(v) for v in nodes}
    total = 0.0
    for states in itertools.product(*(range(cpds[v].cardinality) for v in nodes)):
        a = dict(zip(nodes, states))
        p = 1.0
        for v in nodes:
            p *= float(cpds[v].values[tuple(a[u] for u in cpds[v].parents) + (a[v],)])
        total += p
    return total


def rescale_rows(bn: BayesianNetwork, seed: int, spread: float) -> BayesianNetwork:
    """Multiply every conditional by a random factor in ``[1 - spread, 1 + spread]``."""
    rng = np.random.default_rng(seed)
    out = BayesianNetwork(bn.edges)
    out.graph.add_nodes_from(bn.nodes)
    for v in bn.nodes:
        cpd = bn.get_cpd(v)
        scale = rng.uniform(1 - spread, 1 + spread, size=cpd.parent_cardinalities + (1,))
        out.add_cpd(TabularCPD(v, cpd.values * scale, cpd.parents, cpd.state_names))
    return out


@given(bayesian_networks(max_nodes=5), st.integers(0, 2**32 - 1))
def test_total_of_unnormalized_cpds_matches_brute_force(bn, seed):
    bad = rescale_rows(bn, seed, 0.5)
    expected = brute_total(bad)
    enum = pgm.check_normalization(bad, method="enumerate")
    elim = pgm.check_normalization(bad, method="elimination")
    assert enum.total_probability == pytest.approx(expected, rel=1e-10)
    assert elim.total_probability == pytest.approx(expected, rel=1e-10)
    assert not enum.ok and not elim.ok
    assert [p.variable for p in enum.problems] == [p.variable for p in elim.problems]
    assert {p.variable for p in enum.problems} == set(bad.nodes)  # every CPD was rescaled
    devs = [p.deviation for p in enum.problems]
    assert devs == sorted(devs, reverse=True)
    worst_dev = max(float(np.abs(bad.get_cpd(v).conditional_sums() - 1).max()) for v in bad.nodes)
    assert enum.worst.deviation == pytest.approx(worst_dev)


@given(bayesian_networks(min_nodes=2, max_nodes=5), st.data())
def test_two_perturbations_sorted_worst_first(bn, data):
    a, b = data.draw(st.permutations(bn.nodes))[:2]
    for v, delta in ((a, 0.3), (b, -0.05)):
        cpd = bn.get_cpd(v)
        values = cpd.values.copy()
        values[(0,) * values.ndim] += delta
        if values[(0,) * values.ndim] < 0:  # keep the entry valid: move the mass up instead
            values[(0,) * values.ndim] -= 2 * delta
        bn.add_cpd(TabularCPD(v, values, cpd.parents, cpd.state_names))
    report = bn.check_normalization()
    assert [p.variable for p in report.problems] == [a, b]
    assert report.worst.deviation == pytest.approx(0.3)
    assert report.problems[1].deviation == pytest.approx(0.05)
    assert report.total_probability == pytest.approx(brute_total(bn), rel=1e-10)
    text = report.summary()
    assert repr(a) in text and repr(b) in text


def test_rows_counts_every_bad_conditional():
    bn = BayesianNetwork.from_cpds([
        TabularCPD("a", [0.5, 0.5]),
        TabularCPD("b", [[0.5, 0.6], [0.5, 0.5], [0.1, 0.1]], parents=["c"]),
        TabularCPD("c", [0.2, 0.3, 0.5]),
    ])
    report = bn.check_normalization()
    (problem,) = report.problems
    assert problem.rows == 2 and problem.parent_assignment == {"c": "2"}
    assert problem.value == pytest.approx(0.2) and problem.deviation == pytest.approx(0.8)
    assert "2 conditional(s)" in problem.message
    assert report.total_probability == pytest.approx(0.2 * 1.1 + 0.3 + 0.5 * 0.2)


def test_report_serializes_to_json():
    bn = BayesianNetwork.from_cpds([TabularCPD("a", [0.5, 0.6]),
                                    TabularCPD("b", [[np.nan, 0.5], [0.5, 0.5]], parents=["a"])])
    report = bn.check_normalization()
    assert report.method == "none" and not report.ok
    d = json.loads(json.dumps(report.to_dict()))
    assert d["ok"] is False and d["total_probability"] == "nan"
    kinds = {p["variable"]: p["kind"] for p in d["problems"]}
    assert kinds == {"a": "sum", "b": "invalid"}
    assert d["problems"][0]["variable"] == "b"  # invalid entries rank first
    assert d["problems"][0]["deviation"] == "inf"
    assert all("message" in p for p in d["problems"])
    ok = BayesianNetwork.from_cpds([TabularCPD("a", [0.5, 0.5])]).check_normalization()
    assert json.loads(json.dumps(ok.to_dict())) == {
        "ok": True, "total_probability": 1.0, "problems": [], "method": "enumerate", "atol": 1e-9}
    assert "normalized" in ok.summary() and "NOT" not in ok.summary()


def test_report_dataclasses():
    p = CPDProblem("x", "sum", {"y": 1}, 1.5, 0.5, 1)
    r = NormalizationReport(1.0, False, [p])
    assert r.worst is p and not r
    assert "'x' given y=1 sums to 1.5" in p.message
    assert NormalizationReport(1.0, True).worst is None


def test_large_network_uses_elimination():
    # 24 binary variables: 2**24 configurations, over the enumeration limit.
    cpds = [TabularCPD("x0", [0.3, 0.7])]
    cpds += [TabularCPD(f"x{i}", [[0.9, 0.1], [0.4, 0.6]], parents=[f"x{i - 1}"]) for i in range(1, 24)]
    bn = BayesianNetwork.from_cpds(cpds)
    report = bn.check_normalization()
    assert report.method == "elimination" and report.ok
    assert report.total_probability == pytest.approx(1.0, abs=1e-12)
    # a row off by 0.1 in the last CPD: total = 1 + 0.1 * P(x22 = 1)
    p = np.array([0.3, 0.7])
    for _ in range(22):
        p = p @ np.array([[0.9, 0.1], [0.4, 0.6]])
    bn.add_cpd(TabularCPD("x23", [[0.9, 0.1], [0.4, 0.7]], parents=["x22"]))
    report = bn.check_normalization()
    assert report.total_probability == pytest.approx(1 + 0.1 * p[1], rel=1e-12)
    assert report.worst.variable == "x23" and report.worst.parent_assignment == {"x22": "1"}


def test_memory_budget_is_passed_through():
    bn = BayesianNetwork.from_cpds([TabularCPD("a", [0.5, 0.5]),
                                    TabularCPD("b", [[0.5, 0.5], [0.5, 0.5]], parents=["a"])])
    for method in ("enumerate", "elimination"):
        with pytest.raises(MemoryBudgetError):
            bn.check_normalization(method=method, memory_budget=8)
    assert bn.check_normalization(memory_budget=1024).ok
