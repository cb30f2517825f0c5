"""Conditional independence tests on data, and the interface constraint-based learning uses.

**The interface.**  A test is any callable ``test(x, y, z) -> (statistic, p_value, ...)``
taking two variable names and a tuple of conditioning names and returning a sequence
whose first two items are the statistic and the p-value of the hypothesis
"``x`` and ``y`` are independent given ``z``" (small p-values reject it).  The tests
here return a :class:`TestResult` ``(statistic, p_value, dof)``.  An object may also
offer ``prefetch(queries)`` (``[(x, y, z), ...]``): :func:`pgm.learning.pc` then hands it
each level's queries first, so a test on Dask data counts them all in one pass.

**Data tests.**  :func:`chi_square` (Pearson's X²) and :func:`g_square` (the likelihood
ratio G², ``2 N`` times the conditional mutual information) on the contingency table of
``(z, x, y)``: one :func:`~pgm.learning.counts.count_chunk` bincount per test (per
partition on Dask data); rows missing any of the test's variables are left out of it.
The degrees of freedom are by default *adjusted* for zero margins (as bnlearn's ``x2-adf``
/ ``mi-adf`` and pgmpy do): each stratum of ``z`` with data contributes
``(r - 1)(c - 1)`` for the ``r`` states of ``x`` and ``c`` of ``y`` seen in it; with
``adjust_dof=False`` they are ``(|x| - 1)(|y| - 1)|z|``.  With no degree of freedom left
the p-value is 1 (nothing contradicts independence).

**Oracle.**  :func:`d_separation_oracle` answers from a known DAG's d-separations
(p-value 1 when separated, 0 otherwise): with it, PC recovers the DAG's CPDAG exactly.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"a": [0, 0, 1, 1] * 25, "b": [0, 0, 1, 1] * 25, "c": [0, 1] * 50})
>>> round(chi_square(df, "a", "b").statistic, 6), chi_square(df, "a", "c").p_value
(100.0, 1.0)
>>> test = DataTest(df, "g_square")
>>> test("a", "c", ("b",)).dof
0
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import networkx as nx
import numpy as np

from pgm.exceptions import ArgumentTypeError, DataError, ParameterError, UnknownVariableError
from pgm.learning.counts import count_chunk, flat_index
from pgm.learning.data import Dataset, is_dask_frame, prepare_data, read_table
from pgm.validation import check_flag

__all__ = [
    "TestResult",
    "DataTest",
    "DSeparationOracle",
    "chi_square",
    "g_square",
    "d_separation_oracle",
    "ci_statistic",
    "as_dataset",
    "METHODS",
]

#: the data tests by name
METHODS = ("chi_square", "g_square")

#: above this many cells (and more than 4 per row) the conditioning strata are
#: renumbered to the ones seen before counting
_DENSE_CELLS = 1 << 21


class TestResult(NamedTuple):
    """A test's statistic, p-value and degrees of freedom."""

    __test__ = False  # not a pytest test class

    statistic: float
    p_value: float
    dof: int


