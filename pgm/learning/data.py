"""Data to learn from, encoded once: a table of observations as integer state codes.

Every learning function (parameter fitting, EM, the data log-likelihood, batch
prediction) reads its data through :func:`prepare_data`, which accepts

* a **pandas DataFrame** whose columns are named by the structure's variables
  (categorical, string, integer or boolean columns; missing values are ``NaN`` /
  ``None`` / ``pd.NA``);
* a **NumPy array of state codes**, shape ``(rows, variables)`` with the columns in the
  structure's variable order (``-1`` or ``NaN`` marks a missing value);
* a **path** to a ``.csv`` (also ``.csv.gz``) or ``.parquet`` file (in a CSV only an
  empty cell is missing, so a state named ``NA`` stays a state);
* a **Dask DataFrame** (``pip install "pgm[dask]"``): each partition is encoded on its
  worker, kept there (``persist``), and every statistic is computed per partition and
  summed (:meth:`Dataset.map_reduce`), so the data never has to fit on one machine.

State names are matched to the structure's (a value matches a state when its text is
the state's name: the integer ``1`` and the text ``"1"`` both match state ``"1"``); where
the structure has no states (a DAG, or a network without CPDs) they are taken from the
data: a categorical column's categories in order, otherwise the distinct values sorted
(numerically when they are all integers).  A structure variable without a column is
**latent** (every value missing).  Bad data raises :class:`~pgm.exceptions.DataError`
naming the column, the value and the first row where it occurs.

Examples
--------
>>> import pandas as pd
>>> import pgm
>>> bn = pgm.BayesianNetwork([("rain", "wet")])
>>> ds = prepare_data(bn, pd.DataFrame({"rain": ["no", "yes", "no"],
...                                     "wet": ["dry", "wet", None]}), allow_missing=True)
>>> ds.codes.tolist(), ds.states["wet"]
([[0, 0], [1, 1], [0, -1]], ['dry', 'wet'])
"""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from pgm._config import check_allocation
from pgm.exceptions import (
    ArgumentTypeError,
    CycleError,
    DataError,
    ModelError,
)

__all__ = [
    "Structure",
    "as_structure",
    "Dataset",
    "prepare_data",
    "read_table",
    "is_dask_frame",
    "sum_results",
    "CODE_DTYPE",
]

CODE_DTYPE = np.int32
MISSING = -1


# ------------------------------------------------------------------ structure
@dataclass(frozen=True)
class Structure:
    """The DAG to fit: variables (in order), each one's parents, and the states known so far.

    ``states[v]`` is ``None`` when the structure does not know ``v``'s states (they then
    come from the data).  ``cpds`` holds the CPDs the structure came with (EM may start
    from them).
    """

    variables: tuple
    parents: dict
    states: dict
    name: str | None = None
    cpds: dict = field(default_factory=dict)

    def families(self) -> list[tuple]:
        """``(*parents, child)`` per variable, in variable order (the CPD axis order)."""
        return [(*self.parents[v], v) for v in self.variables]


