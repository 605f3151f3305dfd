"""Transformer layers and stacks against PyTorch.

Each test builds the PyTorch module, loads its state_dict into the glassnet twin (the keys must be
identical), runs both in eval mode (dropout off) on the same inputs and masks, and compares the
output, the input gradients and every parameter gradient.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF
from helpers import assert_close, torch_dtype
from nn_helpers import copy_state

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F

pytestmark = [
    pytest.mark.filterwarnings("ignore:enable_nested_tensor is True"),
    pytest.mark.filterwarnings("ignore:Support for mismatched"),
    pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors"),
]


def _to(x, lib, dtype, grad=False):
    if lib is torch:
        return torch.tensor(x, dtype=torch_dtype(dtype) if x.dtype.kind == "f" else None,
                            requires_grad=grad)
    return gn.tensor(x, dtype=dtype if x.dtype.kind == "f" else None, requires_grad=grad)


def layer_parity(tmod, gmod, inputs, masks=None, dtype=np.float64, grads=True):
    """Load tmod's weights into gmod; compare outputs and all gradients in eval mode."""
    assert list(gmod.state_dict()) == list(tmod.state_dict())
    tmod = tmod.to(torch_dtype(dtype)).eval()
    gmod = gmod.to(dtype).eval()
    copy_state(tmod, gmod)
    tmod.zero_grad()
    gmod.zero_grad()
    masks = masks or {}
    ti = [_to(x, torch, dtype, grads) for x in inputs]
    gi = [_to(x, gn, dtype, grads) for x in inputs]
    to = tmod(*ti, **{k: _to(v, torch, dtype) if isinstance(v, np.ndarray) else v
                      for k, v in masks.items()})
    go = gmod(*gi, **{k: _to(v, gn, dtype) if isinstance(v, np.ndarray) else v
                      for k, v in masks.items()})
    rtol, atol = (1e-4, 1e-5) if dtype == np.float32 else (1e-7, 1e-7)
    assert tuple(go.shape) == tuple(to.shape)
    assert_close(go, to, rtol, atol, "output")
    if not grads:
        return go, to
    u = np.random.default_rng(3).standard_normal(tuple(to.shape))
    to.backward(torch.tensor(u, dtype=to.dtype))
    go.backward(gn.tensor(u, dtype=go.dtype))
    for k, (a, b) in enumerate(zip(gi, ti)):
        assert_close(a.grad, b.grad, rtol, atol, f"input {k} gradient")
    tparams = dict(tmod.named_parameters())
    for name, p in gmod.named_parameters():
        assert_close(p.grad, tparams[name].grad, rtol, atol, f"{name} gradient")
    return go, to


def _causal(n):
    return np.triu(np.ones((n, n), dtype=bool), 1)


def _padding(n, s, lengths):
    m = np.zeros((n, s), dtype=bool)
    for i, length in enumerate(lengths):
        m[i, length:] = True
    return m


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu", "module"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer_parity(norm_first, activation, batch_first, rng):
    S, N, E = 5, 3, 8
    act = {"relu": ("relu", "relu"), "gelu": ("gelu", "gelu"),
           "module": (tnn.GELU(approximate="tanh"), nn.GELU(approximate="tanh"))}[activation]
    kw = {"dim_feedforward": 16, "norm_first": norm_first, "batch_first": batch_first}
    t = tnn.TransformerEncoderLayer(E, 2, activation=act[0], **kw)
    g = nn.TransformerEncoderLayer(E, 2, activation=act[1], **kw)
    x = rng.standard_normal((N, S, E) if batch_first else (S, N, E))
    layer_parity(t, g, [x], {"src_mask": _causal(S),
                             "src_key_padding_mask": _padding(N, S, [5, 3, 4])})


