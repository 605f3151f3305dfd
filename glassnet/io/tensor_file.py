"""Tensor files: a dict of arrays (+ ``{str: str}`` metadata) as bytes, sealed with a SHA-256.

A safetensors file is three parts::

    bytes [0, 8)          N, the length of the header (unsigned 64-bit, little-endian)
    bytes [8, 8 + N)      the JSON header: {name: {"dtype": "F32", "shape": [2, 3],
                          "data_offsets": [b, e]}, ..., "__metadata__": {str: str}}
    bytes [8 + N, end)    the arrays' raw little-endian bytes; ``name`` at [8 + N + b, 8 + N + e)

**The seal.** glassnet adds the metadata entry ``"glassnet_sha256"``: the SHA-256 of the whole
file in which those 64 hex digits read ``"000...0"``. Loading hashes the file the same way (its
own digest counted as zeros), so every byte is covered: length field, header, padding, data.
The entry ``"glassnet_crc32"`` ({name: CRC-32 of the array's bytes}) only serves the error
message: when the SHA-256 fails, it tells which tensor was damaged.

Without the ``safetensors`` package the file is a NumPy ``.npz`` archive (``np.savez``, read
with ``allow_pickle=False``); its member ``__metadata__`` holds the metadata JSON as uint8
bytes, and the seal is the archive's comment, the file's last 80 bytes:
``glassnet_sha256:<64 hex digits>``, the digest of the file with those digits as zeros.

**What load accepts** (``decode``), the one rule for every file glassnet reads:

* seal present and right: loaded;
* seal present and wrong: ``CheckpointError`` ("checksum mismatch in tensor 'fc.weight'");
* no seal: a file from a glassnet older than the seal, or from another program. It is loaded
  after the structural checks (header, offsets, sizes, dtypes, which catch truncation), which
  cannot see a flipped bit inside the data. A file that carries ``glassnet_crc32`` but no seal
  lost its seal to damage and is refused, so one damaged spot cannot pass a sealed file off
  as an unsealed one;
* PyTorch's ``torch.save`` files (a zip archive holding ``data.pkl``, or a bare pickle) are
  recognised and refused with the recipe to convert them: nothing is ever unpickled.

Files are recognised by their content, not their extension.

**Complex tensors.** safetensors has no complex128 dtype, so every complex array is stored as
its float (..., 2) array of (real, imag) pairs (``view_as_real``), and the metadata entry
``"glassnet_complex"`` ({name: "complex64" or "complex128"}) tells load to view it back.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import re
import struct
import zipfile
import zlib

import numpy as np

from glassnet import backend
from glassnet.io.state import to_numpy

__all__ = ["CheckpointError", "decode", "encode", "safetensors_available"]

SEAL_KEY = "glassnet_sha256"
CRC_KEY = "glassnet_crc32"
COMPLEX_KEY = "glassnet_complex"
_BLANK = b"0" * 64
_HEX64 = re.compile(r"[0-9a-f]{64}")
_ZIP_SEAL = b"glassnet_sha256:"
_EOCD = b"PK\x05\x06"  # a zip archive's end-of-central-directory record (22 bytes + comment)
_MAX_HEADER = 100_000_000  # the safetensors format's own limit on N
_ITEMSIZE = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2,
             "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
             "C64": 8}


class CheckpointError(RuntimeError, ValueError):
    """A file that a load rejects: missing, truncated, damaged (checksum mismatch), malformed,
    or of a foreign format (a PyTorch ``.pt`` pickle). The message names the file and says what
    is wrong. A ``RuntimeError``, as PyTorch's load errors are (and a ``ValueError``, as this
    class was before)."""


def safetensors_available() -> bool:
    try:
        import safetensors.numpy  # noqa: F401
    except ImportError:
        return False
    return True


def _crc(a: np.ndarray) -> int:
    """CRC-32 of an array's bytes as stored (C order, little-endian)."""
    a = np.ascontiguousarray(a)
    if a.dtype.byteorder == ">":
        a = a.astype(a.dtype.newbyteorder("<"))
    return zlib.crc32(a.reshape(-1).view(np.uint8))


