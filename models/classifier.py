"""One-hidden-layer classifier: sigmoid hidden units, softmax output, cross-entropy loss.

``h = sigmoid(X W + c)``, ``p = softmax(h V + d)``, loss ``-mean log p[y]``.  With
``z = h V + d`` the gradient of the loss of one example is ``dL/dz = p - onehot(y)``
(softmax and cross-entropy together, as in the seed's Problem 1), back-propagated
through the sigmoid as ``dL/da = (dL/dz V^T) * h (1 - h)``.

The first layer can start from a pretrained model (:meth:`PretrainableClassifier.init_from`):
an RBM (``W``, hidden biases), a :class:`~pgm.models.rbm.BernoulliRBM`, an
:class:`~pgm.models.autoencoder.Autoencoder` or a denoising one (encoder ``W`` and
biases); otherwise ``N(0, sigma^2)`` weights.  Minibatch SGD with momentum; one
history row per epoch (validation accuracy and cross-entropy); ``.npz`` save/load; an
optional per-epoch ``checkpoint`` (atomic) from which ``resume=True`` continues exactly
as an uninterrupted run would.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> X = rng.random((60, 8)).astype(np.float32); y = (X[:, 0] > 0.5).astype(int)
>>> clf = PretrainableClassifier(n_hidden=5, n_classes=2, n_epochs=3, random_state=0).fit(X, y)
>>> clf.predict(X[:4]).shape
(4,)
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from pgm._math import expit, logsumexp
from pgm.exceptions import CardinalityError, EvidenceError, ModelLoadError, ParameterError
from pgm.models import _training as training
from pgm.models.rbm import check_data

__all__ = ["PretrainableClassifier", "CLF_HISTORY_KEYS", "check_labels", "softmax_cross_entropy",
           "train_sgd_epochs"]

#: per-epoch history columns of the classifier
CLF_HISTORY_KEYS = ("epoch", "train_loss", "val_loss", "val_accuracy", "seconds")

_PARAMS = ("n_hidden", "n_classes", "learning_rate", "momentum", "batch_size", "n_epochs",
           "sigma", "weight_decay", "dtype")
_ARRAYS = ("W", "hidden_bias", "V", "output_bias")
#: dtypes and shapes of the arrays of a saved classifier (D inputs, H hidden units, K classes)
_SCHEMA = training.with_velocities({"W": (np.floating, ("D", "H")), "hidden_bias": (np.floating, ("H",)),
                           "V": (np.floating, ("H", "K")),
                           "output_bias": (np.floating, ("K",))}, _ARRAYS)
#: attributes a checkpoint restores
_STATE = ("W_", "hidden_bias_", "V_", "output_bias_", "velocity_", "seed_", "epoch_",
          "history_", "init_")


def check_labels(y, n: int, n_classes: int, name: str = "y") -> np.ndarray:
    """Integer labels ``0 .. n_classes - 1``, one per row.

    Examples
    --------
    >>> check_labels([0, 2], 2, 3).tolist()
    [0, 2]
    """
    a = np.asarray(y)
    if a.ndim != 1 or a.shape[0] != n:
        raise CardinalityError(f"{name} must hold one label per row ({n}), got shape {a.shape}")
    if a.dtype.kind == "f":
        if not np.isfinite(a).all() or (a != np.round(a)).any():
            raise EvidenceError(f"{name} must hold integer class labels")
    elif a.dtype.kind not in "iu":
        raise EvidenceError(f"{name} must hold integer class labels, got dtype {a.dtype}")
    a = a.astype(np.int64)
    if a.size and (a.min() < 0 or a.max() >= n_classes):
        raise EvidenceError(f"{name} has labels outside 0..{n_classes - 1}")
    return a


def softmax_cross_entropy(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Mean cross-entropy of softmax(``z``) against labels ``y``, the probabilities and
    ``dL/dz = (p - onehot(y)) / n``.

    Examples
    --------
    >>> loss, p, dz = softmax_cross_entropy(np.zeros((1, 2)), np.array([1]))
    >>> round(loss, 4), dz.tolist()
    (0.6931, [[0.5, -0.5]])
    """
    n = z.shape[0]
    lse = logsumexp(z.astype(np.float64), axis=1, keepdims=True)
    logp = z - lse
    loss = float(-logp[np.arange(n), y].mean())
    p = np.exp(logp)
    dz = p.copy()
    dz[np.arange(n), y] -= 1.0
    return loss, p, (dz / n).astype(z.dtype)