def test_encoder_layer_float32_bias_free_float_mask(rng):
    t = tnn.TransformerEncoderLayer(8, 4, 16, bias=False, layer_norm_eps=1e-6)
    g = nn.TransformerEncoderLayer(8, 4, 16, bias=False, layer_norm_eps=1e-6)
    x = rng.standard_normal((6, 2, 8))
    layer_parity(t, g, [x], {"src_mask": rng.standard_normal((6, 6))}, dtype=np.float32)
    layer_parity(t, g, [x[:, 0]], {"src_mask": _causal(6)})  # unbatched (S, E)


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_parity(norm_first, rng):
    T, S, N, E = 4, 6, 2, 8
    t = tnn.TransformerDecoderLayer(E, 2, 16, norm_first=norm_first, activation="gelu")
    g = nn.TransformerDecoderLayer(E, 2, 16, norm_first=norm_first, activation="gelu")
    tgt, mem = rng.standard_normal((T, N, E)), rng.standard_normal((S, N, E))
    layer_parity(t, g, [tgt, mem], {
        "tgt_mask": _causal(T), "memory_mask": rng.standard_normal((T, S)),
        "tgt_key_padding_mask": _padding(N, T, [4, 3]),
        "memory_key_padding_mask": _padding(N, S, [6, 2]), "tgt_is_causal": True})


def test_encoder_and_decoder_stacks(rng):
    S, T, N, E = 5, 4, 3, 8
    te = tnn.TransformerEncoder(tnn.TransformerEncoderLayer(E, 2, 16, batch_first=True), 2,
                                norm=tnn.LayerNorm(E))
    ge = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, 2, 16, batch_first=True), 2,
                               norm=nn.LayerNorm(E))
    src = rng.standard_normal((N, S, E))
    layer_parity(te, ge, [src], {"src_key_padding_mask": _padding(N, S, [5, 2, 3])})
    # a causal mask given without is_causal is detected as causal
    causal = tnn.Transformer.generate_square_subsequent_mask(S).double().numpy()
    layer_parity(te, ge, [src], {"mask": causal})
    td = tnn.TransformerDecoder(tnn.TransformerDecoderLayer(E, 2, 16), 3)
    gd = nn.TransformerDecoder(nn.TransformerDecoderLayer(E, 2, 16), 3)
    layer_parity(td, gd, [rng.standard_normal((T, N, E)), rng.standard_normal((S, N, E))],
                 {"tgt_mask": _causal(T), "memory_key_padding_mask": _padding(N, S, [5, 5, 1])})


@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_parity(batch_first, rng):
    S, T, N, E = 6, 4, 2, 8
    kw = {"d_model": E, "nhead": 2, "num_encoder_layers": 2, "num_decoder_layers": 2,
          "dim_feedforward": 16, "batch_first": batch_first}
    t, g = tnn.Transformer(**kw), nn.Transformer(**kw)
    shape = (lambda L: (N, L, E)) if batch_first else (lambda L: (L, N, E))
    layer_parity(t, g, [rng.standard_normal(shape(S)), rng.standard_normal(shape(T))], {
        "tgt_mask": nn.Transformer.generate_square_subsequent_mask(T).numpy().astype(np.float64),
        "src_key_padding_mask": _padding(N, S, [6, 4]),
        "memory_key_padding_mask": _padding(N, S, [6, 4])})


def test_transformer_float32_train_step_matches(rng):
    """A small sequence model: same loss and same parameter gradients in float32."""
    S, T, N, E = 5, 5, 2, 8
    t = tnn.Transformer(E, 2, 1, 1, 16, dropout=0.0)
    g = nn.Transformer(E, 2, 1, 1, 16, dropout=0.0)
    copy_state(t, g)
    src, tgt = rng.standard_normal((S, N, E)), rng.standard_normal((T, N, E))
    mask = _causal(T)
    to = t(torch.tensor(src, dtype=torch.float32), torch.tensor(tgt, dtype=torch.float32),
           tgt_mask=torch.tensor(mask))
    go = g(gn.tensor(src, dtype=gn.float32), gn.tensor(tgt, dtype=gn.float32),
           tgt_mask=gn.tensor(mask))
    tl, gl = (to ** 2).mean(), (go ** 2).mean()
    assert_close(gl, tl, 1e-4, 1e-5)
    tl.backward()
    gl.backward()
    tp = dict(t.named_parameters())
    for name, p in g.named_parameters():
        assert p.grad.dtype == np.float32
        assert_close(p.grad, tp[name].grad, 1e-4, 1e-5, name)


