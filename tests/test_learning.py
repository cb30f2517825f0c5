"""Parameter learning (issue 13): maximum likelihood and Bayesian CPDs from pandas, NumPy
and files, checked against counts computed by brute force; the data they read and the
errors bad data gets."""

from __future__ import annotations

import json
import warnings
from collections import Counter

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from cli_helpers import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pgm.examples
from pgm import BayesianNetwork, TabularCPD
from pgm.exceptions import (
    ArgumentTypeError,
    CycleError,
    DataError,
    ParameterError,
    UnseenParentsWarning,
)
from pgm.learning import fit_parameters, prepare_data
from pgm.learning.data import as_structure
from pgm.testing import bayesian_networks, data_codes

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _brute_counts(bn: BayesianNetwork, codes: np.ndarray, v) -> np.ndarray:
    """Counts of (parents, child) of ``v`` by a Python loop over the rows."""
    cols = {u: j for j, u in enumerate(bn.nodes)}
    cpd = bn.get_cpd(v)
    out = np.zeros(cpd.values.shape)
    for row in codes:
        out[tuple(int(row[cols[u]]) for u in cpd.scope)] += 1
    return out


def _normalized(counts: np.ndarray) -> np.ndarray:
    rows = counts.reshape(-1, counts.shape[-1])
    sums = rows.sum(axis=1, keepdims=True)
    return np.where(sums > 0, rows / np.where(sums > 0, sums, 1), 1 / rows.shape[1]).reshape(
        counts.shape)


# ------------------------------------------------------------------ properties
@SETTINGS
@given(st.data())
def test_mle_equals_normalized_brute_force_counts(data):
    bn = data.draw(bayesian_networks(max_nodes=5, max_cardinality=3))
    codes = data.draw(data_codes(bn, max_rows=30))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnseenParentsWarning)
        res = fit_parameters(bn, codes)
    for v in bn.nodes:
        counts = _brute_counts(bn, codes, v)
        np.testing.assert_array_equal(res.counts[v], counts)
        np.testing.assert_allclose(res.model.get_cpd(v).values, _normalized(counts), atol=1e-15)
    res.model.validate()
    # the log-likelihood reported is the data's, by brute force
    names = {v: bn.state_names(v) for v in bn.nodes}
    brute = sum(res.model.log_probability({v: names[v][int(r[j])] for j, v in enumerate(bn.nodes)})
                for r in codes)
    assert res.log_likelihood == pytest.approx(brute, rel=1e-12, abs=1e-12)


@SETTINGS
@given(st.data())
def test_bayes_equals_counts_plus_alpha(data):
    bn = data.draw(bayesian_networks(max_nodes=5, max_cardinality=3))
    codes = data.draw(data_codes(bn, max_rows=30))
    alpha = data.draw(st.floats(0.1, 5.0))
    ess = data.draw(st.floats(0.5, 20.0))
    res = fit_parameters(bn, codes, method="bayes", prior=alpha)
    k2 = fit_parameters(bn, codes, method="bayes", prior="k2")
    bdeu = fit_parameters(bn, codes, method="bayes", prior="bdeu", equivalent_sample_size=ess)
    for v in bn.nodes:
        counts = _brute_counts(bn, codes, v)
        np.testing.assert_allclose(res.model.get_cpd(v).values, _normalized(counts + alpha),
                                   rtol=1e-12)
        np.testing.assert_allclose(k2.model.get_cpd(v).values, _normalized(counts + 1), rtol=1e-12)
        cell = ess / counts.size
        np.testing.assert_allclose(bdeu.model.get_cpd(v).values, _normalized(counts + cell),
                                   rtol=1e-12)


