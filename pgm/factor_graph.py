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

from pgm._config import ENUMERATION_LIMIT
from pgm._math import local_distribution, safe_log
from pgm.exceptions import (
    CardinalityError,
    EvidenceError,
    MemoryBudgetError,
    QueryError,
    UnknownVariableError,
)
from pgm.factor import Factor, factor_product
from pgm.independence import independence_gap, separated

__all__ = ["FactorGraph"]


class FactorGraph:
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
        for v, c in (cardinalities or {}).items():
            self.add_variable(v, c, (state_names or {}).get(v))
        for v, names in (state_names or {}).items():
            if v not in self._card:
                self.add_variable(v, len(names), names)
        for f in factors:
            self.add_factor(f)

    # ------------------------------------------------------------- building
    def add_variable(self, variable: Hashable, cardinality: int,
                     state_names: Sequence[str] | None = None) -> None:
        """Declare a variable with ``cardinality`` states (optionally named)."""
        cardinality = int(cardinality)
        if cardinality < 1:
            raise CardinalityError(f"variable {variable!r} has cardinality {cardinality}")
        old = self._card.get(variable)
        if old is not None and old != cardinality:
            raise CardinalityError(
                f"variable {variable!r} already has {old} states, not {cardinality}"
            )
        names = None
        if state_names is not None:
            names = [str(s) for s in state_names]
            if len(names) != cardinality:
                raise CardinalityError(
                    f"{len(names)} state names given for {variable!r}, which has {cardinality} states"
                )
        self._card[variable] = cardinality
        self._incident.setdefault(variable, [])
        if names is not None:
            self._state_names[variable] = names

    def add_factor(self, factor: Factor) -> None:
        """Add a factor; unknown variables are declared with the factor's cardinalities."""
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
        return variable in self._state_names

    def factors_of(self, variable: Hashable) -> list[Factor]:
        """The factors whose scope contains ``variable``."""
        self._check(variable)
        return [self._factors[i] for i in self._incident[variable]]

    def _check(self, variable: Hashable) -> None:
        if variable not in self._card:
            raise UnknownVariableError(f"variable {variable!r} is not in the factor graph")

    def __contains__(self, variable: Hashable) -> bool:
        return variable in self._card

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

    def is_independent(self, xs, ys, given=(), *, numeric: bool = False,
                       atol: float = 1e-9) -> bool:
        """Structural (graph separation) or, with ``numeric=True``, numerical independence."""
        if numeric:
            return self.independence_gap(xs, ys, given) <= atol
        return self.is_separated(xs, ys, given)

    def independence_gap(self, xs, ys, given=()) -> float:
        """``max |P(x,y|z) - P(x|z)P(y|z)|`` from the exact joint (small models)."""
        return independence_gap(self.joint(), xs, ys, given)

    # ------------------------------------------------------------ evaluation
    def _assignment_index(self, assignment: Mapping[Hashable, int]) -> dict:
        out = {}
        for v in self._card:
            if v not in assignment:
                raise UnknownVariableError(f"assignment lacks variable {v!r}")
            val = assignment[v]
            if not 0 <= int(val) < self._card[v]:
                raise EvidenceError(
                    f"value {val} of {v!r} is outside its states 0..{self._card[v] - 1}"
                )
            out[v] = int(val)
        for v in assignment:
            if v not in self._card:
                raise UnknownVariableError(f"assignment names unknown variable {v!r}")
        return out

    def log_unnormalized(self, assignment: Mapping[Hashable, int]) -> float:
        """``sum_k log phi_k(x_k)`` for a full assignment (``-inf`` if some factor is zero)."""
        a = self._assignment_index(assignment)
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
        n = 1
        for c in self._card.values():
            n *= c
        if method == "enumerate" or (method == "auto" and n <= 2**16):
            return self.joint(normalized=False, log=True, memory_budget=memory_budget).total()
        if method not in ("auto", "elimination"):
            raise QueryError(f"unknown method {method!r}; use 'auto', 'enumerate' or 'elimination'")
        from pgm.inference.variable_elimination import log_partition_function

        return log_partition_function(self, memory_budget=memory_budget)

    def partition_function(self, **kwargs) -> float:
        """``Z = exp(log Z)``."""
        return float(np.exp(self.log_partition_function(**kwargs)))

    def local_conditional(self, variable: Hashable, assignment: Mapping[Hashable, int]) -> np.ndarray:
        """``p(variable | rest)`` from the factors that contain ``variable`` only.

        ``assignment`` must give the states of the Markov blanket (other entries are
        ignored).  Raises :class:`EvidenceError` if every state has probability zero.
        """
        self._check(variable)
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

