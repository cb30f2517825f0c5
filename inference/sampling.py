"""Sampling from Bayesian networks: forward (ancestral), rejection and likelihood weighting.

Every sampler is vectorized over the samples: the variables are visited once, in
topological order, and for each one the parent configuration of every sample is turned
into a row index of its CPD table (reshaped to ``(prod(parent cards), card)``); the child
is then drawn for all samples at once with one :func:`numpy.searchsorted` of
``row + u`` into the rows' cumulative sums, each offset by its row number.

The sample array has one row per sample and one column per variable, **in the order of**
``bn.nodes`` (the order the network lists its variables, also ``result.variables``); the
entries are state indices (``int32``), and :meth:`SampleResult.to_frame` turns them into a
pandas DataFrame with categorical columns named by the states.

Seeds follow the toolkit's convention (:func:`pgm.validation.resolve_seed`): the same
seed gives the same samples.  The sample array is checked against the memory budget
(:func:`pgm._config.check_allocation`) before it is allocated.

Examples
--------
>>> import pgm.examples
>>> from pgm.inference.sampling import forward_sample, likelihood_weighting
>>> bn = pgm.examples.load("asia")
>>> forward_sample(bn, 5, seed=0).shape
(5, 8)
>>> res = likelihood_weighting(bn, 2000, {"smoke": "yes"}, seed=0)
>>> res.codes.shape, res.ess > 100
((2000, 8), True)
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pgm._config import check_allocation
from pgm._math import logsumexp
from pgm.evidence import normalize_evidence, normalize_soft_evidence
from pgm.exceptions import EvidenceError, ModelError, ParameterError
from pgm.results import Marginals
from pgm.validation import DEFAULT_SEED, check_choice, check_positive_int, resolve_seed

__all__ = [
    "SampleResult",
    "forward_sample",
    "rejection_sample",
    "likelihood_weighting",
    "lw_marginals",
    "simulate",
    "effective_sample_size",
    "SAMPLING_METHODS",
]

#: the ``method`` names of :func:`simulate` (and ``BayesianNetwork.simulate``)
SAMPLING_METHODS = ("forward", "rejection", "weighted")

CODE_DTYPE = np.int32
#: bytes per sample and variable held while sampling (the codes) plus per sample (u, rows)
BYTES_PER_CELL = np.dtype(CODE_DTYPE).itemsize
BYTES_PER_SAMPLE = 32


@dataclass
class SampleResult:
    """Samples of a Bayesian network.

    Attributes
    ----------
    codes : ndarray of int32, shape (n, n_variables)
        State indices; column ``j`` is ``variables[j]`` (the order of ``bn.nodes``).
    variables : list
        The variables, in column order.
    states : dict
        ``{variable: [state names]}`` (for :meth:`to_frame`).
    method : str
        ``"forward"``, ``"rejection"`` or ``"weighted"``.
    log_weights : ndarray of float64 or None
        Natural-log importance weights (likelihood weighting only).
    acceptance_rate : float or None
        Accepted / drawn samples (rejection sampling only).
    ess : float
        Effective sample size: ``n`` for unweighted samples, ``(sum w)^2 / sum w^2``
        for likelihood weighting.
    n_draws : int
        Samples drawn (more than ``n`` for rejection sampling).
    evidence : dict
        ``{variable: state index}`` the samples are conditioned on.
    """

    codes: np.ndarray
    variables: list
    states: dict
    method: str
    log_weights: np.ndarray | None = None
    acceptance_rate: float | None = None
    ess: float = 0.0
    n_draws: int = 0
    evidence: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    @property
    def weights(self) -> np.ndarray:
        """Normalized weights (summing to 1); uniform for unweighted samples."""
        n = len(self)
        if self.log_weights is None:
            return np.full(n, 1.0 / n) if n else np.zeros(0)
        return np.exp(self.log_weights - logsumexp(self.log_weights))

    def marginals(self, variables: Iterable[Hashable] | None = None) -> dict[Hashable, np.ndarray]:
        """``{variable: estimated probabilities}`` from the (weighted) samples."""
        w = self.weights
        chosen = list(self.variables) if variables is None else list(variables)
        col = {v: j for j, v in enumerate(self.variables)}
        out = {}
        for v in chosen:
            if v not in col:
                raise ParameterError(f"variable {v!r} is not among the sampled variables")
            j = col[v]
            out[v] = np.bincount(self.codes[:, j], weights=w, minlength=len(self.states[v]))
        return Marginals(out, self.states)

    def to_frame(self):
        """The samples as a pandas DataFrame: one categorical column per variable
        (named ``str(variable)``, categories the state names); for likelihood weighting a
        last float column ``log_weight``."""
        import pandas as pd

        data = {str(v): pd.Categorical.from_codes(self.codes[:, j], categories=list(self.states[v]))
                for j, v in enumerate(self.variables)}
        if self.log_weights is not None:
            if "log_weight" in data:
                raise ParameterError("the network has a variable named 'log_weight'; it clashes "
                                     "with the weight column")
            data["log_weight"] = self.log_weights
        return pd.DataFrame(data)


# ------------------------------------------------------------------ preparation
@dataclass
class _Plan:
    variables: list          # bn.nodes order (columns)
    order: list              # column indices in topological order
    parent_cols: list        # per column (in `order`): parent column indices
    strides: list            # per column: row-index strides of the parents
    cum: list                # per column: flat offset cumulative sums (rows * card)
    logp: list               # per column: log table (rows, card)
    cards: np.ndarray        # per column (bn.nodes order)
    states: dict


def _plan(bn: Any) -> _Plan:
    if not (hasattr(bn, "topological_order") and hasattr(bn, "get_cpd")):
        raise ModelError(f"sampling needs a BayesianNetwork, got {type(bn).__name__}")
    variables = list(bn.nodes)
    col = {v: j for j, v in enumerate(variables)}
    topo = bn.topological_order()
    cards = np.array([bn.cardinality(v) for v in variables], dtype=np.int64)
    order, parent_cols, strides, cum, logp = [], [], [], [], []
    for v in topo:
        cpd = bn.get_cpd(v)
        pcols = [col[p] for p in cpd.parents]
        pcards = [int(c) for c in cpd.values.shape[:-1]]
        for p, c in zip(cpd.parents, pcards):
            if c != cards[col[p]]:
                raise ModelError(f"the CPD of {v!r} gives parent {p!r} {c} states, but {p!r} "
                                 f"has {cards[col[p]]}")
        card = cpd.cardinality
        table = np.asarray(cpd.values, dtype=np.float64).reshape(-1, card)
        if not np.all(np.isfinite(table)) or np.any(table < 0):
            raise ModelError(f"the CPD of {v!r} has a negative, NaN or infinite entry")
        sums = table.sum(axis=1, keepdims=True)
        table = np.where(sums > 0, table / np.where(sums > 0, sums, 1.0), 1.0 / card)
        c = np.cumsum(table, axis=1)
        c[:, -1] = 1.0
        c += np.arange(table.shape[0], dtype=np.float64)[:, None]
        # row-major strides of the parents (the table is C-ordered, parents first)
        st = np.ones(len(pcards), dtype=np.int64)
        for i in range(len(pcards) - 2, -1, -1):
            st[i] = st[i + 1] * pcards[i + 1]
        with np.errstate(divide="ignore"):
            logp.append(np.log(table))
        order.append(col[v])
        parent_cols.append(pcols)
        strides.append(st)
        cum.append(c.ravel())
    states = {v: [str(s) for s in bn.state_names(v)] for v in variables}
    return _Plan(variables, order, parent_cols, strides, cum, logp, cards, states)


def _rows(codes: np.ndarray, pcols: list, st: np.ndarray) -> np.ndarray:
    rows = np.zeros(codes.shape[0], dtype=np.int64)
    for pc, s in zip(pcols, st):
        rows += codes[:, pc].astype(np.int64) * int(s)
    return rows


def _draw(plan: _Plan, codes: np.ndarray, rng: np.random.Generator,
          clamp: Mapping[int, int] | None = None) -> np.ndarray | None:
    """Fill ``codes`` (n, n_vars) by ancestral sampling; clamped columns are set, not drawn,
    and their log-likelihoods summed into the returned log-weights (None without clamps)."""
    n = codes.shape[0]
    logw = None if clamp is None else np.zeros(n)
    for k, j in enumerate(plan.order):
        rows = _rows(codes, plan.parent_cols[k], plan.strides[k])
        card = int(plan.cards[j])
        if clamp is not None and j in clamp:
            s = clamp[j]
            codes[:, j] = s
            logw += plan.logp[k][rows, s]
            continue
        u = rng.random(n)
        idx = np.searchsorted(plan.cum[k], rows + u, side="right") - rows * card
        np.clip(idx, 0, card - 1, out=idx)
        codes[:, j] = idx
    return logw


def _setup(bn: Any, n: Any, seed: Any, memory_budget: int | None, what: str):
    n = check_positive_int("n", n)
    seed = resolve_seed(seed)
    n_vars = len(bn.nodes) if hasattr(bn, "nodes") else 0
    check_allocation(n * (n_vars * BYTES_PER_CELL + BYTES_PER_SAMPLE), what,
                     memory_budget=memory_budget)
    return n, seed


def _evidence_cols(bn: Any, plan: _Plan, evidence: Mapping | None) -> dict[int, int]:
    ev = normalize_evidence(bn, evidence)
    col = {v: j for j, v in enumerate(plan.variables)}
    return {col[v]: int(s) for v, s in ev.items()}


# ------------------------------------------------------------------ samplers
def forward_sample(bn: Any, n: int, *, seed: Any = DEFAULT_SEED,
                   memory_budget: int | None = None) -> np.ndarray:
    """``n`` forward (ancestral) samples of ``bn`` as state indices.

    Returns an ``int32`` array of shape ``(n, len(bn.nodes))`` whose columns are in the
    order of ``bn.nodes``.  Raises :class:`~pgm.exceptions.ParameterError` for a bad ``n``
    or ``seed`` and :class:`~pgm.exceptions.MemoryBudgetError` (before allocating) when the
    samples would not fit the memory budget.

    Examples
    --------
    >>> import pgm.examples
    >>> x = forward_sample(pgm.examples.load("cancer"), 1000, seed=1)
    >>> x.shape, x.dtype.name, bool(x.min() >= 0)
    ((1000, 5), 'int32', True)
    """
    n, seed = _setup(bn, n, seed, memory_budget, f"{n} forward samples")
    plan = _plan(bn)
    codes = np.zeros((n, len(plan.variables)), dtype=CODE_DTYPE, order="F")
    _draw(plan, codes, np.random.default_rng(seed))
    return codes


def rejection_sample(bn: Any, n: int, evidence: Mapping | None = None, *,
                     seed: Any = DEFAULT_SEED, max_draws: int | None = None,
                     memory_budget: int | None = None) -> SampleResult:
    """``n`` samples of ``bn`` given ``evidence``, by forward sampling and rejection.

    Samples are drawn in batches until ``n`` agree with the evidence or ``max_draws``
    (default ``max(100 * n, 100_000)``) have been drawn; then
    :class:`~pgm.exceptions.EvidenceError` says the evidence is too improbable and gives
    the acceptance rate (use likelihood weighting then).  The result's
    ``acceptance_rate`` is accepted / drawn.

    Examples
    --------
    >>> import pgm.examples
    >>> res = rejection_sample(pgm.examples.load("asia"), 200, {"smoke": "yes"}, seed=0)
    >>> len(res), 0.3 < res.acceptance_rate < 0.7
    (200, True)
    """
    n, seed = _setup(bn, n, seed, memory_budget, f"{n} rejection samples")
    max_draws = max(100 * n, 100_000) if max_draws is None else check_positive_int(
        "max_draws", max_draws)
    plan = _plan(bn)
    ev = _evidence_cols(bn, plan, evidence)
    n_vars = len(plan.variables)
    rng = np.random.default_rng(seed)
    out = np.zeros((n, n_vars), dtype=CODE_DTYPE)
    got = drawn = 0
    cols = np.array(list(ev), dtype=np.int64)
    vals = np.array(list(ev.values()), dtype=CODE_DTYPE)
    rate_guess = 1.0
    while got < n and drawn < max_draws:
        need = n - got
        batch = int(min(max_draws - drawn, max(1024, 1.2 * need / max(rate_guess, 1e-6)),
                        max(n, 2**20)))
        check_allocation(batch * (n_vars * BYTES_PER_CELL + BYTES_PER_SAMPLE),
                         "a batch of rejection samples", memory_budget=memory_budget)
        codes = np.zeros((batch, n_vars), dtype=CODE_DTYPE, order="F")
        _draw(plan, codes, rng)
        keep = np.all(codes[:, cols] == vals, axis=1) if len(cols) else np.ones(batch, bool)
        acc = codes[keep][:need]
        out[got:got + len(acc)] = acc
        # the draws that count: all of them, or up to the one that completed the sample
        if len(acc) == need and keep.sum() > need:
            drawn += int(np.flatnonzero(keep)[need - 1]) + 1
        else:
            drawn += batch
        got += len(acc)
        rate_guess = max(got / drawn, 0.5 / drawn)
    rate = got / drawn if drawn else 0.0
    if got < n:
        shown = ", ".join(f"{plan.variables[j]}={plan.states[plan.variables[j]][s]}"
                          for j, s in ev.items())
        raise EvidenceError(
            f"rejection sampling accepted {got} of {drawn} draws (acceptance rate {rate:.3g}) "
            f"given {shown}, fewer than the {n} asked within max_draws={max_draws}: the evidence "
            "is too improbable for rejection sampling; use likelihood weighting "
            "(method='weighted') or raise max_draws")
    variables = plan.variables
    return SampleResult(out, variables, plan.states, "rejection", acceptance_rate=rate,
                        ess=float(n), n_draws=drawn,
                        evidence={variables[j]: s for j, s in ev.items()})


def effective_sample_size(log_weights: np.ndarray) -> float:
    """``(sum w)^2 / sum w^2`` from natural-log weights (0 when every weight is 0).

    Examples
    --------
    >>> round(effective_sample_size(np.log([1.0, 1.0, 2.0])), 6)
    2.666667
    """
    lw = np.asarray(log_weights, dtype=np.float64)
    if lw.size == 0 or not np.any(np.isfinite(lw)):
        return 0.0
    return float(np.exp(2 * logsumexp(lw) - logsumexp(2 * lw)))


def likelihood_weighting(bn: Any, n: int, evidence: Mapping | None = None, *,
                         seed: Any = DEFAULT_SEED, soft_evidence: Mapping | None = None,
                         memory_budget: int | None = None) -> SampleResult:
    """``n`` likelihood-weighted samples of ``bn`` given ``evidence``.

    Evidence variables are clamped to their states; every other variable is drawn
    from its CPD; each sample's ``log_weights`` entry is the sum of
    ``log P(e | parents)`` over the evidence variables, plus, for each soft-evidence
    variable ``{X: likelihoods}`` (virtual evidence), ``log likelihoods[x]`` of its drawn
    state.  ``ess`` is
    ``(sum w)^2 / sum w^2``.  Raises :class:`~pgm.exceptions.EvidenceError` when every
    weight is zero (the evidence has probability zero, or is too improbable for ``n``).

    Examples
    --------
    >>> import pgm.examples
    >>> res = likelihood_weighting(pgm.examples.load("asia"), 1000, {"xray": "yes"}, seed=0)
    >>> res.log_weights.shape, res.ess <= 1000
    ((1000,), True)
    """
    n, seed = _setup(bn, n, seed, memory_budget, f"{n} likelihood-weighted samples")
    plan = _plan(bn)
    ev = _evidence_cols(bn, plan, evidence)
    codes = np.zeros((n, len(plan.variables)), dtype=CODE_DTYPE, order="F")
    logw = _draw(plan, codes, np.random.default_rng(seed), clamp=ev)
    soft = normalize_soft_evidence(bn, soft_evidence)
    col = {v: j for j, v in enumerate(plan.variables)}
    with np.errstate(divide="ignore"):
        for v, lik in soft.items():
            if col[v] in ev:
                raise EvidenceError(f"{v!r} has both evidence and soft evidence; give one")
            logw += np.log(lik)[codes[:, col[v]]]
    ess = effective_sample_size(logw)
    if ess == 0.0:
        shown = ", ".join(f"{plan.variables[j]}={plan.states[plan.variables[j]][s]}"
                          for j, s in ev.items())
        raise EvidenceError(f"likelihood weighting: all {n} samples have weight zero given "
                            f"{shown} (effective sample size 0); the evidence has probability "
                            "zero or is too improbable for this many samples")
    variables = plan.variables
    return SampleResult(codes, variables, plan.states, "weighted", log_weights=logw,
                        ess=ess, n_draws=n, evidence={variables[j]: s for j, s in ev.items()})


def lw_marginals(bn: Any, n: int, evidence: Mapping | None = None, *,
                 variables: Iterable[Hashable] | None = None, seed: Any = DEFAULT_SEED,
                 soft_evidence: Mapping | None = None,
                 memory_budget: int | None = None) -> tuple[dict[Hashable, np.ndarray], float]:
    """``({variable: estimated P(variable | evidence)}, ess)`` by likelihood weighting.

    Examples
    --------
    >>> import pgm.examples
    >>> m, ess = lw_marginals(pgm.examples.load("asia"), 5000, {"smoke": "yes"},
    ...                       variables=["lung"], seed=0)
    >>> list(m), round(float(m["lung"].sum()), 9), ess > 1000
    (['lung'], 1.0, True)
    """
    res = likelihood_weighting(bn, n, evidence, seed=seed, soft_evidence=soft_evidence,
                               memory_budget=memory_budget)
    if variables is not None:
        from pgm.evidence import resolve_variable

        variables = [resolve_variable(bn, v) for v in variables]
    return res.marginals(variables), res.ess


def simulate(bn: Any, n: int, evidence: Mapping | None = None, method: str = "forward",
             seed: Any = DEFAULT_SEED, *, max_draws: int | None = None,
             memory_budget: int | None = None) -> SampleResult:
    """``n`` samples of ``bn`` as a :class:`SampleResult` (what ``bn.simulate`` calls).

    ``method`` is ``"forward"`` (no evidence), ``"rejection"`` or ``"weighted"``
    (likelihood weighting).  With evidence and ``method="forward"`` a
    :class:`~pgm.exceptions.ParameterError` asks for one of the other two.

    Examples
    --------
    >>> import pgm.examples
    >>> simulate(pgm.examples.load("asia"), 3, seed=0).to_frame().shape
    (3, 8)
    """
    method = check_choice("method", method, SAMPLING_METHODS)
    if method == "forward":
        if evidence:
            raise ParameterError("forward sampling takes no evidence; use method='rejection' "
                                 "or method='weighted' (likelihood weighting)")
        codes = forward_sample(bn, n, seed=seed, memory_budget=memory_budget)
        plan_states = {v: [str(s) for s in bn.state_names(v)] for v in bn.nodes}
        return SampleResult(codes, list(bn.nodes), plan_states, "forward", ess=float(len(codes)),
                            n_draws=len(codes))
    if method == "rejection":
        return rejection_sample(bn, n, evidence, seed=seed, max_draws=max_draws,
                                memory_budget=memory_budget)
    if max_draws is not None:
        raise ParameterError("max_draws does nothing with method='weighted'")
    return likelihood_weighting(bn, n, evidence, seed=seed, memory_budget=memory_budget)
