"""Partition function and log-likelihood of a binary RBM: exact enumeration and AIS.

* :func:`exact_log_partition`: enumerate the ``2^min(D, P)`` states of the smaller
  layer (the engine's :func:`~pgm.inference.bipartite.bipartite_log_partition`,
  a Numba-parallel Gray-code walk); practical up to about 25 units.
* :func:`ais_log_partition`: annealed importance sampling (Salakhutdinov & Murray,
  *On the quantitative analysis of deep belief networks*, ICML 2008) from a
  base-rate model ``p_A(v) ∝ exp(b_A^T v)`` whose visible biases are the log-odds of
  the data's pixel means, through the intermediate distributions

      ``p_k*(v) = exp(((1 - β_k) b_A + β_k b)^T v) prod_j (1 + exp(β_k (v^T W + a)_j))``

  with the transitions ``h ~ sigmoid(β_k (v^T W + a))``,
  ``v ~ sigmoid((1 - β_k) b_A + β_k (W h + b))``: every step is a BLAS product from
  :class:`~pgm.inference.bipartite.BipartiteBinary` followed by the engine's Numba
  Bernoulli kernel (:func:`~pgm.inference.bipartite.sample_from_logits`).
* :func:`average_log_likelihood`: ``mean(-F(v)) - log Z`` of a data set with either.

Examples
--------
>>> from pgm.models.rbm import RBM
>>> rbm = RBM.random(20, 8, sigma=0.3, seed=0)
>>> exact = exact_log_partition(rbm)
>>> ais = ais_log_partition(rbm, n_runs=200, betas=ais_betas(1000), seed=0)
>>> bool(abs(ais.log_z - exact) < 0.05)
True
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from pgm._math import logsumexp, sigmoid, softplus
from pgm.exceptions import EstimateWarning, ParameterError

__all__ = [
    "AISResult",
    "LikelihoodEstimate",
    "ais_betas",
    "ais_log_partition",
    "ais_run_bytes",
    "average_log_likelihood",
    "exact_log_partition",
]

#: Salakhutdinov & Murray (2008): 500 temperatures in [0, 0.5), 4,000 in [0.5, 0.9),
#: 10,000 in [0.9, 1]
PAPER_COUNTS = (500, 4000, 10000)


def exact_log_partition(rbm, *, backend: str = "auto", max_units: int = 25) -> float:
    """Exact ``log Z`` by enumerating the smaller layer (``2^min(D, P)`` states).

    Raises :class:`~pgm.exceptions.MemoryBudgetError` above ``2^max_units`` states.

    Examples
    --------
    >>> from pgm.models.rbm import RBM
    >>> round(float(exact_log_partition(RBM(np.zeros((3, 2)))) / np.log(2)), 6)
    5.0
    """
    from pgm.inference.bipartite import bipartite_log_partition

    return bipartite_log_partition(rbm.W, rbm.visible_bias, rbm.hidden_bias, backend=backend,
                                   max_units=max_units)


def ais_betas(n_temperatures: int | tuple[int, int, int] | None = None) -> np.ndarray:
    """Inverse temperatures from 0 to 1 for AIS, dense near 1.

    ``None``: the paper's 14,500 intermediate distributions (:data:`PAPER_COUNTS`);
    an int: that many, split in the paper's proportions; a triple: the counts in
    ``[0, 0.5)``, ``[0.5, 0.9)`` and ``[0.9, 1]``.  The result starts at 0 and ends at 1.

    Examples
    --------
    >>> b = ais_betas((5, 4, 10))
    >>> b.size, float(b[0]), float(b[-1]), bool(np.all(np.diff(b) > 0))
    (20, 0.0, 1.0, True)
    """
    if n_temperatures is None:
        counts = PAPER_COUNTS
    elif isinstance(n_temperatures, (int, np.integer)) and not isinstance(n_temperatures, bool):
        n = int(n_temperatures)
        if n < 3:
            raise ParameterError(f"AIS needs at least 3 temperatures, got {n}")
        tot = sum(PAPER_COUNTS)
        c1 = max(1, round(n * PAPER_COUNTS[0] / tot))
        c2 = max(1, round(n * PAPER_COUNTS[1] / tot))
        counts = (c1, c2, max(1, n - c1 - c2))
    else:
        counts = tuple(int(c) for c in n_temperatures)
        if len(counts) != 3 or min(counts) < 1:
            raise ParameterError(f"temperature counts must be three positive ints, got "
                                 f"{n_temperatures!r}")
    n1, n2, n3 = counts
    from pgm._config import check_allocation

    check_allocation(8 * 2 * (n1 + n2 + n3 + 1), f"{n1 + n2 + n3} AIS temperatures")
    return np.concatenate([np.linspace(0.0, 0.5, n1, endpoint=False),
                           np.linspace(0.5, 0.9, n2, endpoint=False),
                           np.linspace(0.9, 1.0, n3 + 1)])


@dataclass
class AISResult:
    """An AIS estimate of ``log Z``.

    Attributes
    ----------
    log_z : float
        ``log Z_A + log mean(w)``.
    log_z_std : float
        Standard error of ``log_z`` (delta method: ``se(w) / mean(w)``).
    log_z_lower, log_z_upper : float
        ``log(mean(w) -/+ 3 se(w)) + log Z_A`` (``-inf`` when the lower one is not positive),
        the error bar of Salakhutdinov & Murray.
    log_weights : array (n_runs,)
        Log importance weights of the runs.
    log_z_base : float
        ``log Z_A`` of the base-rate model.
    betas : array
        The inverse temperatures used.
    """

    log_z: float
    log_z_std: float
    log_z_lower: float
    log_z_upper: float
    log_weights: np.ndarray
    log_z_base: float
    betas: np.ndarray

    @property
    def n_runs(self) -> int:
        return int(self.log_weights.size)

    @property
    def effective_runs(self) -> float:
        """Effective sample size of the importance weights, ``(sum w)^2 / sum w^2``
        (between 1 and ``n_runs``; a few runs carrying all the weight means the estimate
        of ``Z`` rests on them)."""
        w = np.exp(self.log_weights - np.max(self.log_weights))
        return float(w.sum() ** 2 / (w ** 2).sum())

    @property
    def reliable(self) -> bool:
        """False when the 3-standard-error bar of ``Z`` reaches zero (``log_z_lower`` is
        ``-inf``): the weights are too uneven to trust ``log_z``, which then tends to
        be too low (so likelihoods come out too high)."""
        return bool(np.isfinite(self.log_z_lower))

    def contains(self, value: float) -> bool:
        """True if ``value`` lies in ``[log_z_lower, log_z_upper]``."""
        return bool(self.log_z_lower <= value <= self.log_z_upper)


def ais_run_bytes(n_visible: int, n_hidden: int, itemsize: int = 4) -> int:
    """Bytes one AIS run takes: its visibles and their logits (engine dtype, float64 for
    the increments), its hiddens, their logits and the float64 temporaries of a step.

    Examples
    --------
    >>> ais_run_bytes(784, 500)
    32544
    """
    return int(n_visible) * (2 * itemsize + 8) + int(n_hidden) * (2 * itemsize + 4 * 8)


def ais_log_partition(rbm, *, data=None, base_bias=None, n_runs: int = 100,
                      betas: np.ndarray | int | None = None, seed: int = 0,
                      memory_budget: int | None = None) -> AISResult:
    """Annealed importance sampling estimate of ``log Z`` (Salakhutdinov & Murray 2008).

    Parameters
    ----------
    rbm : RBM
    data : array (n, D), optional
        Training data: the base-rate model's visible biases are the log-odds of its
        column means (:func:`~pgm.models.rbm.data_log_odds`).
    base_bias : array (D,), optional
        The base-rate biases directly (default: from ``data``, else zeros).
    n_runs : int
        Parallel AIS runs (rows of one minibatch for the engine).
    betas : array, int or None
        Inverse temperatures (see :func:`ais_betas`; default the paper's 14,500).
    seed : int
        Engine seed; run ``r`` draws from streams ``(seed, r, step)``.
    memory_budget : int, optional
        Bytes the runs may take (:func:`ais_run_bytes` each; default
        ``$PGM_MEMORY_BUDGET`` or 4 GiB); more raise
        :class:`~pgm.exceptions.MemoryBudgetError` before anything is allocated.

    Examples
    --------
    >>> from pgm.models.rbm import RBM
    >>> res = ais_log_partition(RBM.random(10, 4, seed=1), n_runs=50, betas=200, seed=0)
    >>> res.n_runs, bool(res.log_z_lower <= res.log_z <= res.log_z_upper)
    (50, True)
    """
    from pgm._config import check_allocation
    from pgm.exceptions import CardinalityError
    from pgm.inference.bipartite import sample_from_logits
    from pgm.models.rbm import check_data, data_log_odds
    from pgm.validation import check_positive_int

    M = check_positive_int("n_runs", n_runs, 2)
    check_allocation(M * ais_run_bytes(rbm.n_visible, rbm.n_hidden, rbm.engine.dtype.itemsize),
                     f"{M} AIS runs of an RBM of {rbm.n_visible}+{rbm.n_hidden} units",
                     memory_budget=memory_budget)
    if betas is None or isinstance(betas, (int, np.integer, tuple)):
        betas = ais_betas(betas)
    betas = np.asarray(betas, dtype=np.float64)
    if betas.ndim != 1 or betas.size < 2 or betas[0] != 0.0 or betas[-1] != 1.0 \
            or np.any(np.diff(betas) <= 0):
        raise ParameterError("betas must increase strictly from 0 to 1")
    eng = rbm.engine
    D, P = rbm.n_visible, rbm.n_hidden
    if base_bias is None:
        bA = data_log_odds(check_data(data, n_features=D, name="data")) if data is not None \
            else np.zeros(D)
    else:
        bA = np.asarray(base_bias, dtype=np.float64).ravel()
        if bA.size != D:
            raise CardinalityError(f"base_bias has {bA.size} entries, the RBM {D} visible units")
        if not np.all(np.isfinite(bA)):
            raise ParameterError("base_bias must be finite")
    b = np.asarray(rbm.visible_bias, dtype=np.float64)
    bA32 = bA.astype(eng.dtype)
    db = b - bA
    log_z_base = float(softplus(bA).sum() + P * math.log(2.0))

    # v_1 ~ p_0 (the base model), visible stream of step 0
    v = sample_from_logits(np.ascontiguousarray(np.broadcast_to(bA32, (M, D))), seed, 1)
    x = eng.hidden_logits(v)
    x64 = x.astype(np.float64)
    log_w = np.zeros(M)
    K = betas.size - 1
    for k in range(1, K + 1):
        bk, bp = betas[k], betas[k - 1]
        # log p_k*(v_k) - log p_{k-1}*(v_k); per hidden unit
        # softplus(bk x) - softplus(bp x) = log1p(sigmoid(bp x) expm1((bk - bp) x)),
        # without the cancellation of the difference (and SIMD throughout)
        with np.errstate(over="ignore", invalid="ignore"):
            inc = np.log1p(sigmoid(x64, scale=bp) * np.expm1((bk - bp) * x64)).sum(axis=1)
        if not np.all(np.isfinite(inc)):    # expm1 overflowed (huge fields, coarse betas)
            inc = softplus(bk * x64).sum(axis=1) - softplus(bp * x64).sum(axis=1)
        log_w += (bk - bp) * (v @ db) + inc
        if k == K:
            break
        # v_{k+1} ~ T_k(v_k | .), invariant for p_k
        h = sample_from_logits(x, seed, 2 * k, beta=bk)
        vl = eng.visible_logits(h)
        vl *= eng.dtype.type(bk)
        vl += eng.dtype.type(1.0 - bk) * bA32
        v = sample_from_logits(vl, seed, 2 * k + 1)
        x = eng.hidden_logits(v)
        x64 = x.astype(np.float64)
    lmax = float(np.max(log_w))
    w = np.exp(log_w - lmax)
    mean = float(w.mean())
    se = float(w.std(ddof=1) / math.sqrt(M))
    log_z = log_z_base + float(logsumexp(log_w)) - math.log(M)
    lower = log_z_base + lmax + (math.log(mean - 3 * se) if mean - 3 * se > 0 else -math.inf)
    upper = log_z_base + lmax + math.log(mean + 3 * se)
    res = AISResult(log_z=log_z, log_z_std=se / mean, log_z_lower=lower, log_z_upper=upper,
                    log_weights=log_w, log_z_base=log_z_base, betas=betas)
    if not res.reliable:
        warnings.warn(
            f"AIS estimate of log Z is unreliable: its error bar reaches zero (effective runs "
            f"{res.effective_runs:.1f} of {M}); log Z is probably too low and likelihoods too "
            f"high. Use more runs (n_runs) or temperatures (betas).", EstimateWarning,
            stacklevel=2)
    return res


@dataclass
class LikelihoodEstimate:
    """Average log-likelihood of a data set.

    ``mean = mean(-F(v)) - log_z``; for AIS, ``lower``/``upper`` come from the error
    bar of ``log Z`` (a larger ``log Z`` gives a smaller likelihood); ``std_error`` is
    the standard error of the mean over the data rows.
    """

    mean: float
    log_z: float
    method: str
    n: int
    std_error: float
    log_z_std: float = 0.0
    lower: float = math.nan
    upper: float = math.nan

    def to_dict(self) -> dict:
        return {k: (float(v) if isinstance(v, (float, np.floating)) else v)
                for k, v in self.__dict__.items()}


def average_log_likelihood(rbm, data, *, method: str = "exact", log_z: float | None = None,
                           train_data=None, **ais_kwargs) -> LikelihoodEstimate:
    """Mean ``log p(v)`` over the rows of ``data`` (meant for binary data).

    Parameters
    ----------
    method : {"exact", "ais"}
    log_z : float, optional
        A known ``log Z`` (skips its computation).
    train_data : array, optional
        For AIS: the data whose pixel means define the base-rate model (default ``data``).
    ais_kwargs
        Passed to :func:`ais_log_partition` (``n_runs``, ``betas``, ``seed``,
        ``memory_budget``).

    Examples
    --------
    >>> from pgm.models.rbm import RBM
    >>> est = average_log_likelihood(RBM(np.zeros((4, 2))), np.ones((3, 4)))
    >>> bool(np.isclose(est.mean, -4 * np.log(2)))
    True
    """
    from pgm.models.rbm import check_data

    X = check_data(data, n_features=rbm.n_visible, name="data")
    neg_f = -rbm.free_energy(X)
    se = float(neg_f.std(ddof=1) / math.sqrt(len(neg_f))) if len(neg_f) > 1 else math.nan
    if log_z is not None:
        lz = float(log_z)
        return LikelihoodEstimate(float(neg_f.mean() - lz), lz, "given", len(X), se)
    if method == "exact":
        lz = exact_log_partition(rbm)
        m = float(neg_f.mean() - lz)
        return LikelihoodEstimate(m, lz, "exact", len(X), se, 0.0, m, m)
    if method == "ais":
        res = ais_log_partition(rbm, data=X if train_data is None else train_data, **ais_kwargs)
        m = float(neg_f.mean())
        return LikelihoodEstimate(m - res.log_z, res.log_z, "ais", len(X), se, res.log_z_std,
                                  m - res.log_z_upper, m - res.log_z_lower)
    raise ParameterError(f"method must be 'exact' or 'ais', got {method!r}")
