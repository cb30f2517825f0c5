"""Exact inference by variable elimination, in log space.

This module is the query API.  Everything here is built on one elimination engine
(:mod:`pgm.inference.elimination`): the factors of a model are reduced by the
evidence, pruned to what can matter for the query, and their variables are
eliminated one by one in a greedy order (:mod:`pgm.inference.orders`;
``heuristic="auto"``: min-fill, or for big models the cheapest of several greedy
orders and the model's own order).
At each step the factors that mention the variable are combined by NumPy
broadcasting (a sum of log tables, the variable on the first, slowest axis) and the
variable is summed out by a max-shifted log-sum-exp (or maxed out, for MAP), so
products of thousands of factors never underflow.  A big bucket whose factors'
dynamic range is moderate (under :data:`SAFE_LOG_RANGE` nats, where underflow is
impossible) is contracted instead by one :func:`numpy.einsum` of max-shifted
probability tables, which uses BLAS and never writes the full table.

Queries
-------
* :func:`log_partition_function` / :func:`probability_of_evidence`: ``log Z`` with
  or without evidence (``log P(e)`` for a Bayesian network).
* :func:`marginal`: the joint posterior of a set of variables, as a :class:`Factor`.
* :func:`marginals`: every single-variable posterior at once, by calibrating the
  bucket tree of one elimination (an upward and a downward pass, about two to
  three eliminations' worth of work however many variables are asked for).
* :func:`map_assignment`: the most probable assignment (MPE) by max-product with
  traceback, or marginal MAP over a subset of the variables.
* :class:`VariableElimination`: the same queries on one model, pgmpy-style
  (``VariableElimination(model).query(["X"], evidence={"Y": 1})``), caching the
  model's log tables between queries.

Pruning
-------
For a Bayesian network, only the ancestors of the query and evidence variables
matter (barren nodes sum to one); conditionals that do not sum to one (within
:data:`BARREN_ATOL`) are never pruned away.  After the evidence is applied, only
the connected components of the remaining interaction graph that contain a query
variable are eliminated (for a Bayesian network this drops exactly what is
d-separated from the query by the evidence).  The other components only scale
``Z``; they are still checked when they could make the evidence impossible.

Memory
------
The largest table of an elimination order is known before anything is allocated
(it is the largest clique of the triangulated graph,
:func:`~pgm.inference.elimination.plan_elimination`); when it would exceed the
memory budget (``memory_budget=`` bytes, default :data:`pgm._config.DEFAULT_MEMORY_BUDGET`
or ``$PGM_MEMORY_BUDGET``) a :class:`MemoryBudgetError` is raised at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from pgm.evidence import normalize_evidence
from pgm.exceptions import EvidenceError, QueryError, UnknownVariableError
from pgm.factor import Factor
from pgm.inference.elimination import (
    EliminationPlan,
    LogTable,
    calibrate,
    canonical,
    components,
    decode_assignment,
    eliminate,
    plan_elimination,
    positions,
    upward,
)
from pgm.inference.orders import (
    HEURISTICS,
    Variable,
    elimination_order,
    induced_width,
    max_table_size,
    order_for,
    space_of,
)
from pgm.results import Marginals, named_marginals

__all__ = [
    "HEURISTICS",
    "BARREN_ATOL",
    "elimination_order",
    "induced_width",
    "max_table_size",
    "eliminate",
    "EliminationPlan",
    "VariableElimination",
    "log_partition_function",
    "probability_of_evidence",
    "marginal",
    "marginals",
    "map_assignment",
]


#: A Bayesian-network node whose conditionals all sum to 1 within this tolerance may be
#: pruned as a barren node (summing it out gives 1); others are always kept.
BARREN_ATOL = 1e-6


# ============================================================ model preparation
class _Prepared:
    """A model's log tables, cached: one per CPD (Bayesian network) or factor."""

    def __init__(self, model: Any) -> None:
        from pgm.bayesian_network import BayesianNetwork
        from pgm.factor_graph import FactorGraph

        self.model = model
        if isinstance(model, BayesianNetwork):
            self.is_bn = True
            model.topological_order()  # CycleError on a cyclic graph
            fg = model.to_factor_graph()  # MissingCPDError, cardinality checks
            self.card = dict(fg.cardinalities)
            self.variables = list(model.nodes)
            self.pred = {v: list(model.graph.predecessors(v)) for v in self.variables}
            self.factors: list[LogTable] = []
            self.normalized: dict[Variable, bool] = {}
            for v in self.variables:
                cpd = model.get_cpd(v)
                f = cpd.to_factor(log=True)
                self.factors.append((tuple(f.variables), f.values))
                dev = np.abs(cpd.conditional_sums() - 1.0)
                self.normalized[v] = bool(dev.size == 0 or dev.max() <= BARREN_ATOL)
            self._names = fg
        elif isinstance(model, FactorGraph):
            self.is_bn = False
            self.card = dict(model.cardinalities)
            self.variables = list(model.variables)
            self.factors = []
            seen: set = set()
            for f in model.factors:
                g = f.to_log()
                self.factors.append((tuple(g.variables), np.asarray(g.values, dtype=float)))
                seen.update(g.variables)
            for v in self.variables:  # a variable in no factor counts as a uniform factor
                if v not in seen:
                    self.factors.append(((v,), np.zeros(self.card[v])))
            self._names = model
        else:
            raise TypeError(f"expected a BayesianNetwork or FactorGraph, got {type(model).__name__}")

    # ---------------------------------------------------------------- inputs
    def state_names(self, v: Variable) -> list[str]:
        return self._names.state_names(v)

    def has_state_names(self, v: Variable) -> bool:
        return self._names.has_state_names(v)

    def evidence(self, evidence: Mapping[Variable, Any] | None) -> dict[Variable, int]:
        """Evidence as ``{variable: state index}`` (state names or indices, see :mod:`pgm.evidence`)."""
        return normalize_evidence(self._names, evidence)

    def query_variables(self, variables: Any, what: str = "query") -> list[Variable]:
        if variables is None:
            return list(self.variables)
        if isinstance(variables, (str, bytes)) or not isinstance(variables, Iterable):
            variables = [variables]
        out = list(variables)
        if len(set(out)) != len(out):
            raise QueryError(f"{what} variables repeat: {out}")
        for v in out:
            if v not in self.card:
                raise UnknownVariableError(f"{what} variable {v!r} is not in the model")
        return out

    # ---------------------------------------------------------------- pruning
    def relevant(self, query: Iterable[Variable], ev: Mapping[Variable, int], *,
                 prune: bool) -> list[LogTable]:
        """Log tables that matter for ``query`` given ``ev``, reduced by the evidence.

        For a Bayesian network with ``prune``, the tables of the ancestral set of the
        query, the evidence and any non-normalized CPD (barren-node removal).
        """
        if self.is_bn and prune:
            keep: set = set()
            stack = [*query, *ev, *(v for v, ok in self.normalized.items() if not ok)]
            while stack:
                n = stack.pop()
                if n not in keep:
                    keep.add(n)
                    stack.extend(self.pred[n])
            tables = [f for v, f in zip(self.variables, self.factors) if v in keep]
        else:
            tables = self.factors
        out = []
        for vs, a in tables:
            if ev and any(v in ev for v in vs):
                idx = tuple(ev[v] if v in ev else slice(None) for v in vs)
                a = a[idx]
                vs = tuple(v for v in vs if v not in ev)
            out.append((vs, a))
        return out



