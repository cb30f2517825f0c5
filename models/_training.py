"""The models' one training toolkit: estimator base, epoch loop, checkpoints.

* :class:`TrainableEstimator`: the scikit-learn rules every trainable model of
  :mod:`pgm.models` follows (hyperparameters stored untouched by ``__init__`` and
  validated in ``fit``, learned state with a trailing underscore,
  :func:`sklearn.base.clone` works, ``random_state`` resolved by
  :func:`pgm.validation.resolve_seed`).
* :func:`train_epochs`: the one epoch loop (progress bar, divergence check, per-epoch
  history row, atomic checkpoint, callback) that :class:`~pgm.models.rbm.BernoulliRBM`,
  the autoencoders, the classifier and the CNN call with their own per-epoch step;
  :func:`minibatches` gives every model the same shuffled minibatches
  (``default_rng([seed, 1, epoch])``).
* :func:`save_training_state`, :func:`restore_training_state`, :func:`resume_state`:
  the ``.npz`` checkpoint layout (no pickle; written atomically by
  :func:`pgm.files.write_npz_model`) from which ``resume=True`` continues a run exactly
  as an uninterrupted one would.

Examples
--------
>>> class Counter(TrainableEstimator):
...     _format = "counter"
...     def __init__(self, n_epochs=3, random_state=None):
...         self.n_epochs = n_epochs
...         self.random_state = random_state
...     def save(self, path):
...         pass
>>> c = Counter(random_state=0)
>>> c.seed_, c.epoch_, c.history_ = c._resolve_seed(), 0, {"epoch": [], "seconds": []}
>>> train_epochs(c, lambda epoch, bar: {}, n_epochs=c.n_epochs, n_batches=1,
...              history_keys=("epoch", "seconds"))
>>> c.epoch_, c.history_["epoch"]
(3, [1, 2, 3])
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from pgm.exceptions import (
    CardinalityError,
    ModelLoadError,
    ParameterError,
    PGMError,
    TrainingDivergedError,
)
from pgm.files import read_npz_model, write_npz_model
from pgm.validation import check_dtype, check_float, check_positive_int, resolve_seed

__all__ = ["TrainableEstimator", "fitted_alias", "check_sgd_params", "train_epochs", "minibatches",
           "progress", "all_finite", "FORMAT_VERSION", "json_value", "read_model_npz", "write_model_npz",
           "with_velocities", "meta_params", "model_from_meta", "model_arrays", "meta_count",
           "check_resume_epochs", "velocity_arrays",
           "restore_velocity", "save_training_state", "restore_training_state", "resume_state"]

#: version of the checkpoint layout written by :func:`save_training_state`
FORMAT_VERSION = 1


# ------------------------------------------------------------ estimator base
class TrainableEstimator(BaseEstimator):
    """Base of the trainable models: scikit-learn's estimator conventions in one place.

    ``__init__`` stores its arguments untouched (``get_params``/``set_params`` and
    :func:`sklearn.base.clone` rely on it); validation happens in ``fit``; attributes
    set by training end with an underscore.  Subclasses set ``_format`` (the ``.npz``
    format name) and ``_fitted_attr`` (an attribute that exists once fitted).

    Examples
    --------
    >>> from sklearn.base import clone
    >>> from pgm.models.autoencoder import Autoencoder
    >>> clone(Autoencoder(3, random_state=0)).get_params()["n_hidden"]
    3
    """

    _format: str = ""
    _fitted_attr: str = "epoch_"
    #: ``{learned array: what it is}``, in the order of :attr:`params`; each ``X_`` also
    #: gets a read-only alias ``X`` (for the model's users and the older file readers)
    _parameters: dict[str, str] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, doc in cls.__dict__.get("_parameters", {}).items():
            alias = name.rstrip("_")
            if alias not in cls.__dict__:
                setattr(cls, alias, fitted_alias(name, f"{doc} (:attr:`{name}`)."))

    @property
    def params(self) -> list[np.ndarray]:
        """The learned arrays named in ``_parameters`` (the arrays, not copies)."""
        return [getattr(self, name) for name in self._parameters]

    @property
    def _dt(self) -> np.dtype:
        """``dtype`` as a NumPy float dtype (validated)."""
        return check_dtype("dtype", self.dtype)

    def _resolve_seed(self) -> int:
        """The run's seed from ``random_state`` (:func:`pgm.validation.resolve_seed`)."""
        return resolve_seed(self.random_state, "random_state")

    def __sklearn_is_fitted__(self) -> bool:
        return self._fitted_attr in self.__dict__

    def _fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit first")