def test_per_cpd_pseudo_counts_and_bdeu_default():
    bn = pgm.examples.load("sprinkler")
    data = bn.simulate(500, seed=3).to_frame()
    rain = bn.get_cpd("rain")
    table = np.arange(1, rain.values.size + 1, dtype=float).reshape(rain.values.shape)
    res = fit_parameters(bn, data, method="bayes", prior={"rain": table})
    counts = res.counts["rain"]
    np.testing.assert_allclose(res.model.get_cpd("rain").values, _normalized(counts + table))
    # variables without pseudo-counts are maximum likelihood
    np.testing.assert_allclose(res.model.get_cpd("cloudy").values,
                               _normalized(res.counts["cloudy"]))
    default = fit_parameters(bn, data, method="bayes")  # BDeu, ESS 10
    explicit = fit_parameters(bn, data, method="bayes", prior="bdeu", equivalent_sample_size=10)
    for v in bn.nodes:
        np.testing.assert_array_equal(default.model.get_cpd(v).values,
                                      explicit.model.get_cpd(v).values)


@pytest.mark.parametrize("name", ["asia", "alarm"])
def test_fit_converges_to_the_generating_cpds(name):
    """Each CPD row is within 5 standard errors of the truth, for the rows' own counts."""
    bn = pgm.examples.load(name)
    n = 200_000
    res = fit_parameters(bn, bn.simulate(n, seed=11).to_frame())
    for v in bn.nodes:
        true = bn.get_cpd(v).values.reshape(-1, bn.cardinality(v))
        est = res.model.get_cpd(v).values.reshape(true.shape)
        rows = res.counts[v].reshape(true.shape).sum(axis=1)
        seen = rows > 0
        se = np.sqrt(np.maximum(true * (1 - true), 1 / np.maximum(rows, 1)[:, None])
                     / np.maximum(rows, 1)[:, None])
        assert np.all(np.abs(est - true)[seen] <= 5 * se[seen] + 1e-12), v


# ------------------------------------------------------------------ data forms
def test_dataframe_categorical_string_integer_and_files_agree(tmp_path):
    bn = pgm.examples.load("asia")
    frame = bn.simulate(2000, seed=5).to_frame()           # categorical columns
    as_text = frame.astype(str)                             # string columns
    reference = fit_parameters(bn, frame).model
    codes = np.column_stack([frame[str(v)].cat.codes.to_numpy() for v in bn.nodes])
    frame.to_parquet(tmp_path / "asia.parquet")
    as_text.to_csv(tmp_path / "asia.csv", index=False)
    for data in (as_text, codes, tmp_path / "asia.csv", str(tmp_path / "asia.parquet"),
                 as_text[list(reversed(as_text.columns))]):       # column order is free
        fitted = fit_parameters(bn, data).model
        for v in bn.nodes:
            np.testing.assert_array_equal(fitted.get_cpd(v).values, reference.get_cpd(v).values)


def test_states_from_the_data_when_the_structure_has_none():
    dag = nx.DiGraph([("a", "b")])
    df = pd.DataFrame({"a": [10, 2, 2, 10, 2], "b": ["y", "x", "x", "x", "y"]})
    res = fit_parameters(dag, df)
    cpd = res.model.get_cpd("b")
    assert res.model.state_names("a") == ["2", "10"]           # integers sorted as numbers
    assert res.model.state_names("b") == ["x", "y"]
    np.testing.assert_allclose(cpd.values, [[2 / 3, 1 / 3], [1 / 2, 1 / 2]])
    # a categorical column keeps its category order, unused categories included
    cat = pd.DataFrame({"a": pd.Categorical(["lo", "hi"], categories=["lo", "mid", "hi"]),
                        "b": ["x", "y"]})
    with pytest.warns(UnseenParentsWarning, match="given a=mid"):
        fitted = fit_parameters([("a", "b")], cat)
    assert fitted.model.state_names("a") == ["lo", "mid", "hi"]
    assert fitted.unseen["b"] == ["given a=mid"]


def test_integer_columns_match_named_states():
    bn = BayesianNetwork.from_cpds([TabularCPD("a", [0.5, 0.5]),
                                    TabularCPD("b", [[0.5, 0.5], [0.5, 0.5]], parents=["a"])])
    df = pd.DataFrame({"a": [0, 1, 1], "b": [1.0, 0.0, 1.0]})  # state names "0", "1"
    fitted = fit_parameters(bn, df).model
    np.testing.assert_allclose(fitted.get_cpd("b").values, [[0, 1], [0.5, 0.5]])


