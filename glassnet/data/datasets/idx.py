"""The IDX file format of MNIST, Fashion-MNIST and KMNIST.

Layout (all integers big-endian)::

    bytes 0-1   0x00 0x00
    byte  2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                              0x0D float32, 0x0E float64
    byte  3     number of dimensions d
    4 * d bytes the dimensions, each an unsigned 32-bit integer
    then        prod(dims) elements, row-major

So ``train-images-idx3-ubyte`` starts ``00 00 08 03``, then 60000, 28, 28, then 47 040 000
pixel bytes. Files may be gzip-compressed (detected from their first bytes, not the name).
"""

from __future__ import annotations

import gzip
import os
import tempfile
import zlib
from pathlib import Path

import numpy as np

_CODES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_BY_KIND = {
    np.dtype(np.uint8): 0x08,
    np.dtype(np.int8): 0x09,
    np.dtype(np.int16): 0x0B,
    np.dtype(np.int32): 0x0C,
    np.dtype(np.float32): 0x0D,
    np.dtype(np.float64): 0x0E,
}


class IDXFormatError(ValueError):
    """An IDX file is truncated, corrupt, or not an IDX file."""


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as f:
        head = f.read(2)
    if head == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as f:
                return f.read()
        except (EOFError, OSError, zlib.error) as exc:
            raise IDXFormatError(
                f"read_idx: '{path}' is a truncated or corrupt gzip file ({exc})"
            ) from exc
    return path.read_bytes()


def read_idx(path) -> np.ndarray:
    """Read an IDX file (raw or gzip) into a native-endian NumPy array of shape ``dims``.

    Raises ``IDXFormatError`` naming the file, the expected and the actual byte counts when
    the payload length does not match the header.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise IDXFormatError(
            f"read_idx: '{path}' holds {len(raw)} bytes, fewer than the 4-byte IDX magic number"
        )
    if raw[0] != 0 or raw[1] != 0:
        raise IDXFormatError(
            f"read_idx: '{path}' is not an IDX file: magic number starts "
            f"{raw[0]:#04x} {raw[1]:#04x}, expected 0x00 0x00"
        )
    code, ndim = raw[2], raw[3]
    if code not in _CODES:
        raise IDXFormatError(
            f"read_idx: '{path}' has unknown element type code {code:#04x} "
            f"(known: {', '.join(f'{c:#04x}' for c in _CODES)})"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IDXFormatError(
            f"read_idx: '{path}' is truncated: its {ndim}-d header needs {header} bytes, "
            f"the file holds {len(raw)}"
        )
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _CODES[code]
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    actual = len(raw) - header
    if actual != expected:
        what = "truncated" if actual < expected else "longer than its header says (corrupt)"
        shape = " x ".join(map(str, dims))
        raise IDXFormatError(
            f"read_idx: '{path}' is {what}: header says {shape} {dtype.name} = {expected} bytes of data "
            f"after the {header}-byte header, but the file holds {actual}"
        )
    arr = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return arr.astype(dtype.newbyteorder("="), copy=True)


def write_idx(path, array) -> Path:
    """Write ``array`` as an IDX file (gzip-compressed when ``path`` ends in ``.gz``), atomically."""
    path = Path(path)
    a = np.asarray(array)
    native = a.dtype.newbyteorder("=")
    if native not in _BY_KIND:
        raise TypeError(
            f"write_idx: dtype {a.dtype} has no IDX code; use one of "
            f"{', '.join(str(d) for d in _BY_KIND)}"
        )
    if a.ndim > 255:
        raise ValueError(f"write_idx: at most 255 dimensions, got {a.ndim}")
    header = bytes([0, 0, _BY_KIND[native], a.ndim]) + np.asarray(a.shape, dtype=">u4").tobytes()
    body = header + np.ascontiguousarray(a, dtype=_CODES[_BY_KIND[native]]).tobytes()
    if path.suffix == ".gz":
        body = gzip.compress(body, mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(body)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
