"""AIS temperature schedules (:func:`pgm.models.rbm_likelihood.ais_betas` ``schedule``):
their shape, the adaptive schedule's pilot, AIS and RAISE with each schedule against exact
log Z on a small MNIST-trained RBM, the protocol and ``pgm rbm score --schedule``."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgm.exceptions import EstimateWarning, ParameterError, PGMError
from pgm.models.rbm import RBM, BernoulliRBM
from pgm.models.rbm_likelihood import (
    PILOT_SEED_PURPOSE,
    PROTOCOL_SCHEDULE,
    SCHEDULES,
    SchedulePilot,
    ais_betas,
    ais_log_partition,
    bracket_log_likelihood,
    converge_log_partition,
    exact_log_partition,
    raise_log_likelihood,
    schedule_pilot,
)
from pgm.validation import derived_seed

PROPS = settings(max_examples=40, deadline=None, derandomize=True)


def _is_schedule(b: np.ndarray, K: int) -> None:
    assert b.shape == (K + 1,) and b.dtype == np.float64
    assert b[0] == 0.0 and b[-1] == 1.0
    assert np.all(np.diff(b) > 0)


# ------------------------------------------------------------------ shapes
@PROPS
@given(st.integers(3, 20_000), st.sampled_from(["paper", "sigmoid"]))
def test_fixed_schedules_run_from_0_to_1(K, schedule):
    _is_schedule(ais_betas(K, schedule), K)


@PROPS
@given(st.lists(st.floats(1e-3, 1e3), min_size=3, max_size=60), st.integers(3, 5000))
def test_adaptive_schedule_runs_from_0_to_1_for_any_positive_speed(speed, K):
    G = len(speed)
    pilot = SchedulePilot(ais_betas(G, "sigmoid"), np.ones(G), np.array(speed), 1, G, 0)
    _is_schedule(ais_betas(K, "adaptive", pilot=pilot), K)


def test_default_schedule_is_unchanged():
    """``ais_betas`` without a schedule is the paper's split, as before."""
    assert np.array_equal(ais_betas(1000), ais_betas(1000, "paper"))
    b = ais_betas()
    assert b.size == 14_501 and np.sum(b < 0.5) == 500 and np.sum(b >= 0.9) == 10_001
    assert SCHEDULES[0] == "paper" and PROTOCOL_SCHEDULE in SCHEDULES


def test_bad_schedules_are_parameter_errors_naming_the_value():
    with pytest.raises(ParameterError, match="'geometric'"):
        ais_betas(100, "geometric")
    with pytest.raises(ParameterError, match="pilot"):
        ais_betas(100, "adaptive")
    with pytest.raises(ParameterError, match="'paper' only"):
        ais_betas((5, 4, 10), "sigmoid")
    rbm = RBM(np.zeros((3, 2)))
    with pytest.raises(ParameterError, match="'linear'"):
        ais_log_partition(rbm, n_runs=4, betas=10, schedule="linear")
    with pytest.raises(ParameterError, match="array"):
        ais_log_partition(rbm, n_runs=4, betas=np.linspace(0, 1, 5), schedule="sigmoid")
    with pytest.raises(ParameterError, match="'nope'"):
        converge_log_partition(rbm, schedule="nope")


def test_sigmoid_is_dense_near_both_ends():
    b = ais_betas(1000, "sigmoid")
    d = np.diff(b)
    assert d[0] < d[500] / 10 and d[-1] < d[500] / 10


# ------------------------------------------------------------------ adaptive
def test_adaptive_puts_more_temperatures_where_the_speed_is_higher():
    """Speed 1 on [0, 0.5) and 4 on [0.5, 1]: 1/5 of the steps below 0.5, 4/5 above, and
    each region uniform."""
    grid = np.linspace(0, 1, 101)
    speed = np.where(grid[:-1] < 0.5, 1.0, 4.0)
    b = SchedulePilot(grid, speed ** 2, speed, 1, 100, 0).betas(1000)
    assert np.sum(b < 0.5) == 200 and b[200] == pytest.approx(0.5)
    assert np.allclose(np.diff(b[:201]), 0.5 / 200) and np.allclose(np.diff(b[200:]), 0.5 / 800)


