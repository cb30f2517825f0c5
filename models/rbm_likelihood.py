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
* :func:`ais_betas` ``schedule``: where the temperatures go.  ``"paper"`` (the
  piecewise-linear split of Salakhutdinov & Murray), ``"sigmoid"`` (dense near both
  ends) or ``"adaptive"`` (placed by a short pilot run, :func:`schedule_pilot`, so that
  every step carries the same variance of the log weight).

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

from pgm._math import expit, logsumexp, softplus
from pgm.exceptions import EstimateWarning, ParameterError

__all__ = [
    "AISResult",
    "BracketResult",
    "ConvergedEstimate",
    "LikelihoodEstimate",
    "RAISEResult",
    "ais_betas",
    "ais_log_partition",
    "ais_run_bytes",
    "average_log_likelihood",
    "SCHEDULES",
    "SchedulePilot",
    "bracket_log_likelihood",
    "converge_log_partition",
    "exact_log_partition",
    "raise_log_likelihood",
    "schedule_pilot",
]

#: Salakhutdinov & Murray (2008): 500 temperatures in [0, 0.5), 4,000 in [0.5, 0.9),
#: 10,000 in [0.9, 1]
PAPER_COUNTS = (500, 4000, 10000)

#: the temperature schedules of :func:`ais_betas`
SCHEDULES = ("paper", "sigmoid", "adaptive")

#: the schedule of :func:`converge_log_partition`, :func:`bracket_log_likelihood` and
#: ``pgm rbm score`` when none is given.  Still the paper's: ``benchmarks/bench_ais_schedules.py``
#: found "adaptive" better for AIS at equal compute on MNIST RBMs of 20 and 25 hidden units,
#: but not clearly so on a 500-unit one, and much worse for RAISE (see :func:`ais_betas`),
#: which shares the schedule in :func:`bracket_log_likelihood`.
PROTOCOL_SCHEDULE = "paper"

#: ``derived_seed(seed, PILOT_SEED_PURPOSE)`` seeds the adaptive schedule's pilot runs
#: (independent of the main runs, which use ``seed`` itself or ``derived_seed(seed, i)``
#: for the protocol's step ``i``)
PILOT_SEED_PURPOSE = 0x5C4ED

#: the steepness ``delta`` of the sigmoid schedule (Grosse, Maddison & Salakhutdinov 2013)
SIGMOID_DELTA = 4.0


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


def ais_betas(n_temperatures: int | tuple[int, int, int] | None = None,
              schedule: str = "paper", *, pilot: SchedulePilot | None = None) -> np.ndarray:
    """Inverse temperatures from 0 to 1 for AIS.

    ``n_temperatures``: ``None``, the paper's 14,500 intermediate distributions
    (:data:`PAPER_COUNTS`); an int ``K``, that many (``K + 1`` points); a triple (only
    with ``schedule="paper"``), the counts in ``[0, 0.5)``, ``[0.5, 0.9)`` and ``[0.9, 1]``.

    ``schedule`` (one of :data:`SCHEDULES`):

    * ``"paper"`` (default): Salakhutdinov & Murray (2008), piecewise linear, the counts
      split in the paper's proportions 500 : 4,000 : 10,000.
    * ``"sigmoid"``: ``beta_k ∝ sigmoid(delta (2 k / K - 1))``, rescaled to run from 0 to 1
      (``delta`` = :data:`SIGMOID_DELTA`; the schedule of Grosse, Maddison & Salakhutdinov,
      *Annealing between distributions by averaging moments*, NIPS 2013): dense near
      both ends.
    * ``"adaptive"``: from a pilot run (``pilot``, see :func:`schedule_pilot`), the
      points ``beta_k = F^{-1}(k / K)`` with ``F(beta) ∝ ∫_0^beta sqrt(v(b)) db``, ``v`` the
      pilot's variance of the log-weight increments per unit beta (squared): each step
      carries the same variance (the "constant thermodynamic speed" rule).

    The result starts at exactly 0, ends at exactly 1 and increases strictly.

    Measured (``benchmarks/bench_ais_schedules.py``; MNIST RBMs of 20 and 25 hidden units
    with exact log Z, 100 runs, 5 seeds): for AIS, ``"adaptive"`` (which on these models
    comes out close to uniform spacing) had 2 to 7 times lower mean absolute error of
    log Z than ``"paper"`` at 500 and 2,000 temperatures, also at equal compute (the
    pilot counted), and more effective runs; at 8,000 they were alike.  For RAISE it was
    the reverse: the sigmoid and adaptive schedules spend few steps near ``beta = 1``,
    so the annealing model stays far from the RBM and RAISE's implied log Z came out
    *below* the exact one by 1 to 5 nats (not conservative), where ``"paper"`` (69% of
    its steps in ``[0.9, 1]``) was 0.05 to 0.7 nats above it.  Use the alternatives for
    AIS, not for RAISE.

    Examples
    --------
    >>> b = ais_betas((5, 4, 10))
    >>> b.size, float(b[0]), float(b[-1]), bool(np.all(np.diff(b) > 0))
    (20, 0.0, 1.0, True)
    >>> s = ais_betas(100, "sigmoid")
    >>> s.size, float(s[0]), float(s[-1]), bool(s[1] - s[0] < s[51] - s[50])
    (101, 0.0, 1.0, True)
    >>> ais_betas(100, "geometric")
    Traceback (most recent call last):
    ...
    pgm.exceptions.ParameterError: schedule must be one of 'paper', 'sigmoid', 'adaptive', got 'geometric'
    """
    from pgm._config import check_allocation
    from pgm.validation import check_choice

    schedule = check_choice("schedule", schedule, SCHEDULES)
    if schedule == "adaptive" and pilot is None:
        raise ParameterError("the adaptive schedule needs a pilot run: pilot=schedule_pilot(rbm, "
                             "...), or give schedule='adaptive' to ais_log_partition")
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
        if schedule != "paper":
            raise ParameterError(f"temperature counts per segment go with schedule 'paper' only, "
                                 f"got {n_temperatures!r} with {schedule!r}")
        counts = tuple(int(c) for c in n_temperatures)
        if len(counts) != 3 or min(counts) < 1:
            raise ParameterError(f"temperature counts must be three positive ints, got "
                                 f"{n_temperatures!r}")
    n1, n2, n3 = counts
    K = n1 + n2 + n3
    check_allocation(8 * 2 * (K + 1), f"{K} AIS temperatures")
    if schedule == "sigmoid":
        t = np.linspace(-SIGMOID_DELTA, SIGMOID_DELTA, K + 1)
        s = 1.0 / (1.0 + np.exp(-t))
        b = (s - s[0]) / (s[-1] - s[0])
    elif schedule == "adaptive":
        b = pilot.betas(K)
    else:
        b = np.concatenate([np.linspace(0.0, 0.5, n1, endpoint=False),
                            np.linspace(0.5, 0.9, n2, endpoint=False),
                            np.linspace(0.9, 1.0, n3 + 1)])
    b[0], b[-1] = 0.0, 1.0
    if np.any(np.diff(b) <= 0):   # pragma: no cover - guarded by the pilot's density floor
        raise ParameterError(f"the {schedule} schedule of {K} temperatures does not increase "
                             f"strictly (too many temperatures for float64?)")
    return b


