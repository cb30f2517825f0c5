"""EM (issue 13): the observed-data log-likelihood never decreases, complete data gives
MLE in one iteration, the E-step's expected counts equal brute force, a latent variable's
generating parameters come back (up to label swapping), and the data log-likelihood and
batch prediction equal variable elimination row by row."""

from __future__ import annotations

import itertools
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from cli_helpers import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pgm.examples
from pgm import BayesianNetwork, TabularCPD
from pgm.exceptions import (
    DataError,
    EvidenceError,
    MissingCPDError,
    ParameterError,
    UnseenParentsWarning,
)
from pgm.inference import marginal, probability_of_evidence
from pgm.learning import fit_parameters, log_likelihood, predict, predict_proba
from pgm.testing import bayesian_networks, data_codes

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _evidence(bn, row):
    return {v: int(c) for v, c in zip(bn.nodes, row) if c >= 0}


def _row_ll(bn, row) -> float:
    ev = _evidence(bn, row)
    return probability_of_evidence(bn, ev, log=True) if ev else 0.0


def _with_holes(frame: pd.DataFrame, rate: float, seed: int, columns=None) -> pd.DataFrame:
    out = frame.copy()
    rng = np.random.default_rng(seed)
    for c in columns or out.columns:
        out.loc[rng.random(len(out)) < rate, c] = None
    return out


