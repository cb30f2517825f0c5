"""The small convolutional network of the seed's Problem 1, with hand-written backprop.

Layers, for one ``H x W`` image ``x``:

1. convolution with ``n_maps`` (2) ``k x k`` filters at stride ``s`` (valid):
   ``Z[i, j, m] = sum_{u,v} x[s i + u, s j + v] K_m[u, v] + c_m`` (an im2col product),
   then ``A = relu(Z)`` (``activation``: ``"relu"``, ``"sigmoid"`` or ``"identity"``);
2. ``p x p`` max-pooling (stride ``p``, the incomplete border dropped):
   ``M[I, J, m] = max over the window of A``;
3. softmax output ``softmax(vec(M) V + d)``, cross-entropy loss.

Backprop (Problem 1): ``dL/dz = p - onehot(y)``; ``dL/dM = dL/dz V^T``; max-pooling
routes each ``dL/dM`` to the arg-max position of its window (zero elsewhere);
``dL/dZ = dL/dA * act'(Z)``; ``dL/dK = patches^T dL/dZ``, ``dL/dc = sum dL/dZ``.

Training as the classifier's (:func:`~pgm.models.classifier.train_sgd_epochs`), with
the same per-epoch ``checkpoint`` / ``resume``.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> X = rng.random((20, 64)).astype(np.float32); y = np.arange(20) % 3
>>> net = ConvNet((8, 8), kernel=3, stride=1, pool=2, n_classes=3, n_epochs=1,
...               random_state=0).fit(X, y)
>>> net.predict(X[:2]).shape
(2,)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from pgm._math import expit, logsumexp
from pgm.exceptions import ModelLoadError, ParameterError
from pgm.models import _training as training
from pgm.models.classifier import (
    CLF_HISTORY_KEYS,
    check_labels,
    softmax_cross_entropy,
    train_sgd_epochs,
)
from pgm.models.rbm import check_data
from pgm.validation import check_choice, check_positive_int

__all__ = ["ConvNet", "im2col", "max_pool", "max_pool_backward"]

_PARAMS = ("kernel", "stride", "pool", "n_maps", "n_classes", "activation", "learning_rate",
           "momentum", "batch_size", "n_epochs", "sigma", "dtype")
_ARRAYS = ("K", "conv_bias", "V", "output_bias")
#: dtypes and shapes of the arrays of a saved network (M maps, F pooled features, C classes)
_SCHEMA = training.with_velocities({"K": (np.floating, (None, "M")), "conv_bias": (np.floating, ("M",)),
                           "V": (np.floating, ("F", "C")),
                           "output_bias": (np.floating, ("C",))}, _ARRAYS)
#: attributes a checkpoint restores
_STATE = ("K_", "conv_bias_", "V_", "output_bias_", "velocity_", "seed_", "epoch_",
          "history_")


def im2col(images: np.ndarray, k: int, s: int) -> np.ndarray:
    """The ``k x k`` patches at stride ``s``: ``(n, O_h, O_w, k * k)`` (a view when possible).

    Examples
    --------
    >>> im2col(np.arange(16.0).reshape(1, 4, 4), 2, 2)[0, 0, 1].tolist()
    [2.0, 3.0, 6.0, 7.0]
    """
    win = np.lib.stride_tricks.sliding_window_view(images, (k, k), axis=(1, 2))[:, ::s, ::s]
    n, oh, ow = win.shape[:3]
    return win.reshape(n, oh, ow, k * k)


def max_pool(A: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping ``p x p`` max-pooling of ``A`` ``(n, H, W, m)``.

    Returns the pooled ``(n, H // p, W // p, m)`` and the arg-max inside each window
    (flat index ``0 .. p*p - 1``), needed by :func:`max_pool_backward`.

    Examples
    --------
    >>> M, arg = max_pool(np.arange(16.0).reshape(1, 4, 4, 1), 2)
    >>> M[0, :, :, 0].tolist(), int(arg[0, 0, 0, 0])
    ([[5.0, 7.0], [13.0, 15.0]], 3)
    """
    n, H, W, m = A.shape
    qh, qw = H // p, W // p
    win = A[:, :qh * p, :qw * p].reshape(n, qh, p, qw, p, m).transpose(0, 1, 3, 5, 2, 4)
    win = win.reshape(n, qh, qw, m, p * p)
    arg = win.argmax(axis=-1)
    return np.take_along_axis(win, arg[..., None], axis=-1)[..., 0], arg


