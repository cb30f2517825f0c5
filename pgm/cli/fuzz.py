"""Hostile inputs for the whole toolkit, and the verdict on each: the fuzz harness.

The generators (Hypothesis strategies) and :func:`run_case` are shared by the bounded
fuzz suite (``tests/test_fuzz.py``, part of CI) and the open-ended campaign
(``benchmarks/fuzz_campaign.py --minutes N``).  The property they check is the one
of issue 12: on any input, pgm returns a valid result or raises a
:class:`~pgm.exceptions.PGMError` (the command line: exit 0, 1 or 2 with one line on
stderr) -- never another exception, never a hang past a per-case time limit, never a
traced allocation past the memory budget.

This module lives in the command-line layer because it drives every layer, the
command line included.

Generators
----------
* :func:`mutated_text`: a model file's text with spans deleted, duplicated or
  overwritten by tokens that parsers get wrong (huge or Unicode digits, ``1_0``,
  ``nan``, unbalanced brackets);
* :func:`damaged_bytes`: a binary file truncated, byte-flipped or spliced;
* :func:`evidence_items`: ``X=v`` strings, well formed or not;
* :func:`cli_arguments`: argument vectors for the subcommands, built from the parsers
  themselves (every option of every subcommand, with values from a hostile pool).

Examples
--------
>>> from pgm.exceptions import EvidenceError
>>> def bad():
...     raise EvidenceError("no such state")
>>> run_case(bad).kind, run_case(lambda: 1).kind, run_case(lambda: 1 / 0).kind
('pgm_error', 'ok', 'crash')
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import signal
import threading
import time
import traceback
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from pgm.exceptions import PGMError

__all__ = [
    "OUTCOMES",
    "Outcome",
    "CaseTimeout",
    "run_case",
    "run_cli_case",
    "mutated_text",
    "damaged_bytes",
    "evidence_items",
    "cli_arguments",
    "NASTY_TOKENS",
    "FuzzTarget",
    "fuzz_targets",
    "CLI_COMMANDS",
]

#: the verdicts: a valid result, a PGMError (or a clean exit 0/1/2), and the failures
OUTCOMES = ("ok", "pgm_error", "crash", "timeout", "memory")

#: tokens that parsers get wrong: numbers Python accepts but a file format does not,
#: numbers too large for any table, brackets and separators out of place
NASTY_TOKENS = ("1_0", "\u0661\u0662", "\uff11", "9" * 40, "1e400", "-1", "nan", "inf",
                "-0", "0x10", "{", "}", "(", ")", ";", ",", "|", "=", "\"", "'", "\\", "\n",
                "\t", "\x00", "\ufeff", "variable", "probability", "table", "default",
                "MARKOV", "BAYES", "2.5", "")

#: value pools: about half of each is plausible, so that cases get past the first check
_INT_VALUES = ("1", "2", "3", "5", "10", "1", "2", "3", "5", "10", "4", "20",
               "-1", "0", "nan", "inf", "x", "", "1e3", "2.5", "-0", "1_0", "\u0661")
_FLOAT_VALUES = ("0.1", "0.5", "1", "2", "0.01", "0.9", "0.1", "0.5", "1", "2", "0.3",
                 "-1", "0", "nan", "inf", "-inf", "x", "", "1e300", "1e-300", "1_0")
#: options whose value sizes an array: they also get counts no machine holds
SIZE_OPTIONS = frozenset({"--samples", "--chains", "--hidden", "--runs", "--size", "--limit",
                          "--temperatures", "--restarts", "--batch-size"})
_HUGE_VALUES = ("100000000000", "10000000000000", "1e13")
#: option values that name files, present or not
_PATH_VALUES = ("", "missing.bif", ".", "/", "model.npz", "out.png", "/dev/null")


@dataclass(frozen=True)
class Outcome:
    """The verdict on one case: ``kind`` (one of :data:`OUTCOMES`), a short ``detail``,
    the ``seconds`` it took and the traced ``peak_bytes``."""

    kind: str
    detail: str = ""
    seconds: float = 0.0
    peak_bytes: int = 0

    @property
    def failed(self) -> bool:
        return self.kind in ("crash", "timeout", "memory")


class CaseTimeout(BaseException):
    """Raised inside a case that ran past its time limit (a BaseException, so that a
    careless ``except Exception`` in the code under test cannot swallow it)."""


@contextlib.contextmanager
def _time_limit(seconds: float | None):
    usable = (seconds and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def alarm(signum, frame):
        raise CaseTimeout(f"over {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_case(fn: Callable[[], object], *, seconds: float | None = 30.0,
             memory_limit: int | None = None) -> Outcome:
    """Run ``fn()`` and classify what happened (see :data:`OUTCOMES`).

    ``memory_limit`` (bytes) turns a traced peak above it into ``"memory"``; a
    :class:`MemoryError` that is not a :class:`~pgm.exceptions.MemoryBudgetError` is
    ``"memory"`` too (an allocation the budget should have refused).
    """
    tracing = memory_limit is not None and not tracemalloc.is_tracing()
    if tracing:
        tracemalloc.start()
    start = time.perf_counter()
    kind, detail = "ok", ""
    try:
        with _time_limit(seconds):
            fn()
    except CaseTimeout as exc:
        kind, detail = "timeout", str(exc)
    except PGMError as exc:
        kind, detail = "pgm_error", f"{type(exc).__name__}: {str(exc)[:200]}"
    except MemoryError as exc:
        kind, detail = "memory", f"{type(exc).__name__}: {str(exc)[:200]}"
    except Exception as exc:  # the failures this harness looks for
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        kind = "crash"
        detail = f"{type(exc).__name__}: {str(exc)[:200]} at {tb.filename}:{tb.lineno}"
    finally:
        peak = 0
        if memory_limit is not None:
            peak = tracemalloc.get_traced_memory()[1]
            if tracing:
                tracemalloc.stop()
            else:
                tracemalloc.reset_peak()
    if memory_limit is not None and peak > memory_limit and kind != "crash":
        kind, detail = "memory", f"traced peak {peak} bytes over {memory_limit}"
    return Outcome(kind, detail, time.perf_counter() - start, peak)


def run_cli_case(argv: Sequence[str], *, seconds: float | None = 30.0,
                 memory_limit: int | None = None) -> Outcome:
    """Run ``pgm ARGV`` in-process and classify it: exit 0 is ``"ok"``; exit 1 or 2 with
    one line on stderr (warnings aside) and no traceback is ``"pgm_error"``; anything
    else fails."""
    from pgm.cli import main

    out, err = io.StringIO(), io.StringIO()
    codes: list[int] = []

    def call() -> None:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                codes.append(int(main(list(argv)) or 0))
            except SystemExit as exc:  # argparse: usage errors and --help
                codes.append(exc.code if isinstance(exc.code, int) else 2)

    result = run_case(call, seconds=seconds, memory_limit=memory_limit)
    if result.kind != "ok":
        return result
    code, text = codes[0], err.getvalue()
    lines = [ln for ln in text.splitlines()
             if ln.strip() and not ln.startswith("warning:") and ": warning:" not in ln]
    if "Traceback" in text:
        return Outcome("crash", f"traceback on stderr: {text[-300:]}", result.seconds,
                       result.peak_bytes)
    if code == 0:
        return result
    if code in (1, 2) and len(lines) <= 1:
        return Outcome("pgm_error", f"exit {code}: {text.strip()[:200]}", result.seconds,
                       result.peak_bytes)
    return Outcome("crash", f"exit {code} with {len(lines)} stderr lines: {text[-300:]}",
                   result.seconds, result.peak_bytes)


# ------------------------------------------------------------------ generators
@st.composite
def mutated_text(draw, text: str, *, max_mutations: int = 4) -> str:
    """``text`` with up to ``max_mutations`` spans deleted, duplicated or replaced by a
    :data:`NASTY_TOKENS` token (or a random short string)."""
    for _ in range(draw(st.integers(1, max_mutations))):
        n = len(text)
        i = draw(st.integers(0, n))
        j = min(n, i + draw(st.integers(0, 40)))
        op = draw(st.sampled_from(("delete", "duplicate", "replace", "insert")))
        token = draw(st.one_of(st.sampled_from(NASTY_TOKENS), st.text(max_size=6)))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] * draw(st.integers(1, 3)) + text[j:]
        elif op == "replace":
            text = text[:i] + token + text[j:]
        else:
            text = text[:i] + token + text[i:]
    return text


@st.composite
def damaged_bytes(draw, data: bytes) -> bytes:
    """``data`` truncated, with bytes flipped, or with a span spliced elsewhere."""
    op = draw(st.sampled_from(("truncate", "flip", "splice", "empty")))
    if op == "empty" or not data:
        return b""
    if op == "truncate":
        return data[:draw(st.integers(0, len(data) - 1))]
    if op == "flip":
        out = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            k = draw(st.integers(0, len(out) - 1))
            out[k] ^= 1 << draw(st.integers(0, 7))
        return bytes(out)
    i = draw(st.integers(0, len(data) - 1))
    j = draw(st.integers(i, min(len(data), i + 256)))
    k = draw(st.integers(0, len(data)))
    return data[:k] + data[i:j] + data[k:]


def evidence_items(variables: Sequence[str], states: Sequence[str]) -> st.SearchStrategy[str]:
    """``X=v`` strings mixing real variables and states with nasty ones."""
    names = st.one_of(st.sampled_from(list(variables)), st.sampled_from(NASTY_TOKENS),
                      st.text(max_size=5))
    values = st.one_of(st.sampled_from(list(states)), st.sampled_from(NASTY_TOKENS),
                       st.integers(-3, 9).map(str), st.text(max_size=5))
    item = st.builds(lambda a, b, sep: f"{a}{sep}{b}", names, values,
                     st.sampled_from(("=", "=", "==", "")))
    return st.lists(item, min_size=1, max_size=3).map(",".join)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse keeps its subparsers here, and only here
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _option_values(action: argparse.Action) -> st.SearchStrategy[list[str]]:
    if action.nargs == 0:
        return st.just([])
    if action.choices:
        pool = st.one_of(st.sampled_from([str(c) for c in action.choices]), st.just("bogus"))
    elif action.type is int:
        extra = _HUGE_VALUES if any(o in SIZE_OPTIONS for o in action.option_strings) else ()
        pool = st.sampled_from(_INT_VALUES + extra)
    elif action.type is float:
        pool = st.sampled_from(_FLOAT_VALUES)
    else:
        pool = st.one_of(st.sampled_from(_PATH_VALUES + _INT_VALUES), st.text(max_size=8))
    fixed = action.nargs if isinstance(action.nargs, int) else 1
    count = {None: 1, "?": 1, "+": 2, "*": 2}.get(action.nargs, fixed)
    return st.lists(pool, min_size=1 if action.nargs != "*" else 0, max_size=count)


@st.composite
def cli_arguments(draw, commands: Sequence[Sequence[str]], models: Sequence[str],
                  *, skip: frozenset = frozenset({"--help", "-h", "--version", "--resume"}),
                  max_options: int = 4) -> list[str]:
    """An argument vector for one of ``commands`` (``("infer",)``, ``("rbm", "score")``):
    its positionals from ``models``, then up to ``max_options`` of its options with
    values from the hostile pools (array-sizing options also get counts no machine
    could hold, which the memory budget must refuse)."""
    from pgm.cli import build_parser

    command = list(draw(st.sampled_from(list(commands))))
    parser = build_parser()
    for word in command:
        parser = _subparsers(parser)[word]
    argv = list(command)
    options = [a for a in parser._actions if a.option_strings and not set(a.option_strings) & skip]
    for action in parser._actions:
        if not action.option_strings and not isinstance(action, argparse._SubParsersAction):
            if action.nargs in ("*", "?") and draw(st.booleans()):
                continue
            argv.append(draw(st.one_of(st.sampled_from(list(models)),
                                       st.sampled_from(_PATH_VALUES))))
    chosen = draw(st.lists(st.sampled_from(options), max_size=max_options, unique_by=id)) if options else []
    for action in chosen:
        argv.append(draw(st.sampled_from(action.option_strings)))
        argv += draw(_option_values(action))
    return argv



# ------------------------------------------------------------------ targets
#: the subcommands the command-line target drives: all that read input (``demo`` and
#: ``experiments`` read none and take seconds to minutes a case; their options are
#: covered by the command-line tests)
CLI_COMMANDS = (("check",), ("query",), ("infer",), ("sample",), ("denoise",), ("rbm", "score"),
                ("rbm", "sample"), ("rbm", "train"), ("simulate",), ("learn",),
                ("convert",))


@dataclass(frozen=True)
class FuzzTarget:
    """One family of hostile inputs: a strategy of cases and how to run one."""

    name: str
    cases: st.SearchStrategy
    run: Callable[[Any], Outcome]
    describe: Callable[[Any], str] = repr


def fuzz_targets(workdir: str | os.PathLike, *, seconds: float = 30.0,
                 memory_limit: int | None = None) -> dict[str, FuzzTarget]:
    """The fuzz targets, with their scratch files in ``workdir``: ``bif``, ``uai``,
    ``xmlbif``, ``net`` and ``xdsl`` (mutated example networks through the readers),
    ``csv`` (mutated data tables through EM fitting), ``evidence`` (``X=v`` strings
    through the evidence parser), ``npz`` (damaged RBM files through the loader and a
    score) and ``cli`` (argument vectors through :data:`CLI_COMMANDS`)."""
    import numpy as np

    from pgm.evidence import parse_evidence_items
    from pgm.examples import example_path, load
    from pgm.io import (
        format_net,
        format_xdsl,
        format_xmlbif,
        read_bif,
        read_net,
        read_uai,
        read_xdsl,
        read_xmlbif,
    )
    from pgm.io.text import read_text_file
    from pgm.io.uai import format_uai
    from pgm.models import BernoulliRBM

    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    bif_texts = {n: read_text_file(example_path(n)) for n in ("asia", "cancer", "survey")}
    uai_text = format_uai(load("misconception"))
    asia = load("asia")
    rbm_path = work / "rbm.npz"
    X = (np.random.default_rng(0).random((40, 6)) > 0.5).astype("float32")
    BernoulliRBM(n_components=3, n_iter=1, random_state=0, verbose=False).fit(X).save(rbm_path)
    rbm_bytes = rbm_path.read_bytes()
    damaged_path = work / "damaged.npz"
    examples = Path(__file__).resolve().parents[2] / "tests" / "examples"
    models = ["asia", "cancer", "sprinkler", "misconception", "no-such-model", str(rbm_path)]
    # copies, not the files themselves: a fuzzed command that writes (``convert``,
    # ``simulate -o``) may be handed any of these paths as its output
    for n in ("broken_cpd.py", "cycle.py"):
        if (examples / n).is_file():
            (work / n).write_bytes((examples / n).read_bytes())
            models.append(str(work / n))
    csv_text = asia.simulate(60, seed=0).to_frame().to_csv(index=False)
    (work / "asia.csv").write_text(csv_text, encoding="utf-8")
    models.append(str(work / "asia.csv"))  # DATA for ``learn`` (a bad MODEL elsewhere)
    fuzzed_csv = work / "fuzzed.csv"

    def limited(fn):
        return run_case(fn, seconds=seconds, memory_limit=memory_limit)

    def run_npz(data: bytes) -> Outcome:
        damaged_path.write_bytes(data)

        def load_and_score():
            BernoulliRBM.load(damaged_path).score_samples(X[:2])

        return limited(load_and_score)

    def run_csv(text: str) -> Outcome:
        import warnings

        from pgm.learning import fit_parameters

        fuzzed_csv.write_text(text, encoding="utf-8", errors="replace")

        def fit():
            with warnings.catch_warnings():  # unseen parent rows: expected of damaged data
                warnings.simplefilter("ignore")
                fit_parameters(asia, fuzzed_csv, method="em", max_iterations=3)

        return limited(fit)

    def run_cli(argv: list[str]) -> Outcome:
        cwd = os.getcwd()
        os.chdir(work)
        try:
            return run_cli_case(argv, seconds=seconds, memory_limit=memory_limit)
        finally:
            os.chdir(cwd)

    bif_cases = st.sampled_from(sorted(bif_texts)).flatmap(lambda n: mutated_text(bif_texts[n]))
    xmlbif_text, net_text, xdsl_text = format_xmlbif(asia), format_net(asia), format_xdsl(asia)
    # a trailing comment keeps a "<" in the text (so it is read as text, not as a file
    # name) and is valid after the root element
    xml_tail = "\n<!-- end -->\n"
    return {
        "xmlbif": FuzzTarget("xmlbif", mutated_text(xmlbif_text),
                             lambda t: limited(lambda: read_xmlbif(t + xml_tail)),
                             lambda t: f"XMLBIF text of {len(t)} characters"),
        "net": FuzzTarget("net", mutated_text(net_text),
                          lambda t: limited(lambda: read_net(t + "\n")),
                          lambda t: f"NET text of {len(t)} characters"),
        "xdsl": FuzzTarget("xdsl", mutated_text(xdsl_text),
                           lambda t: limited(lambda: read_xdsl(t + xml_tail)),
                           lambda t: f"XDSL text of {len(t)} characters"),
        "bif": FuzzTarget("bif", bif_cases, lambda t: limited(lambda: read_bif(t + "\n")),
                          lambda t: f"BIF text of {len(t)} characters"),
        "uai": FuzzTarget("uai", mutated_text(uai_text), lambda t: limited(lambda: read_uai(t + "\n")),
                          lambda t: f"UAI text {t[:60]!r}..."),
        "evidence": FuzzTarget("evidence", evidence_items(asia.nodes, ["yes", "no", "0", "1"]),
                               lambda e: limited(lambda: parse_evidence_items(asia, [e]))),
        "csv": FuzzTarget("csv", mutated_text(csv_text), run_csv,
                          lambda t: f"data table of {len(t)} characters"),
        "npz": FuzzTarget("npz", damaged_bytes(rbm_bytes), run_npz,
                          lambda b: f"RBM file of {len(b)} bytes"),
        "cli": FuzzTarget("cli", cli_arguments(CLI_COMMANDS, models), run_cli,
                          lambda a: "pgm " + " ".join(map(repr, a))),
    }
