"""What the command-line tests share: the example models' folder and a runner."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from pgm.cli import main

EXAMPLES = Path(__file__).parent / "examples"


def ex(name: str) -> str:
    """The path of ``tests/examples/NAME``."""
    return str(EXAMPLES / name)


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """Run ``pgm ARGV...`` in-process: ``(exit code, stdout, stderr)``; an argparse usage
    error (its ``SystemExit``) counts as its exit code."""
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


def png_header(path: Path, width: int, height: int) -> Path:
    """A PNG whose header claims ``width x height`` pixels (and holds almost nothing)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
                     + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b""))
    return path