def _zero_message(ev: Mapping[Variable, int], what: str = "the evidence") -> str:
    if ev:
        shown = ", ".join(f"{v}={s}" for v, s in list(ev.items())[:8])
        more = f" (and {len(ev) - 8} more)" if len(ev) > 8 else ""
        return f"{what} {{{shown}}}{more} has probability zero under the model"
    return "the model gives every configuration probability zero (Z = 0)"



# ================================================================= the class
class VariableElimination:
    """Exact inference on one model by variable elimination (pgmpy-style interface).

    The model's tables are converted to log space once and reused by every query.

    Parameters
    ----------
    model : BayesianNetwork or FactorGraph
        The model; a Bayesian network is handled through its factors (one per CPD)
        and its graph (for barren-node pruning).
    heuristic : str, default "auto"
        Elimination heuristic, one of :data:`HEURISTICS` (``"auto"``: the cheapest of
        several orders when the model is large, see :func:`elimination_order`).
    memory_budget : int, optional
        Largest table in bytes (default ``$PGM_MEMORY_BUDGET`` or 4 GiB).
    prune : bool, default True
        Drop what cannot change the answer (barren nodes, components without a query
        variable).  ``False`` eliminates the whole model every time.

    Examples
    --------
    >>> from pgm import BayesianNetwork, TabularCPD
    >>> bn = BayesianNetwork.from_cpds([
    ...     TabularCPD("rain", [0.8, 0.2]),
    ...     TabularCPD("wet", [[0.9, 0.1], [0.2, 0.8]], parents=["rain"]),
    ... ])
    >>> ve = VariableElimination(bn)
    >>> ve.query(["rain"], evidence={"wet": 1}).values.round(4).tolist()
    [0.3333, 0.6667]
    >>> ve.map_query(evidence={"wet": 1})  # P(rain, wet=1) = 0.08 (no), 0.16 (yes)
    {'rain': 1}
    >>> round(ve.probability_of_evidence({"wet": 1}), 6)
    0.24
    """

    def __init__(self, model: Any, *, heuristic: str = "auto",
                 memory_budget: int | None = None, prune: bool = True) -> None:
        if heuristic not in HEURISTICS:
            raise QueryError(f"unknown elimination heuristic {heuristic!r}; use one of {HEURISTICS}")
        self.model = model
        self.heuristic = heuristic
        self.memory_budget = memory_budget
        self.prune = prune
        self._p = _Prepared(model)

    def __repr__(self) -> str:
        return f"VariableElimination({self.model!r}, heuristic={self.heuristic!r})"

    @property
    def variables(self) -> list[Variable]:
        """The model's variables."""
        return list(self._p.variables)

    def _opts(self, heuristic: str | None, memory_budget: int | None, prune: bool | None):
        return (heuristic or self.heuristic,
                self.memory_budget if memory_budget is None else memory_budget,
                self.prune if prune is None else prune)

    # ------------------------------------------------------------ partition
    def _log_z(self, ev: dict, order, heuristic, budget, what) -> float:
        p = self._p
        factors = p.relevant((), ev, prune=self.prune)
        elim = order_for(factors, p.card, [space_of(factors)], order, heuristic, budget)
        plan_elimination(factors, p.card, elim, (), budget, what)
        pos = positions(elim, ())
        up = upward(canonical(factors, pos), elim, pos, p.card)
        return up.const

    def log_partition_function(self, evidence: Mapping[Variable, Any] | None = None, *,
                               order: Sequence[Variable] | None = None,
                               heuristic: str | None = None,
                               memory_budget: int | None = None) -> float:
        """Natural log of ``Z`` with the evidence applied (``log P(e)`` for a normalized BN).

        Raises :class:`EvidenceError` when it is ``-inf`` (impossible evidence).
        """
        heuristic, budget, _ = self._opts(heuristic, memory_budget, None)
        ev = self._p.evidence(evidence)
        logz = self._log_z(ev, order, heuristic, budget, "log partition function")
        if not np.isfinite(logz):
            raise EvidenceError(_zero_message(ev))
        return logz

    def probability_of_evidence(self, evidence: Mapping[Variable, Any], *, log: bool = False,
                                order: Sequence[Variable] | None = None,
                                heuristic: str | None = None,
                                memory_budget: int | None = None) -> float:
        """``P(e) = Z(e) / Z`` (natural log with ``log=True``).

        For a Bayesian network with normalized CPDs ``Z = 1`` is found at once
        (every node is barren when nothing is observed).  Unlike
        :meth:`log_partition_function`, impossible evidence gives ``0`` (``-inf``).
        """
        heuristic, budget, _ = self._opts(heuristic, memory_budget, None)
        ev = self._p.evidence(evidence)
        log_ze = self._log_z(ev, order, heuristic, budget, "probability of evidence")
        log_z = self._log_z({}, order, heuristic, budget, "probability of evidence")
        if not np.isfinite(log_z):
            raise EvidenceError(_zero_message({}))
        value = log_ze - log_z if np.isfinite(log_ze) else -np.inf
        return float(value) if log else float(np.exp(value))

    # ------------------------------------------------------------- marginals
    def _focus(self, query: Sequence[Variable], ev: dict, prune: bool,
               budget, heuristic, order) -> list[LogTable]:
        """Relevant tables for a posterior query; checks the dropped components for P(e)=0."""
        p = self._p
        factors = p.relevant(query, ev, prune=prune)
        if not prune:
            return factors
        qset = set(query)
        kept: list[LogTable] = []
        for comp_vars, comp in components(factors):
            if comp_vars & qset:
                kept.extend(comp)
            elif any(np.isneginf(a).any() for _, a in comp):
                # a dropped component with zeros could make the evidence impossible
                elim = order_for(comp, p.card, [list(comp_vars)], order, heuristic, budget)
                plan_elimination(comp, p.card, elim, (), budget, "checking the evidence")
                pos = positions(elim, ())
                if not np.isfinite(upward(canonical(comp, pos), elim, pos, p.card).const):
                    raise EvidenceError(_zero_message(ev))
        return kept

    def marginal(self, variables: Sequence[Variable] | Variable,
                 evidence: Mapping[Variable, Any] | None = None, *,
                 order: Sequence[Variable] | None = None, heuristic: str | None = None,
                 memory_budget: int | None = None, prune: bool | None = None) -> Factor:
        """Joint posterior ``P(variables | evidence)`` as a normalized :class:`Factor`.

        The factor's axes follow ``variables``; an observed variable gets a point mass.
        """
        heuristic, budget, prune = self._opts(heuristic, memory_budget, prune)
        p = self._p
        query = p.query_variables(variables)
        ev = p.evidence(evidence)
        free = [v for v in query if v not in ev]
        factors = self._focus(free, ev, prune, budget, heuristic, order)
        fset = set(free)
        elim = order_for(factors, p.card, [[v for v in space_of(factors) if v not in fset]],
                          order, heuristic, budget)
        plan_elimination(factors, p.card, elim, free, budget, "marginal")
        pos = positions(elim, free)
        up = upward(canonical(factors, pos), elim, pos, p.card)
        logt = np.zeros([p.card[v] for v in free])
        for vs, a in up.rest:
            sh = [p.card[v] if v in vs else 1 for v in free]
            perm = [vs.index(v) for v in free if v in vs]
            logt = logt + np.transpose(a, perm).reshape(sh)
        logt = logt + up.const
        top = logt.max() if logt.size else -np.inf
        if not np.isfinite(top):
            raise EvidenceError(_zero_message(ev))
        probs = np.exp(logt - top)
        probs /= probs.sum()
        # put the observed query variables back as point masses, in the caller's order
        for v in query:
            if v in ev:
                onehot = np.zeros(p.card[v])
                onehot[ev[v]] = 1.0
                probs = np.multiply.outer(probs, onehot)
        current = [v for v in query if v not in ev] + [v for v in query if v in ev]
        perm = [current.index(v) for v in query]
        probs = np.transpose(probs, perm) if perm != list(range(len(perm))) else probs
        return Factor(query, [p.card[v] for v in query], np.ascontiguousarray(probs))

    def marginals(self, variables: Iterable[Variable] | None = None,
                  evidence: Mapping[Variable, Any] | None = None, *,
                  order: Sequence[Variable] | None = None, heuristic: str | None = None,
                  memory_budget: int | None = None,
                  prune: bool | None = None) -> Marginals:
        """Every single-variable posterior ``P(X | evidence)`` (default: all variables), as
        :class:`~pgm.results.Marginals` (a dict of arrays that knows the state names).

        One upward and one downward pass over the bucket tree of one elimination
        order, so asking for all variables costs two to three eliminations, not one
        per variable.  Observed variables get point masses.
        """
        heuristic, budget, prune = self._opts(heuristic, memory_budget, prune)
        p = self._p
        query = p.query_variables(variables)
        ev = p.evidence(evidence)
        free = [v for v in query if v not in ev]
        out: dict[Variable, np.ndarray] = {}
        factors = self._focus(free, ev, prune, budget, heuristic, order)  # checks P(e) > 0
        if not free and not prune and not np.isfinite(
                self._log_z(ev, order, heuristic, budget, "marginals")):
            raise EvidenceError(_zero_message(ev))
        if free:
            elim = order_for(factors, p.card, [space_of(factors)], order, heuristic, budget)
            plan_elimination(factors, p.card, elim, (), budget, "marginals", store=True)
            pos = positions(elim, ())
            up = upward(canonical(factors, pos), elim, pos, p.card, record=True)
            if not np.isfinite(up.const):
                raise EvidenceError(_zero_message(ev))
            out = calibrate(up, elim, pos, p.card, set(free))
        result: dict[Variable, np.ndarray] = {}
        for v in query:
            if v in ev:
                onehot = np.zeros(p.card[v])
                onehot[ev[v]] = 1.0
                result[v] = onehot
            else:
                result[v] = out[v]
        return named_marginals(self.model, result)

    # ------------------------------------------------------------------- MAP
    def map_assignment(self, evidence: Mapping[Variable, Any] | None = None, *,
                       variables: Iterable[Variable] | None = None,
                       order: Sequence[Variable] | None = None, heuristic: str | None = None,
                       memory_budget: int | None = None) -> tuple[dict[Variable, int], float]:
        """Most probable assignment and its natural-log value.

        Without ``variables``: the MPE, ``argmax_x log p~(x, e)`` over every unobserved
        variable; the assignment includes the evidence and its value is the
        unnormalized log-probability of that full assignment (``log P(x, e)`` for a
        Bayesian network).  With ``variables``: marginal MAP, ``argmax_q log
        sum_rest p~(q, rest, e)`` (the other variables are summed out first); the
        assignment then holds ``variables`` only.  Ties are broken towards lower states.
        """
        heuristic, budget, prune = self._opts(heuristic, memory_budget, None)
        p = self._p
        ev = p.evidence(evidence)
        if variables is None:
            factors = p.relevant(p.variables, ev, prune=False)
            space = space_of(factors)
            elim = order_for(factors, p.card, [space], order, heuristic, budget)
            plan_elimination(factors, p.card, elim, (), budget, "MAP", store=True)
            pos = positions(elim, ())
            up = upward(canonical(factors, pos), elim, pos, p.card, operation="max",
                         record=True)
            if not np.isfinite(up.const):
                raise EvidenceError(_zero_message(ev))
            assignment = decode_assignment(up, elim, ev)
            for v in p.variables:  # variables in no table (cannot happen after conversion)
                assignment.setdefault(v, 0)
            return {v: assignment[v] for v in p.variables}, float(up.const)
        targets = [v for v in p.query_variables(variables, "MAP") if v not in ev]
        factors = p.relevant(targets, ev, prune=prune)
        space = space_of(factors)
        tset = set(targets)
        sum_vars = [v for v in space if v not in tset]
        elim = order_for(factors, p.card, [sum_vars, targets], order, heuristic, budget)
        plan_elimination(factors, p.card, elim, (), budget, "marginal MAP", store=True)
        pos = positions(elim, ())
        n_sum = len(sum_vars)
        can = canonical(factors, pos)
        up1 = upward(can, elim[:n_sum], pos, p.card)
        up2 = upward(up1.rest, elim[n_sum:], pos, p.card, operation="max", record=True)
        value = up1.const + up2.const
        if not np.isfinite(value):
            raise EvidenceError(_zero_message(ev))
        assignment = decode_assignment(up2, elim[n_sum:], {})
        full = {v: assignment.get(v, 0) for v in targets}
        for v in p.query_variables(variables, "MAP"):
            if v in ev:
                full[v] = ev[v]
        return {v: full[v] for v in p.query_variables(variables, "MAP")}, float(value)

    # ------------------------------------------------------- pgmpy-like API
    def query(self, variables: Sequence[Variable] | Variable,
              evidence: Mapping[Variable, Any] | None = None, *, joint: bool = True,
              elimination_order: Sequence[Variable] | str | None = None,
              show_progress: bool = False) -> Factor | dict[Variable, Factor]:
        """Posterior of ``variables`` given ``evidence`` (pgmpy's ``query``).

        With ``joint=True`` one :class:`Factor` over all of them; else a dict of
        single-variable factors (computed together by :meth:`marginals`).
        ``evidence`` values may be state names or indices; ``elimination_order`` is
        a heuristic name or an explicit order.  ``show_progress`` is accepted for
        compatibility and ignored.
        """
        order, heuristic = _order_arg(elimination_order)
        if joint:
            return self.marginal(variables, evidence, order=order, heuristic=heuristic)
        query = self._p.query_variables(variables)
        margs = self.marginals(query, evidence, order=order, heuristic=heuristic)
        return {v: Factor([v], [len(m)], m) for v, m in margs.items()}

    def map_query(self, variables: Iterable[Variable] | None = None,
                  evidence: Mapping[Variable, Any] | None = None, *,
                  elimination_order: Sequence[Variable] | str | None = None,
                  show_progress: bool = False) -> dict[Variable, Any]:
        """MAP assignment as ``{variable: state}`` (pgmpy's ``map_query``).

        States are state names for variables that have them, else indices.  Without
        ``variables`` the unobserved variables' MPE is returned (evidence left out,
        like pgmpy); with ``variables``, their marginal MAP.
        """
        order, heuristic = _order_arg(elimination_order)
        assignment, _ = self.map_assignment(evidence, variables=variables, order=order,
                                            heuristic=heuristic)
        ev = self._p.evidence(evidence)
        out: dict[Variable, Any] = {}
        for v, s in assignment.items():
            if variables is None and v in ev:
                continue
            out[v] = self._p.state_names(v)[s] if self._p.has_state_names(v) else s
        return out

    def plan(self, variables: Iterable[Variable] | None = None,
             evidence: Mapping[Variable, Any] | None = None, *,
             order: Sequence[Variable] | None = None, heuristic: str | None = None,
             prune: bool | None = None) -> EliminationPlan:
        """The elimination plan (order, induced width, table sizes) of a query, without running it.

        ``variables=None`` plans the partition function (with the evidence); a list
        plans :meth:`marginals` of those variables.  Never raises
        :class:`MemoryBudgetError`.
        """
        heuristic, _, prune = self._opts(heuristic, None, prune)
        p = self._p
        ev = p.evidence(evidence)
        if variables is None:
            factors = p.relevant((), ev, prune=prune)
        else:
            free = [v for v in p.query_variables(variables) if v not in ev]
            factors = p.relevant(free, ev, prune=prune)
            if prune:
                qset = set(free)
                factors = [f for cv, comp in components(factors) if cv & qset for f in comp]
        elim = order_for(factors, p.card, [list(space_of(factors))], order, heuristic)
        return plan_elimination(factors, p.card, elim, (), 2**62, "plan")


