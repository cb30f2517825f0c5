"""Reading and writing models.

:func:`load_model` dispatches on the file name: a Python file defining ``model``
(a BayesianNetwork or FactorGraph); the BIF and UAI formats arrive with the
exact-inference issue.
"""

from __future__ import annotations

import os
import runpy
from pathlib import Path

from pgm.exceptions import ModelLoadError

__all__ = ["load_model", "load_python_model"]


def load_python_model(path: str | os.PathLike, name: str = "model"):
    """Run a Python file and return its module-level ``model`` object."""
    from pgm.bayesian_network import BayesianNetwork
    from pgm.factor_graph import FactorGraph

    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"{path}: no such file")
    try:
        namespace = runpy.run_path(str(path))
    except Exception as exc:  # the user's file failed: say where
        raise ModelLoadError(f"{path}: running the file failed: {type(exc).__name__}: {exc}") from exc
    if name not in namespace:
        raise ModelLoadError(f"{path}: the file defines no variable {name!r}")
    model = namespace[name]
    if not isinstance(model, (BayesianNetwork, FactorGraph)):
        raise ModelLoadError(
            f"{path}: {name!r} is a {type(model).__name__}, not a BayesianNetwork or FactorGraph"
        )
    return model


def load_model(path: str | os.PathLike):
    """Load a model from a file, choosing the reader by its extension.

    Examples
    --------
    >>> load_model("missing.py")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    pgm.exceptions.ModelLoadError: missing.py: no such file
    """
    p = Path(path)
    suffixes = "".join(p.suffixes[-2:]).lower()
    if p.suffix.lower() == ".py":
        return load_python_model(p)
    raise ModelLoadError(f"{p}: unknown model format {suffixes or '(no extension)'!r}; "
                         "expected a .py file defining `model`")
