"""The autograd engine: backward over any DAG, deep graphs, retain_graph and freed buffers, grad
modes, hooks, retain_grad, autograd.grad, anomaly detection, custom Functions, clear errors."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from helpers import check_parity, gradcheck, randn

import glassnet as gn
from glassnet.autograd import Function


# ----------------------------------------------------------------------------- graphs
def test_diamond_sums_over_paths(rng):
    x = randn(rng, (3,))

    def f(t):
        a = t * 2
        b = t.exp()
        c = a * b + a.sin() - b
        return c * t

    check_parity(f, f, [x])
    gradcheck(f, [x])


def test_reused_tensor_in_one_op_and_many_ops(rng):
    x = randn(rng, (2, 3))
    f = lambda t: (t * t + t @ t.T @ t).sum(0) + t.sum()
    check_parity(f, f, [x])


def test_multi_output_function_with_one_output_used(rng):
    x = randn(rng, (6, 2))
    f = lambda t: t.split(2)[2].exp()
    check_parity(f, f, [x])
    g = lambda t: t.max(1)[0] * t.min(1)[0]
    check_parity(g, g, [x])


def test_gradients_accumulate_across_backward_calls():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 + 2, 3 + 4])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3, 3])


def test_backward_with_explicit_gradient(rng):
    x = randn(rng, (2, 3))
    g = randn(rng, (2, 3))
    xt = gn.tensor(x, requires_grad=True)
    (xt * 2).backward(gn.tensor(g))
    tt = torch.tensor(x, dtype=torch.float32, requires_grad=True)
    (tt * 2).backward(torch.tensor(g, dtype=torch.float32))
    np.testing.assert_allclose(xt.grad.numpy(), tt.grad.numpy(), rtol=1e-6)
    xt.grad = None
    (xt * 2).backward(gradient=g)  # a NumPy gradient works too
    np.testing.assert_allclose(xt.grad.numpy(), 2 * g, rtol=1e-6)


def test_leaf_root_and_scalar_root():
    x = gn.tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0
    y = gn.tensor([[2.0]], requires_grad=True)
    (y * 4).backward()  # one element: an implicit gradient of 1 is allowed
    assert y.grad.item() == 4.0


def test_deep_graph_has_no_recursion_limit():
    x = gn.tensor([1.0, -2.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    del y  # deleting a very deep graph must not overflow the C stack either


def test_gradient_does_not_flow_into_non_grad_inputs(rng):
    a = gn.tensor(randn(rng, (3,)), requires_grad=True)
    b = gn.tensor(randn(rng, (3,)))
    (a * b).sum().backward()
    assert b.grad is None
    np.testing.assert_allclose(a.grad.numpy(), b.numpy())


def test_integer_outputs_do_not_require_grad():
    x = gn.tensor([1.0, 3.0, 2.0], requires_grad=True)
    assert not x.argmax().requires_grad
    assert not (x > 1).requires_grad
    v, i = x.max(0)
    assert v.requires_grad and not i.requires_grad
    assert x.long().requires_grad is False


# ----------------------------------------------------------------------------- retain_graph
def test_second_backward_without_retain_graph_is_a_clear_error():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).exp().sum()
    y.backward(retain_graph=True)
    g1 = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * g1, rtol=1e-6)


def test_saved_arrays_are_freed_after_backward():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    node = y.grad_fn
    assert node.saved_tensors is not None
    y.sum().backward()
    assert node._saved is None
    with pytest.raises(RuntimeError, match="retain_graph"):
        _ = node.saved_tensors


# ----------------------------------------------------------------------------- grad modes
def test_no_grad_and_enable_grad():
    x = gn.tensor([1.0], requires_grad=True)
    with gn.no_grad():
        y = x * 2
        assert not gn.is_grad_enabled()
        with gn.enable_grad():
            z = x * 2
            assert gn.is_grad_enabled()
        w = x * 2
    assert gn.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None
    assert not w.requires_grad


def test_no_grad_as_decorator_and_set_grad_enabled():
    x = gn.tensor([1.0], requires_grad=True)

    @gn.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    with gn.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    with gn.set_grad_enabled(True):
        assert (x * 2).requires_grad


def test_no_grad_restores_mode_after_an_exception():
    with pytest.raises(ValueError), gn.no_grad():
        raise ValueError
    assert gn.is_grad_enabled()


def test_detach_and_requires_grad_():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.grad_fn is None
    y = gn.tensor([1.0, 2.0])
    assert y.requires_grad_() is y and y.requires_grad
    (y * 3).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [3.0, 3.0])
    d2 = x.detach()
    d2._data[0] = 5.0  # detach shares storage, like PyTorch
    assert x._data[0] == 5.0
    with pytest.raises(RuntimeError, match="floating point"):
        gn.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        gn.tensor([1, 2], requires_grad=True)


def test_in_place_on_a_leaf_that_requires_grad_is_an_error():
    x = gn.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        x += 1
    with gn.no_grad():
        x -= 0.5
    np.testing.assert_array_equal(x.detach().numpy(), [0.5, 0.5, 0.5])
    assert x.requires_grad and x.is_leaf


def test_in_place_on_a_non_leaf_stays_differentiable(rng):
    x = randn(rng, (3,))

    def f(t):
        y = t * 2
        y += 1
        y *= t
        return y

    check_parity(f, f, [x])


# ----------------------------------------------------------------------------- hooks
def test_register_hook_on_a_leaf_sees_and_replaces_the_gradient():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    h = x.register_hook(lambda g: seen.append(g.numpy().copy()))
    (x * 3).sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])
    h.remove()
    x.grad = None
    x.register_hook(lambda g: g * 10)
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [30.0, 30.0])
    assert len(seen) == 1


def test_register_hook_on_a_non_leaf_changes_upstream_gradients():
    for lib in (gn, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        y.register_hook(lambda g: g * 2)
        y.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0])


def test_hook_runs_once_with_the_summed_gradient():
    calls = []
    x = gn.tensor([1.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: calls.append(g.item()))
    (y * 3 + y * 4).sum().backward()
    assert calls == [7.0]


def test_register_hook_needs_requires_grad():
    with pytest.raises(RuntimeError, match="register_hook"):
        gn.ones(2).register_hook(lambda g: g)


def test_retain_grad_and_is_leaf():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    (y * y).sum().backward()
    assert x.is_leaf and not y.is_leaf
    np.testing.assert_array_equal(y.grad.numpy(), [6.0, 12.0])


def test_autograd_grad_returns_gradients_without_touching_grad():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    w = gn.tensor([3.0, 4.0], requires_grad=True)
    x.grad = gn.tensor([9.0, 9.0])
    gx, gw = gn.autograd.grad((x * w).sum(), (x, w))
    np.testing.assert_array_equal(gx.numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(gw.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(x.grad.numpy(), [9.0, 9.0])
    assert w.grad is None


# ----------------------------------------------------------------------------- errors
def test_backward_on_a_non_scalar_says_what_to_pass():
    y = gn.ones(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\).*gradient="):
        y.backward()


def test_backward_gradient_of_the_wrong_shape():
    y = gn.ones(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\)"):
        y.backward(gn.ones(3))


def test_backward_without_requires_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        gn.ones(2).sum().backward()


def test_shape_mismatch_names_the_op_and_both_shapes():
    with pytest.raises(RuntimeError, match=r"add: shapes \(2, 3\) and \(4,\)"):
        gn.ones(2, 3) + gn.ones(4)
    with pytest.raises(RuntimeError, match=r"mul: shapes \(2, 3\) and \(2,\)"):
        gn.ones(2, 3) * gn.ones(2)
    with pytest.raises(RuntimeError, match=r"(maximum|where).*\(2, 3\).*\(5,\)"):
        gn.maximum(gn.ones(2, 3), gn.ones(5))
    with pytest.raises(RuntimeError, match=r"lt|less"):
        _ = gn.ones(2, 3) < gn.ones(4)


def test_unavailable_device_is_a_clear_error():
    if gn.backend.cuda_is_available():
        pytest.skip("a GPU is present")
    for make in (lambda: gn.zeros(2, device="cuda"), lambda: gn.tensor([1.0], device="cuda"),
                 lambda: gn.ones(2).to("cuda"), lambda: gn.randn(2, device="cuda:0"),
                 lambda: gn.arange(3, device="cuda")):
        with pytest.raises(RuntimeError, match="cuda.*(CuPy|GPU)"):
            make()
    with pytest.raises(ValueError, match="device.*'cpu' or 'cuda"):
        gn.zeros(2, device="tpu")
    assert gn.zeros(2, device="cpu").device == "cpu"


def test_mixed_devices_are_a_clear_error(monkeypatch):
    # Without a GPU, a stand-in array class plays the part of a device array.
    import importlib

    tmod = importlib.import_module("glassnet.tensor.arith")

    class FakeCupy:
        class ndarray(np.ndarray):
            pass

    monkeypatch.setattr(tmod, "_cupy", FakeCupy)
    a = gn.ones(3)
    b = gn.from_numpy(np.ones(3, np.float32).view(FakeCupy.ndarray))
    with pytest.raises(RuntimeError, match="same device"):
        a + b


# ----------------------------------------------------------------------------- anomaly mode
def test_detect_anomaly_names_the_op_and_the_line_in_forward():
    x = gn.tensor([1.0, -1.0], requires_grad=True)
    with pytest.raises(RuntimeError) as info, np.errstate(invalid="ignore"), \
            gn.autograd.detect_anomaly():
        x.sqrt()  # the line that creates the NaN
    msg = str(info.value)
    assert "Sqrt" in msg and "NaN" in msg and "forward" in msg
    assert "test_autograd.py" in msg and "x.sqrt()" in msg


def test_detect_anomaly_in_backward():
    x = gn.tensor([0.0, 1.0], requires_grad=True)
    with pytest.raises(RuntimeError) as info, np.errstate(divide="ignore"), \
            gn.autograd.detect_anomaly():
        y = x.sqrt()
        (y * 2).sum().backward()
    msg = str(info.value)
    assert re.search(r"Sqrt produced (Inf|NaN) in its backward", msg)
    assert "y = x.sqrt()" in msg


def test_detect_anomaly_off_by_default_and_restored():
    assert not gn.autograd.is_anomaly_enabled()
    with gn.autograd.detect_anomaly():
        assert gn.autograd.is_anomaly_enabled()
        (gn.tensor([1.0], requires_grad=True) * 2).sum().backward()  # finite: no error
    assert not gn.autograd.is_anomaly_enabled()
    with np.errstate(divide="ignore"):
        gn.tensor([0.0]).log()  # NaN/Inf allowed outside anomaly mode


# ----------------------------------------------------------------------------- custom Functions
def test_the_function_docstring_example_works():
    doc = gn.autograd.__doc__
    code = doc[doc.index("    import glassnet"):doc.index("``ctx.needs_input_grad``")]
    code = "\n".join(line[4:] for line in code.splitlines())
    ns = {}
    exec(compile(code, "<autograd docstring>", "exec"), ns)  # noqa: S102 - our own docstring
    y = ns["y"]
    np.testing.assert_allclose(y.detach().numpy(), [1.0, 8.0])
    y.sum().backward()
    x = y.grad_fn.next_edges[0][0]
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])


class ScaledSquare(Function):
    """y = scale * x^2 with a non-tensor argument; backward returns None for it."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return scale * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2 * ctx.scale * x * grad, None