def _sha256(data, at: int) -> str:
    """SHA-256 of ``data`` with its 64 bytes at ``at`` read as ``"0" * 64``."""
    mv = memoryview(data)
    h = hashlib.sha256(mv[:at])
    h.update(_BLANK)
    h.update(mv[at + 64:])
    return h.hexdigest()


# ----------------------------------------------------------------------------- writing
def encode(tensors: dict, metadata: dict | None = None) -> tuple[bytearray, str]:
    """Serialise ``{name: array}`` and ``{str: str}`` metadata, sealed: (bytes, format name).

    The format is ``"safetensors"``, or ``"npz"`` without the safetensors package.
    """
    arrays = {k: to_numpy(v) for k, v in tensors.items()}
    meta = {str(k): str(v) for k, v in (metadata or {}).items()}
    for key in (SEAL_KEY, CRC_KEY, COMPLEX_KEY):
        if key in meta:
            raise ValueError(f"write_tensors: metadata key {key!r} is reserved for glassnet")
    complex_names = {k: a.dtype.name for k, a in arrays.items() if a.dtype.kind == "c"}
    if complex_names:  # stored as (real, imag) float pairs, see the module docstring
        meta[COMPLEX_KEY] = json.dumps(complex_names)
        for k in complex_names:
            a = np.ascontiguousarray(arrays[k])
            arrays[k] = a.view(a.real.dtype).reshape(a.shape + (2,))
    meta[CRC_KEY] = json.dumps({k: _crc(a) for k, a in arrays.items()})
    if safetensors_available():
        import safetensors.numpy as stn

        meta[SEAL_KEY] = _BLANK.decode()
        data = bytearray(stn.save(arrays, metadata=meta))
        (n,) = struct.unpack("<Q", data[:8])
        at = data.find(b'"%s":"%s"' % (SEAL_KEY.encode(), _BLANK), 8, 8 + n)
        assert at > 0, "safetensors did not write the metadata as given"
        at += len(SEAL_KEY) + 4
        data[at:at + 64] = _sha256(data, at).encode()
        return data, "safetensors"
    if "__metadata__" in arrays:
        raise ValueError("write_tensors: '__metadata__' is a reserved key in .npz tensor files")
    buf = io.BytesIO()
    np.savez(buf, __metadata__=np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8),
             **arrays)
    data = bytearray(buf.getvalue())
    assert data[-22:-18] == _EOCD and data[-2:] == b"\0\0", "np.savez wrote a zip comment"
    comment = _ZIP_SEAL + _BLANK
    data[-2:] = struct.pack("<H", len(comment))
    data += comment
    at = len(data) - 64
    data[at:] = _sha256(data, at).encode()
    return data, "npz"


# ----------------------------------------------------------------------------- reading
def decode(path: str, data) -> tuple[dict, dict, bool]:
    """Check and parse tensor-file bytes: ``({name: ndarray}, {str: str} metadata, sealed)``.

    ``sealed``: the file carried a checksum (and it verified). The checksum entries are not
    part of the returned metadata. Raises ``CheckpointError`` naming ``path`` for anything that
    is not an intact tensor file.
    """
    if len(data) < 8:
        raise CheckpointError(f"{path}: truncated at byte {len(data)}: a tensor file starts with "
                              "an 8-byte header length (empty or cut-off file?)")
    if data[:2] == b"PK":
        return _complex_back(path, *_decode_zip(path, data))
    if data[0] == 0x80 and 2 <= data[1] <= 5:
        raise CheckpointError(f"{path}: this is a Python pickle (PyTorch's legacy torch.save "
                              f"format). {_torch_hint(path)}")
    return _complex_back(path, *_decode_safetensors(path, data))


