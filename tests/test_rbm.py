"""Binary RBM: Problem 3 on the core factor graph, CD-k / PCD training, the estimator,
checkpoints and resume, bad input, save/load, tiles, the ``pgm rbm`` command."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit

from pgm.exceptions import (
    CardinalityError,
    EvidenceError,
    ModelError,
    ModelLoadError,
    ParameterError,
    PGMError,
    TrainingDivergedError,
)
from pgm.models.rbm import (
    RBM,
    BernoulliRBM,
    cd_gradient,
    cd_phases,
    check_data,
    data_log_odds,
)
from pgm.models.rbm_likelihood import average_log_likelihood, exact_log_partition
from pgm.models.testing import rbms
from pgm.models.tiles import image_shape, save_tiles, tile_filters, tile_images

PROPS = settings(max_examples=30, deadline=None, derandomize=True)


def tiny_rbms(max_visible: int = 3, max_hidden: int = 3, scale: float = 2.0):
    return rbms(max_visible=max_visible, max_hidden=max_hidden, scale=scale)


def states(n: int) -> np.ndarray:
    return np.array(list(itertools.product([0, 1], repeat=n)), dtype=float)


def digits_binary(n: int | None = None) -> np.ndarray:
    from sklearn.datasets import load_digits

    X = (load_digits().data / 16.0 > 0.5).astype(np.float32)
    return X if n is None else X[:n]


# ----------------------------------------------------------- Problem 3
@PROPS
@given(tiny_rbms(), st.data())
def test_hidden_conditional_from_factor_graph_is_product_of_sigmoids(rbm, data):
    """Given v, the hidden units are independent and P(h_j = 1 | v) = sigmoid(v W + a)_j."""
    D, P = rbm.n_visible, rbm.n_hidden
    v = np.array(data.draw(st.lists(st.integers(0, 1), min_size=D, max_size=D)))
    fg = rbm.to_factor_graph()
    ev = {f"v{i}": int(v[i]) for i in range(D)}
    cond = fg.joint(log=True).reduce(ev).normalize().to_prob()
    cond = cond.transpose([f"h{j}" for j in range(P)])
    p = expit(v @ rbm.W + rbm.hidden_bias)
    H = states(P)
    expected = np.prod(np.where(H == 1, p, 1 - p), axis=1).reshape([2] * P)
    np.testing.assert_allclose(cond.values, expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(rbm.hidden_prob(v[None])[0], p, rtol=1e-12)


@PROPS
@given(tiny_rbms(), st.data())
def test_visible_conditional_from_factor_graph(rbm, data):
    D, P = rbm.n_visible, rbm.n_hidden
    h = np.array(data.draw(st.lists(st.integers(0, 1), min_size=P, max_size=P)))
    fg = rbm.to_factor_graph()
    cond = fg.joint(log=True).reduce({f"h{j}": int(h[j]) for j in range(P)}).normalize().to_prob()
    marg = [cond.marginal([f"v{i}"]).values[1] for i in range(D)]
    np.testing.assert_allclose(marg, rbm.visible_prob(h[None])[0], rtol=1e-9)


@PROPS
@given(tiny_rbms(max_visible=4, max_hidden=4))
def test_free_energy_matches_brute_force_marginal(rbm):
    V, H = states(rbm.n_visible), states(rbm.n_hidden)
    for v in V:
        E = rbm.energy(np.repeat(v[None], len(H), 0), H)
        brute = -np.logaddexp.reduce(-E)
        assert rbm.free_energy(v[None])[0] == pytest.approx(brute, abs=1e-9)
    # and p(v) = exp(-F(v)) / Z is the marginal of the factor graph's joint
    fg = rbm.to_factor_graph()
    joint = fg.joint().marginal([f"v{i}" for i in range(rbm.n_visible)])
    logz = exact_log_partition(rbm)
    np.testing.assert_allclose(np.exp(-rbm.free_energy(V) - logz), joint.values.ravel(),
                               rtol=1e-8, atol=1e-12)


def test_energy_definition():
    W = np.array([[1.0, -2.0]])
    rbm = RBM(W, [0.5], [0.25, -1.0], dtype=np.float64)
    # E(v, h) = -v W h - b v - a h
    assert rbm.energy([[1]], [[1, 1]])[0] == pytest.approx(-(1 - 2) - 0.5 - (0.25 - 1.0))


def test_sampled_hiddens_follow_the_conditional():
    rbm = RBM.random(10, 5, sigma=1.0, seed=3)
    v = np.tile((np.arange(10) % 2).astype(np.float32), (20000, 1))
    h = rbm.sample_hidden(v, seed=1)
    np.testing.assert_allclose(h.mean(0), rbm.hidden_prob(v[:1])[0], atol=0.015)


def test_to_factor_graph_refuses_big_models():
    with pytest.raises(ModelError):
        RBM.random(784, 100).to_factor_graph()


def test_sample_shapes_and_reproducibility():
    rbm = RBM.random(16, 4, sigma=1.0, seed=0)
    a = rbm.sample(5, 20, seed=3, shape=(4, 4))
    b = rbm.sample(5, 20, seed=3, shape=(4, 4))
    assert a.shape == (5, 4, 4) and np.array_equal(a, b)
    s = rbm.sample(5, 20, seed=3, mean=False)
    assert set(np.unique(s)) <= {0.0, 1.0}
    init = np.ones((3, 16))
    assert rbm.sample(init=init, n_steps=2).shape == (3, 16)


# ---------------------------------------------------------- gradients
def exact_gradient(rbm: RBM, X: np.ndarray) -> np.ndarray:
    V = states(rbm.n_visible)
    logp = -rbm.free_energy(V) - exact_log_partition(rbm)
    p = np.exp(logp)
    model = (V * p[:, None]).T @ expit(V @ rbm.W + rbm.hidden_bias)
    data = X.T @ expit(X @ rbm.W + rbm.hidden_bias) / len(X)
    return data - model


def test_cd_k_approaches_the_exact_gradient_as_k_grows():
    rng = np.random.default_rng(0)
    rbm = RBM(rng.normal(0, 1.5, (6, 3)), rng.normal(0, 1, 6), rng.normal(0, 1, 3),
              dtype=np.float64)
    X = (rng.random((40, 6)) < 0.3).astype(float)
    g = exact_gradient(rbm, X)
    reps = np.tile(X, (1000, 1))          # 40,000 chains: little sampling noise
    errs, cosines = [], []
    for k in (1, 3, 30):
        est = cd_gradient(rbm, reps, k, seed=k).W
        errs.append(np.linalg.norm(est - g) / np.linalg.norm(g))
        cosines.append(float((est * g).sum() / np.linalg.norm(est) / np.linalg.norm(g)))
    assert errs[0] > errs[1] > errs[2]
    assert cosines[0] < cosines[2]
    assert errs[2] < 0.03 and errs[0] > 0.1


@pytest.mark.parametrize("persistent", [False, True])
def test_cd_phases_into_buffers_equal_the_plain_call(persistent):
    rbm = RBM.random(6, 4, seed=3)
    v0 = (np.random.default_rng(0).random((5, 6)) < 0.5).astype(np.float32)
    chains = np.ones((3, 6), np.float32) if persistent else None
    plain = cd_phases(rbm, v0, 2, seed=1, step=4, chains=chains)
    n = 5 + (3 if persistent else 5)
    V, H = np.empty((n, 6), np.float32), np.empty((n, 4), np.float32)
    V[:5] = v0
    got = cd_phases(rbm, V[:5], 2, seed=1, step=4, chains=chains, buffers=(V, H))
    for a, b in ((plain.data, got.data), (plain.hidden_data, got.hidden_data),
                 (plain.negative, got.negative), (plain.hidden_negative, got.hidden_negative)):
        assert np.array_equal(a, b)
    assert np.shares_memory(got.negative, V) and np.shares_memory(got.hidden_data, H)
    assert got.next_step == plain.next_step
    with pytest.raises(ParameterError, match="buffers must have shapes"):
        cd_phases(rbm, v0, 1, buffers=(V[:4], H[:4]))


def test_pcd_gradient_uses_and_returns_the_chains():
    rbm = RBM.random(5, 3, seed=0)
    chains = np.zeros((7, 5), np.float32)
    g = cd_gradient(rbm, np.ones((4, 5), np.float32), 2, seed=0, chains=chains)
    assert g.phases.negative.shape == (7, 5) and g.next_step == 4


# ----------------------------------------------------------- training
def test_training_increases_the_exact_log_likelihood():
    X = digits_binary()
    train, test = X[:1400], X[1400:]
    est = BernoulliRBM(n_components=10, n_iter=5, learning_rate=0.05, batch_size=20,
                       random_state=0)
    init = RBM.random(64, 10, seed=0, visible_bias=data_log_odds(train))
    before = average_log_likelihood(init, test).mean
    est.fit(train, X_val=test)
    after = average_log_likelihood(est.rbm_, test).mean
    assert after > before + 2.0
    h = est.history_
    assert len(h["epoch"]) == 5 and h["train_recon"][-1] < h["train_recon"][0]
    assert np.isfinite(h["free_energy_gap"]).all()
    assert est.score(test) == pytest.approx(after, rel=1e-6)


@pytest.mark.parametrize("persistent, schedule", [(False, "constant"), (True, "constant"),
                                                  (True, "linear")])
def test_training_is_reproducible_and_resume_gives_the_same_result(tmp_path, persistent, schedule):
    X = digits_binary(300)
    kw = dict(n_components=8, batch_size=32, k=2, persistent=persistent, random_state=7,
              monitor_size=100, learning_rate_schedule=schedule,
              final_momentum=0.9 if schedule == "linear" else None)
    full = BernoulliRBM(n_iter=7, **kw).fit(X, X_val=X[:50])
    again = BernoulliRBM(n_iter=7, **kw).fit(X, X_val=X[:50])
    assert np.array_equal(full.components_, again.components_)
    ckpt = tmp_path / "ck.npz"
    # interrupted after 2 of the 7 epochs (the schedule depends on n_iter, so keep it)
    BernoulliRBM(n_iter=7, checkpoint=ckpt, callback=lambda est, rec: rec["epoch"] == 2,
                 **kw).fit(X, X_val=X[:50])
    resumed = BernoulliRBM(n_iter=7, checkpoint=ckpt, resume=True, **kw).fit(X, X_val=X[:50])
    assert resumed.epoch_ == 7 and resumed.step_ == full.step_
    for a, b in zip((full.components_, full.intercept_visible_, full.intercept_hidden_),
                    (resumed.components_, resumed.intercept_visible_, resumed.intercept_hidden_)):
        assert np.array_equal(a, b)
    for key in ("epoch", "train_recon", "val_recon", "free_energy_gap"):
        assert full.history_[key] == resumed.history_[key]
    if persistent:
        assert np.array_equal(full.chains_, resumed.chains_)


def test_learning_rate_and_momentum_schedules():
    est = BernoulliRBM(n_iter=10, learning_rate=0.2, learning_rate_schedule="linear", momentum=0.5,
                       final_momentum=0.9)
    assert est._rates(0) == (pytest.approx(0.2), 0.5)
    assert est._rates(4, 0.5) == (pytest.approx(0.2 * (1 - 4.5 / 10)), 0.5)
    assert est._rates(5) == (pytest.approx(0.1), 0.9)
    assert est._rates(9, 1.0)[0] == pytest.approx(0.0, abs=1e-12)
    const = BernoulliRBM(n_iter=10, learning_rate=0.2)
    assert const._rates(9, 0.9) == (0.2, 0.5)
    # a linear schedule ends with small steps: the last epoch moves the weights least
    X = digits_binary(300)
    moves = []

    def track(est, rec):
        moves.append(est.components_.copy())

    BernoulliRBM(n_components=8, n_iter=6, learning_rate=0.1, learning_rate_schedule="linear",
                 random_state=0, callback=track).fit(X)
    steps = [float(np.abs(b - a).mean()) for a, b in zip(moves, moves[1:])]
    assert steps[-1] < 0.5 * steps[0]
    for bad in (dict(learning_rate_schedule="cosine"), dict(final_momentum=1.0),
                dict(final_momentum="high")):
        with pytest.raises(ParameterError, match=next(iter(bad))):
            BernoulliRBM(n_components=3, n_iter=1, **bad).fit(X)


def test_float32_default_and_float64_option():
    X = digits_binary(100)
    assert BernoulliRBM(n_components=3, n_iter=1, random_state=0).fit(X).components_.dtype \
        == np.float32
    assert BernoulliRBM(n_components=3, n_iter=1, random_state=0, dtype="float64").fit(X) \
        .components_.dtype == np.float64


def test_callback_and_early_stop():
    seen = []

    def cb(est, record):
        seen.append(record["epoch"])
        return record["epoch"] == 2

    est = BernoulliRBM(n_components=3, n_iter=5, random_state=0, callback=cb).fit(digits_binary(100))
    assert seen == [1, 2] and est.epoch_ == 2


def test_visible_bias_initialisation():
    X = digits_binary(200)
    est = BernoulliRBM(n_components=3, n_iter=0, random_state=0).fit(X)
    np.testing.assert_allclose(est.intercept_visible_, data_log_odds(X), rtol=1e-6)
    est = BernoulliRBM(n_components=3, n_iter=0, random_state=0, init_visible_bias=False).fit(X)
    assert not est.intercept_visible_.any()
    assert np.std(est.components_) == pytest.approx(0.1, rel=0.1)


# ---------------------------------------------------------- bad input
def test_bad_data_is_rejected_clearly():
    est = BernoulliRBM(n_components=3, n_iter=1, random_state=0)
    with pytest.raises(EvidenceError, match=r"outside \[0, 1\].*255"):
        est.fit(np.full((5, 4), 255, dtype=np.uint8))
    with pytest.raises(ValueError, match="non-finite value nan at row 1, column 2"):
        est.fit(np.array([[0, 1, 0], [1, 0, np.nan]]))
    with pytest.raises(EvidenceError, match="2-D"):
        est.fit(np.zeros(5))
    with pytest.raises(EvidenceError, match="numeric"):
        check_data([["a", "b"]])
    est.fit(digits_binary(50))
    with pytest.raises(CardinalityError, match="3 columns but the model has 64"):
        est.transform(np.zeros((2, 3)))
    with pytest.raises(CardinalityError):
        est.partial_fit(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="n_components"):
        BernoulliRBM(n_components=0).fit(digits_binary(10))
    with pytest.raises(ValueError, match="momentum"):
        BernoulliRBM(momentum=1.5).fit(digits_binary(10))


def test_divergence_stops_with_a_clear_error_and_keeps_the_checkpoint(tmp_path):
    ckpt = tmp_path / "ck.npz"

    def explode(est, record):      # epoch 1 is fine, then the step size blows up
        est.learning_rate = 1e38

    est = BernoulliRBM(n_components=5, n_iter=3, random_state=0, checkpoint=ckpt, callback=explode)
    with pytest.raises(TrainingDivergedError, match="epoch 2.*learning_rate=1e\\+38"):
        est.fit(digits_binary(200))
    assert isinstance(TrainingDivergedError("x"), ValueError)
    saved = BernoulliRBM.load(ckpt)
    assert saved.epoch_ == 1 and saved.rbm_.is_finite()
    assert est.rbm_.is_finite() and np.array_equal(est.components_, saved.components_)
    assert not list(tmp_path.glob(".*tmp"))


def test_partial_fit_and_sklearn_api():
    X = digits_binary(200)
    est = BernoulliRBM(n_components=6, random_state=0)
    for i in range(0, 200, 50):
        est.partial_fit(X[i:i + 50])
    assert est.step_ == 8 and est.transform(X[:3]).shape == (3, 6)
    g = est.gibbs(X[:4])
    assert g.shape == (4, 64) and set(np.unique(g)) <= {0.0, 1.0}
    assert not np.array_equal(est.gibbs(X[:50]), est.gibbs(X[:50]))   # new draws each call
    assert list(est.get_feature_names_out())[:2] == ["bernoullirbm0", "bernoullirbm1"]


def test_sklearn_pipeline_and_clone():
    from sklearn.base import clone
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    d = load_digits()
    X, y = (d.data / 16.0)[:600], d.target[:600]
    pipe = Pipeline([("rbm", BernoulliRBM(n_components=32, n_iter=5, learning_rate=0.05,
                                          batch_size=20, random_state=0)),
                     ("clf", LogisticRegression(max_iter=300))])
    pipe.fit(X[:500], y[:500])
    assert pipe.score(X[500:], y[500:]) > 0.6
    c = clone(pipe.named_steps["rbm"])
    assert c.get_params()["n_components"] == 32 and "rbm_" not in c.__dict__
    pipe.set_params(rbm__k=2).fit(X[:100], y[:100], rbm__X_val=X[500:])


def test_not_fitted():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        BernoulliRBM().transform(np.zeros((1, 3)))


# ---------------------------------------------------------- save / load
def test_save_load_round_trip(tmp_path):
    X = digits_binary(200)
    est = BernoulliRBM(n_components=6, n_iter=2, persistent=True, batch_size=25,
                       random_state=3).fit(X, X_val=X[:40])
    path = est.save(tmp_path / "m.npz")
    back = BernoulliRBM.load(path)
    assert back.get_params() == {**est.get_params(), "checkpoint": None, "callback": None,
                                 "random_state": None, "verbose": False, "resume": False}
    for a, b in zip((est.components_, est.intercept_visible_, est.intercept_hidden_, est.chains_,
                     *est.velocity_),
                    (back.components_, back.intercept_visible_, back.intercept_hidden_,
                     back.chains_, *back.velocity_)):
        assert np.array_equal(a, b) and a.dtype == b.dtype
    assert back.history_ == est.history_ and (back.seed_, back.step_, back.epoch_) == \
        (est.seed_, est.step_, est.epoch_)
    np.testing.assert_array_equal(back.transform(X[:5]), est.transform(X[:5]))
    with np.load(path, allow_pickle=False) as z:     # plain arrays only
        assert "W" in z.files and json.loads(str(z["meta"]))["format"] == "pgm-rbm"
    rbm = RBM.load(path)
    assert np.array_equal(rbm.W, est.rbm_.W)
    p2 = rbm.save(tmp_path / "plain.npz")
    assert np.array_equal(BernoulliRBM.load(p2).components_, est.components_)


def test_load_errors(tmp_path):
    with pytest.raises(ModelLoadError, match="not found"):
        RBM.load(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelLoadError):
        RBM.load(tmp_path / "junk.npz")
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(ModelLoadError, match="not a pgm RBM"):
        RBM.load(tmp_path / "other.npz")


# --------------------------------------------------------------- tiles
def test_tiles(tmp_path):
    t = tile_images(np.zeros((10, 4, 4)), n_cols=5)
    assert t.shape == (2 * 4 + 3, 5 * 4 + 6) and t.max() == 1.0
    f = tile_filters(np.random.default_rng(0).normal(size=(784, 20)))
    assert f.min() == 0.0 and f.max() == 1.0
    assert image_shape(64) == (8, 8)
    with pytest.raises(CardinalityError):
        image_shape(10)
    with pytest.raises(EvidenceError):
        tile_images(np.full((2, 4), 2.0))
    p = save_tiles(tmp_path / "s.png", np.random.default_rng(0).random((6, 8, 8)), scale=2)
    assert p.read_bytes()[:4] == b"\x89PNG"


# ----------------------------------------------------------------- CLI
def test_cli_train_score_sample(tmp_path, capsys):
    from pgm.cli import main

    out = tmp_path / "run"
    assert main(["rbm", "train", "--data", "digits", "--hidden", "8", "--epochs", "2",
                 "--batch-size", "50", "--out", str(out), "--quiet"]) == 0
    for name in ("model.npz", "checkpoint.npz", "history.csv", "history.json", "filters.png",
                 "curves.png"):
        assert (out / name).exists(), name
    assert main(["rbm", "train", "--data", "digits", "--hidden", "8", "--epochs", "3",
                 "--batch-size", "50", "--out", str(out), "--quiet", "--resume"]) == 0
    hist = json.loads((out / "history.json").read_text())["history"]
    assert hist["epoch"] == [1, 2, 3]
    capsys.readouterr()
    assert main(["rbm", "score", str(out / "model.npz"), "--data", "digits", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["method"] == "exact" and -60 < res["mean_log_likelihood"] < 0
    assert res["reliable"] is True and res["upper"] == res["lower"] == res["mean_log_likelihood"]
    assert main(["rbm", "score", str(out / "model.npz"), "--data", "digits", "--method", "ais",
                 "--runs", "20", "--temperatures", "300"]) == 0
    assert "log Z" in capsys.readouterr().out
    png = tmp_path / "s.png"
    assert main(["rbm", "sample", str(out / "model.npz"), "--chains", "9", "--steps", "20",
                 "-o", str(png)]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_cli_train_pcd_with_schedules(tmp_path):
    from pgm.cli import main
    from pgm.models.rbm import BernoulliRBM as Est

    out = tmp_path / "pcd"
    assert main(["rbm", "train", "--data", "digits", "--hidden", "8", "--epochs", "7",
                 "--persistent", "--schedule", "linear", "--final-momentum", "0.9", "--lr", "0.05",
                 "--batch-size", "50", "--out", str(out), "--quiet"]) == 0
    est = Est.load(out / "model.npz")
    assert est.persistent and est.learning_rate_schedule == "linear" and est.final_momentum == 0.9
    assert est.chains_ is not None and est.epoch_ == 7


def test_cli_file_data_and_errors(tmp_path, capsys):
    from pgm.cli import main

    X = digits_binary(120)
    np.save(tmp_path / "x.npy", X.reshape(-1, 8, 8))
    assert main(["rbm", "train", "--data", str(tmp_path / "x.npy"), "--hidden", "4", "--epochs",
                 "1", "--out", str(tmp_path / "o"), "--quiet"]) == 0
    np.save(tmp_path / "bad.npy", np.full((5, 4), 3.0))
    assert main(["rbm", "train", "--data", str(tmp_path / "bad.npy"), "--no-binarize",
                 "--out", str(tmp_path / "o2"), "--quiet"]) == 2
    assert "outside [0, 1]" in capsys.readouterr().err
    assert main(["rbm", "score", str(tmp_path / "nope.npz"), "--data", "digits"]) == 2


def test_demo_section(tmp_path):
    from pgm.models.studies.demo import SECTIONS, DemoContext

    ctx = DemoContext(out_dir=tmp_path, quick=True)
    lines = SECTIONS["rbm"](ctx).lines
    assert any("exact log Z" in line for line in lines)
    assert (tmp_path / "rbm_filters.png").exists() and (tmp_path / "rbm_samples.png").exists()


def test_errors_are_pgm_errors():
    assert issubclass(TrainingDivergedError, PGMError)
