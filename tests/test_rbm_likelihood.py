"""RBM partition function: exact enumeration (kernel and NumPy) against the core's
factor graph, AIS against exact, average log-likelihoods."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings

from pgm.exceptions import MemoryBudgetError, PGMError
from pgm.inference.bipartite import bipartite_log_partition
from pgm.models.rbm import RBM, BernoulliRBM
from pgm.models.rbm_likelihood import (
    ais_betas,
    ais_log_partition,
    average_log_likelihood,
    exact_log_partition,
)
from pgm.models.testing import rbms

PROPS = settings(max_examples=30, deadline=None, derandomize=True)




def brute_log_z(rbm: RBM) -> float:
    V = np.array(list(itertools.product([0, 1], repeat=rbm.n_visible)), float)
    H = np.array(list(itertools.product([0, 1], repeat=rbm.n_hidden)), float)
    neg_e = V @ rbm.W @ H.T + (V @ rbm.visible_bias)[:, None] + (H @ rbm.hidden_bias)[None]
    return float(np.logaddexp.reduce(neg_e.ravel()))


@PROPS
@given(rbms())
def test_exact_log_z_matches_the_whole_joint(rbm):
    """Enumerating the smaller layer equals enumerating all (v, h), and the factor graph."""
    brute = brute_log_z(rbm)
    for backend in ("numba", "numpy"):
        assert exact_log_partition(rbm, backend=backend) == pytest.approx(brute, abs=1e-9)
    assert rbm.to_factor_graph().log_partition_function() == pytest.approx(brute, abs=1e-9)


@pytest.mark.parametrize("shape", [(30, 12), (12, 30), (200, 13)])
def test_kernel_matches_numpy_on_larger_layers(shape):
    rng = np.random.default_rng(1)
    D, P = shape
    W, b, a = rng.normal(0, 0.5, (D, P)), rng.normal(0, 1, D), rng.normal(0, 1, P)
    x = bipartite_log_partition(W, b, a, backend="numba")
    assert x == pytest.approx(bipartite_log_partition(W, b, a, backend="numpy"), abs=1e-8)


def test_kernel_with_huge_fields_uses_the_exp_path():
    rng = np.random.default_rng(2)
    W, b, a = rng.normal(0, 80, (30, 12)), rng.normal(0, 50, 30), rng.normal(0, 50, 12)
    x = bipartite_log_partition(W, b, a, backend="numba")
    assert x == pytest.approx(bipartite_log_partition(W, b, a, backend="numpy"), rel=1e-12)


def test_exact_limits_and_errors():
    with pytest.raises(MemoryBudgetError, match="2\\^30.*AIS"):
        exact_log_partition(RBM(np.zeros((40, 30))))
    with pytest.raises(MemoryBudgetError):
        exact_log_partition(RBM(np.zeros((40, 12))), max_units=10)
    with pytest.raises(PGMError):
        bipartite_log_partition(np.zeros((3, 2)), np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError):
        bipartite_log_partition(np.full((3, 2), np.nan), np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError):
        bipartite_log_partition(np.zeros((3, 2)), np.zeros(3), np.zeros(2), backend="gpu")


def test_average_log_likelihood_is_the_mean_of_log_p():
    rng = np.random.default_rng(0)
    rbm = RBM(rng.normal(0, 1, (5, 3)), rng.normal(0, 1, 5), rng.normal(0, 1, 3), dtype=np.float64)
    X = (rng.random((20, 5)) < 0.5).astype(float)
    lz = brute_log_z(rbm)
    est = average_log_likelihood(rbm, X)
    assert est.mean == pytest.approx(float(np.mean(-rbm.free_energy(X) - lz)), abs=1e-9)
    assert est.method == "exact" and est.n == 20
    assert np.allclose(rbm.log_likelihood(X), -rbm.free_energy(X) - lz)
    assert average_log_likelihood(rbm, X, log_z=lz).mean == pytest.approx(est.mean)


def test_ais_betas():
    b = ais_betas()
    assert b.size == 14501 and b[0] == 0 and b[-1] == 1 and np.all(np.diff(b) > 0)
    assert np.sum(b >= 0.9) == 10001
    assert ais_betas(1000).size == 1001
    with pytest.raises(ValueError):
        ais_betas(2)
    with pytest.raises(ValueError):
        ais_log_partition(RBM(np.zeros((3, 2))), betas=np.array([0.0, 0.7, 0.5, 1.0]))
    with pytest.raises(ValueError):
        ais_log_partition(RBM(np.zeros((3, 2))), n_runs=1)


def test_ais_is_exact_for_the_independent_model():
    """W = 0 and base biases = the model's: every weight is 1, no error at all."""
    rbm = RBM(np.zeros((6, 4)), np.linspace(-1, 1, 6), np.linspace(-2, 2, 4), dtype=np.float64)
    res = ais_log_partition(rbm, base_bias=rbm.visible_bias, n_runs=10, betas=50)
    assert res.log_z == pytest.approx(exact_log_partition(rbm), abs=1e-9)
    assert res.log_z_std == pytest.approx(0.0, abs=1e-12)
    assert res.effective_runs == pytest.approx(10.0) and res.reliable


