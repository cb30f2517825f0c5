"""Binary restricted Boltzmann machines: the model, CD-k / PCD training, an estimator.

An RBM over visible units ``v`` in {0,1}^D and hidden units ``h`` in {0,1}^P has

    ``E(v, h) = -v^T W h - b^T v - a^T h``,     ``p(v, h) = exp(-E(v, h)) / Z``,

(``b``: :attr:`RBM.visible_bias`, ``a``: :attr:`RBM.hidden_bias`), so given ``v`` the
hidden units are independent with ``P(h_j = 1 | v) = sigmoid(v^T W + a)_j`` and given
``h`` the visible ones with ``P(v_i = 1 | h) = sigmoid(W h + b)_i``; the free energy is
``F(v) = -b^T v - sum_j softplus((v^T W + a)_j)`` and ``p(v) = exp(-F(v)) / Z``.

* :class:`RBM`: parameters, conditionals, free energy, block Gibbs sampling (through
  :class:`pgm.inference.bipartite.BipartiteBinary`: BLAS products for the fields,
  the engine's Numba Bernoulli step for the draws), ``to_factor_graph()``, exact or
  AIS likelihood (:mod:`pgm.models.rbm_likelihood`), ``.npz`` save/load.
* :func:`cd_phases` / :func:`cd_gradient`: the CD-k / PCD statistics and estimate
  of the log-likelihood gradient.
* :class:`BernoulliRBM`: a scikit-learn transformer (``fit``, ``partial_fit``,
  ``transform``, ``score_samples``, ``gibbs``) training with minibatch SGD, momentum
  and weight decay; per-epoch history, progress bar, callback, atomic per-epoch
  checkpoints and bit-identical ``resume`` (the models' one training loop and
  checkpoint layout, :mod:`pgm.models._training`).

Randomness is counter based: the draws of the Gibbs chains come from the engine's
streams ``(seed, row, step)`` with a step counter saved in checkpoints, minibatch
orders from ``default_rng([seed, 1, epoch])``.  A seed therefore fixes the whole run,
and resuming from a checkpoint continues exactly as an uninterrupted run would.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> X = (rng.random((200, 16)) < 0.3).astype(np.float32)
>>> est = BernoulliRBM(n_components=4, n_iter=2, random_state=0).fit(X)
>>> est.transform(X[:3]).shape
(3, 4)
>>> bool(np.isfinite(est.score_samples(X[:5])).all())      # exact: 2^4 hidden states
True
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin

from pgm._config import check_allocation
from pgm._math import expit, sigmoid, softplus
from pgm.exceptions import (
    CardinalityError,
    EvidenceError,
    ModelError,
    ModelLoadError,
    ParameterError,
    TrainingDivergedError,
)
from pgm.models import _training as training
from pgm.validation import (
    check_choice,
    check_dtype,
    check_float,
    check_positive_int,
    derived_seed,
)

__all__ = [
    "RBM",
    "BernoulliRBM",
    "CDGradient",
    "CDPhases",
    "cd_gradient",
    "cd_phases",
    "check_data",
    "data_log_odds",
    "plot_training_curves",
    "HISTORY_KEYS",
]

FORMAT = "pgm-rbm"
FORMAT_VERSION = 1

#: per-epoch history columns
HISTORY_KEYS = ("epoch", "train_recon", "val_recon", "train_free_energy", "val_free_energy",
                "free_energy_gap", "seconds")

#: largest smaller layer for which ``score_method="auto"`` enumerates (else AIS)
EXACT_AUTO_UNITS = 20


# ------------------------------------------------------------------- data checks
def check_data(X, *, n_features: int | None = None, name: str = "X",
               dtype=np.float32) -> np.ndarray:
    """Validate a data matrix for an RBM: 2-D, finite, values in ``[0, 1]``.

    Grey levels in ``[0, 1]`` are allowed (treated as probabilities in training);
    likelihoods are meant for binary data.  Returns a C-contiguous array of ``dtype``.

    Raises
    ------
    EvidenceError
        Not numeric, not 2-D, empty, NaN/inf entries or values outside ``[0, 1]``
        (the message names the first offending entry).
    CardinalityError
        ``n_features`` is given and the width differs.

    Examples
    --------
    >>> check_data([[0, 1], [1, 0.5]]).dtype
    dtype('float32')
    >>> check_data([[0, 255]])                     # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pgm.exceptions.EvidenceError: X has values outside [0, 1] (max 255 at row 0, column 1); ...
    """
    if hasattr(X, "toarray") and hasattr(X, "nnz"):   # scipy sparse
        X = X.toarray()
    try:
        A = np.asarray(X)
    except (TypeError, ValueError) as exc:
        raise EvidenceError(f"{name} is not a numeric array: {exc}") from None
    if A.dtype == bool:
        A = A.astype(dtype)
    if A.dtype.kind not in "fiu":
        raise EvidenceError(f"{name} must be numeric, got dtype {A.dtype}")
    if A.ndim != 2:
        raise EvidenceError(f"{name} must be 2-D (samples x units), got shape {A.shape}"
                            + ("; use reshape(1, -1) for one sample" if A.ndim == 1 else
                               "; flatten images first (reshape(len(X), -1))" if A.ndim > 2 else ""))
    if A.shape[0] == 0 or A.shape[1] == 0:
        raise EvidenceError(f"{name} is empty (shape {A.shape})")
    lo, hi = A.min(), A.max()     # NaN and infinities reach these: no separate pass
    if A.dtype.kind == "f" and not (np.isfinite(lo) and np.isfinite(hi)):
        r, c = np.argwhere(~np.isfinite(A))[0]
        raise EvidenceError(f"{name} has a non-finite value {float(A[r, c])} at row {r}, "
                            f"column {c}")
    if lo < 0 or hi > 1:
        val = lo if lo < 0 else hi
        r, c = np.argwhere(A == val)[0]
        what = "min" if lo < 0 else "max"
        raise EvidenceError(
            f"{name} has values outside [0, 1] ({what} {val:g} at row {r}, column {c}); scale grey "
            "levels to [0, 1] (e.g. divide uint8 images by 255)")
    if n_features is not None and A.shape[1] != n_features:
        raise CardinalityError(f"{name} has {A.shape[1]} columns but the model has {n_features} "
                               "visible units")
    return np.ascontiguousarray(A, dtype=dtype)


def data_log_odds(X, eps: float = 1e-3) -> np.ndarray:
    """``log(p / (1 - p))`` of the column means ``p`` of ``X``, clipped to ``[eps, 1 - eps]``.

    The usual initial visible biases (Hinton's guide, section 8) and the base-rate
    model of AIS.

    Examples
    --------
    >>> data_log_odds(np.array([[0.0, 1.0], [1.0, 1.0]])).round(3).tolist()
    [0.0, 6.907]
    """
    p = np.clip(np.asarray(X).mean(axis=0, dtype=np.float64), eps, 1.0 - eps)  # no float64 copy of X
    return np.log(p) - np.log1p(-p)


# ------------------------------------------------------------------------ model
class RBM:
    """A binary RBM's parameters with conditionals, sampling and likelihoods.

    Parameters
    ----------
    W : array (D, P)
        Couplings (visible x hidden).
    visible_bias : array (D,), optional
        ``b`` (default zeros).
    hidden_bias : array (P,), optional
        ``a`` (default zeros).
    dtype : float32 or float64
        Storage and arithmetic precision of the sampling path (free energies and
        likelihoods are computed in float64).

    The arrays are those of :attr:`engine` (a
    :class:`~pgm.inference.bipartite.BipartiteBinary`), so updating them in place
    (as training does) updates the sampler.

    Examples
    --------
    >>> rbm = RBM.random(6, 3, sigma=0.5, seed=0)
    >>> rbm.hidden_prob(np.ones((1, 6))).shape
    (1, 3)
    >>> v = rbm.sample(n_chains=4, n_steps=10, seed=1)
    >>> v.shape, bool(((v >= 0) & (v <= 1)).all())
    ((4, 6), True)
    """

    def __init__(self, W, visible_bias=None, hidden_bias=None, *, dtype=np.float32) -> None:
        from pgm.inference.bipartite import BipartiteBinary

        W = np.asarray(W)
        if W.ndim != 2:
            raise CardinalityError(f"W must be 2-D (visible x hidden), got shape {W.shape}")
        D, P = W.shape
        if D < 1 or P < 1:
            raise CardinalityError(f"an RBM needs at least one visible and one hidden unit, "
                                   f"got W of shape {W.shape}")
        b = np.zeros(D) if visible_bias is None else visible_bias
        a = np.zeros(P) if hidden_bias is None else hidden_bias
        dt = check_dtype("dtype", dtype)
        # engine convention: BipartiteBinary(W, visible bias, hidden bias)
        self._engine = BipartiteBinary(W, b, a, dtype=dt)

    # ------------------------------------------------------------- basics
    @classmethod
    def random(cls, n_visible: int, n_hidden: int, *, sigma: float = 0.1, seed: int = 0,
               visible_bias=None, dtype=np.float32, memory_budget: int | None = None) -> RBM:
        """``W ~ N(0, sigma^2)`` (from ``default_rng([seed, 0])``), zero hidden biases.

        The couplings (drawn in float64, then stored in ``dtype``) are checked against
        ``memory_budget`` (bytes; default ``$PGM_MEMORY_BUDGET`` or 4 GiB) first.

        Examples
        --------
        >>> RBM.random(784, 10, seed=0).W.shape
        (784, 10)
        """
        D = check_positive_int("n_visible", n_visible)
        P = check_positive_int("n_hidden", n_hidden)
        sigma = check_float("sigma", sigma, minimum=0)
        check_allocation(D * P * (8 + check_dtype("dtype", dtype).itemsize),
                         f"an RBM of {D} visible x {P} hidden units", memory_budget=memory_budget)
        rng = np.random.default_rng([int(seed), 0])
        W = rng.normal(0.0, float(sigma), (D, P))
        return cls(W, visible_bias, None, dtype=dtype)

    @property
    def engine(self):
        """The :class:`~pgm.inference.bipartite.BipartiteBinary` sharing these parameters."""
        return self._engine

    @property
    def W(self) -> np.ndarray:
        """Couplings ``(D, P)``."""
        return self._engine.W

    @property
    def visible_bias(self) -> np.ndarray:
        """``b`` ``(D,)``."""
        return self._engine.a

    @property
    def hidden_bias(self) -> np.ndarray:
        """``a`` ``(P,)``."""
        return self._engine.b

    @property
    def n_visible(self) -> int:
        return self.W.shape[0]

    @property
    def n_hidden(self) -> int:
        return self.W.shape[1]

    @property
    def dtype(self) -> np.dtype:
        return self._engine.dtype

    def __repr__(self) -> str:
        return f"RBM({self.n_visible} visible, {self.n_hidden} hidden, {self.dtype})"

    def copy(self) -> RBM:
        """An independent copy."""
        return RBM(self.W.copy(), self.visible_bias.copy(), self.hidden_bias.copy(),
                   dtype=self.dtype)

    def is_finite(self) -> bool:
        """True when every parameter is finite."""
        return bool(np.isfinite(self.W).all() and np.isfinite(self.visible_bias).all()
                    and np.isfinite(self.hidden_bias).all())

    def _v(self, v, name="v") -> np.ndarray:
        return check_data(v, n_features=self.n_visible, name=name, dtype=self.dtype)

    def _h(self, h) -> np.ndarray:
        return check_data(h, n_features=self.n_hidden, name="h", dtype=self.dtype)

    # ---------------------------------------------------------- conditionals
    def energy(self, v, h) -> np.ndarray:
        """``E(v, h)`` per row (float64)."""
        return self._engine.energy(self._v(v), self._h(h))

    def free_energy(self, v) -> np.ndarray:
        """``F(v) = -b^T v - sum_j softplus((v W + a)_j)`` per row (float64).

        Examples
        --------
        >>> rbm = RBM(np.zeros((2, 3)))
        >>> bool(np.isclose(rbm.free_energy([[1, 0]])[0], -3 * np.log(2)))
        True
        """
        return self._engine.free_energy(self._v(v))

    def hidden_prob(self, v) -> np.ndarray:
        """``P(h_j = 1 | v) = sigmoid(v W + a)``, one row per row of ``v``."""
        return expit(self._engine.hidden_logits(self._v(v)))

    def visible_prob(self, h) -> np.ndarray:
        """``P(v_i = 1 | h) = sigmoid(W h + b)``, one row per row of ``h``."""
        return expit(self._engine.visible_logits(self._h(h)))

    def sample_hidden(self, v, seed: int = 0, step: int = 0) -> np.ndarray:
        """Draw ``h ~ P(h | v)`` (engine stream ``(seed, row, 2 step)``)."""
        return self._engine.sample_hidden(self._v(v), seed, step)

    def sample_visible(self, h, seed: int = 0, step: int = 0) -> np.ndarray:
        """Draw ``v ~ P(v | h)`` (engine stream ``(seed, row, 2 step + 1)``)."""
        return self._engine.sample_visible(self._h(h), seed, step)

    def gibbs(self, v, n_steps: int = 1, *, seed: int = 0, step0: int = 0
              ) -> tuple[np.ndarray, np.ndarray]:
        """``n_steps`` block Gibbs steps from ``v``: returns ``(v, h)`` samples."""
        return self._engine.gibbs(self._v(v), n_steps, seed=seed, step0=step0)

    def reconstruct(self, v) -> np.ndarray:
        """Mean-field reconstruction ``sigmoid(W sigmoid(v W + a) + b)`` (deterministic)."""
        ph = expit(self._engine.hidden_logits(self._v(v)))
        return expit(self._engine.visible_logits(ph))

    def reconstruction_error(self, v) -> np.ndarray:
        """Cross-entropy ``-sum_i [v_i log r_i + (1 - v_i) log(1 - r_i)]`` per row, ``r``
        the mean-field reconstruction (computed from the logits, float64)."""
        v = self._v(v)
        ph = expit(self._engine.hidden_logits(v))
        x = self._engine.visible_logits(ph).astype(np.float64)
        return (softplus(x) - v * x).sum(axis=1)

    def sample(self, n_chains: int = 100, n_steps: int = 1000, *, seed: int = 0, init=None,
               mean: bool = True, shape: tuple[int, ...] | None = None,
               memory_budget: int | None = None) -> np.ndarray:
        """Run ``n_chains`` block Gibbs chains for ``n_steps`` steps; return the final visibles.

        The chains' arrays (visibles, hiddens and their logits) are checked against
        ``memory_budget`` (bytes; default ``$PGM_MEMORY_BUDGET`` or 4 GiB) first.

        Parameters
        ----------
        init : array (n_chains, D), optional
            Starting visibles (default uniformly random binary units).
        mean : bool
            Return ``P(v = 1 | h)`` of the last step (smooth images) instead of the
            binary sample.
        shape : tuple, optional
            Reshape each sample (e.g. ``(28, 28)``).

        Examples
        --------
        >>> RBM.random(4, 2, seed=0).sample(3, 5, mean=False).shape
        (3, 4)
        """
        from pgm.inference.bipartite import sample_from_logits

        n_steps = check_positive_int("n_steps", n_steps, 1)
        if init is None:
            n_chains = check_positive_int("n_chains", n_chains, 1)
            check_allocation(n_chains * self.chain_bytes, f"{n_chains} Gibbs chains of an RBM "
                             f"of {self.n_visible}+{self.n_hidden} units",
                             memory_budget=memory_budget)
            v = sample_from_logits(np.zeros((n_chains, self.n_visible), dtype=self.dtype),
                                   seed, 1)  # visible stream of step 0
        else:
            v = self._v(init, "init")
        v, h = self._engine.gibbs(v, n_steps, seed=seed, step0=1)
        out = expit(self._engine.visible_logits(h)) if mean else v
        return out.reshape(out.shape[0], *shape) if shape is not None else out

    @property
    def chain_bytes(self) -> int:
        """Bytes one Gibbs chain takes while sampling: the visibles, hiddens and their
        logits of two consecutive steps (the size checked by :meth:`sample`)."""
        return 2 * (2 * self.n_visible + 2 * self.n_hidden) * self.dtype.itemsize

    # ------------------------------------------------------------- core views
    def to_factor_graph(self):
        """The joint ``p(v, h)`` as a :class:`pgm.FactorGraph` (small RBMs only).

        Variables ``"v0".."v{D-1}"``, ``"h0".."h{P-1}"`` with state 0/1; one unary
        log-factor per unit, one pairwise log-factor per coupling.

        Examples
        --------
        >>> fg = RBM(np.ones((2, 1))).to_factor_graph()
        >>> sorted(map(str, fg.variables))
        ['h0', 'v0', 'v1']
        """
        if self.n_visible * self.n_hidden > 10_000:
            raise ModelError(f"to_factor_graph is for small RBMs; this one has "
                             f"{self.n_visible}x{self.n_hidden} couplings (limit 10,000)")
        return self._engine.to_pairwise().to_factor_graph()

    # -------------------------------------------------------------- likelihood
    def log_partition(self, method: str = "exact", **kwargs) -> float:
        """``log Z`` by ``"exact"`` enumeration of the smaller layer or ``"ais"``.

        Keyword arguments go to :func:`~pgm.models.rbm_likelihood.exact_log_partition`
        or :func:`~pgm.models.rbm_likelihood.ais_log_partition`.
        """
        from pgm.models import rbm_likelihood as L

        if method == "exact":
            return L.exact_log_partition(self, **kwargs)
        if method == "ais":
            return L.ais_log_partition(self, **kwargs).log_z
        raise ParameterError(f"method must be 'exact' or 'ais', got {method!r}")

    def log_likelihood(self, v, log_z: float | None = None, *, method: str = "exact",
                       **kwargs) -> np.ndarray:
        """``log p(v) = -F(v) - log Z`` per row (``log_z`` computed by ``method`` if not given)."""
        if log_z is None:
            log_z = self.log_partition(method, **kwargs)
        return -self.free_energy(v) - float(log_z)

    # ------------------------------------------------------------------ files
    def save(self, path: str | os.PathLike) -> Path:
        """Write the parameters to a ``.npz`` file (atomically; no pickle)."""
        meta = {"format": FORMAT, "version": FORMAT_VERSION, "kind": "model",
                "dtype": str(self.dtype)}
        return training.write_model_npz(path, {"W": self.W, "visible_bias": self.visible_bias,
                                      "hidden_bias": self.hidden_bias}, meta)

    @classmethod
    def load(cls, path: str | os.PathLike) -> RBM:
        """Read an RBM from a file written by :meth:`save` or :meth:`BernoulliRBM.save`.

        A missing, damaged or inconsistent file (``W`` not ``(D, H)`` with biases
        ``(D,)`` and ``(H,)``, non-finite values, a bad ``meta``) raises
        :class:`~pgm.exceptions.ModelLoadError`."""
        arrays, meta = _read_npz(path)
        return _rbm_from(arrays, _file_dtype(meta, path), path, cls)


# ---------------------------------------------------------------------- files
_ARRAYS = ("W", "visible_bias", "hidden_bias")

#: dtypes and shapes of an RBM file's arrays (D visible, H hidden units, B chains)
_SCHEMA = training.with_velocities({"W": (np.floating, ("D", "H")), "visible_bias": (np.floating, ("D",)),
                           "hidden_bias": (np.floating, ("H",)),
                           "chains": (np.floating, ("B", "D"))}, _ARRAYS)


def _read_npz(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict]:
    return training.read_model_npz(path, FORMAT, _ARRAYS, label="pgm RBM", schema=_SCHEMA)


def _file_dtype(meta: dict, path) -> np.dtype:
    """The ``dtype`` an RBM file asks for (float32 when it names none)."""
    try:
        return check_dtype("dtype", meta.get("dtype", "float32"))
    except (ParameterError, TypeError, ValueError) as exc:
        raise ModelLoadError(f"{path}: the file's dtype is invalid: {exc}") from None


def _rbm_from(arrays: dict, dtype: np.dtype, path, cls=None) -> RBM:
    """The :class:`RBM` of checked file arrays (:data:`_SCHEMA`), in ``dtype``."""
    W, b, a = training.model_arrays(arrays, _ARRAYS, dtype, path)
    return (cls or RBM)(W, b, a, dtype=dtype)


# ------------------------------------------------------------------ gradient
@dataclass
class CDPhases:
    """The sampled statistics of one CD-k / PCD minibatch.

    Attributes
    ----------
    data, hidden_data : arrays
        The minibatch ``v0`` and ``P(h | v0)``.
    negative, hidden_negative : arrays
        The negative-phase visibles after ``k`` Gibbs steps (the new persistent
        chains for PCD) and ``P(h | negative)``.
    next_step : int
        The first unused step of the random streams.
    """

    data: np.ndarray
    hidden_data: np.ndarray
    negative: np.ndarray
    hidden_negative: np.ndarray
    next_step: int


@dataclass
class CDGradient:
    """A CD-k / PCD estimate of the gradient of the mean log-likelihood.

    ``W = <v h^T>_data - <v h^T>_model`` and the bias terms (hidden terms from
    probabilities, visible terms from samples); ``phases`` holds the statistics.
    """

    W: np.ndarray
    visible_bias: np.ndarray
    hidden_bias: np.ndarray
    phases: CDPhases

    @property
    def next_step(self) -> int:
        return self.phases.next_step


def cd_phases(rbm: RBM, v0: np.ndarray, k: int = 1, *, seed: int = 0, step: int = 0,
              chains: np.ndarray | None = None,
              buffers: tuple[np.ndarray, np.ndarray] | None = None) -> CDPhases:
    """Positive and negative phase of CD-k (or, with ``chains``, persistent CD).

    Positive phase ``v0 -> P(h|v0)``; negative phase: ``k`` block Gibbs steps of the
    engine (BLAS fields, Numba Bernoulli draws) started from ``h0 ~ P(h|v0)`` (CD)
    or from the persistent ``chains`` (PCD).  The draws use the engine's streams
    ``(seed, row, step ...)``; ``next_step`` says where the next call must start so
    that no stream is reused.  ``v0`` is used as is (validate it with
    :func:`check_data`).

    ``buffers = (V, H)``, C-contiguous arrays of the model's dtype with ``m + n`` rows
    (``m`` data rows, ``n`` chains) and ``D`` and ``P`` columns, receive the phases
    stacked (data first): then the result's arrays are views of them, ready for one
    product ``V.T @ H`` (``v0`` may already be ``V[:m]``).

    Examples
    --------
    >>> ph = cd_phases(RBM.random(5, 3, seed=0), np.ones((4, 5), np.float32), k=2)
    >>> ph.negative.shape, ph.hidden_negative.shape, ph.next_step
    ((4, 5), (4, 3), 3)
    """
    k = check_positive_int("k", k, 1)
    eng = rbm.engine
    m = len(v0)
    n = m if chains is None else len(chains)
    if buffers is None:
        V = np.empty((m + n, rbm.n_visible), rbm.dtype)
        H = np.empty((m + n, rbm.n_hidden), rbm.dtype)
    else:
        V, H = buffers
        if V.shape != (m + n, rbm.n_visible) or H.shape != (m + n, rbm.n_hidden):
            raise ParameterError(f"buffers must have shapes {(m + n, rbm.n_visible)} and "
                                   f"{(m + n, rbm.n_hidden)}, got {V.shape} and {H.shape}")
    if not np.shares_memory(V[:m], v0):
        V[:m] = v0
    t = step
    if chains is None:
        h = eng.sample_hidden(V[:m], seed, step, prob_out=H[:m])
    else:   # PCD: the data's hidden layer enters only as probabilities
        sigmoid(eng.hidden_logits(V[:m], out=H[:m]), out=H[:m])
        t += 1
        h = eng.sample_hidden(chains, seed, t)
    for i in range(k - 1):
        v = eng.sample_visible(h, seed, t + i)
        h = eng.sample_hidden(v, seed, t + i + 1)
    eng.sample_visible(h, seed, t + k - 1, out=V[m:])
    # the last hidden layer enters as probabilities
    sigmoid(eng.hidden_logits(V[m:], out=H[m:]), out=H[m:])
    return CDPhases(V[:m], H[:m], V[m:], H[m:], t + k + 1)


def cd_gradient(rbm: RBM, v0: np.ndarray, k: int = 1, *, seed: int = 0, step: int = 0,
                chains: np.ndarray | None = None) -> CDGradient:
    """CD-k (or PCD) estimate of the gradient of the mean log-likelihood on a minibatch.

    See :func:`cd_phases` for the sampling.

    Examples
    --------
    >>> rbm = RBM.random(5, 3, seed=0)
    >>> g = cd_gradient(rbm, np.ones((4, 5), np.float32), k=2, seed=0)
    >>> g.W.shape, g.next_step
    ((5, 3), 3)
    """
    p = cd_phases(rbm, v0, k, seed=seed, step=step, chains=chains)
    m, n = len(p.data), len(p.negative)
    W = p.data.T @ p.hidden_data / m - p.negative.T @ p.hidden_negative / n
    return CDGradient(W=W, visible_bias=p.data.mean(axis=0) - p.negative.mean(axis=0),
                      hidden_bias=p.hidden_data.mean(axis=0) - p.hidden_negative.mean(axis=0),
                      phases=p)


# ----------------------------------------------------------------- estimator
_JSON_PARAMS = ("n_components", "learning_rate", "batch_size", "n_iter", "k", "persistent",
                "momentum", "weight_decay", "sigma", "init_visible_bias", "dtype",
                "score_method", "monitor_size", "learning_rate_schedule", "final_momentum")

#: learning-rate schedules of :class:`BernoulliRBM`
LEARNING_RATE_SCHEDULES = ("constant", "linear")

#: epochs trained with ``momentum`` before ``final_momentum`` takes over (Hinton's guide)
MOMENTUM_SWITCH_EPOCHS = 5


class BernoulliRBM(ClassNamePrefixFeaturesOutMixin, TransformerMixin, training.TrainableEstimator):
    """Binary RBM trained by CD-k or persistent CD (scikit-learn transformer).

    Like :class:`sklearn.neural_network.BernoulliRBM` (``transform`` gives
    ``P(h = 1 | v)``, ``gibbs`` one block Gibbs step), with CD-k for any ``k``,
    PCD, momentum, weight decay, float32 arithmetic, exact/AIS likelihoods,
    per-epoch monitoring and checkpoints.

    Parameters
    ----------
    n_components : int
        Hidden units ``P``.
    learning_rate : float
        SGD step size (per example: the gradient is a minibatch mean); the initial
        one with a decaying ``learning_rate_schedule``.
    learning_rate_schedule : {"constant", "linear"}
        ``"linear"`` decays the step size after every minibatch, linearly to zero at
        the end of epoch ``n_iter`` (Tieleman 2008's schedule for PCD, whose
        persistent chains need a slowly changing model to stay near equilibrium).
        It depends on ``n_iter`` only: a resumed run follows the same schedule.
    batch_size : int
        Minibatch size (also the number of persistent chains).
    n_iter : int
        Epochs; with ``resume`` the total, counting the epochs already done.
    k : int
        Gibbs steps of the negative phase.
    persistent : bool
        Persistent CD (the negative chains carry over between minibatches).
    momentum : float
        Velocity decay ``mu``: ``vel = mu vel + lr (grad - weight_decay W)``, ``W += vel``.
    final_momentum : float, optional
        Momentum from epoch ``MOMENTUM_SWITCH_EPOCHS + 1`` (= 6) on; ``None`` keeps
        ``momentum`` throughout (Hinton's guide: 0.5, then 0.9).
    weight_decay : float
        L2 penalty on ``W`` (default 2e-4, as in Hinton & Salakhutdinov's code).
    sigma : float
        Standard deviation of the initial weights (0.1, as in the seed problems;
        Hinton's guide suggests 0.01 - smaller weights start closer to the
        independent model and mix faster in early epochs).
    init_visible_bias : bool
        Start the visible biases at the log-odds of the data means (else zero).
    dtype : {"float32", "float64"}
    score_method : {"auto", "exact", "ais"}
        How :meth:`score_samples` gets ``log Z``; ``"auto"``: exact when the smaller
        layer has at most 20 units, else AIS (slow for large models).
    monitor_size : int
        Training (and validation) rows used for the per-epoch monitors.
    verbose : bool
        Progress bar (only on a terminal).
    random_state : int, None, numpy Generator or RandomState
        Seed of the whole run; ``None`` draws one (kept in ``seed_`` and in checkpoints).
    checkpoint : path, optional
        File rewritten atomically after every epoch (parameters, momentum buffers,
        persistent chains, step counter, history).
    resume : bool
        If ``checkpoint`` exists, ``fit`` continues from it (same result as an
        uninterrupted run on the same data); otherwise it starts afresh.
    callback : callable, optional
        ``callback(estimator, record)`` after every epoch (``record``: that epoch's
        history row); returning True stops training.

    Attributes
    ----------
    rbm_ : RBM
    components_ : array (P, D)
        ``W^T`` (scikit-learn's layout).
    intercept_hidden_, intercept_visible_ : arrays
    history_ : dict of lists
        One entry per epoch for each of :data:`HISTORY_KEYS`.
    seed_, step_, epoch_ : int

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> X = (rng.random((60, 8)) < 0.5).astype(float); y = X[:, 0] > 0
    >>> pipe = make_pipeline(BernoulliRBM(n_components=4, n_iter=1, random_state=0),
    ...                      LogisticRegression()).fit(X, y)
    >>> pipe.predict(X[:2]).shape
    (2,)
    """

    _format = FORMAT
    _fitted_attr = "rbm_"

    def __init__(self, n_components: int = 256, *, learning_rate: float = 0.1,
                 batch_size: int = 100, n_iter: int = 10, k: int = 1, persistent: bool = False,
                 momentum: float = 0.5, weight_decay: float = 2e-4, sigma: float = 0.1,
                 learning_rate_schedule: str = "constant", final_momentum: float | None = None,
                 init_visible_bias: bool = True, dtype: str = "float32",
                 score_method: str = "auto", monitor_size: int = 1000, verbose: bool = False,
                 random_state=None, checkpoint: str | os.PathLike | None = None,
                 resume: bool = False, callback: Callable | None = None) -> None:
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.final_momentum = final_momentum
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.k = k
        self.persistent = persistent
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.sigma = sigma
        self.init_visible_bias = init_visible_bias
        self.dtype = dtype
        self.score_method = score_method
        self.monitor_size = monitor_size
        self.verbose = verbose
        self.random_state = random_state
        self.checkpoint = checkpoint
        self.resume = resume
        self.callback = callback

    # ------------------------------------------------------------ attributes
    @property
    def components_(self) -> np.ndarray:
        return self._fitted().W.T

    @property
    def intercept_hidden_(self) -> np.ndarray:
        return self._fitted().hidden_bias

    @property
    def intercept_visible_(self) -> np.ndarray:
        return self._fitted().visible_bias

    def _fitted(self) -> RBM:
        super()._fitted()
        return self.rbm_

    def _check_params(self) -> None:
        check_positive_int("n_components", self.n_components)
        check_positive_int("batch_size", self.batch_size)
        check_positive_int("n_iter", self.n_iter, 0)
        check_positive_int("k", self.k)
        check_positive_int("monitor_size", self.monitor_size)
        for name in ("learning_rate", "weight_decay", "sigma"):
            check_float(name, getattr(self, name), minimum=0)
        check_float("momentum", self.momentum, minimum=0, maximum=1, include_maximum=False)
        if self.final_momentum is not None:
            check_float("final_momentum", self.final_momentum, minimum=0, maximum=1,
                        include_maximum=False)
        check_choice("learning_rate_schedule", self.learning_rate_schedule,
                     LEARNING_RATE_SCHEDULES)
        check_dtype("dtype", self.dtype)
        check_choice("score_method", self.score_method, ("auto", "exact", "ais"))

    # ------------------------------------------------------------- state
    def _init_state(self, X: np.ndarray) -> None:
        self.seed_ = self._resolve_seed()
        D = X.shape[1]
        b = data_log_odds(X) if self.init_visible_bias else None
        self.rbm_ = RBM.random(D, self.n_components, sigma=self.sigma, seed=self.seed_,
                               visible_bias=b, dtype=self._dt,
                               memory_budget=self.__dict__.get("_memory_budget"))
        self.n_features_in_ = D
        self._n_features_out = self.n_components
        self.velocity_ = tuple(np.zeros_like(p) for p in self._params())
        self.step_ = 0
        self.epoch_ = 0
        self.history_ = {key: [] for key in HISTORY_KEYS}
        self._version = 0
        self._sample_step = 0
        self.__dict__.pop("_log_z_cache", None)
        if self.persistent:
            from pgm.inference.bipartite import sample_bernoulli

            rng = np.random.default_rng([self.seed_, 2])
            idx = rng.integers(0, X.shape[0], self.batch_size)
            self.chains_ = sample_bernoulli(X[idx], derived_seed(self.seed_, 2), 0)
        else:
            self.chains_ = None

    def _params(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r = self.rbm_
        return r.W, r.visible_bias, r.hidden_bias

    def _snapshot(self) -> dict:
        return {"params": [p.copy() for p in self._params()],
                "velocity": [u.copy() for u in self.velocity_],
                "chains": None if self.chains_ is None else self.chains_.copy(),
                "step": self.step_}

    def _restore(self, snap: dict) -> None:
        for p, s in zip(self._params(), snap["params"]):
            p[...] = s
        for u, s in zip(self.velocity_, snap["velocity"]):
            u[...] = s
        self.chains_ = snap["chains"]
        self.step_ = snap["step"]
        self._version += 1

    # --------------------------------------------------------------- update
    def _rates(self, epoch: int, fraction: float = 0.0) -> tuple[float, float]:
        """Learning rate and momentum ``fraction`` of the way through 0-based ``epoch``."""
        lr = float(self.learning_rate)
        if self.learning_rate_schedule == "linear":
            lr *= max(0.0, 1.0 - (epoch + fraction) / max(int(self.n_iter), 1))
        mu = self.momentum
        if self.final_momentum is not None and epoch >= MOMENTUM_SWITCH_EPOCHS:
            mu = self.final_momentum
        return lr, float(mu)

    def _buffers(self, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The stacked phases ``V`` (m + n, D) and ``H`` (m + n, P) of a minibatch of ``m``
        rows (``n`` negative chains) and the gradient buffer (D, P); kept between
        minibatches and reallocated only when the shapes change."""
        W = self.rbm_.W
        n = m if self.chains_ is None else len(self.chains_)
        bufs = self.__dict__.get("_bufs")
        if bufs is None or bufs[0].shape != (m + n, W.shape[0]) or bufs[2].dtype != W.dtype:
            bufs = self._bufs = (np.empty((m + n, W.shape[0]), W.dtype),
                                 np.empty((m + n, W.shape[1]), W.dtype), np.empty_like(W))
        return bufs

    def _batch(self, X: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Rows ``rows`` of ``X`` (model dtype), gathered straight into the data half of
        the stacked buffer of :meth:`_update`."""
        return np.take(X, rows, axis=0, out=self._buffers(len(rows))[0][:len(rows)],
                       mode="clip")   # rows come from a permutation: always valid

    def _update(self, v0: np.ndarray, rates: tuple[float, float] | None = None) -> bool:
        """One SGD step on a minibatch; False if the parameters became non-finite.

        ``vel = mu vel + lr (<v h>_data - <v h>_model - weight_decay W)``, ``W += vel``:
        one BLAS product of the stacked phases (scaled by ``+-lr/m``) into a reused
        buffer, then one compiled pass (:func:`pgm.models.sgd.momentum_step`).
        """
        from pgm.models.sgd import momentum_step

        W, b, a = self._params()
        m = len(v0)
        V, H, buf = self._buffers(m)
        p = cd_phases(self.rbm_, v0, self.k, seed=self.seed_, step=self.step_,
                      chains=self.chains_, buffers=(V, H))
        self.step_ = p.next_step
        if self.persistent:
            self.chains_ = p.negative.copy()
        lr, mu = self._rates(self.epoch_) if rates is None else rates
        vW, vb, va = self.velocity_
        with np.errstate(over="ignore", invalid="ignore"):
            step_b = lr * (p.data.mean(axis=0) - p.negative.mean(axis=0))
            H[:m] *= H.dtype.type(lr / m)
            H[m:] *= H.dtype.type(-lr / len(p.negative))
            np.matmul(V.T, H, out=buf)
            ok = momentum_step(W, vW, buf, momentum=mu, decay=lr * float(self.weight_decay))
            ok &= momentum_step(b, vb, step_b, momentum=mu)
            ok &= momentum_step(a, va, H.sum(axis=0), momentum=mu)
        self._version += 1
        return ok

    def _monitor(self, Xm: np.ndarray, Vm: np.ndarray | None) -> dict[str, float]:
        r = self.rbm_
        tr = float(r.reconstruction_error(Xm).mean())
        ftr = float(r.free_energy(Xm).mean())
        if Vm is None:
            return {"train_recon": tr, "val_recon": math.nan, "train_free_energy": ftr,
                    "val_free_energy": math.nan, "free_energy_gap": math.nan}
        va = float(r.reconstruction_error(Vm).mean())
        fva = float(r.free_energy(Vm).mean())
        return {"train_recon": tr, "val_recon": va, "train_free_energy": ftr,
                "val_free_energy": fva, "free_energy_gap": fva - ftr}

    def _monitor_rows(self, n: int, purpose: int) -> np.ndarray:
        m = min(n, int(self.monitor_size))
        return np.sort(np.random.default_rng([self.seed_, purpose]).choice(n, m, replace=False))

    def _train(self, X: np.ndarray, X_val: np.ndarray | None) -> None:
        n = X.shape[0]
        n_batches = -(-n // int(self.batch_size))
        Xm = X[self._monitor_rows(n, 3)]
        Vm = None if X_val is None else X_val[self._monitor_rows(X_val.shape[0], 4)]
        snap: dict = {}

        def step(epoch: int, bar) -> dict:
            snap.update(self._snapshot())
            for bi, rows in training.minibatches(n, self.batch_size, self.seed_, epoch):
                if not self._update(self._batch(X, rows), self._rates(epoch, bi / n_batches)):
                    self._restore(snap)
                    kept = (f"; the checkpoint {self.checkpoint} (epoch {self.epoch_}) is kept"
                            if self.checkpoint else "")
                    raise TrainingDivergedError(
                        f"training diverged in epoch {epoch + 1}, minibatch {bi + 1}: the "
                        f"parameters became non-finite (learning_rate={self.learning_rate} "
                        f"is probably too large); parameters restored to the end of epoch "
                        f"{self.epoch_}{kept}")
                bar.update()
            return {}

        def summary(r: dict) -> str:
            return (f"epoch {r['epoch']}: recon {r['train_recon']:.2f} (val {r['val_recon']:.2f}), "
                    f"F gap {r['free_energy_gap']:.2f}, {r['seconds']:.1f}s")

        training.train_epochs(self, step, n_epochs=self.n_iter, n_batches=n_batches,
                     history_keys=HISTORY_KEYS, monitor=lambda: self._monitor(Xm, Vm),
                     params=self._params, on_diverged=lambda: self._restore(snap),
                     checkpoint=self.checkpoint, callback=self.callback, verbose=self.verbose,
                     summary=summary)

    # ---------------------------------------------------------- sklearn API
    def fit(self, X, y=None, X_val=None, *, memory_budget: int | None = None) -> BernoulliRBM:
        """Train for ``n_iter`` epochs (or up to it, resuming from ``checkpoint``).

        ``X_val``: optional validation data for the per-epoch monitors.
        ``memory_budget``: bytes the parameters, their velocities and gradient, and the
        minibatch buffers may take (default ``$PGM_MEMORY_BUDGET`` or 4 GiB); checked
        (:meth:`training_bytes`) before anything is allocated.
        """
        self._check_params()
        X = check_data(X, dtype=self._dt)
        Xv = None if X_val is None else check_data(X_val, n_features=X.shape[1], name="X_val",
                                                    dtype=self._dt)
        check_allocation(self.training_bytes(X.shape[0], X.shape[1]),
                         f"training an RBM of {X.shape[1]} visible x {self.n_components} hidden "
                         f"units", memory_budget=memory_budget)
        self._memory_budget = memory_budget
        if self.resume and self.checkpoint and Path(self.checkpoint).exists():
            self._load_state(self.checkpoint, n_features=X.shape[1])
        else:
            self._init_state(X)
        self._train(X, Xv)
        return self

    def training_bytes(self, n_rows: int, n_features: int) -> int:
        """Bytes that training on ``n_rows`` x ``n_features`` data allocates: the couplings
        (float64 draw, the parameters, velocity, gradient, a float64 copy for the free
        energies), the stacked minibatch phases and the monitors.

        Examples
        --------
        >>> BernoulliRBM(n_components=100, batch_size=10).training_bytes(1000, 784)
        23552640
        """
        D, P = int(n_features), int(self.n_components)
        item = np.dtype(self._dt).itemsize
        m = min(int(self.batch_size), int(n_rows))
        chains = int(self.batch_size) if self.persistent else m
        monitor = min(int(self.monitor_size), int(n_rows))
        return (D * P * (16 + 3 * item) + 2 * (m + chains) * (D + P) * item
                + 3 * monitor * (D + P) * 8)

    def partial_fit(self, X, y=None) -> BernoulliRBM:
        """One SGD step with ``X`` as the minibatch (initialises the model first)."""
        self._check_params()
        if "rbm_" not in self.__dict__:
            X = check_data(X, dtype=self._dt)
            self._init_state(X)
        else:
            X = check_data(X, n_features=self.n_features_in_, dtype=self._dt)
        snap = self._snapshot()
        if not self._update(X):
            self._restore(snap)
            raise TrainingDivergedError(
                f"partial_fit diverged: the parameters became non-finite (learning_rate="
                f"{self.learning_rate} is probably too large); the update was undone")
        return self

    def transform(self, X) -> np.ndarray:
        """``P(h = 1 | v)`` for each row of ``X``."""
        rbm = self._fitted()
        return rbm.hidden_prob(check_data(X, n_features=rbm.n_visible, dtype=self._dt))

    def gibbs(self, v) -> np.ndarray:
        """One block Gibbs step ``v -> h -> v`` (binary samples; a new stream each call)."""
        rbm = self._fitted()
        v = check_data(v, n_features=rbm.n_visible, name="v", dtype=self._dt)
        step = self.__dict__.get("_sample_step", 0)
        self._sample_step = step + 1
        return rbm.gibbs(v, 1, seed=derived_seed(self.seed_, 5), step0=step)[0]

    def sample(self, n_chains: int = 100, n_steps: int = 1000, *, seed: int = 0,
               mean: bool = True, memory_budget: int | None = None) -> np.ndarray:
        """Samples of the model: see :meth:`RBM.sample`."""
        return self._fitted().sample(n_chains, n_steps, seed=seed, mean=mean,
                                     memory_budget=memory_budget)

    def log_partition(self) -> float:
        """``log Z`` by :attr:`score_method` (cached until the parameters change)."""
        rbm = self._fitted()
        method = self.score_method
        if method == "auto":
            method = "exact" if min(rbm.n_visible, rbm.n_hidden) <= EXACT_AUTO_UNITS else "ais"
        key = (self.__dict__.get("_version", 0), method)
        cache = self.__dict__.get("_log_z_cache")
        if cache is not None and cache[0] == key:
            return cache[1]
        kwargs = {"seed": self.seed_} if method == "ais" else {}
        value = rbm.log_partition(method, **kwargs)
        self._log_z_cache = (key, value)
        return value

    def score_samples(self, X) -> np.ndarray:
        """``log p(v)`` per row (``-F(v) - log Z``; see :attr:`score_method`)."""
        rbm = self._fitted()
        X = check_data(X, n_features=rbm.n_visible, dtype=self._dt)
        return -rbm.free_energy(X) - self.log_partition()

    def score(self, X, y=None) -> float:
        """Mean log-likelihood of the rows of ``X``."""
        return float(np.mean(self.score_samples(X)))

    # ------------------------------------------------------------------ files
    def save(self, path: str | os.PathLike) -> Path:
        """Write the model, hyperparameters, history and training state to ``.npz`` (atomic;
        :func:`pgm.models._training.save_training_state`'s layout)."""
        rbm = self._fitted()
        extra = {} if self.chains_ is None else {"chains": self.chains_}
        return training.save_training_state(self, path, _ARRAYS, _JSON_PARAMS, params=self._params(),
                                   extra_arrays=extra, kind="estimator", dtype=str(rbm.dtype),
                                   step=int(self.step_), n_features_in=int(self.n_features_in_))

    def run_description(self) -> dict:
        """The JSON part of :meth:`save`'s file that describes the run: ``params`` (the
        hyperparameters), ``seed``, ``step`` and ``epoch``."""
        return {"params": {p: training.json_value(getattr(self, p)) for p in _JSON_PARAMS},
                "seed": int(self.seed_), "step": int(self.step_), "epoch": int(self.epoch_)}

    @classmethod
    def load(cls, path: str | os.PathLike) -> BernoulliRBM:
        """An estimator from :meth:`save` (or a plain :meth:`RBM.save` file: no history)."""
        arrays, meta = _read_npz(path)
        params = training.meta_params(meta, path, _JSON_PARAMS)
        rbm = _rbm_from(arrays, _file_dtype(meta, path), path)
        params.setdefault("n_components", rbm.n_hidden)
        params.setdefault("dtype", str(rbm.dtype))
        est = training.model_from_meta(cls, path, **params)
        if est.n_components != rbm.n_hidden:
            raise ModelLoadError(f"{path}: W has {rbm.n_hidden} hidden units but the file's "
                                 f"n_components is {est.n_components}")
        chains = arrays.get("chains")
        if (chains is not None) != bool(est.persistent) or (
                chains is not None and chains.shape[0] != est.batch_size):
            raise ModelLoadError(f"{path}: the file's persistent chains ("
                                 f"{'none' if chains is None else chains.shape[0]}) do not match "
                                 f"its persistent={est.persistent} and batch_size="
                                 f"{est.batch_size}")
        est._set_state(arrays, meta, rbm, path)
        return est

    def _set_state(self, arrays: dict, meta: dict, rbm: RBM, path) -> None:
        self.rbm_ = rbm
        self.n_features_in_ = rbm.n_visible
        self._n_features_out = rbm.n_hidden
        self.step_ = training.meta_count(meta, "step", path)
        training.restore_training_state(self, arrays, meta, _ARRAYS, HISTORY_KEYS, path,
                               params=self._params())
        self.velocity_ = tuple(self.velocity_)
        ch = arrays.get("chains")
        self.chains_ = None if ch is None else np.ascontiguousarray(ch, dtype=rbm.dtype)
        self._version = self.__dict__.get("_version", 0) + 1
        self._sample_step = 0
        self.__dict__.pop("_log_z_cache", None)

    def _load_state(self, path, n_features: int) -> None:
        arrays, meta = _read_npz(path)
        rbm = _rbm_from(arrays, self._dt, path)
        training.meta_params(meta, path, ())            # a damaged meta is refused before comparing
        training.check_resume_epochs(path, training.meta_count(meta, "epoch", path), self.n_iter, "n_iter")
        if rbm.n_visible != n_features:
            raise CardinalityError(f"checkpoint {path} has {rbm.n_visible} visible units but the "
                                   f"data has {n_features} columns")
        if rbm.n_hidden != self.n_components:
            raise CardinalityError(f"checkpoint {path} has {rbm.n_hidden} hidden units, "
                                   f"n_components is {self.n_components}")
        has_chains = "chains" in arrays
        if has_chains != bool(self.persistent) or (
                has_chains and arrays["chains"].shape[0] != self.batch_size):
            raise ParameterError(f"checkpoint {path} was written with persistent="
                                 f"{has_chains} and other chains; resume with the same "
                                 "persistent and batch_size")
        self._set_state(arrays, meta, rbm, path)


# ---------------------------------------------------------------- plotting
def plot_training_curves(history: Mapping[str, list], path: str | os.PathLike) -> Path:
    """PNG with the reconstruction errors and the free-energy gap per epoch (atomic).

    Examples
    --------
    >>> import tempfile
    >>> h = {"epoch": [1, 2], "train_recon": [60.0, 50.0], "val_recon": [61.0, 52.0],
    ...      "free_energy_gap": [0.1, 0.3]}
    >>> plot_training_curves(h, os.path.join(tempfile.mkdtemp(), "c.png")).suffix
    '.png'
    """
    from pgm.files import new_figure, save_figure

    ep = np.asarray(history.get("epoch", []), dtype=float)
    fig = new_figure((9, 3.4))
    ax1, ax2 = fig.subplots(1, 2)
    ax1.plot(ep, history.get("train_recon", []), "o-", label="training subset")
    val = np.asarray(history.get("val_recon", []), dtype=float)
    if val.size and np.isfinite(val).any():
        ax1.plot(ep, val, "s-", label="validation")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("reconstruction cross-entropy (nats/image)")
    ax1.legend()
    gap = np.asarray(history.get("free_energy_gap", []), dtype=float)
    ax2.plot(ep, gap, "o-", color="C2")
    ax2.axhline(0.0, color="grey", lw=0.8)
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("mean F(validation) - mean F(train)")
    return save_figure(fig, path, dpi=100, format="png")
