"""Lazy package attributes: one helper for the ``__init__`` of :mod:`pgm.inference` and
:mod:`pgm.models`, whose heavy modules (Numba kernels, scikit-learn) load on first use."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

__all__ = ["lazy_exports"]


def lazy_exports(package: str, names: Mapping[str, str], namespace: dict
                 ) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """Module ``__getattr__`` and ``__dir__`` that import ``names[attr]`` of ``package`` on demand.

    ``names`` maps an attribute to the submodule (relative to ``package``) defining it;
    a loaded attribute is stored in ``namespace`` (the package's ``globals()``), so the
    import happens once.

    Examples
    --------
    >>> ns = {}
    >>> getattr_, dir_ = lazy_exports("pgm", {"logsumexp": "_math"}, ns)
    >>> getattr_("logsumexp").__name__, "logsumexp" in ns
    ('logsumexp', True)
    """

    def __getattr__(name: str) -> object:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__
