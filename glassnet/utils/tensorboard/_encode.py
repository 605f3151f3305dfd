"""The bytes of a TensorBoard event file, written without TensorFlow or protobuf.

An event file is a sequence of records (the TFRecord format): an 8-byte little-endian length,
a 4-byte masked CRC-32C of the length, the payload, and a masked CRC-32C of the payload. Each
payload is a serialized ``Event`` protocol buffer. Protocol buffers are a tag-length-value
encoding: each field is a key ``(field_number << 3) | wire_type`` (a varint) followed by a
varint (wire type 0), 8 bytes (1, doubles), a length-prefixed byte string (2, strings and
nested messages) or 4 bytes (5, floats). The few messages TensorBoard reads for scalars,
histograms, images and text are built here from those rules.
"""

from __future__ import annotations

import struct
import zlib

# ----------------------------------------------------------------------------- CRC-32C


def _crc_table():
    poly = 0x82F63B78  # the Castagnoli polynomial, bit-reversed
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    table = _TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """TFRecord's masking: rotate right by 15 bits and add a constant."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record(payload: bytes) -> bytes:
    """One TFRecord: length, its checksum, the payload, its checksum."""
    header = struct.pack("<Q", len(payload))
    return (header + struct.pack("<I", masked_crc32c(header)) + payload
            + struct.pack("<I", masked_crc32c(payload)))


# ----------------------------------------------------------------------------- protobuf


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # negative int64 values are encoded as their two's complement
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint((field << 3) | wire)


def f_varint(field: int, n: int) -> bytes:
    return _key(field, 0) + _varint(int(n))


def f_double(field: int, x: float) -> bytes:
    return _key(field, 1) + struct.pack("<d", float(x))


def f_float(field: int, x: float) -> bytes:
    return _key(field, 5) + struct.pack("<f", float(x))


def f_bytes(field: int, data) -> bytes:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return _key(field, 2) + _varint(len(data)) + data


def f_packed_doubles(field: int, xs) -> bytes:
    return f_bytes(field, b"".join(struct.pack("<d", float(x)) for x in xs))


# ----------------------------------------------------------------------------- messages


def event(wall_time: float, step: int | None = None, summary: bytes | None = None,
          file_version: str | None = None) -> bytes:
    """An ``Event``: wall_time = 1, step = 2, file_version = 3, summary = 5."""
    out = f_double(1, wall_time)
    if step is not None:
        out += f_varint(2, step)
    if file_version is not None:
        out += f_bytes(3, file_version)
    if summary is not None:
        out += f_bytes(5, summary)
    return out


def summary(*values: bytes) -> bytes:
    """A ``Summary``: its ``Value`` messages, field 1 each."""
    return b"".join(f_bytes(1, v) for v in values)


def scalar_value(tag: str, x: float) -> bytes:
    """``Summary.Value`` with tag = 1 and simple_value = 2."""
    return f_bytes(1, tag) + f_float(2, x)


def histogram_value(tag: str, lo, hi, num, total, sum_squares, limits, counts) -> bytes:
    """``Summary.Value`` with histo = 5: a ``HistogramProto`` (min, max, num, sum,
    sum_squares, then the bucket right edges and counts as packed doubles)."""
    histo = (f_double(1, lo) + f_double(2, hi) + f_double(3, num) + f_double(4, total)
             + f_double(5, sum_squares) + f_packed_doubles(6, limits)
             + f_packed_doubles(7, counts))
    return f_bytes(1, tag) + f_bytes(5, histo)


def image_value(tag: str, height: int, width: int, channels: int, png: bytes) -> bytes:
    """``Summary.Value`` with image = 4: height, width, colorspace, encoded PNG."""
    image = f_varint(1, height) + f_varint(2, width) + f_varint(3, channels) + f_bytes(4, png)
    return f_bytes(1, tag) + f_bytes(4, image)


def text_value(tag: str, text: str) -> bytes:
    """``Summary.Value`` for the text plugin: metadata = 9 naming the plugin, tensor = 8 a
    scalar string ``TensorProto`` (dtype DT_STRING = 7, shape [1], string_val = 8)."""
    plugin = f_bytes(1, f_bytes(1, "text"))
    tensor = f_varint(1, 7) + f_bytes(2, f_bytes(2, f_varint(1, 1))) + f_bytes(8, text)
    return f_bytes(1, tag) + f_bytes(9, plugin) + f_bytes(8, tensor)


# ----------------------------------------------------------------------------- PNG


def png(pixels) -> bytes:
    """A PNG file from a uint8 array of shape (H, W, C), C in 1 (grey), 3 (RGB), 4 (RGBA)."""
    h, w, c = pixels.shape
    color = {1: 0, 3: 2, 4: 6}[c]
    rows = b"".join(b"\x00" + pixels[i].tobytes() for i in range(h))  # filter type 0 per row

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))
