"""Every docstring example in the installed package runs and prints what it says.

The modules are imported by their installed names (``pgm.models.rbm``, not
``models/rbm.py``), so the examples see the same classes as user code.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import pgm


def _modules() -> list[str]:
    names = ["pgm"]
    for info in pkgutil.walk_packages(pgm.__path__, "pgm."):
        names.append(info.name)
    for sub in ("pgm.models", "pgm.inference"):
        pkg = importlib.import_module(sub)
        names += [info.name for info in pkgutil.walk_packages(pkg.__path__, sub + ".")]
    return sorted(set(n for n in names if not n.endswith("__main__")))


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)          # examples that write files write them here
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = finder.find(module, name, globs={"np": np, **vars(module)})
    for test in tests:
        if test.examples:
            runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed (see output)"
