"""The smooth activations (elu, selu, celu, gelu, silu, mish, softplus, sigmoid, tanh,
logsigmoid, softsign, tanhshrink, glu) against PyTorch: values and gradients, float64 gradient
checks, large inputs, and the in-place forms."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import FLOAT_DTYPES, away_from, check_parity, gradcheck

import glassnet as gn
import glassnet.nn.functional as F

# (name, glassnet fn, torch fn, kinks to keep inputs away from)
CASES = [
    ("elu", lambda x: F.elu(x, 0.7), lambda x: TF.elu(x, 0.7), (0.0,)),
    ("selu", F.selu, TF.selu, (0.0,)),
    ("celu", lambda x: F.celu(x, 1.3), lambda x: TF.celu(x, 1.3), (0.0,)),
    ("gelu", F.gelu, TF.gelu, ()),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"),
     lambda x: TF.gelu(x, approximate="tanh"), ()),
    ("silu", F.silu, TF.silu, ()),
    ("mish", F.mish, TF.mish, ()),
    ("sigmoid", F.sigmoid, torch.sigmoid, ()),
    ("tanh", F.tanh, torch.tanh, ()),
    ("softplus", F.softplus, TF.softplus, ()),
    ("softplus_beta", lambda x: F.softplus(x, beta=2.0, threshold=3.0),
     lambda x: TF.softplus(x, beta=2.0, threshold=3.0), (1.5,)),
    ("softsign", F.softsign, TF.softsign, (0.0,)),
    ("logsigmoid", F.logsigmoid, TF.logsigmoid, ()),
    ("tanhshrink", F.tanhshrink, TF.tanhshrink, ()),
    ("glu", lambda x: F.glu(x, -1), lambda x: TF.glu(x, -1), ()),
]
SHAPES = [(4, 6), (2, 3, 4), (6,)]


@pytest.mark.parametrize("name,gfn,tfn,kinks", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_activation_parity(name, gfn, tfn, kinks, dtype, rng):
    for shape in SHAPES:
        x = away_from(rng, shape, kinks, margin=0.02) * 2
        check_parity(gfn, tfn, [x], dtype=dtype)


@pytest.mark.parametrize("name,gfn,tfn,kinks", CASES, ids=[c[0] for c in CASES])
def test_activation_gradcheck(name, gfn, tfn, kinks, rng):
    x = away_from(rng, (3, 4), kinks, margin=0.02) * 2
    gradcheck(gfn, [x])


def test_large_inputs_stay_finite():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], np.float32)
    for gfn, tfn in [(F.softplus, TF.softplus), (F.sigmoid, torch.sigmoid), (F.silu, TF.silu),
                     (F.logsigmoid, TF.logsigmoid), (F.elu, TF.elu), (F.mish, TF.mish)]:
        check_parity(gfn, tfn, [x])


@pytest.mark.parametrize("name,args", [("celu_", (0.7,)), ("selu_", ()), ("elu_", ())])
def test_inplace_functions(name, args, rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    g, t = gn.tensor(x.copy()), torch.tensor(x.copy())
    out_g = getattr(F, name)(g, *args)
    out_t = getattr(TF, name)(t, *args)
    assert out_g is g
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(out_g.numpy(), out_t.numpy(), rtol=1e-6, atol=1e-7)
    # in a graph, the result replaces the input, and the gradient is the activation's
    check_parity(lambda a: getattr(F, name)(a * 1.0, *args),
                 lambda a: getattr(TF, name)(a * 1.0, *args), [x])
