"""Atomic file writes: a reader sees the old file or the new one, never half of either.

The recipe (the one databases use): write the new content to a temporary file in the *same*
directory, ``flush`` and ``os.fsync`` it so the bytes are on disk, ``os.replace`` it over the
target (an atomic rename on POSIX and Windows), then ``fsync`` the directory so the rename
itself survives a power cut. A crash at any point leaves the previous file intact; at worst
a stray ``.<name>.*.tmp`` file remains, which nothing reads.
"""

from __future__ import annotations

import json
import os
import tempfile

__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_text", "atomic_write_json",
           "fsync_dir"]


def fsync_dir(directory: str) -> None:
    """Flush a directory entry to disk (POSIX only; a no-op where directories cannot be opened)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path, writer) -> str:
    """Call ``writer(fileobj)`` on a temporary binary file, then move it over ``path`` atomically.

    Returns ``path``. On any exception the temporary file is removed and ``path`` is untouched.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            writer(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(directory)
    return path


def atomic_write_bytes(path, data: bytes) -> str:
    """Write ``data`` to ``path`` atomically."""
    return atomic_write(path, lambda f: f.write(data))


def atomic_write_text(path, text: str) -> str:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path, obj, indent=2) -> str:
    """Write ``obj`` as JSON to ``path`` atomically (NaN/Infinity allowed, as Python writes them)."""
    return atomic_write_text(path, json.dumps(obj, indent=indent) + "\n")
