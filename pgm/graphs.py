"""Equivalence classes and graph queries on DAGs and partially directed graphs.

* :func:`skeleton`, :func:`immoralities`, :func:`cpdag` (the essential graph of a DAG's
  Markov equivalence class), :func:`meek_rules` (orientation to closure by Meek's rules
  R1-R4), :func:`is_markov_equivalent`, :func:`pdag_to_dag` (a consistent DAG extension),
  :func:`shd` (structural Hamming distance);
* active trails (:func:`reachable`, a linear-time Bayes ball) and
  :func:`minimal_d_separator`.

**Representation.**  A partially directed graph (PDAG, CPDAG) is a
:class:`networkx.DiGraph` in which an *undirected* edge ``a - b`` is the pair of opposite
arcs ``a -> b`` and ``b -> a`` and a directed edge ``a -> b`` is the arc alone (the
adjacency-matrix convention of bnlearn and pcalg; pgmpy's ``PDAG`` is a DiGraph of the
same kind).  A DAG is then the PDAG with no undirected edge, so every function here
takes DAGs and CPDAGs alike, as well as a :class:`~pgm.BayesianNetwork` (its graph) and
an undirected :class:`networkx.Graph` (every edge undirected).
:func:`directed_edges` and :func:`undirected_edges` split such a graph, and
:func:`pdag_from_edges` builds one; :func:`pgm.learning.pc` returns its CPDAG the same way.

Examples
--------
>>> import networkx as nx
>>> g = cpdag(nx.DiGraph([("a", "c"), ("b", "c"), ("c", "d"), ("d", "e")]))
>>> sorted(directed_edges(g)), sorted(undirected_edges(g))
([('a', 'c'), ('b', 'c'), ('c', 'd'), ('d', 'e')], [])
>>> sorted(undirected_edges(cpdag(nx.DiGraph([("a", "b"), ("b", "c")]))))
[('a', 'b'), ('b', 'c')]
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import networkx as nx

from pgm.exceptions import ArgumentTypeError, ModelError, QueryError
from pgm.independence import active_trail_nodes, as_variable_set

__all__ = [
    "skeleton",
    "immoralities",
    "cpdag",
    "meek_rules",
    "is_markov_equivalent",
    "pdag_to_dag",
    "shd",
    "reachable",
    "minimal_d_separator",
    "directed_edges",
    "undirected_edges",
    "pdag_from_edges",
]


# ------------------------------------------------------------------ representation
def _graph(g: Any, what: str = "graph") -> nx.Graph:
    """The networkx graph behind ``g`` (a BayesianNetwork gives its DAG)."""
    from pgm.bayesian_network import BayesianNetwork

    if isinstance(g, BayesianNetwork):
        return g.graph
    if isinstance(g, nx.Graph):
        if g.is_multigraph():
            raise ArgumentTypeError(f"{what} must be a simple graph, got a {type(g).__name__}")
        return g
    raise ArgumentTypeError(f"{what} must be a networkx DiGraph or Graph or a BayesianNetwork, "
                            f"got {type(g).__name__}")


def _dag(g: Any, what: str = "dag") -> nx.DiGraph:
    """``g`` as a networkx DiGraph that must be acyclic."""
    graph = _graph(g, what)
    if not graph.is_directed():
        raise ArgumentTypeError(f"{what} must be a directed acyclic graph, got an undirected "
                                f"{type(graph).__name__}")
    if not nx.is_directed_acyclic_graph(graph):
        cycle = nx.find_cycle(graph)
        path = " -> ".join(str(u) for u, _ in cycle) + f" -> {cycle[0][0]}"
        raise ModelError(f"{what} has a directed cycle: {path} (a partially directed graph "
                         "is not a DAG; see pdag_to_dag)")
    return graph


class _Mixed:
    """Mutable parents / children / undirected-neighbour sets of a PDAG."""

    __slots__ = ("nodes", "pa", "ch", "un")

    def __init__(self, g: Any) -> None:
        graph = _graph(g)
        self.nodes = list(graph.nodes)
        self.pa: dict = {v: set() for v in self.nodes}
        self.ch: dict = {v: set() for v in self.nodes}
        self.un: dict = {v: set() for v in self.nodes}
        if graph.is_directed():
            succ = graph._succ
            for u in self.nodes:
                for v in succ[u]:
                    if u == v:
                        raise ModelError(f"the graph has a self-loop at {u!r}")
                    if u in succ[v]:
                        self.un[u].add(v)
                    else:
                        self.ch[u].add(v)
                        self.pa[v].add(u)
        else:
            for u, v in graph.edges:
                if u == v:
                    raise ModelError(f"the graph has a self-loop at {u!r}")
                self.un[u].add(v)
                self.un[v].add(u)

    def adjacent(self, a: Hashable, b: Hashable) -> bool:
        return b in self.un[a] or b in self.ch[a] or b in self.pa[a]

    def orient(self, a: Hashable, b: Hashable) -> None:
        """Turn the undirected edge ``a - b`` into ``a -> b``."""
        self.un[a].discard(b)
        self.un[b].discard(a)
        self.ch[a].add(b)
        self.pa[b].add(a)

    def to_networkx(self, like: nx.Graph | None = None) -> nx.DiGraph:
        out = nx.DiGraph()
        if like is not None:
            out.add_nodes_from(like.nodes(data=True))
            out.graph.update(like.graph)
        else:
            out.add_nodes_from(self.nodes)
        for u in self.nodes:
            out.add_edges_from((u, v) for v in self.ch[u])
            out.add_edges_from((u, v) for v in self.un[u])
        return out


def directed_edges(g: Any) -> set[tuple[Hashable, Hashable]]:
    """The directed edges ``(a, b)`` (``a -> b`` without ``b -> a``) of a PDAG.

    Examples
    --------
    >>> sorted(directed_edges(nx.DiGraph([(1, 2), (2, 3), (3, 2)])))
    [(1, 2)]
    """
    graph = _graph(g)
    if not graph.is_directed():
        return set()
    succ = graph._succ
    return {(u, v) for u, v in graph.edges if u not in succ[v]}


def undirected_edges(g: Any) -> set[tuple[Hashable, Hashable]]:
    """The undirected edges of a PDAG, each once as ``(a, b)`` with ``a`` first in node order.

    Examples
    --------
    >>> sorted(undirected_edges(nx.DiGraph([(1, 2), (2, 3), (3, 2)])))
    [(2, 3)]
    """
    graph = _graph(g)
    order = {v: i for i, v in enumerate(graph.nodes)}
    if not graph.is_directed():
        return {(u, v) if order[u] <= order[v] else (v, u) for u, v in graph.edges}
    succ = graph._succ
    return {(u, v) for u, v in graph.edges if u in succ[v] and order[u] < order[v]}


def pdag_from_edges(directed: Iterable[tuple[Hashable, Hashable]] = (),
                    undirected: Iterable[tuple[Hashable, Hashable]] = (),
                    nodes: Iterable[Hashable] = ()) -> nx.DiGraph:
    """A PDAG (networkx DiGraph, undirected edges as opposite arc pairs) from edge lists.

    Examples
    --------
    >>> g = pdag_from_edges([("a", "b")], [("b", "c")], nodes=["a", "b", "c", "d"])
    >>> sorted(g.edges), list(g.nodes)
    ([('a', 'b'), ('b', 'c'), ('c', 'b')], ['a', 'b', 'c', 'd'])
    """
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    for u, v in directed:
        if g.has_edge(v, u):
            raise ModelError(f"the edge {u!r} -> {v!r} is given both ways")
        g.add_edge(u, v)
    for u, v in undirected:
        g.add_edge(u, v)
        g.add_edge(v, u)
    return g


# ------------------------------------------------------------------ equivalence classes
def skeleton(g: Any) -> nx.Graph:
    """The undirected graph with an edge wherever ``g`` has one (either direction).

    Examples
    --------
    >>> sorted(skeleton(nx.DiGraph([("a", "b"), ("c", "b")])).edges)
    [('a', 'b'), ('b', 'c')]
    """
    graph = _graph(g)
    out = nx.Graph()
    out.add_nodes_from(graph.nodes)
    out.add_edges_from(graph.edges)
    return out


def immoralities(g: Any) -> set[tuple[Hashable, Hashable, Hashable]]:
    """The immoralities (unshielded colliders) ``a -> c <- b`` of a DAG or PDAG, as
    triples ``(a, c, b)`` with ``a`` before ``b`` in node order; ``a`` and ``b`` are not
    adjacent.  In a PDAG only directed edges count.

    Examples
    --------
    >>> sorted(immoralities(nx.DiGraph([("a", "c"), ("b", "c"), ("a", "d"), ("b", "d"), ("a", "b")])))
    []
    >>> sorted(immoralities(nx.DiGraph([("a", "c"), ("b", "c"), ("d", "c")])))
    [('a', 'c', 'b'), ('a', 'c', 'd'), ('b', 'c', 'd')]
    """
    m = _Mixed(g)
    order = {v: i for i, v in enumerate(m.nodes)}
    out = set()
    for c in m.nodes:
        parents = sorted(m.pa[c], key=order.__getitem__)
        for i, a in enumerate(parents):
            for b in parents[i + 1:]:
                if not m.adjacent(a, b):
                    out.add((a, c, b))
    return out


def _meek(m: _Mixed, rule4: bool = True, ambiguous: frozenset = frozenset()) -> None:
    """Orient ``m``'s undirected edges by Meek's rules until none applies (in place);
    ``ambiguous`` holds unshielded triples ``(frozenset((a, b)), c)`` not to be read as
    non-colliders."""
    changed = True
    nodes = m.nodes
    while changed:
        changed = False
        for a in nodes:
            for b in list(m.un[a]):
                if b not in m.un[a]:
                    continue
                if _meek_orients(m, a, b, rule4, ambiguous):
                    m.orient(a, b)
                    changed = True


def _meek_orients(m: _Mixed, a: Hashable, b: Hashable, rule4: bool,
                  ambiguous: frozenset = frozenset()) -> bool:
    """Whether one of Meek's rules orients the undirected edge ``a - b`` as ``a -> b``."""
    pa, ch, un = m.pa, m.ch, m.un
    # R1: c -> a - b, c and b not adjacent
    for c in pa[a]:
        if not m.adjacent(c, b) and (not ambiguous or (frozenset((c, b)), a) not in ambiguous):
            return True
    # R2: a -> c -> b
    if ch[a] & pa[b]:
        return True
    # R3: a - c -> b and a - d -> b, c and d not adjacent
    cs = [c for c in un[a] if c in pa[b]]
    for i, c in enumerate(cs):
        for d in cs[i + 1:]:
            if not m.adjacent(c, d) and (not ambiguous or (frozenset((c, d)), a) not in ambiguous):
                return True
    # R4: a - c -> d -> b, c and b not adjacent, a and d adjacent
    if rule4:
        for d in pa[b]:
            if not m.adjacent(a, d):
                continue
            for c in pa[d]:
                if c in un[a] and not m.adjacent(c, b):
                    return True
    return False


