"""The ``pgm`` command line.

Each subcommand lives in its own module of this package, which defines
``add_parser(subparsers)`` (argparse only: no heavy import, so ``pgm --help`` is
fast) and ``run(args) -> int`` (imports what it needs).  Exit codes: 0 success,
1 a negative answer (e.g. not normalized), 2 unreadable input or bad arguments.

Every subcommand speaks one grammar, built from :mod:`pgm.cli.options`: ``MODEL``
is a file or an example name (``asia``); evidence is ``-e/--evidence X=v``
(repeatable) plus ``--evidence-file FILE`` (a ``.uai`` model's ``MODEL.evid`` is used
unless ``--no-evidence``); variable lists are space- or comma-separated; ``-o/--out``
is the output path; ``--seed`` defaults to :data:`pgm.validation.DEFAULT_SEED`;
``--json`` prints one strict JSON object with an ``"ok"`` field; ``--memory-budget BYTES``
(where a command allocates from its input) is the budget of every memory check the
command makes, file readers included (``$PGM_MEMORY_BUDGET`` while it runs).  Errors are one line
on stderr, ``pgm CMD: error: ...``, exit 2 (with ``--json`` also a JSON object
``{"ok": false, "error": ...}`` on stdout); so are flags that do nothing in the mode
asked for, and NaN, negative or zero values where a count or tolerance is expected.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Sequence

#: subcommand modules, in the order ``pgm --help`` lists them
SUBCOMMANDS = ("check", "query", "infer", "demo", "sample", "simulate", "learn", "denoise", "rbm",
               "experiments", "convert", "draw")

EXIT_OK, EXIT_NEGATIVE, EXIT_BAD_INPUT = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    from pgm.cli.options import CLIParser

    parser = CLIParser(
        prog="pgm",
        description="Probabilistic graphical models: check, query and run discrete models.",
    )
    parser.add_argument("--version", action="version", version="pgm 0.1.0")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CLIParser)
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"pgm.cli.{name}")
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pgm`` console script."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # reported by the subcommand's parser: ``pgm CMD: error: ...``
        sub = parser._subparsers._group_actions[0].choices.get(getattr(args, "command", None))
        (sub or parser).error(f"unrecognized arguments: {' '.join(extra)}")
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    import os

    from pgm.exceptions import PGMError

    # --memory-budget is the budget of the whole command: every layer's check (the file
    # readers' too) reads it as PGM_MEMORY_BUDGET while the command runs
    budget = getattr(args, "memory_budget", None)
    saved = os.environ.get("PGM_MEMORY_BUDGET")
    if budget is not None:
        os.environ["PGM_MEMORY_BUDGET"] = str(int(budget))
    try:
        return int(args.run(args) or 0)
    except PGMError as exc:
        return report_error(args, exc)
    except BrokenPipeError:  # `pgm ... --json | head`: the reader left; not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    finally:
        if budget is not None:
            if saved is None:
                os.environ.pop("PGM_MEMORY_BUDGET", None)
            else:
                os.environ["PGM_MEMORY_BUDGET"] = saved


#: the characters str.splitlines breaks lines at
_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def report_error(args: argparse.Namespace, exc: BaseException) -> int:
    """One line ``pgm CMD: error: Type: message`` on stderr (and JSON with ``--json``); 2.

    Line breaks inside the message (a file name or value given by the user may hold
    any of the characters :meth:`str.splitlines` breaks at) are shown escaped, so the
    error stays one line.
    """
    message = _LINE_BREAKS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"),
                               f"{type(exc).__name__}: {exc}")
    if getattr(args, "json", False):
        from pgm.cli.options import write_json

        data = {"ok": False, "error": message}
        if isinstance(getattr(args, "model", None), str):
            data["model"] = args.model
        write_json(data)
    command = " ".join(x for x in (args.command, getattr(args, "rbm_command", None),
                                   getattr(args, "study", None)) if x)
    print(f"pgm {command}: error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