def test_pilot_measures_the_variance_of_a_known_path():
    """``W = 0``: every Gibbs step draws ``v`` exactly from ``p_beta``, the visible units
    are independent with ``p_i = sigmoid(beta b_i)`` (base rate 0), and the increment per
    unit beta is ``v . b``, of variance ``v(beta) = sum_i b_i^2 p_i (1 - p_i)``: large at
    ``beta = 0``, small near 1.  The pilot's speed follows ``sqrt(v)`` and the schedule
    puts its temperatures near 0."""
    D = 40
    b = np.full(D, 6.0)
    rbm = RBM(np.zeros((D, 2)), b, np.zeros(2), dtype=np.float64)
    pilot = schedule_pilot(rbm, base_bias=np.zeros(D), n_runs=400, n_temperatures=200,
                           seed=3, smooth=0, floor=1e-6)
    mid = (pilot.grid[1:] + pilot.grid[:-1]) / 2
    p = 1 / (1 + np.exp(-mid * b[0]))
    true = np.sqrt(D * b[0] ** 2 * p * (1 - p))
    true /= np.sum(true * np.diff(pilot.grid))
    assert np.median(np.abs(pilot.speed / true - 1)) < 0.1
    betas = ais_betas(1000, "adaptive", pilot=pilot)
    assert np.sum(betas < 0.5) > 700                    # the paper schedule: 34
    # and the exact inverse of F = int sqrt(v), up to the pilot's noise
    fine = np.linspace(0, 1, 20001)
    pf = 1 / (1 + np.exp(-fine * b[0]))
    F = np.concatenate([[0], np.cumsum(np.sqrt(pf * (1 - pf))[1:] * np.diff(fine))])
    exact_b = np.interp(np.linspace(0, 1, 1001), F / F[-1], fine)
    assert np.max(np.abs(betas - exact_b)) < 0.03


def test_pilot_seed_is_derived_and_its_cost_is_reported():
    rbm = RBM.random(20, 6, sigma=0.3, seed=0)
    pilot = schedule_pilot(rbm, seed=5)
    assert pilot.seed == derived_seed(5, PILOT_SEED_PURPOSE) and pilot.seed != 5
    assert pilot.cost == 20 * 500 and pilot.grid.size == 501
    a = ais_log_partition(rbm, n_runs=20, betas=300, schedule="adaptive", seed=5)
    assert a.schedule == "adaptive" and a.pilot_cost == pilot.cost
    assert np.array_equal(a.betas, pilot.betas(300))      # the same pilot, rebuilt
    again = ais_log_partition(rbm, n_runs=20, betas=300, schedule="adaptive", seed=5,
                              pilot=pilot)
    assert again.pilot_cost == 0 and np.array_equal(again.log_weights, a.log_weights)
    # the main runs use the same streams whichever schedule: the paper run with the
    # adaptive betas draws the same weights (the pilot did not consume the seed's streams)
    given_ = ais_log_partition(rbm, n_runs=20, betas=pilot.betas(300), seed=5)
    assert given_.schedule == "given" and np.array_equal(given_.log_weights, a.log_weights)


# ------------------------------------------------------------------ against exact
@pytest.fixture(scope="module")
def small_mnist_rbm():
    """15 hidden units trained (CD-1, 3 epochs) on 2,000 MNIST digits thresholded at 0.5
    and pooled to 14x14 (as in test_rbm_likelihood)."""
    from pgm.datasets import load_mnist

    try:
        images, _ = load_mnist("train", limit=2500)
    except PGMError as exc:  # pragma: no cover - data folder missing
        pytest.skip(f"MNIST not available: {exc}")
    B = images > 127
    X = B.reshape(-1, 14, 2, 14, 2).max(axis=(2, 4)).reshape(len(B), -1).astype(np.float32)
    est = BernoulliRBM(n_components=15, n_iter=3, learning_rate=0.1, batch_size=50,
                       random_state=0).fit(X[:2000])
    rbm = est.rbm_
    return rbm, X[:2000], X[2000:], exact_log_partition(rbm)


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_ais_with_each_schedule_finds_exact_log_z(small_mnist_rbm, schedule):
    """Within 4 standard errors (plus 0.01 nats for the bias of log mean(w), of the order
    of the squared relative error)."""
    rbm, X, _, exact = small_mnist_rbm
    res = ais_log_partition(rbm, data=X, n_runs=100, betas=1000, schedule=schedule, seed=0)
    assert res.schedule == schedule and res.betas.size == 1001
    assert res.log_z_std < 0.05 and res.effective_runs > 30
    assert abs(res.log_z - exact) < 4 * res.log_z_std + 0.01, (res.log_z, exact, res.log_z_std)


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_raise_with_each_schedule_finds_exact_log_z(small_mnist_rbm, schedule):
    """RAISE's implied log Z (too high in expectation) within 4 standard errors over the
    images plus 0.05 nats of bias at 1,000 temperatures."""
    rbm, X, Xt, exact = small_mnist_rbm
    r = raise_log_likelihood(rbm, Xt, train_data=X, n_images=100, betas=1000, schedule=schedule,
                             seed=0)
    assert r.schedule == schedule and r.betas[0] == 1.0 and r.betas[-1] == 0.0
    assert r.pilot_cost == (10_000 if schedule == "adaptive" else 0)
    assert abs(r.log_z - exact) < 4 * r.log_z_std + 0.05, (r.log_z, exact, r.log_z_std)