@dataclass
class SchedulePilot:
    """A pilot AIS run that places the temperatures of the adaptive schedule.

    Attributes
    ----------
    grid : array (G + 1,)
        The pilot's inverse temperatures (``ais_betas(G, "sigmoid")``: fine near both ends).
    increment_var : array (G,)
        Variance over the pilot runs of the log-weight increment of each step ``k`` of
        the grid (from ``grid[k]`` to ``grid[k + 1]``).
    speed : array (G,)
        ``sqrt(v)`` on each step after smoothing and the floor: the density of the
        adaptive schedule, ``v`` the increment variance per unit beta (squared),
        ``increment_var / dbeta^2``.
    n_runs, n_temperatures : int
        The pilot's runs and steps; :attr:`cost` is their product.
    seed : int
        The numpy seed the pilot drew from (``derived_seed(seed, PILOT_SEED_PURPOSE)``).
    """

    grid: np.ndarray
    increment_var: np.ndarray
    speed: np.ndarray
    n_runs: int
    n_temperatures: int
    seed: int

    @property
    def cost(self) -> int:
        """Temperatures x runs of the pilot (the unit of AIS compute)."""
        return int(self.n_runs * self.n_temperatures)

    def betas(self, n_temperatures: int) -> np.ndarray:
        """``n_temperatures + 1`` points ``F^{-1}(k / K)``, ``F`` the normalized integral
        of :attr:`speed` (piecewise linear on :attr:`grid`).

        Examples
        --------
        >>> pilot = SchedulePilot(np.linspace(0, 1, 5), np.ones(4), np.array([1., 1, 1, 5]),
        ...                       1, 4, 0)
        >>> pilot.betas(8).round(3).tolist()
        [0.0, 0.25, 0.5, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0]
        """
        K = int(n_temperatures)
        F = np.concatenate([[0.0], np.cumsum(self.speed * np.diff(self.grid))])
        F /= F[-1]
        b = np.interp(np.linspace(0.0, 1.0, K + 1), F, self.grid)
        b[0], b[-1] = 0.0, 1.0
        return b