def test_ais_flags_an_unreliable_estimate():
    """Strong couplings and three temperatures: one run carries all the weight."""
    from pgm.exceptions import EstimateWarning

    rng = np.random.default_rng(0)
    rbm = RBM(rng.normal(0, 2, (30, 10)), rng.normal(0, 1, 30), rng.normal(0, 1, 10))
    with pytest.warns(EstimateWarning, match="unreliable.*effective runs 1.0 of 20"):
        res = ais_log_partition(rbm, n_runs=20, betas=3, seed=0)
    assert not res.reliable and res.log_z_lower == -np.inf
    assert 1.0 <= res.effective_runs < 1.1
    assert res.log_z < exact_log_partition(rbm)          # too low, as the message says
    good = ais_log_partition(RBM.random(40, 10, sigma=0.4, seed=2), n_runs=100, betas=1000)
    assert good.reliable and 50 < good.effective_runs <= 100


def test_ais_agrees_with_exact_on_a_random_rbm():
    rbm = RBM.random(40, 10, sigma=0.4, seed=2)
    exact = exact_log_partition(rbm)
    res = ais_log_partition(rbm, n_runs=100, betas=1000, seed=1)
    assert abs(res.log_z - exact) < 0.1
    assert res.contains(exact)
    again = ais_log_partition(rbm, n_runs=100, betas=1000, seed=1)
    assert again.log_z == res.log_z       # seeded


def test_ais_agrees_with_exact_on_an_rbm_trained_on_mnist():
    """15 hidden units, 2,000 binarized MNIST digits, two epochs of CD-1."""
    from pgm.datasets import load_mnist

    try:
        images, _ = load_mnist("train", limit=2000)
    except PGMError as exc:  # pragma: no cover - data folder missing
        pytest.skip(f"MNIST not available: {exc}")
    X = (images.reshape(len(images), -1) > 127).astype(np.float32)
    est = BernoulliRBM(n_components=15, n_iter=2, learning_rate=0.1, batch_size=50,
                       random_state=0).fit(X)
    rbm = est.rbm_
    exact = exact_log_partition(rbm)
    res = ais_log_partition(rbm, data=X, n_runs=400, betas=1000, seed=0)
    assert abs(res.log_z - exact) < 0.1, (res.log_z, exact)
    assert res.contains(exact)
    ll = average_log_likelihood(rbm, X[:500], method="ais", train_data=X, n_runs=50, betas=300,
                                seed=1)
    ex = average_log_likelihood(rbm, X[:500])
    assert abs(ll.mean - ex.mean) < 0.5 and ll.lower <= ll.mean <= ll.upper
    assert -250 < ex.mean < -100


def test_estimator_score_methods(monkeypatch):
    import pgm.models.rbm_likelihood as L

    monkeypatch.setattr(L, "PAPER_COUNTS", (50, 400, 1000))   # a shorter default schedule
    rng = np.random.default_rng(0)
    X = (rng.random((100, 12)) < 0.3).astype(np.float32)
    est = BernoulliRBM(n_components=5, n_iter=1, random_state=0).fit(X)
    exact = est.score_samples(X)
    est.set_params(score_method="ais")
    est.__dict__.pop("_log_z_cache", None)
    assert np.allclose(est.score_samples(X), exact, atol=0.05)


# ------------------------------------------------- convergence protocol, RAISE, bracket
@pytest.fixture(scope="module")
def small_mnist_rbm():
    """15 hidden units trained (CD-1, 3 epochs) on 2,000 MNIST digits thresholded at 0.5
    and pooled to 14x14 (the maximum of each 2x2 block): small enough for exact log Z
    and for quick annealing, with a trained, multi-modal landscape."""
    from pgm.datasets import load_mnist

    try:
        images, _ = load_mnist("train", limit=3000)
    except PGMError as exc:  # pragma: no cover - data folder missing
        pytest.skip(f"MNIST not available: {exc}")
    B = images > 127
    X = B.reshape(-1, 14, 2, 14, 2).max(axis=(2, 4)).reshape(len(B), -1).astype(np.float32)
    est = BernoulliRBM(n_components=15, n_iter=3, learning_rate=0.1, batch_size=50,
                       random_state=0).fit(X[:2000])
    return est.rbm_, X[:2000], X[2000:]


@pytest.mark.parametrize("seed", [0, 1])
def test_protocol_ais_and_raise_agree_with_exact_on_mnist(small_mnist_rbm, seed):
    """Both estimators converge (three successive log Z within the tolerance) and land
    within the tolerance of the exact value: AIS from below, RAISE from above in
    expectation."""
    from pgm.models.rbm_likelihood import converge_log_partition

    rbm, X, Xt = small_mnist_rbm
    exact = exact_log_partition(rbm)
    tol = 0.3
    for method in ("ais", "raise"):
        res = converge_log_partition(rbm, method=method, data=Xt, train_data=X, tolerance=tol,
                                     start_temperatures=250, n_runs=60, max_runs=150,
                                     seed=seed, max_seconds=120)
        assert res.converged, (method, res.sequence)
        assert abs(res.log_z - exact) < tol, (method, res.log_z, exact)
        ll_exact = float(np.mean(-rbm.free_energy(Xt))) - exact
        assert abs(res.mean_log_likelihood - ll_exact) < tol
        seq = res.sequence
        assert [q["temperatures"] for q in seq] == [250 * 2 ** i for i in range(len(seq))]
        assert all(q["runs"] >= 60 and q["seconds"] > 0 for q in seq)
        window = [q["log_z"] for q in seq[-3:]]
        assert max(window) - min(window) < tol
        if method == "ais":
            assert seq[-1]["effective_runs"] >= 20 and res.one_sided is None
        else:
            assert seq[-1]["effective_runs"] is None and seq[-1]["log_z_std"] <= tol / 2