def as_structure(structure: Any) -> Structure:
    """A :class:`Structure` from a BayesianNetwork (CPDs optional), a networkx DiGraph
    or a sequence of ``(parent, child)`` edges; raises
    :class:`~pgm.exceptions.CycleError` for a directed cycle.

    A network's CPDs give the parents' order and the states; a DiGraph node attribute
    ``states`` (a list of names) gives states too.

    Examples
    --------
    >>> s = as_structure([("a", "b"), ("a", "c")])
    >>> s.variables, s.parents["b"], s.states["a"]
    (('a', 'b', 'c'), ('a',), None)
    """
    from pgm.bayesian_network import BayesianNetwork

    if isinstance(structure, Structure):
        return structure
    if isinstance(structure, BayesianNetwork):
        structure.topological_order()  # CycleError names the cycle
        parents, states, cpds = {}, {}, {}
        for v in structure.nodes:
            graph_parents = structure.parents(v)
            cpd = structure.cpds.get(v)
            if cpd is not None and set(cpd.parents) == set(graph_parents):
                parents[v] = tuple(cpd.parents)
                states[v] = [str(s) for s in structure.state_names(v)]
                cpds[v] = cpd
            else:
                parents[v] = tuple(graph_parents)
                states[v] = None
        for v in structure.nodes:  # a parent's names given only in a child's CPD
            if states[v] is None:
                for c in structure.children(v):
                    cpd = cpds.get(c)
                    if cpd is not None and v in cpd.state_names:
                        states[v] = list(cpd.state_names[v])
                        break
        return Structure(tuple(structure.nodes), parents, states, structure.name, cpds)
    if isinstance(structure, nx.Graph):
        if not isinstance(structure, nx.DiGraph):
            raise ArgumentTypeError("a structure is a directed graph (networkx.DiGraph), "
                                    f"got {type(structure).__name__}")
        graph = structure
    elif isinstance(structure, (str, bytes, os.PathLike)) or not isinstance(structure, Iterable):
        raise ArgumentTypeError("a structure is a BayesianNetwork, a networkx.DiGraph or a "
                                f"sequence of (parent, child) edges, got {type(structure).__name__}")
    else:
        graph = nx.DiGraph()
        for e in structure:
            if isinstance(e, (str, bytes)) or not isinstance(e, Sequence) or len(e) != 2:
                raise ModelError(f"an edge is a pair (parent, child), got {e!r}")
            graph.add_edge(e[0], e[1])
    if not nx.is_directed_acyclic_graph(graph):
        cycle = nx.find_cycle(graph)
        path = " -> ".join(str(u) for u, _ in cycle) + f" -> {cycle[0][0]}"
        raise CycleError(f"the graph has a directed cycle: {path}")
    states = {}
    for v, data in graph.nodes(data=True):
        given = data.get("states")
        states[v] = None if given is None else [str(s) for s in given]
    parents = {v: tuple(graph.predecessors(v)) for v in graph.nodes}
    return Structure(tuple(graph.nodes), parents, states, graph.graph.get("name"))


# ------------------------------------------------------------------ reading
def is_dask_frame(data: Any) -> bool:
    """Whether ``data`` is a Dask DataFrame (checked without importing Dask)."""
    return type(data).__module__.split(".")[0] in ("dask", "dask_expr") and hasattr(
        data, "npartitions") and hasattr(data, "columns")


def read_table(path: str | os.PathLike, *, memory_budget: int | None = None):
    """A ``.csv`` / ``.csv.gz`` / ``.parquet`` file as a pandas DataFrame of text cells.

    In a CSV every cell is read as text and only an empty cell is missing.  Raises
    :class:`~pgm.exceptions.DataError` for a missing, unreadable or unknown file.
    """
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise DataError(f"data file {str(p)!r} does not exist")
    name = p.name.lower()
    size = p.stat().st_size
    # text cells in pandas take several times the file's bytes
    check_allocation(8 * size, f"reading the data file {p.name}", memory_budget=memory_budget)
    try:
        if name.endswith(".parquet") or name.endswith(".pq"):
            try:
                return pd.read_parquet(p)
            except ImportError as exc:
                raise DataError(f"reading Parquet needs pyarrow ({exc})") from None
        if name.endswith(".csv") or name.endswith(".csv.gz") or name.endswith(".txt"):
            return pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""])
    except DataError:
        raise
    except Exception as exc:  # pandas' many parser errors: one clear one
        raise DataError(f"cannot read the data file {p.name}: {type(exc).__name__}: {exc}") from None
    raise DataError(f"unknown data file type {p.name!r}: use .csv, .csv.gz or .parquet")


