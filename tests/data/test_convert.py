"""Conversions between image kinds and dtypes, against torchvision's formulas written in torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet.data import convert as C

Image = pytest.importorskip("PIL.Image")
RNG = np.random.default_rng(0)
GRAY = RNG.integers(0, 256, (5, 7), dtype=np.uint8)
RGB = RNG.integers(0, 256, (5, 7, 3), dtype=np.uint8)


def _tv_to_tensor(hwc):
    """torchvision's to_tensor of an (H, W, C) array: permute, and uint8 -> float / 255."""
    t = torch.from_numpy(np.ascontiguousarray(hwc.transpose(2, 0, 1)))
    return t.to(torch.float32).div(255) if t.dtype == torch.uint8 else t


@pytest.mark.parametrize("arr", [GRAY, RGB], ids=["L", "RGB"])
def test_to_tensor_of_pil_and_uint8_array_is_torchvisions_bit_for_bit(arr):
    hwc = arr[:, :, None] if arr.ndim == 2 else arr
    ref = _tv_to_tensor(hwc).numpy()
    for pic in (Image.fromarray(arr), arr):
        out = C.ToTensor()(pic)
        assert isinstance(out, gn.Tensor) and out.dtype == gn.float32
        np.testing.assert_array_equal(out.numpy(), ref)


def test_to_tensor_float_and_int_arrays_are_transposed_not_scaled():
    f = RNG.random((4, 6, 2)).astype(np.float64)
    np.testing.assert_array_equal(C.to_tensor(f).numpy(), f.transpose(2, 0, 1))
    assert C.to_tensor(f).dtype == gn.float64
    i = RNG.integers(0, 1000, (4, 6), dtype=np.int32)
    np.testing.assert_array_equal(C.to_tensor(i).numpy(), i[None])


def test_to_tensor_pil_modes_1_i_f():
    bits = Image.fromarray(GRAY > 128)  # mode '1'
    np.testing.assert_array_equal(C.to_tensor(bits).numpy(), (GRAY > 128)[None].astype(np.float32))
    ints = Image.fromarray(GRAY.astype(np.int32) * 100)
    assert ints.mode == "I" and C.to_tensor(ints).dtype == gn.int32
    floats = Image.fromarray(GRAY.astype(np.float32) / 7)
    np.testing.assert_array_equal(C.to_tensor(floats).numpy()[0], GRAY.astype(np.float32) / 7)


def test_to_tensor_passes_tensors_and_scales_uint8_tensors():
    f = gn.rand(1, 3, 3)
    assert C.to_tensor(f) is f
    u = gn.tensor(GRAY[None])
    np.testing.assert_array_equal(C.to_tensor(u).numpy(), GRAY[None].astype(np.float32) / 255)


def test_to_tensor_errors_as_torchvision():
    with pytest.raises(TypeError, match="PIL Image or ndarray"):
        C.to_tensor([[1, 2]])
    with pytest.raises(ValueError, match="2/3 dimensional"):
        C.to_tensor(np.zeros((2, 3, 4, 5), np.uint8))


def test_pil_to_tensor_keeps_uint8():
    out = C.PILToTensor()(Image.fromarray(RGB))
    assert out.dtype == gn.uint8
    np.testing.assert_array_equal(out.numpy(), RGB.transpose(2, 0, 1))
    with pytest.raises(TypeError, match="PIL Image"):
        C.pil_to_tensor(RGB)


def test_to_pil_image_round_trips_and_infers_modes():
    t = gn.tensor(RGB.transpose(2, 0, 1).copy())
    img = C.ToPILImage()(t)
    assert img.mode == "RGB" and np.array_equal(np.asarray(img), RGB)
    assert C.to_pil_image(GRAY).mode == "L"  # arrays are (H, W[, C])
    assert C.to_pil_image(RNG.integers(0, 255, (3, 4, 2), dtype=np.uint8)).mode == "LA"
    f = RNG.random((1, 4, 5)).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(C.to_pil_image(gn.tensor(f))),
                                  (f[0] * 255).astype(np.uint8))
    assert C.to_pil_image(gn.tensor(f), mode="F").mode == "F"
    with pytest.raises(ValueError, match="> 4 channels"):
        C.to_pil_image(np.zeros((2, 2, 5), np.uint8))
    with pytest.raises(ValueError, match="only modes"):
        C.to_pil_image(RGB, mode="RGBA")


def _tv_convert_image_dtype(x, dtype):
    """torchvision's convert_image_dtype, in torch (v1)."""
    if x.is_floating_point():
        if torch.tensor(0, dtype=dtype).is_floating_point():
            return x.to(dtype)
        return x.mul(float(torch.iinfo(dtype).max) + 1.0 - 1e-3).to(dtype)
    imax = float(torch.iinfo(x.dtype).max)
    if torch.tensor(0, dtype=dtype).is_floating_point():
        return x.to(dtype) / imax
    omax = float(torch.iinfo(dtype).max)
    if imax > omax:
        return torch.div(x, int((imax + 1) // (omax + 1)), rounding_mode="floor").to(dtype)
    return x.to(dtype) * int((omax + 1) // (imax + 1))


@pytest.mark.parametrize("src,dst", [("uint8", "float32"), ("uint8", "float64"),
                                     ("float32", "uint8"), ("float64", "int16"),
                                     ("uint8", "int32"), ("int32", "uint8"), ("int16", "uint8")])
def test_convert_image_dtype_as_torchvision(src, dst):
    if src.startswith("float"):
        a = RNG.random((2, 3, 4)).astype(src)
    else:
        a = RNG.integers(0, np.iinfo(src).max, (2, 3, 4)).astype(src)
    out = C.ConvertImageDtype(getattr(gn, dst))(gn.tensor(a))
    ref = _tv_convert_image_dtype(torch.tensor(a), getattr(torch, dst))
    assert out.dtype == np.dtype(dst)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())


def test_convert_image_dtype_refuses_unsafe_casts():
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        C.convert_image_dtype(gn.rand(1, 2, 2), gn.int64)


def test_v2_to_image_to_dtype_multiplies_by_the_reciprocal():
    img = C.ToImage()(Image.fromarray(RGB))
    assert img.dtype == gn.uint8 and tuple(img.shape) == (3, 5, 7)
    out = C.ToDtype(gn.float32, scale=True)(img)
    ref = torch.tensor(RGB.transpose(2, 0, 1)).to(torch.float32).mul_(1.0 / 255)  # v2's formula
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    assert C.ToDtype(gn.float32)(img).numpy().max() > 1  # scale=False: a cast
    assert C.ToPureTensor()(img) is img
    np.testing.assert_array_equal(C.to_image(RGB).numpy(), RGB.transpose(2, 0, 1))


def test_hwc_batch_conversion_equals_one_image_at_a_time():
    batch = RNG.integers(0, 256, (4, 5, 7, 3), dtype=np.uint8)
    out = C.hwc_batch_to_tensor(batch).numpy()
    for i in range(4):
        np.testing.assert_array_equal(out[i], C.to_tensor(Image.fromarray(batch[i])).numpy())