def _order_arg(elimination_order) -> tuple[Sequence[Variable] | None, str | None]:
    if elimination_order is None:
        return None, None
    if isinstance(elimination_order, str):
        name = elimination_order.lower().replace("_", "-")
        aliases = {"minfill": "min-fill", "weightedminfill": "weighted-min-fill",
                   "mindegree": "min-degree", "minweight": "min-weight", "greedy": "min-fill"}
        name = aliases.get(name.replace("-", ""), name)
        if name not in HEURISTICS:
            raise QueryError(f"unknown elimination order {elimination_order!r}; use one of "
                             f"{HEURISTICS} or a list of variables")
        return None, name
    return list(elimination_order), None


# ========================================================= functional interface
def _engine(model: Any, heuristic: str, memory_budget: int | None,
            prune: bool = True) -> VariableElimination:
    if isinstance(model, VariableElimination):
        return model
    return VariableElimination(model, heuristic=heuristic, memory_budget=memory_budget,
                               prune=prune)


def log_partition_function(model: Any, evidence: Mapping[Variable, Any] | None = None, *,
                           order: Sequence[Variable] | None = None,
                           heuristic: str = "auto",
                           memory_budget: int | None = None, prune: bool = True) -> float:
    """Natural log of ``Z``: of the sum over the unobserved variables of the product of factors.

    For a Bayesian network with evidence this is ``log P(evidence)``.

    Parameters
    ----------
    model : BayesianNetwork, FactorGraph or VariableElimination
    evidence : mapping, optional
        ``{variable: state}`` (index, or state name).
    order : sequence, optional
        An explicit elimination order (must contain every relevant variable).
    heuristic : str
        Elimination heuristic when ``order`` is not given (see :data:`HEURISTICS`).
    memory_budget : int, optional
        Bytes; :class:`MemoryBudgetError` is raised before allocating a larger table.
    prune : bool
        Barren-node removal for Bayesian networks.

    Raises
    ------
    EvidenceError
        When the evidence has probability zero (``Z = 0``) or is malformed.

    Examples
    --------
    >>> from pgm import FactorGraph, Factor
    >>> fg = FactorGraph([Factor(["a", "b"], [2, 2], [[1.0, 2.0], [3.0, 4.0]])])
    >>> round(float(np.exp(log_partition_function(fg))), 9)
    10.0
    >>> round(float(np.exp(log_partition_function(fg, {"a": 1}))), 9)
    7.0
    """
    return _engine(model, heuristic, memory_budget, prune).log_partition_function(
        evidence, order=order, heuristic=heuristic, memory_budget=memory_budget)


