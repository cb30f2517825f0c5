"""The PC-stable algorithm: a DAG's equivalence class (CPDAG) from conditional independences.

1. **Skeleton** (Colombo and Maathuis 2014, "order-independent PC").  Start from the
   complete graph; at level ``l = 0, 1, ...`` every still-adjacent pair ``x - y`` is
   tested given each subset of size ``l`` of ``adj(x) \\ {y}`` and of ``adj(y) \\ {x}``,
   the adjacency sets being *frozen at the start of the level* (the stable variant: the
   skeleton does not depend on the variable order).  The first subset found with
   ``p_value >= alpha`` removes the edge and is recorded as the pair's separating set.
   The levels stop when no pair has ``l`` other neighbours, or after ``max_cond_size``.
2. **V-structures.**  Each unshielded triple ``a - c - b`` (``a``, ``b`` not adjacent) is
   a collider ``a -> c <- b`` when ``c`` is not in the separating set of ``a`` and ``b``
   (``orientation="standard"``).  ``"conservative"`` (Ramsey, Zhang and Spirtes 2006)
   and ``"majority"`` (Colombo and Maathuis 2014) instead look at every subset of
   ``adj(a)`` and of ``adj(b)`` that separates ``a`` and ``b``: a collider when ``c`` is in
   none (conservative) / fewer than half (majority) of them, a non-collider when in all /
   more than half, otherwise *ambiguous*: left unoriented, and never used as a
   non-collider by the rules of step 3 (with no such subset the standard rule decides).
   Triples are visited in variable order and an edge already oriented the other way by
   an earlier collider is left as it is (conflicts arise only from test errors).
3. **Meek's rules** R1-R4 to closure (:func:`pgm.graphs.meek_rules`).

The result's CPDAG is a networkx DiGraph in which an undirected edge is a pair of
opposite arcs (:mod:`pgm.graphs`); with the d-separation oracle of a DAG
(:func:`~pgm.learning.independence_tests.d_separation_oracle`) it is exactly that
DAG's :func:`~pgm.graphs.cpdag`.

Examples
--------
>>> import networkx as nx
>>> from pgm.graphs import cpdag, shd
>>> from pgm.learning.independence_tests import d_separation_oracle
>>> dag = nx.DiGraph([("a", "c"), ("b", "c"), ("c", "d")])
>>> result = pc(None, test=d_separation_oracle(dag))
>>> shd(result.cpdag, cpdag(dag)), result.n_tests
(0, 17)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import networkx as nx

from pgm.exceptions import ArgumentTypeError, ModelError, ParameterError
from pgm.graphs import directed_edges, meek_rules, pdag_from_edges, pdag_to_dag, undirected_edges
from pgm.learning.independence_tests import METHODS, DataTest
from pgm.validation import check_choice, check_flag, check_float, check_nonnegative_int

__all__ = ["pc", "PCResult", "ORIENTATIONS"]

ORIENTATIONS = ("standard", "conservative", "majority")


@dataclass
class PCResult:
    """What :func:`pc` found.

    Attributes
    ----------
    cpdag : networkx.DiGraph
        The learned CPDAG (an undirected edge is a pair of opposite arcs).
    sepsets : dict
        ``{frozenset({x, y}): tuple}``: the separating set that removed each edge.
    p_values : dict
        ``{frozenset({x, y}): float}``: the p-value of that test.
    n_tests : int
        Independence tests run (skeleton and, for conservative/majority, orientation).
    seconds : float
        Time spent learning (the data are encoded before the clock starts).
    max_level : int
        The largest conditioning-set size tested.
    ambiguous_triples : set
        Unshielded triples ``(a, c, b)`` left unoriented by the conservative/majority rule.
    alpha : float
    test : str
        The test's name (``repr`` of a callable).
    """

    cpdag: nx.DiGraph
    sepsets: dict
    p_values: dict
    n_tests: int
    seconds: float
    max_level: int
    alpha: float
    test: str
    orientation: str = "standard"
    ambiguous_triples: set = field(default_factory=set)

    @property
    def directed_edges(self) -> set:
        """The edges ``a -> b`` oriented by the algorithm."""
        return directed_edges(self.cpdag)

    @property
    def undirected_edges(self) -> set:
        """The edges left undirected (each once)."""
        return undirected_edges(self.cpdag)

    def to_dag(self) -> nx.DiGraph:
        """A DAG in the learned class (:func:`pgm.graphs.pdag_to_dag`), e.g. to fit
        parameters on; :class:`~pgm.exceptions.ModelError` when the learned PDAG has no
        consistent extension."""
        return pdag_to_dag(self.cpdag)

    @property
    def dag(self) -> nx.DiGraph:
        """A DAG to fit parameters on: :meth:`to_dag` where the learned PDAG has a
        consistent extension (test errors can leave it without one); otherwise the
        undirected edges are oriented along a topological order of the directed ones
        (along the variable order if even those have a cycle)."""
        try:
            return self.to_dag()
        except ModelError:
            pass
        g = self.cpdag
        directed = nx.DiGraph(list(directed_edges(g)))
        directed.add_nodes_from(g.nodes)
        try:
            order = list(nx.topological_sort(directed))
        except nx.NetworkXUnfeasible:
            order, directed = list(g.nodes), nx.DiGraph()
            directed.add_nodes_from(g.nodes)
        rank = {v: i for i, v in enumerate(order)}
        out = nx.DiGraph()
        out.add_nodes_from(g.nodes(data=True))
        for u, v in g.edges:
            if directed.has_edge(u, v) or (not directed.has_edge(v, u) and rank[u] < rank[v]):
                out.add_edge(u, v)
        return out

    @property
    def stats(self) -> dict:
        """Run statistics (:meth:`summary`)."""
        return self.summary()

    def summary(self) -> dict:
        """Numbers for a report (JSON-ready)."""
        return {"edges": len(self.directed_edges) + len(self.undirected_edges),
                "directed": len(self.directed_edges), "undirected": len(self.undirected_edges),
                "n_tests": self.n_tests, "seconds": self.seconds, "max_level": self.max_level,
                "alpha": self.alpha, "test": self.test, "orientation": self.orientation}


def _resolve_test(data: Any, test: Any, variables: Sequence[Hashable] | None,
                  structure_states: Mapping | None, adjust_dof: bool) -> tuple[Callable, tuple, str]:
    if isinstance(test, str):
        if test not in METHODS:
            raise ParameterError(f"test must be one of {', '.join(map(repr, METHODS))} or a "
                                 f"callable test(x, y, z), got {test!r}")
        if data is None:
            raise ParameterError(f"test={test!r} needs data")
        t = DataTest(data, test, adjust_dof=adjust_dof, variables=variables,
                     states=structure_states)
        return t, tuple(t.variables), test
    if not callable(test):
        raise ArgumentTypeError("test must be 'chi_square', 'g_square' or a callable "
                                f"test(x, y, z) -> (statistic, p_value), got {type(test).__name__}")
    if data is not None:
        # a custom test that reads its own data: the variables come from the data's columns
        if variables is None:
            variables = getattr(test, "variables", None)
        if variables is None:
            if hasattr(data, "columns"):
                variables = list(data.columns)
            elif hasattr(data, "variables"):
                variables = list(data.variables)
            else:
                raise ParameterError("give variables= for a callable test on a code array")
    elif variables is None:
        variables = getattr(test, "variables", None)
        if variables is None:
            raise ParameterError("a callable test without data needs variables= (or a "
                                 "variables attribute on the test)")
    variables = tuple(variables)
    if len(set(variables)) != len(variables):
        raise ParameterError(f"variables has repeated names: {list(variables)!r}")
    return test, variables, repr(test)


def pc(data: Any = None, *, test: str | Callable = "chi_square", alpha: float = 0.05,
       max_cond_size: int | None = None, variables: Sequence[Hashable] | None = None,
       structure_states: Mapping[Hashable, Sequence[str]] | None = None,
       orientation: str = "standard", adjust_dof: bool = True,
       progress: bool = False) -> PCResult:
    """Learn a CPDAG by PC-stable.

    Parameters
    ----------
    data : DataFrame, ndarray of codes, path (.csv, .parquet), Dask DataFrame or Dataset
        The observations (read by :func:`pgm.learning.independence_tests.as_dataset`; the
        variables are the columns).  May be ``None`` with a callable ``test`` that knows
        its variables (such as the d-separation oracle).
    test : {"chi_square", "g_square"} or callable
        A data test by name, or any ``test(x, y, z) -> (statistic, p_value, ...)``
        (:mod:`pgm.learning.independence_tests` describes the interface).
    alpha : float
        Significance level in (0, 1): the edge ``x - y`` goes when a test's
        ``p_value >= alpha``.
    max_cond_size : int, optional
        Largest conditioning set tried (default: no limit).
    variables : sequence, optional
        The columns to learn over (a DataFrame's, default all), or the names of a code
        array's columns (default ``0, 1, ...``).
    structure_states : mapping, optional
        ``{variable: [state names]}`` where the data should not decide the states (e.g.
        a state never observed still counts as a degree of freedom).
    orientation : {"standard", "conservative", "majority"}
        The v-structure rule (see the module).
    adjust_dof : bool
        Degrees of freedom of the data tests adjusted for zero margins (default).
    progress : bool
        Show a progress bar of the tests (tqdm).

    Returns
    -------
    PCResult

    Raises
    ------
    ParameterError
        A bad ``alpha``, ``max_cond_size``, ``test`` or ``orientation``.
    UnknownVariableError
        A ``variables`` entry that is not a column of the data.

    Examples
    --------
    >>> import pgm.examples
    >>> from pgm.graphs import cpdag, shd
    >>> asia = pgm.examples.load("asia")
    >>> data = asia.simulate(20_000, seed=1).to_frame()
    >>> result = pc(data)
    >>> shd(result.cpdag, cpdag(asia.graph)) <= 5  # "either" is deterministic: unfaithful
    True
    """
    alpha = check_float("alpha", alpha, minimum=0, maximum=1, include_minimum=False,
                        include_maximum=False)
    if max_cond_size is not None:
        max_cond_size = check_nonnegative_int("max_cond_size", max_cond_size)
    orientation = check_choice("orientation", orientation, ORIENTATIONS)
    adjust_dof = check_flag("adjust_dof", adjust_dof)
    progress = check_flag("progress", progress)
    run, names, test_name = _resolve_test(data, test, variables, structure_states, adjust_dof)
    prefetch = getattr(run, "prefetch", None)

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(desc="PC", unit="test")
    start = time.perf_counter()
    n = len(names)
    adj = [set(range(n)) - {i} for i in range(n)]
    sepsets: dict = {}
    p_values: dict = {}
    n_tests = 0

    def p_of(i: int, j: int, s: tuple) -> float:
        nonlocal n_tests
        out = run(names[i], names[j], tuple(names[k] for k in s))
        n_tests += 1
        if bar is not None:
            bar.update()
        try:
            return float(out[1])
        except (TypeError, IndexError, ValueError):
            raise ArgumentTypeError("a test returns (statistic, p_value, ...), got "
                                    f"{out!r}") from None

    level = 0
    max_level = -1
    try:
        while max_cond_size is None or level <= max_cond_size:
            frozen = [sorted(a) for a in adj]   # PC-stable: a(X) fixed for the level
            pairs = []
            for i in range(n):
                for j in frozen[i]:
                    if j > i and (len(frozen[i]) - 1 >= level or len(frozen[j]) - 1 >= level):
                        pairs.append((i, j))
            if not pairs:
                break
            max_level = level
            if bar is not None:
                bar.set_postfix(level=level, edges=sum(map(len, adj)) // 2)
            if prefetch is not None:
                queries = [(names[i], names[j], tuple(names[k] for k in s))
                           for i, j in pairs for s in _subsets(frozen, i, j, level)]
                prefetch(queries)
            for i, j in pairs:
                for s in _subsets(frozen, i, j, level):
                    p = p_of(i, j, s)
                    if p >= alpha:
                        adj[i].discard(j)
                        adj[j].discard(i)
                        key = frozenset((names[i], names[j]))
                        sepsets[key] = tuple(names[k] for k in s)
                        p_values[key] = p
                        break
            level += 1

        # --- v-structures
        ambiguous: set = set()
        directed: set = set()
        separating: dict = {}   # (a, b) -> the separating subsets of adj(a), adj(b)
        for c in range(n):
            nb = sorted(adj[c])
            for ia, a in enumerate(nb):
                for b in nb[ia + 1:]:
                    if b in adj[a]:
                        continue
                    status = _triple_status(a, c, b, adj, orientation, alpha, p_of,
                                            sepsets, names, max_cond_size, separating)
                    if status == "collider":
                        for u in (a, b):
                            if (c, u) not in directed:
                                directed.add((u, c))
                    elif status == "ambiguous":
                        ambiguous.add((names[a], names[c], names[b]))
        undirected = [(i, j) for i in range(n) for j in adj[i]
                      if j > i and (i, j) not in directed and (j, i) not in directed]
        pdag = pdag_from_edges([(names[u], names[v]) for u, v in sorted(directed)],
                               [(names[u], names[v]) for u, v in undirected], nodes=names)
        result_graph = meek_rules(pdag, ambiguous_triples=ambiguous)
    finally:
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - start
    return PCResult(result_graph, sepsets, p_values, n_tests, seconds, max(max_level, 0),
                    alpha, test_name, orientation, ambiguous)


def _subsets(frozen: list, i: int, j: int, level: int):
    """The conditioning sets of size ``level`` for the pair ``i, j``: subsets of
    ``a(i) \\ {j}``, then the new ones of ``a(j) \\ {i}`` (each set tested once)."""
    side_i = [k for k in frozen[i] if k != j]
    seen = set()
    if len(side_i) >= level:
        for s in combinations(side_i, level):
            seen.add(s)
            yield s
    side_j = [k for k in frozen[j] if k != i]
    if len(side_j) >= level:
        for s in combinations(side_j, level):
            if s not in seen:   # sorted tuples: the same set is the same tuple
                yield s


def _triple_status(a: int, c: int, b: int, adj: list, orientation: str, alpha: float,
                   p_of: Callable, sepsets: dict, names: tuple,
                   max_cond_size: int | None, separating: dict) -> str:
    key = frozenset((names[a], names[b]))
    standard = "non-collider" if names[c] in sepsets.get(key, ()) else "collider"
    if orientation == "standard":
        return standard
    sets = separating.get((a, b))
    if sets is None:
        sets = separating[(a, b)] = []
        tried = set()
        for side in (sorted(adj[a] - {b}), sorted(adj[b] - {a})):
            top = len(side) if max_cond_size is None else min(len(side), max_cond_size)
            for size in range(top + 1):
                for s in combinations(side, size):
                    if s not in tried:
                        tried.add(s)
                        if p_of(a, b, s) >= alpha:
                            sets.append(frozenset(s))
    found = [c in s for s in sets]
    if not found:
        return standard
    share = sum(found) / len(found)
    if orientation == "conservative":
        if share == 0:
            return "collider"
        return "non-collider" if share == 1 else "ambiguous"
    if share < 0.5:
        return "collider"
    return "non-collider" if share > 0.5 else "ambiguous"
