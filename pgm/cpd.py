"""Conditional probability tables laid out parents first, child last."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np

from pgm.exceptions import CardinalityError, ModelError
from pgm.factor import Factor

__all__ = ["TabularCPD"]


class TabularCPD:
    """The conditional distribution ``p(variable | parents)`` as a table.

    The table has shape ``(*parent_cardinalities, cardinality)``: each conditional
    ``values[parent_states]`` is a vector over the child's states, so "each
    conditional sums to one" is a sum over the last axis.  The constructor does not
    require normalization (so that unnormalized tables can be checked and reported);
    :meth:`pgm.BayesianNetwork.validate` does.

    Parameters
    ----------
    variable : hashable
        The child variable.
    values : array_like
        Table of shape ``(*parent_cards, card)``.
    parents : sequence of hashable, optional
        Parent variables, in the order of the leading axes.
    state_names : mapping, optional
        ``{variable: [state names]}`` for the child and/or its parents.

    Examples
    --------
    >>> cpd = TabularCPD("wet", [[0.9, 0.1], [0.2, 0.8]], parents=["rain"])
    >>> cpd.cardinality, cpd.parent_cardinalities
    (2, (2,))
    >>> cpd.conditional_sums().tolist()
    [1.0, 1.0]
    """

    __slots__ = ("variable", "parents", "values", "state_names")

    def __init__(self, variable: Hashable, values: Any, parents: Sequence[Hashable] = (),
                 state_names: Mapping[Hashable, Sequence[str]] | None = None) -> None:
        parents = tuple(parents)
        if variable in parents:
            raise ModelError(f"variable {variable!r} cannot be its own parent")
        if len(set(parents)) != len(parents):
            raise ModelError(f"CPD of {variable!r} lists a parent twice: {list(parents)}")
        arr = np.array(values, dtype=float)
        if arr.ndim != len(parents) + 1:
            raise CardinalityError(
                f"CPD of {variable!r} with parents {list(parents)} needs a table with "
                f"{len(parents) + 1} axes (parents first, child last); got shape {arr.shape}"
            )
        if any(s < 1 for s in arr.shape):
            raise CardinalityError(f"CPD of {variable!r} has an empty axis: shape {arr.shape}")
        self.variable = variable
        self.parents: tuple[Hashable, ...] = parents
        self.values: np.ndarray = arr
        names: dict[Hashable, list[str]] = {}
        for v, states in (state_names or {}).items():
            states = [str(s) for s in states]
            if v == variable:
                expected = arr.shape[-1]
            elif v in parents:
                expected = arr.shape[parents.index(v)]
            else:
                raise ModelError(
                    f"CPD of {variable!r} has state names for {v!r}, which is not in it"
                )
            if len(states) != expected:
                raise CardinalityError(
                    f"CPD of {variable!r} gives {len(states)} state names for {v!r}, "
                    f"which has {expected} states"
                )
            if len(set(states)) != len(states):
                raise ModelError(f"state names of {v!r} are not distinct: {states}")
            names[v] = states
        self.state_names: dict[Hashable, list[str]] = names

    def __repr__(self) -> str:
        given = f" | {', '.join(map(str, self.parents))}" if self.parents else ""
        return f"TabularCPD(p({self.variable}{given}), shape={self.values.shape})"

    @property
    def cardinality(self) -> int:
        """Number of states of the child."""
        return int(self.values.shape[-1])

    @property
    def parent_cardinalities(self) -> tuple[int, ...]:
        """Number of states of each parent."""
        return tuple(int(s) for s in self.values.shape[:-1])

    @property
    def scope(self) -> tuple[Hashable, ...]:
        """Parents then child: the axis order of :attr:`values`."""
        return (*self.parents, self.variable)

    def conditional_sums(self) -> np.ndarray:
        """Sum of each conditional, shape ``parent_cardinalities``."""
        return self.values.sum(axis=-1)

    def to_factor(self, *, log: bool = False) -> Factor:
        """The CPD as a factor over ``(*parents, variable)``."""
        f = Factor(self.scope, self.values.shape, self.values, log=False)
        return f.to_log() if log else f

    def copy(self) -> TabularCPD:
        """A deep copy."""
        return TabularCPD(self.variable, self.values.copy(), self.parents,
                          {k: list(v) for k, v in self.state_names.items()})

    def conditional(self, parent_assignment: Mapping[Hashable, int]) -> np.ndarray:
        """The distribution of the child for one assignment of the parents."""
        idx = tuple(int(parent_assignment[p]) for p in self.parents)
        return self.values[idx]
