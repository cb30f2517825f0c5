"""Atomic file output: a reader never sees a half-written file, and an interrupted
run leaves the previous file in place.  Every writer in the toolkit goes through here."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text", "write_npz_model",
           "read_npz_model", "new_figure", "save_figure"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path``.

    For writers that want a file name (``np.savez``, ``Figure.savefig``).  The
    temporary name keeps ``path``'s extension (or ``suffix``) so such writers pick
    the right format.  On error the temporary file is removed and ``path`` is untouched.

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with atomic_path(Path(d) / "a.npz") as tmp:
    ...         np.savez(tmp, x=np.arange(3))
    ...     np.load(Path(d) / "a.npz")["x"].tolist()
    [0, 1, 2]
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ext = suffix if suffix is not None else "".join(path.suffixes[-1:])
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{ext}", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     atomic_write_bytes(Path(d) / "x.txt", b"hi").read_bytes()
    b'hi'
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def new_figure(figsize: tuple[float, float] = (6.4, 4.8), **kwargs):
    """A matplotlib :class:`~matplotlib.figure.Figure` not attached to pyplot (no GUI, no
    global state), for :func:`save_figure`.  Imports matplotlib on first use."""
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, **kwargs)


def save_figure(fig, path: str | os.PathLike, *, dpi: float | None = None,
                format: str | None = None, tight: bool = True) -> Path:
    """Render ``fig`` and write it to ``path`` atomically: the toolkit's one figure writer.

    The format comes from ``format`` or the extension of ``path`` (PNG without one).
    Raises :class:`pgm.exceptions.ParameterError` for a format matplotlib cannot write.

    Examples
    --------
    >>> import tempfile
    >>> fig = new_figure((2, 2))
    >>> _ = fig.add_subplot().plot([0, 1], [1, 0])
    >>> save_figure(fig, Path(tempfile.mkdtemp()) / "f.png").read_bytes()[:4]
    b'\\x89PNG'
    """
    import io

    from pgm.exceptions import ParameterError

    path = Path(path)
    fmt = format or path.suffix.lstrip(".").lower() or "png"
    if tight:
        fig.tight_layout()
    buf = io.BytesIO()
    try:
        fig.savefig(buf, format=fmt, dpi=dpi)
    except ValueError as exc:
        raise ParameterError(f"cannot write figure {path}: {exc}") from None
    return atomic_write_bytes(path, buf.getvalue())


def write_npz_model(path: str | os.PathLike, arrays: Mapping[str, np.ndarray], meta: dict) -> Path:
    """Write ``arrays`` plus JSON ``meta`` as ``.npz``, atomically and without pickle.

    ``meta`` should hold ``"format"`` and ``"version"`` for :func:`read_npz_model`.

    Examples
    --------
    >>> import tempfile
    >>> p = write_npz_model(Path(tempfile.mkdtemp()) / "m.npz", {"W": np.eye(2)},
    ...                     {"format": "demo", "version": 1})
    >>> read_npz_model(p, "demo", ("W",), version=1)[0]["W"].shape
    (2, 2)
    """
    payload = {k: np.asarray(v) for k, v in arrays.items()}
    payload["meta"] = np.array(json.dumps(meta, allow_nan=True))
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(tmp, **payload)
    return Path(path)


def read_npz_model(path: str | os.PathLike, fmt: str, required: tuple[str, ...], *,
                   version: int, label: str | None = None) -> tuple[dict[str, np.ndarray], dict]:
    """Read a :func:`write_npz_model` file, checking its format name, version and arrays.

    Raises :class:`pgm.exceptions.ModelLoadError` for a missing or unreadable file,
    another format, a version newer than ``version``, or a missing array; messages call
    the file a ``label`` file (default ``fmt``).
    """
    from pgm.exceptions import ModelLoadError

    label = label or fmt
    path = Path(path)
    if not path.exists():
        raise ModelLoadError(f"{label} file {path} not found")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError) as exc:
        raise ModelLoadError(f"cannot read {label} file {path}: {exc}") from None
    try:
        meta = json.loads(str(arrays.pop("meta")))
    except (KeyError, TypeError, ValueError):
        raise ModelLoadError(f"{path} is not a {label} file (no readable 'meta')") from None
    if meta.get("format") != fmt:
        raise ModelLoadError(f"{path} is not a {label} file (format {meta.get('format')!r})")
    if int(meta.get("version", 0)) > version:
        raise ModelLoadError(f"{path} has format version {meta['version']}, newer than this "
                             f"pgm ({version})")
    for key in required:
        if key not in arrays:
            raise ModelLoadError(f"{path} lacks the array {key!r}")
    return arrays, meta
