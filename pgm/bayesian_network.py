"""Bayesian networks: a DAG on a :class:`networkx.DiGraph` plus one CPD per variable.

:meth:`BayesianNetwork.simulate` (forward, rejection and likelihood-weighted samples) is a
thin convenience over pgm.inference, imported lazily (inside the method); so are
:meth:`BayesianNetwork.fit`, :meth:`~BayesianNetwork.log_likelihood`,
:meth:`~BayesianNetwork.predict` and :meth:`~BayesianNetwork.predict_proba` over
:mod:`pgm.learning` (whose EM and prediction import pgm.inference inside functions).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

import networkx as nx
import numpy as np

from pgm._math import local_distribution
from pgm.cpd import TabularCPD
from pgm.exceptions import (
    ArgumentTypeError,
    CardinalityError,
    CycleError,
    InvalidProbabilityError,
    MissingCPDError,
    ModelError,
    NormalizationError,
    ParameterError,
    QueryError,
    StructureMismatchError,
    UnknownVariableError,
)
from pgm.factor import Factor, check_variable_name, is_sequence
from pgm.factor_graph import FactorGraph, assignment_states
from pgm.independence import IndependenceQueries, query_sets
from pgm.structure_index import StructureIndex, TrackedDiGraph
from pgm.validation import check_flag, check_float

__all__ = ["BayesianNetwork"]


class BayesianNetwork(IndependenceQueries):
    """A directed acyclic graph with a conditional distribution per node.

    Parameters
    ----------
    edges : iterable of (parent, child), optional
        Initial edges.
    cpds : iterable of TabularCPD, optional
        Initial CPDs (their variables are added as nodes; edges are *not* inferred,
        use :meth:`from_cpds` for that).

    Examples
    --------
    >>> bn = BayesianNetwork.from_cpds([
    ...     TabularCPD("rain", [0.8, 0.2]),
    ...     TabularCPD("wet", [[0.9, 0.1], [0.2, 0.8]], parents=["rain"]),
    ... ])
    >>> bn.validate()
    >>> sorted(bn.markov_blanket("rain"))
    ['wet']
    >>> round(bn.check_normalization().total_probability, 12)
    1.0
    """

    def __init__(self, edges: Iterable[tuple[Hashable, Hashable]] = (),
                 cpds: Iterable[TabularCPD] = (), *, name: str | None = None) -> None:
        if name is not None and not isinstance(name, str):
            raise ParameterError(f"name must be a string or None, got {name!r}")
        self.graph: nx.DiGraph = TrackedDiGraph()
        self.add_edges_from(edges)
        if isinstance(cpds, TabularCPD) or not is_sequence(cpds):
            raise ModelError(f"cpds must be a sequence of TabularCPD, got {type(cpds).__name__}")
        self._index: StructureIndex | None = None
        self._index_key: tuple | None = None
        self._cpds: dict[Hashable, TabularCPD] = {}
        self.name = name
        for cpd in cpds:
            self.add_cpd(cpd)

    @classmethod
    def from_cpds(cls, cpds: Iterable[TabularCPD], *, name: str | None = None) -> BayesianNetwork:
        """Build the network whose edges are exactly the CPDs' parent links."""
        if isinstance(cpds, TabularCPD) or not is_sequence(cpds):
            raise ModelError(f"from_cpds takes a sequence of TabularCPD, got {type(cpds).__name__}")
        cpds = list(cpds)
        for cpd in cpds:
            if not isinstance(cpd, TabularCPD):
                raise ArgumentTypeError(f"expected a TabularCPD, got {type(cpd).__name__}")
        bn = cls(name=name)
        for cpd in cpds:
            bn.graph.add_node(cpd.variable)
            bn.graph.add_edges_from((p, cpd.variable) for p in cpd.parents)
        for cpd in cpds:
            bn.add_cpd(cpd)
        return bn

    # --------------------------------------------------------------- building
    def add_node(self, variable: Hashable) -> None:
        """Add a variable (its CPD comes later)."""
        self.graph.add_node(check_variable_name(variable))

    def add_edge(self, parent: Hashable, child: Hashable) -> None:
        """Add the edge ``parent -> child``."""
        self.graph.add_edge(check_variable_name(parent, "parent"), check_variable_name(child, "child"))

    def add_edges_from(self, edges: Iterable[tuple[Hashable, Hashable]]) -> None:
        """Add several edges (each a pair ``(parent, child)``)."""
        if not is_sequence(edges):
            raise ModelError(f"edges must be a sequence of (parent, child) pairs, got {edges!r}")
        pairs = []
        for e in edges:
            if not is_sequence(e) or len(e := tuple(e)) != 2:
                raise ModelError(f"an edge is a pair (parent, child), got {e!r}")
            pairs.append((check_variable_name(e[0], "parent"), check_variable_name(e[1], "child")))
        self.graph.add_edges_from(pairs)

    def add_cpd(self, cpd: TabularCPD) -> None:
        """Attach (or replace) the CPD of ``cpd.variable``; adds the node if missing."""
        if not isinstance(cpd, TabularCPD):
            raise ArgumentTypeError(f"expected a TabularCPD, got {type(cpd).__name__}")
        self.graph.add_node(cpd.variable)
        self._cpds[cpd.variable] = cpd

    def add_cpds(self, *cpds: TabularCPD) -> None:
        """Attach several CPDs."""
        for cpd in cpds:
            self.add_cpd(cpd)

    # -------------------------------------------------------------- accessors
    @property
    def nodes(self) -> list[Hashable]:
        """Variables in insertion order."""
        return list(self.graph.nodes)

    variables = nodes

    @property
    def edges(self) -> list[tuple[Hashable, Hashable]]:
        """Edges ``(parent, child)``."""
        return list(self.graph.edges)

    @property
    def cpds(self) -> dict[Hashable, TabularCPD]:
        """``{variable: CPD}`` (a copy of the mapping)."""
        return dict(self._cpds)

    def get_cpd(self, variable: Hashable) -> TabularCPD:
        """The CPD of ``variable``."""
        self._check(variable)
        if variable not in self._cpds:
            raise MissingCPDError(f"variable {variable!r} has no CPD")
        return self._cpds[variable]

    def parents(self, variable: Hashable) -> list[Hashable]:
        """Parents in the graph."""
        self._check(variable)
        return list(self.graph.predecessors(variable))

    def children(self, variable: Hashable) -> list[Hashable]:
        """Children in the graph."""
        self._check(variable)
        return list(self.graph.successors(variable))

    def cardinality(self, variable: Hashable) -> int:
        """Number of states of ``variable`` (from its CPD)."""
        return self.get_cpd(variable).cardinality

    @property
    def cardinalities(self) -> dict[Hashable, int]:
        """``{variable: number of states}`` for every variable with a CPD."""
        return {v: self._cpds[v].cardinality for v in self.graph if v in self._cpds}

    def state_names(self, variable: Hashable) -> list[str]:
        """State names of ``variable`` (``"0", "1", ...`` if none were given)."""
        cpd = self.get_cpd(variable)
        if variable in cpd.state_names:
            return list(cpd.state_names[variable])
        for child in self.graph.successors(variable):
            c = self._cpds.get(child)
            if c is not None and variable in c.state_names:
                return list(c.state_names[variable])
        return [str(i) for i in range(cpd.cardinality)]

    def state_index(self, variable: Hashable, state: int | str) -> int:
        """Index of ``state`` (a name, an index or its decimal text) of ``variable``.

        See :func:`pgm.evidence.state_index`; raises :class:`EvidenceError` listing the states.
        """
        from pgm.evidence import state_index

        self._check(variable)
        return state_index(self, variable, state)

    def _check(self, variable: Hashable) -> None:
        if variable not in self.graph:
            raise UnknownVariableError(f"variable {variable!r} is not in the network")

    def __contains__(self, variable: Hashable) -> bool:
        return variable in self.graph

    def __len__(self) -> int:
        return self.graph.number_of_nodes()

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        return (f"BayesianNetwork({label}{self.graph.number_of_nodes()} nodes, "
                f"{self.graph.number_of_edges()} edges)")

    def copy(self) -> BayesianNetwork:
        """A deep copy."""
        bn = BayesianNetwork(name=self.name)
        bn.graph.add_nodes_from(self.graph.nodes)
        bn.graph.add_edges_from(self.graph.edges)
        for cpd in self._cpds.values():
            bn.add_cpd(cpd.copy())
        return bn

    def topological_order(self) -> list[Hashable]:
        """Variables with every parent before its children; raises :class:`CycleError`."""
        try:
            return list(nx.topological_sort(self.graph))
        except nx.NetworkXUnfeasible:
            cycle = nx.find_cycle(self.graph)
            path = " -> ".join(str(u) for u, _ in cycle) + f" -> {cycle[0][0]}"
            raise CycleError(f"the graph has a directed cycle: {path}") from None

    # ------------------------------------------------------------- validation
    def validate(self, *, atol: float = 1e-6) -> None:
        """Check the network; raise a specific :class:`pgm.exceptions.ModelError` on the first fault.

        Checks, in order: no directed cycle; every node has a CPD; each CPD's parents
        equal the graph's parents; each parent's cardinality in a child's CPD (and any
        state names) agrees with the parent's own CPD; no negative, NaN or infinite
        entry; every conditional sums to 1 within ``atol``.
        """
        atol = check_float("atol", atol, minimum=0)
        self.topological_order()
        for v in self.graph:
            if v not in self._cpds:
                raise MissingCPDError(f"variable {v!r} has no CPD")
        for v, cpd in self._cpds.items():
            graph_parents = set(self.graph.predecessors(v))
            if set(cpd.parents) != graph_parents:
                extra = sorted(map(str, set(cpd.parents) - graph_parents))
                missing = sorted(map(str, graph_parents - set(cpd.parents)))
                raise StructureMismatchError(
                    f"CPD of {v!r} has parents {list(cpd.parents)} but the graph gives "
                    f"{sorted(map(str, graph_parents))}"
                    + (f"; not in the graph: {extra}" if extra else "")
                    + (f"; missing from the CPD: {missing}" if missing else "")
                )
        for v, cpd in self._cpds.items():
            for p, c in zip(cpd.parents, cpd.parent_cardinalities):
                own = self._cpds[p].cardinality
                if own != c:
                    raise CardinalityError(
                        f"CPD of {v!r} gives parent {p!r} {c} states, but {p!r} has {own}"
                    )
                if p in cpd.state_names and p in self._cpds[p].state_names and \
                        cpd.state_names[p] != self._cpds[p].state_names[p]:
                    raise CardinalityError(
                        f"CPD of {v!r} names the states of {p!r} {cpd.state_names[p]}, "
                        f"but {p!r}'s own CPD names them {self._cpds[p].state_names[p]}"
                    )
        for v in self.topological_order():
            self._cpds[v].to_factor().validate(f"CPD of {v!r}")
        for v in self.topological_order():
            cpd = self._cpds[v]
            sums = cpd.conditional_sums()
            dev = np.abs(sums - 1.0)
            if dev.size and dev.max() > atol:
                idx = np.unravel_index(int(np.argmax(dev)), dev.shape)
                given = self.describe_parent_assignment(v, idx)
                raise NormalizationError(
                    f"the conditional of {v!r}{given} sums to {float(sums[idx])!r}, not 1 "
                    f"(tolerance {atol})"
                )

    def describe_parent_assignment(self, variable: Hashable, index: Sequence[int]) -> str:
        """``" given a=x, b=y"`` for a parent-state index of ``variable``'s CPD."""
        cpd = self.get_cpd(variable)
        if not cpd.parents:
            return ""
        if not is_sequence(index):
            raise QueryError(f"a parent-state index of {variable!r} is a sequence of "
                             f"{len(cpd.parents)} integers, got {index!r}")
        index = tuple(index)
        if len(index) != len(cpd.parents) or not all(
                isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_))
                and 0 <= i < c for i, c in zip(index, cpd.parent_cardinalities)):
            raise QueryError(f"a parent-state index of {variable!r} is {len(cpd.parents)} integers "
                             f"within {list(cpd.parent_cardinalities)}, got {index!r}")
        parts = []
        for p, i in zip(cpd.parents, index):
            names = cpd.state_names.get(p)
            if names is None and p in self._cpds:
                names = self.state_names(p)
            parts.append(f"{p}={names[i] if names else i}")
        return " given " + ", ".join(parts)

    def check_normalization(self, *, atol: float = 1e-9, method: str = "auto",
                            memory_budget: int | None = None):
        """Exact total probability of the network; see :func:`pgm.check_normalization`."""
        from pgm.normalization import check_normalization

        return check_normalization(self, atol=atol, method=method, memory_budget=memory_budget)

    # ------------------------------------------------------------ conversions
    def to_factor_graph(self) -> FactorGraph:
        """The same joint distribution as a factor graph (one factor per CPD)."""
        for v in self.graph:
            if v not in self._cpds:
                raise MissingCPDError(f"variable {v!r} has no CPD")
        fg = FactorGraph()
        for v in self.graph:
            cpd = self._cpds[v]
            names = self.state_names(v) if self._has_names(v) else None
            fg.add_variable(v, cpd.cardinality, names)
        for v in self.graph:
            fg.add_factor(self._cpds[v].to_factor())
        return fg

    def _has_names(self, v: Hashable) -> bool:
        if v in self._cpds[v].state_names:
            return True
        return any(v in self._cpds[c].state_names for c in self.graph.successors(v)
                   if c in self._cpds)

    def factors(self, *, log: bool = False) -> list[Factor]:
        """One factor per CPD."""
        log = check_flag("log", log)
        return [self.get_cpd(v).to_factor(log=log) for v in self.graph]

    def joint(self, *, memory_budget: int | None = None) -> Factor:
        """The full joint table ``prod_k p(x_k | pa_k)`` (not renormalized; small models)."""
        return self.to_factor_graph().joint(normalized=False, memory_budget=memory_budget)

    # ------------------------------------------------------------- evaluation
    def log_probability(self, assignment: Mapping[Hashable, int | str]) -> float:
        """``sum_k log p(x_k | pa_k)`` for a full assignment ``{variable: state}``.

        States are names or indices (:func:`pgm.evidence.state_index`).  A key that names
        no variable, or a variable left out, raises :class:`UnknownVariableError`; a value
        that is not a state raises :class:`EvidenceError`.

        Examples
        --------
        >>> bn = BayesianNetwork.from_cpds([
        ...     TabularCPD("rain", [0.8, 0.2], state_names={"rain": ["no", "yes"]})])
        >>> bn.probability({"rain": "yes"}) == bn.probability({"rain": 1})
        True
        """
        total = 0.0
        a = assignment_states(self, assignment)  # every value checked before any lookup
        indices = []
        for v in self.graph:
            cpd = self.get_cpd(v)
            for u in cpd.parents:
                if u not in a:
                    raise StructureMismatchError(
                        f"CPD of {v!r} has parent {u!r}, which is not in the network")
            idx = tuple(a[u] for u in cpd.scope)
            for u, i, c in zip(cpd.scope, idx, cpd.values.shape):
                if not 0 <= i < c:
                    raise CardinalityError(f"state {i} of {u!r} is outside the states 0..{c - 1} "
                                           f"that the CPD of {v!r} gives it")
            indices.append((cpd, idx))
        ps = [float(cpd.values[idx]) for cpd, idx in indices]
        for (cpd, idx), p in zip(indices, ps):
            if not (np.isfinite(p) and p >= 0):
                raise InvalidProbabilityError(
                    f"CPD of {cpd.variable!r} has an invalid entry {p!r} at "
                    f"{dict(zip(cpd.scope, idx))} (entries must be finite and non-negative)")
        for p in ps:
            if p <= 0:
                return -np.inf
            total += float(np.log(p))
        return total

    def probability(self, assignment: Mapping[Hashable, int]) -> float:
        """``prod_k p(x_k | pa_k)`` for a full assignment (see :meth:`log_probability`)."""
        return float(np.exp(self.log_probability(assignment)))

    # -------------------------------------------------------------- structure
    def structure_index(self) -> StructureIndex:
        """The graph's array index for fast queries, rebuilt only after the graph changes."""
        key = (id(self.graph), getattr(self.graph, "version", None))
        if self._index is None or self._index_key != key or key[1] is None:
            self._index = StructureIndex(self.graph)
            self._index_key = key
        return self._index

    def markov_blanket(self, variable: Hashable) -> frozenset:
        """Parents, children and the children's other parents of ``variable`` (memoized)."""
        self._check(variable)
        index = self.structure_index()
        mb = index._blankets.get(variable)
        if mb is None:
            mb = index.markov_blanket(variable)
        return mb

    def local_conditional(self, variable: Hashable, assignment: Mapping[Hashable, int]) -> np.ndarray:
        """``p(variable | Markov blanket)`` from its own CPD and its children's CPDs only.

        ``assignment`` gives the states (names or indices) of the Markov blanket (entries for
        other variables of the network are ignored; a key that names none raises
        :class:`UnknownVariableError`).
        """
        cpd = self.get_cpd(variable)
        state = assignment_states(self, assignment, full=False)
        logp = np.zeros(cpd.cardinality)
        for u in [variable, *self.graph.successors(variable)]:
            c = self.get_cpd(u)
            missing = [w for w in c.scope if w != variable and w not in state]
            if missing:
                raise UnknownVariableError(
                    f"assignment lacks {missing[0]!r}, in the Markov blanket of {variable!r}"
                )
            if variable not in c.scope:
                raise StructureMismatchError(
                    f"{u!r} is a child of {variable!r} in the graph, but its CPD has parents "
                    f"{list(c.parents)}")
            own = c.values.shape[c.scope.index(variable)]
            if own != cpd.cardinality:
                raise CardinalityError(f"CPD of {u!r} gives {variable!r} {own} states, but "
                                       f"{variable!r} has {cpd.cardinality}")
            f = c.to_factor(log=True).reduce({w: state[w] for w in c.scope if w != variable})
            logp += f.values
        return local_distribution(logp, variable)

    def simulate(self, n: int, evidence: Mapping[Hashable, int | str] | None = None,
                 method: str = "forward", seed=0, *, max_draws: int | None = None,
                 memory_budget: int | None = None):
        """``n`` samples of the network: a :class:`pgm.inference.sampling.SampleResult`.

        ``method`` is ``"forward"`` (ancestral sampling, no evidence), ``"rejection"``
        (forward samples that disagree with ``evidence`` are dropped; the acceptance rate
        is reported) or ``"weighted"`` (likelihood weighting: log-weights and the
        effective sample size).  Evidence states are names or indices.  The result's
        ``codes`` columns follow :attr:`nodes`; ``.to_frame()`` gives a pandas DataFrame.
        A thin convenience over :func:`pgm.inference.sampling.simulate`.

        Examples
        --------
        >>> bn = BayesianNetwork.from_cpds([TabularCPD("rain", [0.8, 0.2])])
        >>> bn.simulate(4, seed=0).codes.shape
        (4, 1)
        """
        from pgm.inference.sampling import simulate

        return simulate(self, n, evidence, method, seed, max_draws=max_draws,
                        memory_budget=memory_budget)

    # ------------------------------------------------------------ from data
    def fit(self, data, method: str = "mle", *, prior=None,
            equivalent_sample_size: float = 10.0, **options) -> BayesianNetwork:
        """A new network with this one's structure and CPDs fitted to ``data``.

        ``method`` is ``"mle"`` (maximum likelihood; parent configurations without data get
        uniform rows, with a warning naming them), ``"bayes"`` (Dirichlet posterior mean;
        ``prior="bdeu"`` with ``equivalent_sample_size``, ``"k2"``, a number or per-CPD
        pseudo-counts) or ``"em"`` (missing values, latent variables).  ``data`` is a
        pandas or Dask DataFrame, a code array or a CSV/Parquet path.  Other options go to
        :func:`pgm.learning.fit_parameters`, which returns the details (counts, EM history).

        Examples
        --------
        >>> import pandas as pd
        >>> bn = BayesianNetwork([("rain", "wet")])
        >>> df = pd.DataFrame({"rain": ["no", "yes", "no"], "wet": ["dry", "wet", "dry"]})
        >>> bn.fit(df).get_cpd("wet").values.tolist()
        [[1.0, 0.0], [0.0, 1.0]]
        """
        from pgm.learning.parameters import fit_parameters

        return fit_parameters(self, data, method=method, prior=prior,
                              equivalent_sample_size=equivalent_sample_size, **options).model

    def log_likelihood(self, data, *, per_row: bool = False, memory_budget: int | None = None):
        """Natural-log likelihood of ``data`` (total, or per row); missing values are
        summed out.  See :func:`pgm.learning.log_likelihood`."""
        from pgm.learning.prediction import log_likelihood

        return log_likelihood(self, data, per_row=per_row, memory_budget=memory_budget)

    def predict_proba(self, data, variables=None, *, memory_budget: int | None = None):
        """Posterior marginals of ``variables`` (default: those without a column) for every
        row of ``data``, each distinct row inferred once.  See
        :func:`pgm.learning.predict_proba`."""
        from pgm.learning.prediction import predict_proba

        return predict_proba(self, data, variables, memory_budget=memory_budget)

    def predict(self, data, variables=None, *, memory_budget: int | None = None):
        """The most probable state of each of ``variables`` for every row of ``data``.
        See :func:`pgm.learning.predict`."""
        from pgm.learning.prediction import predict

        return predict(self, data, variables, memory_budget=memory_budget)

    def do(self, intervention: Mapping[Hashable, int | str]) -> BayesianNetwork:
        """The mutilated network of ``do(intervention)`` (see :func:`pgm.causal.do`): arcs
        into each intervened variable cut, its CPD a point mass at the state given."""
        from pgm.causal import do

        return do(self, intervention)

    def d_separated(self, xs, ys, given=()) -> bool:
        """Set-to-set d-separation in linear time (Bayes ball, compiled on an array index)."""
        xs, ys, zs = query_sets(self.graph._node, xs, ys, given)
        return self.structure_index()._d_separated(xs, ys, zs)

    is_separated = d_separated

    def moral_graph(self) -> nx.Graph:
        """The moralized undirected graph."""
        return nx.moral_graph(self.graph)

    def plot(self, *, evidence: Mapping[Hashable, int | str] | None = None, query=None,
             layout="auto", ax=None, figsize: tuple[float, float] | None = None,
             title: str | None = None):
        """Draw the DAG (a matplotlib Figure); see :func:`pgm.plotting.plot_network`."""
        from pgm.plotting import plot_network

        return plot_network(self, evidence=evidence, query=query, layout=layout, ax=ax,
                            figsize=figsize, title=title)