def probability_of_evidence(model: Any, evidence: Mapping[Variable, Any], *, log: bool = False,
                            heuristic: str = "auto", memory_budget: int | None = None) -> float:
    """``P(evidence) = Z(evidence) / Z`` (its natural log with ``log=True``).

    Examples
    --------
    >>> from pgm import FactorGraph, Factor
    >>> fg = FactorGraph([Factor(["a", "b"], [2, 2], [[1.0, 2.0], [3.0, 4.0]])])
    >>> round(probability_of_evidence(fg, {"a": 1}), 9)
    0.7
    """
    return _engine(model, heuristic, memory_budget).probability_of_evidence(
        evidence, log=log, heuristic=heuristic, memory_budget=memory_budget)


def marginal(model: Any, variables: Sequence[Variable] | Variable,
             evidence: Mapping[Variable, Any] | None = None, *,
             order: Sequence[Variable] | None = None, heuristic: str = "auto",
             memory_budget: int | None = None, prune: bool = True) -> Factor:
    """Joint posterior ``P(variables | evidence)`` as a normalized probability :class:`Factor`.

    Examples
    --------
    >>> from pgm import FactorGraph, Factor
    >>> fg = FactorGraph([Factor(["a", "b"], [2, 2], [[1.0, 2.0], [3.0, 4.0]])])
    >>> marginal(fg, ["b"]).values.round(12).tolist()
    [0.4, 0.6]
    >>> marginal(fg, ["b", "a"], {"a": 0}).values.round(4).tolist()
    [[0.3333, 0.0], [0.6667, 0.0]]
    """
    return _engine(model, heuristic, memory_budget, prune).marginal(
        variables, evidence, order=order, heuristic=heuristic, memory_budget=memory_budget)


