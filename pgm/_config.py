"""Global defaults, overridable through environment variables."""

from __future__ import annotations

import math
import os

__all__ = ["DEFAULT_MEMORY_BUDGET", "ENUMERATION_LIMIT", "memory_budget_bytes", "check_allocation"]

#: Largest table (in bytes) an exact algorithm may allocate; ``PGM_MEMORY_BUDGET`` overrides it.
DEFAULT_MEMORY_BUDGET = 4 * 1024**3

#: Largest number of joint configurations that brute-force enumeration will touch.
ENUMERATION_LIMIT = 2**22


def memory_budget_bytes(budget: int | None = None) -> int:
    """Resolve a memory budget: the argument, else ``$PGM_MEMORY_BUDGET``, else the default.

    A budget that is not a positive finite number of bytes (NaN, 0, negative, a string)
    raises :class:`~pgm.exceptions.ParameterError`, whether given here or in the
    environment.

    Examples
    --------
    >>> memory_budget_bytes(2**20)
    1048576
    """
    from pgm.exceptions import ParameterError

    source, value = "memory_budget", budget
    if budget is None:
        env = os.environ.get("PGM_MEMORY_BUDGET")
        if not env:
            return DEFAULT_MEMORY_BUDGET
        source = "PGM_MEMORY_BUDGET"
        try:
            value = float(env)
        except ValueError:
            raise ParameterError(f"PGM_MEMORY_BUDGET must be a number of bytes, got {env!r}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value < 1:
        raise ParameterError(f"{source} must be a positive finite number of bytes, got {value!r}")
    return int(value)


def check_allocation(n_bytes: int | float, what: str, *, memory_budget: int | None = None) -> int:
    """Refuse, before allocating, an array of ``n_bytes`` over the memory budget.

    Every path that sizes an array from its input (a count of samples, chains, hidden
    units, pixels, table rows) calls this first.  Raises
    :class:`~pgm.exceptions.MemoryBudgetError` naming ``what``, the bytes asked and the
    budget; returns ``n_bytes`` as an int otherwise.

    Examples
    --------
    >>> check_allocation(8 * 10**6, "samples", memory_budget=2**30)
    8000000
    >>> check_allocation(8 * 10**13, "samples", memory_budget=2**30)
    Traceback (most recent call last):
    ...
    pgm.exceptions.MemoryBudgetError: samples would need 80000000000000 bytes (7.45e+04 GiB), over ...
    """
    from pgm.exceptions import MemoryBudgetError

    budget = memory_budget_bytes(memory_budget)
    if n_bytes > budget:
        raise MemoryBudgetError(
            f"{what} would need {int(n_bytes)} bytes ({n_bytes / 2**30:.3g} GiB), over the memory "
            f"budget of {budget} bytes ({budget / 2**30:.3g} GiB); raise it with --memory-budget / "
            "memory_budget=... or PGM_MEMORY_BUDGET"
        )
    return int(n_bytes)