# ------------------------------------------------------------------ the data
def as_dataset(data: Any, variables: Sequence[Hashable] | None = None,
               states: Mapping[Hashable, Sequence[str]] | None = None) -> Dataset:
    """``data`` encoded as a :class:`~pgm.learning.data.Dataset` over its own columns.

    ``variables`` picks (and orders) the columns of a DataFrame, CSV/Parquet file or
    Dask DataFrame, or names the columns of a NumPy code array (default ``0, 1, ...``);
    ``states`` gives a variable's state names (otherwise taken from the data).  A
    Dataset is returned as it is.

    Examples
    --------
    >>> ds = as_dataset(np.array([[0, 1], [1, 2]]), variables=["u", "v"])
    >>> ds.variables, ds.states["v"]
    (('u', 'v'), ['0', '1', '2'])
    """
    if isinstance(data, Dataset):
        return data
    if isinstance(data, (str, os.PathLike)):
        data = read_table(data)
    if isinstance(data, (list, tuple)):
        data = np.asarray(data)
    if isinstance(data, np.ndarray):
        if data.ndim != 2:
            raise DataError(f"a code array has shape (rows, variables), got shape {data.shape}")
        columns: list = list(range(data.shape[1]))
        if variables is None:
            variables = columns
        variables = list(variables)
        if len(variables) != data.shape[1]:
            raise DataError(f"variables names {len(variables)} columns, the code array has "
                            f"{data.shape[1]}")
    elif is_dask_frame(data) or hasattr(data, "columns"):
        columns = list(data.columns)
        if variables is None:
            variables = columns
        variables = list(variables)
        for v in variables:
            if v not in columns:
                raise UnknownVariableError(f"variable {v!r} is not a column of the data (columns: "
                                           f"{', '.join(map(str, columns[:20]))})")
    else:
        raise ArgumentTypeError("data is a pandas or Dask DataFrame, a NumPy array of state "
                                f"codes or a .csv/.parquet path, got {type(data).__name__}")
    if len(set(variables)) != len(variables):
        raise DataError(f"variables has repeated names: {variables!r}")
    g = nx.DiGraph()
    g.add_nodes_from(variables)
    for v, names in (states or {}).items():
        if v not in g:
            raise UnknownVariableError(f"states are given for {v!r}, which is not a variable of "
                                       "the data")
        g.nodes[v]["states"] = list(names)
    if isinstance(data, np.ndarray) or is_dask_frame(data):
        return prepare_data(g, data, allow_missing=True)
    return prepare_data(g, data[variables] if list(data.columns) != variables else data,
                        allow_missing=True)