def _complex_back(path, arrays, meta, sealed):
    """View the (real, imag) float pairs that ``encode`` stored for complex arrays as complex."""
    tags = meta.pop(COMPLEX_KEY, None)
    if tags is None:
        return arrays, meta, sealed
    try:
        tags = json.loads(tags)
    except ValueError:
        raise CheckpointError(f"{path}: its {COMPLEX_KEY!r} metadata is not JSON") from None
    for k, name in tags.items():
        a = arrays.get(k)
        want = {"complex64": np.float32, "complex128": np.float64}.get(name)
        if a is None or want is None or a.dtype != want or a.ndim == 0 or a.shape[-1] != 2:
            raise CheckpointError(f"{path}: tensor {k!r} is tagged {name!r} but is not a "
                                  f"(..., 2) array of its float parts")
        arrays[k] = np.ascontiguousarray(a).view(name)[..., 0]
    return arrays, meta, sealed


def _torch_hint(path) -> str:
    return ("glassnet never unpickles a file, since unpickling can run arbitrary code. Convert "
            "it once where PyTorch is installed: `import torch, safetensors.torch; "
            f"sd = torch.load({str(path)!r}, weights_only=True); "
            "safetensors.torch.save_file({k: v.contiguous() for k, v in sd.items()}, "
            "'model.safetensors')` (for a checkpoint dict, take its model state dict first, "
            "e.g. sd['model_state_dict']), then load 'model.safetensors' with glassnet; or pass "
            "the loaded state dict to glassnet.io.from_torch_state_dict")


def _header(path, data) -> tuple[int, dict]:
    """(N, parsed header) with every field checked; the file's size checked against it."""
    (n,) = struct.unpack("<Q", bytes(data[:8]))
    if n > _MAX_HEADER:
        raise CheckpointError(f"{path}: not a readable safetensors file (corrupt?): its first 8 "
                              f"bytes declare a {n}-byte header, over the format's limit of "
                              f"{_MAX_HEADER}")
    if 8 + n > len(data):
        raise CheckpointError(f"{path}: truncated at byte {len(data)}: the header alone needs "
                              f"{8 + n} bytes")
    try:
        header = json.loads(bytes(data[8:8 + n]).decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise CheckpointError(f"{path}: not a readable safetensors file: its header (bytes "
                              f"8..{8 + n}) is not valid JSON (corrupt?): {exc}") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: safetensors header is a JSON {type(header).__name__}, "
                              "not an object (corrupt?)")
    meta = header.get("__metadata__")
    if meta is not None and not (isinstance(meta, dict) and all(
            isinstance(v, str) for v in meta.values())):
        raise CheckpointError(f"{path}: safetensors header: __metadata__ must map strings to "
                              "strings (corrupt?)")
    end = 0
    for name, e in header.items():
        if name == "__metadata__":
            continue
        ok = (isinstance(e, dict) and isinstance(e.get("dtype"), str)
              and isinstance(e.get("shape"), list) and isinstance(e.get("data_offsets"), list)
              and all(type(d) is int and d >= 0 for d in e["shape"])
              and len(e["data_offsets"]) == 2
              and all(type(o) is int and o >= 0 for o in e["data_offsets"])
              and e["data_offsets"][0] <= e["data_offsets"][1])
        if not ok:
            raise CheckpointError(f"{path}: safetensors header: the entry of tensor {name!r} is "
                                  f"malformed (corrupt?): {json.dumps(e)[:200]}")
        b, stop = e["data_offsets"]
        size = _ITEMSIZE.get(e["dtype"])
        if size is not None and math.prod(e["shape"]) * size != stop - b:
            raise CheckpointError(
                f"{path}: safetensors header: tensor {name!r} of dtype {e['dtype']} and shape "
                f"{e['shape']} needs {math.prod(e['shape']) * size} bytes, but its offsets "
                f"[{b}, {stop}] span {stop - b} (corrupt?)")
        end = max(end, stop)
    if 8 + n + end > len(data):
        raise CheckpointError(f"{path}: truncated at byte {len(data)}: its header describes "
                              f"{8 + n + end} bytes")
    if 8 + n + end < len(data):
        raise CheckpointError(f"{path}: {len(data) - 8 - n - end} unexpected bytes after the "
                              f"tensor data, which ends at byte {8 + n + end} (corrupt?)")
    return n, header