def meek_rules(pdag: Any, *, rule4: bool = True,
               ambiguous_triples: Iterable[tuple[Hashable, Hashable, Hashable]] = ()) -> nx.DiGraph:
    """Orient a PDAG's undirected edges by Meek's rules R1-R4 until none applies.

    R1 ``c -> a - b`` (``c``, ``b`` non-adjacent) gives ``a -> b``; R2 ``a -> c -> b``
    with ``a - b`` gives ``a -> b``; R3 ``a - c -> b``, ``a - d -> b`` (``c``, ``d``
    non-adjacent) gives ``a -> b``; R4 ``a - c -> d -> b`` (``c``, ``b`` non-adjacent,
    ``a`` adjacent to ``d``) gives ``a -> b`` (Meek 1995).  From a DAG's skeleton with
    its immoralities R1-R3 already reach the CPDAG; R4 matters with background
    knowledge.  ``ambiguous_triples`` (``(a, c, b)``: unshielded triples whose
    collider status is unknown, as conservative and majority PC find them) are not used
    as non-colliders by R1 and R3.  Returns a new graph; the input is not changed.

    Examples
    --------
    >>> g = pdag_from_edges([("a", "b")], [("b", "c"), ("c", "d")])
    >>> sorted(directed_edges(meek_rules(g)))
    [('a', 'b'), ('b', 'c'), ('c', 'd')]
    """
    graph = _graph(pdag, "pdag")
    m = _Mixed(graph)
    ambiguous = frozenset((frozenset((a, b)), c) for a, c, b in ambiguous_triples)
    _meek(m, rule4=rule4, ambiguous=ambiguous)
    return m.to_networkx(graph if graph.is_directed() else None)


