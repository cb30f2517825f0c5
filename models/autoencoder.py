"""Autoencoders with sigmoid hidden units and a cross-entropy reconstruction loss.

An :class:`Autoencoder` maps ``v`` in ``[0, 1]^D`` to ``h = sigmoid(v W + c)`` and back
to ``r = sigmoid(h U + b)`` (untied encoder ``W`` (D, P) and decoder ``U`` (P, D));
the loss of one image is the cross-entropy ``-sum_i [v_i log r_i + (1 - v_i) log(1 - r_i)]``,
computed from the logits.  :class:`DenoisingAutoencoder` feeds the encoder a copy of
``v`` with a fraction ``dropout`` (10% by default) of the pixels set to 0 and still
reconstructs the clean ``v``.

Training: minibatch SGD with momentum, ``N(0, sigma^2)`` initial weights (0.1), float32,
every random draw from ``default_rng([seed, purpose, epoch])`` so a seed fixes the run;
one history row per epoch; ``.npz`` save/load without pickle (JSON metadata); an
optional ``checkpoint`` file rewritten atomically after every epoch (parameters,
momentum buffers, history) from which ``resume=True`` continues exactly as an
uninterrupted run would.

This module also holds the ``.npz`` helpers :func:`write_model_npz` and
:func:`read_model_npz` shared with :mod:`pgm.models.classifier` and
:mod:`pgm.models.convnet`.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> X = (rng.random((100, 16)) < 0.3).astype(np.float32)
>>> ae = Autoencoder(n_hidden=4, n_epochs=2, random_state=0).fit(X)
>>> ae.transform(X[:3]).shape, len(ae.history_["train_recon"])
((3, 4), 2)
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from pgm.models.rbm import _expit, _softplus, check_data

from pgm.exceptions import ModelLoadError, ParameterError
from pgm.files import read_npz_model, write_npz_model

__all__ = ["Autoencoder", "DenoisingAutoencoder", "AE_HISTORY_KEYS", "read_model_npz",
           "write_model_npz", "velocity_arrays", "restore_velocity", "resume_state",
           "save_training_state", "restore_training_state"]

FORMAT_VERSION = 1

#: per-epoch history columns of the autoencoders
AE_HISTORY_KEYS = ("epoch", "train_recon", "val_recon", "seconds")


# ------------------------------------------------------------------ npz files
def write_model_npz(path: str | os.PathLike, arrays: Mapping[str, np.ndarray],
                    meta: dict) -> Path:
    """Write ``arrays`` plus JSON ``meta`` (:func:`pgm.files.write_npz_model`)."""
    return write_npz_model(path, arrays, meta)


def read_model_npz(path: str | os.PathLike, fmt: str, required: tuple[str, ...]
                   ) -> tuple[dict[str, np.ndarray], dict]:
    """Read a file of :func:`write_model_npz` (:func:`pgm.files.read_npz_model`)."""
    return read_npz_model(path, fmt, required, version=FORMAT_VERSION)


def seed_from(random_state) -> int:
    """An integer seed from ``random_state`` (int, None, Generator, RandomState)."""
    from pgm.models.rbm import _seed_from

    return _seed_from(random_state)


def check_hyper(obj, ints: tuple[str, ...], floats: tuple[str, ...]) -> None:
    """Validate positive integers and finite non-negative floats; momentum in [0, 1)."""
    from pgm.inference.compiled import check_positive_int

    for name in ints:
        check_positive_int(name, getattr(obj, name), 0 if name == "n_epochs" else 1)
    for name in floats:
        val = getattr(obj, name)
        if not (isinstance(val, (int, float, np.integer, np.floating)) and math.isfinite(val)
                and val >= 0):
            raise ParameterError(f"{name} must be a finite number >= 0, got {val!r}")
    mu = getattr(obj, "momentum", 0.0)
    if not 0 <= mu < 1:
        raise ParameterError(f"momentum must be in [0, 1), got {mu!r}")
    if str(getattr(obj, "dtype", "float32")) not in ("float32", "float64"):
        raise ParameterError(f"dtype must be 'float32' or 'float64', got {obj.dtype!r}")


def velocity_arrays(names: tuple[str, ...], velocity: list[np.ndarray]) -> dict[str, np.ndarray]:
    """The momentum buffers as ``.npz`` arrays ``velocity_<name>`` (for checkpoints).

    Examples
    --------
    >>> sorted(velocity_arrays(("W", "b"), [np.zeros((2, 2)), np.zeros(2)]))
    ['velocity_W', 'velocity_b']
    """
    return {f"velocity_{n}": v for n, v in zip(names, velocity)}


def restore_velocity(arrays: Mapping[str, np.ndarray], names: tuple[str, ...],
                     params: list[np.ndarray], path: str | os.PathLike) -> list[np.ndarray]:
    """Momentum buffers read from ``arrays`` (zeros where a file has none, as older ones).

    Raises :class:`~pgm.exceptions.ModelLoadError` when a buffer's shape differs from
    its parameter's.

    Examples
    --------
    >>> v = restore_velocity({"velocity_W": np.ones((2, 2))}, ("W", "b"),
    ...                      [np.zeros((2, 2)), np.zeros(2)], "m.npz")
    >>> [float(a.sum()) for a in v]
    [4.0, 0.0]
    """
    out = []
    for n, p in zip(names, params):
        u = arrays.get(f"velocity_{n}")
        u = np.zeros_like(p) if u is None else np.array(u, dtype=p.dtype)
        if u.shape != p.shape:
            raise ModelLoadError(f"{path}: velocity_{n} has shape {u.shape}, expected {p.shape}")
        out.append(u)
    return out


def save_training_state(model, path: str | os.PathLike, array_names: tuple[str, ...],
                        param_names: tuple[str, ...], **extra_meta) -> Path:
    """Write an SGD-trained model to ``.npz`` (atomic, no pickle): its ``params`` under
    ``array_names``, their momentum buffers, the hyperparameters ``param_names``, seed,
    epoch counter, history and ``extra_meta`` (the autoencoders, the classifier and the
    CNN share this layout; :func:`restore_training_state` reads the training part back).

    Examples
    --------
    >>> import tempfile, os
    >>> ae = Autoencoder(3, n_epochs=1, random_state=0).fit(np.eye(4))
    >>> path = save_training_state(ae, os.path.join(tempfile.mkdtemp(), "ae.npz"),
    ...                            ("W", "hidden_bias", "U", "visible_bias"), ("n_hidden",))
    >>> Autoencoder.load(path).epoch_
    1
    """
    model._fitted()
    meta: dict[str, Any] = {
        "format": model._format, "version": FORMAT_VERSION, "seed": int(model.seed_),
        "epoch": int(model.epoch_), "params": {k: getattr(model, k) for k in param_names},
        "history": {k: [float(x) for x in v] for k, v in model.history_.items()}, **extra_meta}
    return write_model_npz(path, {**dict(zip(array_names, model.params)),
                                  **velocity_arrays(array_names, model.velocity_)}, meta)


def restore_training_state(model, arrays: Mapping[str, np.ndarray], meta: dict,
                           array_names: tuple[str, ...], history_keys: tuple[str, ...],
                           path: str | os.PathLike) -> None:
    """Set ``velocity_``, ``seed_``, ``epoch_`` and ``history_`` of a freshly loaded
    ``model`` (its parameters already set) from a file of :func:`save_training_state`.

    Examples
    --------
    >>> ae = Autoencoder(2, n_epochs=1, random_state=0).fit(np.eye(3))
    >>> restore_training_state(ae, {}, {"epoch": 4, "history": {"epoch": [1, 2, 3, 4]}},
    ...                        ("W", "hidden_bias", "U", "visible_bias"), ("epoch",), "m.npz")
    >>> ae.epoch_, ae.history_["epoch"], float(ae.velocity_[0].sum())
    (4, [1.0, 2.0, 3.0, 4.0], 0.0)
    """
    model.velocity_ = restore_velocity(arrays, array_names, model.params, path)
    model.seed_ = int(meta.get("seed", 0))
    model.epoch_ = int(meta.get("epoch", 0))
    hist = meta.get("history") or {}
    model.history_ = {k: [float(x) for x in hist.get(k, [])] for k in history_keys}


def resume_state(model, n_features: int, params: tuple[str, ...], state: tuple[str, ...]) -> bool:
    """Continue ``model`` from its ``checkpoint`` file when ``model.resume`` is set and it exists.

    The file is read with ``type(model).load``; every hyperparameter in ``params``
    except ``n_epochs`` must match ``model``'s (a resumed run must be the run that was
    interrupted), as must the number of input features and an integer
    ``random_state``.  The attributes ``state`` (weights, momentum buffers, seed,
    epoch counter, history) are then copied into ``model``.  Returns True when it
    resumed, False when training should start afresh.

    Raises :class:`~pgm.exceptions.ParameterError` or
    :class:`~pgm.exceptions.CardinalityError` for a checkpoint of another run.

    Examples
    --------
    >>> ae = Autoencoder(3, checkpoint="no-such-file.npz", resume=True)
    >>> resume_state(ae, 5, ("n_hidden",), ("W",))
    False
    """
    from pgm.exceptions import CardinalityError

    path = getattr(model, "checkpoint", None)
    if not (getattr(model, "resume", False) and path and Path(path).exists()):
        return False
    saved = type(model).load(path)
    for name in params:
        if name == "n_epochs":
            continue
        mine, theirs = getattr(model, name), getattr(saved, name)
        if (str(mine) != str(theirs)) if name == "dtype" else (mine != theirs):
            raise ParameterError(f"checkpoint {path} was written with {name}={theirs!r}, this "
                                 f"model has {name}={mine!r}; resume with the same settings "
                                 "or delete the checkpoint")
    if saved.n_features_in_ != n_features:
        raise CardinalityError(f"checkpoint {path} has {saved.n_features_in_} input features "
                               f"but the data has {n_features} columns")
    rs = model.random_state
    if isinstance(rs, (int, np.integer)) and not isinstance(rs, bool) and int(rs) != saved.seed_:
        raise ParameterError(f"checkpoint {path} was written with random_state={saved.seed_}, "
                             f"this model has random_state={rs}")
    for name in state:
        setattr(model, name, getattr(saved, name))
    return True


def progress(total: int, desc: str, verbose: bool):
    """A tqdm bar over minibatches, shown only when ``verbose`` and on a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, leave=False, unit="batch",
                disable=not (verbose and sys.stderr.isatty()))


