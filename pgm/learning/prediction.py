"""A fitted network on data: the data log-likelihood and batch prediction.

* :func:`log_likelihood`: ``sum_rows log P(observed values of the row)``.  Complete rows
  are a sum of gathered log CPD entries (vectorized per CPD); rows with missing values
  have them summed out by exact inference on the junction tree of
  :mod:`pgm.inference.junction_tree` (imported inside the functions), each distinct
  row once.  A Dask DataFrame is summed per partition.
* :func:`predict_proba`: the posterior marginal of each predicted variable given each
  row's observed values, as a DataFrame with a ``(variable, state)`` column index.
  Rows are grouped by their observed values, so each distinct evidence is inferred once,
  and all of them go through the tree in a few batched propagations (not one query per
  row, which is what makes row-by-row prediction slow elsewhere).
* :func:`predict`: the most probable state of each predicted variable under its
  posterior marginal (per variable, not the joint MAP assignment).

The variables predicted are, unless named, the model's variables that have no column in
the data; a named variable's column, if present, is ignored (it is what is predicted).

Examples
--------
>>> import pandas as pd, pgm.examples
>>> asia = pgm.examples.load("asia")
>>> rows = pd.DataFrame({"smoke": ["yes", "no"], "xray": ["yes", "no"]})
>>> p = predict_proba(asia, rows, ["lung"])
>>> p["lung"].columns.tolist(), p.shape
(['yes', 'no'], (2, 2))
>>> predict(asia, rows, ["lung"])["lung"].tolist()
['yes', 'no']
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np

from pgm.exceptions import DataError, EvidenceError, ModelError, ParameterError
from pgm.learning.counts import flat_index, unique_rows
from pgm.learning.data import as_structure, prepare_data
from pgm.validation import check_flag

__all__ = ["log_likelihood", "predict_proba", "predict"]


def _check_model(model: Any):
    from pgm.bayesian_network import BayesianNetwork

    if not isinstance(model, BayesianNetwork):
        raise ModelError(f"a fitted BayesianNetwork is needed, got {type(model).__name__}")
    model.validate()
    return model


def _row_log_likelihood(codes: np.ndarray, tables: list, families: list, cards: np.ndarray,
                        tree: Any) -> np.ndarray:
    """Per-row log-likelihood of one chunk: gathered log entries for complete rows, the
    tree's log evidence for the distinct incomplete ones."""
    out = np.zeros(codes.shape[0])
    complete = np.all(codes >= 0, axis=1)
    full = codes[complete]
    with np.errstate(divide="ignore"):
        for t, cols in zip(tables, families):
            idx, _ = flat_index(full, cols, cards)
            out[complete] += np.log(t.ravel()[idx])
    if not np.all(complete):
        uniq, _, inverse = unique_rows(codes[~complete], cards)
        out[~complete] = tree.log_evidence_batch(uniq)[inverse]
    return out


def _chunk_total(codes, tables, families, cards, tree) -> float:
    return float(np.sum(_row_log_likelihood(codes, tables, families, cards, tree)))


def log_likelihood(model: Any, data: Any, *, per_row: bool = False,
                   memory_budget: int | None = None) -> float | np.ndarray:
    """Natural-log likelihood of ``data`` under ``model``: the total, or per row.

    Missing values (and variables without a column) are summed out.  A row the model
    gives probability zero contributes ``-inf``.  ``per_row`` is not offered for a Dask
    DataFrame (the rows would have to come to one machine): the total is.

    Examples
    --------
    >>> import pgm.examples
    >>> asia = pgm.examples.load("asia")
    >>> data = asia.simulate(100, seed=0).to_frame()
    >>> ll = log_likelihood(asia, data, per_row=True)
    >>> ll.shape, bool(abs(ll.sum() - log_likelihood(asia, data)) < 1e-9)
    ((100,), True)
    """
    from pgm.inference.junction_tree import JunctionTree

    per_row = check_flag("per_row", per_row)
    model = _check_model(model)
    s = as_structure(model)
    ds = prepare_data(s, data, allow_missing=True, memory_budget=memory_budget)
    if per_row and ds.is_distributed:
        raise ParameterError("per_row=True is not available for Dask data; ask for the total")
    cards = ds.cardinalities
    col = {v: j for j, v in enumerate(ds.variables)}
    families = [tuple(col[u] for u in fam) for fam in s.families()]
    tables = [np.asarray(model.get_cpd(v).values, dtype=np.float64) for v in s.variables]
    needs_tree = not all(ds.observed.values()) or (
        ds.codes is not None and bool(np.any(ds.codes < 0))) or ds.is_distributed
    tree = JunctionTree(model, memory_budget=memory_budget) if needs_tree else None
    if per_row:
        return _row_log_likelihood(ds.codes, tables, families, cards, tree)
    return float(ds.map_reduce(_chunk_total, tables, families, cards, tree))