def fitted_alias(attribute: str, doc: str) -> property:
    """A read-only property giving the learned ``attribute`` (``W`` for ``W_``) once fitted.

    Examples
    --------
    >>> class M(TrainableEstimator):
    ...     W = fitted_alias("W_", "The weights.")
    >>> m = M(); m.epoch_, m.W_ = 1, [0.5]
    >>> m.W
    [0.5]
    """

    def get(self):
        self._fitted()
        return getattr(self, attribute)

    return property(get, doc=doc)


def check_sgd_params(model, ints: tuple[str, ...], floats: tuple[str, ...]) -> None:
    """Validate the SGD settings of ``model``: the counts ``ints`` (``n_epochs`` may be 0),
    the finite non-negative ``floats``, ``momentum`` in ``[0, 1)`` and ``dtype``
    (:mod:`pgm.validation`; a bad value raises :class:`~pgm.exceptions.ParameterError`).

    Examples
    --------
    >>> from pgm.models.autoencoder import Autoencoder
    >>> check_sgd_params(Autoencoder(momentum=1.0), ("n_hidden",), ())
    Traceback (most recent call last):
    ...
    pgm.exceptions.ParameterError: momentum must be a finite number in [0, 1), got 1.0
    """
    for name in ints:
        check_positive_int(name, getattr(model, name), 0 if name == "n_epochs" else 1)
    for name in floats:
        check_float(name, getattr(model, name), minimum=0)
    check_float("momentum", getattr(model, "momentum", 0.0), minimum=0, maximum=1,
                include_maximum=False)
    check_dtype("dtype", getattr(model, "dtype", "float32"))


