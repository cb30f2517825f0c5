"""Structure search: greedy hill climbing over DAGs (with a tabu list and random
restarts), the Chow-Liu tree and the tree-augmented naive Bayes (TAN).

Hill climbing scores moves (add, remove or reverse one arc) by their *delta* from the
local-score cache of :mod:`pgm.learning.scores`: a move changes one or two families, so
only those are scored, and all the families a step needs are counted in one pass over
the data.  Acyclicity is checked on a reachability matrix recomputed once per step.
Every search returns a :class:`LearnedStructure` (the DAG, its score and run
statistics) whose :meth:`~LearnedStructure.fit` fits the CPDs with
:func:`pgm.learning.fit_parameters`.

Examples
--------
>>> import pgm.examples
>>> asia = pgm.examples.load("asia")
>>> data = asia.simulate(20_000, seed=0).to_frame()
>>> learned = hill_climb(data, score="bic")
>>> learned.dag.number_of_nodes(), learned.score > hill_climb(data, max_iterations=1).score
(8, True)
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from pgm.exceptions import CycleError, ParameterError
from pgm.learning.counts import count_chunk
from pgm.learning.data import prepare_data
from pgm.learning.scores import DEFAULT_ESS, ScoreCache
from pgm.validation import (
    DEFAULT_SEED,
    check_flag,
    check_float,
    check_nonnegative_int,
    check_positive_int,
    resolve_seed,
)

__all__ = ["LearnedStructure", "hill_climb", "chow_liu", "tree_augmented_naive_bayes",
           "empty_structure"]


@dataclass
class LearnedStructure:
    """A learned DAG and how it was found.

    Attributes
    ----------
    dag : networkx.DiGraph
        Nodes carry ``states`` (from the data), so :meth:`fit` needs nothing else.
    score : float or None
        The search's score of ``dag`` (None for the trees, which maximize mutual
        information instead).
    score_name : str
    method : str
    seconds : float
        Time spent searching (data encoding excluded).
    stats : dict
        Iterations, moves tried, families scored, data passes, restarts.
    """

    dag: nx.DiGraph
    score: float | None
    score_name: str
    method: str
    seconds: float
    stats: dict = field(default_factory=dict)

    @property
    def edges(self) -> list[tuple]:
        return list(self.dag.edges)

    def cpdag(self):
        """The equivalence class of :attr:`dag` (see :func:`pgm.graphs.cpdag`)."""
        from pgm.graphs import cpdag

        return cpdag(self.dag)

    def fit(self, data: Any, method: str = "mle", **options):
        """A BayesianNetwork with this structure and CPDs fitted to ``data``."""
        from pgm.learning.parameters import fit_parameters

        return fit_parameters(self.dag, data, method=method, **options).model


def empty_structure(data: Any) -> nx.DiGraph:
    """A DAG without arcs over the columns of ``data`` (a DataFrame, a Dask DataFrame or a
    CSV/Parquet path): the structure the searches start from."""
    import os

    from pgm.learning.data import read_table

    if isinstance(data, (str, os.PathLike)):
        data = read_table(data)
    if not hasattr(data, "columns"):
        raise ParameterError("structure search needs a DataFrame (or a CSV/Parquet file) whose "
                             "columns name the variables")
    g = nx.DiGraph()
    g.add_nodes_from(list(data.columns))
    return g


def _dataset(data: Any, memory_budget: int | None):
    import os

    from pgm.learning.data import read_table

    if isinstance(data, (str, os.PathLike)):
        data = read_table(data, memory_budget=memory_budget)
    ds = prepare_data(empty_structure(data), data, memory_budget=memory_budget)
    return data, ds


def _with_states(g: nx.DiGraph, ds) -> nx.DiGraph:
    out = nx.DiGraph()
    for v in ds.variables:
        out.add_node(v, states=list(ds.states[v]))
    out.add_edges_from(g.edges)
    return out


def _edge_set(edges: Iterable, known: set, what: str) -> set:
    out = set()
    for e in edges or ():
        if not isinstance(e, (tuple, list)) or len(e) != 2:
            raise ParameterError(f"{what} holds (parent, child) pairs, got {e!r}")
        u, v = e
        for x in (u, v):
            if x not in known:
                raise ParameterError(f"{what} names {x!r}, which is not a column of the data")
        out.add((u, v))
    return out


def _reach(variables: list, parents: dict) -> np.ndarray:
    """``R[i, j]``: j is reachable from i along arcs (i itself included)."""
    idx = {v: i for i, v in enumerate(variables)}
    n = len(variables)
    children = [[] for _ in range(n)]
    for v, ps in parents.items():
        for p in ps:
            children[idx[p]].append(idx[v])
    reach = np.zeros((n, n), dtype=bool)
    for i in range(n):
        stack = [i]
        while stack:
            a = stack.pop()
            if reach[i, a]:
                continue
            reach[i, a] = True
            stack.extend(children[a])
    return reach


def _moves(variables, parents, reach, idx, max_parents, black, white, tabu):
    """Legal moves ``(kind, u, v)``: add u->v, remove u->v, reverse u->v."""
    for v in variables:
        pv = parents[v]
        for u in variables:
            if u == v:
                continue
            if u in pv:
                if (u, v) not in white and ("remove", u, v) not in tabu:
                    yield ("remove", u, v)
                # reverse: no other path u -> ... -> v once the arc is gone
                if ((v, u) not in black and (u, v) not in white
                        and ("reverse", u, v) not in tabu
                        and (max_parents is None or len(parents[u]) < max_parents)):
                    others = [w for w in variables if u in parents[w] and w != v]
                    if not any(reach[idx[w], idx[v]] for w in others):
                        yield ("reverse", u, v)
            elif v not in parents[u]:
                if ((u, v) not in black and ("add", u, v) not in tabu
                        and (max_parents is None or len(pv) < max_parents)
                        and not reach[idx[v], idx[u]]):
                    yield ("add", u, v)


class _Deltas:
    """Score changes of toggling one parent of one child, kept until that child's parent
    set changes: a move's delta is one term (add, remove) or two (reverse), and a step
    changes one or two children, so most of the next step's deltas are already known."""

    def __init__(self, cache: ScoreCache, parents: dict) -> None:
        self.cache = cache
        self.parents = parents
        self.terms: dict[Hashable, dict[Hashable, float]] = {v: {} for v in parents}

    def needed(self, moves: list) -> list[tuple]:
        """The families the moves' unknown terms need (to count them in one pass)."""
        out = []
        for kind, u, v in moves:
            if u not in self.terms[v]:
                out.append((v, self.parents[v] ^ {u}))
            if kind == "reverse" and v not in self.terms[u]:
                out.append((u, self.parents[u] ^ {v}))
        return out

    def term(self, child: Hashable, parent: Hashable) -> float:
        known = self.terms[child]
        value = known.get(parent)
        if value is None:
            ps = self.parents[child]
            value = self.cache.local(child, ps ^ {parent}) - self.cache.local(child, ps)
            known[parent] = value
        return value

    def delta(self, kind: str, u: Hashable, v: Hashable) -> float:
        d = self.term(v, u)
        return d + self.term(u, v) if kind == "reverse" else d

    def changed(self, *children: Hashable) -> None:
        for c in children:
            self.terms[c] = {}