def train_sgd_epochs(model, batch_inputs, y: np.ndarray, X_val, y_val, *, n_epochs: int,
                     learning_rate: float, momentum: float, weight_decay: float = 0.0,
                     checkpoint: str | os.PathLike | None = None) -> None:
    """Minibatch SGD with momentum for a softmax classifier; the one training loop of
    :class:`PretrainableClassifier` and :class:`~pgm.models.convnet.ConvNet`.

    ``model`` provides ``params``, ``velocity_``, ``loss_and_grad(x, y)``, ``seed_``,
    ``epoch_`` (continued from), ``batch_size``, ``verbose``, ``history_``, ``log_loss``
    and ``score``; ``batch_inputs(idx)`` returns the network input of those rows.
    Weight decay applies to the matrices only.  Raises ``TrainingDivergedError`` when
    a parameter becomes non-finite (a ``checkpoint`` then keeps the last good epoch);
    appends one history record per epoch and, with ``checkpoint``, rewrites that file
    (``model.save``, atomic) after every epoch.

    Examples
    --------
    >>> clf = PretrainableClassifier(2, 2, random_state=0).init_random(3)
    >>> X = np.eye(3)[[0, 1, 2, 0]]; y = np.array([0, 1, 1, 0])
    >>> train_sgd_epochs(clf, lambda idx: X[idx], y, None, None, n_epochs=2,
    ...                  learning_rate=0.1, momentum=0.5)
    >>> clf.epoch_, len(clf.history_["train_loss"])
    (2, 2)
    """
    from pgm.models.sgd import momentum_descent

    n = len(y)
    lr, mu, wd = float(learning_rate), float(momentum), float(weight_decay)

    def step(epoch: int, bar) -> dict[str, float]:
        total = 0.0
        for _, idx in training.minibatches(n, model.batch_size, model.seed_, epoch):
            loss, grads = model.loss_and_grad(batch_inputs(idx), y[idx])
            total += loss * len(idx)
            momentum_descent(model.params, grads, model.velocity_, learning_rate=lr,
                             momentum=mu, weight_decay=wd)
            bar.update()
        return {"train_loss": total / n}

    def monitor() -> dict[str, float]:
        return {"val_loss": math.nan if X_val is None else model.log_loss(X_val, y_val),
                "val_accuracy": math.nan if X_val is None else model.score(X_val, y_val)}

    training.train_epochs(model, step, n_epochs=model.epoch_ + int(n_epochs),
                 n_batches=-(-n // int(model.batch_size)), history_keys=CLF_HISTORY_KEYS,
                 monitor=monitor, checkpoint=checkpoint, verbose=model.verbose)


class PretrainableClassifier(training.TrainableEstimator):
    """Sigmoid-hidden, softmax-output network whose hidden layer can start from a
    pretrained RBM or autoencoder (:meth:`init_from`); minibatch SGD with momentum.

    Parameters
    ----------
    n_hidden : int
        Hidden units (default 100).
    n_classes : int
        Output classes (default 10).
    learning_rate, momentum, batch_size, n_epochs, sigma, weight_decay
        SGD settings; ``sigma``: std of random initial weights.
    dtype : {"float32", "float64"}
    verbose : bool
    random_state : int, None or Generator
    checkpoint : path, optional
        File rewritten atomically after every epoch (weights, momentum buffers, seed,
        history, initialization).
    resume : bool
        If ``checkpoint`` exists, :meth:`fit` continues from it up to ``n_epochs`` in
        all (same result as an uninterrupted run; the pretrained ``init`` is then not
        applied again, but its class must match the checkpoint's); otherwise it
        starts afresh.

    Attributes
    ----------
    W_, hidden_bias_, V_, output_bias_ : arrays
        ``(D, H)``, ``(H,)``, ``(H, K)``, ``(K,)`` (also readable without the underscore).
    velocity_ : list of arrays
        Momentum buffers, one per parameter.
    seed_, epoch_ : int
    history_ : dict of lists
        :data:`CLF_HISTORY_KEYS` per epoch.
    init_ : str
        ``"random"`` or the pretrained model's class name.

    Examples
    --------
    >>> X = np.random.default_rng(1).random((30, 4)); y = np.arange(30) % 3
    >>> clf = PretrainableClassifier(n_hidden=2, n_classes=3, n_epochs=1, random_state=0)
    >>> clf.fit(X, y, X_val=X, y_val=y).history_["val_accuracy"][0] <= 1.0
    True
    """

    _format = "pgm-mlp-classifier"
    _fitted_attr = "W_"

    def __init__(self, n_hidden: int = 100, n_classes: int = 10, *,
                 learning_rate: float = 0.1, momentum: float = 0.5, batch_size: int = 20,
                 n_epochs: int = 10, sigma: float = 0.1, weight_decay: float = 0.0,
                 dtype: str = "float32", verbose: bool = False, random_state=None,
                 checkpoint: str | os.PathLike | None = None, resume: bool = False) -> None:
        self.n_hidden = n_hidden
        self.n_classes = n_classes
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.batch_size = batch_size
        self.n_epochs = n_epochs
        self.sigma = sigma
        self.weight_decay = weight_decay
        self.dtype = dtype
        self.verbose = verbose
        self.random_state = random_state
        self.checkpoint = checkpoint
        self.resume = resume

    _parameters = {"W_": "The hidden layer's weights ``(D, H)``", "hidden_bias_": "Hidden biases ``(H,)``",
                   "V_": "The output layer's weights ``(H, K)``", "output_bias_": "Output biases ``(K,)``"}

    @property
    def n_features_in_(self) -> int:
        """Input features ``D``."""
        self._fitted()
        return self.W_.shape[0]

    def _check_params(self) -> None:
        training.check_sgd_params(self, ("n_hidden", "n_classes", "batch_size", "n_epochs"),
                         ("learning_rate", "sigma", "weight_decay"))

    # ------------------------------------------------------------ init
    def init_random(self, n_features: int) -> PretrainableClassifier:
        """``N(0, sigma^2)`` weights for both layers, zero biases."""
        self._check_params()
        self.seed_ = self._resolve_seed()
        rng = np.random.default_rng([self.seed_, 0])
        dt = self._dt
        self.W_ = rng.normal(0, self.sigma, (n_features, self.n_hidden)).astype(dt)
        self.hidden_bias_ = np.zeros(self.n_hidden, dt)
        self.V_ = rng.normal(0, self.sigma, (self.n_hidden, self.n_classes)).astype(dt)
        self.output_bias_ = np.zeros(self.n_classes, dt)
        self.init_ = "random"
        self._reset()
        return self

    def init_from(self, model) -> PretrainableClassifier:
        """Take the first layer from a pretrained ``model``; the output layer is random.

        ``model``: an :class:`~pgm.models.rbm.RBM`, a fitted
        :class:`~pgm.models.rbm.BernoulliRBM`, or a fitted autoencoder (anything with
        ``W`` (D, H) and ``hidden_bias``).  ``H`` must equal ``n_hidden``.

        Examples
        --------
        >>> from pgm.models.rbm import RBM
        >>> clf = PretrainableClassifier(n_hidden=3, n_classes=2).init_from(RBM.random(5, 3))
        >>> clf.W.shape, clf.init_
        ((5, 3), 'RBM')
        """
        src = getattr(model, "rbm_", model)
        W, c = getattr(src, "W", None), getattr(src, "hidden_bias", None)
        if W is None or c is None:
            raise CardinalityError(f"cannot initialize from {type(model).__name__}: it has no "
                                   "W and hidden_bias (is it fitted?)")
        W = np.asarray(W)
        if W.ndim != 2 or W.shape[1] != self.n_hidden:
            raise CardinalityError(f"the pretrained model has W of shape {W.shape}; the "
                                   f"classifier has n_hidden={self.n_hidden}")
        self.init_random(W.shape[0])
        self.W_ = np.array(W, dtype=self._dt)
        self.hidden_bias_ = np.array(c, dtype=self._dt)
        self.init_ = type(model).__name__
        return self

    def _reset(self) -> None:
        self.velocity_ = [np.zeros_like(p) for p in self.params]
        self.epoch_ = 0
        self.history_ = {k: [] for k in CLF_HISTORY_KEYS}

    # ---------------------------------------------------------- forward
    def _x(self, X, name="X") -> np.ndarray:
        self._fitted()
        return check_data(X, n_features=self.W_.shape[0], name=name, dtype=self._dt)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ``(n, n_classes)``."""
        z = (expit(self._x(X) @ self.W_ + self.hidden_bias_) @ self.V_ + self.output_bias_)
        z = z.astype(np.float64)
        return np.exp(z - logsumexp(z, axis=1, keepdims=True))

    def predict(self, X) -> np.ndarray:
        """Most probable class per row."""
        return self.predict_proba(X).argmax(axis=1)

    def score(self, X, y) -> float:
        """Accuracy."""
        X = self._x(X)
        return float((self.predict(X) == check_labels(y, len(X), self.n_classes)).mean())

    def log_loss(self, X, y) -> float:
        """Mean cross-entropy ``-mean log p[y]`` (nats)."""
        X = self._x(X)
        y = check_labels(y, len(X), self.n_classes)
        p = self.predict_proba(X)[np.arange(len(X)), y]
        return float(-np.log(np.maximum(p, 1e-300)).mean())

    def loss_and_grad(self, X, y) -> tuple[float, list[np.ndarray]]:
        """Mean cross-entropy and its gradient with respect to :attr:`params`.

        Examples
        --------
        >>> clf = PretrainableClassifier(2, 3, dtype="float64", random_state=0).init_random(4)
        >>> loss, g = clf.loss_and_grad(np.ones((1, 4)) / 2, np.array([1]))
        >>> [a.shape for a in g]
        [(4, 2), (2,), (2, 3), (3,)]
        """
        X = self._x(X)
        y = check_labels(y, len(X), self.n_classes)
        h = expit(X @ self.W_ + self.hidden_bias_)
        loss, _, dz = softmax_cross_entropy(h @ self.V_ + self.output_bias_, y)
        dV = h.T @ dz
        dd = dz.sum(axis=0)
        da = (dz @ self.V_.T) * h * (1 - h)
        return loss, [X.T @ da, da.sum(axis=0), dV, dd]

    # ---------------------------------------------------------- training
    def fit(self, X, y, X_val=None, y_val=None, *, init=None) -> PretrainableClassifier:
        """Train ``n_epochs`` epochs.

        ``init``: a pretrained model for :meth:`init_from`, ``"keep"`` to continue from
        the current weights (``n_epochs`` more), or None (random).  ``X_val``/``y_val``
        feed the history.  With ``resume`` and an existing ``checkpoint``, training
        continues from it up to ``n_epochs`` in all.
        """
        self._check_params()
        X = check_data(X, dtype=self._dt)
        y = check_labels(y, len(X), self.n_classes)
        n_epochs = int(self.n_epochs)
        keep = isinstance(init, str) and init == "keep"
        if not keep and training.resume_state(self, X.shape[1], _PARAMS, _STATE):
            expected = "random" if init is None else type(init).__name__
            if self.init_ != expected:
                raise ParameterError(f"checkpoint {self.checkpoint} was initialized from "
                                     f"{self.init_!r}, this fit from {expected!r}; resume with "
                                     "the same init or delete the checkpoint")
            n_epochs = max(0, n_epochs - self.epoch_)
        elif init is None:
            self.init_random(X.shape[1])
        elif keep:
            self._fitted()
        else:
            self.init_from(init)
        X = self._x(X)
        Xv = yv = None
        if X_val is not None:
            Xv = self._x(X_val, "X_val")
            yv = check_labels(y_val, len(Xv), self.n_classes, "y_val")
        train_sgd_epochs(self, lambda idx: X[idx], y, Xv, yv, n_epochs=n_epochs,
                         learning_rate=self.learning_rate, momentum=self.momentum,
                         weight_decay=self.weight_decay, checkpoint=self.checkpoint)
        return self

    # ------------------------------------------------------------ files
    def save(self, path: str | os.PathLike) -> Path:
        """Write weights, momentum buffers, hyperparameters and history to ``.npz``
        (atomic, no pickle)."""
        return training.save_training_state(self, path, _ARRAYS, _PARAMS, init=self.init_)

    @classmethod
    def load(cls, path: str | os.PathLike) -> PretrainableClassifier:
        """A classifier written by :meth:`save`."""
        names = _ARRAYS
        arrays, meta = training.read_model_npz(path, cls._format, names, schema=_SCHEMA)
        obj = training.model_from_meta(cls, path, **training.meta_params(meta, path, _PARAMS))
        obj.W_, obj.hidden_bias_, obj.V_, obj.output_bias_ = training.model_arrays(
            arrays, names, obj._dt, path)
        if obj.V_.shape != (obj.n_hidden, obj.n_classes):
            raise ModelLoadError(f"{path}: V has shape {obj.V_.shape}, the file's n_hidden and "
                                 f"n_classes say ({obj.n_hidden}, {obj.n_classes})")
        init = meta.get("init", "random")
        if not isinstance(init, str):
            raise ModelLoadError(f"{path}: 'init' in the file's meta is a "
                                 f"{type(init).__name__}, not a string")
        obj.init_ = init
        obj._reset()
        training.restore_training_state(obj, arrays, meta, names, CLF_HISTORY_KEYS, path)
        return obj
