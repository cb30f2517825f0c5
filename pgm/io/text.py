"""Text in and bytes out for every model format: one "path or text" reader and one writer.

:func:`read_source` takes what the format readers take, a path or the file's text, and
returns the text (gunzipped when the file is gzip data, UTF-8 with a Latin-1 fallback)
with the path for error messages.  :func:`write_source` writes a format's text
atomically, gzipped when the name ends in ``.gz``.

Examples
--------
>>> read_source("net {\\n}\\n", text_markers="{\\n")
('net {\\n}\\n', None)
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from pgm.exceptions import ModelLoadError

__all__ = ["read_text_file", "read_source", "write_source"]


def read_text_file(path: str | os.PathLike) -> str:
    """The text of a file, gunzipped when it starts with the gzip magic bytes.

    Raises :class:`~pgm.exceptions.ModelLoadError` when the file is missing, unreadable
    or holds corrupt gzip data.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise ModelLoadError(f"{p}: no such file") from None
    except OSError as exc:
        raise ModelLoadError(f"{p}: cannot read the file: {exc}") from exc
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise ModelLoadError(f"{p}: corrupt gzip data: {exc}") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_source(path_or_text: str | os.PathLike, *, text_markers: str = "\n"
                ) -> tuple[str, str | None]:
    """``(text, path or None)``: a ``str`` holding any of ``text_markers`` is the text itself,
    anything else names a file (read by :func:`read_text_file`)."""
    if isinstance(path_or_text, str) and any(c in path_or_text for c in text_markers):
        return path_or_text, None
    return read_text_file(path_or_text), str(path_or_text)


def write_source(path: str | os.PathLike, text: str, *, encoding: str = "utf-8") -> Path:
    """Write a model file's ``text`` atomically; gzipped (reproducibly) for a ``.gz`` name."""
    from pgm.files import atomic_write_bytes

    path = Path(path)
    data = text.encode(encoding)
    if path.name.lower().endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    return atomic_write_bytes(path, data)