def schedule_pilot(rbm, *, data=None, base_bias=None, n_runs: int = 20,
                   n_temperatures: int = 500, seed: int = 0, smooth: int = 5,
                   floor: float = 0.05) -> SchedulePilot:
    """Pilot AIS runs that measure where the log weight's variance comes from.

    ``n_runs`` runs anneal (float64, NumPy) through the sigmoid schedule of
    ``n_temperatures`` (fine near both ends, where the variance tends to change fastest),
    recording each step's log-weight increment
    ``log f_k(v) - log f_{k-1}(v)``; its variance over the runs, divided by the step's
    ``dbeta^2``, estimates ``v(beta)``, the variance per unit beta (squared), i.e. the
    variance of ``d log f_beta(v) / d beta`` under ``p_beta``.  The adaptive schedule
    (:meth:`SchedulePilot.betas`) spaces the temperatures as ``1 / sqrt(v)``: the
    "constant thermodynamic speed" rule (equal ``dbeta^2 v(beta)`` per step, which
    minimizes ``sum_k dbeta_k^2 v(beta_k)``, the variance of the log weight *if* the
    transitions were perfect and the increments independent; e.g. Gelman & Meng 1998,
    Crooks 2007).  That is a heuristic for AIS, whose chains lag behind ``p_beta``.
    ``v`` is smoothed by a running mean over ``2 * smooth + 1`` steps of the grid and
    mixed with a uniform density of weight ``floor`` (so no stretch of ``[0, 1]`` is
    skipped where the pilot saw little variance).

    The pilot costs ``n_runs * n_temperatures`` (default 10,000, a tenth of 100 runs x
    1,000 temperatures); it draws from ``derived_seed(seed, PILOT_SEED_PURPOSE)``, a
    stream of its own, so that main runs seeded with ``seed`` are independent of it.

    Examples
    --------
    >>> from pgm.models.rbm import RBM
    >>> pilot = schedule_pilot(RBM.random(20, 8, sigma=0.3, seed=0), n_runs=10,
    ...                        n_temperatures=100)
    >>> pilot.cost, pilot.grid.size, bool(np.all(pilot.speed > 0))
    (1000, 101, True)
    """
    from pgm.validation import check_float, check_positive_int, derived_seed

    M = check_positive_int("n_runs", n_runs, 2)
    G = check_positive_int("n_temperatures", n_temperatures, 3)
    h = check_positive_int("smooth", smooth, 0)
    eps = check_float("floor", floor, minimum=0, maximum=1, include_minimum=False)
    from pgm._config import check_allocation

    check_allocation(M * ais_run_bytes(rbm.n_visible, rbm.n_hidden, 8) + 8 * 3 * (G + 1),
                     f"{M} pilot AIS runs of an RBM of {rbm.n_visible}+{rbm.n_hidden} units")
    bA = _base_bias(rbm, data, base_bias)
    W = np.asarray(rbm.W, dtype=np.float64)
    b = np.asarray(rbm.visible_bias, dtype=np.float64)
    a = np.asarray(rbm.hidden_bias, dtype=np.float64)
    grid = ais_betas(G, "sigmoid")
    pseed = derived_seed(seed, PILOT_SEED_PURPOSE)
    rng = np.random.default_rng(pseed)
    db = b - bA
    v = (rng.random((M, bA.size)) < expit(bA)).astype(np.float64)
    var = np.empty(G)
    from threadpoolctl import threadpool_limits

    # small products: one BLAS thread (see anneal_log_weights' blas_threads)
    with threadpool_limits(limits=1, user_api="blas"):
        for k in range(1, G + 1):
            lo, hi = float(grid[k - 1]), float(grid[k])
            x = v @ W + a
            inc = (hi - lo) * (v @ db) + (softplus(hi * x) - softplus(lo * x)).sum(axis=1)
            var[k - 1] = inc.var(ddof=1)
            if k < G:
                hid = (rng.random(x.shape) < expit(hi * x)).astype(np.float64)
                logit = (1.0 - hi) * bA + hi * (hid @ W.T + b)
                v = (rng.random(v.shape) < expit(logit)).astype(np.float64)
    dbeta = np.diff(grid)
    per_unit = var / dbeta ** 2
    if h:
        c = np.concatenate([[0.0], np.cumsum(per_unit)])
        idx = np.arange(G)
        lo_i, hi_i = np.maximum(idx - h, 0), np.minimum(idx + h + 1, G)
        per_unit = (c[hi_i] - c[lo_i]) / (hi_i - lo_i)
    s = np.sqrt(np.maximum(per_unit, 0.0))
    mean_s = float(np.sum(s * dbeta))
    if not np.isfinite(mean_s) or mean_s <= 0:   # no variance seen: the uniform schedule
        s = np.ones(G)
    else:
        s = (1.0 - eps) * s / mean_s + eps
    return SchedulePilot(grid=grid, increment_var=var, speed=s, n_runs=M, n_temperatures=G,
                         seed=pseed)


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
    schedule : str
        How they were placed (:func:`ais_betas`; ``"given"`` for an explicit array).
    pilot_cost : int
        Temperatures x runs of the adaptive schedule's pilot (0 for the others): add it
        to ``n_runs * (betas.size - 1)`` for the compute of the estimate.
    """

    log_z: float
    log_z_std: float
    log_z_lower: float
    log_z_upper: float
    log_weights: np.ndarray
    log_z_base: float
    betas: np.ndarray
    schedule: str = "paper"
    pilot_cost: int = 0

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


def _base_bias(rbm, data, base_bias) -> np.ndarray:
    """The base-rate model's visible biases: ``base_bias``, else the log-odds of the pixel
    means of ``data``, else zeros."""
    from pgm.exceptions import CardinalityError
    from pgm.models.rbm import check_data, data_log_odds

    D = rbm.n_visible
    if base_bias is None:
        return data_log_odds(check_data(data, n_features=D, name="data")) if data is not None \
            else np.zeros(D)
    bA = np.asarray(base_bias, dtype=np.float64).ravel()
    if bA.size != D:
        raise CardinalityError(f"base_bias has {bA.size} entries, the RBM {D} visible units")
    if not np.all(np.isfinite(bA)):
        raise ParameterError("base_bias must be finite")
    return bA


def _check_betas(betas, schedule: str = "paper", pilot: SchedulePilot | None = None,
                 make_pilot=None) -> tuple[np.ndarray, str, int]:
    """``(betas, schedule name, pilot cost)``: a count (or ``None`` / a triple) is turned into
    ``ais_betas(count, schedule)``, running ``make_pilot()`` for an adaptive schedule
    without a ``pilot``; an array is checked (and only goes with ``schedule="paper"``)."""
    from pgm.validation import check_choice

    schedule = check_choice("schedule", schedule, SCHEDULES)
    cost = 0
    if betas is None or isinstance(betas, (int, np.integer, tuple)):
        if schedule == "adaptive" and pilot is None:
            pilot = make_pilot()
            cost = pilot.cost
        betas = ais_betas(betas, schedule, pilot=pilot)
    else:
        if schedule != "paper":
            raise ParameterError(f"schedule {schedule!r} places a count of temperatures; "
                                 f"betas was given as an array")
        schedule = "given"
    betas = np.asarray(betas, dtype=np.float64)
    if betas.ndim != 1 or betas.size < 2 or betas[0] != 0.0 or betas[-1] != 1.0 \
            or np.any(np.diff(betas) <= 0):
        raise ParameterError("betas must increase strictly from 0 to 1")
    return betas, schedule, cost


def ais_log_partition(rbm, *, data=None, base_bias=None, n_runs: int = 100,
                      betas: np.ndarray | int | None = None, seed: int = 0,
                      memory_budget: int | None = None, schedule: str = "paper",
                      pilot: SchedulePilot | None = None) -> AISResult:
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
    schedule : {"paper", "sigmoid", "adaptive"}
        How a count ``betas`` is placed (:func:`ais_betas`).  ``"adaptive"`` first runs
        :func:`schedule_pilot` (default 20 runs x 500 temperatures, seeded by
        ``derived_seed(seed, PILOT_SEED_PURPOSE)``) unless ``pilot`` is given; its cost is
        :attr:`AISResult.pilot_cost`.
    pilot : SchedulePilot, optional
        A pilot to reuse (its cost is then not counted again).

    Examples
    --------
    >>> from pgm.models.rbm import RBM
    >>> res = ais_log_partition(RBM.random(10, 4, seed=1), n_runs=50, betas=200, seed=0)
    >>> res.n_runs, bool(res.log_z_lower <= res.log_z <= res.log_z_upper)
    (50, True)
    >>> res = ais_log_partition(RBM.random(10, 4, seed=1), n_runs=50, betas=200,
    ...                         schedule="adaptive")
    >>> res.schedule, res.pilot_cost, res.betas.size
    ('adaptive', 10000, 201)
    """
    from pgm._config import check_allocation
    from pgm.inference.bipartite import anneal_log_weights
    from pgm.validation import check_positive_int

    M = check_positive_int("n_runs", n_runs, 2)
    check_allocation(M * ais_run_bytes(rbm.n_visible, rbm.n_hidden, rbm.engine.dtype.itemsize),
                     f"{M} AIS runs of an RBM of {rbm.n_visible}+{rbm.n_hidden} units",
                     memory_budget=memory_budget)
    bA = _base_bias(rbm, data, base_bias)
    betas, schedule, pilot_cost = _check_betas(
        betas, schedule, pilot, lambda: schedule_pilot(rbm, base_bias=bA, seed=seed))
    eng = rbm.engine
    P = rbm.n_hidden
    log_z_base = float(softplus(bA).sum() + P * math.log(2.0))
    log_w = anneal_log_weights(eng, bA, betas, n_runs=M, seed=seed)
    lmax = float(np.max(log_w))
    w = np.exp(log_w - lmax)
    mean = float(w.mean())
    se = float(w.std(ddof=1) / math.sqrt(M))
    log_z = log_z_base + float(logsumexp(log_w)) - math.log(M)
    lower = log_z_base + lmax + (math.log(mean - 3 * se) if mean - 3 * se > 0 else -math.inf)
    upper = log_z_base + lmax + math.log(mean + 3 * se)
    res = AISResult(log_z=log_z, log_z_std=se / mean, log_z_lower=lower, log_z_upper=upper,
                    log_weights=log_w, log_z_base=log_z_base, betas=betas, schedule=schedule,
                    pilot_cost=pilot_cost)
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


