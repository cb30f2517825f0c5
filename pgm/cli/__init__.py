"""The ``pgm`` command line.

Each subcommand lives in its own module of this package, which defines
``add_parser(subparsers)`` (argparse only: no heavy import, so ``pgm --help`` is
fast) and ``run(args) -> int`` (imports what it needs).  Exit codes: 0 success,
1 a negative answer (e.g. not normalized), 2 unreadable input or bad arguments.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: subcommand modules, in the order ``pgm --help`` lists them
SUBCOMMANDS = ("check", "query", "infer", "demo", "sample", "denoise", "rbm", "experiments")

EXIT_OK, EXIT_NEGATIVE, EXIT_BAD_INPUT = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="pgm",
        description="Probabilistic graphical models: check, query and run discrete models.",
    )
    parser.add_argument("--version", action="version", version="pgm 0.1.0")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"pgm.cli.{name}")
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pgm`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    from pgm.exceptions import PGMError

    try:
        return int(args.run(args) or 0)
    except PGMError as exc:
        print(f"pgm {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