def marginals(model: Any, variables: Iterable[Variable] | None = None,
              evidence: Mapping[Variable, Any] | None = None, *,
              order: Sequence[Variable] | None = None, heuristic: str = "auto",
              memory_budget: int | None = None, prune: bool = True) -> dict[Variable, np.ndarray]:
    """``{X: P(X | evidence)}`` for each variable (default: all), from one calibration.

    Examples
    --------
    >>> from pgm import FactorGraph, Factor
    >>> fg = FactorGraph([Factor(["a", "b"], [2, 2], [[1.0, 2.0], [3.0, 4.0]])])
    >>> {v: p.round(2).tolist() for v, p in marginals(fg).items()}
    {'a': [0.3, 0.7], 'b': [0.4, 0.6]}
    """
    return _engine(model, heuristic, memory_budget, prune).marginals(
        variables, evidence, order=order, heuristic=heuristic, memory_budget=memory_budget)


def map_assignment(model: Any, evidence: Mapping[Variable, Any] | None = None, *,
                   variables: Iterable[Variable] | None = None,
                   order: Sequence[Variable] | None = None, heuristic: str = "auto",
                   memory_budget: int | None = None) -> tuple[dict[Variable, int], float]:
    """MPE (or, with ``variables``, marginal MAP) assignment and its natural-log value.

    Examples
    --------
    >>> from pgm import FactorGraph, Factor
    >>> fg = FactorGraph([Factor(["a", "b"], [2, 2], [[1.0, 2.0], [3.0, 4.0]])])
    >>> x, value = map_assignment(fg)
    >>> x, round(float(np.exp(value)), 9)
    ({'a': 1, 'b': 1}, 4.0)
    >>> map_assignment(fg, {"b": 0})[0]
    {'a': 1, 'b': 0}
    """
    return _engine(model, heuristic, memory_budget).map_assignment(
        evidence, variables=variables, order=order, heuristic=heuristic,
        memory_budget=memory_budget)