# --------------------------------------------------------------------- reverse AIS
@dataclass
class RAISEResult:
    """A reverse-AIS (RAISE) estimate on a subset of the data.

    Burda, Grosse & Salakhutdinov, *Accurate and conservative estimates of MRF
    log-likelihood using reverse annealing* (AISTATS 2015): a chain starts at each data
    image, anneals from the RBM (``beta = 1``) down to the base-rate model, and its log
    weight ``log p_hat(v)`` is in expectation at most ``log p_fwd(v)``, the
    log-likelihood of the *annealing model* (base-rate draw, then the forward
    transitions), which approaches the RBM's as the temperatures grow.  So RAISE errs
    toward too-low likelihoods (conservative) where AIS errs toward too-high ones; it is
    a bound on the RBM's likelihood only as far as ``p_fwd`` matches the RBM.

    Attributes
    ----------
    log_likelihoods : array (n_images,)
        ``log p_hat(v)`` of each image of the subset.
    log_z_images : array (n_images,)
        The implied ``-F(v) - log p_hat(v)`` of each image (estimates of ``log Z``, too
        high in expectation).
    log_z, log_z_std : float
        Their mean and its standard error.
    rows : array (n_images,)
        Indices of the subset in the data.
    log_z_base : float
    betas : array
        The inverse temperatures, from 1 down to 0.
    schedule : str
    pilot_cost : int
        As in :class:`AISResult`.
    """

    log_likelihoods: np.ndarray
    log_z_images: np.ndarray
    log_z: float
    log_z_std: float
    rows: np.ndarray
    log_z_base: float
    betas: np.ndarray
    schedule: str = "paper"
    pilot_cost: int = 0

    @property
    def n_runs(self) -> int:
        return int(self.rows.size)

    @property
    def mean_log_likelihood(self) -> float:
        """Mean ``log p_hat(v)`` over the subset."""
        return float(self.log_likelihoods.mean())


