"""make_grid's layout and values as torchvision's (padding, nrow, pad_value, normalize,
value_range, scale_each), and save_image's 8-bit rounding."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet.vision.utils import make_grid, save_image


def _imgs(shape, seed=0):
    return (np.random.default_rng(seed).standard_normal(shape) * 3).astype(np.float32)


def test_layout_padding_and_pad_value():
    x = _imgs((5, 3, 4, 6))
    g = make_grid(gn.tensor(x), nrow=3, padding=1, pad_value=0.5).numpy()
    assert g.shape == (3, 2 * (4 + 1) + 1, 3 * (6 + 1) + 1) and g.dtype == np.float32
    filled = np.zeros(g.shape, bool)
    for k in range(5):
        r, c = divmod(k, 3)
        win = (slice(None), slice(1 + 5 * r, 5 + 5 * r), slice(1 + 7 * c, 7 + 7 * c))
        np.testing.assert_array_equal(g[win], x[k])
        filled[win] = True
    assert np.all(g[~filled] == 0.5)  # gaps, border and the empty sixth slot


def test_default_nrow_eight_padding_two_and_list_input():
    x = _imgs((10, 3, 2, 2))
    g = make_grid([gn.tensor(a) for a in x]).numpy()
    assert g.shape == (3, 2 * 4 + 2, 8 * 4 + 2)
    np.testing.assert_array_equal(g, make_grid(gn.tensor(x)).numpy())


def test_one_channel_becomes_three_and_a_single_image_comes_back():
    x = _imgs((4, 1, 3, 3))
    g = make_grid(gn.tensor(x), nrow=2, padding=0).numpy()
    assert g.shape == (3, 6, 6) and np.array_equal(g[0], g[2])
    one = make_grid(gn.tensor(x[0])).numpy()
    assert one.shape == (3, 3, 3) and np.array_equal(one[1], x[0, 0])
    assert make_grid(gn.tensor(x[0, 0])).shape == (3, 3, 3)


@pytest.mark.parametrize("kw", [{}, {"value_range": (-1.0, 1.0)}, {"scale_each": True}])
def test_normalize_matches_torchvision_formula(kw):
    x = _imgs((3, 3, 4, 4))
    g = make_grid(gn.tensor(x), padding=0, normalize=True, **kw).numpy()
    t = torch.tensor(x).clone()
    parts = t if kw.get("scale_each") else [t]
    for p in parts:  # torchvision: clamp to (low, high), then (x - low) / max(high - low, 1e-5)
        low, high = kw.get("value_range", (float(p.min()), float(p.max())))
        p.clamp_(min=low, max=high).sub_(low).div_(max(high - low, 1e-5))
    want = torch.cat(list(t), dim=2).numpy()
    np.testing.assert_allclose(g, want, rtol=1e-6, atol=1e-7)
    assert np.array_equal(gn.tensor(x).numpy(), x)  # the input is left alone


def test_bad_inputs_are_clear_errors():
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        make_grid("not an image")
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        make_grid(gn.ones(2, 3, 2, 2), normalize=True, value_range=[0, 1])


def test_save_image_rounds_as_torchvision(tmp_path):
    image = pytest.importorskip("PIL.Image")
    x = np.random.default_rng(3).random((4, 3, 5, 5), dtype=np.float32) * 1.2 - 0.1
    save_image(gn.tensor(x), tmp_path / "grid.png", nrow=2)
    got = np.asarray(image.open(tmp_path / "grid.png"))
    grid = torch.tensor(make_grid(gn.tensor(x), nrow=2).numpy())
    want = grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to(torch.uint8).numpy()
    np.testing.assert_array_equal(got, want)


def test_save_image_without_pillow_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match="needs Pillow"):
        save_image(gn.ones(3, 2, 2), tmp_path / "x.png")
