"""Gibbs sampling and simulated annealing on the compiled engine.

:func:`gibbs_sample` runs several independent chains of a Gibbs sampler on any
discrete model (FactorGraph, BayesianNetwork, :class:`CompiledModel`, or a
:class:`~pgm.inference.pairwise.PairwiseBinaryModel`), with a systematic, random or
chromatic scan, burn-in, thinning and evidence clamping, and reports marginals and
convergence diagnostics.  :func:`anneal` runs the same kernels along a temperature
schedule and returns the best state found.

Randomness is counter based (a hash of seed, chain, sweep and variable), so a
given seed gives the same samples whatever the number of threads, and the
chromatic scan gives exactly the samples of a systematic scan in colour order.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from pgm._config import check_allocation
from pgm.exceptions import EvidenceError, ParameterError
from pgm.inference.compiled import CompiledModel, compile_model, variable_order
from pgm.validation import (
    check_choice,
    check_float,
    check_nonnegative_int,
    check_positive_int,
    resolve_seed,
)

__all__ = ["GibbsResult", "AnnealResult", "gibbs_sample", "anneal", "geometric_schedule", "SCANS"]

SCANS = ("systematic", "random", "chromatic")

#: the chromatic scan updates the variables of a colour class in parallel only when a class
#: holds at least this many updates (over all chains) and there are fewer chains than
#: threads; otherwise the chains run in parallel, each in colour order (same samples).
PARALLEL_MIN_UPDATES = 1 << 16


@dataclass
class GibbsResult:
    """Output of :func:`gibbs_sample`.

    Attributes
    ----------
    variables : list
        Variables, in the order of the last axis of ``samples``.
    samples : ndarray of shape (chains, n_samples, n_variables) or None
        The recorded states (uint8 for up to 256 states; for a pairwise binary model
        int8 spins in {-1, +1} or units in {0, 1}); ``None`` with ``return_samples=False``.
    marginals : dict
        ``{variable: array of state probabilities}`` pooled over all chains.
    rhat, ess : dict
        Per variable: the largest split R-hat and the smallest ESS over the
        indicators of its states (for a binary variable: of its value).
    state_rhat, state_ess : ndarray of shape (n_variables, max_cardinality)
        The same per state (ESS of the indicator ``x_v == s``).
    final_state : ndarray of shape (chains, n_variables)
        The last state of each chain (pass it as ``initial`` to continue).
    """

    variables: list
    samples: np.ndarray | None
    marginals: dict
    rhat: dict
    ess: dict
    state_rhat: np.ndarray
    state_ess: np.ndarray
    marginal_array: np.ndarray
    final_state: np.ndarray
    evidence: dict
    scan: str
    chains: int
    n_samples: int
    burn_in: int
    thin: int
    seed: int
    extra: dict = field(default_factory=dict)

    @property
    def max_rhat(self) -> float:
        """Largest R-hat over all variables."""
        return float(max(self.rhat.values())) if self.rhat else 1.0

    @property
    def min_ess(self) -> float:
        """Smallest ESS over all non-evidence variables."""
        vals = [e for v, e in self.ess.items() if v not in self.evidence]
        return float(min(vals)) if vals else float(self.chains * self.n_samples)

    def marginal(self, variable: Hashable) -> np.ndarray:
        """Estimated marginal of ``variable``."""
        return self.marginals[variable]

    def to_dict(self) -> dict:
        """A JSON-friendly summary (no samples)."""
        return {
            "variables": [str(v) for v in self.variables],
            "marginals": {str(v): p.tolist() for v, p in self.marginals.items()},
            "rhat": {str(v): float(r) for v, r in self.rhat.items()},
            "ess": {str(v): float(e) for v, e in self.ess.items()},
            "evidence": {str(v): int(s) for v, s in self.evidence.items()},
            "scan": self.scan, "chains": self.chains, "n_samples": self.n_samples,
            "burn_in": self.burn_in, "thin": self.thin, "seed": self.seed,
        }


def check_sampling_args(n_samples, chains, burn_in, thin, scan, beta) -> tuple[int, int, int, int]:
    """Validate the common sampler parameters (:class:`ParameterError` naming the culprit)."""
    n_samples = check_positive_int("n_samples", n_samples)
    chains = check_positive_int("chains", chains)
    burn_in = check_nonnegative_int("burn_in", burn_in)
    thin = check_positive_int("thin", thin)
    check_choice("scan", scan, SCANS)
    check_beta(beta)
    return n_samples, chains, burn_in, thin


def check_chain_states(chains: int, n: int, itemsize: int, what: str,
                       memory_budget: int | None = None) -> None:
    """Refuse (:class:`~pgm.exceptions.MemoryBudgetError`) ``chains`` states of ``n``
    variables over the memory budget: the current state, the starting state and its
    random draws (``itemsize`` bytes a state, 8 a draw)."""
    check_allocation(chains * n * (2 * itemsize + 8), f"{what}: {chains} chains x {n} "
                     "variables", memory_budget=memory_budget)


def record_bytes(chains: int, n_samples: int, n: int, kmax: int, itemsize: int,
                 return_samples: bool) -> int:
    """Bytes :func:`drive` allocates for the records: the samples (and a boolean
    indicator of the same shape), or with ``return_samples=False`` one batch of them
    and the batch means."""
    if return_samples:
        return chains * n_samples * n * (itemsize + 2)
    n_batches = min(n_samples, 32)
    batch = n_samples // n_batches + n_samples % n_batches
    return chains * batch * n * (itemsize + 1) + chains * n_batches * n * kmax * 8


def check_beta(beta) -> float:
    """Validate an inverse temperature: a finite number > 0 (NaN refused)."""
    return check_float("beta", beta, minimum=0, include_minimum=False)


def use_site_parallel(chains: int, n_free: int, n_colours: int) -> bool:
    """Whether a chromatic update should run each colour class in parallel (see
    :data:`PARALLEL_MIN_UPDATES`); the chain-parallel kernel gives the same samples."""
    import numba

    per_class = chains * n_free / max(1, n_colours)
    return chains < numba.get_num_threads() and per_class >= PARALLEL_MIN_UPDATES


def _n_threads() -> int:
    import numba

    return int(numba.config.NUMBA_NUM_THREADS)


def _raise_status(cm_vars: list, status: np.ndarray) -> None:
    bad = np.flatnonzero(status >= 0)
    if bad.size:
        c = int(bad[0])
        raise EvidenceError(
            f"every state of {cm_vars[int(status[c])]!r} has probability zero given its "
            f"Markov blanket (chain {c})"
        )


def gibbs_sample(model, n_samples: int = 1000, *, chains: int = 4, burn_in: int | None = None,
                 thin: int = 1, scan: str = "systematic", evidence: Mapping | None = None,
                 seed: int | None = None, initial=None, return_samples: bool = True,
                 order: Sequence[Hashable] | None = None, beta: float = 1.0,
                 memory_budget: int | None = None) -> GibbsResult:
    """Draw samples of a discrete model with a compiled Gibbs sampler.

    Parameters
    ----------
    model : FactorGraph, BayesianNetwork, CompiledModel or PairwiseBinaryModel
    n_samples : int
        Samples recorded per chain (after burn-in and thinning).
    chains : int
        Independent chains (run in parallel for the systematic and random scans).
    burn_in : int, optional
        Sweeps discarded first; default ``max(50, n_samples // 4)``.
    thin : int
        Keep one sweep in ``thin``.
    scan : {"systematic", "random", "chromatic"}
        Systematic: every free variable in model order (or ``order``) each sweep.
        Random: as many updates per sweep as free variables, each of a uniformly
        chosen variable.  Chromatic: the Markov graph is coloured (two colours for a
        bipartite graph, else :func:`networkx.greedy_color`) and the variables of
        each colour class are updated in parallel; equal to the systematic scan in
        colour order.
    evidence : dict, optional
        ``{variable: state}`` clamped throughout.
    seed : int, optional
        Same seed, same samples (whatever the thread count).
    initial : dict or array, optional
        Starting state(s), shape ``(n,)`` or ``(chains, n)``; default: a random state
        of positive probability.  Evidence overrides it.
    return_samples : bool
        Keep the samples; if False they are processed in batches (marginals are
        exact counts, diagnostics use batch means).
    beta : float
        Inverse temperature (sample from ``p(x)^beta``).
    memory_budget : int, optional
        Bytes the chains and the records may take (default ``$PGM_MEMORY_BUDGET`` or
        4 GiB); checked before anything is allocated.

    Returns
    -------
    GibbsResult

    Raises
    ------
    MemoryBudgetError
        ``chains x n_samples x variables`` (the records) or ``chains x variables`` (the
        states) over the memory budget.
    EvidenceError
        Evidence on an unknown variable, out of range, or leaving some variable with
        no state of positive probability.
    PGMError
        Nonsensical parameters (zero chains, ``thin=0``, unknown scan, ...).

    Examples
    --------
    >>> from pgm.factor import Factor
    >>> from pgm.factor_graph import FactorGraph
    >>> fg = FactorGraph([Factor(["a", "b"], [2, 2], [[4.0, 1.0], [1.0, 4.0]])])
    >>> res = gibbs_sample(fg, 2000, chains=2, seed=1)
    >>> bool(abs(res.marginals["a"][0] - 0.5) < 0.1), res.samples.shape
    (True, (2, 2000, 2))
    """
    if burn_in is None:
        burn_in = max(50, n_samples // 4) if isinstance(n_samples, (int, np.integer)) else 0
    n_samples, chains, burn_in, thin = check_sampling_args(n_samples, chains, burn_in, thin,
                                                           scan, beta)
    from pgm.inference.pairwise import PairwiseBinaryModel

    if isinstance(model, PairwiseBinaryModel):
        from pgm.inference.pairwise import gibbs_pairwise_model

        return gibbs_pairwise_model(model, n_samples, chains=chains, burn_in=burn_in, thin=thin,
                                     scan=scan, evidence=evidence, seed=seed, initial=initial,
                                     return_samples=return_samples, beta=float(beta),
                                     memory_budget=memory_budget)
    from pgm.inference import _kernels_generic as K

    cm = compile_model(model)
    if cm.n_variables == 0:
        raise ParameterError("gibbs_sample needs a model with at least one variable; "
                             "this one has none")
    seed = resolve_seed(seed)
    ev, clamped, values = cm.split_evidence(evidence)
    free = cm.free_positions(clamped)
    itemsize = np.dtype(cm.state_dtype).itemsize
    check_chain_states(chains, cm.n_variables, itemsize, "gibbs_sample", memory_budget)
    kmax = int(np.max(cm.cardinalities)) if cm.n_variables else 1
    check_allocation(record_bytes(chains, n_samples, cm.n_variables, kmax, itemsize,
                                  return_samples),
                     f"gibbs_sample records: {chains} chains x {n_samples} samples x "
                     f"{cm.n_variables} variables", memory_budget=memory_budget)
    x = cm.initial_states(chains, clamped, values, seed, initial=initial)
    betas = np.array([float(beta)])
    status = np.full(chains, -1, dtype=np.int64)
    useed = np.uint64(seed)
    if scan == "chromatic" and use_site_parallel(chains, free.size, len(cm.colouring(free)[0]) - 1):
        col_ptr, col_vars = cm.colouring(free)
        nthreads = _n_threads()

        def run(x, sweep0, n_burn, n_rec, out):
            K.gibbs_chromatic(cm.arrays, x, col_ptr, col_vars, useed, sweep0, n_burn, n_rec, thin,
                              betas, out, status, nthreads)
    else:
        if scan == "chromatic":   # same samples as the parallel kernel: colour order
            free_order = cm.colouring(free)[1]
        else:
            free_order = variable_order(cm, order, free)
        code = 1 if scan == "random" else 0

        def run(x, sweep0, n_burn, n_rec, out):
            K.gibbs_chains(cm.arrays, x, free_order, code, useed, sweep0, n_burn, n_rec, thin,
                           betas, out, status)

    return drive(cm.variables, cm.cardinalities, run, x, n_samples, burn_in, thin,
                  return_samples, cm.state_dtype, status, ev, scan, chains, seed,
                  values_of_state=None)


def drive(variables, card, run, x, n_samples, burn_in, thin, return_samples, dtype, status, ev,
           scan, chains, seed, values_of_state) -> GibbsResult:
    """Run the sampler ``run(x, sweep0, n_burn, n_rec, out)`` and assemble a :class:`GibbsResult`.

    ``values_of_state`` maps state index to the stored value (``None``: identity).
    """
    from pgm.inference.diagnostics import batch_diagnostics, indicator_diagnostics

    n = x.shape[1]
    kmax = int(card.max()) if n else 1
    vals = np.arange(kmax) if values_of_state is None else np.asarray(values_of_state)
    if return_samples:
        samples = np.empty((chains, n_samples, n), dtype=dtype)
        run(x, 0, burn_in, n_samples, samples)
        _raise_status(variables, status)
        counts = np.stack([(samples == vals[s]).sum(axis=(0, 1)) for s in range(kmax)], axis=1)
        states = samples if values_of_state is None else _to_index(samples, vals)
        rhat, ess_ = indicator_diagnostics(states, card)
    else:
        samples = None
        n_batches = min(n_samples, 32)
        bsize = n_samples // n_batches
        sizes = [bsize] * n_batches
        sizes[-1] += n_samples - bsize * n_batches
        means = np.zeros((chains, n_batches, n, kmax))
        counts = np.zeros((n, kmax), dtype=np.int64)
        buf = np.empty((chains, max(sizes), n), dtype=dtype)
        sweep0 = 0
        for b, size in enumerate(sizes):
            out = buf[:, :size] if size == buf.shape[1] else np.empty((chains, size, n), dtype=dtype)
            nb = burn_in if b == 0 else 0
            run(x, sweep0, nb, size, out)
            _raise_status(variables, status)
            sweep0 += nb + size * thin
            for s in range(kmax):
                hit = out == vals[s]
                means[:, b, :, s] = hit.mean(axis=1)
                counts[:, s] += hit.sum(axis=(0, 1))
        rhat, ess_ = batch_diagnostics(means, bsize)
        rhat = np.where(np.arange(kmax)[None, :] < card[:, None], rhat, 1.0)
        ess_ = np.where(np.arange(kmax)[None, :] < card[:, None], ess_, 0.0)
    total = chains * n_samples
    marg = counts / total
    marginals = {v: marg[i, : card[i]].copy() for i, v in enumerate(variables)}
    has = np.arange(kmax)[None, :] < card[:, None]
    rmax = np.where(has, rhat, 1.0).max(axis=1)
    emin = np.where(has, ess_, np.inf).min(axis=1)
    for v in ev:
        i = variables.index(v)
        rmax[i], emin[i] = 1.0, float(total)
    return GibbsResult(
        variables=list(variables), samples=samples, marginals=marginals,
        rhat={v: float(rmax[i]) for i, v in enumerate(variables)},
        ess={v: float(emin[i]) for i, v in enumerate(variables)},
        state_rhat=rhat, state_ess=ess_, marginal_array=marg, final_state=x.copy(),
        evidence=dict(ev), scan=scan, chains=chains, n_samples=n_samples, burn_in=burn_in,
        thin=thin, seed=seed,
    )


def _to_index(samples: np.ndarray, vals: np.ndarray) -> np.ndarray:
    out = np.zeros(samples.shape, dtype=np.uint8)
    for s, val in enumerate(vals.tolist()):
        out[samples == val] = s
    return out


# ------------------------------------------------------------------ annealing


@dataclass
class AnnealResult:
    """Output of :func:`anneal`.

    Attributes
    ----------
    variables : list
    state : ndarray
        The best state found (state indices; pairwise models: spin/unit values);
        :attr:`assignment` gives it as a dict.
    energy : float
        Its energy ``-log p~(x)`` (negative unnormalized log-probability).
    chain_energies : ndarray
        Best energy of each chain.
    final_states : ndarray
        The state of each chain at the end of the schedule.
    final_energies : ndarray
    """

    variables: list
    state: np.ndarray
    energy: float
    chain_energies: np.ndarray
    final_states: np.ndarray
    final_energies: np.ndarray
    schedule: np.ndarray = field(repr=False)

    @property
    def assignment(self) -> dict:
        """The best state as ``{variable: state}``."""
        return dict(zip(self.variables, self.state.tolist()))


def geometric_schedule(t_start: float = 5.0, t_end: float = 0.05, n_sweeps: int = 500) -> np.ndarray:
    """Temperatures decreasing geometrically from ``t_start`` to ``t_end``.

    Examples
    --------
    >>> geometric_schedule(4.0, 1.0, 3).tolist()
    [4.0, 2.0, 1.0]
    """
    n_sweeps = check_positive_int("n_sweeps", n_sweeps)
    t_start = check_float("t_start", t_start, minimum=0, include_minimum=False)
    t_end = check_float("t_end", t_end, minimum=0, include_minimum=False)
    return np.geomspace(float(t_start), float(t_end), n_sweeps)


def check_schedule(schedule) -> np.ndarray:
    """Validate a temperature schedule; return it as float64."""
    if schedule is None:
        return geometric_schedule()
    t = np.asarray(schedule, dtype=float).ravel()
    if t.size == 0:
        raise ParameterError("the temperature schedule is empty")
    bad = np.flatnonzero(~(np.isfinite(t) & (t > 0)))
    if bad.size:
        raise ParameterError(f"temperature {t[bad[0]]!r} at step {int(bad[0])} of the schedule is not "
                       "a positive finite number")
    return t


def anneal(model, schedule: Sequence[float] | None = None, *, chains: int = 1,
           scan: str = "systematic", evidence: Mapping | None = None, seed: int | None = None,
           initial=None, memory_budget: int | None = None) -> AnnealResult:
    """Simulated annealing: Gibbs sweeps at decreasing temperatures, keeping the best state.

    Parameters
    ----------
    model : FactorGraph, BayesianNetwork, CompiledModel or PairwiseBinaryModel
    schedule : sequence of float, optional
        One temperature per sweep (``p(x)^(1/T)``); default
        :func:`geometric_schedule` ``(5, 0.05, 500)``.
    chains : int
        Independent runs (in parallel); the best is returned.
    scan : {"systematic", "random"} (chromatic is used for pairwise models)
    evidence, seed, initial, memory_budget
        As in :func:`gibbs_sample` (the chains' states are checked against the budget).

    Examples
    --------
    >>> from pgm.factor import Factor
    >>> from pgm.factor_graph import FactorGraph
    >>> fg = FactorGraph([Factor(["a", "b"], [2, 2], [[1.0, 1.0], [1.0, 9.0]])])
    >>> anneal(fg, seed=0).assignment
    {'a': 1, 'b': 1}
    """
    temps = check_schedule(schedule)
    chains = check_positive_int("chains", chains, 1)
    if scan not in SCANS:
        raise ParameterError(f"scan must be one of {SCANS}, got {scan!r}")
    from pgm.inference.pairwise import PairwiseBinaryModel

    if isinstance(model, PairwiseBinaryModel):
        from pgm.inference.pairwise import anneal_pairwise_model

        return anneal_pairwise_model(model, temps, chains=chains, evidence=evidence, seed=seed,
                                      initial=initial, memory_budget=memory_budget)
    from pgm.inference import _kernels_generic as K

    cm: CompiledModel = compile_model(model)
    seed = resolve_seed(seed)
    ev, clamped, values = cm.split_evidence(evidence)
    free = cm.free_positions(clamped)
    # the states, the best states and their draws
    check_chain_states(chains, cm.n_variables, 2 * np.dtype(cm.state_dtype).itemsize, "anneal",
                       memory_budget)
    x = cm.initial_states(chains, clamped, values, seed, initial=initial)
    best_x = x.copy()
    best_lw = np.full(chains, -np.inf)
    status = np.full(chains, -1, dtype=np.int64)
    K.anneal_chains(cm.arrays, x, free, 0 if scan != "random" else 1, np.uint64(seed),
                    1.0 / temps, best_x, best_lw, status)
    _raise_status(cm.variables, status)
    c = int(np.argmax(best_lw))
    final_lw = cm.log_weight(x)
    return AnnealResult(variables=list(cm.variables), state=best_x[c].copy(),
                        energy=float(-best_lw[c]), chain_energies=-best_lw, final_states=x,
                        final_energies=-np.asarray(final_lw), schedule=temps)
