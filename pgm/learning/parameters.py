"""Fitting the CPDs of a given structure to data: maximum likelihood, Bayesian (Dirichlet
priors) and EM for missing values and latent variables.

:func:`fit_parameters` is the function behind ``BayesianNetwork.fit``.  The counts come
from :mod:`pgm.learning.counts` (one pass, vectorized, per Dask partition where the data
is a Dask DataFrame); EM (:mod:`pgm.learning.em`) runs its E-step on the junction tree of
:mod:`pgm.inference` (imported lazily, inside the functions that run it).

* ``method="mle"``: ``theta = counts / row total``.  A parent configuration never seen in
  the data gets a uniform row; a :class:`~pgm.exceptions.UnseenParentsWarning` and the
  result's ``unseen`` name those rows (``unseen="error"`` raises
  :class:`~pgm.exceptions.DataError` instead).
* ``method="bayes"``: the posterior mean under a Dirichlet prior,
  ``theta = (counts + alpha) / row total``: ``prior="bdeu"`` (``alpha = ESS / (q r)``
  for a child with ``r`` states and ``q`` parent configurations; ESS is
  ``equivalent_sample_size``, default 10), ``"k2"`` (``alpha = 1``), a number (that
  ``alpha`` everywhere) or ``{variable: pseudo-counts}`` (a number or an array
  broadcastable to the CPD's shape; variables left out get none).
* ``method="em"``: see :func:`pgm.learning.em.expectation_maximization`.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"rain": ["no", "no", "yes", "no"], "wet": ["n", "y", "y", "n"]})
>>> res = fit_parameters([("rain", "wet")], df)
>>> res.model.get_cpd("wet").values.tolist()
[[0.6666666666666666, 0.3333333333333333], [0.0, 1.0]]
>>> bayes = fit_parameters([("rain", "wet")], df, method="bayes", prior="k2")
>>> bayes.model.get_cpd("rain").values.tolist()
[0.6666666666666666, 0.3333333333333333]
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pgm.exceptions import DataError, ParameterError, UnseenParentsWarning
from pgm.learning.counts import family_counts
from pgm.learning.data import Structure, as_structure, prepare_data
from pgm.validation import DEFAULT_SEED, check_choice, check_float

__all__ = [
    "FitResult",
    "fit_parameters",
    "dirichlet_pseudo_counts",
    "estimate_cpds",
    "build_network",
    "counts_log_likelihood",
    "describe_unseen",
    "unseen_message",
    "METHODS",
    "PRIORS",
    "DEFAULT_EQUIVALENT_SAMPLE_SIZE",
]

METHODS = ("mle", "bayes", "em")
PRIORS = ("bdeu", "k2")
DEFAULT_EQUIVALENT_SAMPLE_SIZE = 10.0
#: how many unseen parent configurations a warning spells out
SHOWN_UNSEEN = 5


@dataclass
class FitResult:
    """A fitted network and how it was fitted.

    Attributes
    ----------
    model : BayesianNetwork
        The network with the fitted CPDs (a new object).
    method : str
        ``"mle"``, ``"bayes"`` or ``"em"``.
    n_rows : int
        Data rows used.
    counts : dict
        ``{variable: counts}`` shaped like the CPD (expected counts for EM).
    unseen : dict
        ``{variable: ["given A=a, B=b", ...]}``: parent configurations without data whose
        rows were set uniform.
    log_likelihood : float
        Natural-log likelihood of the data under ``model`` (for EM: of the observed
        values, missing ones summed out).
    iterations, converged, history, restarts
        EM only: M-steps of the best restart, whether it met the tolerance, its
        log-likelihood per iteration, and ``{"log_likelihood", "iterations",
        "converged"}`` per restart.
    seconds : float
        Time spent fitting (data encoding included).
    """

    model: Any
    method: str
    n_rows: int
    counts: dict
    unseen: dict
    log_likelihood: float
    iterations: int = 0
    converged: bool = True
    history: list = field(default_factory=list)
    restarts: list = field(default_factory=list)
    seconds: float = 0.0

    def row_counts(self) -> dict:
        """Per CPD: rows counted, parent configurations, and how many had no data (JSON-ready)."""
        out = {}
        for v, c in self.counts.items():
            rows = c.reshape(-1, c.shape[-1]).sum(axis=1)
            out[str(v)] = {"rows": float(rows.sum()) if self.method == "em" else int(rows.sum()),
                           "parent_configurations": int(rows.size),
                           "unseen": len(self.unseen.get(v, []))}
        return out


def dirichlet_pseudo_counts(structure: Structure, cards: Mapping[Hashable, int], prior: Any,
                            equivalent_sample_size: Any = DEFAULT_EQUIVALENT_SAMPLE_SIZE) -> dict:
    """``{variable: pseudo-count table}`` (CPD-shaped, float) for a Dirichlet prior.

    Examples
    --------
    >>> s = as_structure([("a", "b")])
    >>> dirichlet_pseudo_counts(s, {"a": 2, "b": 3}, "bdeu", 12)["b"].tolist()
    [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]
    """
    out = {}
    shapes = {v: tuple(int(cards[u]) for u in fam) for v, fam in zip(structure.variables,
                                                                     structure.families())}
    if isinstance(prior, str):
        prior = check_choice("prior", prior.lower(), PRIORS)
        ess = check_float("equivalent_sample_size", equivalent_sample_size, minimum=0.0,
                          include_minimum=False)
        for v, shape in shapes.items():
            if prior == "k2":
                out[v] = np.ones(shape)
            else:
                out[v] = np.full(shape, ess / float(np.prod(shape)))
        return out
    if isinstance(prior, Mapping):
        for v in prior:
            if v not in shapes:
                raise ParameterError(f"prior gives pseudo-counts for {v!r}, which is not in "
                                     "the structure")
        for v, shape in shapes.items():
            if v not in prior:
                out[v] = np.zeros(shape)
                continue
            try:
                table = np.broadcast_to(np.asarray(prior[v], dtype=np.float64), shape).copy()
            except (ValueError, TypeError):
                raise ParameterError(f"the pseudo-counts of {v!r} must be a number or an array "
                                     f"broadcastable to the CPD's shape {shape}") from None
            if not np.all(np.isfinite(table)) or np.any(table < 0):
                raise ParameterError(f"the pseudo-counts of {v!r} must be finite and "
                                     "non-negative")
            out[v] = table
        return out
    alpha = check_float("prior", prior, minimum=0.0)
    return {v: np.full(shape, alpha) for v, shape in shapes.items()}


def estimate_cpds(structure: Structure, counts: list[np.ndarray], pseudo: dict | None
                  ) -> tuple[dict, dict]:
    """``({variable: CPD table}, {variable: [flat parent-row indices filled uniform]})``
    from counts (plus pseudo-counts)."""
    tables, empty = {}, {}
    for v, c in zip(structure.variables, counts):
        total = c.astype(np.float64)
        if pseudo is not None:
            total = total + pseudo[v]
        rows = total.reshape(-1, total.shape[-1])
        sums = rows.sum(axis=1, keepdims=True)
        zero = sums[:, 0] <= 0
        with np.errstate(invalid="ignore", divide="ignore"):
            table = np.where(zero[:, None], 1.0 / rows.shape[1], rows / np.where(zero[:, None], 1, sums))
        tables[v] = table.reshape(total.shape)
        if np.any(zero):
            empty[v] = np.flatnonzero(zero)
    return tables, empty


def build_network(structure: Structure, states: Mapping[Hashable, list], tables: Mapping):
    """A new BayesianNetwork with the structure's edges and ``tables`` as CPDs."""
    from pgm.bayesian_network import BayesianNetwork
    from pgm.cpd import TabularCPD

    cpds = []
    for v in structure.variables:
        names = {u: list(states[u]) for u in (*structure.parents[v], v)}
        cpds.append(TabularCPD(v, tables[v], structure.parents[v], state_names=names))
    bn = BayesianNetwork(name=structure.name)
    for v in structure.variables:
        bn.add_node(v)
    bn.add_edges_from([(p, v) for v in structure.variables for p in structure.parents[v]])
    bn.add_cpds(*cpds)
    return bn