# ------------------------------------------------------------------ properties
@SETTINGS
@given(st.data())
def test_em_log_likelihood_never_decreases(data):
    bn = data.draw(bayesian_networks(max_nodes=5, max_cardinality=3, min_probability=0.05))
    codes = data.draw(data_codes(bn, min_rows=5, max_rows=40, missing=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnseenParentsWarning)
        res = fit_parameters(bn, codes, method="em", max_iterations=15, init="random",
                             seed=data.draw(st.integers(0, 10)))
    h = np.asarray(res.history)
    assert np.all(np.diff(h) >= -1e-9 * np.maximum(1.0, np.abs(h[1:])))
    # the reported log-likelihood is the data's under the returned model (brute force: VE)
    brute = sum(_row_ll(res.model, r) for r in codes)
    assert res.log_likelihood == pytest.approx(brute, rel=1e-9, abs=1e-9)


@SETTINGS
@given(st.data())
def test_data_log_likelihood_equals_variable_elimination(data):
    bn = data.draw(bayesian_networks(max_nodes=5, max_cardinality=3))
    codes = data.draw(data_codes(bn, max_rows=15, missing=True))
    per_row = log_likelihood(bn, codes, per_row=True)
    for r, ll in zip(codes, per_row):
        expected = _row_ll(bn, r)
        if np.isneginf(expected):
            assert np.isneginf(ll)
        else:
            assert ll == pytest.approx(expected, rel=1e-10, abs=1e-10)


def test_complete_data_em_is_mle_in_one_iteration():
    bn = pgm.examples.load("asia")
    data = bn.simulate(3000, seed=1).to_frame()
    mle = fit_parameters(bn, data)
    em = fit_parameters(bn, data, method="em")
    assert em.iterations == 1 and em.converged and em.history == [mle.log_likelihood]
    for v in bn.nodes:
        np.testing.assert_array_equal(em.model.get_cpd(v).values, mle.model.get_cpd(v).values)


def test_expected_counts_equal_brute_force_posteriors():
    """One E-step from the true CPDs: expected family counts are the sums over rows of the
    families' VE posteriors (and observed rows count as ones)."""
    bn = pgm.examples.load("asia")
    frame = _with_holes(bn.simulate(60, seed=2).to_frame(), 0.3, seed=5)
    res = fit_parameters(bn, frame, method="em", init="model", max_iterations=1)
    from pgm.learning.data import prepare_data

    codes = prepare_data(bn, frame, allow_missing=True).codes
    # the result's counts are from the E-step at the *final* parameters (one M-step on)
    model = res.model
    for v in ("either", "lung", "dysp"):
        cpd = bn.get_cpd(v)
        expected = np.zeros(cpd.values.shape)
        for r in codes:
            ev = _evidence(model, r)
            scope = list(cpd.scope)
            free = [u for u in scope if u not in ev]
            if free:
                post = marginal(model, free, evidence=ev).values  # axes: free, in scope order
                expected[tuple(ev[u] if u in ev else slice(None) for u in scope)] += post
            else:
                expected[tuple(ev[u] for u in scope)] += 1
        np.testing.assert_allclose(res.counts[v], expected, rtol=1e-9, atol=1e-12)


def test_latent_class_model_recovers_its_parameters():
    """A latent binary cause of three binary children; 30,000 rows; the fitted CPDs match the
    generating ones within 0.03 up to swapping the latent's two labels."""
    truth = BayesianNetwork.from_cpds([
        TabularCPD("H", [0.35, 0.65]),
        TabularCPD("A", [[0.9, 0.1], [0.2, 0.8]], ["H"]),
        TabularCPD("B", [[0.75, 0.25], [0.1, 0.9]], ["H"]),
        TabularCPD("C", [[0.85, 0.15], [0.3, 0.7]], ["H"]),
    ])
    frame = truth.simulate(30_000, seed=7).to_frame().drop(columns=["H"])
    res = fit_parameters(BayesianNetwork(truth.edges), frame, method="em", latent={"H": 2},
                         n_restarts=3, seed=1, max_iterations=500, tolerance=1e-9)
    assert res.converged and len(res.restarts) == 3
    best = min(
        max(float(np.max(np.abs(res.model.get_cpd(v).values[perm] - truth.get_cpd(v).values)))
            if v != "H" else float(np.max(np.abs(res.model.get_cpd("H").values[list(perm)]
                                                  - truth.get_cpd("H").values)))
            for v in truth.nodes)
        for perm in ([0, 1], [1, 0]))
    assert best < 0.03


def test_em_on_alarm_with_missing_values_improves_on_the_start():
    bn = pgm.examples.load("alarm")
    frame = _with_holes(bn.simulate(3000, seed=3).to_frame(), 0.2, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnseenParentsWarning)
        res = fit_parameters(bn, frame, method="em", max_iterations=20, tolerance=1e-4)
    assert res.history[-1] > res.history[0]
    assert np.all(np.diff(res.history) >= -1e-9 * abs(res.history[-1]))
    res.model.validate()


def test_em_errors():
    bn = pgm.examples.load("asia")
    frame = bn.simulate(100, seed=0).to_frame().drop(columns=["tub"])
    with pytest.raises(DataError, match=r"no column for 'tub'"):
        fit_parameters(bn, frame)
    structure = BayesianNetwork(bn.edges)
    with pytest.raises(DataError, match=r"'tub' has no data column.*latent=\{'tub'"):
        fit_parameters(structure, frame, method="em")
    with pytest.raises(ParameterError, match="latent variables need method='em'"):
        fit_parameters(bn, frame, latent={"tub": 2})
    with pytest.raises(MissingCPDError, match="init='model'"):
        fit_parameters(structure, frame, method="em", latent={"tub": 2}, init="model")
    with pytest.raises(ParameterError, match="max_iterations"):
        fit_parameters(bn, frame, method="em", max_iterations=0)
    with pytest.raises(ParameterError, match="n_restarts"):
        fit_parameters(bn, frame, method="em", n_restarts=-1)


def test_em_seeds_and_restarts_are_reproducible():
    bn = pgm.examples.load("asia")
    frame = _with_holes(bn.simulate(500, seed=1).to_frame(), 0.3, seed=2)
    a = fit_parameters(bn, frame, method="em", init="random", n_restarts=2, seed=5)
    b = fit_parameters(bn, frame, method="em", init="random", n_restarts=2, seed=5)
    assert a.history == b.history and a.restarts == b.restarts


# ------------------------------------------------------------------ prediction
def test_predict_proba_equals_variable_elimination_per_row():
    bn = pgm.examples.load("alarm")
    rows = bn.simulate(300, seed=8).to_frame()
    hidden = ["HR", "CO", "LVFAILURE", "HYPOVOLEMIA", "PVSAT"]
    observed = rows.drop(columns=hidden)
    proba = bn.predict_proba(observed)                   # default: the columns not in the data
    assert list(dict.fromkeys(proba.columns.get_level_values(0))) == [
        v for v in bn.nodes if v in hidden]
    assert proba.index.equals(rows.index)
    np.testing.assert_allclose(proba.T.groupby(level=0).sum().T.to_numpy(), 1.0, atol=1e-12)
    for i in (0, 1, 17, 299):
        ev = {c: str(observed.iloc[i][c]) for c in observed.columns}
        for v in hidden:
            exact = marginal(bn, [v], evidence=ev).normalize().values
            np.testing.assert_allclose(proba.iloc[i][v].to_numpy(), exact, atol=1e-10)
    best = bn.predict(observed, ["HR"])
    assert list(best["HR"].cat.categories) == bn.state_names("HR")
    np.testing.assert_array_equal(best["HR"].cat.codes.to_numpy(),
                                  np.argmax(proba["HR"].to_numpy(), axis=1))


def test_predict_named_variable_ignores_its_column_and_missing_cells():
    bn = pgm.examples.load("asia")
    rows = pd.DataFrame({"smoke": ["yes", None, "no"], "xray": ["yes", "yes", None],
                         "lung": ["no", "no", "no"]})
    p = predict_proba(bn, rows, "lung")
    for i, ev in enumerate([{"smoke": "yes", "xray": "yes"}, {"xray": "yes"}, {"smoke": "no"}]):
        np.testing.assert_allclose(p.iloc[i]["lung"].to_numpy(),
                                   marginal(bn, ["lung"], evidence=ev).normalize().values,
                                   atol=1e-12)
    assert predict(bn, rows, ["lung"]).shape == (3, 1)


def test_prediction_errors():
    bn = pgm.examples.load("asia")
    full = bn.simulate(10, seed=0).to_frame()
    with pytest.raises(DataError, match="name the variables to predict"):
        predict_proba(bn, full)
    impossible = pd.DataFrame({"tub": ["yes"], "either": ["no"]})  # either = tub OR lung
    with pytest.raises(EvidenceError, match="row 0 .* probability zero"):
        predict_proba(bn, impossible, ["lung"])
    assert np.isneginf(log_likelihood(bn, impossible))


def test_cli_learn_em_reports_iterations(tmp_path, capsys):
    bn = pgm.examples.load("asia")
    frame = _with_holes(bn.simulate(2000, seed=1).to_frame().astype(str), 0.2, seed=3)
    data = tmp_path / "holes.csv"
    frame.to_csv(data, index=False)
    code, stdout, _ = run_cli(capsys, "learn", str(data), "--structure", "asia", "--method", "em",
                              "--max-iterations", "50", "--json", "-o", str(tmp_path / "em.bif"))
    assert code == 0
    report = json.loads(stdout)
    assert report["em"]["converged"] and report["em"]["iterations"] >= 2
    assert report["em"]["history"] == sorted(report["em"]["history"])
    assert report["log_likelihood"] == pytest.approx(report["em"]["history"][-1])
    refit = pgm.io.read_bif(tmp_path / "em.bif")
    assert report["log_likelihood"] == pytest.approx(log_likelihood(refit, data), rel=1e-9)


def test_small_network_exhaustive_log_likelihood():
    """Marginal likelihood of a row with missing values = sum over its completions."""
    bn = pgm.examples.load("sprinkler")
    row = np.array([[-1, 1, -1, 1]])
    total = 0.0
    names = {v: bn.state_names(v) for v in bn.nodes}
    for c, r in itertools.product(range(2), range(2)):
        total += bn.probability({"cloudy": names["cloudy"][c], "sprinkler": names["sprinkler"][1],
                                 "rain": names["rain"][r], "wet_grass": names["wet_grass"][1]})
    assert log_likelihood(bn, row) == pytest.approx(np.log(total), rel=1e-12)