# --------------------------------------------------------------- epoch loop
def progress(total: int | None, desc: str, verbose: bool):
    """A tqdm bar over minibatches, shown only when ``verbose`` and on a terminal."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, leave=False, unit="batch",
                disable=not (verbose and sys.stderr.isatty()))


def minibatches(n: int, batch_size: int, seed: int, epoch: int) -> Iterator[tuple[int, np.ndarray]]:
    """``(index, rows)`` of the minibatches of epoch ``epoch``: a permutation of ``range(n)``
    from ``default_rng([seed, 1, epoch])`` cut into slices of ``batch_size`` rows.

    Examples
    --------
    >>> [rows.tolist() for _, rows in minibatches(5, 2, seed=0, epoch=0)]
    [[1, 4], [3, 0], [2]]
    """
    perm = np.random.default_rng([seed, 1, epoch]).permutation(n)
    bs = int(batch_size)
    for bi in range(-(-n // bs)):
        yield bi, perm[bi * bs:(bi + 1) * bs]


def all_finite(arrays: Sequence[np.ndarray]) -> bool:
    """True when every entry of every array is finite.

    Examples
    --------
    >>> all_finite([np.zeros(2), np.array([1.0, np.inf])])
    False
    """
    return all(bool(np.isfinite(a).all()) for a in arrays)


def train_epochs(model, step: Callable[[int, Any], Mapping[str, float]], *, n_epochs: int,
                 n_batches: int, history_keys: Sequence[str],
                 monitor: Callable[[], Mapping[str, float]] | None = None,
                 params: Callable[[], Sequence[np.ndarray]] | None = None,
                 on_diverged: Callable[[], None] | None = None,
                 checkpoint: str | os.PathLike | None = None,
                 callback: Callable | None = None, verbose: bool = False,
                 summary: Callable[[Mapping[str, float]], str] | None = None) -> None:
    """The one epoch loop of the models: from epoch ``model.epoch_`` up to ``n_epochs``.

    For each epoch ``e`` (0-based): ``step(e, bar)`` runs its minibatches (calling
    ``bar.update()`` after each; ``bar`` is the :func:`progress` bar) and returns
    per-epoch statistics such as the mean training loss; then the parameters
    (``params()``, default ``model.params``) and those statistics must be finite, else
    ``on_diverged()`` runs (say, to restore the last good epoch) and
    :class:`~pgm.exceptions.TrainingDivergedError` is raised (a ``checkpoint`` then
    keeps the last good epoch); then ``monitor()`` adds its columns, ``seconds`` is
    the epoch's wall time, ``model.epoch_`` becomes ``e + 1`` and the row is appended to
    ``model.history_`` (columns ``history_keys``).  With ``verbose`` and ``summary``
    one line per epoch goes to the terminal; with ``checkpoint``, ``model.save`` rewrites
    that file (atomically) after every epoch; ``callback(model, record)`` returning True
    stops training.
    """
    from tqdm import tqdm

    get_params = params if params is not None else (lambda: model.params)
    n_epochs = int(n_epochs)
    for epoch in range(model.epoch_, n_epochs):
        t0 = time.perf_counter()
        with progress(n_batches, f"epoch {epoch + 1}/{n_epochs}", verbose) as bar:
            stats = dict(step(epoch, bar))
        if not (all_finite(get_params()) and all(math.isfinite(v) for v in stats.values())):
            if on_diverged is not None:
                on_diverged()
            kept = (f"; the checkpoint {checkpoint} (epoch {model.epoch_}) is kept"
                    if checkpoint else "")
            lr = getattr(model, "learning_rate", None)
            raise TrainingDivergedError(
                f"training diverged in epoch {epoch + 1}: the parameters or the loss became "
                f"non-finite (learning_rate={lr} is probably too large){kept}")
        record = {"epoch": epoch + 1, **stats, **(monitor() if monitor is not None else {})}
        record["seconds"] = time.perf_counter() - t0
        model.epoch_ = epoch + 1
        for key in history_keys:
            model.history_[key].append(record[key])
        if summary is not None and verbose and sys.stderr.isatty():
            tqdm.write(summary(record), file=sys.stderr)
        if checkpoint:
            model.save(checkpoint)
        if callback is not None and callback(model, record) is True:
            break


# -------------------------------------------------------------- checkpoints
def write_model_npz(path: str | os.PathLike, arrays: Mapping[str, np.ndarray],
                    meta: dict) -> Path:
    """Write ``arrays`` plus JSON ``meta`` (:func:`pgm.files.write_npz_model`, atomic)."""
    return write_npz_model(path, arrays, meta)


def read_model_npz(path: str | os.PathLike, fmt: str, required: tuple[str, ...], *,
                   label: str | None = None,
                   schema: Mapping[str, tuple[Any, Any]] | None = None,
                   ) -> tuple[dict[str, np.ndarray], dict]:
    """Read a file of :func:`write_model_npz` (:func:`pgm.files.read_npz_model`: the
    container, the meta, the ``required`` arrays and, with ``schema``, their dtypes and
    shapes are checked; any damage is a :class:`~pgm.exceptions.ModelLoadError`)."""
    kwargs = {} if label is None else {"label": label}
    return read_npz_model(path, fmt, required, version=FORMAT_VERSION, schema=schema, **kwargs)


def with_velocities(schema: Mapping[str, tuple[Any, Any]],
                    names: tuple[str, ...]) -> dict[str, tuple[Any, Any]]:
    """``schema`` plus the (optional) momentum buffers ``velocity_<name>`` of the
    parameters ``names``, each shaped like its parameter.

    Examples
    --------
    >>> with_velocities({"W": (np.floating, ("D", "H"))}, ("W",))["velocity_W"][1]
    ('D', 'H')
    """
    return {**schema, **{f"velocity_{n}": schema[n] for n in names}}


def meta_count(meta: Mapping[str, Any], key: str, path: str | os.PathLike, default: int = 0,
               *, maximum: int = 2**63) -> int:
    """``meta[key]`` (or ``default``) as an int in ``[0, maximum)``, else
    :class:`~pgm.exceptions.ModelLoadError` (a damaged or rewritten file).

    Examples
    --------
    >>> meta_count({"epoch": 3}, "epoch", "m.npz"), meta_count({}, "step", "m.npz")
    (3, 0)
    >>> meta_count({"epoch": "3"}, "epoch", "m.npz")
    Traceback (most recent call last):
    ...
    pgm.exceptions.ModelLoadError: m.npz: 'epoch' in the file's meta is '3', not an integer in [0, 2**63)
    """
    value = meta.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < maximum:
        shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:80] + "..."
        raise ModelLoadError(f"{path}: {key!r} in the file's meta is {shown}, not an integer in "
                             f"[0, 2**{maximum.bit_length() - 1})")
    return value


def meta_params(meta: Mapping[str, Any], path: str | os.PathLike,
                names: Sequence[str]) -> dict[str, Any]:
    """The hyperparameters ``names`` stored in ``meta["params"]`` (a JSON object).

    Examples
    --------
    >>> meta_params({"params": {"n_hidden": 5, "other": 1}}, "m.npz", ("n_hidden",))
    {'n_hidden': 5}
    """
    params = meta.get("params", {})
    if not isinstance(params, dict):
        raise ModelLoadError(f"{path}: 'params' in the file's meta is a {type(params).__name__}, "
                             "not a JSON object")
    return {k: v for k, v in params.items() if k in names}


def model_from_meta(cls, path: str | os.PathLike, *args, **params):
    """``cls(*args, **params)`` with its hyperparameters validated (``_check_params``);
    values a damaged file gives raise :class:`~pgm.exceptions.ModelLoadError`.

    Examples
    --------
    >>> from pgm.models.autoencoder import Autoencoder
    >>> model_from_meta(Autoencoder, "m.npz", n_hidden=-2)
    Traceback (most recent call last):
    ...
    pgm.exceptions.ModelLoadError: m.npz: the file's hyperparameters are invalid: n_hidden must be ...
    """
    try:
        obj = cls(*args, **params)
        obj._check_params()
    except (PGMError, TypeError, ValueError) as exc:
        raise ModelLoadError(f"{path}: the file's hyperparameters are invalid: {exc}") from None
    return obj


def model_arrays(arrays: Mapping[str, np.ndarray], names: Sequence[str], dtype,
                 path: str | os.PathLike) -> list[np.ndarray]:
    """The arrays ``names`` as C-contiguous ``dtype`` arrays, which must stay finite
    (a float64 file read as float32 may overflow).

    Examples
    --------
    >>> model_arrays({"W": np.array([1e300])}, ("W",), np.float32, "m.npz")
    Traceback (most recent call last):
    ...
    pgm.exceptions.ModelLoadError: m.npz: 'W' does not fit in float32 (infinite values)
    """
    out = []
    for n in names:
        with np.errstate(over="ignore", invalid="ignore"):
            a = np.ascontiguousarray(arrays[n], dtype=dtype)
        if not np.isfinite(a).all():
            raise ModelLoadError(f"{path}: {n!r} does not fit in {np.dtype(dtype)} "
                                 "(infinite values)")
        out.append(a)
    return out


def check_resume_epochs(path: str | os.PathLike, done: int, total: int, name: str) -> None:
    """Refuse to resume a checkpoint of ``done`` epochs when only ``total`` are asked for
    (the result would silently be the longer run).

    Examples
    --------
    >>> check_resume_epochs("ckpt.npz", 30, 10, "n_epochs")
    Traceback (most recent call last):
    ...
    pgm.exceptions.ParameterError: the checkpoint ckpt.npz has 30 epochs, more than n_epochs=10 ...
    """
    if done > int(total):
        raise ParameterError(f"the checkpoint {path} has {done} epochs, more than {name}={total} "
                             f"(the epochs in total); ask for at least {done} or delete the "
                             "checkpoint")


def velocity_arrays(names: tuple[str, ...], velocity: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    """The momentum buffers as ``.npz`` arrays ``velocity_<name>`` (for checkpoints).

    Examples
    --------
    >>> sorted(velocity_arrays(("W", "b"), [np.zeros((2, 2)), np.zeros(2)]))
    ['velocity_W', 'velocity_b']
    """
    return {f"velocity_{n}": v for n, v in zip(names, velocity)}


def restore_velocity(arrays: Mapping[str, np.ndarray], names: tuple[str, ...],
                     params: Sequence[np.ndarray], path: str | os.PathLike) -> list[np.ndarray]:
    """Momentum buffers read from ``arrays`` (zeros where a file has none, as older ones).

    Raises :class:`~pgm.exceptions.ModelLoadError` when a buffer's shape differs from
    its parameter's or it is not finite.

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
        with np.errstate(over="ignore", invalid="ignore"):
            u = np.zeros_like(p) if u is None else np.array(u, dtype=p.dtype)
        if u.shape != p.shape:
            raise ModelLoadError(f"{path}: velocity_{n} has shape {u.shape}, expected {p.shape}")
        if not np.isfinite(u).all():
            raise ModelLoadError(f"{path}: velocity_{n} holds non-finite values (in {p.dtype})")
        out.append(u)
    return out


