"""``gradcheck`` and ``gradgradcheck`` (glassnet/autograd/gradcheck.py): they pass on right
derivatives (float64, first and second order) and report a wrong one."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as GF
from glassnet.autograd import Function

from ._util import G


def test_gradcheck(rng):
    x = gn.tensor(rng.standard_normal(5), requires_grad=True)
    assert gn.autograd.gradcheck(G[0].apply, (x,))
    assert gn.autograd.gradcheck(lambda t: (t.tanh() * t).sum(1), gn.tensor(
        rng.standard_normal((2, 3)), requires_grad=True))

    class Wrong(Function):
        @staticmethod
        def forward(ctx, x):
            return x ** 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    assert gn.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False) is False
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        gn.autograd.gradcheck(Wrong.apply, (x,))


@pytest.mark.parametrize("fn", [
    lambda x, w: (x.tanh() @ w).sigmoid(),
    lambda x, w: GF.softmax(x @ w, 1).log(),
    lambda x, w: GF.layer_norm(x, (4,)) * w.sum(),
    lambda x, w: (x ** 3).sum(1, keepdim=True) / (w * w + 1).sum(),
    lambda x, w: GF.gelu(x).norm(dim=1) + GF.elu(x).var(),
    lambda x, w: GF.cross_entropy(x @ w, gn.tensor([0, 2, 1])),
], ids=["tanh_matmul_sigmoid", "softmax_log", "layer_norm", "pow_div", "gelu_norm_var", "ce"])
def test_gradgradcheck_float64(fn):
    r = np.random.default_rng(1)
    x = gn.tensor(r.standard_normal((3, 4)), requires_grad=True)
    w = gn.tensor(r.standard_normal((4, 3)), requires_grad=True)
    assert gn.autograd.gradgradcheck(fn, (x, w))


def test_gradgradcheck_reports_a_wrong_second_derivative():
    class Bad(gn.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x.detach() ** 2  # detached: the second derivative is lost

    x = gn.tensor([0.5, -1.0, 2.0], dtype=gn.float64, requires_grad=True)
    assert gn.autograd.gradcheck(Bad.apply, (x,))
    assert not gn.autograd.gradgradcheck(Bad.apply, (x,), raise_exception=False)
