"""fuse_conv_bn_eval and fuse_linear_bn_eval against torch.nn.utils."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from nn_helpers import module_pair

import glassnet as gn
import glassnet.nn as gnn
import glassnet.nn.utils as gu


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("transpose", [False, True])
def test_fuse_conv_bn_eval_matches_torch(bias, transpose):
    if transpose:
        g, t = module_pair(lambda: gnn.ConvTranspose2d(2, 3, 3, bias=bias),
                     lambda: torch.nn.ConvTranspose2d(2, 3, 3, bias=bias))
    else:
        g, t = module_pair(lambda: gnn.Conv2d(2, 3, 3, bias=bias),
                     lambda: torch.nn.Conv2d(2, 3, 3, bias=bias))
    gbn, tbn = module_pair(lambda: gnn.BatchNorm2d(3), lambda: torch.nn.BatchNorm2d(3), seed=1)
    rng = np.random.default_rng(2)
    for name, v in [("running_mean", rng.standard_normal(3)), ("running_var", rng.random(3) + 0.5),
                    ("weight", rng.standard_normal(3)), ("bias", rng.standard_normal(3))]:
        getattr(gbn, name)._data[...] = v
        with torch.no_grad():
            getattr(tbn, name).copy_(torch.tensor(v))
    for m in (g, t, gbn, tbn):
        m.eval()
    gf = gu.fuse_conv_bn_eval(g, gbn, transpose=transpose)
    tf = torch.nn.utils.fuse_conv_bn_eval(t, tbn, transpose=transpose)
    assert gf is not g and type(gf) is type(g)
    for k, v in tf.state_dict().items():
        np.testing.assert_allclose(gf.state_dict()[k]._data, v.numpy(), rtol=1e-12, err_msg=k)
    assert gf.bias.requires_grad == tf.bias.requires_grad
    x = rng.standard_normal((2, 2, 5, 5))
    np.testing.assert_allclose(gf(gn.tensor(x))._data, gbn(g(gn.tensor(x)))._data, rtol=1e-9,
                               atol=1e-12)
    g.train()
    with pytest.raises(AssertionError, match="Fusion only for eval"):
        gu.fuse_conv_bn_eval(g, gbn)


def test_fuse_linear_bn_eval_matches_torch():
    g, t = module_pair(lambda: gnn.Linear(4, 3), lambda: torch.nn.Linear(4, 3))
    gbn, tbn = module_pair(lambda: gnn.BatchNorm1d(3), lambda: torch.nn.BatchNorm1d(3), seed=1)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((16, 4))
    gbn(g(gn.tensor(x)))      # training batches move the running statistics
    tbn(t(torch.tensor(x)))
    for m in (g, t, gbn, tbn):
        m.eval()
    gf, tf = gu.fuse_linear_bn_eval(g, gbn), torch.nn.utils.fuse_linear_bn_eval(t, tbn)
    for k, v in tf.state_dict().items():
        np.testing.assert_allclose(gf.state_dict()[k]._data, v.numpy(), rtol=1e-10, err_msg=k)
    with pytest.raises(AssertionError, match="To fuse"):
        gu.fuse_linear_bn_eval(g, gnn.BatchNorm1d(5).double().eval())