def json_value(value: Any) -> Any:
    """``value`` with NumPy scalars made Python ones (for JSON metadata).

    Examples
    --------
    >>> json_value(np.float32(0.5)), json_value("relu")
    (0.5, 'relu')
    """
    return value.item() if isinstance(value, np.generic) else value


def save_training_state(model, path: str | os.PathLike, array_names: tuple[str, ...],
                        param_names: tuple[str, ...], *,
                        params: Sequence[np.ndarray] | None = None,
                        extra_arrays: Mapping[str, np.ndarray] | None = None,
                        **extra_meta) -> Path:
    """Write an SGD-trained model to ``.npz`` (atomic, no pickle): its parameters
    (``params``, default ``model.params``) under ``array_names``, their momentum buffers
    ``model.velocity_``, the hyperparameters ``param_names``, seed, epoch counter,
    history, ``extra_arrays`` and ``extra_meta`` (every trainable model shares this
    layout; :func:`restore_training_state` reads the training part back).

    Examples
    --------
    >>> import tempfile, os
    >>> from pgm.models.autoencoder import Autoencoder
    >>> ae = Autoencoder(3, n_epochs=1, random_state=0).fit(np.eye(4))
    >>> path = save_training_state(ae, os.path.join(tempfile.mkdtemp(), "ae.npz"),
    ...                            ("W", "hidden_bias", "U", "visible_bias"), ("n_hidden",))
    >>> Autoencoder.load(path).epoch_
    1
    """
    model._fitted()
    meta: dict[str, Any] = {
        "format": model._format, "version": FORMAT_VERSION, "seed": int(model.seed_),
        "epoch": int(model.epoch_),
        "params": {k: json_value(getattr(model, k)) for k in param_names},
        "history": {k: [float(x) for x in v] for k, v in model.history_.items()}, **extra_meta}
    values = model.params if params is None else params
    arrays = {**dict(zip(array_names, values)), **velocity_arrays(array_names, model.velocity_),
              **(extra_arrays or {})}
    return write_model_npz(path, arrays, meta)


