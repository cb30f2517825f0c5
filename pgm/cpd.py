"""Conditional probability tables laid out parents first, child last."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np

from pgm.exceptions import CardinalityError, EvidenceError, ModelError, UnknownVariableError
from pgm.factor import Factor, as_table, check_variable_name, is_sequence
from pgm.validation import check_flag

__all__ = ["TabularCPD", "frame_text"]

#: rows of a table shown by ``print`` before it is cut in the middle
SHOWN_ROWS = 20


def frame_text(frame) -> str:
    """A DataFrame as text, at most :data:`SHOWN_ROWS` rows and 12 columns (cut in the
    middle like pandas), with 6 significant digits."""
    import pandas as pd

    with pd.option_context("display.max_rows", SHOWN_ROWS, "display.min_rows", SHOWN_ROWS,
                           "display.max_columns", 12, "display.width", 100,
                           "display.precision", 6):
        return str(frame)


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
        check_variable_name(variable)
        if parents is None:
            parents = ()
        elif isinstance(parents, (str, bytes)):  # one parent's name, not its letters
            parents = (parents,)
        elif not is_sequence(parents, strings=True):
            raise ModelError(f"the parents of {variable!r} must be a sequence of names, "
                             f"got {parents!r}")
        parents = tuple(parents)
        for p in parents:
            check_variable_name(p, "parent")
        if variable in parents:
            raise ModelError(f"variable {variable!r} cannot be its own parent")
        if len(set(parents)) != len(parents):
            raise ModelError(f"CPD of {variable!r} lists a parent twice: {list(parents)}")
        arr = as_table(values, f"the table of the CPD of {variable!r}")
        if isinstance(values, np.ndarray) and np.may_share_memory(arr, values):
            arr = arr.copy()
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
        if state_names is not None and not isinstance(state_names, Mapping):
            raise ModelError(f"state_names of the CPD of {variable!r} must be a mapping "
                             f"{{variable: [state names]}}, got {type(state_names).__name__}")
        for v, states in (state_names or {}).items():
            if not is_sequence(states):
                raise ModelError(f"the state names of {v!r} must be a sequence of names, "
                                 f"got {states!r}")
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

    def __str__(self) -> str:
        """The table as text: a row per parent configuration, a column per child state
        (long tables truncated in the middle, as pandas does)."""
        return f"{self!r}\n{frame_text(self.to_frame())}"

    def _names(self, variable: Hashable) -> list[str]:
        names = self.state_names.get(variable)
        card = self.values.shape[self.scope.index(variable)]
        return list(names) if names is not None else [str(i) for i in range(card)]

    def to_frame(self):
        """The table as a pandas DataFrame: rows indexed by the parents' states (a
        MultiIndex named by the parents; one row ``""`` for a root), columns by the
        child's states (named by the child).

        Examples
        --------
        >>> cpd = TabularCPD("wet", [[0.9, 0.1], [0.2, 0.8]], parents=["rain"],
        ...                  state_names={"rain": ["no", "yes"], "wet": ["dry", "wet"]})
        >>> float(cpd.to_frame().loc["yes", "wet"])
        0.8
        """
        import pandas as pd

        columns = pd.Index(self._names(self.variable), name=str(self.variable))
        table = self.values.reshape(-1, self.cardinality)
        if not self.parents:
            index = pd.Index([""], name="")
        else:
            index = pd.MultiIndex.from_product([self._names(p) for p in self.parents],
                                               names=[str(p) for p in self.parents])
            if len(self.parents) == 1:
                index = index.get_level_values(0)
        return pd.DataFrame(table, index=index, columns=columns)

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
        log = check_flag("log", log)
        f = Factor(self.scope, self.values.shape, self.values, log=False)
        return f.to_log() if log else f

    def copy(self) -> TabularCPD:
        """A deep copy."""
        return TabularCPD(self.variable, self.values.copy(), self.parents,
                          {k: list(v) for k, v in self.state_names.items()})

    def conditional(self, parent_assignment: Mapping[Hashable, int | str]) -> np.ndarray:
        """The distribution of the child for one assignment of the parents.

        ``parent_assignment`` gives each parent a state (a name or an index); other keys
        (the child, say) are ignored.  A missing parent raises
        :class:`~pgm.exceptions.UnknownVariableError`, a state that is not one of the
        parent's an :class:`~pgm.exceptions.EvidenceError`.

        Examples
        --------
        >>> cpd = TabularCPD("wet", [[0.9, 0.1], [0.2, 0.8]], parents=["rain"],
        ...                  state_names={"rain": ["no", "yes"]})
        >>> cpd.conditional({"rain": "yes"}).tolist(), cpd.conditional({"rain": 0}).tolist()
        ([0.2, 0.8], [0.9, 0.1])
        """
        from pgm.evidence import state_index

        if not isinstance(parent_assignment, Mapping):
            raise EvidenceError(f"the parent assignment of {self!r} must be a mapping "
                                f"{{parent: state}}, got {type(parent_assignment).__name__}")
        idx = []
        for p in self.parents:
            if p not in parent_assignment:
                raise UnknownVariableError(f"the parent assignment lacks parent {p!r} of {self!r}")
            idx.append(state_index(_CPDStates(self), p, parent_assignment[p]))
        return self.values[tuple(idx)]


class _CPDStates:
    """The ``cardinality`` / ``state_names`` view of a CPD that :mod:`pgm.evidence` reads."""

    __slots__ = ("cpd",)

    def __init__(self, cpd: TabularCPD) -> None:
        self.cpd = cpd

    def cardinality(self, variable: Hashable) -> int:
        return int(self.cpd.values.shape[self.cpd.scope.index(variable)])

    def state_names(self, variable: Hashable) -> list[str]:
        names = self.cpd.state_names.get(variable)
        return list(names) if names is not None else [str(i) for i in range(self.cardinality(variable))]