class MulAdd(Function):
    """Two inputs, two outputs: (a * b, a + b)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b, a + b

    @staticmethod
    def backward(ctx, g_prod, g_sum):
        a, b = ctx.saved_tensors
        ga = g_prod * b + g_sum if ctx.needs_input_grad[0] else None
        gb = g_prod * a + g_sum if ctx.needs_input_grad[1] else None
        return ga, gb


def test_custom_function_with_a_non_tensor_argument(rng):
    x = randn(rng, (3,))
    gradcheck(lambda t: ScaledSquare.apply(t, 1.5), [x])
    out = ScaledSquare.apply(gn.tensor(x, requires_grad=True), 2.0)
    assert repr(out.grad_fn) == "<ScaledSquareBackward>"


def test_custom_function_with_two_outputs(rng):
    a, b = randn(rng, (3,)), randn(rng, (3,))
    gradcheck(lambda x, y: MulAdd.apply(x, y), [a, b])
    ta = gn.tensor(a, requires_grad=True)
    p, _ = MulAdd.apply(ta, gn.tensor(b))
    p.sum().backward()  # only one output used: the other's gradient is zero
    np.testing.assert_allclose(ta.grad.numpy(), b.astype(np.float32), rtol=1e-6)


def test_custom_function_under_no_grad_records_nothing():
    with gn.no_grad():
        y = ScaledSquare.apply(gn.tensor([1.0], requires_grad=True), 2.0)
    assert y.grad_fn is None and not y.requires_grad


def test_grad_returns_gradients_without_touching_dot_grad():
    w = gn.tensor([2.0], requires_grad=True)
    x = gn.tensor([3.0], requires_grad=True)
    h = w * x
    gx, gh = gn.autograd.grad((h * h).sum(), [x, h])
    assert gx.item() == 24.0 and gh.item() == 12.0  # d(h^2)/dx = 2 h w, d(h^2)/dh = 2 h
    assert w.grad is None and x.grad is None
    tw, tx = torch.tensor([2.0], requires_grad=True), torch.tensor([3.0], requires_grad=True)
    th = tw * tx
    ref = torch.autograd.grad((th * th).sum(), [tx, th])
    assert [r.item() for r in ref] == [24.0, 12.0]


def test_grad_unused_input():
    a = gn.tensor([1.0], requires_grad=True)
    b = gn.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused"):
        gn.autograd.grad((a * 2).sum(), [a, b])
    ga, gb = gn.autograd.grad((a * 2).sum(), [a, b], allow_unused=True)
    assert ga.item() == 2.0 and gb is None


def test_backward_inputs_only_accumulates_there():
    w = gn.tensor([2.0], requires_grad=True)
    x = gn.tensor([3.0], requires_grad=True)
    (w * x).sum().backward(inputs=[x])
    assert w.grad is None and x.grad.item() == 2.0


def test_cuda_namespace():
    assert gn.cuda.is_available() in (True, False)
    if not gn.cuda.is_available():
        assert gn.cuda.device_count() == 0