def cpdag(dag: Any) -> nx.DiGraph:
    """The CPDAG (essential graph) of a DAG: its skeleton with the compelled edges directed
    and the reversible ones undirected (a pair of opposite arcs).

    The immoralities are oriented, then Meek's rules R1-R3 to closure (Meek 1995); two
    DAGs have the same CPDAG exactly when they are Markov equivalent.  Node attributes
    are kept.

    Examples
    --------
    >>> g = cpdag(nx.DiGraph([("a", "b"), ("b", "c"), ("d", "c")]))
    >>> sorted(directed_edges(g)), sorted(undirected_edges(g))
    ([('b', 'c'), ('d', 'c')], [('a', 'b')])
    """
    graph = _dag(dag)
    m = _Mixed(graph)
    compelled = set()
    for a, c, b in immoralities(graph):
        compelled.update(((a, c), (b, c)))
    for u, v in list(graph.edges):  # everything undirected but the immoralities
        if (u, v) not in compelled:
            m.ch[u].discard(v)
            m.pa[v].discard(u)
            m.un[u].add(v)
            m.un[v].add(u)
    _meek(m, rule4=False)
    return m.to_networkx(graph)


def is_markov_equivalent(g1: Any, g2: Any) -> bool:
    """Whether two DAGs encode the same independences: same nodes, skeleton and
    immoralities (Verma and Pearl 1990).

    Examples
    --------
    >>> is_markov_equivalent(nx.DiGraph([("a", "b"), ("b", "c")]), nx.DiGraph([("c", "b"), ("b", "a")]))
    True
    >>> is_markov_equivalent(nx.DiGraph([("a", "b"), ("b", "c")]), nx.DiGraph([("a", "b"), ("c", "b")]))
    False
    """
    a, b = _dag(g1, "g1"), _dag(g2, "g2")
    if set(a.nodes) != set(b.nodes):
        return False
    if {frozenset(e) for e in a.edges} != {frozenset(e) for e in b.edges}:
        return False
    canon = lambda s: {(frozenset((x, y)), c) for x, c, y in s}  # noqa: E731
    return canon(immoralities(a)) == canon(immoralities(b))