# ------------------------------------------------------------------ statistics
def ci_statistic(counts: np.ndarray, method: str = "chi_square", *,
                 adjust_dof: bool = True) -> TestResult:
    """The test of a ``(strata, |x|, |y|)`` contingency table (counts summed over strata).

    Examples
    --------
    >>> t = ci_statistic(np.array([[[10, 20], [30, 40]]]), "chi_square")
    >>> round(t.statistic, 4), t.dof, round(t.p_value, 4)
    (0.7937, 1, 0.373)
    """
    from scipy.special import chdtrc  # the chi-square survival function, as a ufunc

    if method not in METHODS:
        raise ParameterError(f"method must be one of {', '.join(map(repr, METHODS))}, "
                             f"got {method!r}")
    o = np.asarray(counts, dtype=np.float64)
    if o.ndim == 2:
        o = o[None]
    if o.ndim != 3:
        raise DataError(f"a contingency table has shape (strata, |x|, |y|), got {o.shape}")
    strata, rx, ry = o.shape
    nxz = o.sum(axis=2)
    nyz = o.sum(axis=1)
    nz = nxz.sum(axis=1)
    seen = nz > 0
    if not np.all(seen):
        o, nxz, nyz, nz = o[seen], nxz[seen], nyz[seen], nz[seen]
    expected = nxz[:, :, None] * nyz[:, None, :] / nz[:, None, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "chi_square":
            positive = expected > 0
            d = o[positive] - expected[positive]
            statistic = float(np.dot(d, d / expected[positive]))
        else:
            positive = o > 0
            op = o[positive]
            statistic = 2.0 * float(np.dot(op, np.log(op / expected[positive])))
    if adjust_dof:
        r = np.count_nonzero(nxz, axis=1)
        c = np.count_nonzero(nyz, axis=1)
        dof = int(np.sum(np.maximum(r - 1, 0) * np.maximum(c - 1, 0)))
    else:
        dof = (rx - 1) * (ry - 1) * strata
    statistic = max(statistic, 0.0)
    p = float(chdtrc(dof, statistic)) if dof > 0 else 1.0
    return TestResult(statistic, p, dof)


def _count_sparse(codes: np.ndarray, zc: Sequence[int], x: int, y: int,
                  cards: np.ndarray) -> np.ndarray:
    """The ``(seen strata, |x|, |y|)`` table when the dense one would be too big: the
    conditioning strata are renumbered to those in the data, then one bincount."""
    idx_z, ok = flat_index(codes, zc, cards)
    for c in (x, y):
        col = codes[:, c]
        if col.size and col.min() < 0:
            ok = (col >= 0) if ok is None else ok & (col >= 0)
    rows = codes if ok is None else codes[ok]
    idx_z = idx_z if ok is None else idx_z[ok]
    _, stratum = np.unique(idx_z, return_inverse=True)
    k = int(stratum.max()) + 1 if stratum.size else 1
    derived = np.column_stack([stratum, rows[:, x], rows[:, y]]).astype(np.int32)
    dcards = np.array([k, cards[x], cards[y]], dtype=np.int64)
    return count_chunk(derived, [(0, 1, 2)], dcards)[0].reshape(k, int(cards[x]), int(cards[y]))


class DataTest:
    """A chi-square or G² conditional independence test on one data set.

    Parameters
    ----------
    data : DataFrame, ndarray of codes, path, Dask DataFrame or Dataset
        Read by :func:`as_dataset` (``variables`` and ``states`` as there).
    method : {"chi_square", "g_square"}
    adjust_dof : bool
        Degrees of freedom adjusted for zero margins (default) or the full
        ``(|x| - 1)(|y| - 1)|z|``.

    Attributes
    ----------
    dataset : Dataset
    n_tests : int
        Tests answered (cached repeats not counted).

    Examples
    --------
    >>> import pandas as pd
    >>> test = DataTest(pd.DataFrame({"a": [0, 1] * 50, "b": [0, 1] * 50}))
    >>> test("a", "b").p_value < 1e-10
    True
    """

    def __init__(self, data: Any, method: str = "chi_square", *, adjust_dof: bool = True,
                 variables: Sequence[Hashable] | None = None,
                 states: Mapping[Hashable, Sequence[str]] | None = None) -> None:
        if method not in METHODS:
            raise ParameterError(f"test must be one of {', '.join(map(repr, METHODS))}, "
                                 f"got {method!r}")
        self.method = method
        self.adjust_dof = check_flag("adjust_dof", adjust_dof)
        self.dataset = as_dataset(data, variables, states)
        self.variables = self.dataset.variables
        self._col = {v: j for j, v in enumerate(self.variables)}
        self._cards = self.dataset.cardinalities
        self._cache: dict = {}
        self.n_tests = 0

    def __repr__(self) -> str:
        return f"DataTest({self.method!r}, {len(self.variables)} variables)"

    def _columns(self, x: Hashable, y: Hashable, z: Iterable[Hashable]) -> tuple[int, int, tuple]:
        cols = []
        for v in (x, y, *z):
            try:
                cols.append(self._col[v])
            except (KeyError, TypeError):
                raise UnknownVariableError(f"variable {v!r} is not in the data") from None
        if len(set(cols)) != len(cols):
            raise ParameterError(f"a test's variables must be distinct, got x={x!r}, y={y!r}, "
                                 f"z={tuple(z)!r}")
        return cols[0], cols[1], tuple(cols[2:])

    def _key(self, x: int, y: int, zc: tuple) -> tuple:
        return (min(x, y), max(x, y), frozenset(zc))

    def _table(self, codes: np.ndarray, x: int, y: int, zc: tuple) -> np.ndarray:
        cards = self._cards
        cells = int(np.prod([int(cards[c]) for c in (*zc, x, y)], dtype=np.int64))
        if zc and cells > _DENSE_CELLS and cells > 4 * codes.shape[0]:
            return _count_sparse(codes, zc, x, y, cards)
        flat = count_chunk(codes, [(*zc, x, y)], cards)[0]
        return flat.reshape(-1, int(cards[x]), int(cards[y]))

    def __call__(self, x: Hashable, y: Hashable, z: Iterable[Hashable] = ()) -> TestResult:
        z = tuple(z) if not isinstance(z, str) and isinstance(z, Iterable) else (z,)
        xc, yc, zc = self._columns(x, y, z)
        key = self._key(xc, yc, zc)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        ds = self.dataset
        if ds.is_distributed:
            cards = self._cards
            flat = ds.map_reduce(count_chunk, [(*zc, xc, yc)], cards)[0]
            table = flat.reshape(-1, int(cards[xc]), int(cards[yc]))
        else:
            table = self._table(ds.codes, xc, yc, zc)
        result = ci_statistic(table, self.method, adjust_dof=self.adjust_dof)
        self.n_tests += 1
        if ds.is_distributed:
            self._cache[key] = result
        return result

    def prefetch(self, queries: Iterable[tuple[Hashable, Hashable, Sequence[Hashable]]]) -> None:
        """Count many tests' tables in one pass over distributed data (a no-op in memory)."""
        ds = self.dataset
        if not ds.is_distributed:
            return
        todo, keys = [], []
        for x, y, z in queries:
            xc, yc, zc = self._columns(x, y, tuple(z))
            key = self._key(xc, yc, zc)
            if key not in self._cache and key not in keys:
                keys.append(key)
                todo.append((*zc, xc, yc))
        if not todo:
            return
        cards = self._cards
        tables = ds.map_reduce(count_chunk, todo, cards)
        for key, cols, flat in zip(keys, todo, tables):
            table = flat.reshape(-1, int(cards[cols[-2]]), int(cards[cols[-1]]))
            self._cache[key] = ci_statistic(table, self.method, adjust_dof=self.adjust_dof)


def chi_square(data: Any, x: Hashable, y: Hashable, z: Iterable[Hashable] = (), *,
               adjust_dof: bool = True) -> TestResult:
    """Pearson's chi-square test of ``x`` independent of ``y`` given ``z`` on ``data``.

    For many tests on the same data build one :class:`DataTest` (the data are encoded
    once).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [0, 1, 0, 1], "b": [0, 1, 1, 0]})
    >>> chi_square(df, "a", "b")
    TestResult(statistic=0.0, p_value=1.0, dof=1)
    """
    return DataTest(data, "chi_square", adjust_dof=adjust_dof)(x, y, z)


def g_square(data: Any, x: Hashable, y: Hashable, z: Iterable[Hashable] = (), *,
             adjust_dof: bool = True) -> TestResult:
    """The G² (log-likelihood ratio) test of ``x`` independent of ``y`` given ``z``:
    ``2 N`` times the empirical conditional mutual information (in nats).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [0, 1] * 10, "b": [0, 1] * 10})
    >>> bool(abs(g_square(df, "a", "b").statistic - 2 * 20 * np.log(2)) < 1e-9)
    True
    """
    return DataTest(data, "g_square", adjust_dof=adjust_dof)(x, y, z)


# ------------------------------------------------------------------ the oracle
class DSeparationOracle:
    """An independence "test" answering from a DAG's d-separations (for testing learners).

    Returns ``TestResult(0.0, 1.0, 0)`` when ``x`` and ``y`` are d-separated by ``z`` and
    ``TestResult(1.0, 0.0, 0)`` otherwise.

    Attributes
    ----------
    variables : tuple
        The DAG's nodes.
    n_tests : int
    """

    def __init__(self, dag: Any) -> None:
        from pgm.bayesian_network import BayesianNetwork

        if isinstance(dag, BayesianNetwork):
            self._separated = dag.d_separated
            self.variables = tuple(dag.nodes)
        elif isinstance(dag, nx.DiGraph):
            if not nx.is_directed_acyclic_graph(dag):
                raise ParameterError("the oracle's graph must be a DAG; it has a directed cycle")
            from pgm.independence import d_separated

            self._separated = lambda xs, ys, zs: d_separated(dag, xs, ys, zs)
            self.variables = tuple(dag.nodes)
        else:
            raise ArgumentTypeError("d_separation_oracle takes a networkx DiGraph or a "
                                    f"BayesianNetwork, got {type(dag).__name__}")
        self.n_tests = 0

    def __repr__(self) -> str:
        return f"DSeparationOracle({len(self.variables)} variables)"

    def __call__(self, x: Hashable, y: Hashable, z: Iterable[Hashable] = ()) -> TestResult:
        self.n_tests += 1
        if self._separated({x}, {y}, set(z)):
            return TestResult(0.0, 1.0, 0)
        return TestResult(1.0, 0.0, 0)


def d_separation_oracle(dag: Any) -> DSeparationOracle:
    """A test that answers from ``dag``'s d-separations (a DiGraph or BayesianNetwork).

    Examples
    --------
    >>> oracle = d_separation_oracle(nx.DiGraph([("a", "b"), ("b", "c")]))
    >>> oracle("a", "c", ()).p_value, oracle("a", "c", ("b",)).p_value
    (0.0, 1.0)
    """
    return DSeparationOracle(dag)