def _apply(kind, u, v, parents) -> None:
    if kind == "add":
        parents[v] = parents[v] | {u}
    elif kind == "remove":
        parents[v] = parents[v] - {u}
    else:
        parents[v] = parents[v] - {u}
        parents[u] = parents[u] | {v}


def _inverse(kind, u, v) -> tuple:
    return {"add": ("remove", u, v), "remove": ("add", u, v), "reverse": ("reverse", v, u)}[kind]


def hill_climb(data: Any, *, score: str = "bic", equivalent_sample_size: float = DEFAULT_ESS,
               start: Any = None, max_parents: int | None = None,
               black_list: Iterable[tuple] = (), white_list: Iterable[tuple] = (),
               tabu_length: int = 10, max_iterations: int | None = None,
               max_seconds: float | None = None, restarts: int = 0, perturbation: int = 5,
               seed: Any = DEFAULT_SEED, progress: bool = False,
               memory_budget: int | None = None) -> LearnedStructure:
    """Greedy hill climbing over DAGs with add / remove / reverse moves.

    Parameters
    ----------
    data : DataFrame, Dask DataFrame or CSV/Parquet path
        Complete data, a column per variable.
    score : {"bic", "aic", "loglik", "bdeu", "k2", "bds"}
    equivalent_sample_size : float
        For BDeu and BDs.
    start : DAG, BayesianNetwork or edges, optional
        The starting structure (default: no arcs); white-listed arcs are added to it.
    max_parents : int, optional
        Largest in-degree.
    black_list, white_list : iterables of (parent, child)
        Arcs never added / always kept.
    tabu_length : int
        Recent moves that may not be undone; when no move improves the score, up to this
        many non-improving moves are tried in a row before stopping (the best DAG seen is
        returned). 0: plain hill climbing.
    max_iterations, max_seconds : optional
        Limits on moves and time (then ``stats["stopped"]`` says which).
    restarts, perturbation : int
        Random restarts from the best DAG with ``perturbation`` random legal moves.
    seed : int
        Seeds the restarts.
    progress : bool
        A tqdm progress bar over iterations.

    Returns
    -------
    LearnedStructure
    """
    tabu_length = check_nonnegative_int("tabu_length", tabu_length)
    restarts = check_nonnegative_int("restarts", restarts)
    perturbation = check_positive_int("perturbation", perturbation)
    progress = check_flag("progress", progress)
    if max_parents is not None:
        max_parents = check_nonnegative_int("max_parents", max_parents)
    if max_iterations is not None:
        max_iterations = check_nonnegative_int("max_iterations", max_iterations)
    if max_seconds is not None:
        max_seconds = check_float("max_seconds", max_seconds, minimum=0.0, include_minimum=False)
    rng = np.random.default_rng(resolve_seed(seed))
    data, ds = _dataset(data, memory_budget)
    t0 = time.perf_counter()
    variables = list(ds.variables)
    known = set(variables)
    idx = {v: i for i, v in enumerate(variables)}
    black = _edge_set(black_list, known, "black_list")
    white = _edge_set(white_list, known, "white_list")
    if black & white:
        raise ParameterError(f"arcs both black- and white-listed: {sorted(black & white)[:5]}")
    parents = {v: frozenset() for v in variables}
    if start is not None:
        from pgm.learning.data import as_structure

        s = as_structure(start)
        for v in s.variables:
            if v not in known:
                raise ParameterError(f"the start structure names {v!r}, not a column of the data")
            parents[v] = frozenset(s.parents[v])
    for u, v in white:
        parents[v] = parents[v] | {u}
    if not nx.is_directed_acyclic_graph(nx.DiGraph([(p, v) for v in variables for p in parents[v]])):
        raise CycleError("the start structure plus the white list has a directed cycle")
    for (u, v) in black:
        if u in parents[v]:
            raise ParameterError(f"the start structure has the black-listed arc {u} -> {v}")
    cache = ScoreCache(ds, score, equivalent_sample_size=equivalent_sample_size)
    stats = {"iterations": 0, "moves_scored": 0, "restarts": restarts, "stopped": "converged"}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(desc="hill climbing", unit="move")

    def climb(parents: dict) -> tuple[dict, float]:
        current = cache.total(parents)
        best_parents, best = dict(parents), current
        tabu: list = []
        stale = 0
        deltas_of = _Deltas(cache, parents)
        while True:
            if max_iterations is not None and stats["iterations"] >= max_iterations:
                stats["stopped"] = "max_iterations"
                break
            if max_seconds is not None and time.perf_counter() - t0 > max_seconds:
                stats["stopped"] = "max_seconds"
                break
            reach = _reach(variables, parents)
            moves = list(_moves(variables, parents, reach, idx, max_parents, black, white,
                                set(tabu)))
            cache.prefetch(deltas_of.needed(moves))
            stats["moves_scored"] += len(moves)
            if not moves:
                break
            deltas = [deltas_of.delta(*m) for m in moves]
            k = int(np.argmax(deltas))
            if deltas[k] <= 1e-9 * max(1.0, abs(current)):
                # no improving move: plain hill climbing stops; tabu search takes the best
                # non-improving one, at most tabu_length times in a row without a new best
                if stale >= tabu_length:
                    break
                stale += 1
            kind, u, v = moves[k]
            _apply(kind, u, v, parents)
            deltas_of.changed(*((v, u) if kind == "reverse" else (v,)))
            current += deltas[k]
            stats["iterations"] += 1
            if bar is not None:
                bar.update(1)
                bar.set_postfix(score=f"{current:.6g}")
            if tabu_length:
                tabu.append(_inverse(kind, u, v))
                del tabu[:-tabu_length]
            if current > best + 1e-9 * max(1.0, abs(best)):
                best, best_parents = current, dict(parents)
                stale = 0
        return best_parents, best

    try:
        best_parents, best = climb(parents)
        for _ in range(restarts):
            trial = dict(best_parents)
            for _ in range(perturbation):
                reach = _reach(variables, trial)
                moves = list(_moves(variables, trial, reach, idx, max_parents, black, white, set()))
                if not moves:
                    break
                _apply(*moves[int(rng.integers(len(moves)))], trial)
            got, value = climb(trial)
            if value > best + 1e-9 * max(1.0, abs(best)):
                best_parents, best = got, value
    finally:
        if bar is not None:
            bar.close()
    g = nx.DiGraph()
    g.add_nodes_from(variables)
    g.add_edges_from((p, v) for v in variables for p in sorted(best_parents[v], key=idx.get))
    stats.update(families_scored=cache.n_families, data_passes=cache.n_passes, rows=ds.n_rows)
    return LearnedStructure(_with_states(g, ds), float(cache.total(best_parents)), score,
                            "hill-climb", time.perf_counter() - t0, stats)


