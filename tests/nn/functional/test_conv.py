"""conv1d/2d/3d and the transposed convolutions against PyTorch on a seeded random grid.

Each family runs 320 tiny configurations (1-D/2-D/3-D, kernels 1-7 including non-square ones,
stride 1-3, int/tuple/'same'/'valid' padding, dilation 1-3, groups 1/2/depthwise, odd sizes,
batch 1, unbatched inputs, output_padding, with and without bias) in float32 and float64,
comparing outputs and the gradients of input, weight and bias; a smaller grid is checked with
float64 central differences.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import check_parity, gradcheck
from nn_helpers import (
    GN_CONV,
    GN_CONVT,
    conv_config,
    conv_inputs,
    run_conv,
    run_convt,
    valid_transposed,
)

import glassnet as gn
import glassnet.nn.functional as F

N_CONFIGS = 320


@pytest.mark.parametrize("chunk", range(4))
def test_conv_parity_grid(chunk):
    r = np.random.default_rng(100 + chunk)
    for i in range(N_CONFIGS // 4):
        cfg = conv_config(r)
        dtype = np.float32 if i % 2 == 0 else np.float64
        try:
            run_conv(cfg, dtype, r)
        except AssertionError as e:
            raise AssertionError(f"config {cfg} ({np.dtype(dtype).name}): {e}") from None


@pytest.mark.parametrize("chunk", range(4))
def test_conv_transpose_parity_grid(chunk):
    r = np.random.default_rng(200 + chunk)
    done = 0
    while done < N_CONFIGS // 4:
        cfg = conv_config(r, transposed=True)
        if not valid_transposed(cfg):
            continue
        dtype = np.float32 if done % 2 == 0 else np.float64
        try:
            run_convt(cfg, dtype, r)
        except AssertionError as e:
            raise AssertionError(f"config {cfg} ({np.dtype(dtype).name}): {e}") from None
        done += 1


def test_conv_gradcheck_grid():
    r = np.random.default_rng(7)
    for _ in range(24):
        cfg = conv_config(r)
        kw = dict(stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"],
                  groups=cfg["groups"])
        fn = GN_CONV[cfg["nd"]]
        gradcheck(lambda x, w, b=None: fn(x, w, b, **kw), conv_inputs(r, cfg))
    done = 0
    while done < 16:
        cfg = conv_config(r, transposed=True)
        if not valid_transposed(cfg):
            continue
        kw = dict(stride=cfg["stride"], padding=cfg["padding"],
                  output_padding=cfg["output_padding"], groups=cfg["groups"],
                  dilation=cfg["dilation"])
        fn = GN_CONVT[cfg["nd"]]
        gradcheck(lambda x, w, b=None: fn(x, w, b, **kw), conv_inputs(r, cfg, transposed=True))
        done += 1


def test_conv_keeps_float32_and_contiguous_output():
    x = gn.randn(2, 3, 9, 9, requires_grad=True)
    w = gn.randn(4, 3, 3, 3, requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    assert y.dtype == gn.float32 and y.is_contiguous()
    y.sum().backward()
    assert x.grad.dtype == gn.float32 and w.grad.dtype == gn.float32


def test_conv_non_contiguous_input(rng):
    x = rng.standard_normal((2, 3, 8, 10)).transpose(0, 1, 3, 2)
    w = rng.standard_normal((4, 3, 3, 2))
    check_parity(lambda a, b: F.conv2d(a, b, padding=(1, 0)),
                 lambda a, b: TF.conv2d(a, b, padding=(1, 0)), [x, w])


def test_conv_wide_rows_and_large_batch(rng):
    # shapes where the wide-row im2col applies (stride 1, short rows) and where it does not
    for shape, k, p in [((3, 2, 8, 8), 3, 1), ((2, 3, 14, 14), 5, 0), ((2, 2, 5, 40), 3, 1)]:
        x = rng.standard_normal(shape)
        w = rng.standard_normal((3, shape[1], k, k))
        b = rng.standard_normal(3)
        check_parity(lambda a, c, d: F.conv2d(a, c, d, padding=p),
                     lambda a, c, d: TF.conv2d(a, c, d, padding=p), [x, w, b])


def test_conv_only_some_inputs_need_grad(rng):
    x, w, b = rng.standard_normal((2, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3)), \
        rng.standard_normal(3)
    for grad_inputs in ([0], [1], [2], [1, 2]):
        check_parity(lambda a, c, d: F.conv2d(a, c, d, stride=2),
                     lambda a, c, d: TF.conv2d(a, c, d, stride=2), [x, w, b],
                     grad_inputs=grad_inputs)


def test_conv_transpose_is_conv_input_gradient(rng):
    # <conv(x), y> = <x, conv_transpose(y)>: the two are adjoint linear maps
    x = gn.tensor(rng.standard_normal((2, 3, 9, 8)))
    w = gn.tensor(rng.standard_normal((4, 3, 3, 2)))
    y = F.conv2d(x, w, stride=2, padding=1, dilation=(1, 2))
    u = gn.tensor(rng.standard_normal(tuple(y.shape)))
    xt = F.conv_transpose2d(u, w, stride=2, padding=1, dilation=(1, 2), output_padding=(0, 1))
    assert xt.shape == x.shape
    np.testing.assert_allclose((y * u).sum().item(), (x * xt).sum().item(), rtol=1e-10)


@pytest.mark.parametrize("fn,args,msg", [
    (lambda: F.conv2d(gn.randn(1, 3, 8, 8), gn.randn(6, 1, 5, 5)), (), "3 channels"),
    (lambda: F.conv2d(gn.randn(1, 1, 3, 3), gn.randn(6, 1, 5, 5)), (), "larger than"),
    (lambda: F.conv2d(gn.randn(8, 8), gn.randn(6, 1, 5, 5)), (), "4-D"),
    (lambda: F.conv2d(gn.randn(1, 4, 8, 8), gn.randn(6, 2, 3, 3), groups=4), (), "channels"),
    (lambda: F.conv2d(gn.randn(1, 1, 8, 8), gn.randn(6, 1, 3, 3), stride=2, padding="same"), (),
     "same"),
    (lambda: F.conv2d(gn.randn(1, 1, 8, 8), gn.randn(6, 1, 3, 3), gn.randn(5)), (), "bias"),
    (lambda: F.conv2d(gn.randn(1, 1, 8, 8), gn.randn(6, 1, 3, 3, dtype=gn.float64)), (),
     "dtype"),
    (lambda: F.conv_transpose2d(gn.randn(1, 2, 4, 4), gn.randn(2, 1, 3, 3), stride=2,
                                output_padding=2), (), "output_padding"),
])
def test_conv_errors_name_the_problem(fn, args, msg):
    with pytest.raises((RuntimeError, ValueError), match=msg):
        fn(*args)


def test_unbatched_conv(rng):
    x = rng.standard_normal((3, 7, 6))
    w = rng.standard_normal((2, 3, 3, 3))
    out, _ = check_parity(lambda a, b: F.conv2d(a, b, padding=1),
                          lambda a, b: TF.conv2d(a, b, padding=1), [x, w])
    assert tuple(out[0].shape) == (2, 7, 6)


def test_conv_with_torch_grid_of_float32_ties():
    # integer-valued inputs: exact arithmetic, identical results
    r = np.random.default_rng(3)
    x = r.integers(-3, 4, (2, 2, 7, 7)).astype(np.float32)
    w = r.integers(-2, 3, (3, 2, 3, 3)).astype(np.float32)
    y = F.conv2d(gn.tensor(x), gn.tensor(w), stride=2)
    t = TF.conv2d(torch.tensor(x), torch.tensor(w), stride=2)
    np.testing.assert_array_equal(y.numpy(), t.numpy())


@pytest.mark.parametrize("w_shape,kwargs,msg", [
    ((2, 1, 0, 3), {}, r"conv2d: kernel_size must be positive, got \(0, 3\) \(weight shape"),
    ((2, 1, 3, 3), {"stride": 0}, "conv2d: stride must be positive, got 0"),
    ((2, 1, 3, 3), {"dilation": 0}, "conv2d: dilation must be positive, got 0"),
    ((2, 1, 3, 3), {"padding": -1}, "conv2d: padding must be non-negative, got -1"),
    ((2, 1, 3, 3), {"stride": (1, 0)}, r"conv2d: stride must be positive, got \(1, 0\)"),
])
def test_invalid_geometry_raises_runtime_error_as_pytorch(w_shape, kwargs, msg):
    x, w = np.zeros((1, 1, 5, 5), np.float32), np.zeros(w_shape, np.float32)
    with pytest.raises(RuntimeError):
        TF.conv2d(torch.tensor(x), torch.tensor(w), **kwargs)
    with pytest.raises(RuntimeError, match=msg):
        F.conv2d(gn.tensor(x), gn.tensor(w), **kwargs)


def test_conv_transpose_and_conv1d_invalid_geometry():
    x = gn.zeros(1, 1, 5)
    with pytest.raises(RuntimeError, match=r"conv1d: padding must be non-negative, got -1"):
        F.conv1d(x, gn.zeros(2, 1, 3), padding=-1)
    with pytest.raises(RuntimeError, match="conv_transpose1d: kernel_size must be positive"):
        F.conv_transpose1d(x, gn.zeros(1, 2, 0))
    with pytest.raises(RuntimeError, match="conv_transpose1d: padding must be non-negative"):
        F.conv_transpose1d(x, gn.zeros(1, 2, 3), padding=-1)