def pdag_to_dag(pdag: Any) -> nx.DiGraph:
    """A DAG with the PDAG's skeleton, directed edges and immoralities (a consistent
    extension; Dor and Tarsi 1992), e.g. a member of a CPDAG's class to fit parameters on.
    Raises :class:`~pgm.exceptions.ModelError` when the PDAG has none.

    Examples
    --------
    >>> g = pdag_to_dag(pdag_from_edges([("a", "b")], [("b", "c")]))
    >>> sorted(g.edges)
    [('a', 'b'), ('b', 'c')]
    """
    graph = _graph(pdag, "pdag")
    m = _Mixed(graph)
    out = nx.DiGraph()
    out.add_nodes_from(graph.nodes(data=True))
    out.add_edges_from((u, v) for u in m.nodes for v in m.ch[u])
    remaining = set(m.nodes)
    order = m.nodes
    while remaining:
        for x in order:
            if x not in remaining or m.ch[x]:
                continue
            nbrs = m.un[x]
            adj = nbrs | m.pa[x]
            if all(adj - {y} <= (m.un[y] | m.pa[y] | m.ch[y]) for y in nbrs):
                break
        else:
            raise ModelError("the partially directed graph has no consistent DAG extension "
                             f"(stuck at {sorted(map(str, remaining))[:10]})")
        for y in list(m.un[x]):  # orient y -> x, drop x
            out.add_edge(y, x)
            m.un[y].discard(x)
        for p in m.pa[x]:
            m.ch[p].discard(x)
        m.un[x] = set()
        m.pa[x] = set()
        remaining.discard(x)
    return out


