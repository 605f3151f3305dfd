"""F.rms_norm against PyTorch, and the attention-era layers PyTorch users reach for all exist."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF
from helpers import FLOAT_DTYPES, assert_close, check_parity, gradcheck
from nn_helpers import module_parity

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape,ns", [((3, 4), (4,)), ((2, 3, 4), (3, 4)), ((5,), [5])])
@pytest.mark.parametrize("eps", [None, 1e-3])
def test_rms_norm_parity(shape, ns, eps, dtype, rng):
    x = rng.standard_normal(shape)
    w = rng.standard_normal((ns,) if isinstance(ns, int) else tuple(ns))
    check_parity(lambda x, w: F.rms_norm(x, ns, w, eps), lambda x, w: TF.rms_norm(x, ns, w, eps),
                 [x, w], dtype=dtype)
    check_parity(lambda x: F.rms_norm(x, ns, eps=eps), lambda x: TF.rms_norm(x, ns, eps=eps),
                 [x], dtype=dtype)


def test_rms_norm_gradcheck_layer_and_errors(rng):
    gradcheck(lambda x, w: F.rms_norm(x, (3, 4), w), [rng.standard_normal((2, 3, 4)),
                                                      rng.standard_normal((3, 4))])
    module_parity(nn.RMSNorm(4), tnn.RMSNorm(4), [rng.standard_normal((3, 4))])
    x = gn.randn(2, 5)
    assert_close(nn.RMSNorm(5, eps=1e-3)(x), F.rms_norm(x, 5, gn.ones(5), 1e-3))
    with pytest.raises(RuntimeError, match=r"rms_norm: given normalized_shape=\[4\]"):
        F.rms_norm(x, 4)


def test_threshold_parity(rng):
    x = rng.standard_normal((3, 5))
    x[np.abs(x - 0.1) < 1e-3] = 0.5  # keep away from the kink
    module_parity(nn.Threshold(0.1, 20.0), tnn.Threshold(0.1, 20.0), [x])
    check_parity(lambda x: F.threshold(x, 0.1, -1.0), lambda x: TF.threshold(x, 0.1, -1.0), [x])
    gradcheck(lambda x: F.threshold(x, 0.1, -1.0), [x])
    assert repr(nn.Threshold(0.1, 20.0)) == repr(tnn.Threshold(0.1, 20.0))


FAMILY = ["MultiheadAttention", "Transformer", "TransformerEncoder", "TransformerDecoder",
          "TransformerEncoderLayer", "TransformerDecoderLayer", "LazyLinear", "LazyConv1d",
          "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d",
          "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d",
          "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d",
          "UninitializedParameter", "UninitializedBuffer", "EmbeddingBag", "Embedding",
          "RMSNorm", "GLU", "Mish", "Hardswish", "Hardsigmoid", "SiLU", "Softmin", "Softmax2d",
          "LogSigmoid", "Threshold", "Tanhshrink", "Softsign", "CELU", "SELU", "PReLU",
          "Identity", "Bilinear"]
FUNCTIONAL = ["scaled_dot_product_attention", "multi_head_attention_forward", "embedding_bag",
              "rms_norm", "glu", "mish", "hardswish", "hardsigmoid", "silu", "softmin",
              "logsigmoid", "threshold", "tanhshrink", "softsign", "celu", "selu", "prelu",
              "bilinear"]


def test_family_exists_with_torch_names():
    for name in FAMILY:
        assert hasattr(tnn, name), name  # the list itself is PyTorch's
        assert hasattr(nn, name), f"glassnet.nn.{name} is missing"
    for name in FUNCTIONAL:
        assert hasattr(TF, name), name
        assert hasattr(F, name), f"glassnet.nn.functional.{name} is missing"


@pytest.mark.parametrize("name,args", [("GLU", ()), ("Softmin", (1,)), ("Softmax2d", ()),
                                       ("LogSigmoid", ()), ("Tanhshrink", ()), ("Softsign", ()),
                                       ("CELU", (0.7,)), ("SELU", ()), ("Mish", ()),
                                       ("Hardswish", ()), ("Hardsigmoid", ()), ("SiLU", ())])
def test_family_layers_match_torch(name, args, rng):
    x = rng.uniform(-4, 4, (2, 4, 3, 2))
    module_parity(getattr(nn, name)(*args), getattr(tnn, name)(*args), [x], np.float64)
    assert repr(getattr(nn, name)(*args)) == repr(getattr(tnn, name)(*args))


def test_prelu_identity_bilinear_match_torch(rng):
    module_parity(nn.PReLU(3), tnn.PReLU(3), [rng.standard_normal((2, 3, 4))])
    module_parity(nn.Identity(), tnn.Identity(), [rng.standard_normal((2, 3))])
    module_parity(nn.Bilinear(3, 2, 4), tnn.Bilinear(3, 2, 4),
                  [rng.standard_normal((5, 3)), rng.standard_normal((5, 2))])
    assert tuple(nn.Bilinear(3, 2, 4).weight.shape) == (4, 3, 2)
    assert gn.is_tensor(nn.Identity(54, unused="x")(gn.ones(1)))
    _ = torch  # the reference library is the parity partner above