def _text(value: Any) -> str:
    """A cell's text as matched against state names (``1.0`` from a NaN-widened int is ``"1"``)."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _sorted_states(values: Iterable[Any]) -> list[str]:
    texts = sorted({_text(v) for v in values})
    try:
        return sorted(texts, key=lambda t: int(t))
    except ValueError:
        return texts


def _states_of_column(column: Any) -> list[str]:
    import pandas as pd

    if isinstance(column.dtype, pd.CategoricalDtype):
        return [_text(c) for c in column.cat.categories]
    return _sorted_states(column.dropna().unique())


# ------------------------------------------------------------------ encoding
@dataclass(frozen=True)
class EncodingSpec:
    """What a worker needs to encode one chunk: per structure variable, the data
    column holding it (``None``: latent) and its states."""

    variables: tuple
    columns: tuple
    states: dict
    allow_missing: bool


def _column_map(variables: Sequence[Hashable], columns: Sequence[Any]) -> dict:
    by_text = {}
    for c in columns:
        by_text.setdefault(str(c), c)
    out = {}
    for v in variables:
        if v in columns:
            out[v] = v
        elif str(v) in by_text:
            out[v] = by_text[str(v)]
        else:
            out[v] = None
    return out


def encode_frame(frame: Any, spec: EncodingSpec) -> np.ndarray:
    """One pandas chunk as an ``int32`` code array (``-1`` missing), per ``spec``; errors
    name a row by its index label (its position for a default index)."""
    import pandas as pd

    n = len(frame)
    codes = np.full((n, len(spec.variables)), MISSING, dtype=CODE_DTYPE, order="F")
    for j, (v, c) in enumerate(zip(spec.variables, spec.columns)):
        if c is None:
            continue
        column = frame[c]
        states = spec.states[v]
        if isinstance(column.dtype, pd.CategoricalDtype):
            raw = column.cat.codes.to_numpy()
            uniques = list(column.cat.categories)
        else:
            raw, uniques = pd.factorize(column, use_na_sentinel=True)
        lookup = {s: i for i, s in enumerate(states)}
        table = np.empty(len(uniques) + 1, dtype=CODE_DTYPE)
        table[-1] = MISSING
        for i, u in enumerate(uniques):
            k = lookup.get(_text(u))
            if k is None:
                present = np.flatnonzero(np.asarray(raw) == i)
                if present.size == 0:  # an unused category: harmless
                    table[i] = MISSING
                    continue
                raise DataError(
                    f"column {str(c)!r} has the value {_text(u)!r} (first at row "
                    f"{_label(frame, int(present[0]))}), which is not a state of {v!r}; its states "
                    f"are {', '.join(states)}")
            table[i] = k
        col = table[np.asarray(raw, dtype=np.int64)]  # -1 indexes the MISSING slot
        if not spec.allow_missing:
            gaps = np.flatnonzero(col < 0)
            if gaps.size:
                raise DataError(
                    f"column {str(c)!r} has {gaps.size} missing value(s) (first at row "
                    f"{_label(frame, int(gaps[0]))}); fit with method='em', or drop those rows")
        codes[:, j] = col
    return codes


def _label(frame: Any, position: int) -> Any:
    try:
        return frame.index[position]
    except Exception:  # pragma: no cover - an index pandas cannot give back
        return position


@dataclass
class Dataset:
    """Encoded data: in memory (``codes``) or as lazy Dask chunks (``parts``).

    Dask chunks are encoded where their partition lives, each time a statistic is
    computed, and dropped after: a one-pass count never holds more than one partition
    per worker (EM persists only what it reuses: per-partition counts of the complete
    rows and the distinct incomplete rows).

    Attributes
    ----------
    variables : tuple
        Columns of ``codes``: the structure's variables, in its order.
    states : dict
        ``{variable: [state names]}``.
    observed : dict
        ``{variable: True}`` for a variable with a data column (False: latent).
    codes : ndarray of int32 or None
        ``(rows, variables)`` state indices, ``-1`` missing (None for Dask data).
    parts : list or None
        Dask delayed chunks of codes (None for in-memory data).
    n_rows : int or None
        Rows (for Dask data: None until the first :meth:`map_reduce` has counted them).
    index : pandas Index or None
        The input frame's index (predictions keep it).
    """

    variables: tuple
    states: dict
    observed: dict
    codes: np.ndarray | None
    parts: list | None
    n_rows: int | None
    index: Any = None

    @property
    def cardinalities(self) -> np.ndarray:
        return np.array([len(self.states[v]) for v in self.variables], dtype=np.int64)

    @property
    def is_distributed(self) -> bool:
        return self.parts is not None

    def map_reduce(self, fn: Callable, *args: Any) -> Any:
        """``fn(codes_chunk, *args)`` on every chunk, results summed (numbers, arrays,
        and tuples or lists of them, element by element).  Dask chunks run where they
        live; integer counts stay exact."""
        if self.parts is None:
            return fn(self.codes, *args)
        import dask

        tasks = [dask.delayed(_with_length)(fn, part, *args) for part in self.parts]
        results = dask.compute(*tasks)
        rows = sum(r[0] for r in results)
        if rows == 0:
            raise DataError("the data has no rows")
        self.n_rows = int(rows)
        return sum_results([r[1] for r in results])


def _with_length(fn: Callable, chunk: np.ndarray, *args: Any) -> tuple[int, Any]:
    return int(chunk.shape[0]), fn(chunk, *args)


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, (tuple, list)):
        return type(a)(_add(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return {k: _add(a[k], b[k]) for k in a}
    return a + b


def sum_results(results: Sequence[Any]) -> Any:
    """Per-chunk results summed element by element (numbers, arrays, and tuples, lists or
    dicts of them), as :meth:`Dataset.map_reduce` returns them.

    Examples
    --------
    >>> sum_results([(1, [np.array([1, 2])]), (2, [np.array([3, 4])])])
    (3, [array([4, 6])])
    """
    total = results[0]
    for r in results[1:]:
        total = _add(total, r)
    return total


def _check_codes_array(arr: np.ndarray, variables: Sequence[Hashable], states: dict,
                       allow_missing: bool) -> np.ndarray:
    if arr.ndim != 2 or arr.shape[1] != len(variables):
        raise DataError(f"a code array has one column per variable ({len(variables)}: "
                        f"{', '.join(map(str, variables))}), got shape {arr.shape}")
    if arr.dtype.kind == "f":
        missing = np.isnan(arr)
        if np.any(~missing & (arr != np.round(arr))):
            r, c = np.argwhere(~missing & (arr != np.round(arr)))[0]
            raise DataError(f"column {variables[c]!r} has the non-integer code {arr[r, c]!r} "
                            f"at row {r}")
        arr = np.where(missing, MISSING, arr)
    elif arr.dtype.kind not in "iu":
        raise DataError(f"a code array holds integer state indices, got dtype {arr.dtype}")
    cards = np.array([len(states[v]) for v in variables], dtype=np.int64)
    low, high = arr.min(axis=0), arr.max(axis=0)      # one pass per column, no copy
    for j, v in enumerate(variables):
        if low[j] < MISSING or high[j] >= cards[j] or (not allow_missing and low[j] < 0):
            col = arr[:, j]
            bad = (col < MISSING) | (col >= cards[j])
            if np.any(bad):
                r = int(np.flatnonzero(bad)[0])
                raise DataError(f"column {j} ({v!r}) has the code {int(col[r])} at row {r}; "
                                f"{v!r} has states 0..{cards[j] - 1}")
            r = int(np.flatnonzero(col < 0)[0])
            raise DataError(f"column {j} ({v!r}) has a missing value at row {r}; fit with "
                            "method='em', or drop those rows")
    return np.asfortranarray(arr, dtype=CODE_DTYPE)


def prepare_data(structure: Any, data: Any, *, allow_missing: bool = False,
                 latent: Mapping[Hashable, int | Sequence[str]] | None = None,
                 memory_budget: int | None = None) -> Dataset:
    """Encode ``data`` against ``structure``: a :class:`Dataset` of state codes.

    Parameters
    ----------
    structure : BayesianNetwork, networkx.DiGraph, sequence of edges or Structure
    data : DataFrame, ndarray of codes, path (.csv, .parquet) or Dask DataFrame
    allow_missing : bool
        Whether missing values (and latent variables) are allowed; without it a missing
        value or a variable with no column raises :class:`~pgm.exceptions.DataError`.
    latent : mapping, optional
        ``{variable: number of states or [state names]}`` for variables with no column
        whose states the structure does not give.

    Examples
    --------
    >>> import numpy as np
    >>> ds = prepare_data([("a", "b")], np.array([[0, 1], [1, 1]]))
    >>> ds.states, ds.n_rows
    ({'a': ['0', '1'], 'b': ['0', '1']}, 2)
    """
    import pandas as pd

    s = as_structure(structure)
    variables = s.variables
    states = {v: (None if s.states[v] is None else list(s.states[v])) for v in variables}
    for v, given in (latent or {}).items():
        if v not in states:
            raise DataError(f"latent variable {v!r} is not in the structure")
        names = ([str(i) for i in range(int(given))] if isinstance(given, (int, np.integer))
                 else [str(x) for x in given])
        if not names:
            raise DataError(f"latent variable {v!r} needs at least one state")
        if states[v] is not None and len(states[v]) != len(names):
            raise DataError(f"latent variable {v!r} has {len(states[v])} states in the structure, "
                            f"but latent= gives {len(names)}")
        states[v] = names
    if isinstance(data, (str, os.PathLike)):
        data = read_table(data, memory_budget=memory_budget)
    if isinstance(data, np.ndarray) or (isinstance(data, list) and not isinstance(data, str)):
        arr = np.asarray(data)
        if arr.ndim == 2 and arr.shape[0] == 0:
            raise DataError("the data has no rows")
        for j, v in enumerate(variables):  # states from the codes where none are known
            if states[v] is None and arr.ndim == 2 and arr.shape[1] == len(variables):
                col = arr[:, j]
                col = col[~np.isnan(col)] if col.dtype.kind == "f" else col
                top = int(col.max()) if col.size else 0
                states[v] = [str(i) for i in range(max(top, 0) + 1)]
        codes = _check_codes_array(arr, variables, states, allow_missing)
        return Dataset(variables, states, {v: True for v in variables}, codes, None, len(codes))
    dask_data = is_dask_frame(data)
    if not dask_data and not isinstance(data, pd.DataFrame):
        raise ArgumentTypeError("data is a pandas or Dask DataFrame, a NumPy array of state "
                                f"codes or a .csv/.parquet path, got {type(data).__name__}")
    columns = _column_map(variables, list(data.columns))
    absent = [v for v in variables if columns[v] is None]
    if absent and not allow_missing:
        raise DataError(f"the data has no column for {', '.join(map(repr, absent))} (columns: "
                        f"{', '.join(map(str, list(data.columns)[:20]))}); fit latent variables "
                        "with method='em'")
    for v in absent:
        if states[v] is None:
            raise DataError(f"variable {v!r} has no data column and the structure does not give "
                            f"its states: pass latent={{{v!r}: number of states}}")
    unknown = [v for v in variables if states[v] is None]
    if unknown:
        if dask_data:
            import dask

            found = dask.compute(*[data[columns[v]].dropna().unique() for v in unknown])
            for v, vals in zip(unknown, found):
                col = data[columns[v]]
                if isinstance(col.dtype, pd.CategoricalDtype) and col.cat.known:
                    states[v] = [_text(c) for c in col.cat.categories]
                else:
                    states[v] = _sorted_states(pd.Series(vals).tolist())
        else:
            for v in unknown:
                states[v] = _states_of_column(data[columns[v]])
        for v in unknown:
            if not states[v]:
                raise DataError(f"column {str(columns[v])!r} has no values: the states of {v!r} "
                                "cannot be learned from it")
    spec = EncodingSpec(variables, tuple(columns[v] for v in variables), states, allow_missing)
    observed = {v: columns[v] is not None for v in variables}
    if dask_data:
        import dask

        parts = [dask.delayed(encode_frame)(p, spec) for p in data.to_delayed()]
        return Dataset(variables, states, observed, None, parts, None)
    if len(data) == 0:
        raise DataError("the data has no rows")
    check_allocation(len(data) * len(variables) * np.dtype(CODE_DTYPE).itemsize,
                     f"the codes of {len(data)} data rows", memory_budget=memory_budget)
    codes = encode_frame(data, spec)
    return Dataset(variables, states, observed, codes, None, len(codes), data.index)
