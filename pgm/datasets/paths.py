"""Where the toolkit finds the shared data sets (MNIST, BIF networks, UAI models).

The root is ``$PGM_DATA_DIR`` when set, else ``../shared/data`` relative to the
current directory (the layout of a checkout next to the shared folder).  Data is
never copied into the project.
"""

from __future__ import annotations

import os
from pathlib import Path

from pgm.exceptions import ModelLoadError, ParameterError

__all__ = ["data_dir", "data_path", "check_path"]


def check_path(name: str, value) -> Path:
    """``value`` (a string or path-like) as a :class:`~pathlib.Path`; :class:`ParameterError` else.

    Examples
    --------
    >>> check_path("data_dir", "mnist")
    PosixPath('mnist')
    """
    if isinstance(value, (str, os.PathLike)):
        try:
            return Path(value)
        except TypeError:  # a PathLike whose __fspath__ gives no str
            pass
    raise ParameterError(f"{name} must be a path (a string or os.PathLike), got {value!r}")


def data_dir() -> Path:
    """The data root (it may not exist; :func:`data_path` checks)."""
    env = os.environ.get("PGM_DATA_DIR")
    return Path(env).expanduser() if env else Path("../shared/data")


def data_path(*parts: str) -> Path:
    """Path of a file or folder under the data root, e.g. ``data_path("bif", "asia.bif.gz")``.

    Raises :class:`ModelLoadError` naming the path and ``PGM_DATA_DIR`` when it is missing.
    """
    for part in parts:
        check_path("a data path part", part)
    p = data_dir().joinpath(*parts)
    if not p.exists():
        raise ModelLoadError(
            f"data file {p} not found; set PGM_DATA_DIR to the folder holding mnist/, bif/ and uai/"
        )
    return p