def counts_log_likelihood(counts: list[np.ndarray], tables: list[np.ndarray]) -> float:
    """``sum counts * log theta`` (``0 log 0 = 0``; ``-inf`` where data has probability 0)."""
    total = 0.0
    for c, t in zip(counts, tables):
        seen = c > 0
        if np.any(seen & (t <= 0)):
            return -np.inf
        total += float(np.sum(c[seen] * np.log(t[seen])))
    return total


def describe_unseen(bn, empty: Mapping[Hashable, np.ndarray]) -> dict:
    """``{variable: ["given A=a", ...]}`` for the flat parent-row indices in ``empty``."""
    out = {}
    for v, flat in empty.items():
        cpd = bn.get_cpd(v)
        if not cpd.parents:
            out[v] = ["(no data at all)"]
            continue
        pshape = cpd.parent_cardinalities
        out[v] = [bn.describe_parent_assignment(v, tuple(int(i) for i in np.unravel_index(k, pshape)))
                  .removeprefix(" ") for k in flat]
    return out


def unseen_message(unseen: Mapping[Hashable, list]) -> str:
    """The warning text naming the parent configurations filled uniform."""
    parts = []
    for v, rows in unseen.items():
        shown = "; ".join(rows[:SHOWN_UNSEEN]) + ("; ..." if len(rows) > SHOWN_UNSEEN else "")
        parts.append(f"{v!r} ({len(rows)}: {shown})")
    return ("parent configurations without data (their CPD rows were set uniform): "
            + ", ".join(parts))


