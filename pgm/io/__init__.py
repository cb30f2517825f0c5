"""Reading and writing models.

:func:`load_model` dispatches on the file name:

* ``.py``: a Python file defining ``model`` (a BayesianNetwork or FactorGraph);
* ``.bif`` / ``.bif.gz``: the BIF format (:func:`read_bif`), a BayesianNetwork;
* ``.uai`` / ``.uai.gz``: the UAI competition format (:func:`read_uai`), a
  FactorGraph for ``MARKOV`` files, a BayesianNetwork for ``BAYES`` files.  UAI
  variables are named by their integer index ``0 .. n-1``;
* ``.xmlbif`` / ``.xml`` / ``.bifxml`` (pyAgrum's name; and ``.gz``): XMLBIF 0.3
  (:func:`read_xmlbif`), a BayesianNetwork;
* ``.net`` / ``.net.gz``: Hugin NET (:func:`read_net`), a BayesianNetwork;
* ``.xdsl`` / ``.xdsl.gz``: GeNIe XDSL (:func:`read_xdsl`), a BayesianNetwork.

:func:`save_model` writes a model by the same extensions (``.bif``, ``.uai``,
``.xmlbif``/``.xml``, ``.net``, ``.xdsl``, each optionally ``.gz``), atomically, every
probability written with ``repr`` so that a file read back gives the same tables; each
format's ``write_*`` and ``format_*`` functions are here too.

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
from pgm.io import bif, net, uai, xdsl, xmlbif
from pgm.io.bif import *  # noqa: F403  (read_bif, write_bif, format_bif)
from pgm.io.net import *  # noqa: F403  (read_net, write_net, format_net)
from pgm.io.uai import *  # noqa: F403  (read_uai, write_uai, evidence and solution files)
from pgm.io.xdsl import *  # noqa: F403  (read_xdsl, write_xdsl, format_xdsl)
from pgm.io.xmlbif import *  # noqa: F403  (read_xmlbif, write_xmlbif, format_xmlbif)

__all__ = ["load_model", "load_python_model", "save_model", "model_format", "MODEL_FORMATS",
           *bif.__all__, *uai.__all__, *xmlbif.__all__, *net.__all__, *xdsl.__all__]

#: the model file formats: name -> (extensions, reader, writer)
MODEL_FORMATS = {
    "bif": ((".bif",), bif.read_bif, bif.write_bif),
    "uai": ((".uai",), uai.read_uai, uai.write_uai),
    "xmlbif": ((".xmlbif", ".xml", ".bifxml"), xmlbif.read_xmlbif, xmlbif.write_xmlbif),
    "net": ((".net",), net.read_net, net.write_net),
    "xdsl": ((".xdsl",), xdsl.read_xdsl, xdsl.write_xdsl),
}
_EXPECTED = ".bif, .uai, .xmlbif, .xml, .net or .xdsl (each optionally .gz)"


def model_format(path: str | os.PathLike) -> str | None:
    """The format named by a file's extension (``"bif"``, ``"uai"``, ``"xmlbif"``,
    ``"net"``, ``"xdsl"``; a ``.gz`` after it is allowed), or None.

    Examples
    --------
    >>> model_format("asia.bif.gz"), model_format("asia.XDSL"), model_format("a.txt")
    ('bif', 'xdsl', None)
    """
    name = Path(path).name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    for fmt, (exts, _, _) in MODEL_FORMATS.items():
        if name.endswith(exts):
            return fmt
    return None


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

    ``.py`` (a file defining ``model``), ``.bif``, ``.xmlbif``/``.xml``, ``.net`` and
    ``.xdsl`` (a BayesianNetwork) and ``.uai`` (a FactorGraph, or a BayesianNetwork for
    ``BAYES`` files), each but ``.py`` also gzipped (``.bif.gz``, ...).
    A missing file or an unknown extension raises :class:`ModelLoadError`; a
    malformed model file raises :class:`~pgm.exceptions.ParseError`; a table larger
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
    fmt = model_format(p)
    if fmt is not None:
        if not p.is_file():
            raise ModelLoadError(f"{p}: no such file")
        return MODEL_FORMATS[fmt][1](p, memory_budget=memory_budget)
    raise ModelLoadError(f"{p}: unknown model format {suffixes or '(no extension)'!r}; "
                         f"expected .py (defining `model`), {_EXPECTED}")


def save_model(model, path: str | os.PathLike, *, format: str | None = None) -> str:
    """Write ``model`` to ``path`` in the format its extension names; returns the format.

    ``.bif``, ``.xmlbif``/``.xml``, ``.net``, ``.xdsl`` (Bayesian networks) and ``.uai``
    (a factor graph, or a Bayesian network as a ``BAYES`` file), each optionally
    followed by ``.gz`` (gzip-compressed).  ``format`` (one of :data:`MODEL_FORMATS`)
    overrides the extension.  The file is replaced atomically and the numbers are
    written with ``repr``: reading it back gives the same tables.  An unknown
    extension raises :class:`ModelLoadError`; a model the format cannot hold (a
    factor graph as BIF) raises :class:`~pgm.exceptions.ModelError`.

    Examples
    --------
    >>> import tempfile, os
    >>> from pgm import BayesianNetwork, TabularCPD
    >>> bn = BayesianNetwork.from_cpds([TabularCPD("a", [0.25, 0.75])])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     save_model(bn, os.path.join(d, "a.net.gz"))
    ...     load_model(os.path.join(d, "a.net.gz")).get_cpd("a").values.tolist()
    'net'
    [0.25, 0.75]
    """
    from pgm.bayesian_network import BayesianNetwork
    from pgm.exceptions import ModelError

    p = Path(path)
    fmt = format if format is not None else model_format(p)
    if fmt not in MODEL_FORMATS:
        if format is not None:
            raise ModelLoadError(f"unknown model format {format!r}; expected one of "
                                 f"{', '.join(MODEL_FORMATS)}")
        suffixes = "".join(p.suffixes[-2:]).lower()
        raise ModelLoadError(f"{p}: unknown model format {suffixes or '(no extension)'!r}; "
                             f"expected {_EXPECTED}")
    if fmt != "uai" and not isinstance(model, BayesianNetwork):
        raise ModelError(f"{p}: the {fmt.upper()} format holds Bayesian networks, not a "
                         f"{type(model).__name__}; write it as .uai")
    MODEL_FORMATS[fmt][2](model, p)
    return fmt
