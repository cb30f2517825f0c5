"""Conversion to and from the libraries users already have models in: pgmpy, pyAgrum
and networkx.

Each direction preserves the joint distribution exactly (the tests compute it both ways
on random networks) and keeps the state names.  pgmpy and pyAgrum are optional: each
function imports its library when called and raises :class:`ImportError` with the
``pip install`` line when it is missing.

Layouts, so that nothing is confused on the way:

* pgm's :class:`~pgm.cpd.TabularCPD` table has shape ``(*parent cards, card)``: parents
  first, child last.  pgmpy's ``TabularCPD.values`` (``get_values()``) is the transpose
  of its flattening: shape ``(card, prod(parent cards))``, a column per parent
  configuration with the **last** parent varying fastest.
* pyAgrum's CPT of ``X`` (``bn.cpt("X")``) is a tensor whose ``names`` list the child
  first and then the parents in reverse; it is read and written by state-name
  assignments (``cpt[{"X": "a", "P": "b"}]``), never by flat position, so the order
  cannot be mixed up.
* networkx: a Bayesian network becomes a ``DiGraph`` whose nodes carry ``cpd`` (the
  TabularCPD) and ``states``; a factor graph becomes its Markov ``Graph`` with node
  attributes ``cardinality`` and ``states`` and the factors in ``graph.graph["factors"]``.

Examples
--------
>>> import pgm.examples
>>> g = to_networkx(pgm.examples.load("asia"))
>>> sorted(g.predecessors("either")), g.nodes["smoke"]["states"]
(['lung', 'tub'], ['yes', 'no'])
>>> from_networkx(g).get_cpd("either").values.shape
(2, 2, 2)
"""

from __future__ import annotations

import itertools
from typing import Any

import networkx as nx
import numpy as np

from pgm.bayesian_network import BayesianNetwork
from pgm.cpd import TabularCPD
from pgm.exceptions import ArgumentTypeError, ModelError
from pgm.factor import Factor, factor_product
from pgm.factor_graph import FactorGraph

__all__ = [
    "to_pgmpy",
    "from_pgmpy",
    "to_pyagrum",
    "from_pyagrum",
    "to_networkx",
    "from_networkx",
]


def _require(module: str, extra: str = "bench"):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"this conversion needs {module.split('.')[0]} ({exc}); install it with "
                          f"pip install \"pgm[{extra}]\"") from None


def _states(model, v) -> list[str]:
    return [str(s) for s in model.state_names(v)]


# ------------------------------------------------------------------ pgmpy
def to_pgmpy(model: BayesianNetwork | FactorGraph):
    """A pgmpy ``DiscreteBayesianNetwork`` (from a BayesianNetwork) or ``DiscreteMarkovNetwork``
    (from a FactorGraph) with the same tables and state names.

    Examples
    --------
    >>> import pgm.examples
    >>> pm = to_pgmpy(pgm.examples.load("asia"))     # doctest: +SKIP
    >>> pm.get_cpds("either").get_values().shape     # doctest: +SKIP
    (2, 4)
    """
    if isinstance(model, BayesianNetwork):
        models = _require("pgmpy.models")
        discrete = _require("pgmpy.factors.discrete")
        model.validate()
        net = models.DiscreteBayesianNetwork()
        net.add_nodes_from([str(v) for v in model.nodes])
        net.add_edges_from([(str(u), str(v)) for u, v in model.edges])
        for v in model.nodes:
            cpd = model.get_cpd(v)
            card = cpd.cardinality
            values = cpd.values.reshape(-1, card).T
            names = {str(u): _states(model, u) for u in cpd.scope}
            net.add_cpds(discrete.TabularCPD(
                str(v), card, values, evidence=[str(p) for p in cpd.parents] or None,
                evidence_card=list(cpd.parent_cardinalities) or None, state_names=names))
        return net
    if isinstance(model, FactorGraph):
        models = _require("pgmpy.models")
        discrete = _require("pgmpy.factors.discrete")
        net = (models.DiscreteMarkovNetwork() if hasattr(models, "DiscreteMarkovNetwork")
               else models.MarkovNetwork())
        net.add_nodes_from([str(v) for v in model.variables])
        for f in model.factors:
            vs = [str(u) for u in f.variables]
            net.add_edges_from(itertools.combinations(vs, 2))
        factors = []
        for f in model.factors:
            p = f.to_prob()
            names = {str(u): _states(model, u) for u in p.variables}
            factors.append(discrete.DiscreteFactor([str(u) for u in p.variables],
                                                   list(p.cardinalities), p.values.ravel(),
                                                   state_names=names))
        net.add_factors(*factors)
        return net
    raise ArgumentTypeError(f"to_pgmpy takes a BayesianNetwork or FactorGraph, got "
                            f"{type(model).__name__}")


