"""MultiheadAttention against PyTorch: a PyTorch module's state_dict loaded into glassnet's, then
outputs, attention weights, input gradients and every parameter gradient compared; and
F.multi_head_attention_forward with static keys and values."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF
from helpers import FLOAT_DTYPES, assert_close, torch_dtype
from nn_helpers import copy_state

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F


def _to(x, lib, dtype, grad=False):
    if lib is torch:
        t = torch.tensor(x, dtype=torch_dtype(dtype) if x.dtype.kind == "f" else None)
        return t.requires_grad_(grad)
    t = gn.tensor(x, dtype=dtype if x.dtype.kind == "f" else None)
    return t.requires_grad_(grad)


def mha_parity(kw, q, k, v, dtype=np.float64, self_attn=False, fwd=None, train=False):
    """Same weights (a torch state_dict loaded into glassnet), same inputs: compare the output,
    the attention weights and every gradient."""
    fwd = dict(fwd or {})
    E, H = kw.pop("embed_dim"), kw.pop("num_heads")
    tm = tnn.MultiheadAttention(E, H, **kw).to(torch_dtype(dtype))
    gm = nn.MultiheadAttention(E, H, **kw).to(dtype)
    copy_state(tm, gm)
    tm.train(train)
    gm.train(train)
    outs = []
    for lib, m in ((torch, tm), (gn, gm)):
        qq = _to(q, lib, dtype, True)
        kk, vv = (qq, qq) if self_attn else (_to(k, lib, dtype, True), _to(v, lib, dtype, True))
        extra = {name: _to(val, lib, dtype) if isinstance(val, np.ndarray) else val
                 for name, val in fwd.items()}
        o, w = m(qq, kk, vv, **extra)
        outs.append((o, w, [qq] if self_attn else [qq, kk, vv], m))
    (to, tw, tin, _), (go, gw, gin, _) = outs
    rtol, atol = (1e-4, 1e-5) if dtype == np.float32 else (1e-7, 1e-7)
    assert tuple(go.shape) == tuple(to.shape)
    assert_close(go, to, rtol, atol, "output")
    if tw is None:
        assert gw is None
    else:
        assert_close(gw, tw, rtol, atol, "attention weights")
    u = np.random.default_rng(7).standard_normal(tuple(to.shape))
    loss_t = (to * torch.tensor(u, dtype=to.dtype)).sum()
    loss_g = (go * gn.tensor(u, dtype=go.dtype)).sum()
    if tw is not None:
        uw = np.random.default_rng(8).standard_normal(tuple(tw.shape))
        loss_t = loss_t + (tw * torch.tensor(uw, dtype=tw.dtype)).sum()
        loss_g = loss_g + (gw * gn.tensor(uw, dtype=gw.dtype)).sum()
    loss_t.backward()
    loss_g.backward()
    for i, (a, b) in enumerate(zip(gin, tin)):
        assert_close(a.grad, b.grad, rtol, atol, f"input {i} gradient")
    tparams = dict(tm.named_parameters())
    for name, p in gm.named_parameters():
        assert_close(p.grad, tparams[name].grad, rtol, atol, f"{name} gradient")
    return go, gw


MHA_CONFIGS = [
    {},
    {"bias": False},
    {"add_bias_kv": True},
    {"add_zero_attn": True},
    {"kdim": 3, "vdim": 5},
    {"batch_first": True},
]


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("cfg", range(len(MHA_CONFIGS)))
def test_mha_parity_masks(cfg, need_weights, rng):
    kw = dict(MHA_CONFIGS[cfg], embed_dim=8, num_heads=2)
    L, S, N = 4, 5, 3
    q = rng.standard_normal((L, N, 8))
    k = rng.standard_normal((S, N, kw.get("kdim", 8)))
    v = rng.standard_normal((S, N, kw.get("vdim", 8)))
    if kw.get("batch_first"):
        q, k, v = (a.transpose(1, 0, 2).copy() for a in (q, k, v))
    kpm = np.zeros((N, S), dtype=bool)
    kpm[0, 3:] = True
    attn = np.triu(np.ones((L, S), dtype=bool), 2)
    mha_parity(kw, q, k, v, fwd={"key_padding_mask": kpm, "attn_mask": attn,
                                  "need_weights": need_weights})


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("average", [True, False])
def test_mha_self_attention_float_masks(dtype, average, rng):
    L, N, E, H = 5, 2, 12, 3
    x = rng.standard_normal((L, N, E))
    attn = rng.standard_normal((N * H, L, L))  # a 3-D float mask: one per (sample, head)
    kpm = np.zeros((N, L))
    kpm[1, -2:] = -1e9
    mha_parity({"embed_dim": E, "num_heads": H}, x, None, None, dtype, self_attn=True,
               fwd={"attn_mask": attn, "key_padding_mask": kpm,
                    "average_attn_weights": average})


def test_mha_unbatched_and_causal_hint(rng):
    L, E = 6, 8
    x = rng.standard_normal((L, E))
    causal = np.triu(np.ones((L, L), dtype=bool), 1)
    for nw in (True, False):
        mha_parity({"embed_dim": E, "num_heads": 4}, x, None, None, self_attn=True,
                   fwd={"attn_mask": causal, "is_causal": True, "need_weights": nw})
    kpm = np.array([False] * (L - 1) + [True])
    mha_parity({"embed_dim": E, "num_heads": 2}, x, rng.standard_normal((4, E)),
               rng.standard_normal((4, E)), fwd={"key_padding_mask": kpm[:4]})
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        m = nn.MultiheadAttention(E, 2)
        m(gn.tensor(x), gn.tensor(x), gn.tensor(x), is_causal=True)


def test_mha_fully_masked_row_matches_torch(rng):
    """A sample whose keys are all padding: NaN with need_weights (plain softmax), zeros
    without (scaled_dot_product_attention's safe softmax), and NaN again where PyTorch runs its
    fused inference kernel (eval, no grad, batch_first self-attention) - PyTorch's behaviours."""
    x = rng.standard_normal((3, 2, 4))
    kpm = np.array([[True] * 3, [False] * 3])
    for nw in (True, False):
        tm, gm = tnn.MultiheadAttention(4, 2).double(), nn.MultiheadAttention(4, 2).double()
        copy_state(tm, gm)
        to = tm(*[torch.tensor(x)] * 3, key_padding_mask=torch.tensor(kpm), need_weights=nw)[0]
        go = gm(*[gn.tensor(x)] * 3, key_padding_mask=gn.tensor(kpm), need_weights=nw)[0]
        assert_close(go, to, 1e-7, 1e-7)
    xb = x.transpose(1, 0, 2).astype(np.float32)
    for train, nw in ((False, False), (False, True), (True, False)):
        tm, gm = tnn.MultiheadAttention(4, 2, batch_first=True), \
            nn.MultiheadAttention(4, 2, batch_first=True)
        copy_state(tm, gm)
        tm.train(train)
        gm.train(train)
        with torch.no_grad():
            to, tw = tm(*[torch.tensor(xb)] * 3, key_padding_mask=torch.tensor(kpm),
                        need_weights=nw)
        with gn.no_grad():
            go, gw = gm(*[gn.tensor(xb)] * 3, key_padding_mask=gn.tensor(kpm), need_weights=nw)
        assert_close(go, to)
        assert (gw is None) == (tw is None)


def test_mha_layout_init_and_dropout():
    tm, gm = tnn.MultiheadAttention(8, 2), nn.MultiheadAttention(8, 2)
    assert list(gm.state_dict()) == list(tm.state_dict())
    assert [n for n, _ in gm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    assert isinstance(gm.out_proj, nn.Linear)
    assert type(gm.out_proj).__name__ == type(tm.out_proj).__name__
    w = gm.in_proj_weight.detach().numpy()
    bound = np.sqrt(6.0 / (8 + 24))  # xavier_uniform_ on (3 E, E)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert not gm.in_proj_bias.detach().numpy().any()
    assert not gm.out_proj.bias.detach().numpy().any()
    sep = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True)
    tsep = tnn.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True)
    assert list(sep.state_dict()) == list(tsep.state_dict())
    assert sep.in_proj_weight is None and tuple(sep.k_proj_weight.shape) == (8, 3)
    assert repr(gm) == repr(tm)
    # dropout on the attention weights: active in training, off in eval
    d = nn.MultiheadAttention(8, 2, dropout=0.5)
    x = gn.randn(5, 2, 8)
    a, b = d(x, x, x)[0], d(x, x, x)[0]
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())
    d.eval()
    assert np.allclose(d(x, x, x)[0].detach().numpy(), d(x, x, x)[0].detach().numpy())
    with pytest.raises(AssertionError, match="divisible"):
        nn.MultiheadAttention(10, 3)


