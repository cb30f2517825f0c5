"""Expectation maximization: CPDs from data with missing values and latent variables.

Each iteration's E-step computes the expected counts of every CPD family given each row's
observed values, by exact inference on the junction tree of
:mod:`pgm.inference.junction_tree` (imported inside the functions that run it); the
M-step turns them into CPDs (plus the prior's pseudo-counts, if any: MAP-EM).  The work
is arranged so that each iteration does as little as it can:

* **complete rows** contribute fixed counts, computed once before the first iteration;
* **incomplete rows are deduplicated**: rows with the same missing pattern and the same
  observed values are inferred once, weighted by how often they occur, all of them in a
  few batched propagations over the compiled tree (not one query per row);
* on a **Dask** dataset each partition keeps its own complete counts and distinct
  incomplete rows, and each E-step runs where the partitions live and sums the results.

The observed-data log-likelihood (missing values summed out) is recorded per iteration
(``history``); without a prior it never decreases (EM's guarantee, checked by the tests).
Iteration stops when the objective (the log-likelihood, plus the log prior density for
MAP-EM) rises by less than ``tolerance`` nats per row, or after ``max_iterations``
M-steps (then ``converged`` is False).  With ``n_restarts > 1`` the best restart (highest
objective) wins; every restart's outcome is in ``restarts``.

Initialization (``init``): ``"auto"`` starts the first restart from available-case
estimates (each family counted over the rows where it is fully observed, plus one
pseudo-count per cell) with random CPDs for families that hold a latent variable, and
later restarts from random CPDs (rows drawn from a flat Dirichlet); ``"random"`` uses
random CPDs for every restart; ``"model"`` starts from the structure's own CPDs.

Examples
--------
>>> import numpy as np, pgm.examples
>>> asia = pgm.examples.load("asia")
>>> data = asia.simulate(3000, seed=0).to_frame()
>>> data.loc[data.sample(frac=0.2, random_state=0).index, "smoke"] = None
>>> res = expectation_maximization(asia, data, seed=0)
>>> res.converged, bool(np.all(np.diff(res.history) >= -1e-9))
(True, True)
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np

from pgm.exceptions import (
    DataError,
    EstimateWarning,
    MissingCPDError,
    ParameterError,
    UnseenParentsWarning,
)
from pgm.learning.counts import count_chunk, family_columns, unique_rows
from pgm.learning.data import as_structure, prepare_data, sum_results
from pgm.learning.parameters import (
    DEFAULT_EQUIVALENT_SAMPLE_SIZE,
    FitResult,
    build_network,
    counts_log_likelihood,
    describe_unseen,
    dirichlet_pseudo_counts,
    estimate_cpds,
    unseen_message,
)
from pgm.validation import (
    DEFAULT_SEED,
    check_choice,
    check_flag,
    check_positive_int,
    check_tolerance,
    derived_seed,
    resolve_seed,
)

__all__ = ["expectation_maximization", "INITS"]

INITS = ("auto", "random", "model")


def _split_chunk(codes: np.ndarray, families: list, cards: np.ndarray):
    """Complete rows' counts, and the distinct incomplete rows with their multiplicities."""
    complete = np.all(codes >= 0, axis=1)
    hard = count_chunk(codes[complete], families, cards)
    uniq, weights, _ = unique_rows(codes[~complete], cards)
    return hard, uniq, weights


def _hard_counts(part) -> list:
    return part[0]


def _estep_chunk(part, tree, families_scopes) -> tuple:
    """Observed-data log-likelihood and expected counts of one chunk's incomplete rows."""
    _, uniq, weights = part
    if uniq.shape[0] == 0:
        return 0.0, [np.zeros(int(np.prod(s))) for s in tree_shapes(tree, families_scopes)]
    log_ev, counts = tree.expected_counts(uniq, families_scopes, weights=weights)
    return float(np.dot(weights, log_ev)), [c.ravel() for c in counts]


def tree_shapes(tree, scopes) -> list[tuple]:
    card = dict(zip(tree.variables, np.asarray(tree.cardinalities).tolist()))
    return [tuple(int(card[v]) for v in scope) for scope in scopes]


def _random_tables(shapes: Mapping[Hashable, tuple], rng: np.random.Generator) -> dict:
    out = {}
    for v, shape in shapes.items():
        rows = rng.dirichlet(np.ones(shape[-1]), size=int(np.prod(shape[:-1], dtype=np.int64)))
        out[v] = rows.reshape(shape)
    return out


