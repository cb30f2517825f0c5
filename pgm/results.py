"""Query results that carry their state names.

:class:`Marginals` is what every marginal query returns (variable elimination, the
junction tree, loopy belief propagation, samplers): a ``dict`` ``{variable: probability
array}`` -- so code that indexes it keeps working -- that also knows each variable's
state names and turns into pandas objects.

Examples
--------
>>> m = Marginals({"rain": [0.8, 0.2]}, {"rain": ["no", "yes"]})
>>> float(m.series("rain")["yes"])
0.2
>>> float(m.to_frame().loc[("rain", "no"), "probability"])
0.8
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np

from pgm.exceptions import QueryError

__all__ = ["Marginals", "named_marginals"]


class _States(Mapping):
    """``{variable: [state names]}``, each list made when first asked for (a grid's
    250,000 variables should not cost their names unless someone reads them)."""

    def __init__(self, sizes: Mapping, given: Mapping | None, model: Any = None) -> None:
        # ``sizes``: the marginals themselves (a variable's states are its entries)
        self._sizes, self._given, self._model, self._made = sizes, given or {}, model, {}

    def __getitem__(self, v: Hashable) -> list[str]:
        made = self._made.get(v)
        if made is None:
            if v not in self._sizes:
                raise KeyError(v)
            if v in self._given:
                made = [str(x) for x in self._given[v]]
            elif self._model is not None:
                try:
                    made = [str(x) for x in self._model.state_names(v)]
                except Exception:  # a variable the model cannot name: indices it is
                    made = None
            if made is None:
                made = [str(i) for i in range(len(self._sizes[v]))]
            self._made[v] = made
        return made

    def __iter__(self):
        return iter(self._sizes)

    def __len__(self) -> int:
        return len(self._sizes)


class Marginals(dict):
    """``{variable: probabilities}`` with the state names (``states``) beside them."""

    def __init__(self, values: Mapping[Hashable, Any] = (),
                 states: Mapping[Hashable, Sequence] | None = None, *, model: Any = None) -> None:
        super().__init__({v: p if isinstance(p, np.ndarray) and p.dtype == np.float64
                          else np.asarray(p, dtype=np.float64) for v, p in dict(values).items()})
        self.states: Mapping[Hashable, list[str]] = _States(self, states, model)

    @classmethod
    def from_table(cls, variables: Sequence[Hashable], table: np.ndarray, *,
                   model: Any = None) -> Marginals:
        """One row of ``table`` (float64, ``(n_variables, n_states)``) per variable, kept
        as views: a 250,000-variable grid's marginals without a copy each.

        Examples
        --------
        >>> m = Marginals.from_table(["a", "b"], np.array([[0.25, 0.75], [0.5, 0.5]]))
        >>> m["a"].tolist(), m.states["b"]
        ([0.25, 0.75], ['0', '1'])
        """
        table = np.asarray(table, dtype=np.float64)
        out = cls.__new__(cls)
        dict.__init__(out, zip(variables, table))
        out.states = _States(out, None, model)
        return out

    def series(self, variable: Hashable):
        """``P(variable | ...)`` as a pandas Series indexed by state name."""
        import pandas as pd

        if variable not in self:
            raise QueryError(f"no marginal of {variable!r} here; variables: "
                             f"{', '.join(map(str, list(self)[:10]))}")
        return pd.Series(self[variable], index=pd.Index(self.states[variable], name="state"),
                         name=str(variable))

    def to_frame(self):
        """Every marginal in one DataFrame: a ``(variable, state)`` MultiIndex and one
        column ``probability``."""
        import pandas as pd

        keys = [(str(v), s) for v in self for s in self.states[v]]
        values = np.concatenate([self[v] for v in self]) if self else np.zeros(0)
        index = pd.MultiIndex.from_tuples(keys, names=["variable", "state"])
        return pd.DataFrame({"probability": values}, index=index)

    def __reduce__(self):  # pickles (and copies) as the named object it is
        return (Marginals, (dict(self), dict(self.states)))


def named_marginals(model: Any, values: Mapping[Hashable, Any]) -> Marginals:
    """:class:`Marginals` of ``values`` with the state names ``model`` gives its variables
    (looked up when first read)."""
    return Marginals(values, model=model)
