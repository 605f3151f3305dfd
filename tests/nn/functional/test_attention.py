"""scaled_dot_product_attention against PyTorch: outputs and every input gradient
(``check_parity``) and a float64 finite-difference gradient check over a grid of shapes and masks;
dropout and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch.nn.functional as TF
from helpers import FLOAT_DTYPES, check_parity, gradcheck

import glassnet as gn
import glassnet.nn.functional as F


def _sdpa(**kw):
    def g(q, k, v, *mask):
        return F.scaled_dot_product_attention(q, k, v, *mask, **kw)

    def t(q, k, v, *mask):
        return TF.scaled_dot_product_attention(q, k, v, *mask, **kw)

    return g, t


SDPA_CASES = [
    # (q shape, k shape, v shape, mask kind, kwargs)
    ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7), None, {}),
    ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7), "bool", {}),
    ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7), "bool_bcast", {}),
    ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7), "float", {}),
    ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7), None, {"is_causal": True}),
    ((2, 6, 5), (2, 4, 5), (2, 4, 3), None, {"is_causal": True}),
    ((4, 5), (6, 5), (6, 5), None, {"scale": 0.3}),
    ((2, 4, 3, 5), (2, 2, 6, 5), (2, 2, 6, 5), None, {"enable_gqa": True}),
    ((1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4), "bool_dead_row", {}),
    ((1, 2, 3, 4), (1, 2, 5, 4), (1, 2, 5, 4), "float_dead_row", {}),
]


def _mask(kind, rng, L, S):
    if kind is None:
        return []
    if kind == "bool":
        m = rng.random((L, S)) > 0.3
        m[:, 0] = True
        return [m]
    if kind == "bool_bcast":
        m = rng.random((2, 1, L, S)) > 0.3
        m[..., 0] = True
        return [m]
    if kind == "float":
        return [rng.standard_normal((L, S))]
    m = np.ones((L, S), dtype=bool)
    m[1] = False  # query 1 may attend to nothing
    if kind == "bool_dead_row":
        return [m]
    return [np.where(m, 0.0, -np.inf)]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("case", range(len(SDPA_CASES)))
def test_sdpa_parity(case, dtype, rng):
    qs, ks, vs, kind, kw = SDPA_CASES[case]
    inputs = [rng.standard_normal(qs), rng.standard_normal(ks), rng.standard_normal(vs)]
    inputs += _mask(kind, rng, qs[-2], ks[-2])
    grad = [0, 1, 2] if kind != "float" else None  # a float mask gets a gradient too
    g, t = _sdpa(**kw)
    out, _ = check_parity(g, t, inputs, dtype=dtype, grad_inputs=grad)
    if kind and "dead" in kind:
        assert not np.isnan(out[0].detach().numpy()).any()
        assert np.all(out[0].detach().numpy()[:, :, 1] == 0)


@pytest.mark.parametrize("case", [0, 3, 4, 5, 7, 8])
def test_sdpa_gradcheck(case, rng):
    qs, ks, vs, kind, kw = SDPA_CASES[case]
    inputs = [rng.standard_normal(qs), rng.standard_normal(ks), rng.standard_normal(vs)]
    inputs += _mask(kind, rng, qs[-2], ks[-2])
    gradcheck(_sdpa(**kw)[0], inputs, grad_inputs=[0, 1, 2])


def test_sdpa_dropout_and_errors():
    q = gn.randn(2, 3, 4)
    assert np.all(F.scaled_dot_product_attention(q, q, q, dropout_p=1.0).numpy() == 0)
    # dropout keeps the expectation: E[output] over many draws approaches the dropout-free one
    gn.manual_seed(0)
    v = gn.ones(1, 50, 4)
    x = gn.randn(1, 50, 4)
    out = F.scaled_dot_product_attention(x, x, v, dropout_p=0.5)
    assert abs(float(out.mean().item()) - 1.0) < 0.2
    with pytest.raises(RuntimeError, match="attn_mask should not be set when is_causal"):
        F.scaled_dot_product_attention(q, q, q, gn.ones(4, 4, dtype=gn.bool), is_causal=True)
    with pytest.raises(RuntimeError, match="same dtype"):
        F.scaled_dot_product_attention(q, q.double(), q)
    with pytest.raises(RuntimeError, match="last dimension"):
        F.scaled_dot_product_attention(q, gn.randn(2, 3, 5), gn.randn(2, 3, 5))
