"""Text in and bytes out for every model format: one "path or text" reader and one writer.

:func:`read_source` takes what the format readers take, a path or the file's text, and
returns the text (gunzipped when the file is gzip data, UTF-8 with a Latin-1 fallback)
with the path for error messages; the file, and a gzip file's decompressed data, must
fit the memory budget.  :func:`write_source` writes a format's text atomically,
gzipped when the name ends in ``.gz``.  :func:`read_floats` converts runs of numbers
inside a text a piece at a time, for the readers of large tables.

Examples
--------
>>> read_source("net {\\n}\\n", text_markers="{\\n")
('net {\\n}\\n', None)
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from pgm._config import check_allocation, memory_budget_bytes
from pgm.exceptions import ModelLoadError

__all__ = ["read_text_file", "read_source", "write_source", "read_floats", "float_pieces"]


_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20  # bytes of decompressed output per step


def _gunzip(data: bytes, where: str, memory_budget: int | None) -> bytes:
    """Decompress every gzip member of ``data`` step by step, refusing (with
    :class:`~pgm.exceptions.MemoryBudgetError`) as soon as the output would pass the
    memory budget, so that a small "gzip bomb" never gets inflated."""
    budget = memory_budget_bytes(memory_budget)
    out: list[bytes] = []
    total = 0
    rest = data
    while True:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip wrapper: header, CRC-32, size
        buf = rest
        while True:
            try:
                piece = d.decompress(buf, _CHUNK)
            except zlib.error as exc:
                raise ModelLoadError(f"{where}: corrupt gzip data: {exc}") from None
            total += len(piece)
            if total > budget:
                check_allocation(total, f"{where}: decompressing the file (stopped early)",
                                 memory_budget=budget)
            out.append(piece)
            if d.eof:
                break
            buf = d.unconsumed_tail
            if not buf and not piece:
                raise ModelLoadError(f"{where}: corrupt gzip data: the file ends before the "
                                     "end of the compressed stream (truncated?)")
        # like gzip.decompress: zero padding may follow; anything else must be a member
        rest = d.unused_data.lstrip(b"\x00")
        if not rest:
            return b"".join(out)
        if rest[:2] != _GZIP_MAGIC:
            raise ModelLoadError(f"{where}: corrupt gzip data: trailing bytes after the "
                                 "compressed stream")


def read_text_file(path: str | os.PathLike, *, memory_budget: int | None = None) -> str:
    """The text of a file, gunzipped when it starts with the gzip magic bytes.

    UTF-8, with a Latin-1 fallback for files that are not valid UTF-8.  The file's
    size, and a gzip file's decompressed size (checked as it is decompressed, so a
    "gzip bomb" is refused early), must fit the memory budget (``memory_budget``,
    else ``$PGM_MEMORY_BUDGET``, else the default).

    Raises :class:`~pgm.exceptions.ModelLoadError` when the file is missing, unreadable
    or holds corrupt gzip data, :class:`~pgm.exceptions.MemoryBudgetError` when it is
    too large.
    """
    p = Path(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise ModelLoadError(f"{p}: no such file") from None
    except OSError as exc:
        raise ModelLoadError(f"{p}: cannot read the file: {exc}") from exc
    check_allocation(size, f"{p}: reading the file", memory_budget=memory_budget)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise ModelLoadError(f"{p}: no such file") from None
    except OSError as exc:
        raise ModelLoadError(f"{p}: cannot read the file: {exc}") from exc
    if data[:2] == _GZIP_MAGIC:
        data = _gunzip(data, str(p), memory_budget)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_source(path_or_text: str | os.PathLike, *, text_markers: str = "\n",
                memory_budget: int | None = None) -> tuple[str, str | None]:
    """``(text, path or None)``: a ``str`` holding any of ``text_markers`` is the text itself,
    anything else names a file (read by :func:`read_text_file`)."""
    if isinstance(path_or_text, str) and any(c in path_or_text for c in text_markers):
        return path_or_text, None
    return read_text_file(path_or_text, memory_budget=memory_budget), str(path_or_text)


#: ASCII decimal number syntax: ``1``, ``-2.5``, ``.5``, ``5.``, ``1e-3`` (no ``1_0``,
#: no ``nan``/``inf``, no non-ASCII digits, all of which Python's ``float`` accepts)
NUMBER = r"[-+]?+(?:[0-9]++(?:\.[0-9]*+)?+|\.[0-9]++)(?:[eE][-+]?+[0-9]++)?+"
NUMBER_RE = re.compile(NUMBER)
INTEGER_RE = re.compile(r"[-+]?+[0-9]++")
_SEP_RE = re.compile(r"[\s,]")
_SPACE_RE = re.compile(r"\s")
_PIECE = 1 << 16  # characters converted at a time


def float_pieces(text: str, spans, *, commas: bool = True) -> Iterator[str]:
    """Pieces of ``text`` (each a few ten thousand characters, cut between numbers) that
    together hold the numbers in ``spans`` (``(start, end)`` pairs of runs of numbers
    separated by whitespace, and by commas if ``commas``; commas come back as spaces)."""
    sep = _SEP_RE if commas else _SPACE_RE
    fix = (lambda x: x.replace(",", " ")) if commas else (lambda x: x)
    buf: list[str] = []
    size = 0
    for s, e in spans:
        while e - s > _PIECE:
            m = sep.search(text, s + _PIECE, e)
            if m is None:
                break
            if buf:
                yield fix(" ".join(buf))
                buf, size = [], 0
            yield fix(text[s:m.start()])
            s = m.start()
        buf.append(text[s:e])
        size += e - s
        if size >= _PIECE:
            yield fix(" ".join(buf))
            buf, size = [], 0
    if buf:
        yield fix(" ".join(buf))


def read_floats(text: str, spans, expected: int) -> tuple[np.ndarray | None, int]:
    """Convert the numbers in ``spans`` of ``text`` (already checked to be numbers) into a
    float array, a piece at a time: ``(array, count)``, or ``(None, count)`` when there
    are not ``expected`` of them (nothing is stored past ``expected``).  The caller checks
    ``8 * expected`` bytes against the memory budget first, when the spans are long
    enough to hold that many numbers (each number needs a character and a separator);
    shorter spans allocate nothing."""
    room = sum((e - s + 1) // 2 for s, e in spans)
    out = np.empty(expected) if expected <= room else None
    n = 0
    for piece in float_pieces(text, spans):
        vals = piece.split()
        k = len(vals)
        if out is not None and n + k <= expected:
            out[n:n + k] = np.array(vals, dtype=float)
        n += k
    if n != expected:
        return None, n
    return out, n


def write_source(path: str | os.PathLike, text: str, *, encoding: str = "utf-8") -> Path:
    """Write a model file's ``text`` atomically; gzipped (reproducibly) for a ``.gz`` name."""
    from pgm.files import atomic_write_bytes

    path = Path(path)
    data = text.encode(encoding)
    if path.name.lower().endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    return atomic_write_bytes(path, data)
