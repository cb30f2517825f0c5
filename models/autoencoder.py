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

Training, checkpoints and the estimator conventions come from
:mod:`pgm.models._training` (shared with the RBM, the classifier and the CNN).

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
from pathlib import Path

import numpy as np

from pgm._math import expit, softplus
from pgm.exceptions import ModelLoadError
from pgm.models import _training as training
from pgm.models.rbm import check_data
from pgm.validation import check_float

__all__ = ["Autoencoder", "DenoisingAutoencoder", "AE_HISTORY_KEYS"]

#: per-epoch history columns of the autoencoders
AE_HISTORY_KEYS = ("epoch", "train_recon", "val_recon", "seconds")


# ------------------------------------------------------------------- model
_PARAMS = ("n_hidden", "learning_rate", "momentum", "batch_size", "n_epochs", "sigma",
           "weight_decay", "dropout", "dtype", "monitor_size")
_ARRAYS = ("W", "hidden_bias", "U", "visible_bias")
#: dtypes and shapes of the arrays of a saved autoencoder (D inputs, P hidden units)
_SCHEMA = training.with_velocities({"W": (np.floating, ("D", "P")), "hidden_bias": (np.floating, ("P",)),
                           "U": (np.floating, ("P", "D")),
                           "visible_bias": (np.floating, ("D",))}, _ARRAYS)
#: attributes a checkpoint restores
_STATE = ("W_", "hidden_bias_", "U_", "visible_bias_", "velocity_", "seed_", "epoch_", "history_")


