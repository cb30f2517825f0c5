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

Zero entries can make single-site Gibbs reducible (asia's ``either = tub OR lung``:
no single-variable move leaves ``lung=yes, either=yes``), so by default
(``blocking="auto"``) the variables tied by factors with zeros are grouped into blocks
(:meth:`~pgm.inference.compiled.CompiledModel.blocking`) and each block is drawn
jointly from its exact conditional.  After sampling, :func:`gibbs_sample` checks the
chains (split R-hat, states reached by some chains only) and emits an
:class:`~pgm.exceptions.EstimateWarning` when they disagree.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from pgm._config import check_allocation
from pgm.exceptions import EstimateWarning, EvidenceError, ParameterError
from pgm.inference.compiled import MAX_BLOCK_STATES, CompiledModel, compile_model, variable_order
from pgm.results import named_marginals
from pgm.validation import (
    check_choice,
    check_float,
    check_nonnegative_int,
    check_positive_int,
    resolve_seed,
)

__all__ = ["GibbsResult", "AnnealResult", "gibbs_sample", "anneal", "geometric_schedule", "SCANS",
           "BLOCKINGS", "chain_problems"]

SCANS = ("systematic", "random", "chromatic")
BLOCKINGS = ("auto", "none")

#: :func:`gibbs_sample` warns when the split R-hat of some variable exceeds this
RHAT_WARNING = 1.1
#: ... or when a state has pooled frequency at least this, at least
#: :data:`REACH_MIN_VISITS` expected visits per chain, and some chain never visits it
REACH_MIN_FREQUENCY = 0.01
REACH_MIN_VISITS = 25
#: variables named in a warning
WARN_NAMES = 5

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
    blocks : list of tuple
        The variables of each block drawn jointly (``blocking="auto"``); empty for a
        single-site sampler.
    warnings : list of str
        The diagnostics that made :func:`gibbs_sample` emit an
        :class:`~pgm.exceptions.EstimateWarning` (empty: none); ``extra["warning"]``
        holds the message emitted.
    extra : dict
        ``chain_counts`` (visits of each state per chain, shape ``(chains, n_variables,
        max_cardinality)``), and with blocking ``hard_factors`` / ``unblocked_factors``
        (the scopes of the factors with zeros, and of those left out of every block).
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
    blocks: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

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
            "blocks": [[str(v) for v in b] for b in self.blocks],
            "warnings": list(self.warnings),
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
                 memory_budget: int | None = None, blocking: str = "auto",
                 max_block_states: int = MAX_BLOCK_STATES,
                 soft_evidence: Mapping | None = None) -> GibbsResult:
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
        colour order.  With blocks, each block is one *site* of the scan: systematic
        updates it at the place of its first variable, random draws among the sites
        (as many updates per sweep as sites), chromatic colours the sites (a block is
        one unit) and runs the chains in parallel, each in colour order (the
        colour-class-parallel kernel is single-site only).
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
    blocking : {"auto", "none"}
        ``"auto"``: the free variables tied by *hard* factors (a zero entry left by the
        evidence, two or more free variables) are grouped into blocks, each drawn
        jointly from its exact conditional given its Markov blanket; a model without
        hard factors gets the single-site sampler unchanged (same samples).
        ``"none"``: single-site updates only.
    max_block_states : int
        Largest number of joint states of a block (product of its cardinalities); a
        hard factor that would make a block bigger is left out of the blocking
        (single-site over it; the warning below is then the safety net).
    soft_evidence : dict, optional
        ``{variable: likelihood vector}``: virtual evidence, multiplied in as a unary
        factor (:func:`pgm.evidence.with_soft_evidence`); the chains sample the
        posterior given it.  Not for a PairwiseBinaryModel (add ``log(l1 / l0) / 2``,
        Ising, or ``log(l1 / l0)``, Boltzmann, to the unit's field instead).

    Returns
    -------
    GibbsResult

    Warns
    -----
    EstimateWarning
        When the chains disagree: a split R-hat over :data:`RHAT_WARNING` (1.1), or a
        state that some chains visit often and others never (see
        :func:`chain_problems`); the message names the worst variables and what to
        change (for a Bayesian network with evidence: likelihood weighting).  Runs
        with fewer than 4 samples are not checked.

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

    A deterministic factor (``b`` copies ``a``) is sampled as one block:

    >>> copy = FactorGraph([Factor(["a", "b"], [2, 2], [[1.0, 0.0], [0.0, 3.0]])])
    >>> res = gibbs_sample(copy, 2000, chains=4, seed=1)
    >>> res.blocks, res.warnings, bool(abs(res.marginals["a"][1] - 0.75) < 0.05)
    ([('a', 'b')], [], True)

    Soft evidence on ``b`` (likelihoods 1 and 3) makes ``a = 1`` 9 times as likely:

    >>> res = gibbs_sample(copy, 4000, chains=4, seed=1, soft_evidence={"b": [1.0, 3.0]})
    >>> bool(abs(res.marginals["a"][1] - 0.9) < 0.03)
    True
    """
    if burn_in is None:
        burn_in = max(50, n_samples // 4) if isinstance(n_samples, (int, np.integer)) else 0
    n_samples, chains, burn_in, thin = check_sampling_args(n_samples, chains, burn_in, thin,
                                                           scan, beta)
    check_choice("blocking", blocking, BLOCKINGS)
    max_block_states = check_positive_int("max_block_states", max_block_states)
    from pgm.inference.pairwise import PairwiseBinaryModel

    if isinstance(model, PairwiseBinaryModel):
        from pgm.inference.pairwise import gibbs_pairwise_model

        if soft_evidence:
            raise ParameterError("gibbs_sample takes no soft_evidence for a PairwiseBinaryModel: "
                                 "add log(l1 / l0) / 2 (Ising) or log(l1 / l0) (Boltzmann) to "
                                 "the unit's field instead")

        res = gibbs_pairwise_model(model, n_samples, chains=chains, burn_in=burn_in, thin=thin,
                                    scan=scan, evidence=evidence, seed=seed, initial=initial,
                                    return_samples=return_samples, beta=float(beta),
                                    memory_budget=memory_budget)
        return _check_chains(res, advice=[])
    from pgm.inference import _kernels_generic as K

    if soft_evidence:
        from pgm.bayesian_network import BayesianNetwork
        from pgm.evidence import with_soft_evidence

        source = model.source if isinstance(model, CompiledModel) else model
        is_bn = isinstance(model, BayesianNetwork) or \
            (isinstance(model, CompiledModel) and model.is_bayesian_network)
        cm = compile_model(with_soft_evidence(source, soft_evidence))
        cm.is_bayesian_network = is_bn        # the advice still names likelihood weighting
    else:
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
    if blocking == "auto":
        blk = cm.blocking(clamped, values, max_block_states)
        blocks, hard, unblocked = blk.blocks, blk.hard, blk.unblocked
    else:
        blocks, hard = [], cm.hard_factors(clamped, values)
        unblocked = hard
    x = cm.initial_states(chains, clamped, values, seed, initial=initial, blocks=blocks)
    betas = np.array([float(beta)])
    status = np.full(chains, -1, dtype=np.int64)
    useed = np.uint64(seed)
    if blocks:
        from pgm.inference import _kernels_blocked as KB

        if scan == "chromatic":   # blocks coloured as units, chains in parallel
            free_order = cm.site_colouring(free, blocks)
        else:
            free_order = variable_order(cm, order, free)
        site_ptr, site_vars, sf_ptr, sf_fac = cm.sites(free_order, blocks)
        code = 1 if scan == "random" else 0

        def run(x, sweep0, n_burn, n_rec, out):
            KB.gibbs_blocked_chains(cm.arrays, x, site_ptr, site_vars, sf_ptr, sf_fac, code, useed,
                                    sweep0, n_burn, n_rec, thin, betas, out, status)
    elif scan == "chromatic" and use_site_parallel(chains, free.size,
                                                   len(cm.colouring(free)[0]) - 1):
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

    res = drive(cm.variables, cm.cardinalities, run, x, n_samples, burn_in, thin,
                return_samples, cm.state_dtype, status, ev, scan, chains, seed,
                values_of_state=None)
    res.blocks = [tuple(cm.variables[int(v)] for v in b) for b in blocks]
    res.marginals = named_marginals(cm.source, res.marginals)
    f_ptr, f_vars = cm.arrays[4], cm.arrays[5]

    def scopes(fs) -> list[tuple]:
        return [tuple(cm.variables[int(u)] for u in f_vars[f_ptr[f]:f_ptr[f + 1]]) for f in fs]

    res.extra["hard_factors"] = scopes(hard.tolist())
    res.extra["unblocked_factors"] = scopes(unblocked.tolist())
    names = getattr(cm.source, "state_names", None)
    return _check_chains(res, advice=_advice(cm, ev, blocking, res.extra["unblocked_factors"]),
                         state_name=(lambda v, s: names(v)[s]) if callable(names) else None)


def _advice(cm: CompiledModel, ev: dict, blocking: str, unblocked: list) -> list[str]:
    """What to change when the chains of :func:`gibbs_sample` disagree."""
    out = []
    if unblocked:
        names = "; ".join("(" + ", ".join(str(v) for v in s) + ")" for s in unblocked[:WARN_NAMES])
        fix = ("use blocking='auto'" if blocking == "none" else
               "raise max_block_states to block them")
        out.append(f"zero entries of the factors over {names} can make single-site Gibbs "
                   f"reducible: {fix}")
    out.append("run longer (more burn-in and samples) or with more chains")
    if cm.is_bayesian_network:
        if ev:
            out.append('or, for a Bayesian network with evidence, use likelihood weighting, '
                       'which does not rely on chains mixing: bn.simulate(n, evidence, '
                       'method="weighted") or `pgm infer MODEL --marginals --method lw`')
        else:
            out.append("or, for a Bayesian network without evidence, draw exact independent "
                       "samples with bn.simulate(n)")
    return out


def chain_problems(res: GibbsResult, chain_counts: np.ndarray | None = None,
                   state_name: Callable[[Hashable, int], str] | None = None) -> list[str]:
    r"""Diagnostics that say the chains of ``res`` disagree (empty list: none found).

    * a split R-hat over :data:`RHAT_WARNING` (the worst :data:`WARN_NAMES` variables
      are named, with their R-hat), not checked under 4 samples per chain;
    * a state of a free variable visited by some chains and never by another, with
      pooled frequency at least :data:`REACH_MIN_FREQUENCY` and at least
      :data:`REACH_MIN_VISITS` expected visits per chain (two chains or more).

    ``chain_counts`` (default ``res.extra["chain_counts"]``) holds the visits of each
    state per chain, shape ``(chains, n_variables, max_cardinality)``; states are
    named by ``state_name(variable, index)`` where given, else by index.

    Examples
    --------
    >>> from pgm.factor import Factor
    >>> from pgm.factor_graph import FactorGraph
    >>> fg = FactorGraph([Factor(["a"], [2], [1.0, 1.0])])
    >>> res = gibbs_sample(fg, 500, chains=2, seed=0)
    >>> chain_problems(res)
    []
    >>> counts = res.extra["chain_counts"].copy()
    >>> counts[0, 0] = [500, 0]; counts[1, 0] = [0, 500]
    >>> res.rhat["a"] = float("inf")
    >>> for line in chain_problems(res, counts):
    ...     print(line.replace(" (pooled", "\n  (pooled"))
    split R-hat > 1.1 for 1 of 1 free variables; worst: a (inf)
    the chains disagree on which states are reachable: a=0
      (pooled frequency 0.500, never in chain 1), a=1
      (pooled frequency 0.500, never in chain 0)
    """
    counts = res.extra.get("chain_counts") if chain_counts is None else chain_counts
    free = [v for v in res.variables if v not in res.evidence]
    out = []
    if res.n_samples >= 4:
        bad = sorted((v for v in free if not res.rhat[v] <= RHAT_WARNING),
                     key=lambda v: -res.rhat[v])
        if bad:
            worst = ", ".join(f"{v} ({res.rhat[v]:.3f})" for v in bad[:WARN_NAMES])
            out.append(f"split R-hat > {RHAT_WARNING} for {len(bad)} of {len(free)} free "
                       f"variables; worst: {worst}")
    if counts is not None and res.chains >= 2:
        c = np.asarray(counts)
        pooled = c.sum(axis=0) / float(res.chains * res.n_samples)          # (n, kmax)
        never = (c == 0).any(axis=0) & (c > 0).any(axis=0)
        hit = never & (pooled >= REACH_MIN_FREQUENCY) & (pooled * res.n_samples >= REACH_MIN_VISITS)
        index = {v: i for i, v in enumerate(res.variables)}
        for v in res.evidence:
            hit[index[v]] = False
        flagged = sorted(zip(*np.nonzero(hit)), key=lambda t: (-pooled[t], t))
        if flagged:
            items = []
            for i, s in flagged[:WARN_NAMES]:
                empty = np.flatnonzero(c[:, i, s] == 0).tolist()
                which = ", ".join(str(k) for k in empty)
                v = res.variables[i]
                name = state_name(v, int(s)) if state_name is not None else s
                items.append(f"{v}={name} (pooled frequency {pooled[i, s]:.3f}, "
                             f"never in chain{'s' if len(empty) > 1 else ''} {which})")
            more = f" and {len(flagged) - WARN_NAMES} more" if len(flagged) > WARN_NAMES else ""
            out.append("the chains disagree on which states are reachable: " + ", ".join(items)
                       + more)
    return out


def _check_chains(res: GibbsResult, advice: list[str],
                  state_name: Callable[[Hashable, int], str] | None = None) -> GibbsResult:
    """Record :func:`chain_problems` in ``res.warnings`` and emit one EstimateWarning."""
    res.warnings = chain_problems(res, state_name=state_name)
    if res.warnings:
        msg = ("gibbs_sample: the chains disagree, the estimates are unreliable: "
               + "; ".join(res.warnings) + ". To fix: " + "; ".join(advice or
                                                                     ["run longer"]) + ".")
        res.extra["warning"] = msg
        warnings.warn(msg, EstimateWarning, stacklevel=3)
    return res


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
        chain_counts = np.stack([(samples == vals[s]).sum(axis=1) for s in range(kmax)], axis=2)
        counts = chain_counts.sum(axis=0)
        states = samples if values_of_state is None else _to_index(samples, vals)
        rhat, ess_ = indicator_diagnostics(states, card)
    else:
        samples = None
        n_batches = min(n_samples, 32)
        bsize = n_samples // n_batches
        sizes = [bsize] * n_batches
        sizes[-1] += n_samples - bsize * n_batches
        means = np.zeros((chains, n_batches, n, kmax))
        chain_counts = np.zeros((chains, n, kmax), dtype=np.int64)
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
                chain_counts[:, :, s] += hit.sum(axis=1)
        counts = chain_counts.sum(axis=0)
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
        thin=thin, seed=seed, extra={"chain_counts": chain_counts},
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
