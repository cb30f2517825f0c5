"""Reading and writing models.

:func:`load_model` dispatches on the file name:

* ``.py``: a Python file defining ``model`` (a BayesianNetwork or FactorGraph);
* ``.bif`` / ``.bif.gz``: the BIF format (:func:`read_bif`), a BayesianNetwork;
* ``.uai`` / ``.uai.gz``: the UAI competition format (:func:`read_uai`), a
  FactorGraph for ``MARKOV`` files, a BayesianNetwork for ``BAYES`` files.  UAI
  variables are named by their integer index ``0 .. n-1``.

The readers for the UAI evidence (``.evid``) and reference-solution files
(``.PR``: log10 of the partition function; ``.MAR``: marginals) are here too.
Malformed files raise :class:`~pgm.exceptions.ParseError` naming the line and
token; a missing file or an unknown extension raises
:class:`~pgm.exceptions.ModelLoadError`.
"""

from __future__ import annotations

import os
import runpy
from pathlib import Path

from pgm.exceptions import ModelLoadError
from pgm.io import bif, uai
from pgm.io.bif import *  # noqa: F403  (read_bif, write_bif, format_bif)
from pgm.io.uai import *  # noqa: F403  (read_uai, write_uai, evidence and solution files)

__all__ = ["load_model", "load_python_model", *bif.__all__, *uai.__all__]


def load_python_model(path: str | os.PathLike, name: str = "model"):
    """Run a Python file and return its module-level ``model`` object.

    A file that raises, calls ``sys.exit``, or defines no BayesianNetwork or FactorGraph
    ``name`` raises :class:`~pgm.exceptions.ModelLoadError`."""
    from pgm.bayesian_network import BayesianNetwork
    from pgm.factor_graph import FactorGraph

    path = Path(path)
    if not path.is_file():
        raise ModelLoadError(f"{path}: no such file")
    try:
        namespace = runpy.run_path(str(path))
    except SystemExit as exc:  # a model file that exits is a load error, not pgm's exit
        call = "sys.exit()" if exc.code is None else f"sys.exit({exc.code!r})"
        raise ModelLoadError(f"{path}: the file called {call} instead of defining "
                             f"{name!r}") from None
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


def load_model(path: str | os.PathLike, *, memory_budget: int | None = None):
    """Load a model from a file, choosing the reader by its extension.

    ``.py`` (a file defining ``model``), ``.bif``/``.bif.gz`` (a BayesianNetwork) and
    ``.uai``/``.uai.gz`` (a FactorGraph, or a BayesianNetwork for ``BAYES`` files).
    A missing file or an unknown extension raises :class:`ModelLoadError`; a
    malformed BIF or UAI file raises :class:`~pgm.exceptions.ParseError`; a table larger
    than ``memory_budget`` (bytes; default ``$PGM_MEMORY_BUDGET`` or 4 GiB) raises
    :class:`~pgm.exceptions.MemoryBudgetError` before it is allocated.

    Examples
    --------
    >>> load_model("missing.py")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    pgm.exceptions.ModelLoadError: missing.py: no such file
    """
    p = Path(path)
    name = p.name.lower()
    suffixes = "".join(p.suffixes[-2:]).lower()
    if name.endswith(".py"):
        return load_python_model(p)
    for ext, reader in ((".bif", bif.read_bif), (".bif.gz", bif.read_bif),
                        (".uai", uai.read_uai), (".uai.gz", uai.read_uai)):
        if name.endswith(ext):
            if not p.is_file():
                raise ModelLoadError(f"{p}: no such file")
            return reader(p, memory_budget=memory_budget)
    raise ModelLoadError(f"{p}: unknown model format {suffixes or '(no extension)'!r}; "
                         "expected .py (defining `model`), .bif, .bif.gz, .uai or .uai.gz")
