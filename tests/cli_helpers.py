"""What the command-line tests share: the example models' folder and a runner."""

from __future__ import annotations

from pathlib import Path

from pgm.cli import main

EXAMPLES = Path(__file__).parent / "examples"


def ex(name: str) -> str:
    """The path of ``tests/examples/NAME``."""
    return str(EXAMPLES / name)


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """Run ``pgm ARGV...`` in-process: ``(exit code, stdout, stderr)``."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