# ------------------------------------------------------------------- model
_PARAMS = ("n_hidden", "learning_rate", "momentum", "batch_size", "n_epochs", "sigma",
           "weight_decay", "dropout", "dtype", "monitor_size")
_ARRAYS = ("W", "hidden_bias", "U", "visible_bias")
#: attributes a checkpoint restores
_STATE = ("W", "hidden_bias", "U", "visible_bias", "velocity_", "seed_", "epoch_", "history_")


class Autoencoder:
    """One-hidden-layer autoencoder (sigmoid units, cross-entropy loss), SGD with momentum.

    Parameters
    ----------
    n_hidden : int
        Hidden units ``P`` (default 100).
    learning_rate : float
        Step size on the minibatch-mean gradient (default 0.1).
    momentum : float
        ``vel = mu vel - lr (grad + weight_decay W)``; ``param += vel`` (default 0.5).
    batch_size, n_epochs : int
    sigma : float
        Standard deviation of the initial weights (0.1).
    weight_decay : float
        L2 penalty on the weight matrices.
    dropout : float
        Fraction of input pixels zeroed in training (0: plain autoencoder).
    dtype : {"float32", "float64"}
    monitor_size : int
        Rows (training and validation) used for the per-epoch errors.
    verbose : bool
        Progress bar on a terminal.
    random_state : int, None or Generator
    checkpoint : path, optional
        File rewritten atomically after every epoch (parameters, momentum buffers,
        seed, history).
    resume : bool
        If ``checkpoint`` exists, :meth:`fit` continues from it up to ``n_epochs`` in
        all, with the same result as an uninterrupted run; otherwise it starts afresh.

    Attributes
    ----------
    W, hidden_bias, U, visible_bias : arrays
        Encoder ``(D, P)``, ``c``, decoder ``(P, D)``, ``b``.
    history_ : dict of lists
        :data:`AE_HISTORY_KEYS`, one entry per epoch; ``*_recon`` in nats per image.

    Examples
    --------
    >>> X = (np.random.default_rng(1).random((50, 9)) < 0.5).astype(np.float32)
    >>> ae = Autoencoder(n_hidden=3, n_epochs=1, random_state=0).fit(X)
    >>> ae.reconstruction_error(X).shape
    (50,)
    """

    _format = "pgm-autoencoder"
    _default_dropout = 0.0

    def __init__(self, n_hidden: int = 100, *, learning_rate: float = 0.1,
                 momentum: float = 0.5, batch_size: int = 20, n_epochs: int = 10,
                 sigma: float = 0.1, weight_decay: float = 0.0, dropout: float | None = None,
                 dtype: str = "float32", monitor_size: int = 1000, verbose: bool = False,
                 random_state=None, checkpoint: str | os.PathLike | None = None,
                 resume: bool = False) -> None:
        self.n_hidden = n_hidden
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.batch_size = batch_size
        self.n_epochs = n_epochs
        self.sigma = sigma
        self.weight_decay = weight_decay
        self.dropout = self._default_dropout if dropout is None else dropout
        self.dtype = dtype
        self.monitor_size = monitor_size
        self.verbose = verbose
        self.random_state = random_state
        self.checkpoint = checkpoint
        self.resume = resume

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(n_hidden={self.n_hidden}, dropout={self.dropout}, "
                f"n_epochs={self.n_epochs})")

    # -------------------------------------------------------------- state
    def _check_params(self) -> None:
        check_hyper(self, ("n_hidden", "batch_size", "n_epochs", "monitor_size"),
                    ("learning_rate", "sigma", "weight_decay"))
        if not (isinstance(self.dropout, (int, float)) and 0 <= self.dropout < 1):
            raise ParameterError(f"dropout must be in [0, 1), got {self.dropout!r}")

    @property
    def _dt(self) -> np.dtype:
        return np.dtype(str(self.dtype))

    def _init_state(self, D: int) -> None:
        self.seed_ = seed_from(self.random_state)
        rng = np.random.default_rng([self.seed_, 0])
        P, dt = int(self.n_hidden), self._dt
        self.W = rng.normal(0.0, self.sigma, (D, P)).astype(dt)
        self.U = rng.normal(0.0, self.sigma, (P, D)).astype(dt)
        self.hidden_bias = np.zeros(P, dt)
        self.visible_bias = np.zeros(D, dt)
        self.velocity_ = [np.zeros_like(p) for p in self.params]
        self.epoch_ = 0
        self.history_ = {k: [] for k in AE_HISTORY_KEYS}

    @property
    def params(self) -> list[np.ndarray]:
        """``[W, hidden_bias, U, visible_bias]`` (the arrays, not copies)."""
        return [self.W, self.hidden_bias, self.U, self.visible_bias]

    def _fitted(self) -> None:
        if "W" not in self.__dict__:
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit first")

    @property
    def n_visible(self) -> int:
        self._fitted()
        return self.W.shape[0]

    @property
    def n_features_in_(self) -> int:
        """Input features (``D``), as in scikit-learn."""
        return self.n_visible

    def _x(self, X, name: str = "X") -> np.ndarray:
        return check_data(X, n_features=self.n_visible, name=name, dtype=self._dt)

    # ------------------------------------------------------------ forward
    def transform(self, X) -> np.ndarray:
        """Hidden activations ``sigmoid(X W + c)``."""
        X = self._x(X)
        return _expit(X @ self.W + self.hidden_bias)

    def reconstruct(self, X) -> np.ndarray:
        """``sigmoid(h U + b)`` of the clean input."""
        return _expit(self.transform(X) @ self.U + self.visible_bias)

    def reconstruction_error(self, X) -> np.ndarray:
        """Cross-entropy of the reconstruction per row (nats, float64, clean input)."""
        X = self._x(X)
        x = (self.transform(X) @ self.U + self.visible_bias).astype(np.float64)
        return (_softplus(x) - X * x).sum(axis=1)

    def loss_and_grad(self, X, X_in=None) -> tuple[float, list[np.ndarray]]:
        """Mean cross-entropy over rows of ``X`` reconstructed from ``X_in`` (default ``X``)
        and its gradient with respect to :attr:`params` (same order).

        Examples
        --------
        >>> ae = Autoencoder(2, dtype="float64", random_state=0)
        >>> ae._init_state(3)
        >>> loss, grads = ae.loss_and_grad(np.array([[0.0, 1.0, 1.0]]))
        >>> [g.shape for g in grads]
        [(3, 2), (2,), (2, 3), (3,)]
        """
        X = self._x(X)
        Xi = X if X_in is None else self._x(X_in, "X_in")
        n = X.shape[0]
        h = _expit(Xi @ self.W + self.hidden_bias)
        x = h @ self.U + self.visible_bias
        loss = float((_softplus(x.astype(np.float64)) - X * x).sum() / n)
        dx = ((_expit(x) - X) / n).astype(self._dt)          # d loss / d logits
        dU = h.T @ dx
        db = dx.sum(axis=0)
        da = (dx @ self.U.T) * h * (1 - h)
        dW = Xi.T @ da
        dc = da.sum(axis=0)
        return loss, [dW, dc, dU, db]

    # ------------------------------------------------------------ training
    def _corrupt(self, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if self.dropout <= 0:
            return X
        return X * (rng.random(X.shape) >= self.dropout).astype(X.dtype)

    def fit(self, X, y=None, X_val=None) -> Autoencoder:
        """Train for ``n_epochs`` epochs from a fresh initialization (or, with ``resume``,
        continue from ``checkpoint`` up to ``n_epochs`` in all).

        ``X_val``: optional validation rows for the per-epoch ``val_recon``.
        """
        self._check_params()
        X = check_data(X, dtype=self._dt)
        if not resume_state(self, X.shape[1], _PARAMS, _STATE):
            self._init_state(X.shape[1])
        Xv = None if X_val is None else self._x(X_val, "X_val")
        n, bs = X.shape[0], int(self.batch_size)
        nb = -(-n // bs)
        mon = np.random.default_rng([self.seed_, 3]).permutation(n)[:self.monitor_size]
        for epoch in range(self.epoch_, int(self.n_epochs)):
            t0 = time.perf_counter()
            perm = np.random.default_rng([self.seed_, 1, epoch]).permutation(n)
            noise = np.random.default_rng([self.seed_, 2, epoch])
            with progress(nb, f"epoch {epoch + 1}/{self.n_epochs}", self.verbose) as bar:
                for bi in range(nb):
                    xb = X[perm[bi * bs:(bi + 1) * bs]]
                    _, grads = self.loss_and_grad(xb, self._corrupt(xb, noise))
                    self._step(grads)
                    bar.update()
            if not all(np.isfinite(p).all() for p in self.params):
                from pgm.models.rbm import TrainingDivergedError

                raise TrainingDivergedError(
                    f"training diverged in epoch {epoch + 1} (learning_rate="
                    f"{self.learning_rate} is probably too large)")
            self.epoch_ = epoch + 1
            rec = {"epoch": epoch + 1,
                   "train_recon": float(self.reconstruction_error(X[mon]).mean()),
                   "val_recon": (math.nan if Xv is None else
                                 float(self.reconstruction_error(Xv[:self.monitor_size]).mean())),
                   "seconds": time.perf_counter() - t0}
            for k in AE_HISTORY_KEYS:
                self.history_[k].append(rec[k])
            if self.checkpoint:
                self.save(self.checkpoint)
        return self

    def _step(self, grads: list[np.ndarray]) -> None:
        from pgm.inference.sgd import momentum_descent

        momentum_descent(self.params, grads, self.velocity_, learning_rate=self.learning_rate,
                         momentum=self.momentum, weight_decay=self.weight_decay)

    # --------------------------------------------------------------- files
    def save(self, path: str | os.PathLike) -> Path:
        """Write parameters, momentum buffers, hyperparameters and history to ``.npz``
        (atomic, no pickle)."""
        return save_training_state(self, path, _ARRAYS, _PARAMS)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Autoencoder:
        """A model written by :meth:`save` (the class must match the file)."""
        arrays, meta = read_model_npz(path, cls._format, ("W", "hidden_bias", "U",
                                                          "visible_bias"))
        params = {k: v for k, v in meta.get("params", {}).items() if k in _PARAMS}
        obj = cls(**params)
        dt = obj._dt
        obj.W, obj.hidden_bias, obj.U, obj.visible_bias = (
            np.ascontiguousarray(arrays[k], dtype=dt)
            for k in ("W", "hidden_bias", "U", "visible_bias"))
        D, P = obj.W.shape
        if obj.U.shape != (P, D) or obj.hidden_bias.shape != (P,) or obj.visible_bias.shape != (D,):
            raise ModelLoadError(f"{path}: inconsistent array shapes")
        restore_training_state(obj, arrays, meta, _ARRAYS, AE_HISTORY_KEYS, path)
        return obj


class DenoisingAutoencoder(Autoencoder):
    """:class:`Autoencoder` trained on inputs with ``dropout`` (default 10%) of pixels zeroed.

    Examples
    --------
    >>> DenoisingAutoencoder(n_hidden=5).dropout
    0.1
    """

    _format = "pgm-denoising-autoencoder"
    _default_dropout = 0.1
