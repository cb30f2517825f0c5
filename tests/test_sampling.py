"""Sampling from Bayesian networks (issue 13, "Sampling"): forward, rejection, likelihood
weighting, ``bn.simulate`` and ``pgm simulate``, checked against exact VE marginals with
tolerances derived from the sample size."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cli_helpers import run_cli

import pgm.examples
from pgm import BayesianNetwork, TabularCPD
from pgm.datasets import data_dir
from pgm.exceptions import EvidenceError, MemoryBudgetError, ModelError, ParameterError
from pgm.inference import marginals
from pgm.inference.sampling import (
    SampleResult,
    effective_sample_size,
    forward_sample,
    likelihood_weighting,
    lw_marginals,
    rejection_sample,
)

#: standard errors allowed (fixed seeds; 5 SE is ~6e-7 two-sided per estimate)
Z = 5.0


def _tol(p: np.ndarray, n: float) -> np.ndarray:
    return Z * np.sqrt(np.maximum(p * (1 - p), 1.0 / n) / n) + 1e-12


def _freq(codes: np.ndarray, card: int) -> np.ndarray:
    return np.bincount(codes, minlength=card) / len(codes)


def _check_close(est: dict, exact: dict, n: float) -> None:
    for v, p in exact.items():
        p = np.asarray(p)
        assert np.all(np.abs(est[v] - p) <= _tol(p, n)), (v, est[v], p)


# ------------------------------------------------------------------ (a) marginals
@pytest.mark.parametrize("name", ["asia", "cancer", "alarm"])
def test_forward_marginals_match_exact(name):
    bn = pgm.examples.load(name)
    n = 100_000
    codes = forward_sample(bn, n, seed=3)
    assert codes.shape == (n, len(bn.nodes))
    exact = marginals(bn)
    est = {v: _freq(codes[:, j], bn.cardinality(v)) for j, v in enumerate(bn.nodes)}
    _check_close(est, exact, n)


# ------------------------------------------------------------------ (b) a pairwise joint
def _small() -> BayesianNetwork:
    return BayesianNetwork.from_cpds([
        TabularCPD("a", [0.3, 0.7], state_names={"a": ["lo", "hi"]}),
        TabularCPD("b", [0.5, 0.2, 0.3]),
        TabularCPD("c", [[[0.9, 0.1], [0.4, 0.6], [0.5, 0.5]],
                         [[0.2, 0.8], [0.7, 0.3], [0.0, 1.0]]], parents=["a", "b"]),
    ])


def test_pairwise_joint_matches_exact():
    bn = _small()
    n = 200_000
    codes = forward_sample(bn, n, seed=11)
    cols = {v: j for j, v in enumerate(bn.nodes)}
    pa = np.array([0.3, 0.7])
    pb = np.array([0.5, 0.2, 0.3])
    c = bn.get_cpd("c").values
    exact_ac = np.einsum("a,b,abc->ac", pa, pb, c)
    exact_bc = np.einsum("a,b,abc->bc", pa, pb, c)
    for (x, y), exact in {("a", "c"): exact_ac, ("b", "c"): exact_bc}.items():
        kx, ky = exact.shape
        counts = np.bincount(codes[:, cols[x]] * ky + codes[:, cols[y]], minlength=kx * ky)
        est = counts.reshape(kx, ky) / n
        assert np.all(np.abs(est - exact) <= _tol(exact, n)), (x, y, est, exact)
    # the zero-probability entry (a=hi, b=2, c=0) never appears
    bad = (codes[:, cols["a"]] == 1) & (codes[:, cols["b"]] == 2) & (codes[:, cols["c"]] == 0)
    assert not bad.any()


# ------------------------------------------------------------------ (c) posteriors
@pytest.mark.parametrize("name,evidence", [
    ("asia", {"smoke": "yes", "xray": "yes"}),
    ("cancer", {"Dyspnoea": "True"}),
    ("alarm", {"HR": "HIGH", "BP": "LOW"}),
])
def test_rejection_and_lw_match_exact_posteriors(name, evidence):
    bn = pgm.examples.load(name)
    exact = marginals(bn, evidence=evidence)
    n = 20_000
    rej = rejection_sample(bn, n, evidence, seed=5)
    assert isinstance(rej, SampleResult) and len(rej) == n
    assert 0 < rej.acceptance_rate <= 1 and rej.n_draws >= n
    cols = {v: j for j, v in enumerate(rej.variables)}
    ev_idx = pgm.evidence.normalize_evidence(bn, evidence)
    for v, s in ev_idx.items():
        assert np.all(rej.codes[:, cols[v]] == s)
    _check_close(rej.marginals(), exact, n)
    # the acceptance rate estimates P(evidence)
    from pgm.inference import probability_of_evidence

    pe = float(probability_of_evidence(bn, evidence))
    assert abs(rej.acceptance_rate - pe) <= Z * np.sqrt(pe * (1 - pe) / rej.n_draws) + 1e-3

    lw = likelihood_weighting(bn, 50_000, evidence, seed=5)
    assert lw.log_weights.shape == (50_000,) and 0 < lw.ess <= 50_000
    _check_close(lw.marginals(), exact, lw.ess)
    m, ess = lw_marginals(bn, 50_000, evidence, seed=5)
    assert ess == lw.ess
    for v in m:
        np.testing.assert_allclose(m[v], lw.marginals()[v])
        assert m[v].sum() == pytest.approx(1.0)


def test_lw_on_an_improbable_evidence_matches_exact():
    bn = pgm.examples.load("asia")
    evidence = {"asia": "yes", "xray": "yes"}       # P ~ 0.001: too rare for rejection
    exact = marginals(bn, evidence=evidence)
    m, ess = lw_marginals(bn, 100_000, evidence, seed=2)
    _check_close(m, exact, ess)


def test_effective_sample_size():
    assert effective_sample_size(np.zeros(10)) == pytest.approx(10)
    assert effective_sample_size(np.array([0.0, -np.inf, -np.inf])) == pytest.approx(1)
    assert effective_sample_size(np.full(3, -np.inf)) == 0.0


# ------------------------------------------------------------------ (d) seeds
def test_same_seed_same_samples_different_seed_different():
    bn = pgm.examples.load("alarm")
    a = forward_sample(bn, 2000, seed=7)
    np.testing.assert_array_equal(a, forward_sample(bn, 2000, seed=7))
    assert not np.array_equal(a, forward_sample(bn, 2000, seed=8))
    ev = {"HR": "HIGH"}
    r1, r2 = rejection_sample(bn, 500, ev, seed=1), rejection_sample(bn, 500, ev, seed=1)
    np.testing.assert_array_equal(r1.codes, r2.codes)
    assert not np.array_equal(r1.codes, rejection_sample(bn, 500, ev, seed=2).codes)
    w1, w2 = likelihood_weighting(bn, 500, ev, seed=1), likelihood_weighting(bn, 500, ev, seed=1)
    np.testing.assert_array_equal(w1.codes, w2.codes)
    np.testing.assert_array_equal(w1.log_weights, w2.log_weights)
    assert not np.array_equal(w1.codes, likelihood_weighting(bn, 500, ev, seed=2).codes)
    s1 = bn.simulate(300, seed=4).codes
    np.testing.assert_array_equal(s1, forward_sample(bn, 300, seed=4))


# ------------------------------------------------------------------ (e) evidence by name or index
def test_evidence_by_name_or_index_is_the_same():
    bn = pgm.examples.load("asia")
    yes = bn.state_index("smoke", "yes")
    by_name = {"smoke": "yes"}
    for by_index in ({"smoke": yes}, {"smoke": str(yes)}, {"smoke": np.int64(yes)}):
        for method in ("rejection", "weighted"):
            a = bn.simulate(500, by_name, method=method, seed=3)
            b = bn.simulate(500, by_index, method=method, seed=3)
            np.testing.assert_array_equal(a.codes, b.codes)
            assert a.evidence == b.evidence == {"smoke": yes}


def test_bad_evidence_is_an_evidence_error():
    bn = pgm.examples.load("asia")
    with pytest.raises(EvidenceError, match="no state 'maybe'"):
        rejection_sample(bn, 10, {"smoke": "maybe"})
    with pytest.raises(EvidenceError, match="unknown variable"):
        likelihood_weighting(bn, 10, {"nope": "yes"})


# ------------------------------------------------------------------ (f) improbable evidence
def test_impossible_and_improbable_evidence():
    bn = _small()
    impossible = {"a": "hi", "b": 2, "c": 0}          # P(c=0 | a=hi, b=2) = 0
    with pytest.raises(EvidenceError, match=r"acceptance rate 0\b"):
        rejection_sample(bn, 10, impossible, max_draws=10_000)
    with pytest.raises(EvidenceError, match="weight zero"):
        likelihood_weighting(bn, 100, impossible)
    asia = pgm.examples.load("asia")
    with pytest.raises(EvidenceError, match="acceptance rate") as info:
        rejection_sample(asia, 1000, {"asia": "yes", "xray": "yes", "dysp": "no"},
                         max_draws=20_000)
    assert "likelihood weighting" in str(info.value)


# ------------------------------------------------------------------ (g) parameters, budget
@pytest.mark.parametrize("n", [0, -1, 2.0, True, "10", None])
def test_bad_n(n):
    bn = pgm.examples.load("asia")
    with pytest.raises(ParameterError, match="n must be an integer"):
        forward_sample(bn, n)
    with pytest.raises(ParameterError):
        bn.simulate(n)


@pytest.mark.parametrize("seed", [-1, 1.5, "x", True, 2**64])
def test_bad_seed(seed):
    bn = pgm.examples.load("asia")
    with pytest.raises(ParameterError, match="seed"):
        forward_sample(bn, 10, seed=seed)
    with pytest.raises(ParameterError, match="seed"):
        likelihood_weighting(bn, 10, {"smoke": "yes"}, seed=seed)


def test_bad_method_and_forward_with_evidence():
    bn = pgm.examples.load("asia")
    with pytest.raises(ParameterError, match="method"):
        bn.simulate(10, method="gibbs")
    with pytest.raises(ParameterError, match="no evidence"):
        bn.simulate(10, {"smoke": "yes"})
    with pytest.raises(ParameterError, match="max_draws"):
        bn.simulate(10, {"smoke": "yes"}, method="rejection", max_draws=0)
    with pytest.raises(ModelError):
        forward_sample(pgm.examples.load("misconception"), 10)


def test_huge_n_is_refused_before_allocating():
    bn = pgm.examples.load("alarm")
    for call in (lambda: forward_sample(bn, 10**13),
                 lambda: rejection_sample(bn, 10**13, {"HR": "HIGH"}),
                 lambda: likelihood_weighting(bn, 10**13, {"HR": "HIGH"}),
                 lambda: bn.simulate(10**13)):
        with pytest.raises(MemoryBudgetError, match="bytes"):
            call()
    with pytest.raises(MemoryBudgetError):
        forward_sample(bn, 10_000, memory_budget=10_000)


# ------------------------------------------------------------------ (h) the largest networks
@pytest.mark.parametrize("name", ["munin", "link", "diabetes"])
def test_largest_bnlearn_networks(name):
    path = data_dir() / "bif" / f"{name}.bif.gz"
    if not path.is_file():
        pytest.skip(f"{path} not found; set PGM_DATA_DIR to the shared data folder")
    from pgm.io import read_bif

    bn = read_bif(path)
    cards = np.array([bn.cardinality(v) for v in bn.nodes])
    for res in (forward_sample(bn, 200, seed=0), bn.simulate(200, seed=1).codes):
        assert res.shape == (200, len(bn.nodes))
        assert res.min() >= 0 and np.all(res.max(axis=0) < cards)
    root = next(v for v in bn.nodes if not bn.parents(v))   # a root: every weight > 0
    state = int(np.argmax(bn.get_cpd(root).values))
    lw = likelihood_weighting(bn, 200, {root: state}, seed=0)
    assert np.all(lw.codes[:, bn.nodes.index(root)] == state) and np.all(lw.codes < cards)
    assert lw.ess == pytest.approx(200)


# ------------------------------------------------------------------ frames
def test_to_frame_has_categorical_columns_named_by_state():
    bn = _small()
    res = bn.simulate(50, seed=0)
    df = res.to_frame()
    assert list(df.columns) == ["a", "b", "c"]
    assert all(str(df[c].dtype) == "category" for c in df.columns)
    assert list(df["a"].cat.categories) == ["lo", "hi"]
    np.testing.assert_array_equal(df["a"].cat.codes.to_numpy(), res.codes[:, 0])
    w = bn.simulate(50, {"a": "lo"}, method="weighted", seed=0).to_frame()
    assert list(w.columns) == ["a", "b", "c", "log_weight"] and set(w["a"]) == {"lo"}


# ------------------------------------------------------------------ (i) the command line
def test_cli_simulate_writes_a_csv(tmp_path, capsys):
    import pandas as pd

    out = tmp_path / "asia.csv"
    code, stdout, _ = run_cli(capsys, "simulate", "asia", "-n", "300", "-o", str(out))
    assert code == 0 and "300 forward samples" in stdout
    df = pd.read_csv(out)
    bn = pgm.examples.load("asia")
    assert list(df.columns) == [str(v) for v in bn.nodes] and len(df) == 300
    for v in bn.nodes:
        assert set(df[str(v)]) <= set(bn.state_names(v))
    expect = bn.simulate(300, seed=0).to_frame().astype(str)
    pd.testing.assert_frame_equal(df.astype(str), expect)


@pytest.mark.parametrize("method", ["rejection", "weighted"])
def test_cli_simulate_json(tmp_path, capsys, method):
    import pandas as pd

    out = tmp_path / "d.csv"
    code, stdout, _ = run_cli(capsys, "simulate", "asia", "-n", "200", "-e", "smoke=yes",
                              "--method", method, "--seed", "3", "-o", str(out), "--json")
    assert code == 0
    data = json.loads(stdout)
    assert data["ok"] is True and data["model"] == "asia" and data["n"] == 200
    assert data["method"] == method and data["out"] == str(out)
    assert data["evidence"] == {"smoke": "yes"}
    if method == "rejection":
        assert 0 < data["acceptance_rate"] <= 1
    else:
        assert data["acceptance_rate"] is None and 0 < data["ess"] <= 200
    df = pd.read_csv(out)
    assert set(df["smoke"]) == {"yes"}
    assert ("log_weight" in df.columns) == (method == "weighted")


def test_cli_simulate_errors(tmp_path, capsys):
    out = str(tmp_path / "x.csv")
    code, stdout, err = run_cli(capsys, "simulate", "asia", "-n", "0", "-o", out, "--json")
    assert code == 2 and json.loads(stdout)["ok"] is False and "-n" in err
    code, _, err = run_cli(capsys, "simulate", "asia", "-n", "10", "-e", "smoke=yes",
                           "--method", "forward", "-o", out)
    assert code == 2 and "no evidence" in err
    code, _, err = run_cli(capsys, "simulate", "asia", "-n", "100", "-e", "asia=yes",
                           "-e", "xray=yes", "-e", "dysp=no", "--max-draws", "1000", "-o", out)
    assert code == 2 and "acceptance rate" in err
    code, _, err = run_cli(capsys, "simulate", "asia", "-n", "10", "--max-draws", "5", "-o", out)
    assert code == 2 and "--max-draws" in err
    code, _, err = run_cli(capsys, "simulate", "asia", "-n", str(10**13), "-o", out)
    assert code == 2 and "MemoryBudgetError" in err
    assert not (tmp_path / "x.csv").exists()


# ------------------------------------------------------------------ pgm infer --method lw
def test_cli_infer_marginals_by_likelihood_weighting(capsys):
    code, out, _ = run_cli(capsys, "infer", "asia", "-e", "smoke=yes", "--marginals", "lung",
                           "either", "--method", "lw", "-n", "20000", "--seed", "1", "--json")
    data = json.loads(out)
    assert code == 0 and data["ok"] is True and data["marginals_method"] == "likelihood weighting"
    assert data["samples"] == 20000 and 0 < data["ess"] <= 20000 and data["seed"] == 1
    bn = pgm.examples.load("asia")
    exact = marginals(bn, ["lung", "either"], {"smoke": "yes"})
    for v, p in exact.items():
        est = np.array([data["marginals"][v][s] for s in bn.state_names(v)])
        assert np.all(np.abs(est - p) <= _tol(p, data["ess"]))
    code, out, _ = run_cli(capsys, "infer", "asia", "--marginals", "lung", "--method", "lw")
    assert code == 0 and "likelihood weighting (10000 samples" in out


@pytest.mark.parametrize("argv, text", [
    (["--method", "lw"], "--method lw estimates --marginals"),
    (["--map", "--method", "lw"], "--method lw estimates --marginals"),
    (["--marginals", "lung", "-n", "5"], "--samples does nothing"),
    (["--map", "--method", "icm", "-n", "5"], "--samples does nothing"),
    (["--marginals", "lung", "--method", "lw", "--partition-function"], "does nothing"),
    (["--marginals", "lung", "--method", "lw", "-n", "0"], "--samples must be"),
])
def test_cli_infer_lw_refusals(capsys, argv, text):
    code, _, err = run_cli(capsys, "infer", "asia", *argv)
    assert code == 2 and text in err
    code, _, err = run_cli(capsys, "infer", "misconception", "--marginals", "--method", "lw")
    assert code == 2 and "needs a Bayesian network" in err
