"""The grammar every ``pgm`` subcommand shares: options, model loading, evidence, JSON.

Parser side (argparse only, nothing heavy imported, so ``pgm --help`` stays fast):

* :func:`add_model_argument` -- ``MODEL``: a model file or an example name (``asia``);
* :func:`add_evidence_options` -- ``-e/--evidence X=v`` (repeatable; ``X=v,Y=w`` also
  works; ``v`` a state name or index), ``--evidence-file FILE`` and ``--no-evidence``;
* :func:`add_seed_option` -- ``--seed N`` defaulting to :data:`DEFAULT_SEED` everywhere;
* :func:`add_json_option` -- ``--json``; :func:`add_out_option` -- ``-o/--out PATH``;
* :func:`add_memory_budget_option` -- ``--memory-budget BYTES`` (:func:`parse_bytes`: ``4G``,
  ``512M``, ``4e9``), the budget every input-sized allocation is checked against
  (:func:`pgm._config.check_allocation`; default ``$PGM_MEMORY_BUDGET`` or 4 GiB).

Run side:

* :func:`load_model` -- the one way every subcommand turns ``MODEL`` into a model
  (:func:`pgm.examples.resolve_model`: a file if it exists, else an example network);
* :func:`collect_evidence` -- the evidence of a command: the ``.uai`` model's
  ``MODEL.evid`` (unless ``--no-evidence``) or ``--evidence-file``, then ``-e`` items,
  all through :mod:`pgm.evidence`, so the same evidence gives the same answer or the
  same error message in every command;
* :func:`split_names`, :func:`resolve_variables`, :func:`require_variables` --
  variable lists, space- or comma-separated;
* :func:`seed_of`, :func:`refuse_unused` (flags that do nothing in a mode are errors);
* :func:`check_output_path` -- an output path that is a folder (or under a file) is an error;
  :func:`check_output_folder` -- an output folder that is a file (or under one) is one too;
* :func:`state_names`, :func:`marginals_json` -- one JSON shape per concept
  (marginals ``{"lung": {"yes": 0.1, "no": 0.9}}``);
* :func:`json_ready`, :func:`write_json` -- the one JSON writer: strict JSON
  (``allow_nan=False``; a non-finite float becomes ``null`` and its path is listed
  under ``"null_reasons"``), an ``"ok"`` field first, ``"model"`` next when present.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

from pgm.validation import DEFAULT_SEED

__all__ = [
    "DEFAULT_SEED",
    "CLIParser",
    "add_model_argument",
    "add_evidence_options",
    "add_seed_option",
    "add_json_option",
    "add_out_option",
    "add_memory_budget_option",
    "parse_bytes",
    "check_output_path",
    "check_output_folder",
    "load_model",
    "collect_evidence",
    "default_evidence_file",
    "split_names",
    "resolve_variables",
    "require_variables",
    "seed_of",
    "refuse_unused",
    "state_names",
    "evidence_json",
    "marginals_json",
    "json_ready",
    "write_json",
]

MODEL_HELP = ("a model file (.bif, .uai, .xmlbif/.xml, .net, .xdsl, each also .gz, or a .py "
              "file defining `model`) or the name "
              "of an example network (asia, sprinkler, student, misconception, alarm, ...; "
              "see pgm.examples.available())")


class CLIParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line: ``pgm CMD: error: ...`` (exit 2)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# ------------------------------------------------------------------ parser side
def add_model_argument(p: argparse.ArgumentParser, dest: str = "model") -> None:
    """The positional ``MODEL`` (a file or an example name)."""
    p.add_argument(dest, metavar="MODEL", help=MODEL_HELP)


def add_evidence_options(p: argparse.ArgumentParser) -> None:
    """``-e/--evidence X=v`` (repeatable), ``--evidence-file FILE``, ``--no-evidence``."""
    p.add_argument("-e", "--evidence", action="append", default=[], metavar="X=v",
                   help="evidence: variable X in state v (a state name or index); repeatable, "
                        "and X=v,Y=w also works (for UAI models, whose variables are 0..n-1, "
                        "3=1 sets variable 3 to state 1)")
    p.add_argument("--evidence-file", metavar="FILE",
                   help="evidence file: a UAI .evid file, a JSON object {variable: state}, "
                        "or X=v lines (# comments); -e items are applied on top")
    p.add_argument("--no-evidence", action="store_true",
                   help="ignore the MODEL.evid file that a .uai MODEL otherwise uses")


def add_seed_option(p: argparse.ArgumentParser, what: str = "random seed") -> None:
    """``--seed N``: the same default in every subcommand (:data:`DEFAULT_SEED`)."""
    p.add_argument("--seed", type=int, default=None, metavar="N",
                   help=f"{what} (default {DEFAULT_SEED}, pgm.validation.DEFAULT_SEED)")


def add_json_option(p: argparse.ArgumentParser) -> None:
    """``--json``: print one strict JSON object (with an ``ok`` field) instead of text."""
    p.add_argument("--json", action="store_true",
                   help="print the result as one strict JSON object (with an \"ok\" field)")


def add_out_option(p: argparse.ArgumentParser, what: str, default: str | None = None,
                   required: bool = False, metavar: str = "PATH") -> None:
    """``-o/--out PATH``: where the command writes its output."""
    tail = f" (default {default})" if default else ""
    p.add_argument("-o", "--out", metavar=metavar, default=default, required=required,
                   help=what + tail)


_UNITS = {"": 1, "b": 1, "k": 2**10, "kb": 10**3, "kib": 2**10, "m": 2**20, "mb": 10**6,
          "mib": 2**20, "g": 2**30, "gb": 10**9, "gib": 2**30, "t": 2**40, "tb": 10**12,
          "tib": 2**40}


def parse_bytes(text: str) -> int:
    """A byte count: ``4294967296``, ``4e9``, ``512M``, ``4G``, ``4GiB``, ``1.5GB``.

    The argparse ``type`` of ``--memory-budget`` (an unusable value is a usage error:
    one line, exit 2).

    Examples
    --------
    >>> parse_bytes("4G"), parse_bytes("1e6"), parse_bytes("2 MB")
    (4294967296, 1000000, 2000000)
    """
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*", text)
    if not m or m.group(2).lower() not in _UNITS:
        raise argparse.ArgumentTypeError(
            f"invalid byte count {text!r}; use e.g. 4294967296, 4e9, 512M or 4G")
    value = float(m.group(1)) * _UNITS[m.group(2).lower()]
    if not value >= 1 or not math.isfinite(value):
        raise argparse.ArgumentTypeError(
            f"the memory budget must be a finite number of bytes >= 1, got {text!r}")
    return int(value)


def add_memory_budget_option(p: argparse.ArgumentParser,
                             what: str = "largest allocation allowed") -> None:
    """``--memory-budget BYTES``: the budget of :func:`pgm._config.check_allocation`."""
    p.add_argument("--memory-budget", type=parse_bytes, default=None, metavar="BYTES",
                   help=f"{what}, e.g. 4G (default: $PGM_MEMORY_BUDGET or 4 GiB); larger "
                        "requests are refused before anything is allocated")


def check_output_path(path: Any, flag: str) -> None:
    """Refuse (:class:`~pgm.exceptions.ParameterError`) an output path that cannot be a file:
    an existing folder, or a path below an existing file.

    Examples
    --------
    >>> check_output_path("out.png", "-o")
    >>> check_output_path(".", "--figure")
    Traceback (most recent call last):
    ...
    pgm.exceptions.ParameterError: --figure . is a folder; give a file name (e.g. ./out.png)
    """
    import os
    from pathlib import Path

    from pgm.exceptions import ParameterError

    text = os.fspath(path)
    if not text:
        raise ParameterError(f"{flag} needs a file name, got ''")
    p = Path(text)
    if p.is_dir():
        raise ParameterError(f"{flag} {text} is a folder; give a file name (e.g. "
                             f"{os.path.join(text, 'out.png')})")
    for parent in p.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ParameterError(f"{flag} {text}: {parent} is a file, not a folder")
            break


def check_output_folder(path: Any, flag: str):
    """``path`` as the :class:`~pathlib.Path` of an output folder; refuses
    (:class:`~pgm.exceptions.ParameterError`) an empty name, an existing file, or a path
    below a file.

    Examples
    --------
    >>> check_output_folder("runs/a", "-o").name
    'a'
    >>> check_output_folder("", "-o/--out")
    Traceback (most recent call last):
    ...
    pgm.exceptions.ParameterError: -o/--out needs a folder name, got ''
    """
    import os
    from pathlib import Path

    from pgm.exceptions import ParameterError

    text = os.fspath(path)
    if not text:
        raise ParameterError(f"{flag} needs a folder name, got ''")
    out = Path(text)
    if out.exists() and not out.is_dir():
        raise ParameterError(f"{flag} {text} is a file; give a folder for the outputs")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ParameterError(f"{flag} {text}: {parent} is a file, not a folder")
            break
    return out


# ------------------------------------------------------------------ model
def load_model(spec: Any):
    """The model ``MODEL`` names: a file if it exists, else an example network by name.

    Every subcommand loads its model here.  Raises
    :class:`~pgm.exceptions.ModelLoadError` naming the file (and listing the example
    names) when it is neither.
    """
    try:
        from pgm.examples import resolve_model
    except ImportError:  # pragma: no cover - pgm.examples is part of the package
        resolve_model = None
    if resolve_model is not None:
        return resolve_model(spec)
    from pathlib import Path

    from pgm.io import load_model as load_file

    return load_file(Path(spec))


def default_evidence_file(model_path: Any):
    """The ``MODEL.evid`` beside a ``.uai`` (or ``.uai.gz``) model file, or ``None``."""
    from pathlib import Path

    path = Path(str(model_path))
    name = path.name.lower()
    if not name.endswith((".uai", ".uai.gz")) or not path.is_file():
        return None
    candidates = [Path(str(path) + ".evid")]
    if name.endswith(".gz"):
        candidates.append(Path(str(path)[:-3] + ".evid"))
    return next((c for c in candidates if c.is_file()), None)


def collect_evidence(model, args: argparse.Namespace, items: Iterable[str] = (),
                     command: str | None = None, soft: dict | None = None
                     ) -> tuple[dict[Hashable, int], str | None]:
    """``({variable: state index}, evidence file used or None)`` for a command.

    Soft evidence items (``-e X~0.8,0.2``) go into ``soft`` when the command passes a
    dict (and are refused otherwise; :func:`pgm.evidence.parse_evidence_items`).

    The evidence file is ``--evidence-file``, else the ``.uai`` model's ``MODEL.evid``
    (unless ``--no-evidence``); the ``-e`` items and then ``items`` (``infer``'s
    positional ``X=v``) are applied on top.  An ``-e`` item without ``=`` that names
    an existing file is read as an evidence file (the old ``infer --evidence FILE``),
    with a warning.
    """
    from pathlib import Path

    from pgm.evidence import parse_evidence_items, read_evidence_file
    from pgm.exceptions import ParameterError

    evidence: dict[Hashable, int] = {}
    source = None
    given_file = getattr(args, "evidence_file", None)
    if given_file is not None and not str(given_file).strip():
        raise ParameterError("--evidence-file needs a file name, got ''")
    for item in [*(getattr(args, "evidence", None) or []), *items]:
        if not str(item).replace(",", " ").strip():
            raise ParameterError(f"-e/--evidence {item!r} names no evidence; give X=v")
    if given_file and getattr(args, "no_evidence", False):
        raise ParameterError("--no-evidence does nothing with --evidence-file (the file given "
                             "replaces MODEL.evid)")
    if given_file:
        source = str(given_file)
    elif not getattr(args, "no_evidence", False):
        found = default_evidence_file(getattr(args, "model", ""))
        source = str(found) if found is not None else None
    if source is not None:
        evidence.update(read_evidence_file(model, source))
    tokens: list[str] = []
    for item in [*(getattr(args, "evidence", None) or []), *items]:
        if "=" not in item and Path(item).is_file():
            name = command or "pgm"
            print(f"pgm {name}: warning: --evidence FILE is deprecated; use --evidence-file "
                  f"{item}", file=sys.stderr)
            evidence.update(read_evidence_file(model, item))
            source = source or item
        else:
            tokens.append(item)
    evidence.update(parse_evidence_items(model, tokens, soft=soft))
    if soft:
        both = [v for v in soft if v in evidence]
        if both:
            raise ParameterError(f"{both[0]!r} has both evidence and soft evidence; give one")
    return evidence, source


# ------------------------------------------------------------------ variables
def split_names(tokens: Iterable[str], known: Iterable[Hashable] = ()) -> list[str]:
    """Names from space- or comma-separated tokens (``["a,b", "c"]`` -> ``a, b, c``).

    A token that is itself the name of a variable in ``known`` is kept whole.

    Examples
    --------
    >>> split_names(["a,b", "c", " d , "])
    ['a', 'b', 'c', 'd']
    """
    whole = {str(v) for v in known}
    out: list[str] = []
    for token in tokens:
        token = str(token)
        if token in whole:
            out.append(token)
            continue
        out += [n for n in token.replace(",", " ").split() if n]
    return out


def resolve_variables(model, tokens: Iterable[str]) -> tuple[list[Hashable], list[str]]:
    """``(variables, unknown names)`` for space- or comma-separated variable names.

    A name matches a variable or the ``str()`` of one (``"3"`` is variable ``3`` of a
    UAI model).  Duplicates are dropped, the order kept.
    """
    from pgm.evidence import model_variables

    variables = model_variables(model)
    by_name: dict[str, Hashable] = {}
    for v in variables:
        by_name.setdefault(str(v), v)
    known = set(variables)
    out: list[Hashable] = []
    unknown: list[str] = []
    for name in split_names(tokens, variables):
        if name in known:
            out.append(name)
        elif name in by_name:
            out.append(by_name[name])
        else:
            unknown.append(name)
    return list(dict.fromkeys(out)), list(dict.fromkeys(unknown))


def require_variables(model, tokens: Iterable[str]) -> list[Hashable]:
    """:func:`resolve_variables`, raising :class:`UnknownVariableError` naming the unknown."""
    from pgm.evidence import model_variables
    from pgm.exceptions import UnknownVariableError

    found, unknown = resolve_variables(model, tokens)
    if unknown:
        raise UnknownVariableError(
            f"unknown variable(s): {', '.join(repr(u) for u in unknown)} "
            f"(the model has {len(model_variables(model))} variables)")
    return found


# ------------------------------------------------------------------ flags
def seed_of(args: argparse.Namespace) -> int:
    """``--seed`` validated by :func:`pgm.validation.resolve_seed` (default :data:`DEFAULT_SEED`)."""
    from pgm.validation import resolve_seed

    seed = getattr(args, "seed", None)
    return resolve_seed(DEFAULT_SEED if seed is None else seed, name="--seed")


def refuse_unused(args: argparse.Namespace, flags: Sequence[str], reason: str) -> None:
    """Raise :class:`ParameterError` if any of ``flags`` (option strings) was given.

    An option counts as given when its value is neither ``None`` nor ``False`` nor an
    empty list (the options it applies to default to those).
    """
    from pgm.exceptions import ParameterError

    used = [f for f in flags
            if getattr(args, f.lstrip("-").replace("-", "_"), None) not in (None, False, [])]
    if used:
        raise ParameterError(f"{', '.join(used)} {'does' if len(used) == 1 else 'do'} nothing "
                             f"{reason}")


# ------------------------------------------------------------------ JSON
def state_names(model, variable: Hashable) -> list[str]:
    """The state names of ``variable`` as strings (``"0"``, ``"1"``, ... when unnamed)."""
    return [str(s) for s in model.state_names(variable)]


def evidence_json(model, evidence: Mapping[Hashable, int]) -> dict[str, str]:
    """Evidence ``{variable: state index}`` as ``{"variable": "state name"}``."""
    return {str(v): state_names(model, v)[int(s)] for v, s in evidence.items()}


def marginals_json(model, marginals: Mapping[Hashable, Any]) -> dict[str, dict[str, float]]:
    """Marginals ``{variable: probabilities}`` keyed by variable, then by state name."""
    return {str(v): dict(zip(state_names(model, v), (float(x) for x in p)))
            for v, p in marginals.items()}


def _float_reason(x: float) -> str:
    return "NaN" if math.isnan(x) else ("+infinity" if x > 0 else "-infinity")


def json_ready(obj: Any, reasons: dict[str, str] | None = None, path: str = "") -> Any:
    """``obj`` with NumPy scalars and arrays, paths and tuples made plain JSON values.

    Non-finite floats become ``None``; their dotted paths go into ``reasons``.
    """
    import numbers
    import os

    if reasons is None:
        reasons = {}
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if hasattr(obj, "dtype") and getattr(obj, "shape", None) == ():  # NumPy scalar
        obj = obj.item()
        if isinstance(obj, bool):
            return obj
    if isinstance(obj, numbers.Integral):
        return int(obj)
    if isinstance(obj, numbers.Real):
        x = float(obj)
        if math.isfinite(x):
            return x
        reasons[path or "."] = f"{_float_reason(x)} (not representable in JSON)"
        return None
    if isinstance(obj, Mapping):
        return {str(k): json_ready(v, reasons, f"{path}.{k}" if path else str(k))
                for k, v in obj.items()}
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if hasattr(obj, "tolist"):
        obj = obj.tolist()
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [json_ready(v, reasons, f"{path}[{i}]") for i, v in enumerate(obj)]
    return str(obj)


def write_json(data: Mapping[str, Any], stream=None) -> str:
    """Print ``data`` as strict JSON (the one writer of every subcommand); returns the text.

    ``"ok"`` comes first (``True`` unless given) and ``"model"`` second when present;
    non-finite floats are written as ``null`` and listed in ``"null_reasons"``.

    Examples
    --------
    >>> _ = write_json({"model": "asia", "log_z": float("-inf")})
    {
      "ok": true,
      "model": "asia",
      "log_z": null,
      "null_reasons": {
        "log_z": "-infinity (not representable in JSON)"
      }
    }
    """
    import json

    head = {"ok": bool(data.get("ok", True))}
    if "model" in data:
        head["model"] = data["model"]
    body = {**head, **{k: v for k, v in data.items() if k not in head}}
    reasons: dict[str, str] = {}
    clean = json_ready(body, reasons)
    if reasons:
        clean["null_reasons"] = {**clean.get("null_reasons", {}), **reasons}
    text = json.dumps(clean, indent=2, allow_nan=False)
    print(text, file=stream if stream is not None else sys.stdout, flush=True)
    return text