def _log_prior(pseudo: dict | None, tables: Mapping) -> float:
    if pseudo is None:
        return 0.0
    total = 0.0
    for v, a in pseudo.items():
        t = tables[v]
        m = a > 0
        if np.any(m & (t <= 0)):
            return -np.inf
        total += float(np.sum(a[m] * np.log(t[m])))
    return total


def expectation_maximization(structure: Any, data: Any, *, prior: Any = None,
                             equivalent_sample_size: Any = DEFAULT_EQUIVALENT_SAMPLE_SIZE,
                             latent: Mapping[Hashable, Any] | None = None, n_restarts: int = 1,
                             max_iterations: int = 100, tolerance: float = 1e-6,
                             init: str = "auto", seed: Any = DEFAULT_SEED, progress: bool = False,
                             memory_budget: int | None = None) -> FitResult:
    """Fit the CPDs of ``structure`` to ``data`` with missing values by EM.

    Parameters
    ----------
    structure : BayesianNetwork, networkx.DiGraph or edges
    data : pandas or Dask DataFrame, code array (``-1`` / NaN missing) or file path
        Missing values are NaN / None; a structure variable with no column is latent.
    prior : {"bdeu", "k2"}, number or mapping, optional
        Dirichlet pseudo-counts added in each M-step (MAP-EM); default none.
    latent : mapping, optional
        ``{variable: number of states or [names]}`` for latent variables whose states
        the structure does not give.
    n_restarts : int
        Independent starts; the best final objective wins.
    max_iterations : int
        Most M-steps per restart.
    tolerance : float
        Stop when the objective rises by less than this many nats per row.
    init : {"auto", "random", "model"}
    seed : int or None
        Seeds the random starts (restart ``k`` uses ``derived_seed(seed, k)``).
    progress : bool
        Show a progress bar over iterations (tqdm).

    Returns
    -------
    FitResult
        With ``iterations``, ``converged``, ``history`` (log-likelihood per iteration of the
        best restart) and ``restarts``.

    Examples
    --------
    >>> import numpy as np
    >>> codes = np.array([[0, 0], [0, -1], [1, 1], [1, -1], [0, 0]])
    >>> res = expectation_maximization([("a", "b")], codes)
    >>> res.model.get_cpd("b").values.round(3).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    from pgm.inference.junction_tree import JunctionTree

    t0 = time.perf_counter()
    init = check_choice("init", init, INITS)
    n_restarts = check_positive_int("n_restarts", n_restarts)
    max_iterations = check_positive_int("max_iterations", max_iterations)
    tolerance = check_tolerance("tolerance", tolerance)
    progress = check_flag("progress", progress)
    seed = resolve_seed(seed)
    s = as_structure(structure)
    ds = prepare_data(s, data, allow_missing=True, latent=latent, memory_budget=memory_budget)
    cards = ds.cardinalities
    card = dict(zip(ds.variables, cards.tolist()))
    families = family_columns(s)
    scopes = s.families()
    shapes = {v: tuple(int(card[u]) for u in fam) for v, fam in zip(s.variables, scopes)}
    pseudo = (None if prior is None
              else dirichlet_pseudo_counts(s, card, prior, equivalent_sample_size))
    if init == "model":
        missing = [v for v in s.variables if v not in s.cpds]
        if missing:
            raise MissingCPDError(f"init='model' needs a CPD for every variable; "
                                  f"{', '.join(map(repr, missing))} have none")
        for v in s.variables:
            if s.cpds[v].values.shape != shapes[v]:
                raise ParameterError(f"init='model': the CPD of {v!r} has shape "
                                     f"{s.cpds[v].values.shape}, the data gives {shapes[v]}")

    # -- once: per chunk, complete-row counts and distinct incomplete rows
    if ds.is_distributed:
        import dask

        parts = dask.persist(*[dask.delayed(_split_chunk)(p, families, cards) for p in ds.parts])
        hard = sum_results(dask.compute(*[dask.delayed(_hard_counts)(p) for p in parts]))
        sizes = dask.compute(*[dask.delayed(_sizes)(p) for p in parts])
        n_incomplete = int(sum(d for d, _ in sizes))
        ds.n_rows = int(sum(r for _, r in sizes))
        if ds.n_rows == 0:
            raise DataError("the data has no rows")
    else:
        split = _split_chunk(ds.codes, families, cards)
        parts, hard = None, split[0]
        n_incomplete = int(split[1].shape[0])
    hard = [h.reshape(shapes[v]).astype(np.float64) for v, h in zip(s.variables, hard)]
    n = ds.n_rows

    if n_incomplete == 0:  # nothing missing: EM's fixed point is reached in one M-step
        tables, empty = estimate_cpds(s, hard, pseudo)
        ll = counts_log_likelihood(hard, [tables[v] for v in s.variables])
        return _result(s, ds, tables, empty, hard, ll, 1, True, [ll],
                       [{"log_likelihood": ll, "iterations": 1, "converged": True}], t0)

    def e_step(tables: dict) -> tuple[float, list]:
        model = build_network(s, ds.states, tables)
        tree = JunctionTree(model, memory_budget=memory_budget)
        if parts is None:
            ll_soft, soft = _estep_chunk(split, tree, scopes)
        else:
            import dask

            results = dask.compute(*[dask.delayed(_estep_chunk)(p, tree, scopes) for p in parts])
            ll_soft = float(sum(r[0] for r in results))
            soft = sum_results([r[1] for r in results])
        expected = [h + c.reshape(h.shape) for h, c in zip(hard, soft)]
        ll = ll_soft + counts_log_likelihood(hard, [tables[v] for v in s.variables])
        return ll, expected

    def start(k: int) -> dict:
        rng = np.random.default_rng(derived_seed(seed, k))
        if init == "model":
            if k == 0:
                return {v: np.asarray(s.cpds[v].values, dtype=np.float64) for v in s.variables}
            return _random_tables(shapes, rng)
        tables = _random_tables(shapes, rng)
        if init == "auto" and k == 0:
            available = (ds.map_reduce(count_chunk, families, cards) if ds.is_distributed
                         else count_chunk(ds.codes, families, cards))
            for v, fam, c in zip(s.variables, scopes, available):
                if all(ds.observed[u] for u in fam):
                    rows = c.reshape(shapes[v]).astype(np.float64) + 1.0
                    tables[v] = rows / rows.sum(axis=-1, keepdims=True)
        return tables

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_restarts * max_iterations, desc="EM", unit="it")
    best = None
    restarts = []
    try:
        for k in range(n_restarts):
            tables = start(k)
            history: list[float] = []
            objective_prev = -np.inf
            converged = False
            iterations = 0
            for it in range(max_iterations + 1):
                ll, expected = e_step(tables)
                history.append(ll)
                objective = ll + _log_prior(pseudo, tables)
                rise = objective - objective_prev
                if it > 0 and rise < -1e-9 * max(1.0, abs(objective)):
                    warnings.warn(f"EM's objective fell by {-rise:.3g} at iteration {it} (restart "
                                  f"{k}), which exact EM cannot do: numerical trouble (tables "
                                  "with entries near zero?); stopped there, not converged",
                                  EstimateWarning, stacklevel=2)
                    break
                if it > 0 and rise < tolerance * n:
                    converged = True
                    break
                if it == max_iterations:
                    break
                objective_prev = objective
                tables, empty = estimate_cpds(s, expected, pseudo)
                iterations += 1
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(restart=k, ll=f"{ll:.6g}")
            restarts.append({"log_likelihood": ll, "iterations": iterations,
                             "converged": converged})
            if best is None or objective > best[0]:
                best = (objective, tables, expected, ll, iterations, converged, history)
    finally:
        if bar is not None:
            bar.close()
    _, tables, expected, ll, iterations, converged, history = best
    _, empty = estimate_cpds(s, expected, pseudo)
    return _result(s, ds, tables, empty, expected, ll, iterations, converged, history, restarts, t0)


def _sizes(part) -> tuple[int, int]:
    """Distinct incomplete rows, and all rows, of one split chunk."""
    hard, uniq, weights = part
    return int(uniq.shape[0]), int(hard[0].sum() + weights.sum())


def _result(s, ds, tables, empty, counts, ll, iterations, converged, history, restarts, t0):
    model = build_network(s, ds.states, tables)
    unseen = describe_unseen(model, empty)
    if unseen:
        warnings.warn(unseen_message(unseen), UnseenParentsWarning, stacklevel=3)
    return FitResult(model, "em", ds.n_rows, dict(zip(s.variables, counts)), unseen, float(ll),
                     iterations=iterations, converged=converged, history=[float(h) for h in history],
                     restarts=restarts, seconds=time.perf_counter() - t0)