def restore_training_state(model, arrays: Mapping[str, np.ndarray], meta: dict,
                           array_names: tuple[str, ...], history_keys: tuple[str, ...],
                           path: str | os.PathLike, *,
                           params: Sequence[np.ndarray] | None = None) -> None:
    """Set ``velocity_``, ``seed_``, ``epoch_`` and ``history_`` of a freshly loaded
    ``model`` (its parameters, ``params`` or ``model.params``, already set) from a file
    of :func:`save_training_state`.

    Examples
    --------
    >>> from pgm.models.autoencoder import Autoencoder
    >>> ae = Autoencoder(2, n_epochs=1, random_state=0).fit(np.eye(3))
    >>> restore_training_state(ae, {}, {"epoch": 4, "history": {"epoch": [1, 2, 3, 4]}},
    ...                        ("W", "hidden_bias", "U", "visible_bias"), ("epoch",), "m.npz")
    >>> ae.epoch_, ae.history_["epoch"], float(ae.velocity_[0].sum())
    (4, [1.0, 2.0, 3.0, 4.0], 0.0)
    """
    model.velocity_ = restore_velocity(arrays, array_names,
                                       model.params if params is None else params, path)
    model.seed_ = meta_count(meta, "seed", path, maximum=2**64)
    model.epoch_ = meta_count(meta, "epoch", path)
    model.history_ = _history(meta, history_keys, path)