def _targets(model: Any, ds, variables: Iterable[Hashable] | Hashable | None) -> list:
    from pgm.evidence import resolve_variable

    if variables is None:
        chosen = [v for v in ds.variables if not ds.observed[v]]
        if not chosen:
            raise DataError("every variable of the model has a column in the data: name the "
                            "variables to predict")
        return chosen
    if isinstance(variables, (str, bytes)) or not isinstance(variables, Iterable):
        variables = [variables]
    chosen = [resolve_variable(model, v) for v in variables]
    if not chosen:
        raise ParameterError("no variables to predict")
    return list(dict.fromkeys(chosen))


def predict_proba(model: Any, data: Any, variables: Iterable[Hashable] | Hashable | None = None, *,
                  memory_budget: int | None = None):
    """Posterior marginals of ``variables`` for every row of ``data``.

    Returns a pandas DataFrame indexed like ``data`` whose columns are a
    ``(variable, state)`` MultiIndex (so ``result["X"]`` is X's table of probabilities,
    each row summing to one).  A row whose observed values have probability zero raises
    :class:`~pgm.exceptions.EvidenceError` naming it.  Dask data is not supported yet.

    Examples
    --------
    >>> import pandas as pd, pgm.examples
    >>> asia = pgm.examples.load("asia")
    >>> p = predict_proba(asia, pd.DataFrame({"either": ["yes"]}), ["tub", "lung"])
    >>> [round(float(x), 4) for x in p.iloc[0]]
    [0.1604, 0.8396, 0.8484, 0.1516]
    """
    import pandas as pd

    from pgm.inference.junction_tree import JunctionTree

    model = _check_model(model)
    s = as_structure(model)
    ds = prepare_data(s, data, allow_missing=True, memory_budget=memory_budget)
    if ds.is_distributed:
        raise ParameterError("predict_proba on Dask data is not available yet; compute the "
                             "rows to pandas (or map_partitions over predict_proba)")
    targets = _targets(model, ds, variables)
    codes = ds.codes.copy()
    col = {v: j for j, v in enumerate(ds.variables)}
    for v in targets:
        codes[:, col[v]] = -1
    uniq, _, inverse = unique_rows(codes, ds.cardinalities)
    tree = JunctionTree(model, memory_budget=memory_budget)
    log_ev, marg = tree.marginals_batch(uniq, targets)
    impossible = np.flatnonzero(~np.isfinite(log_ev) | (log_ev == -np.inf))
    if impossible.size:
        row = int(np.flatnonzero(inverse == impossible[0])[0])
        raise EvidenceError(f"row {ds.index[row] if ds.index is not None else row} of the data "
                            "has probability zero under the model: its observed values cannot "
                            "be conditioned on")
    blocks, keys = [], []
    for v in targets:
        blocks.append(marg[v][inverse])
        keys += [(v, st) for st in ds.states[v]]
    columns = pd.MultiIndex.from_tuples(keys, names=["variable", "state"])
    return pd.DataFrame(np.hstack(blocks), index=ds.index, columns=columns)


def predict(model: Any, data: Any, variables: Iterable[Hashable] | Hashable | None = None, *,
            memory_budget: int | None = None):
    """The most probable state of each of ``variables`` (by its posterior marginal) for
    every row: a DataFrame of categorical columns named by the variables.

    Examples
    --------
    >>> import pandas as pd, pgm.examples
    >>> asia = pgm.examples.load("asia")
    >>> predict(asia, pd.DataFrame({"xray": ["yes", "no"]}), "either")["either"].tolist()
    ['yes', 'no']
    """
    import pandas as pd

    proba = predict_proba(model, data, variables, memory_budget=memory_budget)
    out = {}
    for v in dict.fromkeys(proba.columns.get_level_values(0)):
        table = proba[v]
        states = list(table.columns)
        out[v] = pd.Categorical.from_codes(np.argmax(table.to_numpy(), axis=1), categories=states)
    return pd.DataFrame(out, index=proba.index)