def test_nested_fast_path_zeros_padding(rng):
    """PyTorch's eval + no_grad + batch_first + padding mask path returns zeros at padded
    positions (nested tensors drop them); glassnet gives the same numbers."""
    E = 8
    te = tnn.TransformerEncoder(tnn.TransformerEncoderLayer(E, 2, 16, batch_first=True), 2)
    ge = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, 2, 16, batch_first=True), 2)
    copy_state(te, ge)
    te.eval()
    ge.eval()
    x = rng.standard_normal((3, 5, E)).astype(np.float32)
    kpm = _padding(3, 5, [5, 2, 4])
    with torch.no_grad():
        to = te(torch.tensor(x), src_key_padding_mask=torch.tensor(kpm))
    with gn.no_grad():
        go = ge(gn.tensor(x), src_key_padding_mask=gn.tensor(kpm))
    assert_close(go, to, 1e-4, 1e-5)
    assert not go.numpy()[1, 2:].any()
    # with gradients (or in training), padded positions are computed as usual
    layer_parity(te, ge, [x.astype(np.float64)], {"src_key_padding_mask": kpm})


def test_fused_inference_fully_padded_sequence(rng):
    """A sequence that is all padding: PyTorch's fused inference layer gives NaN (a plain
    softmax), its nested-tensor encoder zeros, and with gradients the safe softmax's zeros
    pass through the layer; glassnet follows each."""
    E = 8
    tl = tnn.TransformerEncoderLayer(E, 2, 16, batch_first=True)
    gl = nn.TransformerEncoderLayer(E, 2, 16, batch_first=True)
    te = tnn.TransformerEncoder(tnn.TransformerEncoderLayer(E, 2, 16, batch_first=True), 1)
    ge = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, 2, 16, batch_first=True), 1)
    for t, g in ((tl, gl), (te, ge)):
        copy_state(t, g)
        t.eval()
        g.eval()
    x = rng.standard_normal((2, 4, E)).astype(np.float32)
    kpm = np.array([[False] * 4, [True] * 4])
    for t, g, kw in ((tl, gl, "src_key_padding_mask"), (te, ge, "src_key_padding_mask")):
        with torch.no_grad():
            to = t(torch.tensor(x), **{kw: torch.tensor(kpm)})
        with gn.no_grad():
            go = g(gn.tensor(x), **{kw: gn.tensor(kpm)})
        assert_close(go, to)
    with gn.no_grad():
        assert np.isnan(gl(gn.tensor(x), src_key_padding_mask=gn.tensor(kpm)).numpy()[1]).all()
    layer_parity(tl, gl, [x.astype(np.float64)], {"src_key_padding_mask": kpm})


def test_layout_masks_and_init():
    t, g = tnn.Transformer(8, 2, 2, 1, 16), nn.Transformer(8, 2, 2, 1, 16)
    assert list(g.state_dict()) == list(t.state_dict())
    assert [tuple(v.shape) for v in g.state_dict().values()] == \
        [tuple(v.shape) for v in t.state_dict().values()]
    for name, p in g.named_parameters():  # xavier_uniform_ on every matrix
        if p.ndim > 1:
            fan_out, fan_in = p.shape[0], p.shape[1]
            assert np.abs(p.detach().numpy()).max() <= np.sqrt(6.0 / (fan_in + fan_out)), name
    m = nn.Transformer.generate_square_subsequent_mask(4)
    assert m.dtype == np.float32
    np.testing.assert_array_equal(m.numpy(), tnn.Transformer.generate_square_subsequent_mask(4))
    assert g.encoder.layers[0].activation_relu_or_gelu == 1
    assert nn.TransformerEncoderLayer(8, 2, activation=nn.GELU()).activation_relu_or_gelu == 2
    assert nn.TransformerEncoderLayer(8, 2, activation=F.silu).activation_relu_or_gelu == 0
    with pytest.raises(RuntimeError, match="relu/gelu"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    with pytest.raises(RuntimeError, match="d_model"):
        g(gn.randn(3, 2, 6), gn.randn(3, 2, 6))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2), 1)
    assert any("batch_first was not True" in str(x.message) for x in w)


def test_dropout_only_in_training():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    x = gn.randn(4, 2, 8)
    a, b = layer(x), layer(x)
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(x).detach().numpy(), layer(x).detach().numpy())


def test_torch_weights_load_into_layer_with_activation_callable(rng):
    """A plain callable activation (no module) works and the state_dict is unaffected."""
    t = tnn.TransformerEncoderLayer(8, 2, 16, activation=TF.silu)
    g = nn.TransformerEncoderLayer(8, 2, 16, activation=F.silu)
    layer_parity(t, g, [rng.standard_normal((3, 2, 8))])
