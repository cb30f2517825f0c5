"""One-hidden-layer classifier: softmax + cross-entropy gradients, pretrained init,
seeds, save/load, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from test_autoencoder import numeric_grad

from pgm.exceptions import CardinalityError, EvidenceError, ModelLoadError, ParameterError
from pgm.models.autoencoder import Autoencoder
from pgm.models.classifier import PretrainableClassifier, softmax_cross_entropy
from pgm.models.rbm import RBM, BernoulliRBM


def _blobs(n=120, d=10, k=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    centers = rng.random((k, d))
    X = np.clip(centers[y] + 0.15 * rng.normal(size=(n, d)), 0, 1).astype(np.float32)
    return X, y


def test_softmax_cross_entropy_gradient():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4, 5))
    y = np.array([0, 3, 4, 1])
    _, p, dz = softmax_cross_entropy(z, y)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    num = numeric_grad(lambda: softmax_cross_entropy(z, y)[0], z)
    np.testing.assert_allclose(dz, num, rtol=1e-6, atol=1e-9)


def test_network_gradient_matches_finite_differences():
    rng = np.random.default_rng(2)
    clf = PretrainableClassifier(4, 3, dtype="float64", random_state=0).init_random(6)
    clf.hidden_bias[:] = rng.normal(size=4)
    clf.output_bias[:] = rng.normal(size=3)
    X, y = rng.random((7, 6)), rng.integers(0, 3, 7)
    _, grads = clf.loss_and_grad(X, y)
    for p, g in zip(clf.params, grads):
        num = numeric_grad(lambda: clf.loss_and_grad(X, y)[0], p)
        np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-9)


def test_learns_and_history():
    X, y = _blobs()
    clf = PretrainableClassifier(8, 3, n_epochs=15, learning_rate=0.5, random_state=0)
    clf.fit(X, y, X_val=X, y_val=y)
    h = clf.history_
    assert len(h["val_accuracy"]) == 15 and h["val_loss"][-1] < h["val_loss"][0]
    assert clf.score(X, y) > 0.9
    assert clf.predict_proba(X).shape == (120, 3)


def test_init_from_pretrained_models():
    X, y = _blobs()
    rbm = RBM.random(10, 6, seed=1)
    clf = PretrainableClassifier(6, 3, random_state=0).init_from(rbm)
    np.testing.assert_array_equal(clf.W, rbm.W)
    est = BernoulliRBM(n_components=6, n_iter=1, random_state=0).fit(X)
    assert PretrainableClassifier(6, 3).init_from(est).init_ == "BernoulliRBM"
    ae = Autoencoder(6, n_epochs=1, random_state=0).fit(X)
    clf = PretrainableClassifier(6, 3, n_epochs=1, random_state=0).fit(X, y, init=ae)
    assert clf.init_ == "Autoencoder" and clf.W.shape == (10, 6)
    with pytest.raises(CardinalityError):
        PretrainableClassifier(5, 3).init_from(ae)
    with pytest.raises(CardinalityError):
        PretrainableClassifier(5, 3).init_from(Autoencoder(5))      # not fitted


def test_seed_and_save_load(tmp_path):
    X, y = _blobs()
    a = PretrainableClassifier(5, 3, n_epochs=2, random_state=4).fit(X, y, X_val=X, y_val=y)
    b = PretrainableClassifier(5, 3, n_epochs=2, random_state=4).fit(X, y, X_val=X, y_val=y)
    np.testing.assert_array_equal(a.V, b.V)
    c = PretrainableClassifier.load(a.save(tmp_path / "c.npz"))
    np.testing.assert_array_equal(c.predict_proba(X), a.predict_proba(X))
    assert c.history_ == a.history_ and c.init_ == "random"
    with pytest.raises(ModelLoadError):
        PretrainableClassifier.load(tmp_path / "nope.npz")


def test_bad_input():
    X, y = _blobs()
    clf = PretrainableClassifier(4, 3, n_epochs=1, random_state=0).fit(X, y)
    with pytest.raises(CardinalityError):
        clf.predict(X[:, :4])
    with pytest.raises(EvidenceError):
        clf.fit(X, y + 5)
    with pytest.raises(CardinalityError):
        clf.fit(X, y[:-1])
    bad = X.copy()
    bad[1, 1] = np.inf
    with pytest.raises(EvidenceError):
        clf.predict(bad)
    with pytest.raises(EvidenceError):
        clf.predict(X - 1)


def _same_run(a, b) -> None:
    assert a.epoch_ == b.epoch_
    for p, q in zip(a.params + list(a.velocity_), b.params + list(b.velocity_)):
        assert np.array_equal(p, q)
    for key in a.history_:
        if key != "seconds":
            assert a.history_[key] == b.history_[key]


def test_interrupted_then_resumed_equals_uninterrupted(tmp_path, monkeypatch):
    X, y = _blobs()
    ae = Autoencoder(6, n_epochs=1, random_state=0).fit(X)
    kw = dict(n_hidden=6, n_classes=3, batch_size=16, learning_rate=0.3, random_state=5)
    full = PretrainableClassifier(n_epochs=4, **kw).fit(X, y, X, y, init=ae)
    ckpt = tmp_path / "clf.npz"
    calls, orig = [], PretrainableClassifier.loss_and_grad

    def interrupted(self, Xb, yb):         # killed in the middle of epoch 3 (8 batches/epoch)
        calls.append(1)
        if len(calls) == 2 * 8 + 5:
            raise KeyboardInterrupt
        return orig(self, Xb, yb)

    monkeypatch.setattr(PretrainableClassifier, "loss_and_grad", interrupted)
    with pytest.raises(KeyboardInterrupt):
        PretrainableClassifier(n_epochs=4, checkpoint=ckpt, **kw).fit(X, y, X, y, init=ae)
    monkeypatch.undo()
    saved = PretrainableClassifier.load(ckpt)
    assert saved.epoch_ == 2 and saved.init_ == "Autoencoder"
    resumed = PretrainableClassifier(n_epochs=4, checkpoint=ckpt, resume=True, **kw)
    _same_run(full, resumed.fit(X, y, X, y, init=ae))
    assert resumed.init_ == "Autoencoder"
    with pytest.raises(ParameterError, match="initialized from 'Autoencoder'"):
        PretrainableClassifier(n_epochs=5, checkpoint=ckpt, resume=True, **kw).fit(X, y)


def test_convnet_interrupted_then_resumed_equals_uninterrupted(tmp_path):
    from pgm.models.convnet import ConvNet

    rng = np.random.default_rng(0)
    X = rng.random((40, 64)).astype(np.float32)
    y = np.arange(40) % 3
    kw = dict(kernel=3, pool=2, n_classes=3, batch_size=10, learning_rate=0.1, random_state=2)
    full = ConvNet((8, 8), n_epochs=3, **kw).fit(X, y, X, y)
    ckpt = tmp_path / "cnn.npz"
    ConvNet((8, 8), n_epochs=1, checkpoint=ckpt, **kw).fit(X, y, X, y)      # stopped after 1
    resumed = ConvNet((8, 8), n_epochs=3, checkpoint=ckpt, resume=True, **kw).fit(X, y, X, y)
    _same_run(full, resumed)
    with pytest.raises(ParameterError, match="kernel"):
        ConvNet((8, 8), n_epochs=3, checkpoint=ckpt, resume=True,
                **{**kw, "kernel": 5}).fit(X, y, X, y)


def _estimators():
    from pgm.models.autoencoder import DenoisingAutoencoder
    from pgm.models.convnet import ConvNet

    return [BernoulliRBM(n_components=3, n_iter=2, batch_size=10, random_state=0),
            Autoencoder(3, n_epochs=2, random_state=0),
            DenoisingAutoencoder(3, n_epochs=2, random_state=0),
            PretrainableClassifier(3, 3, n_epochs=2, random_state=0),
            ConvNet([4, 4], kernel=3, pool=2, n_classes=3, n_epochs=2, random_state=0)]


@pytest.mark.parametrize("est", _estimators(), ids=lambda e: type(e).__name__)
def test_estimators_follow_the_scikit_learn_rules_and_clone(est):
    from sklearn.base import clone

    rng = np.random.default_rng(0)
    X = (rng.random((30, 16)) < 0.4).astype(np.float32)
    y = np.arange(30) % 3
    params = est.get_params()
    # __init__ keeps its arguments untouched; learned state ends with an underscore
    assert all(getattr(est, k) is v for k, v in params.items())
    assert not any(k.endswith("_") for k in vars(est))
    twin = clone(est)
    assert type(twin) is type(est) and twin.get_params() == params
    args = (X,) if isinstance(est, (BernoulliRBM, Autoencoder)) else (X, y)
    fitted = est.fit(*args)
    refit = twin.fit(*args)
    assert {k for k in vars(refit) if k.endswith("_")} == {k for k in vars(fitted) if k.endswith("_")}
    np.testing.assert_array_equal(np.concatenate([np.ravel(h) for h in refit.history_["epoch"]]),
                                  [1, 2])
    for key in fitted.history_:
        if key != "seconds":
            np.testing.assert_array_equal(refit.history_[key], fitted.history_[key])
    # a clone of a fitted estimator is unfitted, with the same hyperparameters
    assert clone(fitted).get_params() == params
    assert not any(k.endswith("_") for k in vars(clone(fitted)))


def test_bad_hyperparameters_are_refused_in_fit_not_in_init():
    from pgm.models.convnet import ConvNet

    X = np.zeros((4, 16), np.float32)
    y = np.zeros(4, int)
    for est, args in ((Autoencoder(0), (X,)), (Autoencoder(3, dropout=1.5), (X,)),
                      (PretrainableClassifier(3, 3, momentum=1.0), (X, y)),
                      (ConvNet((4, 4), kernel=3, activation="tanh"), (X, y)),
                      (ConvNet("4x4", kernel=3), (X, y)),
                      (BernoulliRBM(n_components=3, random_state=-1), (X,))):
        with pytest.raises(ParameterError):
            est.fit(*args)