def fit_parameters(structure: Any, data: Any, *, method: str = "mle", prior: Any = None,
                   equivalent_sample_size: Any = DEFAULT_EQUIVALENT_SAMPLE_SIZE,
                   unseen: str = "uniform", latent: Mapping[Hashable, Any] | None = None,
                   n_restarts: int = 1, max_iterations: int = 100, tolerance: float = 1e-6,
                   init: str = "auto", seed: Any = DEFAULT_SEED, progress: bool = False,
                   memory_budget: int | None = None) -> FitResult:
    """Fit every CPD of ``structure`` to ``data``.

    Parameters
    ----------
    structure : BayesianNetwork (CPDs optional, replaced), networkx.DiGraph or edges
    data : pandas or Dask DataFrame, ndarray of state codes, or .csv / .parquet path
        See :func:`pgm.learning.data.prepare_data`.
    method : {"mle", "bayes", "em"}
    prior : {"bdeu", "k2"}, number or mapping, optional
        The Dirichlet prior (``method="bayes"``: default ``"bdeu"``; ``method="em"``:
        default none, i.e. maximum likelihood).
    equivalent_sample_size : float
        BDeu's equivalent sample size (default 10).
    unseen : {"uniform", "error"}
        What to do with parent configurations without data (and no prior).
    latent, n_restarts, max_iterations, tolerance, init, seed, progress
        EM only; see :func:`pgm.learning.em.expectation_maximization`.

    Returns
    -------
    FitResult
        ``.model`` is the fitted BayesianNetwork.

    Examples
    --------
    >>> import numpy as np
    >>> res = fit_parameters([("a", "b")], np.array([[0, 0], [0, 1], [1, 1]]))
    >>> res.model.get_cpd("a").values.round(3).tolist(), res.n_rows
    ([0.667, 0.333], 3)
    """
    method = check_choice("method", method, METHODS)
    unseen = check_choice("unseen", unseen, ("uniform", "error"))
    if method == "em":
        from pgm.learning.em import expectation_maximization

        return expectation_maximization(
            structure, data, prior=prior, equivalent_sample_size=equivalent_sample_size,
            latent=latent, n_restarts=n_restarts, max_iterations=max_iterations,
            tolerance=tolerance, init=init, seed=seed, progress=progress,
            memory_budget=memory_budget)
    if method == "mle" and prior is not None:
        raise ParameterError("method='mle' takes no prior; use method='bayes'")
    if latent:
        raise ParameterError("latent variables need method='em'")
    t0 = time.perf_counter()
    s = as_structure(structure)
    ds = prepare_data(s, data, memory_budget=memory_budget)
    counts = family_counts(ds, s, memory_budget=memory_budget)
    cards = dict(zip(ds.variables, ds.cardinalities.tolist()))
    pseudo = None
    if method == "bayes":
        pseudo = dirichlet_pseudo_counts(s, cards, "bdeu" if prior is None else prior,
                                         equivalent_sample_size)
    tables, empty = estimate_cpds(s, counts, pseudo)
    model = build_network(s, ds.states, tables)
    described = describe_unseen(model, empty)
    if described:
        message = unseen_message(described)
        if unseen == "error":
            raise DataError(message.replace("(their CPD rows were set uniform)",
                                            "(unseen='error')"))
        warnings.warn(message, UnseenParentsWarning, stacklevel=2)
    ll = counts_log_likelihood(counts, [tables[v] for v in s.variables])
    return FitResult(model, method, ds.n_rows, dict(zip(s.variables, counts)), described, ll,
                     seconds=time.perf_counter() - t0)
