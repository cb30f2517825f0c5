"""Decomposable structure scores from counts, with a local-score cache.

A DAG's score is the sum over variables of a *local score* of the variable and its
parent set, computed from the family's counts ``N[j, k]`` (parent configuration ``j``,
child state ``k``; ``q`` configurations, ``r`` states, ``N`` rows):

* ``loglik``: ``sum N[j,k] log(N[j,k] / N[j])``;
* ``bic``: ``loglik - log(N) / 2 * q (r - 1)``;  ``aic``: ``loglik - q (r - 1)``;
* ``bdeu``: the log marginal likelihood under a Dirichlet prior with
  ``alpha[j,k] = ESS / (q r)``:
  ``sum_j [lgamma(a_j) - lgamma(a_j + N_j)] + sum_jk [lgamma(a_jk + N_jk) - lgamma(a_jk)]``;
* ``k2``: the same with ``alpha[j,k] = 1`` (Cooper & Herskovits);
* ``bds``: BDeu's sparse variant (Scutari 2016): ``alpha[j,k] = ESS / (q~ r)`` over the
  ``q~`` parent configurations that occur in the data, none for the others.

Higher is better for all of them.  :class:`ScoreCache` keys local scores by
``(child, frozenset(parents))`` and counts every family it has not seen in **one pass
over the data per batch** (:meth:`ScoreCache.prefetch`; on Dask, one map-reduce over the
partitions), so a search asks for all the families of its next step at once.

Examples
--------
>>> import numpy as np
>>> from pgm.learning.data import prepare_data
>>> ds = prepare_data([("a", "b")], np.array([[0, 0], [0, 1], [1, 1], [1, 1]]))
>>> cache = ScoreCache(ds, "bic")
>>> round(cache.local("b", ["a"]) - cache.local("b", []), 4)
0.1699
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import numpy as np
from scipy.special import gammaln

from pgm.exceptions import ParameterError
from pgm.learning.counts import count_chunk
from pgm.validation import check_choice, check_float

__all__ = ["SCORES", "local_score", "ScoreCache", "network_score", "DEFAULT_ESS"]

SCORES = ("bic", "aic", "loglik", "bdeu", "k2", "bds")
DEFAULT_ESS = 10.0


def local_score(counts: np.ndarray, score: str = "bic", *,
                equivalent_sample_size: float = DEFAULT_ESS, n_rows: int | None = None) -> float:
    """The local score of one family from its counts, shaped ``(..., r)`` (parent axes
    first, child last; flattened to ``(q, r)``).

    Examples
    --------
    >>> round(local_score(np.array([[3, 1], [0, 4]]), "loglik"), 6)
    -2.249341
    """
    score = check_choice("score", score, SCORES)
    c = np.asarray(counts, dtype=np.float64)
    r = c.shape[-1]
    c = c.reshape(-1, r)
    q = c.shape[0]
    nj = c.sum(axis=1)
    n = float(nj.sum()) if n_rows is None else float(n_rows)
    if score in ("loglik", "bic", "aic"):
        with np.errstate(divide="ignore", invalid="ignore"):
            ll = float(np.sum(np.where(c > 0, c * np.log(c / nj[:, None]), 0.0)))
        if score == "loglik":
            return ll
        k = q * (r - 1)
        return ll - (0.5 * math.log(n) * k if score == "bic" else k) if n > 0 else ll
    if score == "k2":
        a = np.ones_like(c)
    elif score == "bdeu":
        ess = check_float("equivalent_sample_size", equivalent_sample_size, minimum=0.0,
                          include_minimum=False)
        a = np.full_like(c, ess / (q * r))
    else:  # bds
        ess = check_float("equivalent_sample_size", equivalent_sample_size, minimum=0.0,
                          include_minimum=False)
        seen = nj > 0
        q_seen = max(int(seen.sum()), 1)
        a = np.where(seen[:, None], ess / (q_seen * r), 0.0) * np.ones_like(c)
    aj = a.sum(axis=1)
    used = aj > 0
    total = float(np.sum(gammaln(aj[used]) - gammaln(aj[used] + nj[used])))
    cells = a > 0
    total += float(np.sum(gammaln(a[cells] + c[cells]) - gammaln(a[cells])))
    return total


class ScoreCache:
    """Local scores of families of a dataset, computed once each.

    Parameters
    ----------
    dataset : pgm.learning.data.Dataset
        Complete data (no missing values).
    score : str
        One of :data:`SCORES`.
    equivalent_sample_size : float
        BDeu's / BDs's ESS (default 10).

    Attributes
    ----------
    n_families : int
        Families scored so far; ``n_passes``: passes over the data they took.
    """

    def __init__(self, dataset: Any, score: str = "bic", *,
                 equivalent_sample_size: float = DEFAULT_ESS) -> None:
        self.score = check_choice("score", score, SCORES)
        self.ess = check_float("equivalent_sample_size", equivalent_sample_size, minimum=0.0,
                               include_minimum=False)
        self.dataset = dataset
        self.col = {v: j for j, v in enumerate(dataset.variables)}
        self.cards = dataset.cardinalities
        self._scores: dict[tuple, float] = {}
        self.n_families = 0
        self.n_passes = 0

    def _key(self, child: Hashable, parents: Iterable[Hashable]) -> tuple:
        parents = frozenset(parents)
        if child in parents:
            raise ParameterError(f"{child!r} cannot be its own parent")
        for v in (child, *parents):
            if v not in self.col:
                raise ParameterError(f"variable {v!r} is not in the data")
        return child, parents

    def prefetch(self, families: Iterable[tuple[Hashable, Iterable[Hashable]]]) -> None:
        """Score every family ``(child, parents)`` not yet cached, in one data pass."""
        todo: dict[tuple, None] = {}
        for child, parents in families:
            key = (child, parents) if isinstance(parents, frozenset) else None
            if key is not None and key in self._scores:
                continue
            key = self._key(child, parents)
            if key not in self._scores:
                todo[key] = None
        todo = list(todo)
        if not todo:
            return
        cols = [tuple(self.col[p] for p in sorted(parents, key=self.col.get)) + (self.col[child],)
                for child, parents in todo]
        flat = self.dataset.map_reduce(count_chunk, cols, self.cards)
        n = self.dataset.n_rows
        for key, c, cs in zip(todo, flat, cols):
            table = c.reshape(-1, int(self.cards[cs[-1]]))
            self._scores[key] = local_score(table, self.score, equivalent_sample_size=self.ess,
                                            n_rows=n)
        self.n_families += len(todo)
        self.n_passes += 1

    def local(self, child: Hashable, parents: Iterable[Hashable]) -> float:
        """The local score of ``child`` with ``parents`` (cached)."""
        if isinstance(parents, frozenset):  # the searches' hot path: no re-validation
            value = self._scores.get((child, parents))
            if value is not None:
                return value
        key = self._key(child, parents)
        if key not in self._scores:
            self.prefetch([key])
        return self._scores[key]

    def total(self, parents_of: Mapping[Hashable, Iterable[Hashable]]) -> float:
        """The score of a DAG given as ``{variable: parents}``."""
        self.prefetch(list(parents_of.items()))
        return float(sum(self.local(v, ps) for v, ps in parents_of.items()))


def network_score(structure: Any, data: Any, score: str = "bic", *,
                  equivalent_sample_size: float = DEFAULT_ESS,
                  memory_budget: int | None = None) -> float:
    """The score of ``structure`` (a BayesianNetwork, DAG or edges) on ``data``.

    Examples
    --------
    >>> import pgm.examples
    >>> asia = pgm.examples.load("asia")
    >>> data = asia.simulate(2000, seed=0).to_frame()
    >>> empty = pgm.BayesianNetwork()
    >>> for v in asia.nodes:
    ...     empty.add_node(v)
    >>> bool(network_score(asia, data, "bic") > network_score(empty, data, "bic"))
    True
    """
    from pgm.learning.data import as_structure, prepare_data

    s = as_structure(structure)
    ds = prepare_data(s, data, memory_budget=memory_budget)
    cache = ScoreCache(ds, score, equivalent_sample_size=equivalent_sample_size)
    return cache.total(s.parents)
