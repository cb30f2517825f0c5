"""Autoencoder and denoising autoencoder: gradients, training, seeds, save/load, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from pgm.exceptions import CardinalityError, EvidenceError, ModelLoadError, ParameterError
from pgm.models.autoencoder import Autoencoder, DenoisingAutoencoder


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


def _same_run(a, b) -> None:
    """Bit-identical parameters, momentum buffers and history (timings aside)."""
    assert a.epoch_ == b.epoch_
    for p, q in zip(a.params + list(a.velocity_), b.params + list(b.velocity_)):
        assert np.array_equal(p, q)
    for key in a.history_:
        if key != "seconds":
            assert a.history_[key] == b.history_[key]


@pytest.mark.parametrize("cls", [Autoencoder, DenoisingAutoencoder])
def test_interrupted_then_resumed_equals_uninterrupted(tmp_path, monkeypatch, cls):
    X = _data(120, 12)
    kw = dict(batch_size=16, learning_rate=0.3, random_state=3, monitor_size=50)
    full = cls(5, n_epochs=4, **kw).fit(X, X_val=X[:30])
    ckpt = tmp_path / "ck.npz"
    steps, orig = [], cls._step

    def interrupted(self, grads):          # the run is killed in the middle of epoch 3
        steps.append(1)
        if len(steps) == 2 * 8 + 3:
            raise KeyboardInterrupt
        orig(self, grads)

    monkeypatch.setattr(cls, "_step", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cls(5, n_epochs=4, checkpoint=ckpt, **kw).fit(X, X_val=X[:30])
    monkeypatch.undo()
    assert cls.load(ckpt).epoch_ == 2 and not list(tmp_path.glob(".*tmp*"))
    resumed = cls(5, n_epochs=4, checkpoint=ckpt, resume=True, **kw).fit(X, X_val=X[:30])
    _same_run(full, resumed)
    _same_run(full, cls.load(ckpt))                    # the checkpoint follows to the end
    # without a checkpoint file, resume starts afresh
    fresh = cls(5, n_epochs=4, checkpoint=tmp_path / "new.npz", resume=True, **kw)
    _same_run(full, fresh.fit(X, X_val=X[:30]))


def test_resume_refuses_a_checkpoint_of_another_run(tmp_path):
    X = _data(60, 12)
    ckpt = tmp_path / "ck.npz"
    Autoencoder(5, n_epochs=1, checkpoint=ckpt, random_state=0).fit(X)
    with pytest.raises(ParameterError, match="learning_rate"):
        Autoencoder(5, n_epochs=2, learning_rate=0.5, checkpoint=ckpt, resume=True,
                    random_state=0).fit(X)
    with pytest.raises(ParameterError, match="random_state"):
        Autoencoder(5, n_epochs=2, checkpoint=ckpt, resume=True, random_state=1).fit(X)
    with pytest.raises(CardinalityError, match="12 input features"):
        Autoencoder(5, n_epochs=2, checkpoint=ckpt, resume=True, random_state=0).fit(X[:, :8])
    with pytest.raises(ModelLoadError):              # another model's file
        DenoisingAutoencoder(5, n_epochs=2, checkpoint=ckpt, resume=True).fit(X)
