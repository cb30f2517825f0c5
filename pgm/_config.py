"""Global defaults, overridable through environment variables."""

from __future__ import annotations

import os

__all__ = ["DEFAULT_MEMORY_BUDGET", "ENUMERATION_LIMIT", "memory_budget_bytes"]

#: Largest table (in bytes) an exact algorithm may allocate; ``PGM_MEMORY_BUDGET`` overrides it.
DEFAULT_MEMORY_BUDGET = 4 * 1024**3

#: Largest number of joint configurations that brute-force enumeration will touch.
ENUMERATION_LIMIT = 2**22


def memory_budget_bytes(budget: int | None = None) -> int:
    """Resolve a memory budget: the argument, else ``$PGM_MEMORY_BUDGET``, else the default."""
    if budget is not None:
        if budget <= 0:
            from pgm.exceptions import QueryError

            raise QueryError(f"memory budget must be positive, got {budget}")
        return int(budget)
    env = os.environ.get("PGM_MEMORY_BUDGET")
    if env:
        return int(float(env))
    return DEFAULT_MEMORY_BUDGET