def test_fit_method_returns_a_new_network():
    bn = pgm.examples.load("asia")
    before = {v: bn.get_cpd(v).values.copy() for v in bn.nodes}
    fitted = bn.fit(bn.simulate(3000, seed=0).to_frame())
    assert fitted is not bn and fitted.nodes == bn.nodes and sorted(fitted.edges) == sorted(bn.edges)
    for v in bn.nodes:
        np.testing.assert_array_equal(bn.get_cpd(v).values, before[v])
        assert fitted.state_names(v) == bn.state_names(v)
    fitted.validate()
    empty = BayesianNetwork(bn.edges)                       # structure without CPDs
    refit = empty.fit(bn.simulate(3000, seed=0).to_frame())
    assert sorted(refit.state_names("smoke")) == ["no", "yes"]


def test_unseen_parent_configurations_warn_and_can_raise():
    bn = pgm.examples.load("alarm")
    data = bn.simulate(200, seed=1).to_frame()
    with pytest.warns(UnseenParentsWarning, match=r"parent configurations without data.*given"):
        res = fit_parameters(bn, data)
    assert res.unseen and all(rows for rows in res.unseen.values())
    v, rows = next(iter(res.unseen.items()))
    flat = res.counts[v].reshape(-1, res.counts[v].shape[-1])
    assert (flat.sum(axis=1) == 0).sum() == len(rows)
    uniform = res.model.get_cpd(v).values.reshape(flat.shape)[flat.sum(axis=1) == 0]
    np.testing.assert_allclose(uniform, 1 / flat.shape[1])
    with pytest.raises(DataError, match=rf"{v!r} \({len(rows)}: given"):
        fit_parameters(bn, data, unseen="error")
    # a prior fills those rows: no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnseenParentsWarning)
        fit_parameters(bn, data, method="bayes")


# ------------------------------------------------------------------ errors
def test_bad_data_gets_clear_errors(tmp_path):
    bn = pgm.examples.load("asia")
    df = bn.simulate(50, seed=0).to_frame().astype(str)
    with pytest.raises(DataError, match=r"no column for 'dysp'"):
        fit_parameters(bn, df.drop(columns=["dysp"]))
    bad = df.copy()
    bad.loc[7, "smoke"] = "sometimes"
    with pytest.raises(DataError, match=r"column 'smoke' has the value 'sometimes' \(first at row "
                                        r"7\).*states are yes, no"):
        fit_parameters(bn, bad)
    gap = df.copy()
    gap.loc[3, "xray"] = None
    with pytest.raises(DataError, match=r"column 'xray' has 1 missing value.*row 3.*method='em'"):
        fit_parameters(bn, gap)
    with pytest.raises(DataError, match="no rows"):
        fit_parameters(bn, df.iloc[:0])
    with pytest.raises(CycleError, match="a -> b -> a|b -> a -> b"):
        fit_parameters([("a", "b"), ("b", "a")], df)
    with pytest.raises(DataError, match=r"column 1 \('b'\) has the code 5"):
        prepare_data(BayesianNetwork.from_cpds([TabularCPD("a", [0.5, 0.5]),
                                                TabularCPD("b", [[.5, .5], [.5, .5]], ["a"])]),
                     np.array([[0, 5]]))
    with pytest.raises(DataError, match="shape"):
        fit_parameters(bn, np.zeros((3, 2), dtype=int))
    with pytest.raises(DataError, match="does not exist"):
        fit_parameters(bn, tmp_path / "nope.csv")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(DataError, match="unknown data file type"):
        fit_parameters(bn, tmp_path / "x.json")
    with pytest.raises(ArgumentTypeError):
        fit_parameters(bn, {"smoke": ["yes"]})
    with pytest.raises(ParameterError, match="takes no prior"):
        fit_parameters(bn, df, prior="k2")
    with pytest.raises(ParameterError, match="prior"):
        fit_parameters(bn, df, method="bayes", prior="uniformish")
    with pytest.raises(ParameterError, match="pseudo-counts of 'smoke'"):
        fit_parameters(bn, df, method="bayes", prior={"smoke": [1, 2, 3]})
    with pytest.raises(ParameterError, match="equivalent_sample_size"):
        fit_parameters(bn, df, method="bayes", equivalent_sample_size=0)
    with pytest.raises(ParameterError, match="method"):
        fit_parameters(bn, df, method="mcmc")


