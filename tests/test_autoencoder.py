"""Autoencoder and denoising autoencoder: gradients, training, seeds, save/load, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from pgm.models.autoencoder import Autoencoder, DenoisingAutoencoder

from pgm.exceptions import CardinalityError, EvidenceError, ModelLoadError, ParameterError


def _data(n=80, d=12, seed=0):
    return (np.random.default_rng(seed).random((n, d)) < 0.35).astype(np.float32)


def numeric_grad(f, p, eps=1e-6):
    g = np.zeros_like(p)
    it = np.nditer(p, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = p[i]
        p[i] = old + eps
        fp = f()
        p[i] = old - eps
        fm = f()
        p[i] = old
        g[i] = (fp - fm) / (2 * eps)
    return g


@pytest.mark.parametrize("corrupt", [False, True])
def test_gradient_matches_finite_differences(corrupt):
    rng = np.random.default_rng(1)
    ae = Autoencoder(4, dtype="float64", random_state=0)
    ae._init_state(6)
    ae.hidden_bias[:] = rng.normal(size=4)
    ae.visible_bias[:] = rng.normal(size=6)
    X = rng.random((5, 6))
    Xin = X * (rng.random(X.shape) > 0.3) if corrupt else None
    _, grads = ae.loss_and_grad(X, Xin)
    for p, g in zip(ae.params, grads):
        num = numeric_grad(lambda: ae.loss_and_grad(X, Xin)[0], p)
        np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-8)


def test_training_reduces_error_and_records_history():
    X = _data(200, 16)
    ae = Autoencoder(8, n_epochs=5, learning_rate=0.5, random_state=0).fit(X, X_val=X[:50])
    h = ae.history_
    assert h["epoch"] == [1, 2, 3, 4, 5]
    assert h["train_recon"][-1] < h["train_recon"][0]
    assert np.isfinite(h["val_recon"]).all()
    assert ae.W.dtype == np.float32 and ae.transform(X).dtype == np.float32


def test_init_is_normal_with_sigma():
    ae = Autoencoder(100, random_state=3)
    ae._init_state(784)
    assert abs(ae.W.std() - 0.1) < 0.005 and abs(ae.W.mean()) < 0.005


def test_seed_reproducible_and_dae_differs():
    X = _data()
    a = Autoencoder(5, n_epochs=2, random_state=7).fit(X)
    b = Autoencoder(5, n_epochs=2, random_state=7).fit(X)
    np.testing.assert_array_equal(a.W, b.W)
    d = DenoisingAutoencoder(5, n_epochs=2, random_state=7).fit(X)
    assert d.dropout == 0.1 and not np.array_equal(a.W, d.W)
    assert DenoisingAutoencoder(5, dropout=0.3).dropout == 0.3


def test_save_load_round_trip(tmp_path):
    X = _data()
    d = DenoisingAutoencoder(5, n_epochs=2, dropout=0.2, random_state=1).fit(X, X_val=X)
    p = d.save(tmp_path / "dae.npz")
    e = DenoisingAutoencoder.load(p)
    assert type(e) is DenoisingAutoencoder and e.dropout == 0.2
    np.testing.assert_array_equal(e.reconstruct(X), d.reconstruct(X))
    assert e.history_ == d.history_
    with pytest.raises(ModelLoadError):
        Autoencoder.load(p)                       # another format
    with pytest.raises(ModelLoadError):
        Autoencoder.load(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelLoadError):
        Autoencoder.load(tmp_path / "junk.npz")


def test_bad_input():
    X = _data()
    ae = Autoencoder(3, n_epochs=1, random_state=0).fit(X)
    with pytest.raises(CardinalityError):
        ae.transform(X[:, :5])
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(EvidenceError):
        ae.reconstruction_error(bad)
    with pytest.raises(EvidenceError):
        Autoencoder(3).fit(X * 255)
    with pytest.raises(ParameterError):
        Autoencoder(3, dropout=1.5).fit(X)
    with pytest.raises(ParameterError):
        Autoencoder(0).fit(X)
