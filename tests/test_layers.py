"""The layers of the house, checked on the source: core <- inference <- models <- command line.

Every import statement of every module of the installed package is read (with
:mod:`ast`, including imports inside functions, which are lazy but still
dependencies) and held to the rules of DEVELOPERS.md and issue 11:

* the core (``pgm.*`` outside ``pgm.inference``, ``pgm.models`` and ``pgm.cli``)
  never imports ``pgm.models`` or ``pgm.cli``, and imports ``pgm.inference`` only inside
  a function, in a module whose docstring says so;
* ``pgm.inference`` never imports ``pgm.models`` or ``pgm.cli``; ``pgm.models`` never
  imports ``pgm.cli``;
* no module imports an underscore name from another module, and a private module
  (``_kernels_pairwise``) is imported only from inside its own package;
* an exception class is imported from the module that defines it (``pgm.exceptions``),
  not through a re-export.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from dataclasses import dataclass
from pathlib import Path

import pytest

import pgm

ROOT = Path(pgm.__file__).resolve().parent.parent
#: source folder -> installed package name
PACKAGES = {"pgm": "pgm", "inference": "pgm.inference", "models": "pgm.models"}


@dataclass(frozen=True)
class Import:
    importer: str      # module doing the import
    module: str        # absolute module imported from
    names: tuple       # names taken from it (empty for ``import x``)
    lazy: bool         # inside a function
    line: int

    def where(self) -> str:
        return f"{self.importer}:{self.line}"


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT)
    parts = list(rel.with_suffix("").parts)
    parts[0] = PACKAGES[parts[0]]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    out = {}
    for folder in PACKAGES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "__pycache__" not in path.parts:
                out[_module_name(path)] = path
    return out


SOURCES = _sources()


def _imports(name: str, path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.append(Import(name, alias.name, (), lazy, child.lineno))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)]
                    module = ".".join(base + ([child.module] if child.module else []))
                else:
                    module = child.module or ""
                found.append(Import(name, module, tuple(a.name for a in child.names), lazy,
                                    child.lineno))
            visit(child, inner)

    visit(tree, False)
    return found


ALL_IMPORTS = [imp for name, path in SOURCES.items() for imp in _imports(name, path)]


def _layer(module: str) -> str | None:
    if module == "pgm.cli" or module.startswith("pgm.cli."):
        return "cli"
    if module == "pgm.models" or module.startswith("pgm.models."):
        return "models"
    if module == "pgm.inference" or module.startswith("pgm.inference."):
        return "inference"
    if module == "pgm" or module.startswith("pgm."):
        return "core"
    return None


def _targets(imp: Import) -> list[str]:
    """The modules an import reaches (``from pgm.inference import gibbs`` reaches both)."""
    out = [imp.module]
    for n in imp.names:
        if f"{imp.module}.{n}" in SOURCES:
            out.append(f"{imp.module}.{n}")
    return out


FORBIDDEN = {"core": {"models", "cli"}, "inference": {"models", "cli"}, "models": {"cli"}}


def test_the_walk_sees_every_layer():
    layers = {_layer(n) for n in SOURCES}
    assert {"core", "inference", "models", "cli"} <= layers
    assert len(ALL_IMPORTS) > 200


def test_no_import_climbs_a_layer():
    bad = []
    for imp in ALL_IMPORTS:
        own = _layer(imp.importer)
        for target in _targets(imp):
            if _layer(target) in FORBIDDEN.get(own, ()):
                bad.append(f"{imp.where()} ({own}) imports {target}")
    assert not bad, "imports against the layering:\n" + "\n".join(bad)


def test_core_uses_inference_only_lazily_and_says_where():
    bad = []
    for imp in ALL_IMPORTS:
        if _layer(imp.importer) != "core":
            continue
        if any(_layer(t) == "inference" for t in _targets(imp)):
            doc = ast.get_docstring(ast.parse(SOURCES[imp.importer].read_text(encoding="utf-8"))) or ""
            if not imp.lazy:
                bad.append(f"{imp.where()} imports {imp.module} at module level")
            elif "pgm.inference" not in doc:
                bad.append(f"{imp.where()} imports {imp.module}; its docstring does not say so")
    assert not bad, "\n".join(bad)


def _is_private(part: str) -> bool:
    return part.startswith("_") and not part.startswith("__")


def test_no_private_name_crosses_a_module():
    bad = []
    for imp in ALL_IMPORTS:
        if imp.module == "__future__" or _layer(imp.module) is None:
            continue
        for n in imp.names:
            if _is_private(n) and f"{imp.module}.{n}" not in SOURCES:
                bad.append(f"{imp.where()} imports the private name {n} from {imp.module}")
        for target in _targets(imp):
            parts = target.split(".")
            for i, part in enumerate(parts):
                if _is_private(part):
                    package = ".".join(parts[:i])
                    if not (imp.importer == package or imp.importer.startswith(package + ".")):
                        bad.append(f"{imp.where()} imports {target}, private to {package}")
                    break
    assert not bad, "\n".join(bad)


def test_exceptions_come_from_where_they_are_defined():
    bad = []
    for imp in ALL_IMPORTS:
        if _layer(imp.module) is None or imp.module not in SOURCES or imp.module == "pgm":
            continue
        module = importlib.import_module(imp.module)
        for n in imp.names:
            obj = getattr(module, n, None)
            if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ != imp.module:
                bad.append(f"{imp.where()} imports {n} from {imp.module}; it is defined in "
                           f"{obj.__module__}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("module", ["pgm", "pgm.inference"])
def test_light_packages_stay_light(module):
    """``import pgm`` and ``import pgm.inference`` import neither Numba nor the models."""
    import subprocess
    import sys

    code = (f"import sys, {module}; heavy = [m for m in ('numba', 'pgm.models', 'sklearn') "
            "if m in sys.modules]; print(heavy); sys.exit(bool(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("module", sorted(n for n in SOURCES if n.rpartition(".")[2].startswith("_kernels")))
def test_kernel_modules_hold_only_compiled_functions(module):
    """A ``_kernels_*`` module defines Numba functions and constants, nothing else."""
    from numba.core.dispatcher import Dispatcher

    mod = importlib.import_module(module)
    plain = [n for n, obj in vars(mod).items()
             if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == module]
    compiled = [n for n, obj in vars(mod).items() if isinstance(obj, Dispatcher)]
    assert compiled, f"{module} defines no compiled function"
    assert not plain, f"{module} defines plain Python {plain}; move them to a public module"
