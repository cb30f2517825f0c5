"""PC-stable and the conditional independence tests: exact recovery with the d-separation
oracle, order independence of the skeleton, statistics against scipy, SHD on data
sampled from asia and alarm, and the errors."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import chi2_contingency

import pgm.examples
from pgm.exceptions import ArgumentTypeError, DataError, ParameterError, UnknownVariableError
from pgm.graphs import cpdag, shd, skeleton
from pgm.learning.independence_tests import (
    DataTest,
    chi_square,
    ci_statistic,
    d_separation_oracle,
    g_square,
)
from pgm.learning.pc import pc
from pgm.testing import dags

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def asia_data():
    asia = pgm.examples.load("asia")
    return asia, asia.simulate(50_000, seed=3).to_frame()


# ------------------------------------------------------------------ the oracle
@SETTINGS
@given(dags(max_nodes=7, max_parents=3), st.sampled_from(["standard", "conservative", "majority"]))
def test_oracle_recovers_the_cpdag(dag, orientation):
    result = pc(None, test=d_separation_oracle(dag), orientation=orientation)
    assert set(result.cpdag.edges) == set(cpdag(dag).edges)
    assert set(result.cpdag.nodes) == set(dag.nodes)
    assert not result.ambiguous_triples
    for pair, sep in result.sepsets.items():
        x, y = sorted(pair)
        assert pgm.d_separated(dag, x, y, set(sep))


def test_oracle_on_alarm_and_a_network():
    alarm = pgm.examples.load("alarm")
    result = pc(None, test=d_separation_oracle(alarm.graph))
    assert shd(result.cpdag, cpdag(alarm)) == 0
    assert result.n_tests > 0 and result.seconds >= 0 and result.max_level >= 1
    asia = pgm.examples.load("asia")     # a BayesianNetwork answers through bn.d_separated
    assert shd(pc(None, test=d_separation_oracle(asia)).cpdag, cpdag(asia)) == 0
    # max_cond_size limits the levels (and leaves extra edges)
    limited = pc(None, test=d_separation_oracle(alarm.graph), max_cond_size=1)
    assert limited.max_level == 1
    assert len(skeleton(limited.cpdag).edges) >= len(skeleton(result.cpdag).edges)


def test_callable_test_and_variables():
    dag = nx.DiGraph([("a", "c"), ("b", "c")])
    oracle = d_separation_oracle(dag)
    calls = []

    def test(x, y, z):
        calls.append((x, y, z))
        return oracle(x, y, z)[:2]

    result = pc(None, test=test, variables=["a", "b", "c"])
    assert set(result.cpdag.edges) == {("a", "c"), ("b", "c")}
    assert result.n_tests == len(calls)
    assert result.sepsets == {frozenset("ab"): ()}
    with pytest.raises(ParameterError, match="variables"):
        pc(None, test=test)
    with pytest.raises(ArgumentTypeError, match="statistic, p_value"):
        pc(None, test=lambda x, y, z: 0.5, variables=["a", "b"])


# ------------------------------------------------------------------ the statistics
@SETTINGS
@given(st.integers(2, 4), st.integers(2, 4), st.integers(0, 2**31))
def test_two_variable_statistics_equal_scipy(rx, ry, seed):
    rng = np.random.default_rng(seed)
    table = rng.integers(1, 30, size=(rx, ry))
    x = np.repeat(np.repeat(np.arange(rx), ry), table.ravel())
    y = np.repeat(np.tile(np.arange(ry), rx), table.ravel())
    df = pd.DataFrame({"x": x, "y": y})
    chi, p, dof, _ = chi2_contingency(table, correction=False)
    got = chi_square(df, "x", "y")
    assert got.statistic == pytest.approx(chi, rel=1e-10)
    assert got.p_value == pytest.approx(p, rel=1e-8, abs=1e-300)
    assert got.dof == dof
    g, pg, _, _ = chi2_contingency(table, correction=False, lambda_="log-likelihood")
    got = g_square(df, "x", "y")
    assert got.statistic == pytest.approx(g, rel=1e-10)
    assert got.p_value == pytest.approx(pg, rel=1e-8, abs=1e-300)


@settings(SETTINGS, max_examples=12)
@given(st.integers(2, 3), st.integers(2, 3), st.integers(2, 3), st.integers(0, 2**31))
def test_conditional_statistics_are_sums_over_strata(rx, ry, rz, seed):
    rng = np.random.default_rng(seed)
    n = 400
    df = pd.DataFrame({"x": rng.integers(0, rx, n), "y": rng.integers(0, ry, n),
                       "z": rng.integers(0, rz, n)})
    for method, lam in (("chi_square", None), ("g_square", "log-likelihood")):
        test = DataTest(df, method)
        got = test("x", "y", ("z",))
        stat = dof = 0.0
        for _, part in df.groupby("z"):
            table = pd.crosstab(part["x"], part["y"]).to_numpy()
            if min(table.shape) > 1:
                s, _, d, _ = chi2_contingency(table, correction=False, lambda_=lam)
                stat, dof = stat + s, dof + d
        assert got.statistic == pytest.approx(stat, rel=1e-9, abs=1e-9)
        assert got.dof == dof
        assert test("y", "x", ["z"]).statistic == pytest.approx(got.statistic)


def test_degrees_of_freedom_adjusted_for_zero_margins():
    # stratum 0: x takes one value only (contributes 0); stratum 1: a full 2x3 table
    counts = np.array([[[5, 3, 2], [0, 0, 0]], [[4, 1, 7], [2, 6, 3]]])
    assert ci_statistic(counts).dof == 2
    assert ci_statistic(counts, adjust_dof=False).dof == 4
    # no degree of freedom left: p = 1
    assert ci_statistic(np.array([[[3, 4], [0, 0]]])).p_value == 1.0
    # an unobserved state given by the structure counts only without the adjustment
    df = pd.DataFrame({"a": ["u", "v"] * 20, "b": ["u", "u", "v", "v"] * 10})
    states = {"a": ["u", "v", "w"]}
    assert DataTest(df, variables=["a", "b"], states=states)("a", "b").dof == 1
    assert DataTest(df, states=states, adjust_dof=False)("a", "b").dof == 2


def test_data_tests_on_codes_and_missing_values():
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 3, size=(500, 3))
    named = DataTest(codes, variables=["p", "q", "r"])
    plain = DataTest(codes)
    assert named("p", "q", ["r"]) == plain(0, 1, [2])
    frame = pd.DataFrame(codes, columns=["p", "q", "r"]).astype(float)
    frame.iloc[:50, 2] = np.nan             # rows missing r are left out of tests with r
    with_gaps = DataTest(frame)
    assert with_gaps("p", "q") == DataTest(codes[:, :2].copy())(0, 1)
    assert with_gaps("p", "q", ["r"]) == DataTest(codes[50:])(0, 1, [2])


def test_large_conditioning_sets_count_only_seen_strata():
    rng = np.random.default_rng(1)
    codes = rng.integers(0, 8, size=(300, 10))
    codes[::2, 2:] = codes[1::2, 2:]                 # strata with two rows
    got = DataTest(codes)(0, 1, tuple(range(2, 10)))  # 8^10 cells: renumbered strata
    _, stratum = np.unique(codes[:, 2:], axis=0, return_inverse=True)
    dense = np.zeros((stratum.max() + 1, 8, 8))
    np.add.at(dense, (stratum.ravel(), codes[:, 0], codes[:, 1]), 1)
    assert got == pytest.approx(ci_statistic(dense))
    assert got.dof <= stratum.max() + 1


def test_dask_data_gives_the_same_result(asia_data):
    dd = pytest.importorskip("dask.dataframe")
    asia, data = asia_data
    small = data.iloc[:3000]
    expected = pc(small)
    got = pc(dd.from_pandas(small, npartitions=3))
    assert set(got.cpdag.edges) == set(expected.cpdag.edges)
    assert got.sepsets == expected.sepsets


# ------------------------------------------------------------------ PC on data
def test_pc_stable_skeleton_does_not_depend_on_the_column_order(asia_data):
    _, data = asia_data
    small = data.iloc[:3000]
    base = pc(small, alpha=0.05)
    for seed in (0, 1):
        order = list(np.random.default_rng(seed).permutation(small.columns))
        other = pc(small[order], alpha=0.05)
        assert set(map(frozenset, skeleton(other.cpdag).edges)) == set(
            map(frozenset, skeleton(base.cpdag).edges))


@pytest.mark.parametrize("n, bound", [(10_000, 6), (50_000, 5)])  # measured: 4, 3
def test_pc_on_asia(asia_data, n, bound):
    asia, data = asia_data
    result = pc(data.iloc[:n], test="g_square")
    # "either" is a deterministic OR: either _||_ xray | {tub, lung} in the data
    assert shd(result.cpdag, cpdag(asia)) <= bound
    assert result.summary()["n_tests"] == result.n_tests
    assert nx.is_directed_acyclic_graph(result.to_dag())
    assert set(result.dag.edges) == set(result.to_dag().edges)
    assert result.stats["n_tests"] == result.n_tests


def test_dag_of_a_pdag_without_extension():
    from pgm.graphs import pdag_from_edges
    from pgm.learning.pc import PCResult

    four_cycle = pdag_from_edges([("e", "a")], [("a", "b"), ("b", "c"), ("c", "d"), ("d", "a")])
    r = PCResult(four_cycle, {}, {}, 0, 0.0, 0, 0.05, "x")
    dag = r.dag
    assert nx.is_directed_acyclic_graph(dag) and ("e", "a") in dag.edges
    assert set(map(frozenset, dag.edges)) == set(map(frozenset, skeleton(four_cycle).edges))


def test_pc_on_alarm():
    alarm = pgm.examples.load("alarm")
    data = alarm.simulate(10_000, seed=0).to_frame()
    result = pc(data, alpha=0.05, max_cond_size=3)
    assert shd(result.cpdag, cpdag(alarm)) <= 12            # measured: 6
    sk, true = set(map(frozenset, skeleton(result.cpdag).edges)), set(map(frozenset, alarm.edges))
    assert len(sk ^ true) <= 5


def test_pc_from_csv_and_conservative_majority(asia_data, tmp_path):
    asia, data = asia_data
    path = tmp_path / "asia.csv"
    data.iloc[:20_000].to_csv(path, index=False)
    from_file = pc(path)
    from_frame = pc(data.iloc[:20_000])
    assert set(from_file.cpdag.edges) == set(from_frame.cpdag.edges)
    for orientation in ("conservative", "majority"):
        r = pc(data.iloc[:20_000], orientation=orientation)
        assert r.orientation == orientation
        assert shd(r.cpdag, cpdag(asia)) <= 8
        assert set(map(frozenset, skeleton(r.cpdag).edges)) == set(
            map(frozenset, skeleton(from_frame.cpdag).edges))
    pc(data.iloc[:2000], progress=True)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("alpha", [0, 1, -0.1, 1.5, float("nan"), "0.05", None, True])
def test_bad_alpha(asia_data, alpha):
    with pytest.raises(ParameterError, match="alpha"):
        pc(asia_data[1].iloc[:100], alpha=alpha)


def test_errors(asia_data):
    _, data = asia_data
    small = data.iloc[:200]
    with pytest.raises(UnknownVariableError, match="'nope'"):
        pc(small, variables=["asia", "nope"])
    with pytest.raises(UnknownVariableError, match="'nope'"):
        chi_square(small, "asia", "nope")
    with pytest.raises(ParameterError, match="test must be one of"):
        pc(small, test="fisher")
    with pytest.raises(ParameterError, match="needs data"):
        pc(None)
    with pytest.raises(ParameterError, match="orientation"):
        pc(small, orientation="sideways")
    with pytest.raises(ParameterError, match="max_cond_size"):
        pc(small, max_cond_size=-1)
    with pytest.raises(ParameterError, match="distinct"):
        chi_square(small, "asia", "asia")
    with pytest.raises(ArgumentTypeError):
        pc(42)
    with pytest.raises(DataError):
        pc(np.zeros(5, dtype=int))
    with pytest.raises(ArgumentTypeError):
        d_separation_oracle([("a", "b")])
    with pytest.raises(ParameterError, match="cycle"):
        d_separation_oracle(nx.DiGraph([("a", "b"), ("b", "a")]))
