"""Example networks: classic small models, by name.

:func:`load` returns a fresh copy of a named model, :func:`available` lists the
names, and :func:`resolve_model` is what the command line does with a ``MODEL``
argument: a file when one of that name exists, else an example network.

Two kinds of examples:

* Defined here in Python: ``sprinkler`` (Russell & Norvig; Murphy), ``student``
  (Koller & Friedman, Fig. 3.4) and ``misconception`` (Koller & Friedman, Fig. 4.2,
  a loopy Markov network returned as a :class:`~pgm.factor_graph.FactorGraph`).
* Shipped as package data (``pgm/examples/data/*.bif.gz``, the bnlearn repository
  networks as pgmpy distributes them, copied unchanged; see ``data/README.md``):
  ``asia``, ``cancer``, ``earthquake``, ``sachs``, ``survey``, ``alarm``, ``child``,
  ``insurance``.

``asia`` is the BIF file.  The toolkit's demo used to embed a Python definition of
the same network (Lauritzen & Spiegelhalter 1988, the numbers of bnlearn's
``asia.bif``); the two have the same graph, states and CPDs (``tests/test_examples.py``
checks it against the numbers of that definition), so the file, the one source, wins.

Examples
--------
>>> from pgm.examples import available, load
>>> "asia" in available() and "misconception" in available()
True
>>> bn = load("asia")
>>> sorted(bn.markov_blanket("either"))
['bronc', 'dysp', 'lung', 'tub', 'xray']
>>> round(load("misconception").partition_function()) == MISCONCEPTION_Z
True
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pgm.bayesian_network import BayesianNetwork
from pgm.cpd import TabularCPD
from pgm.exceptions import ModelLoadError
from pgm.factor import Factor
from pgm.factor_graph import FactorGraph

__all__ = [
    "BIF_EXAMPLES",
    "DATA_DIR",
    "MISCONCEPTION_Z",
    "asia_network",
    "available",
    "example_path",
    "load",
    "misconception_network",
    "resolve_model",
    "sprinkler_network",
    "student_network",
]

#: folder of the shipped BIF files
DATA_DIR = Path(__file__).resolve().parent / "data"

#: the bnlearn networks shipped as ``data/<name>.bif.gz``
BIF_EXAMPLES = ("asia", "cancer", "earthquake", "sachs", "survey", "alarm", "child",
                "insurance")

#: the partition function of :func:`misconception_network` (Koller & Friedman, Fig. 4.2)
MISCONCEPTION_Z = 7_201_840.0


def _cpd(variable: str, values: Any, parents: Sequence[str] = (),
         states: dict[str, list[str]] | None = None) -> TabularCPD:
    names = {v: states[v] for v in (variable, *parents)} if states else None
    return TabularCPD(variable, values, parents, names)


def sprinkler_network() -> BayesianNetwork:
    """The cloudy / sprinkler / rain / wet-grass network (Russell & Norvig; Murphy).

    Examples
    --------
    >>> sprinkler_network().d_separated("sprinkler", "rain", "cloudy")
    True
    """
    tf = ["false", "true"]
    s = {v: tf for v in ("cloudy", "sprinkler", "rain", "wet_grass")}
    return BayesianNetwork.from_cpds([
        _cpd("cloudy", [0.5, 0.5], states=s),
        _cpd("sprinkler", [[0.5, 0.5], [0.9, 0.1]], ["cloudy"], s),
        _cpd("rain", [[0.8, 0.2], [0.2, 0.8]], ["cloudy"], s),
        _cpd("wet_grass", [[[1.0, 0.0], [0.1, 0.9]], [[0.1, 0.9], [0.01, 0.99]]],
             ["sprinkler", "rain"], s),
    ], name="sprinkler")


def student_network() -> BayesianNetwork:
    """Koller & Friedman's "student" network (difficulty, intelligence, grade, SAT, letter).

    Examples
    --------
    >>> student_network().d_separated("difficulty", "intelligence")
    True
    """
    s = {"difficulty": ["easy", "hard"], "intelligence": ["low", "high"],
         "grade": ["A", "B", "C"], "sat": ["low", "high"], "letter": ["weak", "strong"]}
    return BayesianNetwork.from_cpds([
        _cpd("difficulty", [0.6, 0.4], states=s),
        _cpd("intelligence", [0.7, 0.3], states=s),
        _cpd("grade", [[[0.3, 0.4, 0.3], [0.05, 0.25, 0.7]],
                       [[0.9, 0.08, 0.02], [0.5, 0.3, 0.2]]], ["intelligence", "difficulty"], s),
        _cpd("sat", [[0.95, 0.05], [0.2, 0.8]], ["intelligence"], s),
        _cpd("letter", [[0.1, 0.9], [0.4, 0.6], [0.99, 0.01]], ["grade"], s),
    ], name="student")


def misconception_network() -> FactorGraph:
    """Koller & Friedman's "misconception" Markov network: a loop A - B - C - D - A.

    Examples
    --------
    >>> round(misconception_network().partition_function()) == MISCONCEPTION_Z
    True
    """
    return FactorGraph([
        Factor(["A", "B"], [2, 2], [[30.0, 5.0], [1.0, 10.0]]),
        Factor(["B", "C"], [2, 2], [[100.0, 1.0], [1.0, 100.0]]),
        Factor(["C", "D"], [2, 2], [[1.0, 100.0], [100.0, 1.0]]),
        Factor(["D", "A"], [2, 2], [[100.0, 1.0], [1.0, 100.0]]),
    ])


def asia_network() -> BayesianNetwork:
    """The "Asia" chest-clinic network of Lauritzen & Spiegelhalter (1988): ``load("asia")``.

    Eight binary variables (states ``yes``, ``no``) from bnlearn's ``asia.bif``;
    ``either`` is the deterministic OR of ``tub`` and ``lung``.

    Examples
    --------
    >>> bn = asia_network()
    >>> bn.name, bn.state_names("lung")
    ('asia', ['yes', 'no'])
    """
    return load("asia")


#: the examples defined in Python: name -> builder
_BUILT: dict[str, Callable[[], BayesianNetwork | FactorGraph]] = {
    "sprinkler": sprinkler_network,
    "student": student_network,
    "misconception": misconception_network,
}


def available() -> list[str]:
    """The names :func:`load` accepts, sorted.

    Examples
    --------
    >>> available()[:4]
    ['alarm', 'asia', 'cancer', 'child']
    """
    return sorted({*BIF_EXAMPLES, *_BUILT})


def _unknown(name: object) -> ModelLoadError:
    return ModelLoadError(f"unknown example network {name!r}; available: "
                          f"{', '.join(available())}")


def example_path(name: str) -> Path:
    """The shipped BIF file of a bnlearn example (``data/<name>.bif.gz``).

    Raises :class:`~pgm.exceptions.ModelLoadError` for a name without a shipped file.

    Examples
    --------
    >>> example_path("asia").name
    'asia.bif.gz'
    """
    if name not in BIF_EXAMPLES:
        raise _unknown(name)
    return DATA_DIR / f"{name}.bif.gz"


def load(name: str) -> BayesianNetwork | FactorGraph:
    """A fresh copy of the example network ``name`` (see :func:`available`).

    Bayesian networks are named after the example (``bn.name == name``).

    Raises
    ------
    ModelLoadError
        An unknown name; the message lists the available ones.

    Examples
    --------
    >>> load("student").nodes
    ['difficulty', 'intelligence', 'grade', 'sat', 'letter']
    >>> load("nope")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pgm.exceptions.ModelLoadError: unknown example network 'nope'; available: alarm, asia, ...
    """
    if not isinstance(name, str):
        raise _unknown(name)
    key = name.strip().lower()
    if key in _BUILT:
        return _BUILT[key]()
    if key in BIF_EXAMPLES:
        from pgm.io.bif import read_bif

        bn = read_bif(example_path(key))
        bn.name = key
        return bn
    raise _unknown(name)


def resolve_model(arg: str | os.PathLike) -> BayesianNetwork | FactorGraph:
    """What the command line does with a ``MODEL`` argument.

    An existing file is read with :func:`pgm.io.load_model`; otherwise a name from
    :func:`available` gives that example network; otherwise the
    :class:`~pgm.exceptions.ModelLoadError` of a missing file (``"<arg>: no such file"``)
    is raised, with a hint listing the example names.  A file always wins over an
    example of the same name.

    Examples
    --------
    >>> resolve_model("asia").name
    'asia'
    >>> resolve_model("no-such-model.bif")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pgm.exceptions.ModelLoadError: no-such-model.bif: no such file (nor an example network: alarm, ...)
    """
    p = Path(arg)
    if p.is_file():
        from pgm.io import load_model

        return load_model(p)
    key = str(arg).strip().lower()
    if key in available():
        return load(key)
    raise ModelLoadError(f"{p}: no such file (nor an example network: "
                         f"{', '.join(available())})")