# ------------------------------------------------------------------ trees
def _entropy_terms(table: np.ndarray) -> float:
    p = table[table > 0] / table.sum()
    return float(-np.sum(p * np.log(p)))


def _mutual_information(ds, pairs: list[tuple[int, ...]]) -> list[float]:
    """``I(X; Y)`` (or ``I(X; Y | C)`` for triples ``(x, y, c)``) from one counting pass."""
    cards = ds.cardinalities
    flat = ds.map_reduce(count_chunk, pairs, cards)
    out = []
    for cols, c in zip(pairs, flat):
        t = c.reshape([int(cards[j]) for j in cols]).astype(np.float64)
        if len(cols) == 2:
            hx, hy, hxy = (_entropy_terms(t.sum(axis=1)), _entropy_terms(t.sum(axis=0)),
                           _entropy_terms(t))
            out.append(hx + hy - hxy)
        else:  # I(X;Y|C) = H(X,C) + H(Y,C) - H(X,Y,C) - H(C)
            out.append(_entropy_terms(t.sum(axis=1)) + _entropy_terms(t.sum(axis=0))
                       - _entropy_terms(t) - _entropy_terms(t.sum(axis=(0, 1))))
    return out


def _orient_tree(tree: nx.Graph, root: Hashable) -> list[tuple]:
    return list(nx.bfs_edges(tree, root))


