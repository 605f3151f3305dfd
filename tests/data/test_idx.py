import gzip

import numpy as np
import pytest

from glassnet.data.datasets import IDXFormatError, read_idx, write_idx


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip(tmp_path, dtype, suffix):
    a = (np.random.default_rng(0).random((3, 4, 5)) * 100).astype(dtype)
    p = write_idx(tmp_path / f"x-idx3{suffix}", a)
    b = read_idx(p)
    assert b.dtype == np.dtype(dtype) and b.dtype.isnative and b.shape == (3, 4, 5)
    np.testing.assert_array_equal(a, b)


def test_header_layout_is_standard(tmp_path):
    p = write_idx(tmp_path / "labels-idx1-ubyte", np.array([7, 2, 1], dtype=np.uint8))
    assert p.read_bytes() == bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1])
    gz = write_idx(tmp_path / "labels-idx1-ubyte.gz", np.array([7, 2, 1], dtype=np.uint8))
    assert gzip.decompress(gz.read_bytes()) == p.read_bytes()


def test_gzip_detected_from_content_not_name(tmp_path):
    a = np.arange(6, dtype=np.uint8).reshape(2, 3)
    src = write_idx(tmp_path / "a.gz", a)
    moved = tmp_path / "a-without-suffix"
    moved.write_bytes(src.read_bytes())
    np.testing.assert_array_equal(read_idx(moved), a)


def test_truncated_file_error_names_file_and_byte_counts(tmp_path):
    p = write_idx(tmp_path / "imgs-idx3-ubyte", np.zeros((10, 28, 28), dtype=np.uint8))
    p.write_bytes(p.read_bytes()[:-100])
    with pytest.raises(IDXFormatError) as e:
        read_idx(p)
    msg = str(e.value)
    assert "imgs-idx3-ubyte" in msg and "truncated" in msg and "7840" in msg and "7740" in msg


def test_extra_bytes_bad_magic_bad_code_short_header(tmp_path):
    p = write_idx(tmp_path / "x", np.zeros(4, dtype=np.uint8))
    p.write_bytes(p.read_bytes() + b"\x00")
    with pytest.raises(IDXFormatError, match="longer than its header"):
        read_idx(p)
    p.write_bytes(b"\x12\x34\x08\x01\x00\x00\x00\x01\x00")
    with pytest.raises(IDXFormatError, match="not an IDX file"):
        read_idx(p)
    p.write_bytes(b"\x00\x00\x07\x01\x00\x00\x00\x01\x00")
    with pytest.raises(IDXFormatError, match="unknown element type code 0x07"):
        read_idx(p)
    p.write_bytes(b"\x00\x00\x08\x03\x00\x00")
    with pytest.raises(IDXFormatError, match="header needs 16 bytes"):
        read_idx(p)


def test_truncated_gzip(tmp_path):
    p = write_idx(
        tmp_path / "x.gz", np.random.default_rng(0).integers(0, 255, (50, 50), dtype=np.uint8)
    )
    p.write_bytes(p.read_bytes()[:-30])
    with pytest.raises(IDXFormatError, match="truncated or corrupt gzip"):
        read_idx(p)


def test_write_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(TypeError, match="write_idx: dtype int64"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=np.int64))