def test_structure_forms():
    s = as_structure(nx.DiGraph([("a", "b")]))
    assert s.parents == {"a": (), "b": ("a",)}
    g = nx.DiGraph()
    g.add_node("a", states=["lo", "hi"])
    g.add_edge("a", "b")
    assert as_structure(g).states["a"] == ["lo", "hi"]
    with pytest.raises(ArgumentTypeError):
        as_structure(nx.Graph([("a", "b")]))
    with pytest.raises(ArgumentTypeError):
        as_structure("asia")


# ------------------------------------------------------------------ command line
def test_cli_learn_writes_the_fitted_network(tmp_path, capsys):
    bn = pgm.examples.load("asia")
    data = tmp_path / "asia.csv"
    bn.simulate(5000, seed=2).to_frame().to_csv(data, index=False)
    out = tmp_path / "fitted.bif"
    code, stdout, _ = run_cli(capsys, "learn", str(data), "--structure", "asia", "-o", str(out), "--json")
    assert code == 0
    report = json.loads(stdout)
    expected = fit_parameters(bn, data)
    assert report["ok"] and report["rows"] == 5000 and report["method"] == "mle"
    assert report["log_likelihood"] == pytest.approx(expected.log_likelihood, rel=1e-12)
    assert report["cpds"]["either"] == {"rows": 5000, "parent_configurations": 4, "unseen": 0}
    written = pgm.io.read_bif(out)
    for v in bn.nodes:
        np.testing.assert_array_equal(written.get_cpd(v).values, expected.model.get_cpd(v).values)
    code, stdout, _ = run_cli(capsys, "learn", str(data), "--structure", "asia", "--method", "bayes",
                               "--prior", "k2", "--json")
    assert code == 0 and json.loads(stdout)["prior"] == "k2"


@pytest.mark.parametrize("argv, message", [
    (["--method", "mle", "--prior", "k2"], "--prior does nothing with --method mle"),
    (["--restarts", "3"], "--restarts does nothing with --method mle"),
    (["--method", "bayes", "--prior", "k2", "--ess", "3"], "--ess is the equivalent sample size"),
    (["--method", "bayes", "--prior", "flat"], "--prior is bdeu, k2 or a pseudo-count"),
    (["-o", "out.png"], "write .bif, .bif.gz or .uai"),
])
def test_cli_learn_refuses_bad_flags(tmp_path, capsys, argv, message):
    data = tmp_path / "d.csv"
    pgm.examples.load("asia").simulate(100, seed=0).to_frame().to_csv(data, index=False)
    code, _, stderr = run_cli(capsys, "learn", str(data), "--structure", "asia", *argv)
    assert code == 2 and message in stderr and stderr.count("\n") == 1


def test_cli_learn_bad_data_is_one_line(tmp_path, capsys):
    data = tmp_path / "d.csv"
    data.write_text("smoke,dysp\nyes,maybe\n")
    code, _, stderr = run_cli(capsys, "learn", str(data), "--structure", "asia")
    assert code == 2 and "no column for" in stderr and stderr.count("\n") == 1
    code, _, stderr = run_cli(capsys, "learn", str(data))
    assert code == 2 and "--structure" in stderr


def test_counts_agree_with_brute_force_on_many_rows():
    """The vectorized counts equal a Python counter's on 10^5 rows too."""
    bn = pgm.examples.load("sprinkler")
    data = bn.simulate(100_000, seed=9)
    res = fit_parameters(bn, data.codes)
    cols = {v: j for j, v in enumerate(bn.nodes)}
    fam = bn.get_cpd("wet_grass").scope
    brute = Counter(tuple(r) for r in data.codes[:, [cols[u] for u in fam]].tolist())
    for key, count in brute.items():
        assert res.counts["wet_grass"][key] == count
