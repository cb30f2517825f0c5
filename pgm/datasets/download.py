"""Verified downloads into the data folder (MNIST).

A file is fetched from the first URL of a list that answers, into a temporary file
next to its destination; its content (after gzip decompression for ``.gz`` files)
must have the expected sha256, else the temporary file is deleted and the next URL
tried.  Only a verified file is moved into place, with :func:`os.replace` (atomic),
so an interrupted or corrupt download never leaves a file behind.

:func:`ensure_mnist` fills a folder with the four MNIST files from
``https://ossci-datasets.s3.amazonaws.com/mnist/`` (then the original LeCun site),
or from ``base_url`` / ``$PGM_MNIST_URL``.  The checksums are those of the
decompressed official IDX files (the ``.gz`` wrappers differ between mirrors).

Examples
--------
>>> sorted(MNIST_SHA256)[0]
't10k-images-idx3-ubyte.gz'
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from pgm.datasets.paths import check_path
from pgm.exceptions import ParameterError, PGMError
from pgm.validation import check_float, check_positive_int

__all__ = [
    "ChecksumError",
    "DownloadError",
    "MNIST_SHA256",
    "MNIST_URLS",
    "download_file",
    "ensure_mnist",
    "sha256_of",
]

#: mirrors tried in order (each a folder URL ending in "/")
MNIST_URLS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
)

#: sha256 of the *decompressed* official IDX files (see the data folder's README)
MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

_CHUNK = 1 << 16
_MAX_BYTES = 200 * 1024 * 1024


class DownloadError(PGMError, OSError):
    """No URL delivered a verified file (the message lists what each attempt got)."""


class ChecksumError(DownloadError, ValueError):
    """Downloaded or local content does not have the expected sha256."""


def sha256_of(path: str | os.PathLike, *, decompress: bool | None = None) -> str:
    """sha256 (hex) of a file's content, after gzip decompression when ``decompress``
    (default: when the name ends in ``.gz``).

    Raises :class:`ChecksumError` when a ``.gz`` file is not valid gzip.

    Examples
    --------
    >>> import tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "x.txt")
    >>> _ = open(p, "wb").write(b"abc")
    >>> sha256_of(p)[:16]
    'ba7816bf8f01cfea'
    """
    path = check_path("path", path)
    if decompress is not None and not isinstance(decompress, bool):
        raise ParameterError(f"decompress must be True, False or None, got {decompress!r}")
    if decompress is None:
        decompress = path.name.endswith(".gz")
    h = hashlib.sha256()
    try:
        with (gzip.open(path, "rb") if decompress else open(path, "rb")) as fh:
            for block in iter(lambda: fh.read(_CHUNK), b""):
                h.update(block)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise ChecksumError(f"{path} is not a valid gzip file: {exc}") from None
    except OSError as exc:
        raise DownloadError(f"cannot read {path}: {exc.strerror or exc}") from None
    return h.hexdigest()


def _url_list(name: str, urls) -> list[str]:
    url_list = [urls] if isinstance(urls, str) else None
    if url_list is None:
        try:
            url_list = None if isinstance(urls, (bytes, dict)) else list(urls)
        except TypeError:
            url_list = None
        if url_list is None:
            raise ParameterError(f"{name} must be a URL or a sequence of URLs, got {urls!r}")
    for u in url_list:
        if not isinstance(u, str):
            raise ParameterError(f"{name} must be URLs (strings), got {u!r}")
    return url_list


def _check_sha256(value) -> str:
    if not isinstance(value, str) or len(value) != 64 \
            or any(c not in "0123456789abcdef" for c in value.lower()):
        raise ParameterError(f"sha256 must be 64 hexadecimal digits, got {value!r}")
    return value.lower()


def _fetch(url: str, dest_dir: Path, name: str, timeout: float, max_bytes: int) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=dest_dir)
    try:
        req = urllib.request.Request(url, headers={"User-Agent": "pgm-download/0.1"})
        with urllib.request.urlopen(req, timeout=timeout) as resp, os.fdopen(fd, "wb") as out:
            total = 0
            for block in iter(lambda: resp.read(_CHUNK), b""):
                total += len(block)
                if total > max_bytes:
                    raise DownloadError(f"{url} sent more than {max_bytes} bytes; aborted")
                out.write(block)
        return Path(tmp)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def download_file(urls: str | Sequence[str], dest: str | os.PathLike, sha256: str, *,
                  decompress: bool | None = None, timeout: float = 60.0,
                  max_bytes: int = _MAX_BYTES) -> Path:
    """Download ``dest`` from the first of ``urls`` that delivers the expected content.

    Parameters
    ----------
    urls : str or sequence of str
        Full file URLs, tried in order.
    dest : path
        Destination file (its folder is created).
    sha256 : str
        Expected sha256 (hex) of the content, decompressed when ``decompress``
        (default: when ``dest`` ends in ``.gz``).
    timeout : float
        Socket timeout per attempt (seconds).
    max_bytes : int
        Abort a download larger than this.

    Returns
    -------
    Path
        ``dest``, verified.

    Raises
    ------
    ChecksumError
        Every URL that answered sent other content (nothing is written).
    DownloadError
        No URL answered (network errors, HTTP errors); nothing is written.

    Examples
    --------
    >>> download_file([], "/tmp/x.gz", "0" * 64)
    Traceback (most recent call last):
    ...
    pgm.datasets.download.DownloadError: no URL to download /tmp/x.gz from
    """
    dest = check_path("dest", dest)
    url_list = _url_list("urls", urls)
    want = _check_sha256(sha256)
    if decompress is not None and not isinstance(decompress, bool):
        raise ParameterError(f"decompress must be True, False or None, got {decompress!r}")
    timeout = check_float("timeout", timeout, minimum=0, include_minimum=False)
    max_bytes = check_positive_int("max_bytes", max_bytes)
    if not url_list:
        raise DownloadError(f"no URL to download {dest} from")
    dest.parent.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    mismatch = False
    for url in url_list:
        try:
            tmp = _fetch(url, dest.parent, dest.name, timeout, max_bytes)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            if isinstance(exc, DownloadError):
                problems.append(str(exc))
            else:
                problems.append(f"{url}: {getattr(exc, 'reason', exc)}")
            continue
        try:
            got = sha256_of(tmp, decompress=decompress if decompress is not None
                            else dest.name.endswith(".gz"))
        except ChecksumError as exc:
            got = f"unreadable ({exc})"
        if got != want:
            tmp.unlink(missing_ok=True)
            mismatch = True
            problems.append(f"{url}: sha256 {got}, expected {want}")
            continue
        os.replace(tmp, dest)
        return dest
    cls = ChecksumError if mismatch else DownloadError
    raise cls(f"could not download {dest.name}: " + "; ".join(problems))


def ensure_mnist(data_dir: str | os.PathLike | None = None, *,
                 base_url: str | Sequence[str] | None = None,
                 checksums: Mapping[str, str] | None = None, verify_existing: bool = True,
                 timeout: float = 60.0) -> Path:
    """Make sure ``data_dir`` holds the four MNIST files; download the missing ones.

    Parameters
    ----------
    data_dir : path, optional
        The MNIST folder (default ``$PGM_DATA_DIR/mnist``, see :mod:`pgm.datasets.paths`).
    base_url : str or sequence of str, optional
        Mirror folder URL(s) (default ``$PGM_MNIST_URL``, else :data:`MNIST_URLS`).
    checksums : mapping, optional
        ``{file name: sha256 of the decompressed content}`` (default :data:`MNIST_SHA256`).
    verify_existing : bool
        Check the files already there too (a mismatch raises :class:`ChecksumError`;
        the file is left alone, it may be read-only shared data).

    Returns
    -------
    Path
        The folder.

    Examples
    --------
    >>> ensure_mnist("/work/shared/data/mnist")        # doctest: +SKIP
    PosixPath('/work/shared/data/mnist')
    """
    if data_dir is None:
        from pgm.datasets.paths import data_dir as root

        folder = root() / "mnist"
    else:
        folder = check_path("data_dir", data_dir)
    if checksums is not None and not isinstance(checksums, Mapping):
        raise ParameterError(f"checksums must be a mapping {{file name: sha256}}, got "
                             f"{type(checksums).__name__}")
    sums = dict(MNIST_SHA256 if checksums is None else checksums)
    for name, digest in sums.items():
        if not isinstance(name, str) or not name or "/" in name or name in (".", ".."):
            raise ParameterError(f"checksums names a bad file name {name!r}")
        _check_sha256(digest)
    if not isinstance(verify_existing, bool):
        raise ParameterError(f"verify_existing must be True or False, got {verify_existing!r}")
    timeout = check_float("timeout", timeout, minimum=0, include_minimum=False)
    if base_url is None:
        env = os.environ.get("PGM_MNIST_URL")
        bases = [env] if env else list(MNIST_URLS)
    else:
        bases = _url_list("base_url", base_url)
    bases = [b if b.endswith("/") else b + "/" for b in bases]
    for name, digest in sums.items():
        path = folder / name
        if path.exists():
            if verify_existing:
                got = sha256_of(path)
                if got != digest.lower():
                    raise ChecksumError(f"{path} has sha256 {got} (decompressed), expected "
                                        f"{digest}; delete it to download it again")
            continue
        download_file([b + name for b in bases], path, digest, timeout=timeout)
    return folder
