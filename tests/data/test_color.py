"""Colour and filter operations: Tensors against torchvision's tensor formulas written in torch,
PIL images against Pillow."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassnet as gn
from glassnet.data import color as K

Image = pytest.importorskip("PIL.Image")
RNG = np.random.default_rng(0)
X = RNG.random((2, 3, 9, 11), dtype=np.float32)
U = RNG.integers(0, 256, (3, 9, 11), dtype=np.uint8)


def _tv_gray(t):
    r, g, b = t.unbind(dim=-3)
    return (0.2989 * r + 0.587 * g + 0.114 * b).to(t.dtype).unsqueeze(-3)


def _tv_blend(a, b, ratio):
    bound = 1.0 if a.is_floating_point() else 255.0
    return (ratio * a + (1.0 - ratio) * b).clamp(0, bound).to(a.dtype)


@pytest.mark.parametrize("arr", [X, U], ids=["float32", "uint8"])
def test_grayscale_as_torchvision(arr):
    t = torch.tensor(arr)
    out = K.Grayscale()(gn.tensor(arr))
    np.testing.assert_array_equal(out.numpy(), _tv_gray(t).numpy())
    three = K.rgb_to_grayscale(arr, 3)
    assert three.shape[-3] == 3 and np.array_equal(three[..., 1, :, :], three[..., 0, :, :])


def test_grayscale_pil_is_pillows_convert():
    img = Image.fromarray(U.transpose(1, 2, 0))
    assert np.array_equal(np.asarray(K.Grayscale()(img)), np.asarray(img.convert("L")))
    assert K.Grayscale(3)(img).mode == "RGB"
    assert K.RandomGrayscale(p=1.0)(img).mode == "RGB"  # keeps the number of channels


@pytest.mark.parametrize("arr", [X, U], ids=["float32", "uint8"])
def test_adjust_brightness_contrast_saturation_as_torchvision(arr):
    t = torch.tensor(arr)
    np.testing.assert_array_equal(K.adjust_brightness(arr, 1.3),
                                  _tv_blend(t, torch.zeros_like(t), 1.3).numpy())
    dt = t.dtype if t.is_floating_point() else torch.float32
    mean = torch.mean(_tv_gray(t).to(dt), dim=(-3, -2, -1), keepdim=True)
    np.testing.assert_allclose(K.adjust_contrast(arr, 0.6).astype(np.float64),
                               _tv_blend(t, mean, 0.6).numpy(), atol=1.0 if arr is U else 1e-6)
    np.testing.assert_array_equal(K.adjust_saturation(arr, 0.4), _tv_blend(t, _tv_gray(t), 0.4).numpy())
    with pytest.raises(ValueError, match="not non-negative"):
        K.adjust_brightness(arr, -1)


def test_adjust_on_pil_uses_image_enhance():
    from PIL import ImageEnhance

    img = Image.fromarray(U.transpose(1, 2, 0))
    assert np.array_equal(np.asarray(K.adjust_contrast(img, 0.5)),
                          np.asarray(ImageEnhance.Contrast(img).enhance(0.5)))
    assert K.adjust_gamma(img, 0.5).mode == "RGB"


def test_adjust_gamma_as_torchvision():
    t = torch.tensor(U)
    ref = (t.to(torch.float32) / 255).pow(0.7).mul(1.2).clamp(0, 1)
    ref = ref.mul(255 + 1.0 - 1e-3).to(torch.uint8)
    np.testing.assert_array_equal(K.adjust_gamma(U, 0.7, 1.2), ref.numpy())
    np.testing.assert_allclose(K.adjust_gamma(X, 2.0), np.clip(X ** 2, 0, 1), rtol=1e-6)


def _tv_blur(t, ks, sigma):
    def k1(k, s):
        half = (k - 1) * 0.5
        p = torch.exp(-0.5 * (torch.linspace(-half, half, steps=k) / s).pow(2))
        return p / p.sum()

    k2 = torch.mm(k1(ks[1], sigma[1])[:, None], k1(ks[0], sigma[0])[None, :])
    c = t.shape[-3]
    x = TF.pad(t, [ks[0] // 2, ks[0] // 2, ks[1] // 2, ks[1] // 2], mode="reflect")
    return TF.conv2d(x, k2.expand(c, 1, ks[1], ks[0]), groups=c)


def test_gaussian_blur_as_torchvision():
    out = K.gaussian_blur(gn.tensor(X), [5, 3], [1.2, 0.7])
    np.testing.assert_allclose(out.numpy(), _tv_blur(torch.tensor(X), [5, 3], [1.2, 0.7]).numpy(),
                               rtol=1e-5, atol=1e-6)
    out8 = K.gaussian_blur(U, 3)  # sigma from the kernel size: 0.15 * 3 + 0.35
    ref = torch.round(_tv_blur(torch.tensor(U)[None].float(), [3, 3], [0.8, 0.8]))[0]
    assert np.abs(out8.astype(int) - ref.numpy().astype(int)).max() <= 1
    with pytest.raises(ValueError, match="odd and positive"):
        K.GaussianBlur(4)


def test_gaussian_blur_random_sigma_per_image_and_pil():
    t = K.GaussianBlur(3, sigma=(0.5, 2.0), generator=gn.backend.Generator(0))
    out = t(X)
    assert out.shape == X.shape and not np.allclose(out, X)
    img = Image.fromarray(U.transpose(1, 2, 0))
    assert t(img).mode == "RGB"


def test_invert_posterize_solarize_as_torchvision():
    t = torch.tensor(U)
    np.testing.assert_array_equal(K.invert(U), (255 - t).numpy())
    np.testing.assert_allclose(K.invert(X), 1 - X)
    np.testing.assert_array_equal(K.posterize(U, 3), (t & -(2 ** 5)).numpy())
    np.testing.assert_array_equal(K.solarize(U, 100), torch.where(t >= 100, 255 - t, t).numpy())
    with pytest.raises(TypeError, match="uint8"):
        K.posterize(X, 3)
    img = Image.fromarray(U.transpose(1, 2, 0))
    from PIL import ImageOps

    assert np.array_equal(np.asarray(K.invert(img)), np.asarray(ImageOps.invert(img)))


def test_random_color_transforms_draw_per_image_in_a_batch():
    batch = RNG.integers(0, 256, (64, 3, 2, 2), dtype=np.uint8)
    out = K.RandomInvert(p=0.5, generator=gn.backend.Generator(0))(batch)
    inverted = np.all(out == 255 - batch, axis=(1, 2, 3))
    kept = np.all(out == batch, axis=(1, 2, 3))
    assert np.all(inverted | kept) and 10 < inverted.sum() < 54
    assert np.array_equal(K.RandomPosterize(2, p=0.0)(batch), batch)
    assert np.array_equal(K.RandomSolarize(0, p=1.0)(gn.tensor(batch)).numpy(), 255 - batch)