def test_mha_float32_gradients_and_functional(rng):
    mha_parity({"embed_dim": 8, "num_heads": 2, "batch_first": True},
               rng.standard_normal((2, 4, 8)), rng.standard_normal((2, 6, 8)),
               rng.standard_normal((2, 6, 8)), np.float32,
               fwd={"key_padding_mask": np.array([[0, 0, 0, 0, 1, 1], [0] * 6], dtype=bool)})
    # the functional form with precomputed (static) keys and values
    tm = tnn.MultiheadAttention(8, 2).double()
    x = rng.standard_normal((3, 2, 8))
    sk, sv = rng.standard_normal((4, 5, 4)), rng.standard_normal((4, 5, 4))

    def run(lib, f, params):
        return f(*[lib.tensor(x)] * 3, 8, 2, params["in_proj_weight"], params["in_proj_bias"],
                 None, None, False, 0.0, params["out_proj.weight"], params["out_proj.bias"],
                 static_k=lib.tensor(sk), static_v=lib.tensor(sv))

    tp = {k: v.detach() for k, v in tm.state_dict().items()}
    gp = {k: gn.tensor(v.numpy()) for k, v in tp.items()}
    to, tw = run(torch, TF.multi_head_attention_forward, tp)
    go, gw = run(gn, F.multi_head_attention_forward, gp)
    assert_close(go, to, 1e-7, 1e-7)
    assert_close(gw, tw, 1e-7, 1e-7)
