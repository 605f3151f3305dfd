"""nn.utils.stateless.functional_call against PyTorch's: replaced parameters and buffers,
gradients reaching the tensors passed in, tied weights, strict mode, and the module's own
tensors put back afterwards (also when the call raises)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.func import functional_call as t_call

import glassnet as gn
from glassnet.nn.utils.stateless import functional_call as g_call


class _Tied:
    """A tiny language-model head whose output weight is the embedding (tied)."""

    @staticmethod
    def build(nn):
        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = nn.Embedding(5, 3)
                self.out = nn.Linear(3, 5, bias=False)
                self.out.weight = self.emb.weight
                self.norm = nn.BatchNorm1d(3)

            def forward(self, idx):
                return self.out(self.norm(self.emb(idx)))

        return M()


def test_replaced_tensors_gradients_and_restore(rng):
    mt, mg = _Tied.build(torch.nn), _Tied.build(gn.nn)
    w = rng.standard_normal((5, 3)).astype(np.float32)
    mean = rng.standard_normal(3).astype(np.float32)
    idx = np.array([0, 3, 4, 1])
    wt = torch.tensor(w, requires_grad=True)
    wg = gn.tensor(w, requires_grad=True)
    for m in (mt, mg):
        m.eval()
    ot = t_call(mt, {"emb.weight": wt, "norm.running_mean": torch.tensor(mean)},
                (torch.tensor(idx),))
    og = g_call(mg, {"emb.weight": wg, "norm.running_mean": gn.tensor(mean)}, (gn.tensor(idx),))
    np.testing.assert_allclose(og.detach().numpy(), ot.detach().numpy(), rtol=1e-5, atol=1e-6)
    ot.pow(2).sum().backward()
    og.pow(2).sum().backward()
    np.testing.assert_allclose(wg.grad.numpy(), wt.grad.numpy(), rtol=1e-4, atol=1e-6)
    assert mg.emb.weight is mg.out.weight and mg.emb.weight is not wg  # its own put back
    assert mg.emb.weight.grad is None
    np.testing.assert_array_equal(mg.norm.running_mean.numpy(), np.zeros(3, np.float32))


def test_strict_errors_and_restore_on_exception():
    lin = gn.nn.Linear(2, 2)
    own = lin.weight
    with pytest.raises(RuntimeError, match="functional_call: with strict=True"):
        g_call(lin, {"weight": gn.zeros(2, 2)}, (gn.ones(1, 2),), strict=True)
    with pytest.raises(RuntimeError):
        g_call(lin, {"weight": gn.zeros(3, 3)}, (gn.ones(1, 2),))
    assert lin.weight is own
    with pytest.raises(ValueError, match="appears in more than one"):
        g_call(lin, ({"weight": own}, {"weight": own}), gn.ones(1, 2))
    out = g_call(lin, ({"weight": gn.zeros(2, 2)}, {"bias": gn.ones(2)}), gn.ones(1, 2),
                 strict=True)
    assert out.tolist() == [[1.0, 1.0]]
    assert gn.nn.utils.stateless.functional_call is g_call
