"""glassnet.utils.checkpoint against torch.utils.checkpoint: the same outputs and gradients as
running the function directly (for inputs, parameters, autograd.grad and double backward),
dropout replayed in the recomputation, checkpoint_sequential, and plain calls under no_grad."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.utils.checkpoint as tcp

import glassnet as gn
import glassnet.utils.checkpoint as gcp


def _pair(rng):
    """The same small MLP block in both libraries."""
    t = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3))
    g = gn.nn.Sequential(gn.nn.Linear(5, 7), gn.nn.Tanh(), gn.nn.Linear(7, 3))
    with torch.no_grad(), gn.no_grad():
        for pt, pg in zip(t.parameters(), g.parameters()):
            w = rng.standard_normal(tuple(pt.shape)).astype(np.float32)
            pt.copy_(torch.from_numpy(w))
            pg.copy_(gn.from_numpy(w))
    return t, g


@pytest.mark.parametrize("reentrant", [True, False])
@pytest.mark.parametrize("input_grad", [True, False])
def test_gradients_match_torch(rng, reentrant, input_grad):
    t, g = _pair(rng)
    x = rng.standard_normal((4, 5)).astype(np.float32)
    xt = torch.tensor(x, requires_grad=input_grad)
    xg = gn.tensor(x, requires_grad=input_grad)
    if reentrant and not input_grad:
        # PyTorch's reentrant variant gives no gradient at all when no input requires grad;
        # glassnet's (like PyTorch's non-reentrant one) still reaches the parameters
        ot = tcp.checkpoint(t, xt, use_reentrant=False)
    else:
        ot = tcp.checkpoint(t, xt, use_reentrant=reentrant)
    og = gcp.checkpoint(g, xg, use_reentrant=reentrant)
    np.testing.assert_allclose(og.detach().numpy(), ot.detach().numpy(), rtol=1e-5, atol=1e-6)
    (ot * ot).sum().backward()
    (og * og).sum().backward()
    for pt, pg in zip(t.parameters(), g.parameters()):
        np.testing.assert_allclose(pg.grad.numpy(), pt.grad.numpy(), rtol=1e-4, atol=1e-6)
    if input_grad:
        np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_autograd_grad_and_multiple_outputs(rng):
    t, g = _pair(rng)
    x = rng.standard_normal((3, 5)).astype(np.float32)

    def two(m):
        return lambda a: (m(a), m(a).exp().sum(), "label")

    ot = tcp.checkpoint(two(t), torch.tensor(x), use_reentrant=False)
    og = gcp.checkpoint(two(g), gn.tensor(x), use_reentrant=False)
    assert og[2] == "label"
    gt = torch.autograd.grad(ot[0].sum() + ot[1], list(t.parameters()))
    gg = gn.autograd.grad(og[0].sum() + og[1], list(g.parameters()))
    for a, b in zip(gg, gt):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)
    assert all(p.grad is None for p in g.parameters())  # grad() leaves .grad alone


def test_double_backward_through_checkpoint():
    xt = torch.tensor([0.3, -1.1, 0.7], dtype=torch.float64, requires_grad=True)
    xg = gn.tensor([0.3, -1.1, 0.7], dtype=gn.float64, requires_grad=True)

    def f(lib):
        return lambda a: (a.sin() * a * a).sum()

    (dt,) = torch.autograd.grad(tcp.checkpoint(f(torch), xt, use_reentrant=False), xt,
                                create_graph=True)
    (dg,) = gn.autograd.grad(gcp.checkpoint(f(gn), xg), xg, create_graph=True)
    dt.sum().backward()
    dg.sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-12)


def test_dropout_is_replayed():
    gn.manual_seed(3)
    drop = gn.nn.Sequential(gn.nn.Linear(6, 32), gn.nn.Dropout(0.5), gn.nn.Linear(32, 1))
    x = gn.ones(4, 6, requires_grad=True)
    gn.manual_seed(11)
    gcp.checkpoint(drop, x).sum().backward()
    with_ckpt = [p.grad.numpy().copy() for p in drop.parameters()] + [x.grad.numpy().copy()]
    drop.zero_grad()
    x.grad = None
    gn.manual_seed(11)
    drop(x).sum().backward()
    plain = [p.grad.numpy() for p in drop.parameters()] + [x.grad.numpy()]
    for a, b in zip(with_ckpt, plain):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_checkpoint_sequential_matches_torch(rng):
    t = torch.nn.Sequential(*[torch.nn.Linear(4, 4) for _ in range(5)])
    g = gn.nn.Sequential(*[gn.nn.Linear(4, 4) for _ in range(5)])
    with torch.no_grad(), gn.no_grad():
        for pt, pg in zip(t.parameters(), g.parameters()):
            w = rng.standard_normal(tuple(pt.shape)).astype(np.float32) * 0.5
            pt.copy_(torch.from_numpy(w))
            pg.copy_(gn.from_numpy(w))
    x = rng.standard_normal((2, 4)).astype(np.float32)
    xt, xg = torch.tensor(x, requires_grad=True), gn.tensor(x, requires_grad=True)
    tcp.checkpoint_sequential(t, 3, xt, use_reentrant=False).pow(2).sum().backward()
    gcp.checkpoint_sequential(g, 3, xg).pow(2).sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-6)
    for pt, pg in zip(t.parameters(), g.parameters()):
        np.testing.assert_allclose(pg.grad.numpy(), pt.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_no_grad_calls_the_function_and_bad_output():
    lin = gn.nn.Linear(2, 2)
    with gn.no_grad():
        assert not gcp.checkpoint(lin, gn.ones(1, 2)).requires_grad
    with pytest.raises(TypeError, match="checkpoint: the checkpointed function must return"):
        gcp.checkpoint(lambda a: {"out": lin(a)}, gn.ones(1, 2))
    assert gn.utils.checkpoint.checkpoint is gcp.checkpoint
    # keyword arguments reach the function
    out = gcp.checkpoint(lambda a, scale=1.0: lin(a) * scale, gn.ones(1, 2), scale=0.0)
    assert float(out.abs().sum()) == 0.0


def test_gradcheck_float64():
    lin = gn.nn.Linear(3, 2).double()
    x = gn.tensor(np.random.default_rng(0).standard_normal((2, 3)), requires_grad=True)
    assert gn.autograd.gradcheck(lambda a: gcp.checkpoint(lambda b: lin(b).tanh(), a), (x,))
