"""glassnet.func against torch.func: grad, grad_and_value, vjp, jvp, jacrev/jacfwd, hessian
and stack_module_state, on tensors and on dicts of parameters, composed with vmap and
functional_call (per-sample gradients, an ensemble), with a float64 finite-difference check."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.func as tf

import glassnet as gn
import glassnet.func as gf


def _close(a, b, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(a.detach().numpy()), b.detach().numpy(), rtol=rtol,
                               atol=atol)


def _mlp(rng):
    t = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3))
    g = gn.nn.Sequential(gn.nn.Linear(4, 6), gn.nn.Tanh(), gn.nn.Linear(6, 3))
    with torch.no_grad(), gn.no_grad():
        for pt, pg in zip(t.parameters(), g.parameters()):
            w = rng.standard_normal(tuple(pt.shape)).astype(np.float32)
            pt.copy_(torch.from_numpy(w))
            pg.copy_(gn.from_numpy(w))
    return t, g


def test_per_sample_gradients_match_torch(rng):
    t, g = _mlp(rng)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    y = np.array([0, 2, 1, 1, 0])

    def loss(lib, F, model):
        def f(params, xb, yb):
            out = lib.func.functional_call(model, params, (xb.unsqueeze(0),))
            return F.cross_entropy(out, yb.unsqueeze(0))
        return f

    pt = {k: v.detach() for k, v in t.named_parameters()}
    pg = {k: v.detach() for k, v in g.named_parameters()}
    gt = tf.vmap(tf.grad(loss(torch, torch.nn.functional, t)), in_dims=(None, 0, 0))(
        pt, torch.tensor(x), torch.tensor(y))
    gg = gf.vmap(gf.grad(loss(gn, gn.nn.functional, g)), in_dims=(None, 0, 0))(
        pg, gn.tensor(x), gn.tensor(y))
    assert gg.keys() == gt.keys()
    for k in gt:
        assert tuple(gg[k].shape) == tuple(gt[k].shape)
        _close(gg[k], gt[k], rtol=1e-4, atol=1e-6)


def test_grad_argnums_aux_and_value(rng):
    a = rng.standard_normal(3)
    b = rng.standard_normal(3)

    def f(lib):
        return lambda x, y: ((x * y.sin()).sum() ** 2, {"n": x.sum()})

    gt, (vt, auxt) = tf.grad_and_value(f(torch), argnums=(0, 1), has_aux=True)(
        torch.tensor(a), torch.tensor(b))
    gg, (vg, auxg) = gf.grad_and_value(f(gn), argnums=(0, 1), has_aux=True)(
        gn.tensor(a), gn.tensor(b))
    g1, aux1 = gf.grad(f(gn), has_aux=True)(gn.tensor(a), gn.tensor(b))
    _close(g1, gt[0], rtol=1e-12)
    _close(aux1["n"], auxt["n"], rtol=1e-12)
    for x, y in zip(gg, gt):
        _close(x, y, rtol=1e-12, atol=0)
    _close(vg, vt, rtol=1e-12)
    _close(auxg["n"], auxt["n"], rtol=1e-12)
    with pytest.raises(RuntimeError, match="grad: the function must return a scalar"):
        gf.grad(lambda x: x * 2)(gn.ones(2))


def test_jacobians_hessian_vjp_jvp():
    z = np.array([0.3, -1.2, 2.0])

    def f(lib):
        return lambda v: v.exp() * v[0] + v.roll(1)

    def s(lib):
        return lambda v: (v.sin() * v.pow(2)).sum()

    zt, zg = torch.tensor(z), gn.tensor(z)
    _close(gf.jacrev(f(gn))(zg), tf.jacrev(f(torch))(zt), rtol=1e-12, atol=0)
    _close(gf.jacfwd(f(gn))(zg), tf.jacfwd(f(torch))(zt), rtol=1e-12, atol=0)
    _close(gf.hessian(s(gn))(zg), tf.hessian(s(torch))(zt), rtol=1e-12, atol=1e-15)
    ot, fnt = tf.vjp(lambda a, b: a * b.cos(), zt, zt + 1)
    og, fng = gf.vjp(lambda a, b: a * b.cos(), zg, zg + 1)
    _close(og, ot, rtol=1e-12)
    for x, y in zip(fng(gn.ones(3)), fnt(torch.ones(3, dtype=torch.float64))):
        _close(x, y, rtol=1e-12)
    jt = tf.jvp(f(torch), (zt,), (torch.ones(3, dtype=torch.float64),))
    jg = gf.jvp(f(gn), (zg,), (gn.ones(3, dtype=gn.float64),))
    for x, y in zip(jg, jt):
        _close(x, y, rtol=1e-12)
    # a dict input gives a dict of Jacobians
    jd = gf.jacrev(lambda p: p["w"] * 2 + p["b"].sum())({"w": zg, "b": gn.ones(2)})
    assert tuple(jd["w"].shape) == (3, 3) and tuple(jd["b"].shape) == (3, 2)


def test_ensemble_with_stack_module_state(rng):
    ts = [torch.nn.Linear(3, 2) for _ in range(4)]
    gs = [gn.nn.Linear(3, 2) for _ in range(4)]
    with torch.no_grad(), gn.no_grad():
        for mt, mg in zip(ts, gs):
            for pt, pg in zip(mt.parameters(), mg.parameters()):
                w = rng.standard_normal(tuple(pt.shape)).astype(np.float32)
                pt.copy_(torch.from_numpy(w))
                pg.copy_(gn.from_numpy(w))
    x = rng.standard_normal((5, 3)).astype(np.float32)
    pt, bt = tf.stack_module_state(ts)
    pg, bg = gf.stack_module_state(gs)
    assert pg["weight"].requires_grad and tuple(pg["weight"].shape) == (4, 2, 3)

    def run(lib, base):
        return lambda p, b, xx: lib.func.functional_call(base, (p, b), (xx,))

    ot = tf.vmap(run(torch, ts[0]), in_dims=(0, 0, None))(pt, bt, torch.tensor(x))
    og = gf.vmap(run(gn, gs[0]), in_dims=(0, 0, None))(pg, bg, gn.tensor(x))
    _close(og, ot)
    ot.sum().backward()
    og.sum().backward()
    _close(pg["weight"].grad, pt["weight"].grad)


def test_gradcheck_of_grad_float64():
    x = gn.tensor(np.random.default_rng(0).standard_normal(4), requires_grad=True)
    fn = gf.grad(lambda v: (v.tanh() * v).sum())
    assert gn.autograd.gradcheck(lambda v: fn(v), (x,))