def max_pool_backward(dM: np.ndarray, arg: np.ndarray, p: int, shape: tuple[int, ...]
                      ) -> np.ndarray:
    """Route ``dM`` to the arg-max positions: the gradient with respect to the pooled input.

    Examples
    --------
    >>> A = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> M, arg = max_pool(A, 2)
    >>> max_pool_backward(np.ones_like(M), arg, 2, A.shape)[0, :, :, 0].tolist()[1]
    [0.0, 1.0, 0.0, 1.0]
    """
    n, qh, qw, m = dM.shape
    win = np.zeros((n, qh, qw, m, p * p), dtype=dM.dtype)
    np.put_along_axis(win, arg[..., None], dM[..., None], axis=-1)
    win = win.reshape(n, qh, qw, m, p, p).transpose(0, 1, 4, 2, 5, 3).reshape(n, qh * p,
                                                                             qw * p, m)
    out = np.zeros(shape, dtype=dM.dtype)
    out[:, :qh * p, :qw * p] = win
    return out


class ConvNet(training.TrainableEstimator):
    """Convolution (``n_maps`` ``k x k`` filters, stride ``s``) -> ``p x p`` max-pool -> softmax.

    Parameters
    ----------
    image_shape : (int, int)
        Height and width of the images (rows of ``X`` are flattened images).
    kernel, stride, pool : int
        ``k``, ``s``, ``p`` (defaults 5, 1, 2).
    n_maps : int
        Feature maps (2, as in the seed).
    n_classes : int
    activation : {"relu", "sigmoid", "identity"}
        Non-linearity after the convolution.
    learning_rate, momentum, batch_size, n_epochs, sigma : SGD settings.
    dtype : {"float32", "float64"}
    random_state : int, None or Generator
    checkpoint : path, optional
        File rewritten atomically after every epoch (weights, momentum buffers, seed,
        history).
    resume : bool
        If ``checkpoint`` exists, :meth:`fit` continues from it up to ``n_epochs`` in
        all (same result as an uninterrupted run); otherwise it starts afresh.

    Attributes
    ----------
    K_, conv_bias_, V_, output_bias_ : arrays
        Filters ``(k*k, n_maps)``, ``(n_maps,)``, output weights ``(features, classes)``,
        ``(classes,)`` (also readable without the underscore).
    velocity_ : list of arrays
        Momentum buffers, one per parameter.
    seed_, epoch_ : int
    history_ : dict of lists
        Same columns as the classifier's (:data:`~pgm.models.classifier.CLF_HISTORY_KEYS`).

    Examples
    --------
    >>> ConvNet((28, 28), kernel=5, stride=1, pool=2).n_features
    288
    """

    _format = "pgm-convnet"
    _fitted_attr = "K_"

    def __init__(self, image_shape: tuple[int, int] = (28, 28), *, kernel: int = 5,
                 stride: int = 1, pool: int = 2, n_maps: int = 2, n_classes: int = 10,
                 activation: str = "relu", learning_rate: float = 0.1, momentum: float = 0.9,
                 batch_size: int = 20, n_epochs: int = 10, sigma: float = 0.1,
                 dtype: str = "float32", verbose: bool = False, random_state=None,
                 checkpoint: str | os.PathLike | None = None, resume: bool = False) -> None:
        self.image_shape = image_shape
        self.kernel = kernel
        self.stride = stride
        self.pool = pool
        self.n_maps = n_maps
        self.n_classes = n_classes
        self.activation = activation
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.batch_size = batch_size
        self.n_epochs = n_epochs
        self.sigma = sigma
        self.dtype = dtype
        self.verbose = verbose
        self.random_state = random_state
        self.checkpoint = checkpoint
        self.resume = resume

    # --------------------------------------------------------------- shapes
    @property
    def _shape(self) -> tuple[int, int]:
        """``image_shape`` as a pair of ints."""
        H, W = (int(v) for v in self.image_shape)
        return H, W

    @property
    def conv_shape(self) -> tuple[int, int]:
        """Size of each convolution output map."""
        H, W = self._shape
        k, s = int(self.kernel), int(self.stride)
        return (H - k) // s + 1, (W - k) // s + 1

    @property
    def n_features(self) -> int:
        """Pooled units feeding the softmax."""
        oh, ow = self.conv_shape
        return (oh // self.pool) * (ow // self.pool) * self.n_maps

    @property
    def n_features_in_(self) -> int:
        """Pixels per image (``H * W``)."""
        H, W = self._shape
        return H * W

    _parameters = {"K_": "The filters ``(k*k, n_maps)``", "conv_bias_": "Filter biases ``(n_maps,)``",
                   "V_": "The output weights ``(features, classes)``",
                   "output_bias_": "Output biases ``(classes,)``"}





    def _check_params(self) -> None:
        training.check_sgd_params(self, ("kernel", "stride", "pool", "n_maps", "n_classes", "batch_size",
                                "n_epochs"), ("learning_rate", "sigma"))
        check_choice("activation", self.activation, ("relu", "sigmoid", "identity"))
        shape = tuple(self.image_shape) if isinstance(self.image_shape, (tuple, list)) else ()
        if len(shape) != 2:
            raise ParameterError(f"image_shape must be (height, width), got {self.image_shape!r}")
        for v in shape:
            check_positive_int("image_shape", v)
        oh, ow = self.conv_shape
        if min(oh, ow) < self.pool or self.kernel > min(self._shape):
            raise ParameterError(f"kernel {self.kernel}, stride {self.stride} and pool "
                                 f"{self.pool} do not fit {self._shape} images")

    def init_random(self) -> ConvNet:
        """``N(0, sigma^2)`` filters and output weights, zero biases."""
        self._check_params()
        self.seed_ = self._resolve_seed()
        rng = np.random.default_rng([self.seed_, 0])
        k2, dt = int(self.kernel) ** 2, self._dt
        self.K_ = rng.normal(0, self.sigma, (k2, self.n_maps)).astype(dt)
        self.conv_bias_ = np.zeros(self.n_maps, dt)
        self.V_ = rng.normal(0, self.sigma, (self.n_features, self.n_classes)).astype(dt)
        self.output_bias_ = np.zeros(self.n_classes, dt)
        self.velocity_ = [np.zeros_like(p) for p in self.params]
        self.epoch_ = 0
        self.history_ = {k: [] for k in CLF_HISTORY_KEYS}
        return self

    def _x(self, X, name: str = "X") -> np.ndarray:
        a = np.asarray(X) if not hasattr(X, "toarray") else X
        if getattr(a, "ndim", 2) == 3:
            a = a.reshape(len(a), -1)
        H, W = self._shape
        return check_data(a, n_features=H * W, name=name, dtype=self._dt).reshape(-1, H, W)

    # -------------------------------------------------------------- forward
    def _act(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.activation == "relu":
            return np.maximum(Z, 0), (Z > 0).astype(Z.dtype)
        if self.activation == "sigmoid":
            A = expit(Z)
            return A, A * (1 - A)
        return Z, np.ones_like(Z)

    def _forward(self, imgs: np.ndarray):
        P = im2col(imgs, int(self.kernel), int(self.stride))        # (n, oh, ow, k2)
        Z = P @ self.K_ + self.conv_bias_                             # (n, oh, ow, m)
        A, dact = self._act(Z)
        M, arg = max_pool(A, int(self.pool))
        F = M.reshape(len(imgs), -1)
        return P, A, dact, M, arg, F, F @ self.V_ + self.output_bias_

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities."""
        self._fitted()
        z = self._forward(self._x(X))[-1].astype(np.float64)
        return np.exp(z - logsumexp(z, axis=1, keepdims=True))

    def predict(self, X) -> np.ndarray:
        """Most probable class per image."""
        return self.predict_proba(X).argmax(axis=1)

    def score(self, X, y) -> float:
        """Accuracy."""
        pred = self.predict(X)
        return float((pred == check_labels(y, len(pred), self.n_classes)).mean())

    def log_loss(self, X, y) -> float:
        """Mean cross-entropy (nats)."""
        p = self.predict_proba(X)
        y = check_labels(y, len(p), self.n_classes)
        return float(-np.log(np.maximum(p[np.arange(len(p)), y], 1e-300)).mean())

    def loss_and_grad(self, X, y) -> tuple[float, list[np.ndarray]]:
        """Mean cross-entropy and its gradient with respect to :attr:`params` (backprop).

        Examples
        --------
        >>> net = ConvNet((6, 6), kernel=3, pool=2, n_classes=2, dtype="float64",
        ...               random_state=0).init_random()
        >>> loss, g = net.loss_and_grad(np.full((1, 36), 0.5), [1])
        >>> [a.shape for a in g]
        [(9, 2), (2,), (8, 2), (2,)]
        """
        self._fitted()
        imgs = self._x(X)
        y = check_labels(y, len(imgs), self.n_classes)
        P, A, dact, M, arg, F, z = self._forward(imgs)
        loss, _, dz = softmax_cross_entropy(z, y)
        dV = F.T @ dz
        dd = dz.sum(axis=0)
        dM = (dz @ self.V_.T).reshape(M.shape)
        dZ = max_pool_backward(dM, arg, int(self.pool), A.shape) * dact
        k2 = P.shape[-1]
        dK = P.reshape(-1, k2).T @ dZ.reshape(-1, self.n_maps)
        return loss, [dK, dZ.sum(axis=(0, 1, 2)), dV, dd]

    # -------------------------------------------------------------- training
    def fit(self, X, y, X_val=None, y_val=None) -> ConvNet:
        """Train ``n_epochs`` epochs from a random initialization (or, with ``resume``,
        continue from ``checkpoint`` up to ``n_epochs`` in all)."""
        self._check_params()
        if not training.resume_state(self, self.n_features_in_, ("image_shape",) + _PARAMS, _STATE):
            self.init_random()
        imgs = self._x(X)
        y = check_labels(y, len(imgs), self.n_classes)
        Xv = None if X_val is None else self._x(X_val, "X_val")
        yv = None if Xv is None else check_labels(y_val, len(Xv), self.n_classes, "y_val")
        train_sgd_epochs(self, lambda idx: imgs[idx].reshape(len(idx), -1), y, Xv, yv,
                         n_epochs=max(0, int(self.n_epochs) - self.epoch_),
                         learning_rate=float(self.learning_rate), momentum=float(self.momentum),
                         checkpoint=self.checkpoint)
        return self

    # -------------------------------------------------------------- files
    def save(self, path: str | os.PathLike) -> Path:
        """Write weights, momentum buffers, hyperparameters and history to ``.npz``
        (atomic, no pickle)."""
        return training.save_training_state(self, path, _ARRAYS, _PARAMS,
                                   image_shape=list(self._shape))

    @classmethod
    def load(cls, path: str | os.PathLike) -> ConvNet:
        """A network written by :meth:`save`."""
        names = _ARRAYS
        arrays, meta = training.read_model_npz(path, cls._format, names, schema=_SCHEMA)
        shape = meta.get("image_shape", [28, 28])
        if not isinstance(shape, list):
            raise ModelLoadError(f"{path}: 'image_shape' in the file's meta is a "
                                 f"{type(shape).__name__}, not a list")
        obj = training.model_from_meta(cls, path, tuple(shape), **training.meta_params(meta, path, _PARAMS))
        obj.K_, obj.conv_bias_, obj.V_, obj.output_bias_ = training.model_arrays(
            arrays, names, obj._dt, path)
        if obj.K_.shape != (obj.kernel ** 2, obj.n_maps) or obj.V_.shape != (obj.n_features,
                                                                            obj.n_classes):
            raise ModelLoadError(f"{path}: array shapes do not match the hyperparameters")
        training.restore_training_state(obj, arrays, meta, names, CLF_HISTORY_KEYS, path)
        return obj