def raise_log_likelihood(rbm, data, *, train_data=None, base_bias=None, n_images: int = 200,
                         betas: np.ndarray | int | None = None, seed: int = 0,
                         rows: np.ndarray | None = None,
                         memory_budget: int | None = None, schedule: str = "paper",
                         pilot: SchedulePilot | None = None) -> RAISEResult:
    """Reverse annealed importance sampling (RAISE) on ``n_images`` rows of ``data``.

    Parameters
    ----------
    rbm : RBM
    data : array (n, D)
        Binary images (the test set); RAISE starts one chain at each of ``n_images``
        rows drawn without replacement by ``seed`` (or the given ``rows``).
    train_data, base_bias
        The base-rate model, as in :func:`ais_log_partition` (default: ``data``).
    betas : array, int or None
        The forward schedule (from 0 to 1, see :func:`ais_betas`); it is run backwards.
    seed : int
    memory_budget : int, optional
    schedule, pilot
        As in :func:`ais_log_partition` (the adaptive schedule's pilot anneals forward,
        from the base-rate model).

    Examples
    --------
    >>> from pgm.models.rbm import RBM
    >>> rbm = RBM.random(20, 8, sigma=0.3, seed=0)
    >>> X = (np.random.default_rng(0).random((50, 20)) < 0.5).astype(float)
    >>> r = raise_log_likelihood(rbm, X, n_images=50, betas=1000, seed=0)
    >>> bool(abs(r.log_z - exact_log_partition(rbm)) < 0.05)
    True
    """
    from pgm._config import check_allocation
    from pgm.inference.bipartite import anneal_log_weights
    from pgm.models.rbm import check_data
    from pgm.validation import check_positive_int

    X = check_data(data, n_features=rbm.n_visible, name="data")
    if rows is None:
        n = min(check_positive_int("n_images", n_images, 2), len(X))
        rows = np.sort(np.random.default_rng([int(seed), 17]).permutation(len(X))[:n])
    rows = np.asarray(rows, dtype=np.int64)
    check_allocation(rows.size * ais_run_bytes(rbm.n_visible, rbm.n_hidden,
                                               rbm.engine.dtype.itemsize),
                     f"{rows.size} RAISE runs of an RBM of {rbm.n_visible}+{rbm.n_hidden} units",
                     memory_budget=memory_budget)
    bA = _base_bias(rbm, X if train_data is None and base_bias is None else train_data,
                    base_bias)
    betas, schedule, pilot_cost = _check_betas(
        betas, schedule, pilot, lambda: schedule_pilot(rbm, base_bias=bA, seed=seed))
    log_z_base = float(softplus(bA).sum() + rbm.n_hidden * math.log(2.0))
    V = X[rows]
    inc = anneal_log_weights(rbm.engine, bA, betas[::-1], start=V, seed=seed)
    lz_img = log_z_base + inc
    ll = -rbm.free_energy(V) - lz_img
    se = float(lz_img.std(ddof=1) / math.sqrt(lz_img.size)) if lz_img.size > 1 else math.nan
    return RAISEResult(log_likelihoods=ll, log_z_images=lz_img, log_z=float(lz_img.mean()),
                       log_z_std=se, rows=rows, log_z_base=log_z_base, betas=betas[::-1].copy(),
                       schedule=schedule, pilot_cost=pilot_cost)