class Autoencoder(training.TrainableEstimator):
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
        Seed of the run (:func:`pgm.validation.resolve_seed`; kept in ``seed_``).
    checkpoint : path, optional
        File rewritten atomically after every epoch (parameters, momentum buffers,
        seed, history).
    resume : bool
        If ``checkpoint`` exists, :meth:`fit` continues from it up to ``n_epochs`` in
        all, with the same result as an uninterrupted run; otherwise it starts afresh.

    Attributes
    ----------
    W_, hidden_bias_, U_, visible_bias_ : arrays
        Encoder ``(D, P)``, ``c``, decoder ``(P, D)``, ``b`` (also readable without the
        underscore: ``W``, ``hidden_bias``, ``U``, ``visible_bias``).
    velocity_ : list of arrays
        Momentum buffers, one per parameter.
    seed_, epoch_ : int
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
    _fitted_attr = "W_"

    def __init__(self, n_hidden: int = 100, *, learning_rate: float = 0.1,
                 momentum: float = 0.5, batch_size: int = 20, n_epochs: int = 10,
                 sigma: float = 0.1, weight_decay: float = 0.0, dropout: float = 0.0,
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
        self.dropout = dropout
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
        training.check_sgd_params(self, ("n_hidden", "batch_size", "n_epochs", "monitor_size"),
                         ("learning_rate", "sigma", "weight_decay"))
        check_float("dropout", self.dropout, minimum=0, maximum=1, include_maximum=False)

    def _init_state(self, D: int) -> None:
        self.seed_ = self._resolve_seed()
        rng = np.random.default_rng([self.seed_, 0])
        P, dt = int(self.n_hidden), self._dt
        self.W_ = rng.normal(0.0, self.sigma, (D, P)).astype(dt)
        self.U_ = rng.normal(0.0, self.sigma, (P, D)).astype(dt)
        self.hidden_bias_ = np.zeros(P, dt)
        self.visible_bias_ = np.zeros(D, dt)
        self.velocity_ = [np.zeros_like(p) for p in self.params]
        self.epoch_ = 0
        self.history_ = {k: [] for k in AE_HISTORY_KEYS}

    _parameters = {"W_": "The encoder weights ``(D, P)``", "hidden_bias_": "Hidden biases ``(P,)``",
                   "U_": "The decoder weights ``(P, D)``", "visible_bias_": "Visible biases ``(D,)``"}

    @property
    def n_visible(self) -> int:
        self._fitted()
        return self.W_.shape[0]

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
        return expit(X @ self.W_ + self.hidden_bias_)

    def reconstruct(self, X) -> np.ndarray:
        """``sigmoid(h U + b)`` of the clean input."""
        return expit(self.transform(X) @ self.U_ + self.visible_bias_)

    def reconstruction_error(self, X) -> np.ndarray:
        """Cross-entropy of the reconstruction per row (nats, float64, clean input)."""
        X = self._x(X)
        x = (self.transform(X) @ self.U_ + self.visible_bias_).astype(np.float64)
        return (softplus(x) - X * x).sum(axis=1)

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
        h = expit(Xi @ self.W_ + self.hidden_bias_)
        x = h @ self.U_ + self.visible_bias_
        loss = float((softplus(x.astype(np.float64)) - X * x).sum() / n)
        dx = ((expit(x) - X) / n).astype(self._dt)          # d loss / d logits
        dU = h.T @ dx
        db = dx.sum(axis=0)
        da = (dx @ self.U_.T) * h * (1 - h)
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
        if not training.resume_state(self, X.shape[1], _PARAMS, _STATE):
            self._init_state(X.shape[1])
        Xv = None if X_val is None else self._x(X_val, "X_val")
        n = X.shape[0]
        mon = np.random.default_rng([self.seed_, 3]).permutation(n)[:self.monitor_size]

        def step(epoch: int, bar) -> dict[str, float]:
            noise = np.random.default_rng([self.seed_, 2, epoch])
            total = 0.0
            for _, rows in training.minibatches(n, self.batch_size, self.seed_, epoch):
                xb = X[rows]
                loss, grads = self.loss_and_grad(xb, self._corrupt(xb, noise))
                total += loss * len(rows)
                self._step(grads)
                bar.update()
            return {"train_loss": total / n}

        def monitor() -> dict[str, float]:
            return {"train_recon": float(self.reconstruction_error(X[mon]).mean()),
                    "val_recon": (math.nan if Xv is None else
                                  float(self.reconstruction_error(Xv[:self.monitor_size]).mean()))}

        training.train_epochs(self, step, n_epochs=self.n_epochs, n_batches=-(-n // int(self.batch_size)),
                     history_keys=AE_HISTORY_KEYS, monitor=monitor, checkpoint=self.checkpoint,
                     verbose=self.verbose)
        return self

    def _step(self, grads: list[np.ndarray]) -> None:
        from pgm.models.sgd import momentum_descent

        momentum_descent(self.params, grads, self.velocity_, learning_rate=self.learning_rate,
                         momentum=self.momentum, weight_decay=self.weight_decay)

    # --------------------------------------------------------------- files
    def save(self, path: str | os.PathLike) -> Path:
        """Write parameters, momentum buffers, hyperparameters and history to ``.npz``
        (atomic, no pickle)."""
        return training.save_training_state(self, path, _ARRAYS, _PARAMS)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Autoencoder:
        """A model written by :meth:`save` (the class must match the file).

        A missing, damaged or inconsistent file (shapes, dtypes, non-finite values,
        hyperparameters) raises :class:`~pgm.exceptions.ModelLoadError`."""
        arrays, meta = training.read_model_npz(path, cls._format, _ARRAYS, schema=_SCHEMA)
        obj = training.model_from_meta(cls, path, **training.meta_params(meta, path, _PARAMS))
        obj.W_, obj.hidden_bias_, obj.U_, obj.visible_bias_ = training.model_arrays(
            arrays, _ARRAYS, obj._dt, path)
        if obj.W_.shape[1] != obj.n_hidden:
            raise ModelLoadError(f"{path}: W has {obj.W_.shape[1]} hidden units but the file's "
                                 f"n_hidden is {obj.n_hidden}")
        training.restore_training_state(obj, arrays, meta, _ARRAYS, AE_HISTORY_KEYS, path)
        return obj


class DenoisingAutoencoder(Autoencoder):
    """:class:`Autoencoder` trained on inputs with ``dropout`` (default 10%) of pixels zeroed.

    Examples
    --------
    >>> DenoisingAutoencoder(n_hidden=5).dropout
    0.1
    """

    _format = "pgm-denoising-autoencoder"

    def __init__(self, n_hidden: int = 100, *, learning_rate: float = 0.1,
                 momentum: float = 0.5, batch_size: int = 20, n_epochs: int = 10,
                 sigma: float = 0.1, weight_decay: float = 0.0, dropout: float = 0.1,
                 dtype: str = "float32", monitor_size: int = 1000, verbose: bool = False,
                 random_state=None, checkpoint: str | os.PathLike | None = None,
                 resume: bool = False) -> None:
        super().__init__(n_hidden, learning_rate=learning_rate, momentum=momentum,
                         batch_size=batch_size, n_epochs=n_epochs, sigma=sigma,
                         weight_decay=weight_decay, dropout=dropout, dtype=dtype,
                         monitor_size=monitor_size, verbose=verbose, random_state=random_state,
                         checkpoint=checkpoint, resume=resume)