def from_pgmpy(model: Any) -> BayesianNetwork | FactorGraph:
    """A pgm model from a pgmpy discrete Bayesian network or Markov network.

    Examples
    --------
    >>> import pgm.examples
    >>> bn = from_pgmpy(to_pgmpy(pgm.examples.load("asia")))  # doctest: +SKIP
    >>> bn.state_names("smoke")                                # doctest: +SKIP
    ['yes', 'no']
    """
    if hasattr(model, "get_cpds") and hasattr(model, "get_parents"):
        cpds = []
        for c in model.get_cpds():
            var = c.variable
            scope = list(c.variables)          # child first, then the evidence
            parents = scope[1:]
            cards = [int(k) for k in c.cardinality]
            table = np.asarray(c.get_values(), dtype=np.float64)   # (card, prod parents)
            values = table.T.reshape((*cards[1:], cards[0]))
            names = {u: [str(s) for s in c.state_names[u]] for u in scope}
            cpds.append(TabularCPD(var, values, parents, state_names=names))
        bn = BayesianNetwork(name=getattr(model, "name", None) or None)
        for v in model.nodes():
            bn.add_node(v)
        bn.add_edges_from(list(model.edges()))
        bn.add_cpds(*cpds)
        missing = [v for v in bn.nodes if v not in bn.cpds]
        if missing:
            raise ModelError(f"the pgmpy network has no CPD for {', '.join(map(repr, missing))}")
        return bn
    if hasattr(model, "get_factors"):
        fg = FactorGraph()
        factors = model.get_factors()
        names: dict = {}
        for f in factors:
            for u, k in zip(f.variables, f.cardinality):
                names.setdefault(u, ([str(s) for s in f.state_names[u]], int(k)))
        for v in model.nodes():
            if v in names:
                fg.add_variable(v, names[v][1], names[v][0])
        for f in factors:
            fg.add_factor(Factor(list(f.variables), [int(k) for k in f.cardinality],
                                 np.asarray(f.values, dtype=np.float64)))
        return fg
    raise ArgumentTypeError(f"from_pgmpy takes a pgmpy DiscreteBayesianNetwork or MarkovNetwork, "
                            f"got {type(model).__name__}")


# ------------------------------------------------------------------ pyAgrum
def _fill(tensor, scope: list, cards: list, table: np.ndarray, labels: dict) -> None:
    """Write ``table`` (axes in ``scope`` order) into a pyAgrum tensor by label."""
    for idx in itertools.product(*(range(k) for k in cards)):
        tensor[{str(u): labels[u][i] for u, i in zip(scope, idx)}] = float(table[idx])


def _read(tensor, scope: list, cards: list, labels: dict) -> np.ndarray:
    out = np.empty(cards)
    for idx in itertools.product(*(range(k) for k in cards)):
        out[idx] = tensor[{str(u): labels[u][i] for u, i in zip(scope, idx)}]
    return out


def to_pyagrum(model: BayesianNetwork | FactorGraph):
    """A ``pyagrum.BayesNet`` (from a BayesianNetwork) or ``pyagrum.MarkovRandomField``
    (from a FactorGraph); variables are named ``str(variable)``, states by their names.

    Tables are written entry by entry through labelled assignments (so the axis orders of
    the two libraries cannot be confused); fine for networks of bnlearn's sizes.

    Examples
    --------
    >>> import pgm.examples
    >>> gbn = to_pyagrum(pgm.examples.load("asia"))   # doctest: +SKIP
    >>> gbn.size()                                      # doctest: +SKIP
    8
    """
    gum = _require("pyagrum")
    if isinstance(model, BayesianNetwork):
        model.validate()
        net = gum.BayesNet(model.name or "pgm")
        labels = {v: _states(model, v) for v in model.nodes}
        for v in model.nodes:
            net.add(gum.LabelizedVariable(str(v), str(v), labels[v]))
        for u, v in model.edges:
            net.addArc(str(u), str(v))
        for v in model.nodes:
            cpd = model.get_cpd(v)
            _fill(net.cpt(str(v)), list(cpd.scope), list(cpd.values.shape), cpd.values, labels)
        return net
    if isinstance(model, FactorGraph):
        net = gum.MarkovRandomField()
        labels = {v: _states(model, v) for v in model.variables}
        for v in model.variables:
            net.add(gum.LabelizedVariable(str(v), str(v), labels[v]))
        merged: dict = {}   # pyAgrum holds one factor per scope: multiply those that share one
        for f in model.factors:
            key = frozenset(f.variables)
            merged[key] = f.to_prob() if key not in merged else factor_product(
                [merged[key], f.to_prob()])
        for p in merged.values():
            p = p.to_prob()
            tensor = net.addFactor([str(u) for u in p.variables])
            _fill(tensor, list(p.variables), list(p.cardinalities), p.values, labels)
        return net
    raise ArgumentTypeError(f"to_pyagrum takes a BayesianNetwork or FactorGraph, got "
                            f"{type(model).__name__}")