def _decode_safetensors(path, data) -> tuple[dict, dict, bool]:
    if len(data) > 8 and data[8:9] != b"{":
        raise CheckpointError(f"{path}: not a tensor file (safetensors or .npz): it starts with "
                              f"{bytes(data[:12])!r}")
    n, header = _header(path, data)
    meta = dict(header.get("__metadata__") or {})
    digest = meta.pop(SEAL_KEY, None)
    crcs = meta.pop(CRC_KEY, None)
    if digest is not None:
        at = -1
        if isinstance(digest, str) and _HEX64.fullmatch(digest):
            key = b'"%s":"%s"' % (SEAL_KEY.encode(), digest.encode())
            at = bytes(data[8:8 + n]).find(key)
        if at < 0:
            raise CheckpointError(f"{path}: its checksum entry is malformed (damaged header)")
        at += 8 + len(SEAL_KEY) + 4
        if _sha256(data, at) != digest:
            tensors = {k: (8 + n + v["data_offsets"][0], 8 + n + v["data_offsets"][1])
                       for k, v in header.items() if k != "__metadata__"}
            raise _mismatch(path, crcs, {k: lambda b=b, e=e: np.frombuffer(data, np.uint8, e - b, b)
                                         for k, (b, e) in tensors.items()}, tensors,
                            f"the header (bytes 0..{8 + n})")
    elif crcs is not None:
        raise CheckpointError(f"{path}: the file has per-tensor checksums but its file checksum "
                              f"({SEAL_KEY}) is missing: damaged header")
    if not safetensors_available():
        raise CheckpointError(f"{path}: is a safetensors file, but the safetensors package is not "
                              "installed; pip install safetensors (or glassnet[weights])")
    import safetensors.numpy as stn

    bf16 = [k for k, e in header.items() if k != "__metadata__" and e["dtype"] == "BF16"]
    if bf16:
        data = _bf16_as_u16(path, data, n, header, bf16)
    try:
        arrays = stn.load(bytes(data))
    except Exception as exc:  # noqa: BLE001 - safetensors' own checks: dtypes, offsets, ...
        raise CheckpointError(f"{path}: not a readable safetensors file (corrupt?): {exc}") from None
    for k in bf16:
        arrays[k] = arrays[k].view(backend.bfloat16)
    return arrays, meta, digest is not None


