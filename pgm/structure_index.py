"""An array-backed index of a DAG for fast repeated structure queries.

A :class:`BayesianNetwork` keeps one :class:`StructureIndex` of its graph and
rebuilds it only when the graph changes (:class:`TrackedDiGraph` counts changes).
The index holds integer CSR adjacency, so d-separation runs in a compiled
linear-time kernel (:mod:`pgm.inference.dseparation`), and it memoizes Markov
blankets.
"""

from __future__ import annotations

from collections.abc import Hashable

import networkx as nx
import numpy as np

from pgm.exceptions import ModelError, UnknownVariableError

__all__ = ["TrackedDiGraph", "StructureIndex"]


class TrackedDiGraph(nx.DiGraph):
    """A :class:`networkx.DiGraph` that counts structural changes in ``version``.

    Every public mutator bumps the counter, so caches keyed on ``version`` notice
    any change made through the networkx API.
    """

    def __init__(self, incoming_graph_data=None, **attr) -> None:
        self.version = 0
        super().__init__(incoming_graph_data, **attr)

    def _bump(self) -> None:
        self.version = getattr(self, "version", 0) + 1


def _tracked(name: str):
    base = getattr(nx.DiGraph, name)

    def method(self, *args, **kwargs):
        out = base(self, *args, **kwargs)
        self._bump()
        return out

    method.__name__ = name
    method.__doc__ = base.__doc__
    return method


for _name in ("add_node", "add_nodes_from", "remove_node", "remove_nodes_from", "add_edge",
              "add_edges_from", "remove_edge", "remove_edges_from", "clear", "clear_edges",
              "update", "add_weighted_edges_from"):
    setattr(TrackedDiGraph, _name, _tracked(_name))


def _csr(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(lists) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    idx = np.fromiter((i for x in lists for i in x), dtype=np.int64, count=int(ptr[-1]))
    return ptr, idx


class StructureIndex:
    """Integer CSR view of a DAG answering Markov-blanket and d-separation queries.

    Building costs O(V + E); each d-separation query is then linear in the graph
    in compiled code, and each Markov blanket after the first is a lookup.

    Examples
    --------
    >>> idx = StructureIndex(nx.DiGraph([("a", "c"), ("b", "c")]))
    >>> sorted(idx.markov_blanket("a"))
    ['b', 'c']
    >>> idx.d_separated({"a"}, {"b"}, set()), idx.d_separated({"a"}, {"b"}, {"c"})
    (True, False)
    """

    def __init__(self, graph: nx.DiGraph) -> None:
        if not isinstance(graph, nx.DiGraph):
            raise ModelError(f"StructureIndex needs a networkx DiGraph, got {type(graph).__name__}")
        self.nodes: list[Hashable] = list(graph)
        self.position: dict[Hashable, int] = {v: i for i, v in enumerate(self.nodes)}
        pos = self.position
        pred = graph._pred
        succ = graph._succ
        self.pred_ptr, self.pred_idx = _csr([[pos[p] for p in pred[v]] for v in self.nodes])
        self.succ_ptr, self.succ_idx = _csr([[pos[c] for c in succ[v]] for v in self.nodes])
        self._blankets: dict[Hashable, frozenset] = {}
        self._packed: np.ndarray | None = None
        self._pred = pred
        self._succ = succ

    def markov_blanket(self, variable: Hashable) -> frozenset:
        """Parents, children and the children's other parents (memoized)."""
        try:
            known = variable in self.position
        except TypeError:
            known = False
        if not known:
            raise UnknownVariableError(f"variable {variable!r} is not in the graph")
        mb = self._blankets.get(variable)
        if mb is None:
            pred = self._pred
            out = set(pred[variable])
            for c in self._succ[variable]:
                out.add(c)
                out.update(pred[c])
            out.discard(variable)
            mb = self._blankets[variable] = frozenset(out)
        return mb

    def d_separated(self, xs, ys, zs=()) -> bool:
        """d-separation of ``xs`` and ``ys`` given ``zs`` (names or sets of names).

        The sets are checked as :func:`pgm.independence.query_sets` does: known variables
        (:class:`UnknownVariableError`), pairwise disjoint (:class:`QueryError`).
        """
        from pgm.independence import query_sets

        return self._d_separated(*query_sets(self.position, xs, ys, zs))

    def _d_separated(self, xs: set, ys: set, zs: set) -> bool:
        """d-separation of already-validated, disjoint name sets."""
        if not xs or not ys:
            return True
        from pgm.inference.dseparation import d_separated_packed, pack_graph

        if self._packed is None:
            self._packed = pack_graph(self.pred_ptr, self.pred_idx, self.succ_ptr, self.succ_idx)
        pos = self.position
        query = np.array([len(xs), len(ys), *[pos[v] for v in xs], *[pos[v] for v in ys],
                          *[pos[v] for v in zs]], dtype=np.int64)
        return d_separated_packed(self._packed, query)