def chow_liu(data: Any, *, root: Hashable | None = None,
             memory_budget: int | None = None) -> LearnedStructure:
    """The Chow-Liu tree: the maximum-weight spanning tree of pairwise mutual
    informations (networkx), its arcs directed away from ``root`` (default: the first
    column).  All pairs are counted in one pass over the data.

    Examples
    --------
    >>> import pgm.examples
    >>> data = pgm.examples.load("asia").simulate(5000, seed=1).to_frame()
    >>> chow_liu(data).dag.number_of_edges()
    7
    """
    data, ds = _dataset(data, memory_budget)
    t0 = time.perf_counter()
    variables = list(ds.variables)
    if root is None:
        root = variables[0]
    elif root not in variables:
        raise ParameterError(f"root {root!r} is not a column of the data")
    pairs = [(i, j) for i in range(len(variables)) for j in range(i + 1, len(variables))]
    weights = _mutual_information(ds, pairs)
    g = nx.Graph()
    g.add_nodes_from(variables)
    g.add_weighted_edges_from((variables[i], variables[j], w) for (i, j), w in zip(pairs, weights))
    tree = nx.maximum_spanning_tree(g)
    dag = nx.DiGraph()
    dag.add_nodes_from(variables)
    for comp in nx.connected_components(tree):
        r = root if root in comp else next(v for v in variables if v in comp)
        dag.add_edges_from(_orient_tree(tree.subgraph(comp), r))
    return LearnedStructure(_with_states(dag, ds), None, "mutual information", "chow-liu",
                            time.perf_counter() - t0, {"pairs": len(pairs), "rows": ds.n_rows})


def tree_augmented_naive_bayes(data: Any, class_variable: Hashable, *, root: Hashable | None = None,
                               memory_budget: int | None = None) -> LearnedStructure:
    """TAN (Friedman, Geiger & Goldszmidt 1997): the class is a parent of every feature,
    and the features form the maximum spanning tree of ``I(Xi; Xj | class)``.

    Examples
    --------
    >>> import pgm.examples
    >>> data = pgm.examples.load("asia").simulate(5000, seed=1).to_frame()
    >>> tan = tree_augmented_naive_bayes(data, "either")
    >>> sorted(tan.dag.successors("either"))[:3], tan.dag.in_degree("either")
    (['asia', 'bronc', 'dysp'], 0)
    """
    data, ds = _dataset(data, memory_budget)
    t0 = time.perf_counter()
    variables = list(ds.variables)
    if class_variable not in variables:
        raise ParameterError(f"class variable {class_variable!r} is not a column of the data")
    features = [v for v in variables if v != class_variable]
    col = {v: j for j, v in enumerate(variables)}
    c = col[class_variable]
    triples = [(col[a], col[b], c) for i, a in enumerate(features) for b in features[i + 1:]]
    weights = _mutual_information(ds, triples)
    g = nx.Graph()
    g.add_nodes_from(features)
    g.add_weighted_edges_from((variables[i], variables[j], w) for (i, j, _), w in zip(triples, weights))
    tree = nx.maximum_spanning_tree(g)
    root = features[0] if root is None else root
    if root not in features:
        raise ParameterError(f"root {root!r} is not a feature column")
    dag = nx.DiGraph()
    dag.add_nodes_from(variables)
    for comp in nx.connected_components(tree):
        r = root if root in comp else next(v for v in features if v in comp)
        dag.add_edges_from(_orient_tree(tree.subgraph(comp), r))
    dag.add_edges_from((class_variable, f) for f in features)
    return LearnedStructure(_with_states(dag, ds), None, "conditional mutual information", "tan",
                            time.perf_counter() - t0, {"pairs": len(triples), "rows": ds.n_rows})