# --------------------------------------------------------------- convergence protocol
@dataclass
class ConvergedEstimate:
    """An estimator run under :func:`converge_log_partition`.

    Attributes
    ----------
    method : {"ais", "raise"}
    sequence : list of dict
        One entry per step: ``temperatures``, ``runs``, ``log_z``, ``log_z_std``,
        ``effective_runs`` (AIS; ``None`` for RAISE, whose runs weigh equally),
        ``mean_log_likelihood`` (``None`` without data) and ``seconds``.
    converged : bool
        The last three ``log Z`` lie within ``tolerance`` (two doublings) and the last
        step's runs are good enough (AIS: effective runs at least ``min_effective_runs``;
        RAISE: standard error of ``log Z`` at most ``tolerance / 2``).
    reason : str
        Why the protocol stopped.
    log_z, mean_log_likelihood : float
        Of the last step.  For AIS not converged, ``log_z`` is what ``log Z`` is at least
        (AIS is too low in expectation), so ``mean_log_likelihood`` is what the likelihood
        is at most: see :attr:`one_sided`.
    schedule : str
        The temperature schedule of every step (:func:`ais_betas`).
    pilot_cost : int
        Temperatures x runs of the adaptive schedule's pilot, run once for all steps
        (0 for the other schedules, or when the pilot was given).
    """

    method: str
    sequence: list
    converged: bool
    reason: str
    tolerance: float
    log_z: float
    mean_log_likelihood: float | None
    seconds: float
    schedule: str = "paper"
    pilot_cost: int = 0

    @property
    def one_sided(self) -> str | None:
        """``"log_z_at_least"`` for an unconverged AIS estimate, else ``None``."""
        return "log_z_at_least" if self.method == "ais" and not self.converged else None

    def to_dict(self) -> dict:
        last = self.sequence[-1]
        d = {"estimator": self.method, "converged": self.converged, "reason": self.reason,
             "tolerance": self.tolerance, "log_z": self.log_z,
             "mean_log_likelihood": self.mean_log_likelihood,
             "temperatures": last["temperatures"], "runs": last["runs"],
             "effective_runs": last["effective_runs"], "log_z_std": last["log_z_std"],
             "seconds": self.seconds, "schedule": self.schedule, "pilot_cost": self.pilot_cost,
             "sequence": self.sequence}
        if self.one_sided:
            d["log_z_at_least"] = self.log_z
            d["mean_log_likelihood_at_most"] = self.mean_log_likelihood
        return d

    def describe(self) -> str:
        """One line: estimator, temperatures, runs, effective runs, converged or not."""
        last = self.sequence[-1]
        name = "AIS" if self.method == "ais" else "RAISE (reverse AIS)"
        ess = (f", {last['effective_runs']:.1f} effective runs" if last["effective_runs"]
               is not None else f" (test images), standard error {last['log_z_std']:.3f}")
        what = "converged" if self.converged else "NOT converged"
        sched = (f" ({self.schedule} schedule" + (f", pilot {self.pilot_cost} temperatures x runs"
                                                 if self.pilot_cost else "") + ")")
        txt = (f"{name}: {last['temperatures']} temperatures{sched}, {last['runs']} runs{ess}; "
               f"{what} (tolerance {self.tolerance:g} nats over two doublings; {self.reason})")
        ll = self.mean_log_likelihood
        if self.one_sided:
            txt += (f"; log Z is at least about {self.log_z:.2f}" +
                    (f", so the log-likelihood is at most about {ll:.2f}" if ll is not None
                     else ""))
        else:
            txt += f"; log Z = {self.log_z:.2f}" + (f", log-likelihood {ll:.2f}" if ll is not None
                                                    else "")
        return txt