def _edge_marks(g: Any) -> dict[frozenset, Any]:
    """``{frozenset(pair): (a, b) for a -> b, or None for a - b}``."""
    graph = _graph(g)
    marks: dict = {}
    if not graph.is_directed():
        return {frozenset(e): None for e in graph.edges}
    succ = graph._succ
    for u, v in graph.edges:
        marks[frozenset((u, v))] = None if u in succ[v] else (u, v)
    return marks


def shd(g1: Any, g2: Any, *, equivalence_classes: bool = False) -> int:
    """Structural Hamming distance: the number of node pairs whose edge differs between
    the two graphs (Tsamardinos, Brown and Aliferis 2006).

    Each pair counts at most 1: an edge present in one graph only (a missing or an extra
    edge), a reversed edge, or an edge directed in one graph and undirected in the other.
    The graphs are DAGs or PDAGs (undirected edges as pairs of opposite arcs), compared
    as given.  bnlearn's ``shd(learned, true)`` first turns both into their CPDAGs, so that
    Markov-equivalent DAGs are at distance 0: pass ``equivalence_classes=True`` for that
    (a PDAG is then replaced by the CPDAG of a consistent extension, :func:`pdag_to_dag`).

    Examples
    --------
    >>> true = nx.DiGraph([("a", "b"), ("b", "c")])
    >>> shd(nx.DiGraph([("b", "a"), ("b", "c")]), true)
    1
    >>> shd(nx.DiGraph([("b", "a"), ("b", "c")]), true, equivalence_classes=True)
    0
    >>> other = nx.DiGraph([("a", "c")]); other.add_node("b")
    >>> shd(cpdag(true), true), shd(other, true)
    (2, 3)
    """
    a, b = _graph(g1, "g1"), _graph(g2, "g2")
    if set(a.nodes) != set(b.nodes):
        extra = sorted(map(str, set(a.nodes) ^ set(b.nodes)))
        raise ModelError(f"the graphs have different nodes: {', '.join(extra[:10])} in only one")
    if equivalence_classes:
        a = cpdag(a if _is_dag(a) else pdag_to_dag(a))
        b = cpdag(b if _is_dag(b) else pdag_to_dag(b))
    ma, mb = _edge_marks(a), _edge_marks(b)
    distance = 0
    for pair in ma.keys() | mb.keys():
        if pair not in ma or pair not in mb or ma[pair] != mb[pair]:
            distance += 1
    return distance


def _is_dag(g: nx.Graph) -> bool:
    return g.is_directed() and nx.is_directed_acyclic_graph(g)


# ------------------------------------------------------------------ graph queries
def _node_set(graph: nx.Graph, nodes: Any, what: str) -> set:
    return as_variable_set(nodes, graph, what)


def reachable(dag: Any, x: Any, given: Any = ()) -> set:
    """The nodes joined to ``x`` by an active trail given ``given`` (Bayes ball).

    A node ``y`` not in ``given`` is in the result exactly when ``x`` and ``y`` are not
    d-separated by ``given``; ``x`` itself is included (the trivial trail), as in Koller
    and Friedman's Algorithm 3.1 and pgmpy's ``active_trail_nodes``.  ``x`` may be one
    node or a set of nodes; linear in the size of the graph.

    Examples
    --------
    >>> g = nx.DiGraph([("a", "c"), ("b", "c"), ("c", "d")])
    >>> sorted(reachable(g, "a")), sorted(reachable(g, "a", given="d"))
    (['a', 'c', 'd'], ['a', 'b', 'c'])
    """
    graph = _dag(dag)
    xs = _node_set(graph, x, "start")
    zs = _node_set(graph, given, "conditioning")
    both = xs & zs
    if both:
        raise QueryError(f"start node(s) {sorted(map(str, both))} are also in the conditioning set")
    return active_trail_nodes(graph, xs, zs)


