"""Helpers shared by the tests of glassnet.nn: module parity (a glassnet layer and a PyTorch layer
from the same state), float64 module twins, and the random configurations of the convolution,
pooling and graph grids."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as TF
from helpers import assert_close, check_parity, torch_dtype

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F


def copy_state(tmod, gmod):
    gmod.load_state_dict({k: v.detach().cpu().numpy() for k, v in tmod.state_dict().items()})


def module_parity(gmod, tmod, inputs, dtype=np.float32, rtol=None, atol=None, seed=0):
    """Same state, same inputs: compare outputs, input gradients and parameter gradients."""
    tmod = tmod.to(torch_dtype(dtype))
    gmod = gmod.to(dtype)
    copy_state(tmod, gmod)
    rtol = rtol or (1e-4 if dtype == np.float32 else 1e-7)
    atol = atol or (1e-5 if dtype == np.float32 else 1e-7)
    gi, ti = [], []
    for x in inputs:
        if x.dtype.kind == "f":
            gi.append(gn.tensor(x, dtype=dtype, requires_grad=True))
            ti.append(torch.tensor(x, dtype=torch_dtype(dtype), requires_grad=True))
        else:
            gi.append(gn.tensor(x))
            ti.append(torch.tensor(x))
    go, to = gmod(*gi), tmod(*ti)
    assert_close(go, to, rtol, atol, "output")
    u = np.random.default_rng(seed).standard_normal(tuple(to.shape))
    to.backward(torch.tensor(u, dtype=to.dtype))
    go.backward(gn.tensor(u, dtype=go.dtype))
    for k, (a, b) in enumerate(zip(gi, ti)):
        if b.grad is not None:
            assert_close(a.grad, b.grad, rtol, atol, f"input {k} gradient")
    tparams = dict(tmod.named_parameters())
    for name, p in gmod.named_parameters():
        assert_close(p.grad, tparams[name].grad, rtol, atol, f"{name} gradient")
    return go, to


def copy_params(gm, tm):
    """Copy glassnet module ``gm``'s parameters into PyTorch module ``tm`` (same names)."""
    with torch.no_grad():
        for (name, p) in gm.named_parameters():
            dict(tm.named_parameters())[name].copy_(torch.from_numpy(p.detach().numpy().copy()))


def compare_layer(gm, tm, x, dtype=np.float32, tol=(1e-4, 1e-5), **call):
    """gm's parameters copied into tm; one input ``x``: compare the output, the input gradient
    and every parameter gradient (``call``: keyword arguments of the forward call)."""
    gm.to(gn.float64 if dtype == np.float64 else gn.float32)
    tm.to(torch.float64 if dtype == np.float64 else torch.float32)
    copy_params(gm, tm)
    gx = gn.tensor(x.astype(dtype), requires_grad=True)
    tx = torch.tensor(x.astype(dtype), requires_grad=True)
    gy, ty = gm(gx, **call), tm(tx, **call)
    assert_close(gy, ty, *tol, what="output")
    u = np.random.default_rng(0).standard_normal(tuple(ty.shape)).astype(dtype)
    gy.backward(gn.tensor(u))
    ty.backward(torch.tensor(u))
    assert_close(gx.grad, tx.grad, *tol, what="input gradient")
    tparams = dict(tm.named_parameters())
    for name, p in gm.named_parameters():
        assert_close(p.grad, tparams[name].grad, *tol, what=f"gradient of {name}")


