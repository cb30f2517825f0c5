"""Discrete factors over named variables, in probability or log space.

A :class:`Factor` is a table ``values`` with one axis per variable; axis ``i``
has length ``cardinalities[i]``.  Every operation is vectorized with NumPy
broadcasting: there is no Python loop over table entries.  The product of
several factors, the sum-out (log-sum-exp in log space) and the max-out live
here once and are used by every algorithm of the toolkit.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from pgm._config import memory_budget_bytes
from pgm._math import logsumexp, safe_log
from pgm.exceptions import (
    CardinalityError,
    EvidenceError,
    InvalidProbabilityError,
    MemoryBudgetError,
    ModelError,
    QueryError,
    UnknownVariableError,
)
from pgm.validation import check_flag, check_float

__all__ = ["Factor", "factor_product", "check_table_size", "check_cardinality"]

Variable = Hashable


def check_cardinality(variable: Any, cardinality: Any, *, minimum: int = 1) -> int:
    """A number of states: an integer (not a bool, not a float) ``>= minimum``.

    Raises :class:`CardinalityError` naming ``variable`` (``2.5`` is refused, not truncated).

    Examples
    --------
    >>> check_cardinality("a", 3)
    3
    >>> check_cardinality("a", 2.5)
    Traceback (most recent call last):
    ...
    pgm.exceptions.CardinalityError: variable 'a' has cardinality 2.5; a cardinality must be an integer >= 1
    """
    if isinstance(cardinality, (bool, np.bool_)) or not isinstance(cardinality, (int, np.integer)) \
            or cardinality < minimum:
        raise CardinalityError(f"variable {variable!r} has cardinality {cardinality!r}; "
                               f"a cardinality must be an integer >= {minimum}")
    return int(cardinality)


def check_variable_name(variable: Any, what: str = "variable") -> Hashable:
    """A variable name: hashable and not ``None``; :class:`ModelError` otherwise."""
    try:
        hash(variable)
    except TypeError:
        raise ModelError(f"a {what} name must be hashable (a string, a number, a tuple), got "
                         f"{type(variable).__name__} {variable!r}") from None
    if variable is None:
        raise ModelError(f"a {what} name cannot be None")
    return variable


def as_table(values: Any, what: str) -> np.ndarray:
    """``values`` as a float64 array; :class:`ModelError` if it is not a real numeric table.

    Strings, complex numbers, ``None`` entries and ragged nested lists are refused.
    """
    try:
        arr = np.asarray(values)
        if arr.dtype.kind == "O":
            arr = np.array(values, dtype=float)  # numbers of mixed Python types
    except (TypeError, ValueError, OverflowError) as exc:
        raise ModelError(f"{what} must be a numeric table (a nested list or array of numbers), "
                         f"got {type(values).__name__}: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise ModelError(f"{what} must be a table of real numbers, got "
                         + ("complex numbers" if arr.dtype.kind == "c" else f"dtype {arr.dtype}"))
    return np.asarray(arr, dtype=float)


def is_sequence(value: Any, *, strings: bool = False) -> bool:
    """True for a collection of items (list, tuple, set, generator, array of >= 1 dimension).

    A string (or bytes) counts only when ``strings``; a 0-d array never does (NumPy gives it
    ``__iter__`` but cannot iterate it).
    """
    if isinstance(value, (str, bytes)):
        return strings
    if isinstance(value, np.ndarray):
        return value.ndim > 0
    return isinstance(value, Iterable)


def _hashable(variable: Any) -> bool:
    try:
        hash(variable)
    except TypeError:
        return False
    return True


def check_table_size(cardinalities: Sequence[int], *, memory_budget: int | None = None,
                     what: str = "factor") -> int:
    """Raise :class:`MemoryBudgetError` if a float64 table of this shape would exceed the budget.

    Returns the number of entries.  Called *before* allocating.

    Examples
    --------
    >>> check_table_size([2, 3])
    6
    """
    if not is_sequence(cardinalities):
        raise CardinalityError(f"cardinalities must be a sequence of integers, got {cardinalities!r}")
    n = 1
    for i, c in enumerate(cardinalities):
        n *= check_cardinality(f"#{i}", c, minimum=0)
    budget = memory_budget_bytes(memory_budget)
    if n * 8 > budget:
        raise MemoryBudgetError(
            f"{what} with {len(cardinalities)} variables would need {n * 8 / 2**30:.3g} GiB "
            f"({n} entries), over the memory budget of {budget / 2**30:.3g} GiB; "
            "raise it with memory_budget=... or PGM_MEMORY_BUDGET, or use an approximate method"
        )
    return n


class Factor:
    """A non-negative table over discrete variables.

    Parameters
    ----------
    variables : sequence of hashable
        Variable names, one per axis; no repeats.
    cardinalities : sequence of int
        Number of states of each variable.
    values : array_like
        Table of shape ``cardinalities`` (a flat array of the right size is reshaped,
        C order, last variable fastest).
    log : bool, default False
        If True, ``values`` holds log-values (``-inf`` for zero).

    Examples
    --------
    >>> phi = Factor(["a", "b"], [2, 2], [[1.0, 2.0], [3.0, 4.0]])
    >>> phi.sum_out(["b"]).values
    array([3., 7.])
    >>> (phi * Factor(["b"], [2], [0.5, 0.5])).values.tolist()
    [[0.5, 1.0], [1.5, 2.0]]
    """

    __slots__ = ("variables", "cardinalities", "values", "log")

    def __init__(self, variables: Iterable[Variable], cardinalities: Iterable[int],
                 values: Any, *, log: bool = False) -> None:
        if not is_sequence(variables):
            raise ModelError(f"factor variables must be a sequence of names, got {variables!r}")
        if not is_sequence(cardinalities):
            raise CardinalityError(f"factor cardinalities must be a sequence of integers, "
                                   f"got {cardinalities!r}")
        variables = tuple(variables)
        cardinalities = tuple(cardinalities)
        for v in variables:
            if not _hashable(v):
                raise ModelError(f"factor variable names must be hashable, got {v!r}")
        if len(set(variables)) != len(variables):
            raise ModelError(f"factor variables must be distinct, got {list(variables)}")
        if len(variables) != len(cardinalities):
            raise CardinalityError(
                f"factor over {list(variables)} has {len(cardinalities)} cardinalities"
            )
        cardinalities = tuple(check_cardinality(v, c) for v, c in zip(variables, cardinalities))
        log = check_flag("log", log)
        arr = as_table(values, f"the table of the factor over {list(variables)}")
        if arr.shape != cardinalities:
            # only a flat array is reshaped: a table of another shape (say, transposed)
            # would be silently misread
            if arr.ndim <= 1 and arr.size == math.prod(cardinalities):
                arr = arr.reshape(cardinalities)
            else:
                raise CardinalityError(
                    f"factor over {list(variables)} with cardinalities {list(cardinalities)} "
                    f"got a table of shape {arr.shape}"
                )
        self.variables: tuple[Variable, ...] = variables
        self.cardinalities: tuple[int, ...] = cardinalities
        self.values: np.ndarray = arr
        self.log: bool = log

    # ------------------------------------------------------------------ basics
    def __repr__(self) -> str:
        space = "log" if self.log else "prob"
        return f"Factor({list(self.variables)}, cards={list(self.cardinalities)}, {space})"

    def __str__(self) -> str:
        """The table as text, one row per joint state (long tables cut in the middle)."""
        from pgm.cpd import frame_text

        return f"{self!r}\n{frame_text(self.to_frame())}"

    def to_frame(self, state_names: Mapping[Variable, Sequence[str]] | None = None):
        """The table as a pandas DataFrame: one row per joint state, indexed by the
        variables' states (a MultiIndex; names from ``state_names`` or ``0, 1, ...``), and
        one column, ``"log_value"`` for a log factor, ``"value"`` otherwise.

        Examples
        --------
        >>> phi = Factor(["a", "b"], [2, 2], [[1.0, 2.0], [3.0, 4.0]])
        >>> float(phi.to_frame({"a": ["lo", "hi"]}).loc[("hi", "1"), "value"])
        4.0
        """
        import pandas as pd

        names = state_names or {}
        levels = [[str(x) for x in names[v]] if v in names else [str(i) for i in range(c)]
                  for v, c in zip(self.variables, self.cardinalities)]
        column = "log_value" if self.log else "value"
        if not self.variables:
            return pd.DataFrame({column: [float(self.values)]}, index=pd.Index([""]))
        index = pd.MultiIndex.from_product(levels, names=[str(v) for v in self.variables])
        return pd.DataFrame({column: self.values.ravel()}, index=index)

    @property
    def scope(self) -> frozenset:
        """The variables as a set."""
        return frozenset(self.variables)

    @property
    def size(self) -> int:
        """Number of table entries."""
        return int(self.values.size)

    def cardinality(self, variable: Variable) -> int:
        """Number of states of ``variable`` in this factor."""
        return self.cardinalities[self._axis(variable)]

    def copy(self) -> Factor:
        """A deep copy."""
        return Factor(self.variables, self.cardinalities, self.values.copy(), log=self.log)

    def _axis(self, variable: Variable) -> int:
        try:
            if _hashable(variable):
                return self.variables.index(variable)
            raise ValueError(variable)
        except ValueError:
            raise UnknownVariableError(
                f"variable {variable!r} is not in the factor over {list(self.variables)}"
            ) from None

    def validate(self, name: str | None = None) -> None:
        """Raise :class:`InvalidProbabilityError` on negative, NaN or infinite entries."""
        label = repr(self) if name is None else str(name)
        v = self.values
        if self.log:
            bad = np.isnan(v) | (v == np.inf)
        else:
            bad = ~np.isfinite(v) | (v < 0)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            at = dict(zip(self.variables, idx))
            raise InvalidProbabilityError(
                f"{label} has an invalid entry {float(v[idx])!r} at {at}"
                + (" (log tables may not hold NaN or +inf)" if self.log else
                   " (entries must be finite and non-negative)")
            )

    # ------------------------------------------------------------ conversions
    def to_log(self) -> Factor:
        """The same factor in log space (``log 0 = -inf``)."""
        if self.log:
            return self
        return Factor(self.variables, self.cardinalities, safe_log(self.values), log=True)

    def to_prob(self) -> Factor:
        """The same factor in probability space."""
        if not self.log:
            return self
        return Factor(self.variables, self.cardinalities, np.exp(self.values), log=False)

    def transpose(self, variables: Sequence[Variable]) -> Factor:
        """The same factor with its axes in the order of ``variables``."""
        if not is_sequence(variables):
            variables = [variables]
        variables = tuple(variables)
        if not all(_hashable(v) for v in variables) or set(variables) != set(self.variables) \
                or len(variables) != len(self.variables):
            raise UnknownVariableError(
                f"transpose order {list(variables)} is not a permutation of {list(self.variables)}"
            )
        perm = [self.variables.index(v) for v in variables]
        return Factor(variables, [self.cardinalities[i] for i in perm],
                      np.transpose(self.values, perm), log=self.log)

    def value(self, assignment: Mapping[Variable, int]) -> float:
        """The table entry at ``assignment`` ``{variable: state index}`` (extra keys are ignored)."""
        if not isinstance(assignment, Mapping):
            raise EvidenceError(f"an assignment must be a mapping {{variable: state index}}, "
                                f"got {type(assignment).__name__}")
        idx = []
        for v, c in zip(self.variables, self.cardinalities):
            if v not in assignment:
                raise UnknownVariableError(f"assignment lacks variable {v!r} of {self!r}")
            i = assignment[v]
            if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)):
                raise EvidenceError(f"value {i!r} of variable {v!r} is not a state index")
            if not 0 <= i < c:
                raise EvidenceError(f"value {i} of variable {v!r} is outside 0..{c - 1}")
            idx.append(int(i))
        return float(self.values[tuple(idx)])

    def allclose(self, other: Factor, rtol: float = 1e-9, atol: float = 1e-12) -> bool:
        """True if both factors hold the same table (up to axis order and space)."""
        if not isinstance(other, Factor):
            raise ModelError(f"can only compare a factor with a factor, got {type(other).__name__}")
        rtol = check_float("rtol", rtol, minimum=0)
        atol = check_float("atol", atol, minimum=0)
        if self.scope != other.scope:
            return False
        a = self.to_prob()
        b = other.to_prob().transpose(a.variables)
        return a.cardinalities == b.cardinalities and np.allclose(a.values, b.values, rtol, atol)

    # ------------------------------------------------------------- operations
    def product(self, other: Factor, *, memory_budget: int | None = None) -> Factor:
        """Pointwise product (sum of log-values in log space)."""
        if not isinstance(other, Factor):
            raise ModelError(f"can only multiply a factor by a factor, got {type(other).__name__}")
        return factor_product([self, other], memory_budget=memory_budget)

    def __mul__(self, other: Factor) -> Factor:
        if not isinstance(other, Factor):
            return NotImplemented
        return self.product(other)

    def _axes_of(self, variables: Iterable[Variable]) -> tuple[int, ...]:
        if not is_sequence(variables) \
                or (_hashable(variables) and variables in self.variables):
            variables = [variables]
        axes = tuple(self._axis(v) for v in variables)
        if len(set(axes)) != len(axes):
            twice = next(self.variables[a] for a in axes if axes.count(a) > 1)
            raise QueryError(f"variable {twice!r} is listed twice")
        return axes

    def _drop(self, axes: tuple[int, ...], values: np.ndarray) -> Factor:
        keep = [i for i in range(len(self.variables)) if i not in axes]
        return Factor([self.variables[i] for i in keep], [self.cardinalities[i] for i in keep],
                      values, log=self.log)

    def sum_out(self, variables: Iterable[Variable]) -> Factor:
        """Sum ``variables`` out (log-sum-exp in log space)."""
        axes = self._axes_of(variables)
        if not axes:
            return self.copy()
        vals = logsumexp(self.values, axis=axes) if self.log else self.values.sum(axis=axes)
        return self._drop(axes, np.asarray(vals))

    marginalize = sum_out

    def max_out(self, variables: Iterable[Variable]) -> Factor:
        """Maximize ``variables`` out."""
        axes = self._axes_of(variables)
        if not axes:
            return self.copy()
        return self._drop(axes, np.asarray(self.values.max(axis=axes)))

    def argmax_out(self, variable: Variable) -> tuple[Factor, np.ndarray]:
        """Maximize one variable out and return its maximizing state for every other entry."""
        ax = self._axis(variable)
        arg = np.argmax(self.values, axis=ax)
        return self._drop((ax,), np.max(self.values, axis=ax)), arg

    def marginal(self, variables: Iterable[Variable]) -> Factor:
        """Sum out everything except ``variables`` (kept in the given order)."""
        keep = list(self._axes_of(variables))
        drop = [v for i, v in enumerate(self.variables) if i not in keep]
        return self.sum_out(drop).transpose([self.variables[i] for i in keep])

    def reduce(self, evidence: Mapping[Variable, int]) -> Factor:
        """Condition on ``evidence`` (variables not in the factor are ignored)."""
        if not isinstance(evidence, Mapping):
            raise EvidenceError(f"evidence must be a mapping {{variable: state index}}, "
                                f"got {type(evidence).__name__}")
        index: list[Any] = [slice(None)] * len(self.variables)
        fixed = []
        for v, val in evidence.items():
            if v in self.variables:
                ax = self.variables.index(v)
                c = self.cardinalities[ax]
                if isinstance(val, (bool, np.bool_)) or not isinstance(val, (int, np.integer)):
                    raise EvidenceError(f"evidence value {val!r} for {v!r} is not a state index")
                if not 0 <= int(val) < c:
                    raise EvidenceError(
                        f"evidence {v!r}={val} is outside the states 0..{c - 1} of {v!r}"
                    )
                index[ax] = int(val)
                fixed.append(ax)
        if not fixed:
            return self.copy()
        return self._drop(tuple(fixed), np.array(self.values[tuple(index)]))

    def total(self) -> float:
        """Sum of all entries (log of the sum in log space)."""
        return float(logsumexp(self.values) if self.log else self.values.sum())

    def normalize(self) -> Factor:
        """Scale so that entries sum to one; raises :class:`EvidenceError` if all are zero."""
        tot = self.total()
        if self.log:
            if not np.isfinite(tot):
                raise EvidenceError(f"cannot normalize {self!r}: every entry is zero")
            return Factor(self.variables, self.cardinalities, self.values - tot, log=True)
        if not tot > 0 or not np.isfinite(tot):
            raise EvidenceError(f"cannot normalize {self!r}: entries sum to {tot}")
        return Factor(self.variables, self.cardinalities, self.values / tot, log=False)

    @classmethod
    def constant(cls, value: float = 1.0, *, log: bool = False) -> Factor:
        """A factor over no variables (``value`` may be ``-inf`` in log space, never NaN)."""
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value[()]
        value = check_float("value", value, finite=False)
        return cls((), (), np.array(value, dtype=float), log=log)


def factor_product(factors: Sequence[Factor], *, memory_budget: int | None = None) -> Factor:
    """Product of several factors in one broadcast pass.

    All factors must be in the same space (all probability or all log); the result
    is in that space.  The union scope keeps first-seen variable order.  Raises
    :class:`CardinalityError` when two factors disagree on a variable's states and
    :class:`MemoryBudgetError` before allocating an oversized table.

    Examples
    --------
    >>> a = Factor(["x"], [2], [1.0, 2.0]); b = Factor(["y"], [3], [1.0, 1.0, 1.0])
    >>> factor_product([a, b]).values.shape
    (2, 3)
    """
    memory_budget_bytes(memory_budget)  # a bad budget is refused even when no table is built
    if isinstance(factors, Factor) or not is_sequence(factors):
        raise ModelError(f"factor_product takes a sequence of factors, got {type(factors).__name__}")
    factors = list(factors)
    for f in factors:
        if not isinstance(f, Factor):
            raise ModelError(f"factor_product takes factors, got a {type(f).__name__}: {f!r}")
    if not factors:
        return Factor.constant(1.0)
    log = factors[0].log
    if any(f.log != log for f in factors):
        raise ModelError("cannot multiply factors in probability space with factors in log space")
    if len(factors) == 1:
        return factors[0].copy()
    card: dict[Variable, int] = {}
    for f in factors:
        for v, c in zip(f.variables, f.cardinalities):
            if card.setdefault(v, c) != c:
                raise CardinalityError(
                    f"variable {v!r} has {card[v]} states in one factor and {c} in another"
                )
    variables = tuple(card)
    cards = tuple(card.values())
    check_table_size(cards, memory_budget=memory_budget, what="factor product")
    position = {v: i for i, v in enumerate(variables)}
    out: np.ndarray | None = None
    for f in factors:
        order = sorted(range(len(f.variables)), key=lambda i: position[f.variables[i]])
        vals = np.transpose(f.values, order) if order != list(range(len(order))) else f.values
        shape = [1] * len(variables)
        for i in order:
            shape[position[f.variables[i]]] = f.cardinalities[i]
        vals = vals.reshape(shape)
        if out is None:
            out = np.broadcast_to(vals, cards).copy()
        elif log:
            out += vals
        else:
            out *= vals
    assert out is not None
    return Factor(variables, cards, out, log=log)
