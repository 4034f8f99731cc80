"""Where the lab keeps what it fetches and builds: ${KUBETRACE_CACHE:-~/.cache/kubetrace}/<kind>."""

import contextlib
import fcntl
import hashlib
import os
import shutil
import tarfile
from pathlib import Path


def cache_root(kind):
    """The folder programs of one kind ("containerd", "jaeger", "kubernetes", ...) are cached in."""
    base = os.environ.get("KUBETRACE_CACHE") or Path.home() / ".cache" / "kubetrace"
    root = Path(base) / kind
    root.mkdir(parents=True, exist_ok=True)
    return root


@contextlib.contextmanager
def locked(folder):
    """Hold an exclusive lock on folder/.lock: one fetch or build of a version at a time."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def sha256(path):
    """The hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def unpacked(tarball, digest, program):
    """tarball unpacked once into tarball's folder/unpacked, again whenever its digest changes; returns the
    path of program (relative to that folder)."""
    folder = tarball.parent / "unpacked"
    found = folder / program
    stamp = folder / ".archive.sha256"  # which archive the unpacked files came from
    with locked(tarball.parent):
        if not found.exists() or not stamp.exists() or stamp.read_text() != digest:
            shutil.rmtree(folder, ignore_errors=True)
            with tarfile.open(tarball) as tar:
                tar.extractall(folder, filter="data")
            stamp.write_text(digest)
    return found
