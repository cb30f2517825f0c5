"""Hypothesis strategies for property-based tests of graphical models.

Like :mod:`hypothesis.extra.numpy`, this module offers strategies that generate
random but valid objects: DAGs, Bayesian networks with normalized CPDs, factor
graphs with strictly positive tables (loopy ones included), full assignments,
evidence and disjoint variable sets for independence queries.  Structure is drawn
from Hypothesis primitives (so it shrinks); table entries come from a NumPy
generator seeded by a drawn integer (fast, reproducible).

Requires Hypothesis (``pip install pgm[dev]``).

Examples
--------
>>> from hypothesis import given
>>> from pgm.testing import bayesian_networks
>>> @given(bayesian_networks(max_nodes=4))
... def test_normalized(bn):
...     assert bn.check_normalization().ok
>>> test_normalized()
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

try:
    from hypothesis import strategies as st
    from hypothesis.strategies import SearchStrategy
except ImportError as exc:  # pragma: no cover - exercised only without hypothesis
    raise ImportError(
        "pgm.testing needs the 'hypothesis' package; install it with: pip install pgm[dev]"
    ) from exc

import networkx as nx
import numpy as np

from pgm.bayesian_network import BayesianNetwork
from pgm.cpd import TabularCPD
from pgm.exceptions import ArgumentTypeError, ParameterError
from pgm.factor import Factor, is_sequence
from pgm.factor_graph import FactorGraph
from pgm.validation import check_flag, check_float, check_nonnegative_int

__all__ = [
    "dags",
    "bayesian_networks",
    "factor_graphs",
    "assignments",
    "evidence",
    "disjoint_variable_sets",
    "data_codes",
    "model_variables",
]

_SEEDS = st.integers(min_value=0, max_value=2**32 - 1)


def _check_range(name: str, lo: int, hi: int, minimum: int) -> None:
    """Validate ``min_<name>`` and ``max_<name>``: integers, ``minimum <= lo <= hi``
    (:class:`~pgm.exceptions.ParameterError`, a :class:`ValueError`)."""
    lo = check_nonnegative_int(f"min_{name}", lo)
    hi = check_nonnegative_int(f"max_{name}", hi)
    if lo < minimum:
        raise ParameterError(f"min_{name}={lo} must be >= {minimum}")
    if hi < lo:
        raise ParameterError(f"max_{name}={hi} must be >= min_{name}={lo}")


def model_variables(model: BayesianNetwork | FactorGraph | nx.Graph) -> list[Hashable]:
    """The variables of a Bayesian network, factor graph or networkx graph, in model order.

    Examples
    --------
    >>> model_variables(nx.DiGraph([("a", "b")]))
    ['a', 'b']
    """
    if isinstance(model, BayesianNetwork):
        return list(model.nodes)
    if isinstance(model, FactorGraph):
        return list(model.variables)
    if isinstance(model, nx.Graph):
        return list(model.nodes)
    raise ArgumentTypeError(f"expected a BayesianNetwork, FactorGraph or networkx graph, "
                         f"got {type(model).__name__}")


def _cardinalities(model: BayesianNetwork | FactorGraph) -> dict[Hashable, int]:
    if isinstance(model, (BayesianNetwork, FactorGraph)):
        return {v: int(c) for v, c in model.cardinalities.items()}
    raise ArgumentTypeError(f"expected a BayesianNetwork or FactorGraph, got {type(model).__name__}")


# ---------------------------------------------------------------------- DAGs
def dags(*, min_nodes: int = 1, max_nodes: int = 8, max_parents: int = 3,
         node_names: Sequence[Hashable] | None = None) -> SearchStrategy[nx.DiGraph]:
    """Random directed acyclic graphs.

    Nodes are added in name order (``"x0", "x1", ...`` by default); edges follow a
    random topological order, so any DAG with at most ``max_parents`` parents per
    node can come out (edges may point from a later name to an earlier one).

    Parameters
    ----------
    min_nodes, max_nodes : int
        Range of the number of nodes.
    max_parents : int
        Largest in-degree.
    node_names : sequence of hashable, optional
        Names to use (the first ``n``); needs at least ``max_nodes`` distinct names.

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(dags(max_nodes=5))
    ... def test_acyclic(g):
    ...     assert nx.is_directed_acyclic_graph(g)
    >>> test_acyclic()
    """
    _check_range("nodes", min_nodes, max_nodes, 0)
    max_parents = check_nonnegative_int("max_parents", max_parents)
    if node_names is not None:
        if not is_sequence(node_names, strings=True):
            raise ParameterError(f"node_names must be a sequence of names, got {node_names!r}")
        node_names = list(node_names)
        try:
            distinct = len(set(node_names)) == len(node_names) and None not in node_names
        except TypeError:
            raise ParameterError("node_names must be hashable") from None
        if len(node_names) < max_nodes or not distinct:
            raise ParameterError(f"node_names needs at least {max_nodes} distinct names "
                                 "(not None)")

    @st.composite
    def _dag(draw) -> nx.DiGraph:
        n = draw(st.integers(min_nodes, max_nodes))
        names = node_names[:n] if node_names is not None else [f"x{i}" for i in range(n)]
        g = nx.DiGraph()
        g.add_nodes_from(names)
        if n <= 1:
            return g
        order = draw(st.permutations(names))
        for i, child in enumerate(order):
            if i == 0 or max_parents == 0:
                continue
            parents = draw(st.lists(st.sampled_from(order[:i]), unique=True,
                                    max_size=min(max_parents, i)))
            g.add_edges_from((p, child) for p in parents)
        return g

    return _dag()


# ---------------------------------------------------------- Bayesian networks
def _random_table(rng: np.random.Generator, shape: tuple[int, ...], min_probability: float,
                  zeros: bool) -> np.ndarray:
    """Rows (last axis) on the simplex, each entry >= min_probability."""
    k = shape[-1]
    w = rng.exponential(size=shape)
    if zeros:
        # knock out some entries, keeping at least one positive entry per row
        mask = rng.random(shape) < 0.25
        keep = rng.integers(0, k, size=shape[:-1])
        np.put_along_axis(mask, keep[..., None], False, axis=-1)
        w[mask] = 0.0
    p = w / w.sum(axis=-1, keepdims=True)
    if min_probability > 0:
        p = min_probability + (1.0 - k * min_probability) * p
    # one more pass so every row sums to 1 within a couple of ulps
    return p / p.sum(axis=-1, keepdims=True)


def bayesian_networks(*, min_nodes: int = 1, max_nodes: int = 6, max_parents: int = 3,
                      min_cardinality: int = 2, max_cardinality: int = 3,
                      min_probability: float = 0.0) -> SearchStrategy[BayesianNetwork]:
    """Random Bayesian networks with normalized CPDs.

    The structure comes from :func:`dags`; each conditional is a random point of
    the simplex (rows sum to one within ~1e-15).  With ``min_probability == 0``
    some networks hold exact zeros (each conditional keeps a positive entry);
    with ``min_probability > 0`` every entry is at least that.  Some networks
    carry state names (``"<var>_s0", ...``).

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(bayesian_networks(max_nodes=4, min_probability=0.05))
    ... def test_valid(bn):
    ...     bn.validate()
    >>> test_valid()
    """
    _check_range("nodes", min_nodes, max_nodes, 0)
    max_parents = check_nonnegative_int("max_parents", max_parents)
    _check_range("cardinality", min_cardinality, max_cardinality, 1)
    min_probability = check_float("min_probability", min_probability, minimum=0)
    if min_probability * max_cardinality > 1.0:
        raise ParameterError(
            f"min_probability={min_probability} must be in [0, 1/max_cardinality]"
        )

    @st.composite
    def _bn(draw) -> BayesianNetwork:
        g = draw(dags(min_nodes=min_nodes, max_nodes=max_nodes, max_parents=max_parents))
        card = {v: draw(st.integers(min_cardinality, max_cardinality)) for v in g.nodes}
        seed = draw(_SEEDS)
        zeros = min_probability == 0.0 and draw(st.booleans())
        named = draw(st.booleans())
        rng = np.random.default_rng(seed)
        bn = BayesianNetwork()
        bn.graph.add_nodes_from(g.nodes)
        bn.add_edges_from(g.edges)
        for v in g.nodes:
            parents = list(g.predecessors(v))
            shape = (*(card[p] for p in parents), card[v])
            values = _random_table(rng, shape, min_probability, zeros)
            names = {v: [f"{v}_s{i}" for i in range(card[v])]} if named else None
            bn.add_cpd(TabularCPD(v, values, parents=parents, state_names=names))
        return bn

    return _bn()


# --------------------------------------------------------------- factor graphs
def factor_graphs(*, min_variables: int = 1, max_variables: int = 6, min_cardinality: int = 2,
                  max_cardinality: int = 3, max_factor_size: int = 3, max_factors: int | None = None,
                  log_range: tuple[float, float] = (-3.0, 3.0),
                  distinct_scopes: bool = False) -> SearchStrategy[FactorGraph]:
    """Random factor graphs with strictly positive tables.

    Variables are ``"v0", "v1", ...``; factors have random scopes of 1 to
    ``max_factor_size`` variables (so loops are common), and any variable left out
    gets a unary factor, so every variable is in at least one factor.  Entries are
    ``exp(u)`` with ``u`` uniform in ``log_range``.

    Parameters
    ----------
    max_factors : int, optional
        Most random factors (before the unary ones); default ``2 * n_variables``.
    distinct_scopes : bool
        No two factors over the same set of variables (with ``max_cardinality=2`` and
        ``max_factor_size=2``: the pairwise binary models loopy BP's fast kernel takes).

    Examples
    --------
    >>> from hypothesis import given
    >>> @given(factor_graphs(max_variables=4))
    ... def test_positive(fg):
    ...     assert fg.partition_function() > 0
    >>> test_positive()
    """
    _check_range("variables", min_variables, max_variables, 1)
    _check_range("cardinality", min_cardinality, max_cardinality, 1)
    if check_nonnegative_int("max_factor_size", max_factor_size) < 1:
        raise ParameterError(f"max_factor_size={max_factor_size} must be >= 1")
    if max_factors is not None:
        check_nonnegative_int("max_factors", max_factors)
    if not is_sequence(log_range) \
            or len(log_range := tuple(log_range)) != 2:
        raise ParameterError(f"log_range={log_range!r} must be two finite numbers, low first")
    lo = check_float("log_range[0]", log_range[0])
    hi = check_float("log_range[1]", log_range[1])
    if not lo <= hi:
        raise ParameterError(f"log_range={log_range} must be two finite numbers, low first")
    if max(abs(lo), abs(hi)) > 700:
        raise ParameterError(f"log_range={log_range} must lie within [-700, 700] (exp() of it "
                             "must be a finite, non-zero float)")

    @st.composite
    def _fg(draw) -> FactorGraph:
        n = draw(st.integers(min_variables, max_variables))
        names = [f"v{i}" for i in range(n)]
        card = {v: draw(st.integers(min_cardinality, max_cardinality)) for v in names}
        most = 2 * n if max_factors is None else max_factors
        scopes = draw(st.lists(
            st.lists(st.sampled_from(names), min_size=1, max_size=min(max_factor_size, n),
                     unique=True),
            max_size=most))
        if distinct_scopes:
            seen: set = set()
            scopes = [s for s in scopes if not (frozenset(s) in seen or seen.add(frozenset(s)))]
        covered = {v for s in scopes for v in s}
        scopes += [[v] for v in names if v not in covered]
        rng = np.random.default_rng(draw(_SEEDS))
        fg = FactorGraph(cardinalities=card)
        for scope in scopes:
            shape = [card[v] for v in scope]
            fg.add_factor(Factor(scope, shape, np.exp(rng.uniform(lo, hi, size=shape))))
        return fg

    return _fg()


# ------------------------------------------------------ assignments & evidence
def data_codes(model: BayesianNetwork | FactorGraph, *, min_rows: int = 1, max_rows: int = 40,
               missing: bool = False) -> SearchStrategy[np.ndarray]:
    """Data tables of state codes for ``model``: ``int32`` arrays ``(rows, variables)``,
    columns in the model's variable order, each entry a uniformly drawn state; with
    ``missing`` some entries are ``-1`` (a missing value), up to whole columns.

    Examples
    --------
    >>> fg = FactorGraph([Factor(["a", "b"], [2, 3], np.ones(6))])
    >>> x = data_codes(fg, min_rows=5, max_rows=5).example()
    >>> x.shape, bool(x[:, 1].max() <= 2)
    ((5, 2), True)
    """
    _check_range("rows", min_rows, max_rows, 1)
    missing = check_flag("missing", missing)
    card = list(_cardinalities(model).values())

    @st.composite
    def _codes(draw) -> np.ndarray:
        n = draw(st.integers(min_rows, max_rows))
        rng = np.random.default_rng(draw(_SEEDS))
        x = np.column_stack([rng.integers(0, c, size=n) for c in card]).astype(np.int32)
        x = x.reshape(n, len(card))
        if missing:
            rate = draw(st.sampled_from([0.0, 0.1, 0.3, 1.0]))
            x[rng.random(x.shape) < rate] = -1
        return x

    return _codes()


def assignments(model: BayesianNetwork | FactorGraph) -> SearchStrategy[dict]:
    """Full assignments ``{variable: state index}`` of ``model``.

    Examples
    --------
    >>> fg = FactorGraph([Factor(["a"], [3], [1.0, 1.0, 1.0])])
    >>> assignments(fg).example()["a"] in (0, 1, 2)
    True
    """
    card = _cardinalities(model)
    return st.fixed_dictionaries({v: st.integers(0, c - 1) for v, c in card.items()})


def evidence(model: BayesianNetwork | FactorGraph, *, max_size: int | None = None
             ) -> SearchStrategy[dict]:
    """Evidence: a random subset of the variables (possibly empty), each with a state.

    Examples
    --------
    >>> fg = FactorGraph([Factor(["a", "b"], [2, 2], [[1.0, 2.0], [3.0, 4.0]])])
    >>> set(evidence(fg, max_size=1).example()) <= {"a"} | {"b"}
    True
    """
    card = _cardinalities(model)
    names = list(card)
    if max_size is not None:
        max_size = check_nonnegative_int("max_size", max_size)

    @st.composite
    def _ev(draw) -> dict:
        if not names:
            return {}
        chosen = draw(st.lists(st.sampled_from(names), unique=True, max_size=max_size))
        return {v: draw(st.integers(0, card[v] - 1)) for v in chosen}

    return _ev()


def disjoint_variable_sets(model: BayesianNetwork | FactorGraph | nx.Graph, *, max_size: int = 3,
                           allow_empty_given: bool = True) -> SearchStrategy[tuple[set, set, set]]:
    """Pairwise disjoint ``(X, Y, Z)``, ``X`` and ``Y`` nonempty, each of at most ``max_size``.

    ``model`` is a Bayesian network, a factor graph or a networkx graph with at
    least two variables (three if ``allow_empty_given`` is False).

    Examples
    --------
    >>> xs, ys, zs = disjoint_variable_sets(nx.path_graph(4)).example()
    >>> bool(xs) and bool(ys) and not (xs & ys or xs & zs or ys & zs)
    True
    """
    names = model_variables(model)
    allow_empty_given = check_flag("allow_empty_given", allow_empty_given)
    if check_nonnegative_int("max_size", max_size) < 1:
        raise ParameterError(f"max_size={max_size} must be >= 1")
    need = 2 if allow_empty_given else 3
    if len(names) < need:
        raise ParameterError(f"disjoint_variable_sets needs a model with at least {need} "
                             f"variables, got {len(names)}")

    @st.composite
    def _sets(draw) -> tuple[set, set, set]:
        order = draw(st.permutations(names))
        n = len(order)
        min_z = 0 if allow_empty_given else 1
        nx_ = draw(st.integers(1, min(max_size, n - 1 - min_z)))
        ny_ = draw(st.integers(1, min(max_size, n - nx_ - min_z)))
        nz_ = draw(st.integers(min_z, min(max_size, n - nx_ - ny_)))
        return (set(order[:nx_]), set(order[nx_:nx_ + ny_]),
                set(order[nx_ + ny_:nx_ + ny_ + nz_]))

    return _sets()
