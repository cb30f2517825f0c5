"""The Problem 1 convolutional network: im2col, max-pool routing, backprop vs finite
differences, training, seeds, save/load, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from test_autoencoder import numeric_grad

from pgm.exceptions import CardinalityError, EvidenceError, ModelLoadError, ParameterError
from pgm.models.convnet import ConvNet, im2col, max_pool, max_pool_backward


def test_im2col_matches_loops():
    rng = np.random.default_rng(0)
    x = rng.random((2, 7, 7))
    P = im2col(x, 3, 2)
    assert P.shape == (2, 3, 3, 9)
    np.testing.assert_array_equal(P[1, 2, 1], x[1, 4:7, 2:5].ravel())


def test_max_pool_routing_is_the_gradient_of_max_pool():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(2, 5, 5, 2))            # 5 = 2*2 + 1: the border row is dropped
    M, arg = max_pool(A, 2)
    assert M.shape == (2, 2, 2, 2)
    G = rng.normal(size=M.shape)
    dA = max_pool_backward(G, arg, 2, A.shape)
    num = numeric_grad(lambda: float((max_pool(A, 2)[0] * G).sum()), A)
    np.testing.assert_allclose(dA, num, atol=1e-8)
    assert (dA[:, 4, :, :] == 0).all() and (dA[:, :, 4, :] == 0).all()
    assert (dA != 0).sum() == M.size


@pytest.mark.parametrize("activation,k,s,p", [("relu", 3, 1, 2), ("sigmoid", 3, 2, 2),
                                              ("identity", 2, 1, 3)])
def test_backprop_matches_finite_differences(activation, k, s, p):
    rng = np.random.default_rng(3)
    net = ConvNet((9, 9), kernel=k, stride=s, pool=p, n_classes=3, activation=activation,
                  dtype="float64", sigma=0.5, random_state=0).init_random()
    net.conv_bias[:] = rng.normal(size=2) * 0.1
    X, y = rng.random((4, 81)), rng.integers(0, 3, 4)
    _, grads = net.loss_and_grad(X, y)
    for prm, g in zip(net.params, grads):
        num = numeric_grad(lambda: net.loss_and_grad(X, y)[0], prm)
        np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-8)


def _stripes(n=90, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    X = rng.random((n, 8, 8)) * 0.3
    for i, c in enumerate(y):
        if c == 0:
            X[i, :, 2] = 1
        elif c == 1:
            X[i, 3, :] = 1
    return X.reshape(n, -1).astype(np.float32), y


def test_training_seed_save_load(tmp_path):
    X, y = _stripes()
    kw = dict(kernel=3, pool=2, n_classes=3, n_epochs=8, learning_rate=0.1, random_state=0)
    a = ConvNet((8, 8), **kw).fit(X, y, X_val=X, y_val=y)
    b = ConvNet((8, 8), **kw).fit(X, y)
    np.testing.assert_array_equal(a.K, b.K)
    assert a.score(X, y) > 0.9 and a.history_["val_loss"][-1] < a.history_["val_loss"][0]
    c = ConvNet.load(a.save(tmp_path / "cnn.npz"))
    np.testing.assert_array_equal(c.predict_proba(X), a.predict_proba(X))
    assert c.history_ == a.history_ and c.image_shape == (8, 8)
    with pytest.raises(ModelLoadError):
        ConvNet.load(tmp_path / "none.npz")


def test_bad_input():
    X, y = _stripes()
    net = ConvNet((8, 8), kernel=3, n_classes=3, n_epochs=1, random_state=0).fit(X, y)
    with pytest.raises(CardinalityError):
        net.predict(X[:, :50])
    with pytest.raises(EvidenceError):
        net.predict(X + 2)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(EvidenceError):
        net.predict(bad)
    with pytest.raises(ParameterError):
        ConvNet((8, 8), kernel=9).fit(X, y)
    with pytest.raises(ParameterError):
        ConvNet((8, 8), activation="tanh").fit(X, y)
