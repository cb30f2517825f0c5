"""Undirected discrete models: a set of variables and non-negative factors over them.

One method is a thin convenience over :mod:`pgm.inference`, imported lazily:
:meth:`FactorGraph.log_partition_function` hands models too large to enumerate to
variable elimination (``pgm.inference.variable_elimination.log_partition_function``).
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Iterable, Mapping, Sequence

import networkx as nx
import numpy as np

from pgm._config import ENUMERATION_LIMIT, memory_budget_bytes
from pgm._math import local_distribution, safe_log
from pgm.exceptions import (
    CardinalityError,
    EvidenceError,
    MemoryBudgetError,
    ModelError,
    QueryError,
    UnknownVariableError,
)
from pgm.factor import (
    Factor,
    check_cardinality,
    check_variable_name,
    factor_product,
    is_sequence,
)
from pgm.independence import IndependenceQueries, separated
from pgm.validation import check_flag

__all__ = ["FactorGraph", "assignment_states"]


def _is_index(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def assignment_states(model, assignment: Mapping, *, full: bool = True,
                      what: str = "assignment") -> dict:
    """``{variable: state index}`` from ``{variable: state}`` (state names or indices).

    The one reader of assignments of :class:`FactorGraph` and
    :class:`~pgm.BayesianNetwork`: a key that names no variable raises
    :class:`UnknownVariableError`, and so does a missing variable when ``full``; a value
    that is not a state of its variable raises :class:`EvidenceError` (through
    :func:`pgm.evidence.state_index`, which lists the valid states).

    Examples
    --------
    >>> fg = FactorGraph([Factor(["a"], [2], [1.0, 3.0])], state_names={"a": ["lo", "hi"]})
    >>> assignment_states(fg, {"a": "hi"}), assignment_states(fg, {"a": 0})
    ({'a': 1}, {'a': 0})
    """
    from pgm.evidence import model_variables, resolve_variable, state_index

    if not isinstance(assignment, Mapping):
        raise EvidenceError(f"an {what} must be a mapping {{variable: state}}, "
                            f"got {type(assignment).__name__}")
    variables = model_variables(model)
    known = set(variables)
    resolved: dict = {}
    for name, value in assignment.items():
        try:
            var = resolve_variable(model, name, known)
        except EvidenceError:
            raise UnknownVariableError(f"{what} names unknown variable {name!r}") from None
        if var in resolved:
            raise EvidenceError(f"{what} gives variable {var!r} twice")
        resolved[var] = value
    if full:
        for v in variables:
            if v not in resolved:
                raise UnknownVariableError(f"{what} lacks variable {v!r}")
    out = {}
    for v, value in resolved.items():
        if _is_index(value) and 0 <= value < model.cardinality(v):
            out[v] = int(value)  # the common case, without building the state names
        else:
            out[v] = state_index(model, v, value)
    return out


class FactorGraph(IndependenceQueries):
    """A Markov network in factor form: ``p(x) = (1/Z) prod_k phi_k(x_k)``.

    Factors may hold zeros (hard constraints) but no negative, NaN or infinite entries.

    Examples
    --------
    >>> fg = FactorGraph()
    >>> fg.add_factor(Factor(["a", "b"], [2, 2], [[2.0, 1.0], [1.0, 2.0]]))
    >>> round(fg.partition_function(), 6)
    6.0
    >>> sorted(fg.markov_blanket("a"))
    ['b']
    """

    def __init__(self, factors: Iterable[Factor] = (), *,
                 cardinalities: Mapping[Hashable, int] | None = None,
                 state_names: Mapping[Hashable, Sequence[str]] | None = None) -> None:
        self._card: dict[Hashable, int] = {}
        self._state_names: dict[Hashable, list[str]] = {}
        self._factors: list[Factor] = []
        self._incident: dict[Hashable, list[int]] = {}
        for arg, value in (("cardinalities", cardinalities), ("state_names", state_names)):
            if value is not None and not isinstance(value, Mapping):
                raise ModelError(f"{arg} must be a mapping {{variable: ...}}, "
                                 f"got {type(value).__name__}")
        if isinstance(factors, Factor) or not is_sequence(factors):
            raise ModelError(f"factors must be a sequence of Factor, got {type(factors).__name__}")
        for v, c in (cardinalities or {}).items():
            self.add_variable(v, c, (state_names or {}).get(v))
        for v, names in (state_names or {}).items():
            if v not in self._card:
                if not is_sequence(names):
                    raise ModelError(f"the state names of {v!r} must be a sequence of names, "
                                     f"got {names!r}")
                names = list(names)
                self.add_variable(v, len(names), names)
        for f in factors:
            self.add_factor(f)

    # ------------------------------------------------------------- building
    def add_variable(self, variable: Hashable, cardinality: int,
                     state_names: Sequence[str] | None = None) -> None:
        """Declare a variable with ``cardinality`` states (optionally named).

        ``cardinality`` is an integer ``>= 1`` (``2.5``, ``2.0``, ``True`` and NaN are
        refused with :class:`CardinalityError`); state names must be distinct.
        """
        check_variable_name(variable)
        cardinality = check_cardinality(variable, cardinality)
        old = self._card.get(variable)
        if old is not None and old != cardinality:
            raise CardinalityError(
                f"variable {variable!r} already has {old} states, not {cardinality}"
            )
        names = None
        if state_names is not None:
            if not is_sequence(state_names):
                raise ModelError(f"the state names of {variable!r} must be a sequence of names, "
                                 f"got {state_names!r}")
            names = [str(s) for s in state_names]
            if len(names) != cardinality:
                raise CardinalityError(
                    f"{len(names)} state names given for {variable!r}, which has {cardinality} states"
                )
            if len(set(names)) != len(names):
                raise ModelError(f"state names of {variable!r} are not distinct: {names}")
        self._card[variable] = cardinality
        self._incident.setdefault(variable, [])
        if names is not None:
            self._state_names[variable] = names

    def add_factor(self, factor: Factor) -> None:
        """Add a factor; unknown variables are declared with the factor's cardinalities."""
        if not isinstance(factor, Factor):
            raise ModelError(f"expected a Factor, got {type(factor).__name__}")
        for v in factor.variables:
            check_variable_name(v)
        for v, c in zip(factor.variables, factor.cardinalities):
            if v in self._card and self._card[v] != c:
                raise CardinalityError(
                    f"factor over {list(factor.variables)} gives {v!r} {c} states; "
                    f"the model has {self._card[v]}"
                )
        factor.validate(f"factor #{len(self._factors)} over {list(factor.variables)}")
        for v, c in zip(factor.variables, factor.cardinalities):
            self.add_variable(v, c)
        idx = len(self._factors)
        self._factors.append(factor)
        for v in factor.variables:
            self._incident[v].append(idx)

    def add_factors(self, *factors: Factor) -> None:
        """Add several factors."""
        for f in factors:
            self.add_factor(f)

    # ------------------------------------------------------------- accessors
    @property
    def variables(self) -> list[Hashable]:
        """Variables in insertion order."""
        return list(self._card)

    @property
    def factors(self) -> list[Factor]:
        """The factors (a copy of the list)."""
        return list(self._factors)

    @property
    def cardinalities(self) -> dict[Hashable, int]:
        """``{variable: number of states}``."""
        return dict(self._card)

    def cardinality(self, variable: Hashable) -> int:
        """Number of states of ``variable``."""
        self._check(variable)
        return self._card[variable]

    def state_names(self, variable: Hashable) -> list[str]:
        """State names of ``variable`` (``"0", "1", ...`` if none were given)."""
        self._check(variable)
        return list(self._state_names.get(variable, [str(i) for i in range(self._card[variable])]))

    def has_state_names(self, variable: Hashable) -> bool:
        """True if explicit state names were given for ``variable``."""
        return variable in self and variable in self._state_names

    def factors_of(self, variable: Hashable) -> list[Factor]:
        """The factors whose scope contains ``variable``."""
        self._check(variable)
        return [self._factors[i] for i in self._incident[variable]]

    def _check(self, variable: Hashable) -> None:
        if variable not in self:
            raise UnknownVariableError(f"variable {variable!r} is not in the factor graph")

    def __contains__(self, variable: Hashable) -> bool:
        try:
            return variable in self._card
        except TypeError:  # unhashable: not a variable
            return False

    def __repr__(self) -> str:
        return f"FactorGraph({len(self._card)} variables, {len(self._factors)} factors)"

    def copy(self) -> FactorGraph:
        """A copy sharing no tables."""
        return FactorGraph([f.copy() for f in self._factors], cardinalities=self._card,
                           state_names=self._state_names)

    # ------------------------------------------------------------- structure
    def markov_graph(self) -> nx.Graph:
        """The undirected graph linking variables that share a factor."""
        g = nx.Graph()
        g.add_nodes_from(self._card)
        for f in self._factors:
            g.add_edges_from(itertools.combinations(f.variables, 2))
        return g

    def markov_blanket(self, variable: Hashable) -> frozenset:
        """Variables that share a factor with ``variable``."""
        self._check(variable)
        out = set()
        for i in self._incident[variable]:
            out.update(self._factors[i].variables)
        out.discard(variable)
        return frozenset(out)

    def is_separated(self, xs, ys, given=()) -> bool:
        """Graph separation of ``xs`` and ``ys`` by ``given`` in the Markov graph."""
        return separated(self.markov_graph(), xs, ys, given)

    def plot(self, *, evidence: Mapping[Hashable, int | str] | None = None, query=None,
             layout="auto", ax=None, figsize: tuple[float, float] | None = None,
             title: str | None = None):
        """Draw the Markov graph (a matplotlib Figure); see :func:`pgm.plotting.plot_network`."""
        from pgm.plotting import plot_network

        return plot_network(self, evidence=evidence, query=query, layout=layout, ax=ax,
                            figsize=figsize, title=title)


    # ------------------------------------------------------------ evaluation
    def _assignment_index(self, assignment: Mapping[Hashable, int | str]) -> dict:
        """A full assignment as ``{variable: state index}`` (see :func:`assignment_states`)."""
        return assignment_states(self, assignment)

    def log_unnormalized(self, assignment: Mapping[Hashable, int | str]) -> float:
        """``sum_k log phi_k(x_k)`` for a full assignment (``-inf`` if some factor is zero).

        States are names or indices; an unknown or a missing variable raises
        :class:`UnknownVariableError` (see :func:`assignment_states`).
        """
        a = assignment_states(self, assignment)
        total = 0.0
        for f in self._factors:
            v = f.value(a)
            total += v if f.log else float(safe_log(v))
        return total

    def check_evidence(self, evidence: Mapping[Hashable, object] | None) -> dict:
        """Evidence as ``{variable: state index}`` (state names or indices; see
        :func:`pgm.evidence.normalize_evidence`, which raises :class:`EvidenceError`)."""
        from pgm.evidence import normalize_evidence

        return normalize_evidence(self, evidence)

    def joint(self, *, normalized: bool = True, log: bool = False,
              memory_budget: int | None = None) -> Factor:
        """The full joint table over all variables, by brute-force product (small models).

        Raises :class:`MemoryBudgetError` when the table would exceed the enumeration
        limit or the memory budget.
        """
        normalized = check_flag("normalized", normalized)
        log = check_flag("log", log)
        memory_budget_bytes(memory_budget)
        n = 1
        for c in self._card.values():
            n *= c
        if n > ENUMERATION_LIMIT:
            raise MemoryBudgetError(
                f"the joint over {len(self._card)} variables has {n} entries, over the "
                f"enumeration limit of {ENUMERATION_LIMIT}; use variable elimination"
            )
        factors = [f.to_log() for f in self._factors]
        # variables in no factor still belong to the joint (uniform)
        free = [v for v in self._card if not self._incident[v]]
        factors += [Factor([v], [self._card[v]], np.zeros(self._card[v]), log=True) for v in free]
        joint = factor_product(factors, memory_budget=memory_budget).transpose(self.variables) \
            if factors else Factor.constant(0.0, log=True)
        if normalized:
            joint = joint.normalize()
        return joint if log else joint.to_prob()

    def log_partition_function(self, *, method: str = "auto",
                               memory_budget: int | None = None) -> float:
        """``log Z``; ``method`` is ``"enumerate"``, ``"elimination"`` or ``"auto"``."""
        if not isinstance(method, str) or method not in ("auto", "enumerate", "elimination"):
            raise QueryError(f"unknown method {method!r}; use 'auto', 'enumerate' or 'elimination'")
        memory_budget_bytes(memory_budget)
        n = 1
        for c in self._card.values():
            n *= c
        if method == "enumerate" or (method == "auto" and n <= 2**16):
            return self.joint(normalized=False, log=True, memory_budget=memory_budget).total()
        from pgm.inference.variable_elimination import log_partition_function

        return log_partition_function(self, memory_budget=memory_budget)

    def partition_function(self, *, method: str = "auto", memory_budget: int | None = None) -> float:
        """``Z = exp(log Z)`` (arguments as :meth:`log_partition_function`)."""
        return float(np.exp(self.log_partition_function(method=method, memory_budget=memory_budget)))

    def local_conditional(self, variable: Hashable, assignment: Mapping[Hashable, int]) -> np.ndarray:
        """``p(variable | rest)`` from the factors that contain ``variable`` only.

        ``assignment`` must give the states of the Markov blanket (other entries are
        ignored; states are names or indices).  Raises :class:`EvidenceError` if every state
        has probability zero, :class:`UnknownVariableError` for a key that names no variable
        or a missing variable of the blanket.
        """
        self._check(variable)
        assignment = assignment_states(self, assignment, full=False)
        card = self._card[variable]
        logp = np.zeros(card)
        for f in self.factors_of(variable):
            others = {v: assignment[v] for v in f.variables if v != variable and v in assignment}
            missing = [v for v in f.variables if v != variable and v not in assignment]
            if missing:
                raise UnknownVariableError(
                    f"assignment lacks {missing[0]!r}, in the Markov blanket of {variable!r}"
                )
            red = f.to_log().reduce(others)
            logp += red.values
        return local_distribution(logp, variable)

