"""affine_grid and grid_sample against PyTorch: every mode, padding mode and align_corners,
gradients for the image, the grid and theta, and float64 finite-difference checks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import FLOAT_DTYPES, check_parity, gradcheck

import glassnet as gn
import glassnet.nn.functional as F

PADDING = ["zeros", "border", "reflection"]


@pytest.mark.filterwarnings("ignore:Since version 1.3.0")
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("align_corners", [False, True])
@pytest.mark.parametrize("size", [(2, 3, 5, 4), (1, 1, 3, 3), (2, 1, 1, 4)])
def test_affine_grid_parity(dtype, align_corners, size, rng):
    theta = rng.standard_normal((size[0], 2, 3))
    check_parity(lambda t: F.affine_grid(t, size, align_corners),
                 lambda t: TF.affine_grid(t, size, align_corners), [theta], dtype=dtype)


@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_3d_and_gradcheck(align_corners, rng):
    theta = rng.standard_normal((2, 3, 4))
    size = (2, 1, 3, 4, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_parity(lambda t: F.affine_grid(t, size, align_corners),
                     lambda t: TF.affine_grid(t, size, align_corners), [theta])
    gradcheck(lambda t: F.affine_grid(t, (2, 3, 4, 5), align_corners),
              [rng.standard_normal((2, 2, 3))])


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", PADDING)
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_parity(dtype, mode, padding_mode, align_corners, rng):
    x = rng.standard_normal((2, 3, 5, 4))
    grid = rng.uniform(-1.4, 1.4, (2, 3, 6, 2))  # some positions fall outside the image
    grid[0, 0, :4] = [[-1, -1], [1, 1], [-1, 1], [0, 0]]  # corners and the centre exactly
    check_parity(lambda a, g: F.grid_sample(a, g, mode, padding_mode, align_corners),
                 lambda a, g: TF.grid_sample(a, g, mode, padding_mode, align_corners),
                 [x, grid], dtype=dtype)


@pytest.mark.parametrize("padding_mode", PADDING)
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_gradcheck(padding_mode, align_corners, rng):
    x = rng.standard_normal((1, 2, 4, 3))
    grid = rng.uniform(-1.3, 1.3, (1, 3, 2, 2))
    gradcheck(lambda a, g: F.grid_sample(a, g, "bilinear", padding_mode, align_corners),
              [x, grid])
    gradcheck(lambda a: F.grid_sample(a, gn.tensor(grid), "nearest", padding_mode,
                                      align_corners), [x])
    gradcheck(lambda a, g: F.grid_sample(a, g, "bicubic", padding_mode, align_corners),
              [x, grid])


def test_grid_sample_far_outside_and_size_one(rng):
    x = rng.standard_normal((1, 2, 1, 3))
    grid = np.array([[[[5.0, 0.2], [-7.5, 3.0], [0.3, -0.2], [1e20, 0.0]]]])
    for mode in ("bilinear", "nearest", "bicubic"):
        for padding_mode in PADDING:
            for align in (False, True):
                check_parity(lambda a, g: F.grid_sample(a, g, mode, padding_mode, align),
                             lambda a, g: TF.grid_sample(a, g, mode, padding_mode, align),
                             [x, grid], dtype=np.float64)


def test_spatial_transformer_pipeline(rng):
    """theta -> affine_grid -> grid_sample: gradients reach theta, as in a spatial transformer."""
    x = rng.standard_normal((2, 1, 6, 6))
    theta = np.array([[[0.8, -0.2, 0.1], [0.3, 0.9, -0.1]], [[1.1, 0.0, 0.2], [0.1, 0.7, 0.0]]])

    def g(a, t):
        return F.grid_sample(a, F.affine_grid(t, (2, 1, 4, 5), False), align_corners=False)

    def th(a, t):
        return TF.grid_sample(a, TF.affine_grid(t, (2, 1, 4, 5), False), align_corners=False)

    for dtype in FLOAT_DTYPES:
        check_parity(g, th, [x, theta], dtype=dtype)
    gradcheck(g, [x, theta])
    ident = np.array([[[1.0, 0, 0], [0, 1.0, 0]]] * 2)
    out = F.grid_sample(gn.tensor(x), F.affine_grid(gn.tensor(ident), (2, 1, 6, 6), True),
                        align_corners=True)
    np.testing.assert_allclose(out.numpy(), x, atol=1e-12)  # the identity map samples exactly


def test_grid_sample_errors_and_warnings(rng):
    x = gn.tensor(rng.standard_normal((1, 1, 3, 3)))
    grid = gn.zeros(1, 2, 2, 2, dtype=gn.float64)
    with pytest.warns(UserWarning, match="align_corners=False"):
        F.grid_sample(x, grid)
    with pytest.warns(UserWarning, match="align_corners=False"):
        F.affine_grid(gn.zeros(1, 2, 3), (1, 1, 2, 2))
    with pytest.raises(ValueError, match="expected mode"):
        F.grid_sample(x, grid, mode="cubic", align_corners=False)
    with pytest.raises(ValueError, match="expected padding_mode"):
        F.grid_sample(x, grid, padding_mode="wrap", align_corners=False)
    with pytest.raises(RuntimeError, match="grid of shape"):
        F.grid_sample(x, gn.zeros(1, 2, 2, 3, dtype=gn.float64), align_corners=False)
    with pytest.raises(ValueError, match="Nx2x3"):
        F.affine_grid(gn.zeros(1, 3, 3), (1, 1, 2, 2), False)
    with pytest.raises(ValueError, match="floating point"):
        F.affine_grid(gn.zeros(1, 2, 3, dtype=gn.int64), (1, 1, 2, 2), False)
    assert torch is not None


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", PADDING)
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_volumes_parity(dtype, mode, padding_mode, align_corners, rng):
    """5-D input: trilinear ('bilinear') or nearest sampling of a volume, gradients to the
    volume and (trilinear) to the grid."""
    x = rng.standard_normal((2, 3, 4, 5, 3))
    grid = rng.uniform(-1.4, 1.4, (2, 2, 3, 4, 3))  # some positions fall outside the volume
    grid[0, 0, 0, :3] = [[-1, -1, -1], [1, 1, 1], [0, 0, 0]]  # corners and the centre exactly
    check_parity(lambda a, g: F.grid_sample(a, g, mode, padding_mode, align_corners),
                 lambda a, g: TF.grid_sample(a, g, mode, padding_mode, align_corners),
                 [x, grid], dtype=dtype)


@pytest.mark.parametrize("padding_mode", PADDING)
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_volumes_gradcheck(padding_mode, align_corners, rng):
    x = rng.standard_normal((1, 2, 3, 4, 2))
    grid = rng.uniform(-1.3, 1.3, (1, 2, 2, 3, 3))
    gradcheck(lambda a, g: F.grid_sample(a, g, "bilinear", padding_mode, align_corners),
              [x, grid])
    gradcheck(lambda a: F.grid_sample(a, gn.tensor(grid), "nearest", padding_mode,
                                      align_corners), [x])


def test_grid_sample_volume_second_derivative(rng):
    """create_graph=True through trilinear sampling: the Hessian-vector product in the grid
    matches PyTorch's."""
    x = rng.standard_normal((1, 2, 3, 3, 3))
    grid = rng.uniform(-0.9, 0.9, (1, 2, 2, 2, 3))
    w = rng.standard_normal((1, 2, 2, 2, 2))

    def hvp(lib, fn):
        a = lib.tensor(x, requires_grad=True)
        g = lib.tensor(grid, requires_grad=True)
        out = fn(a, g, mode="bilinear", padding_mode="zeros", align_corners=False)
        ga, gg = lib.autograd.grad((out * lib.tensor(w)).sum(), (a, g), create_graph=True)
        return [t.detach().numpy() for t in lib.autograd.grad((gg * gg).sum() + ga.sum(), (a, g))]

    for a, b in zip(hvp(gn, F.grid_sample), hvp(torch, TF.grid_sample)):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


def test_grid_sample_volume_errors():
    x = gn.zeros(1, 1, 2, 2, 2, dtype=gn.float64)
    with pytest.raises(RuntimeError, match="bicubic interpolation only supports 4D"):
        F.grid_sample(x, gn.zeros(1, 1, 1, 1, 3, dtype=gn.float64), mode="bicubic",
                      align_corners=False)
    with pytest.raises(RuntimeError, match="grid of shape"):
        F.grid_sample(x, gn.zeros(1, 1, 1, 2, dtype=gn.float64), align_corners=False)
    with pytest.raises(RuntimeError, match="4-D .* or 5-D"):
        F.grid_sample(gn.zeros(1, 1, 3), gn.zeros(1, 3, 1), align_corners=False)