def test_raise_is_conservative_where_ais_is_optimistic(small_mnist_rbm):
    """Few temperatures: RAISE's implied log Z is above the exact one, AIS's below, by
    more than their standard errors (the biases have opposite signs)."""
    from pgm.models.rbm_likelihood import raise_log_likelihood

    rbm, X, Xt = small_mnist_rbm
    exact = exact_log_partition(rbm)
    r = raise_log_likelihood(rbm, Xt, train_data=X, n_images=200, betas=100, seed=0)
    assert r.log_z - exact > 3 * r.log_z_std
    assert r.n_runs == 200 and r.log_likelihoods.shape == (200,)
    assert np.allclose(r.log_likelihoods, -rbm.free_energy(Xt[r.rows]) - r.log_z_images)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = ais_log_partition(rbm, data=X, n_runs=100, betas=30, seed=0)
    assert a.log_z < exact


def test_protocol_stops_early_on_an_easy_model_and_reports_unconverged_on_a_hard_one():
    from pgm.models.rbm_likelihood import converge_log_partition

    easy = RBM(np.zeros((30, 5)), np.linspace(-1, 1, 30), np.zeros(5))
    X = (np.random.default_rng(0).random((50, 30)) < 0.5).astype(np.float32)
    res = converge_log_partition(easy, data=X, start_temperatures=50, n_runs=20, seed=0)
    assert res.converged and len(res.sequence) == 3       # the fewest steps possible
    rng = np.random.default_rng(0)
    hard = RBM(rng.normal(0, 2, (60, 12)), rng.normal(0, 1, 60), rng.normal(0, 1, 12))
    res = converge_log_partition(hard, data=X[:, :1].repeat(60, axis=1), start_temperatures=20,
                                 n_runs=20, max_seconds=1e-3, seed=0)
    assert not res.converged and len(res.sequence) == 1 and "time limit" in res.reason
    d = res.to_dict()
    assert res.one_sided == "log_z_at_least"
    assert d["log_z_at_least"] == res.log_z
    assert d["mean_log_likelihood_at_most"] == res.mean_log_likelihood
    assert "NOT converged" in res.describe() and "at most" in res.describe()
    assert "bounds" not in res.describe()


def test_float32_and_float64_annealing_agree(small_mnist_rbm):
    """The float32 engine (products and draws) moves log Z by under 0.05 nats."""
    rbm, X, _ = small_mnist_rbm
    r64 = RBM(rbm.W, rbm.visible_bias, rbm.hidden_bias, dtype=np.float64)
    a32 = ais_log_partition(rbm, data=X, n_runs=200, betas=2000, seed=3)
    a64 = ais_log_partition(r64, data=X, n_runs=200, betas=2000, seed=3)
    assert a32.log_z_std < 0.02 and a64.log_z_std < 0.02       # spread well below 0.05
    assert abs(a32.log_z - a64.log_z) < 0.05
    assert abs(a64.log_z - exact_log_partition(r64)) < 3 * a64.log_z_std + 0.05


def test_cli_bracket_json(tmp_path, capsys):
    import json

    from pgm.cli import main

    rng = np.random.default_rng(0)
    model = RBM.random(20, 6, sigma=0.3, seed=0).save(tmp_path / "model.npz")
    data = tmp_path / "d.npz"
    np.savez(data, train=(rng.random((80, 20)) < 0.4).astype(np.float32),
             test=(rng.random((40, 20)) < 0.4).astype(np.float32))
    assert main(["rbm", "score", str(model), "--data", str(data), "--method", "bracket",
                 "--temperatures", "100", "--runs", "30", "--images", "40", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert {"ais", "raise", "converged", "sequence"} <= set(res)
    for end in ("ais", "raise"):
        assert {"mean_log_likelihood", "temperatures", "runs", "effective_runs", "converged",
                "sequence"} <= set(res[end])
    assert res["converged"] is True and res["agree"] is True
    assert {q["estimator"] for q in res["sequence"]} == {"ais", "raise"}
    assert main(["rbm", "score", str(model), "--data", str(data), "--method", "raise",
                 "--converge", "--temperatures", "100", "--images", "40"]) == 0
    out = capsys.readouterr().out
    assert "RAISE" in out and "temperatures" in out and "converged" in out
    assert "bounds" not in out
    assert main(["rbm", "score", str(model), "--data", str(data), "--method", "exact",
                 "--converge"]) == 2