def _bf16_as_u16(path, data, n, header, names):
    """The file (already verified) with its BF16 tensors declared U16, which safetensors' NumPy
    loader reads (it writes BF16 but cannot read it back); the caller views them as bfloat16."""
    if not backend.is_floating(backend.bfloat16):
        raise CheckpointError(f"{path}: tensors {names[:3]} are bfloat16: {backend.BF16_MISSING}")
    header = {k: (dict(e, dtype="U16") if k in names else e) for k, e in header.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + bytes(data[8 + n:])


def _mismatch(path, crcs, readers, spans, elsewhere) -> CheckpointError:
    """The error for a failed seal, naming the damaged tensors when their CRC-32s tell."""
    try:
        want = json.loads(crcs) if crcs is not None else {}
    except ValueError:
        want = {}
    bad = []
    for name, read in readers.items():
        if not isinstance(want, dict) or name not in want:
            continue
        try:
            if _crc(read()) != want[name]:
                bad.append(name)
        except Exception:  # noqa: BLE001 - an unreadable member is a damaged one
            bad.append(name)
    if bad:
        where = ", ".join(f"{k!r}" + (f" (bytes {spans[k][0]}..{spans[k][1]})" if k in spans
                                      else "") for k in bad[:5])
        what = f"tensor {where}" if len(bad) == 1 else f"tensors {where}"
        if len(bad) > 5:
            what += f" and {len(bad) - 5} more"
    else:
        what = elsewhere
    return CheckpointError(f"{path}: checksum mismatch in {what}: the file is damaged (a flipped "
                           "bit, a partial copy, an edit); restore it from a good copy")


def _zip_seal(data) -> tuple[str | None, int]:
    """(digest, its offset) from an archive comment ``glassnet_sha256:<hex>``, or (None, -1)."""
    size = len(_ZIP_SEAL) + 64
    start = len(data) - 22 - size
    if start < 0 or bytes(data[start:start + 4]) != _EOCD:
        return None, -1
    if struct.unpack("<H", bytes(data[start + 20:start + 22]))[0] != size:
        return None, -1
    if bytes(data[-size:-64]) != _ZIP_SEAL:
        return None, -1
    return bytes(data[-64:]).decode("ascii", "replace"), len(data) - 64


def _npy(raw) -> np.ndarray:
    """The array in the bytes of a ``.npy`` member, after checking that its header's shape and
    dtype match its size (so a damaged header cannot make it allocate); never unpickled."""
    f = io.BytesIO(raw)
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    else:
        raise ValueError(f".npy format version {version} is not supported")
    if dtype.hasobject:
        raise ValueError("the array holds Python objects, which would need unpickling")
    count = math.prod(shape)
    payload = memoryview(raw)[f.tell():]
    if count * dtype.itemsize != len(payload):
        raise ValueError(f"a {dtype} array of shape {shape} needs {count * dtype.itemsize} bytes, "
                         f"the member holds {len(payload)}")
    return np.frombuffer(payload, dtype, count).reshape(shape, order="F" if fortran else "C").copy()


def _decode_zip(path, data) -> tuple[dict, dict, bool]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(bytes(data)))
        names = archive.namelist()
    except Exception as exc:  # noqa: BLE001 - zipfile.BadZipFile, ValueError, struct.error...
        raise CheckpointError(f"{path}: not a readable .npz tensor file (truncated or corrupt?): "
                              f"{type(exc).__name__}: {exc}") from None
    if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
        raise CheckpointError(f"{path}: this is a PyTorch file (torch.save's zip format, which "
                              f"holds a pickle). {_torch_hint(path)}")
    odd = [n for n in names if not n.endswith(".npy")]
    if odd:
        raise CheckpointError(f"{path}: a zip archive but not a NumPy .npz of arrays: member "
                              f"{odd[0]!r} is not a .npy array")

    def member(name):  # the array saved under ``name`` (zipfile checks the member's CRC-32)
        return _npy(archive.read(name + ".npy"))

    digest, at = _zip_seal(data)
    if digest is not None and _sha256(data, at) != digest:
        try:
            crcs = json.loads(bytes(member("__metadata__")).decode("utf-8")).get(CRC_KEY)
        except Exception:  # noqa: BLE001 - no CRC-32s to tell where the damage is
            crcs = None
        readers = {n[:-4]: (lambda n=n: member(n[:-4])) for n in names
                   if n != "__metadata__.npy"}
        raise _mismatch(path, crcs, readers, {}, "the archive's structure")
    try:
        arrays = {n[:-4]: member(n[:-4]) for n in names}
        raw = arrays.pop("__metadata__", None)
        meta = json.loads(bytes(raw).decode("utf-8")) if raw is not None else {}
    except Exception as exc:  # noqa: BLE001 - zipfile.BadZipFile, ValueError, EOFError, ...
        raise CheckpointError(f"{path}: not a readable .npz tensor file (truncated or corrupt?): "
                              f"{type(exc).__name__}: {exc}") from None
    if not (isinstance(meta, dict) and all(isinstance(v, str) for v in meta.values())):
        raise CheckpointError(f"{path}: the .npz metadata must map strings to strings (corrupt?)")
    meta.pop(SEAL_KEY, None)
    if meta.pop(CRC_KEY, None) is not None and digest is None:
        raise CheckpointError(f"{path}: the file has per-tensor checksums but its file checksum "
                              "(the archive comment) is missing: damaged end of file")
    return arrays, meta, digest is not None
