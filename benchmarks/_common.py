"""Shared helpers for the benchmark scripts (not part of the ``pgm`` package).

A benchmark script does::

    from _common import bench_parser, machine_info, optional_import, time_call, print_table, write_json

    args = bench_parser("what this measures").parse_args()
    t = time_call(lambda: work(), repeat=3 if args.quick else 7)   # warm-up excluded
    rows = [{"case": "x", "pgm": t.best, ...}]
    print_table(rows, ["case", "pgm"])
    if args.json:
        write_json(args.json, {"machine": machine_info(), "results": rows})

API (kept small on purpose)
---------------------------
``bench_parser(description)``      argparse parser with ``--quick``, ``--json FILE``, ``--markdown``
``machine_info(libraries)``        CPU, cores, memory, OS, Python and library versions
``library_versions(names)``        ``{name: version or None}`` without importing them
``optional_import(name)``          the module, or None if it is not installed
``time_call(fn, repeat, number)``  :class:`Timing` of ``fn()``, warm-up calls excluded
``fmt_seconds(s)`` / ``fmt_ratio`` human formatting
``print_table(rows, columns)``     a plain aligned text table
``write_json(path, payload)``      JSON written atomically (temp file + os.replace)

Run scripts from the repository root (``python benchmarks/bench_x.py``); the
directory of the script is on ``sys.path`` so ``import _common`` works.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_LIBRARIES",
    "Timing",
    "bench_parser",
    "fmt_ratio",
    "fmt_seconds",
    "library_versions",
    "machine_info",
    "optional_import",
    "print_table",
    "time_call",
    "write_json",
]

#: libraries whose versions every result file records
DEFAULT_LIBRARIES = ("pgm", "numpy", "scipy", "networkx", "numba", "pgmpy", "pyagrum", "torch")


def bench_parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the options every benchmark has.

    ``--quick``: a short run (seconds) for smoke tests; ``--json FILE``: also write
    the results as JSON; ``--markdown``: print tables as Markdown (pass it on to
    :func:`print_table`).  Scripts add their own options to the returned parser.

    Examples
    --------
    >>> bench_parser("demo").parse_args(["--quick"]).quick
    True
    """
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="a short run (smaller sizes, fewer repeats)")
    p.add_argument("--json", metavar="FILE", default=None, help="also write the results to FILE")
    p.add_argument("--markdown", action="store_true",
                   help="print result tables as Markdown (for benchmarks/README.md)")
    return p


def library_versions(names: Iterable[str] = DEFAULT_LIBRARIES) -> dict[str, str | None]:
    """Installed versions (``None`` when not installed), read from package metadata.

    Examples
    --------
    >>> library_versions(["surely-not-installed-xyz"])
    {'surely-not-installed-xyz': None}
    """
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


def machine_info(libraries: Iterable[str] = DEFAULT_LIBRARIES) -> dict[str, Any]:
    """Where a result was measured: CPU, usable cores, memory, OS, Python, library versions."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count()
    return {
        "cpu": _cpu_model(),
        "cores": cores,
        "memory_gib": _memory_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "libraries": library_versions(libraries),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def optional_import(name: str):
    """Import ``name`` or return None if it (or one of its dependencies) is missing."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


@dataclass
class Timing:
    """Seconds per call of a timed function.

    ``best`` (the minimum over repeats) is the number to compare: it is the least
    disturbed by other load.  ``median`` and ``mean`` describe the spread.
    """

    best: float
    median: float
    mean: float
    repeats: int
    number: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def time_call(fn: Callable[[], Any], *, repeat: int = 5, number: int | None = None,
              warmup: int = 1, min_time: float = 0.05) -> Timing:
    """Time ``fn()`` per call, excluding ``warmup`` untimed calls (JIT compile, caches).

    Parameters
    ----------
    fn : callable
        Called with no argument.
    repeat : int
        Number of timed rounds; each round runs ``number`` calls.
    number : int, optional
        Calls per round; by default chosen so that a round takes about ``min_time``.
    warmup : int
        Untimed calls first.

    Examples
    --------
    >>> t = time_call(lambda: sum(range(100)), repeat=3)
    >>> 0 < t.best <= t.median
    True
    """
    for _ in range(warmup):
        fn()
    if number is None:
        number = 1
        while True:
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            dt = time.perf_counter() - t0
            if dt >= min_time or number >= 1 << 20:
                break
            number *= 2 if dt <= 0 else max(2, min(10, math.ceil(min_time / dt)))
    rounds = []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        rounds.append((time.perf_counter() - t0) / number)
    return Timing(min(rounds), statistics.median(rounds), statistics.fmean(rounds), len(rounds),
                  number)


def fmt_seconds(seconds: float | None) -> str:
    """``1.23 ms``-style formatting; ``—`` for None/NaN.

    Examples
    --------
    >>> fmt_seconds(0.00123), fmt_seconds(2.5e-7), fmt_seconds(None)
    ('1.23 ms', '250 ns', '—')
    """
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "—"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale or unit == "ns":
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds:.3g} s"  # pragma: no cover


def fmt_ratio(ratio: float | None) -> str:
    """``12.3x``-style formatting; ``—`` for None.

    Examples
    --------
    >>> fmt_ratio(12.345), fmt_ratio(None)
    ('12.3x', '—')
    """
    if ratio is None or (isinstance(ratio, float) and math.isnan(ratio)):
        return "—"
    return f"{ratio:.3g}x"


def print_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None,
                file=None, *, markdown: bool = False) -> None:
    """Print ``rows`` (dicts) as an aligned text table (or Markdown); floats get 4 digits.

    Examples
    --------
    >>> print_table([{"case": "a", "t": 0.5}], markdown=True)
    | case | t |
    |---|---|
    | a | 0.5 |
    """
    file = file or sys.stdout
    if not rows:
        print("(no rows)", file=file)
        return
    columns = list(columns or rows[0].keys())

    def cell(v: Any) -> str:
        if v is None:
            return "—"
        if isinstance(v, float):
            return f"{v:.4g}"
        return str(v)

    table = [[cell(r.get(c)) for c in columns] for r in rows]
    if markdown:
        print("| " + " | ".join(columns) + " |", file=file)
        print("|" + "---|" * len(columns), file=file)
        for row in table:
            print("| " + " | ".join(row) + " |", file=file)
        return
    widths = [max(len(c), *(len(row[i]) for row in table)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)), file=file)
    print("  ".join("-" * w for w in widths), file=file)
    for row in table:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)), file=file)


def write_json(path: str | os.PathLike, payload: Any) -> Path:
    """Write ``payload`` as indented JSON, atomically (:func:`pgm.files.atomic_write_text`)."""
    from pgm.files import atomic_write_text

    return atomic_write_text(path, json.dumps(payload, indent=2, default=str) + "\n")