def minimal_d_separator(dag: Any, x: Any, y: Any, *, included: Any = (),
                        restricted: Any = None) -> set | None:
    """A minimal set ``z`` (containing ``included``, inside ``restricted``) that d-separates
    ``x`` from ``y``, or ``None`` when no such set exists (e.g. ``x`` and ``y`` adjacent).

    Minimal: no proper subset of ``z`` containing ``included`` separates them.  Uses
    :func:`networkx.find_minimal_d_separator` (networkx 3.3+; van der Zander, Liśkiewicz
    and Textor 2019), else the same algorithm here.  ``x`` and ``y`` are nodes or sets of
    nodes.

    Examples
    --------
    >>> g = nx.DiGraph([("a", "b"), ("b", "c"), ("a", "d"), ("d", "c"), ("c", "e")])
    >>> sorted(minimal_d_separator(g, "a", "e")), minimal_d_separator(g, "a", "b")
    (['b', 'd'], None)
    >>> sorted(minimal_d_separator(g, "a", "e", restricted={"c"}))  # minimal, not unique
    ['c']
    """
    graph = _dag(dag)
    xs = _node_set(graph, x, "first")
    ys = _node_set(graph, y, "second")
    inc = _node_set(graph, included, "included")
    res = set(graph.nodes) if restricted is None else _node_set(graph, restricted, "restricted")
    if xs & ys:
        raise QueryError(f"the sets share {sorted(map(str, xs & ys))}")
    if (xs | ys) & inc:
        raise QueryError(f"included node(s) {sorted(map(str, (xs | ys) & inc))} are in x or y")
    if not inc <= res:
        raise QueryError(f"included node(s) {sorted(map(str, inc - res))} are not in restricted")
    finder = getattr(nx, "find_minimal_d_separator", None)
    if finder is not None:
        found = finder(graph, xs, ys, included=inc, restricted=res - xs - ys)
        return None if found is None else set(found)
    return _minimal_d_separator(graph, xs, ys, inc, res - xs - ys)


def _minimal_d_separator(graph: nx.DiGraph, xs: set, ys: set, inc: set, res: set) -> set | None:
    """FindMinSep (van der Zander et al. 2019) on the moral graph of the ancestors."""
    anc = set()
    stack = list(xs | ys | inc)
    while stack:
        n = stack.pop()
        if n not in anc:
            anc.add(n)
            stack.extend(graph._pred[n])
    moral = nx.moral_graph(graph.subgraph(anc))
    z = (res & anc) - xs - ys
    # z (all allowed ancestors) separates iff any allowed set does
    if not _separates(moral, xs, ys, z):
        return None
    z = _closest(moral, xs, z) | inc
    z = _closest(moral, ys, z) | inc
    return z


def _closest(moral: nx.Graph, start: set, z: set) -> set:
    """The nodes of ``z`` reachable from ``start`` without passing through ``z``."""
    seen = set(start)
    stack = list(start)
    hit = set()
    while stack:
        n = stack.pop()
        for m in moral._adj[n]:
            if m in seen:
                continue
            seen.add(m)
            if m in z:
                hit.add(m)
            else:
                stack.append(m)
    return hit


def _separates(moral: nx.Graph, xs: set, ys: set, z: set) -> bool:
    seen = set(xs)
    stack = list(xs)
    while stack:
        n = stack.pop()
        for m in moral._adj[n]:
            if m in seen or m in z:
                continue
            if m in ys:
                return False
            seen.add(m)
            stack.append(m)
    return True
