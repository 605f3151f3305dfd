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

import glassnet as gn
import glassnet.nn.functional as F

N_CONFIGS = 320
GN_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
TH_CONV = {1: TF.conv1d, 2: TF.conv2d, 3: TF.conv3d}
GN_CONVT = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
TH_CONVT = {1: TF.conv_transpose1d, 2: TF.conv_transpose2d, 3: TF.conv_transpose3d}


def _tuple_or_int(r, values):
    """(argument, per-dimension list): an int half of the time, else the tuple."""
    if r.random() < 0.5 or len(set(values)) == 1:
        return int(values[0]), [int(values[0])] * len(values)
    return tuple(values), list(values)


def conv_config(r, transposed=False):
    """One random, valid convolution configuration (kept tiny)."""
    nd = int(r.choice([1, 2, 2, 2, 3]))
    kmax = {1: 7, 2: 7, 3: 3}[nd]
    k = [int(r.integers(1, kmax + 1)) for _ in range(nd)]
    if nd == 2 and r.random() < 0.5:
        k[1] = k[0]
    stride, s = _tuple_or_int(r, [int(r.integers(1, 4)) for _ in range(nd)])
    dilation, d = _tuple_or_int(r, [int(r.integers(1, 4)) if r.random() < 0.4 else 1
                                    for _ in range(nd)])
    groups_kind = r.choice(["1", "2", "dw"], p=[0.5, 0.25, 0.25])
    g = 1 if groups_kind == "1" else (2 if groups_kind == "2" else int(r.integers(2, 4)))
    cin = g * int(r.integers(1, 3)) if groups_kind != "dw" else g
    cout = g * int(r.integers(1, 3))
    batch = int(r.choice([1, 2]))
    p_kind = r.random()
    if not transposed and p_kind < 0.15 and all(v == 1 for v in s):
        padding = "same"
        pads = [dd * (kk - 1) for kk, dd in zip(k, d)]
    elif not transposed and p_kind < 0.25:
        padding = "valid"
        pads = [0] * nd
    else:
        padding, pads = _tuple_or_int(r, [int(r.integers(0, 3)) for _ in range(nd)])
        pads = [2 * p for p in pads]
    size = []
    for i in range(nd):
        span = d[i] * (k[i] - 1) + 1
        lo = max(1, span - pads[i])
        size.append(lo + int(r.integers(0, 4 if nd < 3 else 3)))
    cfg = dict(nd=nd, k=tuple(k), stride=stride, dilation=dilation,
               groups=g, cin=cin, cout=cout, batch=batch, padding=padding, size=tuple(size),
               bias=bool(r.random() < 0.7), unbatched=bool(r.random() < 0.08))
    if transposed:
        opad = [int(r.integers(0, max(s[i], d[i]))) if r.random() < 0.4 else 0
                for i in range(nd)]
        cfg["output_padding"] = tuple(opad) if any(opad) else 0
    return cfg


def conv_inputs(r, cfg, transposed=False):
    shape = ((cfg["cin"],) if cfg["unbatched"] else (cfg["batch"], cfg["cin"])) + cfg["size"]
    if transposed:
        wshape = (cfg["cin"], cfg["cout"] // cfg["groups"]) + cfg["k"]
    else:
        wshape = (cfg["cout"], cfg["cin"] // cfg["groups"]) + cfg["k"]
    x = r.standard_normal(shape)
    w = r.standard_normal(wshape) * 0.5
    inputs = [x, w]
    if cfg["bias"]:
        inputs.append(r.standard_normal(cfg["cout"]))
    return inputs


def _run_conv(cfg, dtype, r):
    inputs = conv_inputs(r, cfg)
    kw = dict(stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"],
              groups=cfg["groups"])
    nd = cfg["nd"]

    def gfn(x, w, b=None):
        return GN_CONV[nd](x, w, b, **kw)

    def tfn(x, w, b=None):
        return TH_CONV[nd](x, w, b, **kw)

    check_parity(gfn, tfn, inputs, dtype=dtype)


def _run_convt(cfg, dtype, r):
    inputs = conv_inputs(r, cfg, transposed=True)
    kw = dict(stride=cfg["stride"], padding=cfg["padding"], output_padding=cfg["output_padding"],
              groups=cfg["groups"], dilation=cfg["dilation"])
    nd = cfg["nd"]

    def gfn(x, w, b=None):
        return GN_CONVT[nd](x, w, b, **kw)

    def tfn(x, w, b=None):
        return TH_CONVT[nd](x, w, b, **kw)

    check_parity(gfn, tfn, inputs, dtype=dtype)


def _valid_transposed(cfg):
    """PyTorch's constraint: the cropped output must still be positive."""
    nd = cfg["nd"]
    s = (cfg["stride"],) * nd if isinstance(cfg["stride"], int) else cfg["stride"]
    d = (cfg["dilation"],) * nd if isinstance(cfg["dilation"], int) else cfg["dilation"]
    p = (cfg["padding"],) * nd if isinstance(cfg["padding"], int) else cfg["padding"]
    op = cfg["output_padding"]
    op = (op,) * nd if isinstance(op, int) else op
    return all((cfg["size"][i] - 1) * s[i] - 2 * p[i] + d[i] * (cfg["k"][i] - 1) + op[i] + 1 > 0
               for i in range(nd))


@pytest.mark.parametrize("chunk", range(4))
def test_conv_parity_grid(chunk):
    r = np.random.default_rng(100 + chunk)
    for i in range(N_CONFIGS // 4):
        cfg = conv_config(r)
        dtype = np.float32 if i % 2 == 0 else np.float64
        try:
            _run_conv(cfg, dtype, r)
        except AssertionError as e:
            raise AssertionError(f"config {cfg} ({np.dtype(dtype).name}): {e}") from None


@pytest.mark.parametrize("chunk", range(4))
def test_conv_transpose_parity_grid(chunk):
    r = np.random.default_rng(200 + chunk)
    done = 0
    while done < N_CONFIGS // 4:
        cfg = conv_config(r, transposed=True)
        if not _valid_transposed(cfg):
            continue
        dtype = np.float32 if done % 2 == 0 else np.float64
        try:
            _run_convt(cfg, dtype, r)
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
        if not _valid_transposed(cfg):
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


@pytest.mark.parametrize("chunk_bytes", [1, 3000])
def test_conv_in_batch_chunks(monkeypatch, chunk_bytes):
    # Large batches run in cache-sized chunks with reused scratch buffers; force tiny chunks.
    from glassnet.nn.functional import conv_kernels
    monkeypatch.setattr(conv_kernels, "CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(conv_kernels, "MIN_PARALLEL_BYTES", 0)  # threads too, where possible
    monkeypatch.setitem(gn.backend._threads, "n", 2)
    r = np.random.default_rng(chunk_bytes)
    for i in range(30):
        cfg = dict(conv_config(r), batch=3, unbatched=False)
        dtype = np.float32 if i % 2 == 0 else np.float64
        _run_conv(cfg, dtype, r)
        _run_conv(cfg, dtype, r)  # same shapes again: scratch buffers are reused
        cfg = dict(conv_config(r, transposed=True), batch=3, unbatched=False)
        if _valid_transposed(cfg):
            _run_convt(cfg, dtype, r)
