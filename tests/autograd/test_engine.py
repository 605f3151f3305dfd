"""The backward engine (glassnet/autograd/engine.py): backward over any DAG, accumulation,
explicit gradients, retain_graph and freed buffers, ``autograd.grad`` (unused inputs,
materialize_grads), ``inputs=``, and first-order behaviour unchanged by create_graph."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import assert_close, check_parity, gradcheck, randn

import glassnet as gn


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


def test_gradient_does_not_flow_into_non_grad_inputs(rng):
    a = gn.tensor(randn(rng, (3,)), requires_grad=True)
    b = gn.tensor(randn(rng, (3,)))
    (a * b).sum().backward()
    assert b.grad is None
    np.testing.assert_allclose(a.grad.numpy(), b.numpy())


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


def test_autograd_grad_returns_gradients_without_touching_grad():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    w = gn.tensor([3.0, 4.0], requires_grad=True)
    x.grad = gn.tensor([9.0, 9.0])
    gx, gw = gn.autograd.grad((x * w).sum(), (x, w))
    np.testing.assert_array_equal(gx.numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(gw.numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(x.grad.numpy(), [9.0, 9.0])
    assert w.grad is None


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


def test_first_order_behaviour_unchanged():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    (x ** 2).sum().backward()
    assert x.grad.grad_fn is None and not x.grad.requires_grad
    (g,) = gn.autograd.grad((x ** 3).sum(), x)
    assert not g.requires_grad and g.grad_fn is None
    y = (x * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_materialize_grads():
    x = gn.tensor([1.0], requires_grad=True)
    z = gn.tensor([1.0, 2.0], requires_grad=True)
    _, gz = gn.autograd.grad((x * 2).sum(), (x, z), materialize_grads=True)
    assert_close(gz, np.zeros(2))


# ----------------------------------------------------------------------------- sparse tensors
@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
@pytest.mark.parametrize("layout", ["coo", "csr"])
def test_grad_and_backward_with_sparse_outputs_and_inputs(rng, layout):
    """A sparse tensor takes part through its values: autograd.grad with a sparse input gives
    a sparse gradient on its pattern, and a sparse output takes a dense or sparse gradient
    (read on its pattern), as PyTorch's autograd.grad."""
    a = rng.standard_normal((4, 3)) * (rng.random((4, 3)) < 0.5)
    x, w = rng.standard_normal((3, 2)), rng.standard_normal((4, 3))

    def make(lib, t):
        return t.to_sparse_csr() if layout == "csr" else t.to_sparse()

    gs, ts = make(gn, gn.tensor(a)).requires_grad_(), make(torch, torch.tensor(a))
    ts.requires_grad_()
    gx, tx = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (gg, gxg), (tg, txg) = (gn.autograd.grad(gn.sparse.mm(gs, gx).sum(), (gs, gx)),
                            torch.autograd.grad(torch.sparse.mm(ts, tx).sum(), (ts, tx)))
    assert gg.layout is gs.layout
    assert_close(gg.to_dense(), tg.to_dense().numpy())
    assert_close(gxg, txg.numpy())
    # a sparse output: a sparse gradient on its pattern, or a dense one read there
    for seed in (gn.tensor(w), make(gn, gn.tensor(w))):
        (g2,) = gn.autograd.grad(gs * 3.0, (gs,), seed)
        assert_close(g2.to_dense(), 3 * w * (a != 0))
    gn.autograd.backward(gs * 2.0, gn.tensor(w))
    assert_close(gs.grad.to_dense(), 2 * w * (a != 0))
    with pytest.raises(RuntimeError, match="sparse tensor of shape"):
        gn.autograd.grad(gs * 2.0, (gs,))