def test_protocol_with_the_adaptive_schedule_runs_one_pilot(small_mnist_rbm):
    rbm, X, Xt, exact = small_mnist_rbm
    res = converge_log_partition(rbm, data=Xt, train_data=X, schedule="adaptive",
                                 start_temperatures=250, n_runs=60, max_runs=100, tolerance=0.3,
                                 seed=1, max_seconds=60)
    assert res.converged and abs(res.log_z - exact) < 0.3
    assert res.schedule == "adaptive" and res.pilot_cost == 10_000
    assert {q["schedule"] for q in res.sequence} == {"adaptive"}
    d = res.to_dict()
    assert d["schedule"] == "adaptive" and d["pilot_cost"] == 10_000
    assert "adaptive schedule, pilot 10000" in res.describe()
    default = converge_log_partition(rbm, data=Xt, train_data=X, start_temperatures=250,
                                     n_runs=60, max_runs=100, seed=1, max_seconds=60)
    assert default.schedule == PROTOCOL_SCHEDULE


def test_bracket_shares_one_pilot():
    rbm = RBM.random(20, 6, sigma=0.3, seed=0)
    X = (np.random.default_rng(0).random((60, 20)) < 0.5).astype(float)
    br = bracket_log_likelihood(rbm, X, start_temperatures=100, n_runs=40, raise_images=60,
                                schedule="adaptive")
    assert br.converged
    assert br.ais.pilot_cost == 10_000 and br.raise_.pilot_cost == 0
    assert br.ais.schedule == br.raise_.schedule == "adaptive"


# ------------------------------------------------------------------ CLI
@pytest.fixture(scope="module")
def digits_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("sched") / "model.npz"
    RBM.random(64, 6, sigma=0.1, seed=0).save(path)
    return str(path)


def _run(capsys, *argv):
    from pgm.cli import main

    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("method, schedule", [("ais", "adaptive"), ("ais", "sigmoid"),
                                              ("raise", "adaptive")])
def test_cli_score_schedule(capsys, digits_model, method, schedule):
    base = ["rbm", "score", digits_model, "--data", "digits", "--limit", "100", "--json",
            "--method", method, "--temperatures", "200", "--schedule", schedule]
    extra = ["--runs", "20"] if method == "ais" else ["--images", "20"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimateWarning)
        code, out, _ = _run(capsys, *base, *extra)
    data = json.loads(out)
    assert code == 0 and data["ok"] and data["schedule"] == schedule
    assert data["temperatures"] == 200
    assert data["pilot_cost"] == (10_000 if schedule == "adaptive" else 0)
    assert np.isfinite(data["log_z"])


def test_cli_score_schedule_with_the_protocol(capsys, digits_model):
    code, out, _ = _run(capsys, "rbm", "score", digits_model, "--data", "digits", "--limit",
                        "100", "--json", "--method", "ais", "--converge", "--temperatures",
                        "100", "--runs", "30", "--schedule", "sigmoid", "--max-seconds", "30")
    data = json.loads(out)
    assert code == 0 and data["schedule"] == "sigmoid" and data["ais"]["schedule"] == "sigmoid"
    assert {q["schedule"] for q in data["sequence"]} == {"sigmoid"}


def test_cli_score_bad_schedule_is_one_line_exit_2(capsys, digits_model):
    code, out, err = _run(capsys, "rbm", "score", digits_model, "--data", "digits", "--method",
                          "ais", "--schedule", "geometric")
    lines = err.strip().splitlines()
    assert code == 2 and not out and len(lines) == 1
    assert "error" in lines[0] and "--schedule" in lines[0] and "geometric" in lines[0]
    code, _, err = _run(capsys, "rbm", "score", digits_model, "--data", "digits", "--schedule",
                        "sigmoid")
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "--schedule" in lines[0] and "nothing" in lines[0]