def converge_log_partition(rbm, *, method: str = "ais", data=None, train_data=None,
                           tolerance: float = 0.3, min_effective_runs: float = 20.0,
                           max_seconds: float = 900.0, start_temperatures: int = 1000,
                           n_runs: int = 100, max_runs: int = 1000, run_growth: float = 1.5,
                           max_temperatures: int = 2_000_000, seed: int = 0,
                           memory_budget: int | None = None, schedule: str | None = None,
                           pilot: SchedulePilot | None = None) -> ConvergedEstimate:
    """Run AIS or RAISE with twice the temperatures each step until ``log Z`` settles.

    Step ``i`` uses ``start_temperatures * 2^i`` temperatures (:func:`ais_betas`) and
    ``n_runs * run_growth^i`` runs (at most ``max_runs``; RAISE: test images, a growing
    prefix of one random order of ``data``).  The protocol stops when the last three
    ``log Z`` lie within ``tolerance`` (the change over two doublings) and the last
    step's runs are good enough (AIS: ``min_effective_runs`` effective runs; RAISE: a
    standard error of ``log Z`` at most ``tolerance / 2``) -- converged -- or before a
    step whose predicted time (from the last step's rate) would pass ``max_seconds``,
    or past ``max_temperatures`` -- not converged.  The first step always runs.

    ``data`` (the test rows) gives ``mean_log_likelihood = mean(-F(data)) - log Z``
    (RAISE needs it; its ``log Z`` is the mean implied ``log Z`` of the subset, so the
    likelihood of all rows has no sampling error from the choice of images);
    ``train_data`` defines the base-rate model (default ``data``).

    ``schedule`` places each step's temperatures (:func:`ais_betas`; default
    :data:`PROTOCOL_SCHEDULE`, the paper's; ``"adaptive"`` suits AIS, not RAISE).
    ``"adaptive"`` runs one :func:`schedule_pilot` (seeded by ``derived_seed(seed,
    PILOT_SEED_PURPOSE)``) before the first step, unless ``pilot`` is given, and places
    every step's temperatures from it; its cost is :attr:`ConvergedEstimate.pilot_cost`
    and its time is in ``seconds``.

    Examples
    --------
    >>> from pgm.models.rbm import RBM
    >>> rbm = RBM.random(20, 6, sigma=0.3, seed=0)
    >>> res = converge_log_partition(rbm, start_temperatures=100, n_runs=50, tolerance=0.1)
    >>> res.converged, len(res.sequence)
    (True, 3)
    >>> bool(abs(res.log_z - exact_log_partition(rbm)) < 0.1)
    True
    """
    import time

    from pgm.models.rbm import check_data
    from pgm.validation import check_choice, check_float, check_positive_int, derived_seed

    method = check_choice("method", method, ("ais", "raise"))
    schedule = check_choice("schedule", PROTOCOL_SCHEDULE if schedule is None else schedule,
                            SCHEDULES)
    tol = check_float("tolerance", tolerance, minimum=0, include_minimum=False)
    min_ess = check_float("min_effective_runs", min_effective_runs, minimum=1)
    limit = check_float("max_seconds", max_seconds, minimum=0, include_minimum=False)
    K0 = check_positive_int("start_temperatures", start_temperatures, 3)
    M0 = check_positive_int("n_runs", n_runs, 2)
    Mmax = max(M0, check_positive_int("max_runs", max_runs, 2))
    growth = check_float("run_growth", run_growth, minimum=1)
    Kmax = check_positive_int("max_temperatures", max_temperatures, 3)
    X = None if data is None else check_data(data, n_features=rbm.n_visible, name="data")
    if method == "raise" and X is None:
        raise ParameterError("RAISE needs data (the test images it starts from)")
    base = train_data if train_data is not None else X
    bA = _base_bias(rbm, base, None)
    neg_f = None if X is None else float(np.mean(-rbm.free_energy(X)))
    order = None
    if method == "raise":
        order = np.random.default_rng([int(seed), 17]).permutation(len(X))
        Mmax = min(Mmax, len(X))
    t_start = time.perf_counter()
    pilot_cost = 0
    if schedule == "adaptive" and pilot is None:
        pilot = schedule_pilot(rbm, base_bias=bA, seed=seed)
        pilot_cost = pilot.cost
    seq: list[dict] = []
    reason = ""
    converged = False
    K, Mf = K0, float(min(M0, Mmax))
    for i in range(10_000):
        M = int(min(round(Mf), Mmax))
        if seq:
            last = seq[-1]
            rate = last["temperatures"] * last["runs"] / max(last["seconds"], 1e-9)
            elapsed = time.perf_counter() - t_start
            if elapsed + K * M / rate > limit:
                reason = (f"time limit: the next step ({K} temperatures, {M} runs) would take "
                          f"about {K * M / rate:.0f} s, {limit - elapsed:.0f} s left")
                break
            if K > Kmax:
                reason = f"over max_temperatures ({Kmax})"
                break
        t0 = time.perf_counter()
        s = derived_seed(seed, i)
        if method == "ais":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", EstimateWarning)
                res = ais_log_partition(rbm, base_bias=bA, n_runs=M, betas=K, seed=s,
                                        memory_budget=memory_budget, schedule=schedule,
                                        pilot=pilot)
            ess = res.effective_runs
            good = ess >= min_ess
        else:
            res = raise_log_likelihood(rbm, X, base_bias=bA, betas=K, seed=s,
                                       rows=np.sort(order[:M]), memory_budget=memory_budget,
                                       schedule=schedule, pilot=pilot)
            ess = None
            good = res.log_z_std <= tol / 2
        secs = time.perf_counter() - t0
        seq.append({"estimator": method, "schedule": schedule, "temperatures": K, "runs": M,
                    "log_z": res.log_z,
                    "log_z_std": res.log_z_std, "effective_runs": ess,
                    "mean_log_likelihood": None if neg_f is None else neg_f - res.log_z,
                    "seconds": secs, "rate": K * M / secs})
        if len(seq) >= 3:
            window = [q["log_z"] for q in seq[-3:]]
            if max(window) - min(window) < tol and good:
                converged = True
                reason = (f"the last three log Z lie within {max(window) - min(window):.3f} "
                          f"nats")
                break
        K *= 2
        Mf *= growth
    last = seq[-1]
    return ConvergedEstimate(method=method, sequence=seq, converged=converged, reason=reason,
                             tolerance=tol, log_z=last["log_z"],
                             mean_log_likelihood=last["mean_log_likelihood"],
                             seconds=time.perf_counter() - t_start, schedule=schedule,
                             pilot_cost=pilot_cost)


