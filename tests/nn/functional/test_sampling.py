"""F.interpolate against PyTorch: every mode, size and scale_factor, align_corners, gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch.nn.functional as TF
from helpers import check_parity, gradcheck

import glassnet as gn
import glassnet.nn.functional as F

MODES_BY_ND = {1: ["nearest", "nearest-exact", "linear", "area"],
               2: ["nearest", "nearest-exact", "bilinear", "bicubic", "area"],
               3: ["nearest", "nearest-exact", "trilinear", "area"]}


def interp_config(r, nd):
    mode = str(r.choice(MODES_BY_ND[nd]))
    size = tuple(int(r.integers(1, 8 if nd < 3 else 5)) for _ in range(nd))
    kw = {"mode": mode}
    if r.random() < 0.5:
        out = tuple(int(r.integers(1, 12 if nd < 3 else 6)) for _ in range(nd))
        kw["size"] = out if r.random() < 0.7 or nd == 1 else out[0]
    else:
        sf = [float(r.choice([0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 1.3]))
              for _ in range(nd)]
        sf = [max(f, 1.0 / s + 0.01) for f, s in zip(sf, size)]  # output at least 1
        kw["scale_factor"] = tuple(sf) if r.random() < 0.5 else max(sf)
        if r.random() < 0.3:
            kw["recompute_scale_factor"] = True
    if mode in ("linear", "bilinear", "bicubic", "trilinear"):
        kw["align_corners"] = bool(r.random() < 0.5)
    return (int(r.integers(1, 3)), int(r.integers(1, 3))) + size, kw


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_interpolate_parity_grid(nd):
    r = np.random.default_rng(50 + nd)
    for i in range(100):
        shape, kw = interp_config(r, nd)
        x = r.standard_normal(shape)
        dtype = np.float32 if i % 2 == 0 else np.float64
        try:
            check_parity(lambda a: F.interpolate(a, **kw), lambda a: TF.interpolate(a, **kw), [x],
                         dtype=dtype)
        except AssertionError as e:
            raise AssertionError(f"shape {shape} {kw}: {e}") from None


def test_interpolate_gradcheck(rng):
    for mode, shape in [("nearest", (1, 2, 3, 4)), ("bilinear", (1, 2, 3, 4)),
                        ("bicubic", (1, 1, 4, 3)), ("linear", (2, 1, 5)),
                        ("trilinear", (1, 1, 2, 3, 3)), ("area", (1, 2, 6, 5))]:
        for kw in ({"size": (7,) * (len(shape) - 2)}, {"scale_factor": 0.6}):
            if mode == "area" and "scale_factor" in kw:
                kw = {"size": (4,) * (len(shape) - 2)}
            if mode in ("bilinear", "bicubic", "linear", "trilinear"):
                kw["align_corners"] = "size" in kw
            gradcheck(lambda a: F.interpolate(a, mode=mode, **kw), [rng.standard_normal(shape)])


def test_nearest_upsampling_repeats_pixels():
    x = gn.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    y = F.interpolate(x, scale_factor=2)
    assert y.tolist() == [[[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]]]


def test_interpolate_errors():
    with pytest.raises(ValueError, match="exactly one"):
        F.interpolate(gn.randn(1, 1, 4, 4))
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(gn.randn(1, 1, 4, 4), size=3, align_corners=True)
    with pytest.raises(NotImplementedError, match="bilinear"):
        F.interpolate(gn.randn(1, 1, 4), size=3, mode="bilinear")


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("size", [(3, 4), (2, 9), (11, 5), (1, 1), (7, 7)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_interpolate_antialias(mode, size, align_corners):
    """antialias=True: PyTorch's (and PIL's) low-pass filtered resize, shrinking and enlarging."""
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 9))

    def f(lib):
        return lambda t: lib.interpolate(t, size=size, mode=mode, align_corners=align_corners,
                                         antialias=True)

    check_parity(f(F), f(TF), [x])
    check_parity(f(F), f(TF), [x], dtype=np.float64)
    gradcheck(f(F), [x[:1, :1]])


@pytest.mark.parametrize("scale", [0.5, 0.3, 1.7])
def test_interpolate_antialias_scale_factor(scale):
    x = np.random.default_rng(1).standard_normal((1, 2, 10, 13))
    for mode in ("bilinear", "bicubic"):
        for recompute in (False, True):
            def f(lib):
                return lambda t: lib.interpolate(t, scale_factor=scale, mode=mode, antialias=True,
                                                 recompute_scale_factor=recompute)
            check_parity(f(F), f(TF), [x])


def test_interpolate_antialias_modes():
    with pytest.raises(ValueError, match="antialias"):
        F.interpolate(gn.zeros(1, 1, 4, 4), size=2, mode="nearest", antialias=True)
    with pytest.raises(ValueError, match="antialias"):
        F.interpolate(gn.zeros(1, 1, 4), size=2, mode="linear", antialias=True)
