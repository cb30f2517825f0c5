"""One exception hierarchy for the whole toolkit.

Every error raised on bad input derives from :class:`PGMError`; errors about
bad values also derive from :class:`ValueError` and errors about unknown names
from :class:`KeyError`, so generic ``except ValueError`` handlers keep working.
Messages name the variable, value, line or parameter at fault.
"""

from __future__ import annotations

__all__ = [
    "PGMError",
    "ModelError",
    "CycleError",
    "MissingCPDError",
    "StructureMismatchError",
    "CardinalityError",
    "InvalidProbabilityError",
    "NormalizationError",
    "UnknownVariableError",
    "EvidenceError",
    "ParseError",
    "MemoryBudgetError",
    "ParameterError",
    "ModelLoadError",
    "QueryError",
    "ArgumentTypeError",
    "TrainingDivergedError",
    "EstimateWarning",
    "DataError",
    "UnseenParentsWarning",
]


class PGMError(Exception):
    """Base class of every error raised by :mod:`pgm`."""


class ModelError(PGMError, ValueError):
    """A model (network, factor graph, factor) is malformed."""


class CycleError(ModelError):
    """A Bayesian network's graph has a directed cycle."""


class MissingCPDError(ModelError):
    """A variable of a Bayesian network has no conditional distribution."""


class StructureMismatchError(ModelError):
    """A CPD's parents disagree with the graph's parents."""


class CardinalityError(ModelError):
    """Two places disagree on the number of states of a variable, or a table has a wrong shape."""


class InvalidProbabilityError(ModelError):
    """A table holds a negative, NaN or infinite entry."""


class NormalizationError(ModelError):
    """A conditional distribution does not sum to one."""


class UnknownVariableError(PGMError, KeyError):
    """A name does not refer to a variable of the model."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class EvidenceError(PGMError, ValueError):
    """Evidence is out of range, refers to no variable, or has probability zero."""


class ParseError(PGMError, ValueError):
    """A model file could not be parsed; the message names the file, line and token.

    The quoted token is cut at :attr:`MAX_TOKEN` characters (with its length) and the
    message at :attr:`MAX_MESSAGE`, so that one error never floods a terminal with a
    megabyte-long run of digits; :attr:`token` keeps the whole token.

    Examples
    --------
    >>> err = ParseError("expected a number", path="m.bif", line=3, token="1" * 100000 + "x")
    >>> print(str(err).replace("1" * 80, "1...1"))
    m.bif:line 3: expected a number (at token '1...1'... (100001 characters))
    >>> len(err.token)
    100001
    """

    #: longest token quoted in full
    MAX_TOKEN = 80
    #: longest message (before the file, line and token) kept in full
    MAX_MESSAGE = 1000

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 token: str | None = None) -> None:
        where = []
        if path is not None:
            where.append(str(path))
        if line is not None:
            where.append(f"line {line}")
        prefix = ":".join(where)
        message = str(message)
        if len(message) > self.MAX_MESSAGE:
            message = f"{message[:self.MAX_MESSAGE]}... ({len(message)} characters)"
        text = f"{prefix}: {message}" if prefix else message
        if token is not None:
            token = str(token)
            if len(token) > self.MAX_TOKEN:
                text += f" (at token {token[:self.MAX_TOKEN]!r}... ({len(token)} characters))"
            else:
                text += f" (at token {token!r})"
        super().__init__(text)
        self.path = path
        self.line = line
        self.token = token


class ParameterError(PGMError, ValueError):
    """An algorithm parameter is nonsensical (zero chains, ``thin=0``, a negative rate, ...)."""


class MemoryBudgetError(PGMError, MemoryError):
    """An operation would allocate a table larger than the configured memory budget."""


class ModelLoadError(PGMError, ValueError):
    """A model file could not be read (missing, wrong format, or defines no model)."""


class QueryError(PGMError, ValueError):
    """A query is malformed: overlapping variable sets, an unknown method name, ..."""


class ArgumentTypeError(PGMError, TypeError):
    """An argument is of the wrong kind altogether (a string where a model is expected);
    a :class:`TypeError` too, as Python's own would be."""


class TrainingDivergedError(ModelError):
    """Training produced non-finite parameters or losses (learning rate too large?)."""


class EstimateWarning(RuntimeWarning):
    """A stochastic estimate came out unreliable (e.g. an AIS error bar that reaches zero):
    the number is returned, with a message that says why and what to change."""


class DataError(PGMError, ValueError):
    """Data to learn from is unusable: a missing column, a state the model does not have,
    a missing value where none is allowed, no rows.  The message names the column, the
    value and (where there is one) the row."""


class UnseenParentsWarning(UserWarning):
    """Fitting left some parent configurations without data: their CPD rows were set
    uniform.  The message (and the fit result's ``unseen``) names them."""