@dataclass
class BracketResult:
    """AIS and RAISE under the protocol, side by side (:func:`bracket_log_likelihood`).

    ``converged``: both converged and their log-likelihoods agree within the tolerance.
    ``statement``: that, or what failed, in words.
    """

    ais: ConvergedEstimate
    raise_: ConvergedEstimate
    converged: bool
    agree: bool
    difference: float
    statement: str

    def to_dict(self) -> dict:
        return {"ais": self.ais.to_dict(), "raise": self.raise_.to_dict(),
                "converged": self.converged, "agree": self.agree,
                "difference": self.difference, "statement": self.statement,
                "sequence": self.ais.sequence + self.raise_.sequence}


def bracket_log_likelihood(rbm, data, *, train_data=None, tolerance: float = 0.3,
                           max_seconds: float = 900.0, ais_share: float = 0.5,
                           raise_images: int = 200, **kwargs) -> BracketResult:
    """AIS (too high a likelihood in expectation) and RAISE (too low) under the protocol.

    AIS gets ``ais_share`` of ``max_seconds``, RAISE the rest (``raise_images`` test
    images at most, growing from ``min(100, raise_images)``).  ``kwargs`` go to
    :func:`converge_log_partition` (``start_temperatures``, ``n_runs``, ``seed``,
    ``schedule`` ...); with ``schedule="adaptive"`` one pilot (its cost in
    ``ais.pilot_cost``; ``raise_.pilot_cost`` is 0) places the temperatures of both.

    Examples
    --------
    >>> from pgm.models.rbm import RBM
    >>> rbm = RBM.random(20, 6, sigma=0.3, seed=0)
    >>> X = (np.random.default_rng(0).random((60, 20)) < 0.5).astype(float)
    >>> br = bracket_log_likelihood(rbm, X, start_temperatures=100, n_runs=50, raise_images=60)
    >>> br.converged, sorted(br.to_dict())[:3]
    (True, ['agree', 'ais', 'converged'])
    """
    import time

    from pgm.validation import check_float, check_positive_int

    tol = check_float("tolerance", tolerance, minimum=0, include_minimum=False)
    limit = check_float("max_seconds", max_seconds, minimum=0, include_minimum=False)
    share = check_float("ais_share", ais_share, minimum=0, maximum=1, include_minimum=False,
                        include_maximum=False)
    n_img = check_positive_int("raise_images", raise_images, 2)
    kw = dict(kwargs)
    kw.pop("max_runs", None)
    t0 = time.perf_counter()
    sched = kwargs.get("schedule") or PROTOCOL_SCHEDULE
    pilot_cost = 0
    if sched == "adaptive" and kwargs.get("pilot") is None:
        from pgm.models.rbm import check_data

        base = train_data if train_data is not None else check_data(
            data, n_features=rbm.n_visible, name="data")
        kw["pilot"] = schedule_pilot(rbm, data=base, seed=kwargs.get("seed", 0))
        kwargs = {**kwargs, "pilot": kw["pilot"]}
        pilot_cost = kw["pilot"].cost
    ais = converge_log_partition(rbm, method="ais", data=data, train_data=train_data,
                                 tolerance=tol, max_seconds=limit * share, **kwargs)
    ais.pilot_cost += pilot_cost
    left = max(limit - (time.perf_counter() - t0), 1e-3)
    kw["n_runs"] = min(100, n_img)
    rs = converge_log_partition(rbm, method="raise", data=data, train_data=train_data,
                                tolerance=tol, max_seconds=left, max_runs=n_img, **kw)
    diff = float(ais.mean_log_likelihood - rs.mean_log_likelihood)
    agree = abs(diff) < tol
    both = ais.converged and rs.converged
    if both and agree:
        st = (f"AIS and RAISE converged and agree within {tol:g} nats: "
              f"{ais.mean_log_likelihood:.2f} and {rs.mean_log_likelihood:.2f}")
    else:
        parts = [f"AIS {'converged' if ais.converged else 'did not converge'}",
                 f"RAISE {'converged' if rs.converged else 'did not converge'}"]
        st = (", ".join(parts) + f"; they {'agree' if agree else 'disagree'}: AIS "
              f"{ais.mean_log_likelihood:.2f}, RAISE {rs.mean_log_likelihood:.2f} "
              f"({diff:+.2f} nats)")
        if not ais.converged:
            st += f"; the log-likelihood is at most about {ais.mean_log_likelihood:.2f} (AIS)"
    return BracketResult(ais=ais, raise_=rs, converged=bool(both and agree), agree=bool(agree),
                         difference=diff, statement=st)
