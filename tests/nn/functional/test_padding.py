"""F.pad in every mode against PyTorch (values and gradients) and float64 gradient checks.

The gradient of a mirrored, replicated or wrapped border is added back onto the interior pixel
it was copied from; the grid below checks that against PyTorch for 1, 2 and 3 padded
dimensions, batched and unbatched, with pads up to the limits of each mode.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch.nn.functional as TF
from helpers import check_parity, gradcheck

import glassnet as gn
import glassnet.nn.functional as F

MODES = ("constant", "reflect", "replicate", "circular")


def pad_config(r, mode):
    nd = int(r.integers(1, 4))
    spatial = tuple(int(r.integers(1, 6)) for _ in range(nd))
    if mode == "reflect":
        spatial = tuple(max(s, 2) for s in spatial)
    batched = r.random() < 0.7
    lead = (int(r.integers(1, 3)), int(r.integers(1, 3))) if batched else (int(r.integers(1, 3)),)
    pads = []
    for s in reversed(spatial):
        limit = {"reflect": s - 1, "circular": s, "replicate": 4, "constant": 3}[mode]
        lo = int(r.integers(-min(2, s - 1) if mode == "constant" else 0, limit + 1))
        hi = int(r.integers(-min(2, s - 1) if mode == "constant" else 0, limit + 1))
        if mode == "constant" and s + lo + hi < 0:
            lo = hi = 0
        pads += [lo, hi]
    return lead + spatial, tuple(pads)


@pytest.mark.parametrize("mode", MODES)
def test_pad_parity_grid(mode):
    r = np.random.default_rng(10 + MODES.index(mode))
    for i in range(80):
        shape, pads = pad_config(r, mode)
        x = r.standard_normal(shape)
        value = float(r.normal()) if mode == "constant" and i % 3 == 0 else None
        dtype = np.float32 if i % 2 == 0 else np.float64
        try:
            check_parity(lambda a: F.pad(a, pads, mode=mode, value=value),
                         lambda a: TF.pad(a, pads, mode=mode, value=value), [x], dtype=dtype)
        except AssertionError as e:
            raise AssertionError(f"shape {shape} pads {pads} mode {mode}: {e}") from None


@pytest.mark.parametrize("mode", MODES)
def test_pad_gradcheck(mode, rng):
    for shape, pads in [((2, 3, 5), (2, 1)), ((1, 2, 4, 5), (1, 2, 3, 1)),
                        ((1, 1, 3, 3, 4), (1, 1, 2, 0, 1, 2))]:
        gradcheck(lambda a: F.pad(a, pads, mode=mode), [rng.standard_normal(shape)])


def test_pad_examples():
    x = gn.tensor([[[1.0, 2.0, 3.0]]])
    assert F.pad(x, (2, 2), "reflect").tolist() == [[[3, 2, 1, 2, 3, 2, 1]]]
    assert F.pad(x, (2, 2), "replicate").tolist() == [[[1, 1, 1, 2, 3, 3, 3]]]
    assert F.pad(x, (2, 2), "circular").tolist() == [[[2, 3, 1, 2, 3, 1, 2]]]
    assert F.pad(x, (1, 1), value=7.0).tolist() == [[[7, 1, 2, 3, 7]]]
    assert F.pad(x, (-1, 0)).tolist() == [[[2, 3]]]


def test_mirrored_border_gradient_goes_to_interior():
    # reflect pads x[1] on the left; its gradient lands on x[1], not on x[0]
    x = gn.tensor([[[1.0, 2.0, 3.0]]], requires_grad=True)
    y = F.pad(x, (1, 0), "reflect")
    y.backward(gn.tensor([[[10.0, 1.0, 1.0, 1.0]]]))
    assert x.grad.tolist() == [[[1.0, 11.0, 1.0]]]
    x.grad = None
    F.pad(x, (0, 2), "circular").sum().backward()  # wraps x[0], x[1]
    assert x.grad.tolist() == [[[2.0, 2.0, 1.0]]]


@pytest.mark.parametrize("call,msg", [
    (lambda x: F.pad(x, (1,)), "divisible by 2"),
    (lambda x: F.pad(x, (3, 0), "reflect"), "smaller than"),
    (lambda x: F.pad(x, (4, 0), "circular"), "exceed"),
    (lambda x: F.pad(x, (1, 1), "wrap"), "mode"),
    (lambda x: F.pad(x, (-4, 0), "replicate"), "negative"),
])
def test_pad_errors(call, msg):
    with pytest.raises((RuntimeError, ValueError, NotImplementedError), match=msg):
        call(gn.randn(1, 2, 3))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", [(-1, 2), (2, -1), (-2, -1), (-1, 1, -2, 1), (1, -3, 0, 2),
                                 (-4, 3)])
def test_negative_padding_crops_in_every_mode(mode, pad):
    """A negative pad crops first; circular padding then wraps around what is left."""
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5) if len(pad) == 4 else (2, 3, 5))
    if mode == "circular" and pad == (-4, 3):
        # wraps the one column left more than once: PyTorch's kernel copies between
        # overlapping memory there, and its gradient is not the adjoint of its output
        gradcheck(lambda t: F.pad(t, pad, mode), [x])
        return
    check_parity(lambda t: F.pad(t, pad, mode), lambda t: TF.pad(t, pad, mode=mode), [x])
    gradcheck(lambda t: F.pad(t, pad, mode), [x])
