"""One validation module for the whole toolkit (scikit-learn's ``utils.validation`` idea).

Every public function that takes a count, a rate, a tolerance, a probability, a dtype
or a seed checks it here, so the same bad value gives the same
:class:`~pgm.exceptions.ParameterError` everywhere, naming the parameter and the value.
Booleans are never numbers here, NaN and infinity are never finite, and a negative
count is never silently clipped.

The seed convention (:func:`resolve_seed`) is the toolkit's one: ``seed`` (or a
scikit-learn style ``random_state``) may be ``None`` (fresh entropy), an integer in
``[0, 2**64)``, a :class:`numpy.random.SeedSequence`, a :class:`numpy.random.Generator` or a
:class:`numpy.random.RandomState`; the compiled kernels get a 64-bit integer from it.
Command-line ``--seed`` defaults to :data:`DEFAULT_SEED` in every subcommand.

Examples
--------
>>> check_positive_int("chains", 4)
4
>>> check_positive_int("chains", 0)
Traceback (most recent call last):
...
pgm.exceptions.ParameterError: chains must be an integer >= 1, got 0
>>> check_tolerance("tol", float("nan"))
Traceback (most recent call last):
...
pgm.exceptions.ParameterError: tol must be a finite number > 0, got nan
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from pgm.exceptions import ParameterError

__all__ = [
    "DEFAULT_SEED",
    "check_positive_int",
    "check_nonnegative_int",
    "check_float",
    "check_probability",
    "check_tolerance",
    "check_dtype",
    "check_choice",
    "check_flag",
    "resolve_seed",
    "derived_seed",
]

#: the default of every command-line ``--seed`` (and of the functions that document it)
DEFAULT_SEED = 0

_SEED_MASK = (1 << 63) - 1


def _is_bool(value: Any) -> bool:
    return isinstance(value, (bool, np.bool_))


def check_positive_int(name: str, value: Any, minimum: int = 1) -> int:
    """``value`` as an ``int``, at least ``minimum``; raises :class:`ParameterError` naming ``name``.

    Integral floats are refused (``chains=2.0`` is a bug in the caller, not a count).

    Examples
    --------
    >>> check_positive_int("n", 3), check_positive_int("burn_in", 0, minimum=0)
    (3, 0)
    """
    if _is_bool(value) or not isinstance(value, (int, np.integer)):
        raise ParameterError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ParameterError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def check_nonnegative_int(name: str, value: Any) -> int:
    """``value`` as an ``int >= 0`` (a burn-in, a number of restarts that may be zero).

    Examples
    --------
    >>> check_nonnegative_int("burn_in", 0)
    0
    """
    return check_positive_int(name, value, minimum=0)


def check_float(name: str, value: Any, *, minimum: float | None = None,
                maximum: float | None = None, include_minimum: bool = True,
                include_maximum: bool = True, finite: bool = True) -> float:
    """``value`` as a ``float`` within the given range; NaN is always refused.

    Examples
    --------
    >>> check_float("beta", 2), check_float("rate", 0.5, minimum=0, maximum=1)
    (2.0, 0.5)
    >>> check_float("lr", -1.0, minimum=0)
    Traceback (most recent call last):
    ...
    pgm.exceptions.ParameterError: lr must be a finite number >= 0, got -1.0
    """
    if minimum is not None and maximum is not None:
        lo = "[" if include_minimum else "("
        hi = "]" if include_maximum else ")"
        what = f"a {'finite ' if finite else ''}number in {lo}{minimum}, {maximum}{hi}"
    elif minimum is not None:
        what = f"a {'finite ' if finite else ''}number {'>=' if include_minimum else '>'} {minimum}"
    elif maximum is not None:
        what = f"a {'finite ' if finite else ''}number {'<=' if include_maximum else '<'} {maximum}"
    else:
        what = "a finite number" if finite else "a number"
    if _is_bool(value) or not isinstance(value, numbers.Real):
        raise ParameterError(f"{name} must be {what}, got {value!r}")
    x = float(value)
    bad = math.isnan(x) or (finite and math.isinf(x))
    if minimum is not None:
        bad = bad or (x < minimum if include_minimum else x <= minimum)
    if maximum is not None:
        bad = bad or (x > maximum if include_maximum else x >= maximum)
    if bad:
        raise ParameterError(f"{name} must be {what}, got {value!r}")
    return x


def check_probability(name: str, value: Any) -> float:
    """A probability in ``[0, 1]``.

    Examples
    --------
    >>> check_probability("noise", 0.1)
    0.1
    """
    return check_float(name, value, minimum=0, maximum=1)


def check_tolerance(name: str, value: Any) -> float:
    """A tolerance: finite and strictly positive.

    Examples
    --------
    >>> check_tolerance("atol", 1e-6)
    1e-06
    """
    return check_float(name, value, minimum=0, include_minimum=False)


def check_dtype(name: str, value: Any, allowed: tuple[str, ...] = ("float32", "float64")) -> np.dtype:
    """A NumPy dtype among ``allowed`` (given by name, type or dtype).

    Examples
    --------
    >>> check_dtype("dtype", "float32")
    dtype('float32')
    """
    try:  # np.dtype(None) is float64; here None is no dtype
        dt = None if value is None else np.dtype(value)
    except (TypeError, ValueError, KeyError, SyntaxError):  # np.dtype parses strings and dicts
        dt = None
    if dt is None or dt.name not in allowed:
        raise ParameterError(f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}")
    return dt


def check_choice(name: str, value: Any, choices: tuple) -> Any:
    """``value`` if it is one of ``choices``.

    Examples
    --------
    >>> check_choice("method", "ve", ("ve", "icm"))
    've'
    """
    if not isinstance(value, str | int) or value not in choices:
        raise ParameterError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def check_flag(name: str, value: Any) -> bool:
    """A boolean switch: ``True``/``False`` (or the integers 0 and 1).

    Examples
    --------
    >>> check_flag("log", True), check_flag("log", 0)
    (True, False)
    """
    if isinstance(value, (bool, np.bool_, int, np.integer)) and value in (0, 1):
        return bool(value)
    raise ParameterError(f"{name} must be True or False, got {value!r}")


def resolve_seed(seed: Any, name: str = "seed") -> int:
    """The toolkit's seed convention: a non-negative 64-bit integer from ``seed``.

    ``None`` draws fresh entropy (63 bits); an integer must be in ``[0, 2**64)`` and is kept as
    it is; a :class:`~numpy.random.SeedSequence`, :class:`~numpy.random.Generator` or
    :class:`~numpy.random.RandomState` gives a draw from it (advancing a generator).

    Examples
    --------
    >>> resolve_seed(7)
    7
    >>> resolve_seed(-1)
    Traceback (most recent call last):
    ...
    pgm.exceptions.ParameterError: seed must be an integer in [0, 2**64), None or a numpy generator, got -1
    """
    if seed is None:
        return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0]) & _SEED_MASK
    if isinstance(seed, np.random.SeedSequence):
        return int(seed.generate_state(1, dtype=np.uint64)[0]) & _SEED_MASK
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**62))
    if isinstance(seed, np.random.RandomState):
        return int(seed.randint(0, 2**31 - 1))
    if not _is_bool(seed) and isinstance(seed, (int, np.integer)) and 0 <= int(seed) < 2**64:
        return int(seed)
    raise ParameterError(f"{name} must be an integer in [0, 2**64), None or a numpy generator, "
                         f"got {seed!r}")


def derived_seed(seed: int, purpose: int) -> int:
    """An independent 64-bit seed for one ``purpose`` of a run seeded with ``seed``.

    Examples
    --------
    >>> derived_seed(0, 1) == derived_seed(0, 1) != derived_seed(0, 2)
    True
    """
    return int(np.random.SeedSequence([int(seed), int(purpose)]).generate_state(1, dtype=np.uint64)[0])
