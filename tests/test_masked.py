"""glassnet.masked against torch.masked: forward values (fully masked slices included), dtypes and
gradients on the same seeded inputs and masks, and float64 finite-difference checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import glassnet as gn
from tests.helpers import assert_close

# Fully masked slices compute 0 / 0 and inf - inf on purpose (PyTorch's nan and -inf results).
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning",
                                        "ignore:divide by zero encountered:RuntimeWarning")

SHAPE = (3, 4, 5)


def _mask(shape=SHAPE, seed=1):
    """A random mask with one fully masked slice along every dim (so every reduction sees one)."""
    m = np.random.default_rng(seed).random(shape) > 0.4
    if len(shape) == 3:
        m[0, 1, :] = False  # along dim -1
        m[1, :, 2] = False  # along dim 1
        m[2, :, :] = False  # along dims (1, 2)
    return m


# (name, positional args, keyword args); every case runs with the mask of _mask()
CASES = [
    ("sum", (), {}), ("sum", (-1,), {}), ("sum", ((0, 2),), {"keepdim": True}),
    ("sum", (1,), {"dtype": torch.float64}),
    ("prod", (-1,), {}), ("prod", ((1, 2),), {"keepdim": True}),
    ("amax", (-1,), {}), ("amax", ((1, 2),), {}), ("amax", (), {}),
    ("amin", (1,), {"keepdim": True}),
    ("argmax", (-1,), {}), ("argmin", (1,), {"keepdim": True}),
    ("mean", (-1,), {}), ("mean", ((1, 2),), {"keepdim": True}), ("mean", (), {}),
    ("median", (-1,), {}), ("median", (1,), {"keepdim": True}),
    ("norm", (2.0, -1), {}), ("norm", (1, (1, 2)), {}), ("norm", (float("inf"), 1), {}),
    ("norm", (float("-inf"), -1), {"keepdim": True}), ("norm", (0, -1), {}),
    ("var", (-1,), {}), ("var", ((1, 2),), {"correction": 0}), ("std", (1,), {"keepdim": True}),
    ("std", (-1,), {"unbiased": False}),
    ("logsumexp", (-1,), {}), ("logsumexp", ((0, 1),), {"keepdim": True}),
    ("cumsum", (-1,), {}), ("cumprod", (1,), {}),
    ("softmax", (-1,), {}), ("softmax", (1,), {"dtype": torch.float64}),
    ("log_softmax", (-1,), {}), ("softmin", (0,), {}),
    ("normalize", (2.0, -1), {}), ("normalize", (1, 1), {"eps": 1e-6}),
]


def _gn_kwargs(kwargs):
    return {k: (getattr(gn, str(v).replace("torch.", "")) if isinstance(v, torch.dtype) else v)
            for k, v in kwargs.items()}


def _run(name, args, kwargs, x, m):
    """Both libraries' outputs and input gradients for the same input, mask and upstream
    gradient; outputs behind no kept element are zeroed before backward (as PyTorch's OpInfo
    does), so only the kept elements' gradients are compared with the reference's."""
    t_x = torch.tensor(x, requires_grad=True)
    g_x = gn.tensor(x, requires_grad=True)
    t_m, g_m = torch.tensor(m), gn.tensor(m)
    t_fn, g_fn = getattr(torch.masked, name), getattr(gn.masked, name)
    t_out = t_fn(t_x, *args, **kwargs, mask=t_m)
    g_out = g_fn(g_x, *args, **_gn_kwargs(kwargs), mask=g_m)
    out = (t_out, g_out)
    if not t_out.requires_grad:
        return out, None
    t_keep = torch.masked._output_mask(t_fn, t_x, *args, **kwargs, mask=t_m)
    g_keep = gn.masked._output_mask(g_fn, g_x, *args, **kwargs, mask=g_m)
    np.testing.assert_array_equal(g_keep.numpy(), t_keep.numpy())
    u = np.random.default_rng(2).standard_normal(tuple(t_out.shape))
    torch.where(t_keep, t_out, 0).backward(torch.tensor(u, dtype=t_out.dtype))
    gn.where(g_keep, g_out, 0).backward(gn.tensor(u, dtype=g_out.dtype))
    return out, (t_x.grad, g_x.grad)


@pytest.mark.parametrize("name,args,kwargs", CASES,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(CASES)])
def test_forward_and_gradient_match_torch_masked(name, args, kwargs):
    x = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    (t_out, g_out), grads = _run(name, args, kwargs, x, _mask())
    assert str(g_out.dtype) == str(t_out.dtype).replace("torch.", "")
    assert tuple(g_out.shape) == tuple(t_out.shape)
    assert_close(g_out, t_out, what=f"masked.{name} value")
    if grads is not None:
        t_g, g_g = grads
        if t_g is None:  # torch has no gradient here (norm with ord=0): glassnet's is zero
            assert g_g is None or not g_g.numpy().any()
            return
        assert g_g is not None, f"masked.{name}: no gradient"
        assert_close(g_g, t_g, what=f"masked.{name} gradient")
        if name not in ("var", "std"):  # their fully masked slices have a nan mean, in PyTorch too
            assert np.all(g_g.numpy()[~_mask()] == 0), "a masked-out element got a gradient"


@pytest.mark.parametrize("mask_shape", [(4, 1), (5,), (1, 4, 5), ()])
def test_a_mask_broadcasts_to_the_input(mask_shape):
    x = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    m = np.random.default_rng(3).random(mask_shape) > 0.3
    for name, args in [("sum", (-1,)), ("softmax", (1,)), ("var", ((0, 1),))]:
        (t_out, g_out), (t_g, g_g) = _run(name, args, {}, x, m)
        assert_close(g_out, t_out, what=f"{name} value")
        assert_close(g_g, t_g, what=f"{name} gradient")


def test_fully_masked_slices_give_each_operations_identity_or_nan():
    x = gn.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    m = gn.tensor([[True, False, True], [False, False, False]])
    M = gn.masked
    assert M.sum(x, 1, mask=m).tolist() == [4.0, 0.0]
    assert M.prod(x, 1, mask=m).tolist() == [3.0, 1.0]
    assert M.amax(x, 1, mask=m).tolist() == [3.0, -math.inf]
    assert M.amin(x, 1, mask=m).tolist() == [1.0, math.inf]
    assert M.logsumexp(x, 1, mask=m)[1].item() == -math.inf
    assert M.norm(x, 2.0, 1, mask=m)[1].item() == 0.0
    assert M.norm(x, -math.inf, 1, mask=m)[1].item() == math.inf
    for fn in (M.mean, M.median, M.var, M.std):
        assert math.isnan(fn(x, 1, mask=m)[1].item()), fn.__name__
    assert M.mean(x, 1, mask=m)[0].item() == 2.0
    assert np.isnan(M.softmax(x, 1, mask=m)[1].numpy()).all()
    assert M.softmax(x, 1, mask=m)[0, 1].item() == 0.0
    assert M.normalize(x, 2.0, 1, mask=m)[1].tolist() == [0.0, 0.0, 0.0]
    assert M.cumsum(x, 1, mask=m).tolist() == [[1.0, 1.0, 4.0], [0.0, 0.0, 0.0]]


def test_no_mask_is_the_plain_operation():
    x = gn.tensor(np.random.default_rng(0).standard_normal((3, 4)))
    assert_close(gn.masked.sum(x, 1), x.sum(1))
    assert_close(gn.masked.var(x, 1), x.var(1))
    assert_close(gn.masked.softmax(x, 0), x.softmax(0))
    assert_close(gn.masked.norm(x, 2.0, None), gn.linalg.vector_norm(x))


def test_integer_inputs_and_output_dtypes():
    x = np.random.default_rng(0).integers(-5, 5, (3, 4)).astype(np.int32)
    m = np.random.default_rng(1).random((3, 4)) > 0.3
    m[:, 0] = True
    for name, args in [("sum", (1,)), ("prod", (0,)), ("amax", (1,)), ("amin", (0,)),
                       ("argmax", (1,)), ("argmin", (0,)), ("median", (1,)), ("var", (1,)),
                       ("cumsum", (1,))]:
        t = getattr(torch.masked, name)(torch.tensor(x), *args, mask=torch.tensor(m))
        g = getattr(gn.masked, name)(gn.tensor(x), *args, mask=gn.tensor(m))
        assert str(g.dtype) == str(t.dtype).replace("torch.", ""), name
        assert_close(g, t, what=name)
    b = np.array([[True, False], [True, True]])
    assert gn.masked.sum(gn.tensor(b), mask=gn.tensor(b)).dtype is gn.int64


def test_logaddexp_masks_each_side():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 4)).astype(np.float32)
    ma, mb = rng.random((3, 4)) > 0.5, rng.random((4,)) > 0.5
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ga, gb = gn.tensor(a, requires_grad=True), gn.tensor(b, requires_grad=True)
    t = torch.masked.logaddexp(ta, tb, input_mask=torch.tensor(ma), other_mask=torch.tensor(mb))
    g = gn.masked.logaddexp(ga, gb, input_mask=gn.tensor(ma), other_mask=gn.tensor(mb))
    assert_close(g, t)
    keep = ma | mb
    u = rng.standard_normal((3, 4))
    torch.where(torch.tensor(keep), t, 0).backward(torch.tensor(u, dtype=torch.float32))
    gn.where(gn.tensor(keep), g, 0).backward(gn.tensor(u, dtype=gn.float32))
    assert_close(ga.grad, ta.grad)
    assert_close(gb.grad, tb.grad)


def test_bad_arguments_raise_as_pytorch_does():
    x = gn.ones(3, 4)
    with pytest.raises(IndexError, match="mask"):
        gn.masked.sum(x, mask=gn.ones(2, 3, 4, dtype=gn.bool))
    with pytest.raises(ValueError, match="floating point"):
        gn.masked.mean(gn.ones(3, dtype=gn.int64), mask=gn.tensor([True, False, True]))
    with pytest.raises(IndexError, match="Dimension out of range"):
        gn.masked.amax(x, 2, mask=gn.ones(3, 4, dtype=gn.bool))
    with pytest.raises(ValueError, match="fully masked"):
        gn.masked.median(gn.ones(2, 2, dtype=gn.int64), 1, mask=gn.tensor([[True, True],
                                                                            [False, False]]))


def test_masked_is_a_glassnet_submodule():
    assert gn.masked is __import__("glassnet.masked").masked
    assert "masked" in dir(gn)
    assert set(gn.masked.__all__) <= set(torch.masked.__all__)


@pytest.mark.parametrize("name,args", [
    ("sum", (1,)), ("prod", (1,)), ("amax", (1,)), ("mean", (0,)), ("median", (1,)),
    ("norm", (2.0, 1)), ("var", (1,)), ("std", (0,)), ("logsumexp", (1,)), ("cumprod", (1,)),
    ("softmax", (1,)), ("log_softmax", (0,)), ("softmin", (1,)), ("normalize", (2.0, 1)),
])
def test_float64_gradients_match_finite_differences(name, args):
    x = gn.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)
    m = np.random.default_rng(1).random((3, 4)) > 0.4
    m[:, 0] = m[0, :] = True  # at least two kept elements in every row and column
    m[1, 1] = True
    mask = gn.tensor(m)
    fn = getattr(gn.masked, name)
    keep = gn.masked._output_mask(fn, x, *args, mask=mask)  # log_softmax is -inf elsewhere
    assert gn.autograd.gradcheck(lambda t: gn.where(keep, fn(t, *args, mask=mask), 0.0), (x,))
