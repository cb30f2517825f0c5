"""Atomic file output: a reader never sees a half-written file, and an interrupted
run leaves the previous file in place.  Every writer in the toolkit goes through here."""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import stat
import struct
import warnings
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text", "write_npz_model",
           "read_npz_model", "check_npz_schema", "new_figure", "save_figure"]


def _create_temporary(path: Path, ext: str) -> Path:
    """A new empty file next to ``path``, created as a plain ``open()`` would create it
    (mode ``0o666`` less the umask), with a name no other writer uses."""
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp{ext}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(f"cannot create a temporary file next to {path}")


def _final_mode(path: Path, new_file_mode: int) -> int:
    """The permissions ``path`` should end with: those of the file it replaces, else
    ``new_file_mode`` (what a plain ``open()`` gave the temporary file)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return new_file_mode


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path``.

    For writers that want a file name (``np.savez``, ``Figure.savefig``).  The
    temporary name keeps ``path``'s extension (or ``suffix``) so such writers pick
    the right format.  On error the temporary file is removed and ``path`` is untouched.
    The file ends with the permissions a plain ``open()`` would give it: those of the
    file it replaces, or ``0o666`` less the umask for a new one.

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
    tmp = _create_temporary(path, ext)
    try:
        new_file_mode = stat.S_IMODE(os.stat(tmp).st_mode)     # 0o666 less the umask
        yield tmp
        with contextlib.suppress(OSError):          # a file system without modes
            os.chmod(tmp, _final_mode(path, new_file_mode))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
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


#: what a damaged ``.npz`` container can raise while it is read
_CONTAINER_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, struct.error, OSError,
                     EOFError, ValueError, TypeError, KeyError, IndexError, OverflowError,
                     NotImplementedError, RuntimeError, SyntaxError)

#: most arrays (and other members) a model file may hold
_MAX_MEMBERS = 256

#: largest expansion of a DEFLATE stream (a compressed member's declared size is bounded by it)
_MAX_DEFLATE_RATIO = 1032


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, archive_size: int,
                 where: str) -> np.ndarray:
    """One ``.npy`` member, its header checked before anything is allocated (a damaged
    header must not ask for more bytes than the file holds)."""
    from pgm._config import check_allocation
    from pgm.exceptions import ModelLoadError

    name = info.filename[:-4]
    with zf.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ModelLoadError(f"{where}: the array {name!r} has .npy version {version}, "
                                 "which pgm does not read")
        if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
            raise ModelLoadError(f"{where}: the array {name!r} has the unsupported dtype {dtype}")
        if any(d < 0 for d in shape):
            raise ModelLoadError(f"{where}: the array {name!r} has the invalid shape {shape}")
        count = math.prod(shape)
        n_bytes = count * dtype.itemsize
        limit = archive_size if info.compress_type == zipfile.ZIP_STORED else (
            archive_size * _MAX_DEFLATE_RATIO)
        if n_bytes > min(info.file_size, limit):
            raise ModelLoadError(f"{where}: the array {name!r} claims shape {shape} "
                                 f"({n_bytes} bytes), more than the file holds")
        check_allocation(n_bytes, f"the array {name!r} of {where}")
        data = f.read(n_bytes)         # reading to the member's end checks its CRC
        if len(data) != n_bytes or f.read(1):
            raise ModelLoadError(f"{where}: the array {name!r} holds {len(data)} bytes of data, "
                                 f"its header says {n_bytes}")
    array = np.frombuffer(data, dtype=dtype, count=count).copy()
    return array.reshape(shape[::-1]).transpose() if fortran else array.reshape(shape)


def _read_container(path: Path, where: str) -> dict[str, np.ndarray]:
    """The arrays of the ``.npz`` file ``path`` (no pickle), every damage a ModelLoadError."""
    from pgm.exceptions import ModelLoadError, PGMError

    try:
        size = path.stat().st_size
        with warnings.catch_warnings():      # numpy's note on old headers: damage here
            warnings.simplefilter("ignore", UserWarning)
            with zipfile.ZipFile(path) as zf:
                infos = zf.infolist()
                if len(infos) > _MAX_MEMBERS:
                    raise ModelLoadError(f"{where} holds {len(infos)} members, more than a "
                                         "model file has")
                arrays = {}
                for info in infos:
                    if not info.filename.endswith(".npy") or info.is_dir():
                        raise ModelLoadError(f"{where} holds {info.filename!r}, which is "
                                             "not an array")
                    arrays[info.filename[:-4]] = _read_member(zf, info, size, where)
                return arrays
    except PGMError:
        raise
    except _CONTAINER_ERRORS as exc:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise ModelLoadError(f"cannot read {where}: damaged or not an .npz file "
                             f"({_short(detail)})") from None


def _short(text: str, limit: int = 200) -> str:
    """``text`` cut to ``limit`` characters (a damaged header can be long)."""
    return text if len(text) <= limit else text[:limit] + "..."


#: the NumPy scalar kinds a schema names, as words for messages
_KIND_WORDS = {np.floating: "floating-point", np.integer: "integer", np.number: "numeric",
               np.bool_: "boolean", np.str_: "string"}


def check_npz_schema(arrays: Mapping[str, np.ndarray], schema: Mapping[str, tuple[Any, Any]],
                     where: str) -> dict[str, int]:
    """Check ``arrays`` against ``schema``; returns the named sizes it bound.

    ``schema`` maps an array's name to ``(kind, shape)``: ``kind`` a NumPy scalar type
    the dtype must be a subtype of (``np.floating``, ``np.integer``, ``np.number``,
    ``np.bool_``; floating arrays must also be finite), ``shape`` either a number of
    dimensions or a tuple whose entries are an int (that size), ``None`` (any size) or a
    name: a size of at least 1 that must be the same wherever the name appears, so that
    ``{"W": (np.floating, ("D", "H")), "b": (np.floating, ("D",))}`` checks that ``b``
    has one entry per row of ``W``.  Arrays the schema names but ``arrays`` lacks are
    skipped (:func:`read_npz_model` checks the required ones first).  Raises
    :class:`~pgm.exceptions.ModelLoadError` naming ``where`` and the array.

    Examples
    --------
    >>> check_npz_schema({"W": np.zeros((3, 2)), "b": np.zeros(3)},
    ...                  {"W": (np.floating, ("D", "H")), "b": (np.floating, ("D",))}, "m.npz")
    {'D': 3, 'H': 2}
    >>> check_npz_schema({"W": np.zeros((3, 2)), "b": np.zeros(2)},
    ...                  {"W": (np.floating, ("D", "H")), "b": (np.floating, ("D",))}, "m.npz")
    Traceback (most recent call last):
    ...
    pgm.exceptions.ModelLoadError: m.npz: 'b' has shape (2,), expected (D,) with D=3 (from 'W')
    """
    from pgm.exceptions import ModelLoadError

    sizes: dict[str, int] = {}
    origin: dict[str, str] = {}
    for name, (kind, shape) in schema.items():
        if name not in arrays:
            continue
        a = arrays[name]
        if not np.issubdtype(a.dtype, kind):
            raise ModelLoadError(f"{where}: {name!r} has dtype {a.dtype}, expected a "
                                 f"{_KIND_WORDS.get(kind, getattr(kind, '__name__', kind))} "
                                 "array")
        dims = (None,) * shape if isinstance(shape, int) else tuple(shape)
        if a.ndim != len(dims):
            raise ModelLoadError(f"{where}: {name!r} has shape {a.shape}, expected "
                                 f"{len(dims)} dimension{'s' * (len(dims) != 1)}")
        for size, dim in zip(a.shape, dims):
            text = "(" + ", ".join("any" if d is None else str(d) for d in dims) + \
                   ("," if len(dims) == 1 else "") + ")"
            if isinstance(dim, str):
                if size < 1:
                    raise ModelLoadError(f"{where}: {name!r} has shape {a.shape}, expected "
                                         f"{text} with {dim} at least 1")
                if dim in sizes and sizes[dim] != size:
                    raise ModelLoadError(f"{where}: {name!r} has shape {a.shape}, expected "
                                         f"{text} with {dim}={sizes[dim]} (from "
                                         f"{origin[dim]!r})")
                sizes.setdefault(dim, size)
                origin.setdefault(dim, name)
            elif dim is not None and size != dim:
                raise ModelLoadError(f"{where}: {name!r} has shape {a.shape}, expected {text}")
        if np.issubdtype(a.dtype, np.floating) and not np.isfinite(a).all():
            raise ModelLoadError(f"{where}: {name!r} holds NaN or infinite values")
    return sizes


def read_npz_model(path: str | os.PathLike, fmt: str, required: tuple[str, ...], *,
                   version: int, label: str | None = None,
                   schema: Mapping[str, tuple[Any, Any]] | None = None,
                   ) -> tuple[dict[str, np.ndarray], dict]:
    """Read a :func:`write_npz_model` file, checking its container, format name, version
    and arrays: the one reader of the toolkit's model files.

    Raises :class:`pgm.exceptions.ModelLoadError` naming the file and what is wrong for
    a missing or unreadable file, a damaged container (truncated, bytes changed: every
    member's CRC is checked, and no array header may claim more bytes than the file
    holds), a ``meta`` that is not a JSON object with a string ``format`` and an integer
    ``version``, another format, a version newer than ``version``, a missing array, or an
    array that does not fit ``schema`` (dtypes, shapes and sizes shared between arrays;
    see :func:`check_npz_schema`).  Messages call the file a ``label`` file (default
    ``fmt``).

    Examples
    --------
    >>> import tempfile
    >>> p = write_npz_model(Path(tempfile.mkdtemp()) / "m.npz", {"W": np.eye(2)},
    ...                     {"format": "demo", "version": 1})
    >>> read_npz_model(p, "demo", ("W",), version=1, schema={"W": (np.floating, 2)})[0]["W"]
    array([[1., 0.],
           [0., 1.]])
    >>> _ = p.write_bytes(p.read_bytes()[:100])             # truncated
    >>> read_npz_model(p, "demo", ("W",), version=1)      # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pgm.exceptions.ModelLoadError: cannot read demo file ...m.npz: damaged or not an .npz file (...)
    """
    from pgm.exceptions import ModelLoadError

    label = label or fmt
    path = Path(path)
    if not path.exists():
        raise ModelLoadError(f"{label} file {path} not found")
    where = f"{label} file {path}"
    arrays = _read_container(path, where)
    raw = arrays.pop("meta", None)
    if raw is None or raw.ndim != 0 or raw.dtype.kind != "U":
        raise ModelLoadError(f"{path} is not a {label} file (no readable 'meta')")
    try:
        meta = json.loads(str(raw))
    except (ValueError, RecursionError):
        raise ModelLoadError(f"{path} is not a {label} file (no readable 'meta')") from None
    if not isinstance(meta, dict):
        raise ModelLoadError(f"{path} is not a {label} file ('meta' is a "
                             f"{type(meta).__name__}, not a JSON object)")
    if meta.get("format") != fmt:
        shown = meta.get("format")
        shown = (f"format {_short(repr(shown), 80)}" if isinstance(shown, str) else
                 "no format" if shown is None else f"a format of type {type(shown).__name__}")
        raise ModelLoadError(f"{path} is not a {label} file ({shown})")
    file_version = meta.get("version")
    if isinstance(file_version, bool) or not isinstance(file_version, int) or file_version < 0:
        raise ModelLoadError(f"{where}: 'meta' has version {_short(repr(file_version), 80)}, "
                             "not a non-negative integer")
    if file_version > version:
        raise ModelLoadError(f"{path} has format version {file_version}, newer than this "
                             f"pgm ({version})")
    for key in required:
        if key not in arrays:
            raise ModelLoadError(f"{path} lacks the array {key!r}")
    if schema is not None:
        check_npz_schema(arrays, schema, where)
    return arrays, meta
