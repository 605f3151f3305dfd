"""Resize, crops, pad, flips and rotation: Tensors against torch.nn.functional, PIL images against
Pillow, and torchvision's size rules."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassnet as gn
from glassnet.data import geometry as G

Image = pytest.importorskip("PIL.Image")
RNG = np.random.default_rng(0)
X = RNG.random((2, 3, 17, 23), dtype=np.float32)
U = RNG.integers(0, 256, (3, 17, 23), dtype=np.uint8)


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("antialias", [True, False])
def test_resize_tensor_matches_interpolate(mode, antialias):
    m = G.InterpolationMode(mode)
    out = G.resize(gn.tensor(X), [9, 30], m, antialias=antialias)
    ref = TF.interpolate(torch.tensor(X), size=(9, 30), mode=mode, align_corners=False,
                         antialias=antialias)
    assert isinstance(out, gn.Tensor) and tuple(out.shape) == (2, 3, 9, 30)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-5, atol=1e-6)
    # uint8: resampled in float32, then clamped (bicubic) and rounded, as torchvision
    out8 = G.resize(gn.tensor(U), [9, 30], m, antialias=antialias)
    r = TF.interpolate(torch.tensor(U)[None].float(), size=(9, 30), mode=mode,
                       align_corners=False, antialias=antialias)
    r = torch.round(r.clamp(0, 255) if mode == "bicubic" else r).to(torch.uint8)[0]
    assert out8.dtype == gn.uint8  # a float value a last bit away from .5 may round the other way
    diff = np.abs(out8.numpy().astype(int) - r.numpy().astype(int))
    assert diff.max() <= 1 and (diff > 0).mean() < 0.01


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_resize_nearest_modes(mode):
    out = G.resize(X, [40, 11], G.InterpolationMode(mode))
    ref = TF.interpolate(torch.tensor(X), size=(40, 11), mode=mode)
    np.testing.assert_array_equal(out, ref.numpy())


def test_resize_size_rules_as_torchvision():
    assert G.resized_size(17, 23, 8) == [8, 10]  # the smaller edge, int(8 * 23 / 17)
    assert G.resized_size(23, 17, [8]) == [10, 8]
    assert G.resized_size(17, 23, (5, 6)) == [5, 6]
    assert G.resized_size(10, 40, 8, max_size=20) == [5, 20]
    with pytest.raises(ValueError, match="max_size"):
        G.resized_size(10, 40, 8, max_size=8)
    with pytest.raises(ValueError, match="max_size should only"):
        G.resized_size(10, 40, (8, 9), max_size=20)
    same = gn.tensor(X)
    assert G.resize(same, [17, 23]) is same


def test_resize_pil_is_pillows_resize():
    img = Image.fromarray(U.transpose(1, 2, 0))
    for mode, pil in (("bilinear", Image.BILINEAR), ("bicubic", Image.BICUBIC),
                      ("nearest", Image.NEAREST), ("lanczos", Image.LANCZOS)):
        out = G.Resize(8, interpolation=G.InterpolationMode(mode))(img)
        assert out.size == (10, 8)
        assert np.array_equal(np.asarray(out), np.asarray(img.resize((10, 8), pil)))
    assert G.Resize(8, interpolation=2).interpolation is G.InterpolationMode.BILINEAR
    with pytest.raises(ValueError, match="only available for PIL"):
        G.resize(X, 5, G.InterpolationMode.LANCZOS)


def test_crop_reads_zeros_outside_and_matches_pil():
    img = Image.fromarray(U.transpose(1, 2, 0))
    for box in ((2, 3, 5, 6), (-2, -3, 6, 8), (14, 20, 6, 8)):
        out = G.crop(U, *box)
        pil = np.asarray(G.crop(img, *box)).transpose(2, 0, 1)
        np.testing.assert_array_equal(out, pil)


def test_center_crop_rounds_and_pads_as_torchvision():
    x = np.arange(7 * 8, dtype=np.float32).reshape(1, 7, 8)
    out = G.CenterCrop(4)(x)
    np.testing.assert_array_equal(out, x[:, 2:6, 2:6])  # round(1.5) = 2, round(2.0) = 2
    big = G.center_crop(x, [9, 11])
    assert big.shape == (1, 9, 11) and big[0, 0].sum() == 0
    np.testing.assert_array_equal(big[:, 1:8, 1:9], x)  # left/top get (11-8)//2, (9-7)//2
    img = Image.fromarray(U[0])
    np.testing.assert_array_equal(np.asarray(G.center_crop(img, 9)), G.center_crop(U[:1], 9)[0])


@pytest.mark.parametrize("mode,torch_mode", [("constant", "constant"), ("edge", "replicate"),
                                             ("reflect", "reflect")])
def test_pad_matches_torch_pad(mode, torch_mode):
    out = G.Pad((1, 2, 3, 4), fill=0.5 if mode == "constant" else 0, padding_mode=mode)(gn.tensor(X))
    kw = {"value": 0.5} if mode == "constant" else {}
    ref = TF.pad(torch.tensor(X), [1, 3, 2, 4], mode=torch_mode, **kw)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())


def test_pad_symmetric_fill_per_channel_negative_and_pil():
    np.testing.assert_array_equal(G.pad(U, 2, padding_mode="symmetric"),
                                  np.pad(U, ((0, 0), (2, 2), (2, 2)), mode="symmetric"))
    out = G.pad(U, [1, 2], fill=(10, 20, 30))
    assert out.shape == (3, 21, 25) and list(out[:, 0, 0]) == [10, 20, 30]
    np.testing.assert_array_equal(G.pad(U, -2), U[:, 2:-2, 2:-2])
    img = Image.fromarray(U.transpose(1, 2, 0))
    padded = G.pad(img, 3, padding_mode="reflect")
    assert padded.mode == "RGB" and padded.size == (29, 23)
    with pytest.raises(ValueError, match="padding_mode"):
        G.Pad(1, padding_mode="wrap")


def test_flips_on_every_kind():
    np.testing.assert_array_equal(G.hflip(X), X[..., ::-1])
    np.testing.assert_array_equal(G.vflip(gn.tensor(X)).numpy(), X[..., ::-1, :])
    img = Image.fromarray(U[0])
    np.testing.assert_array_equal(np.asarray(G.hflip(img)), U[0, :, ::-1])


def test_rotate_quarter_turns_and_pil():
    sq = X[:, :, :9, :9]
    np.testing.assert_allclose(G.rotate(gn.tensor(sq), 90).numpy(), np.rot90(sq, 1, (2, 3)),
                               atol=1e-6)
    np.testing.assert_allclose(G.rotate(sq, 180, G.InterpolationMode.BILINEAR),
                               sq[..., ::-1, ::-1], atol=1e-5)
    img = Image.fromarray(U[0, :9, :9])
    np.testing.assert_array_equal(np.asarray(G.rotate(img, 90)), np.rot90(U[0, :9, :9]))
    assert G.rotate(Image.fromarray(U[0]), 90, expand=True).size == (17, 23)
    with pytest.raises(NotImplementedError, match="expand"):
        G.rotate(X, 30, expand=True)


def test_five_and_ten_crop():
    crops = G.FiveCrop(4)(X[0])
    assert len(crops) == 5
    np.testing.assert_array_equal(crops[0], X[0, :, :4, :4])
    np.testing.assert_array_equal(crops[3], X[0, :, -4:, -4:])
    ten = G.TenCrop((4, 5))(X[0])
    np.testing.assert_array_equal(ten[5], X[0, :, :4, ::-1][:, :, :5])


def test_random_resized_crop_shapes_params_and_fallback():
    gen = gn.backend.Generator(0)
    t = G.RandomResizedCrop(8, scale=(0.3, 1.0), generator=gen)
    out = t(gn.tensor(X))
    assert tuple(out.shape) == (2, 3, 8, 8)
    rng = np.random.default_rng(1)
    for _ in range(20):
        i, j, h, w = G.RandomResizedCrop.get_params(X, (0.08, 1.0), (3 / 4, 4 / 3), rng)
        assert 0 <= i and i + h <= 17 and 0 <= j and j + w <= 23 and h > 0 and w > 0
    # no window of that area and ratio fits: the central crop of the nearest ratio
    assert G.RandomResizedCrop.get_params(np.zeros((1, 10, 100)), (1.0, 1.0), (1.0, 1.0),
                                          rng) == (0, 45, 10, 10)
    img = Image.fromarray(U.transpose(1, 2, 0))
    assert G.RandomResizedCrop((6, 7))(img).size == (7, 6)