class Net(nn.Module):
    """A small module with every kind of member: children, a parameter of its own, a persistent
    and a non-persistent buffer."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.bn = nn.BatchNorm1d(8)
        self.fc2 = nn.Linear(8, 3)
        self.scale = nn.Parameter(gn.ones(1))
        self.register_buffer("step", gn.zeros(1))
        self.register_buffer("scratch", gn.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc2(F.relu(self.bn(self.fc1(x)))) * self.scale


# ----------------------------------------------------------------------------- float64 twins
def module_pair(make_g, make_t, seed=0):
    """A PyTorch module (seeded) and its glassnet twin with the same state, both float64."""
    torch.manual_seed(seed)
    t = make_t().double()
    g = make_g().double()
    g.load_state_dict({k: gn.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return g, t


def linear_pair(i=4, o=3):
    return module_pair(lambda: nn.Linear(i, o), lambda: torch.nn.Linear(i, o))


def conv_pair():
    return module_pair(lambda: nn.Conv2d(2, 3, 3), lambda: torch.nn.Conv2d(2, 3, 3))


def compare_forward_backward(g, t, x, rtol=1e-10, atol=1e-12):
    """Same input: compare the outputs, then the gradients of sum(y**2) for every parameter."""
    gy, ty = g(gn.tensor(x)), t(torch.tensor(x))
    np.testing.assert_allclose(gy._data, ty.detach().numpy(), rtol=rtol, atol=atol)
    (gy * gy).sum().backward()
    (ty * ty).sum().backward()
    gnames = dict(g.named_parameters())
    tnames = dict(t.named_parameters())
    assert list(gnames) == list(tnames)
    for name, tp in tnames.items():
        np.testing.assert_allclose(gnames[name].grad._data, tp.grad.numpy(), rtol=rtol,
                                   atol=atol, err_msg=name)


def step_compare(g, t, x, rtol=1e-10, atol=1e-12):
    """``compare_forward_backward``, then the gradients are cleared for the next step."""
    gy, ty = g(gn.tensor(x)), t(torch.tensor(x))
    np.testing.assert_allclose(gy._data, ty.detach().numpy(), rtol=rtol, atol=atol)
    (gy * gy).sum().backward()
    (ty * ty).sum().backward()
    gp, tp = dict(g.named_parameters()), dict(t.named_parameters())
    assert list(gp) == list(tp)
    for name, p in tp.items():
        np.testing.assert_allclose(gp[name].grad._data, p.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=name)
        gp[name].grad, p.grad = None, None


# ----------------------------------------------------------------------------- gradients
GRAD_SHAPES = [(3, 4), (7,), (2, 2, 3)]


def grad_pairs(dtype, scale=1.0, seed=0, none_at=None):
    """Twin glassnet / PyTorch leaves of GRAD_SHAPES with the same ``.grad`` (none at index
    ``none_at``)."""
    rng = np.random.default_rng(seed)
    gp, tp = [], []
    for i, s in enumerate(GRAD_SHAPES):
        w = rng.standard_normal(s).astype(dtype)
        g = (scale * rng.standard_normal(s)).astype(dtype)
        a, b = gn.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
        if i != none_at:
            a.grad, b.grad = gn.tensor(g.copy()), torch.tensor(g.copy())
        gp.append(a)
        tp.append(b)
    return gp, tp


# ----------------------------------------------------------------------------- convolution grid
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


def run_conv(cfg, dtype, r):
    inputs = conv_inputs(r, cfg)
    kw = dict(stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"],
              groups=cfg["groups"])
    nd = cfg["nd"]

    def gfn(x, w, b=None):
        return GN_CONV[nd](x, w, b, **kw)

    def tfn(x, w, b=None):
        return TH_CONV[nd](x, w, b, **kw)

    check_parity(gfn, tfn, inputs, dtype=dtype)


def run_convt(cfg, dtype, r):
    inputs = conv_inputs(r, cfg, transposed=True)
    kw = dict(stride=cfg["stride"], padding=cfg["padding"], output_padding=cfg["output_padding"],
              groups=cfg["groups"], dilation=cfg["dilation"])
    nd = cfg["nd"]

    def gfn(x, w, b=None):
        return GN_CONVT[nd](x, w, b, **kw)

    def tfn(x, w, b=None):
        return TH_CONVT[nd](x, w, b, **kw)

    check_parity(gfn, tfn, inputs, dtype=dtype)


def valid_transposed(cfg):
    """PyTorch's constraint: the cropped output must still be positive."""
    nd = cfg["nd"]
    s = (cfg["stride"],) * nd if isinstance(cfg["stride"], int) else cfg["stride"]
    d = (cfg["dilation"],) * nd if isinstance(cfg["dilation"], int) else cfg["dilation"]
    p = (cfg["padding"],) * nd if isinstance(cfg["padding"], int) else cfg["padding"]
    op = cfg["output_padding"]
    op = (op,) * nd if isinstance(op, int) else op
    return all((cfg["size"][i] - 1) * s[i] - 2 * p[i] + d[i] * (cfg["k"][i] - 1) + op[i] + 1 > 0
               for i in range(nd))


# ----------------------------------------------------------------------------- pooling, graphs
def pool_input(r, shape, i):
    if i % 3 == 0:  # many ties
        return r.integers(-2, 3, shape).astype(np.float64)
    return r.standard_normal(shape)


def random_graph(rng, n, p=0.3, undirected=True, self_loops=0):
    a = rng.random((n, n)) < p
    np.fill_diagonal(a, False)
    if undirected:
        a = np.triu(a)
        a = a | a.T
    src, dst = np.nonzero(a)
    ei = np.stack([src, dst])
    if self_loops:
        nodes = rng.choice(n, self_loops, replace=False)
        ei = np.concatenate([ei, np.stack([nodes, nodes])], axis=1)
    return ei.astype(np.int64)