def from_pyagrum(model: Any) -> BayesianNetwork | FactorGraph:
    """A pgm model from a ``pyagrum.BayesNet`` or ``pyagrum.MarkovRandomField``.

    Examples
    --------
    >>> import pgm.examples
    >>> bn = from_pyagrum(to_pyagrum(pgm.examples.load("asia")))   # doctest: +SKIP
    >>> sorted(bn.parents("either"))                                # doctest: +SKIP
    ['lung', 'tub']
    """
    gum = _require("pyagrum")
    if isinstance(model, gum.BayesNet):
        names = [model.variable(i).name() for i in model.nodes()]
        labels = {n: list(model.variableFromName(n).labels()) for n in names}
        cpds = []
        for n in names:
            parents = [model.variable(p).name() for p in model.parents(n)]
            scope = [*parents, n]
            cards = [len(labels[u]) for u in scope]
            table = _read(model.cpt(n), scope, cards, labels)
            cpds.append(TabularCPD(n, table, parents,
                                   state_names={u: labels[u] for u in scope}))
        bn = BayesianNetwork(name=model.property("name") if "name" in model.properties() else None)
        for n in names:
            bn.add_node(n)
        bn.add_edges_from([(model.variable(a).name(), model.variable(b).name())
                           for a, b in model.arcs()])
        bn.add_cpds(*cpds)
        return bn
    if isinstance(model, gum.MarkovRandomField):
        names = [model.variable(i).name() for i in model.nodes()]
        labels = {n: list(model.variableFromName(n).labels()) for n in names}
        fg = FactorGraph()
        for n in names:
            fg.add_variable(n, len(labels[n]), labels[n])
        for clique in model.factors():
            scope = [model.variable(i).name() for i in sorted(clique)]
            cards = [len(labels[u]) for u in scope]
            table = _read(model.factor(clique), scope, cards, labels)
            fg.add_factor(Factor(scope, cards, table))
        return fg
    raise ArgumentTypeError(f"from_pyagrum takes a pyagrum BayesNet or MarkovRandomField, got "
                            f"{type(model).__name__}")


# ------------------------------------------------------------------ networkx
def to_networkx(model: BayesianNetwork | FactorGraph) -> nx.Graph:
    """The model's graph with its tables as attributes (see the module docstring)."""
    if isinstance(model, BayesianNetwork):
        g = nx.DiGraph(name=model.name)
        for v in model.nodes:
            attrs = {"states": _states(model, v)} if v in model.cpds else {}
            if v in model.cpds:
                attrs["cpd"] = model.get_cpd(v).copy()
            g.add_node(v, **attrs)
        g.add_edges_from(model.edges)
        return g
    if isinstance(model, FactorGraph):
        g = model.markov_graph().copy()
        for v in model.variables:
            g.nodes[v]["cardinality"] = model.cardinality(v)
            g.nodes[v]["states"] = _states(model, v)
        g.graph["factors"] = [f.copy() for f in model.factors]
        return g
    raise ArgumentTypeError(f"to_networkx takes a BayesianNetwork or FactorGraph, got "
                            f"{type(model).__name__}")


def from_networkx(graph: nx.Graph) -> BayesianNetwork | FactorGraph:
    """A model from a graph made by :func:`to_networkx` (or built the same way): a
    DiGraph whose nodes carry ``cpd``, or a Graph with ``graph["factors"]``."""
    if isinstance(graph, nx.DiGraph):
        bn = BayesianNetwork(name=graph.graph.get("name") or None)
        for v in graph.nodes:
            bn.add_node(v)
        bn.add_edges_from(list(graph.edges))
        for v, data in graph.nodes(data=True):
            cpd = data.get("cpd")
            if cpd is None:
                continue
            if not isinstance(cpd, TabularCPD):
                raise ModelError(f"node {v!r} has a 'cpd' attribute that is not a TabularCPD")
            bn.add_cpd(cpd.copy())
        return bn
    if isinstance(graph, nx.Graph):
        factors = graph.graph.get("factors")
        if factors is None:
            raise ModelError("an undirected graph needs its factors in graph.graph['factors']")
        fg = FactorGraph()
        for v, data in graph.nodes(data=True):
            if "cardinality" in data:
                fg.add_variable(v, int(data["cardinality"]), data.get("states"))
        for f in factors:
            fg.add_factor(f.copy())
        return fg
    raise ArgumentTypeError(f"from_networkx takes a networkx graph, got {type(graph).__name__}")
