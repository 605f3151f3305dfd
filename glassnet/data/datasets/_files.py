"""Finding dataset files on disk, and fetching them when they are missing.

Search order for a dataset's files (first folder holding all of them wins):

1. the ``root`` the user gives, and its conventional subfolders (``root/FashionMNIST/raw``,
   ``root/FashionMNIST``, ``root/fashion-mnist`` ...);
2. each folder in ``$GLASSNET_DATA`` (``os.pathsep``-separated), with the same subfolders;
3. system places where a package manager installs data sets (Debian's
   ``dataset-fashion-mnist`` puts the IDX files in ``/usr/share/datasets/fashion-mnist``);
4. ``~/.glassnet/data`` with the same subfolders.

A download (``download=True``) goes to ``root/<Name>/raw`` if a root was given, else to the
first ``$GLASSNET_DATA`` folder, else ``~/.glassnet/data/<Name>``; every file is checked
against its published MD5 and written atomically (temporary file, then rename). Without a
network the attempt fails at once - a short connect timeout, no retry loop - and the error
lists every folder searched and how to provide the files.
"""

from __future__ import annotations

import hashlib
import os
import socket
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

CONNECT_TIMEOUT = 10.0  # seconds


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are in none of the searched folders and could not be downloaded."""


class DownloadError(OSError):
    """A download failed (no network, every mirror refused, or a checksum mismatch)."""


def _urlopen(url, timeout):  # a seam for tests
    return urllib.request.urlopen(url, timeout=timeout)


def data_home() -> Path:
    """Where downloads and generated caches go when no root is given."""
    env = [p for p in os.environ.get("GLASSNET_DATA", "").split(os.pathsep) if p]
    return Path(env[0]).expanduser() if env else Path("~/.glassnet/data").expanduser()


def _with_subfolders(base: Path, names):
    out = [base]
    for n in names:
        out += [base / n / "raw", base / n]
    return out


def candidate_dirs(names, root=None, system=()):
    """Folders to search, in order, without duplicates (see the module docstring)."""
    dirs = []
    if root is not None:
        dirs += _with_subfolders(Path(root).expanduser(), names)
    for p in os.environ.get("GLASSNET_DATA", "").split(os.pathsep):
        if p:
            dirs += _with_subfolders(Path(p).expanduser(), names)
    dirs += [Path(s) for s in system]
    dirs += _with_subfolders(Path("~/.glassnet/data").expanduser(), names)
    seen, out = set(), []
    for d in dirs:
        key = str(d)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def find_files(filenames, dirs):
    """The first folder holding every file (each as ``name`` or ``name.gz``): a dict
    ``{name: path}``, or None."""
    for d in dirs:
        found = {}
        for name in filenames:
            for cand in (d / name, d / (name + ".gz")):
                if cand.is_file():
                    found[name] = cand
                    break
            else:
                break
        if len(found) == len(filenames):
            return found
    return None


def md5sum(path, chunk=1 << 20) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _network_down(exc) -> bool:
    """Errors that mean no network at all (as opposed to one mirror refusing)."""
    if isinstance(exc, urllib.error.HTTPError):
        return False
    reason = getattr(exc, "reason", exc)
    return isinstance(
        reason, (socket.timeout, TimeoutError, socket.gaierror, ConnectionError, OSError)
    )


def download_file(urls, dest, md5=None, timeout=CONNECT_TIMEOUT):
    """Fetch ``dest`` from the first mirror in ``urls`` that answers; verify ``md5``; write
    atomically. Raises ``DownloadError`` at once when the network is unreachable."""
    dest = Path(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"cannot create the download folder {dest.parent}: {exc}") from exc
    errors = []
    for url in urls:
        try:
            resp = _urlopen(url, timeout)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            errors.append(f"{url}: {exc}")
            if _network_down(exc):
                raise DownloadError(f"network unavailable ({exc}) while fetching {url}") from exc
            continue  # this mirror refused: try the next one
        try:
            with resp:
                _write_verified(resp, dest, md5, url)
            return dest
        except DownloadError as exc:
            errors.append(str(exc))
        except OSError as exc:  # the connection broke mid-way, or the disk is full
            errors.append(f"{url}: {exc}")
    raise DownloadError("; ".join(errors) or "no mirror given")


def _write_verified(resp, dest, md5, url):
    """Stream ``resp`` to a temporary file beside ``dest``, check the MD5, then rename."""
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            while block := resp.read(1 << 20):
                f.write(block)
        if md5 is not None and (got := md5sum(tmp)) != md5:
            raise DownloadError(f"download of {url}: MD5 {got} does not match the published {md5}")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def missing_error(dataset, filenames, dirs, download_error=None, hint=None):
    """The error raised when a dataset's files cannot be found or fetched."""
    looked = "\n".join(f"  - {d}" for d in dirs)
    files = ", ".join(f"{n}[.gz]" for n in filenames)
    how = [
        "put the files in one of the folders above, e.g. with root=PATH",
        (
            "or set GLASSNET_DATA=/path/to/folder (the files directly in it, or in a subfolder "
            "named after the dataset)"
        ),
    ]
    if hint:
        how.append(hint)
    dl = (
        f"\nDownload failed: {download_error}"
        if download_error is not None
        else "\nDownloading was not attempted (download=False)."
    )
    return DatasetNotFoundError(
        f"{dataset}: could not find {files}. Looked in:\n{looked}{dl}\nTo provide the files: "
        + "; ".join(how)
        + "."
    )