def _history(meta: Mapping[str, Any], keys: tuple[str, ...],
             path: str | os.PathLike) -> dict[str, list[float]]:
    """``meta["history"]``'s columns ``keys`` (lists of numbers; missing ones empty)."""
    hist = meta.get("history") or {}
    if not isinstance(hist, dict):
        raise ModelLoadError(f"{path}: 'history' in the file's meta is a {type(hist).__name__}, "
                             "not a JSON object")
    out = {}
    for k in keys:
        col = hist.get(k, [])
        if not isinstance(col, list) or not all(
                isinstance(x, (int, float)) and not isinstance(x, bool) for x in col):
            raise ModelLoadError(f"{path}: the history column {k!r} in the file's meta is not "
                                 "a list of numbers")
        out[k] = [float(x) for x in col]
    return out


def _same_setting(mine: Any, theirs: Any, name: str) -> bool:
    if name == "dtype":
        return str(mine) == str(theirs)
    if isinstance(mine, (list, tuple)) and isinstance(theirs, (list, tuple)):
        return tuple(mine) == tuple(theirs)
    return mine == theirs


def resume_state(model, n_features: int, params: tuple[str, ...], state: tuple[str, ...]) -> bool:
    """Continue ``model`` from its ``checkpoint`` file when ``model.resume`` is set and it exists.

    The file is read with ``type(model).load``; every hyperparameter in ``params``
    except ``n_epochs`` must match ``model``'s (a resumed run must be the run that was
    interrupted), as must the number of input features and an integer
    ``random_state``.  The attributes ``state`` (weights, momentum buffers, seed,
    epoch counter, history) are then copied into ``model``.  Returns True when it
    resumed, False when training should start afresh.

    Raises :class:`~pgm.exceptions.ParameterError` or
    :class:`~pgm.exceptions.CardinalityError` for a checkpoint of another run or one with
    more epochs than ``n_epochs`` (:func:`check_resume_epochs`), and
    :class:`~pgm.exceptions.ModelLoadError` for a damaged one.

    Examples
    --------
    >>> from pgm.models.autoencoder import Autoencoder
    >>> ae = Autoencoder(3, checkpoint="no-such-file.npz", resume=True)
    >>> resume_state(ae, 5, ("n_hidden",), ("W_",))
    False
    """
    path = getattr(model, "checkpoint", None)
    if not (getattr(model, "resume", False) and path and Path(path).exists()):
        return False
    saved = type(model).load(path)
    check_resume_epochs(path, saved.epoch_, model.n_epochs, "n_epochs")
    for name in params:
        if name == "n_epochs":
            continue
        mine, theirs = getattr(model, name), getattr(saved, name)
        if not _same_setting(mine, theirs, name):
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
