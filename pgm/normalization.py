"""Exact normalization check of a discrete model (seed Problem 2).

The total probability ``sum_x prod_k p(x_k | pa_k)`` is computed *without assuming*
the CPDs are normalized: by brute-force enumeration on small models, and by summing
variables out with variable elimination on larger ones (Problem 2's proof sums them
out in reverse topological order; any elimination order gives the same total, and
a min-fill order keeps the tables small).

The elimination path is a thin convenience over :mod:`pgm.inference`, imported
lazily (``pgm.inference.variable_elimination.log_partition_function``), so
``import pgm`` stays light.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from pgm._config import ENUMERATION_LIMIT, memory_budget_bytes
from pgm.exceptions import ArgumentTypeError, QueryError
from pgm.validation import check_float

__all__ = ["CPDProblem", "NormalizationReport", "check_normalization"]


@dataclass
class CPDProblem:
    """One conditional distribution that is not a distribution.

    Attributes
    ----------
    variable : the child variable of the CPD.
    kind : ``"sum"`` (a conditional does not sum to 1) or ``"invalid"`` (negative,
        NaN or infinite entry).
    parent_assignment : ``{parent: state}`` of the worst conditional.
    value : the worst conditional's sum (``kind="sum"``) or the bad entry.
    deviation : ``|sum - 1|`` of the worst conditional (``inf`` for invalid entries).
    rows : how many conditionals of this CPD are off.
    """

    variable: Hashable
    kind: str
    parent_assignment: dict
    value: float
    deviation: float
    rows: int

    @property
    def message(self) -> str:
        given = ", ".join(f"{k}={v}" for k, v in self.parent_assignment.items())
        given = f" given {given}" if given else ""
        if self.kind == "invalid":
            return f"CPD of {self.variable!r} has an invalid entry {self.value!r}{given}"
        return (f"the conditional of {self.variable!r}{given} sums to {self.value!r} "
                f"({self.rows} conditional(s) of this CPD are off)")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["variable"] = str(self.variable)
        d["parent_assignment"] = {str(k): v for k, v in self.parent_assignment.items()}
        d["message"] = self.message
        for k in ("value", "deviation"):
            if not np.isfinite(d[k]):
                d[k] = str(d[k])
        return d


@dataclass
class NormalizationReport:
    """Result of :func:`check_normalization`.

    ``ok`` is True when the total probability is 1 within ``atol`` *and* every
    conditional sums to 1 within ``atol`` (a wrong conditional can hide behind a
    parent configuration of probability zero, so both are checked).
    ``problems`` is sorted worst first; ``worst`` is its first element or None.
    """

    total_probability: float
    ok: bool
    problems: list[CPDProblem] = field(default_factory=list)
    method: str = "enumerate"
    atol: float = 1e-9

    @property
    def worst(self) -> CPDProblem | None:
        return self.problems[0] if self.problems else None

    def __bool__(self) -> bool:
        return self.ok

    def to_dict(self) -> dict[str, Any]:
        tot = self.total_probability
        return {
            "ok": self.ok,
            "total_probability": tot if np.isfinite(tot) else str(tot),
            "problems": [p.to_dict() for p in self.problems],
            "method": self.method,
            "atol": self.atol,
        }

    def summary(self) -> str:
        """A short human-readable account."""
        head = (f"total probability {self.total_probability:.15g} "
                f"({'normalized' if self.ok else 'NOT normalized'}, method {self.method})")
        return "\n".join([head, *(f"  - {p.message}" for p in self.problems)])


def _cpd_problems(bn, atol: float) -> list[CPDProblem]:
    problems = []
    for v in bn.graph:
        cpd = bn.get_cpd(v)
        vals = cpd.values
        bad = ~np.isfinite(vals) | (vals < 0)
        names = {p: bn.state_names(p) if p in bn else None for p in cpd.parents}

        def assignment(idx, cpd=cpd, names=names):
            return {p: (names[p][i] if names[p] else int(i)) for p, i in zip(cpd.parents, idx)}

        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            problems.append(CPDProblem(v, "invalid", assignment(idx[:-1]), float(vals[idx]),
                                       float("inf"), int(bad.any(axis=-1).sum())))
            continue
        sums = cpd.conditional_sums()
        dev = np.abs(sums - 1.0)
        off = dev > atol
        if off.any():
            idx = np.unravel_index(int(np.argmax(dev)), dev.shape)
            problems.append(CPDProblem(v, "sum", assignment(idx), float(sums[idx]),
                                       float(dev[idx]), int(off.sum())))
    problems.sort(key=lambda p: -p.deviation)
    return problems


def check_normalization(model, *, atol: float = 1e-9, method: str = "auto",
                        memory_budget: int | None = None) -> NormalizationReport:
    """Total probability mass of a model, computed exactly, with the offending CPDs.

    Parameters
    ----------
    model : BayesianNetwork or FactorGraph
        For a Bayesian network the total is ``sum_x prod_k p(x_k | pa_k)``; for a
        factor graph it is ``sum_x prod_k phi_k(x_k)`` (its partition function).
    atol : float
        Tolerance on the total and on each conditional's sum: a finite number ``>= 0``
        (NaN and negative tolerances raise :class:`~pgm.exceptions.ParameterError`).
    method : {"auto", "enumerate", "elimination"}
        ``auto`` enumerates up to 2**22 configurations and eliminates beyond.
    memory_budget : int, optional
        Bytes any intermediate table may take (default: see :mod:`pgm._config`).

    Returns
    -------
    NormalizationReport

    Examples
    --------
    >>> from pgm import BayesianNetwork, TabularCPD
    >>> bn = BayesianNetwork.from_cpds([TabularCPD("a", [0.5, 0.6])])
    >>> report = check_normalization(bn)
    >>> report.ok, round(report.total_probability, 12), report.worst.variable
    (False, 1.1, 'a')
    """
    from pgm.bayesian_network import BayesianNetwork
    from pgm.factor_graph import FactorGraph

    if not isinstance(method, str) or method not in ("auto", "enumerate", "elimination"):
        raise QueryError(f"unknown method {method!r}; use 'auto', 'enumerate' or 'elimination'")
    atol = check_float("atol", atol, minimum=0)
    memory_budget_bytes(memory_budget)
    if isinstance(model, BayesianNetwork):
        model.topological_order()  # CycleError first
        problems = _cpd_problems(model, atol)
        if any(p.kind == "invalid" for p in problems):
            return NormalizationReport(float("nan"), False, problems, "none", atol)
        fg = model.to_factor_graph()
    elif isinstance(model, FactorGraph):
        problems, fg = [], model
    else:
        raise ArgumentTypeError(f"expected a BayesianNetwork or FactorGraph, got {type(model).__name__}")
    n = 1
    for c in fg.cardinalities.values():
        n *= c
    if method == "enumerate" or (method == "auto" and n <= ENUMERATION_LIMIT):
        used = "enumerate"
        joint = fg.joint(normalized=False, log=False, memory_budget=memory_budget)
        total = float(joint.values.sum())
    else:
        used = "elimination"
        from pgm.inference.variable_elimination import log_partition_function

        total = float(np.exp(log_partition_function(fg, memory_budget=memory_budget)))
    ok = bool(abs(total - 1.0) <= atol and not problems)
    return NormalizationReport(total, ok, problems, used, atol)
