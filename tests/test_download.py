"""Verified downloads (pgm.datasets.download) against a local HTTP server (127.0.0.1, no network)."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from pgm.datasets import (
    MNIST_SHA256,
    ChecksumError,
    DownloadError,
    data_path,
    download_file,
    ensure_mnist,
    sha256_of,
)
from pgm.exceptions import PGMError


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture
def server(tmp_path):
    """Serve ``tmp_path / "www"`` on 127.0.0.1; yields (base URL, folder)."""
    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(_Quiet, directory=str(www))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", www
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def make_gz(folder: Path, name: str, content: bytes) -> str:
    with gzip.open(folder / name, "wb") as fh:
        fh.write(content)
    return hashlib.sha256(content).hexdigest()


def no_leftovers(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.startswith(".")] if folder.exists() else True


def test_download_verifies_the_decompressed_content(server, tmp_path):
    base, www = server
    digest = make_gz(www, "a.gz", b"hello mnist" * 1000)
    dest = tmp_path / "data" / "a.gz"
    assert download_file(base + "a.gz", dest, digest) == dest
    assert gzip.decompress(dest.read_bytes()) == b"hello mnist" * 1000
    assert sha256_of(dest) == digest and no_leftovers(dest.parent)


def test_checksum_mismatch_is_rejected_and_leaves_no_file(server, tmp_path):
    base, www = server
    make_gz(www, "a.gz", b"tampered")
    dest = tmp_path / "data" / "a.gz"
    with pytest.raises(ChecksumError, match="sha256") as info:
        download_file(base + "a.gz", dest, hashlib.sha256(b"original").hexdigest())
    assert isinstance(info.value, PGMError) and isinstance(info.value, ValueError)
    assert not dest.exists() and no_leftovers(dest.parent)


def test_not_gzip_is_a_checksum_error(server, tmp_path):
    base, www = server
    (www / "a.gz").write_bytes(b"plain text, not gzip")
    with pytest.raises(ChecksumError):
        download_file(base + "a.gz", tmp_path / "a.gz", "0" * 64)
    assert not (tmp_path / "a.gz").exists()


def test_falls_back_to_the_next_url(server, tmp_path):
    base, www = server
    digest = make_gz(www, "b.gz", b"payload")
    dest = tmp_path / "b.gz"
    download_file([base + "missing/b.gz", base + "b.gz"], dest, digest)
    assert dest.exists()


def test_unreachable_server_is_a_download_error(tmp_path):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()                                        # nothing listens there now
    with pytest.raises(DownloadError) as info:
        download_file(f"http://127.0.0.1:{port}/x.gz", tmp_path / "x.gz", "0" * 64, timeout=5)
    assert not isinstance(info.value, ChecksumError) and not (tmp_path / "x.gz").exists()


def test_size_limit(server, tmp_path):
    base, www = server
    digest = make_gz(www, "big.gz", bytes(range(256)) * 4096)
    with pytest.raises(DownloadError, match="more than"):
        download_file(base + "big.gz", tmp_path / "big.gz", digest, max_bytes=100)
    assert no_leftovers(tmp_path)


def test_ensure_mnist_downloads_only_missing_files(server, tmp_path, monkeypatch):
    base, www = server
    sums = {name: make_gz(www, name, f"idx {name}".encode()) for name in MNIST_SHA256}
    out = tmp_path / "mnist"
    assert ensure_mnist(out, base_url=base.rstrip("/"), checksums=sums) == out
    assert sorted(p.name for p in out.iterdir()) == sorted(MNIST_SHA256)
    # present and verified: nothing fetched (the server no longer has the files)
    for p in www.iterdir():
        p.unlink()
    ensure_mnist(out, base_url=base, checksums=sums)
    # a corrupt local file is reported, not silently replaced
    name = next(iter(sums))
    with gzip.open(out / name, "wb") as fh:
        fh.write(b"corrupt")
    with pytest.raises(ChecksumError, match="delete it"):
        ensure_mnist(out, base_url=base, checksums=sums)
    # $PGM_MNIST_URL picks the mirror
    (out / name).unlink()
    make_gz(www, name, f"idx {name}".encode())
    monkeypatch.setenv("PGM_MNIST_URL", base)
    ensure_mnist(out, checksums=sums)
    assert (out / name).exists()


def test_shared_mnist_files_match_the_published_checksums():
    try:
        folder = data_path("mnist")
    except PGMError:  # pragma: no cover - no data folder
        pytest.skip("no MNIST data folder")
    for name in ("train-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        assert sha256_of(folder / name) == MNIST_SHA256[name]
