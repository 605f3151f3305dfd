"""softmax, log_softmax, softmin and gumbel_softmax against PyTorch (values, gradients, float64
gradient checks), the stability that the max shift gives, and the Tensor methods."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import FLOAT_DTYPES, check_parity, gradcheck

import glassnet as gn
import glassnet.nn.functional as F
from glassnet import backend


@pytest.mark.parametrize("fn", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_softmax_parity(fn, dtype, rng):
    for shape, dim in [((4, 5), 1), ((4, 5), 0), ((2, 3, 4), -1), ((2, 3, 4), 1), ((7,), 0)]:
        x = rng.standard_normal(shape) * 3
        check_parity(lambda t: getattr(F, fn)(t, dim), lambda t: getattr(TF, fn)(t, dim), [x],
                     dtype=dtype)
        gradcheck(lambda t: getattr(F, fn)(t, dim), [x])


def test_softmax_lecture_example_is_stable():
    # e^10000 overflows any float; shifting by the max makes the computation exact.
    x = np.array([21.0, 34.0, 10000.0, 680.0], np.float32)
    check_parity(lambda t: F.softmax(t, 0), lambda t: TF.softmax(t, 0), [x])
    check_parity(lambda t: F.log_softmax(t, 0), lambda t: TF.log_softmax(t, 0), [x])
    p = F.softmax(gn.tensor(x), 0).numpy()
    assert np.isfinite(p).all() and p[2] == 1.0
    lp = F.log_softmax(gn.tensor(x), 0).numpy()
    np.testing.assert_allclose(lp, [21 - 10000, 34 - 10000, 0, 680 - 10000], rtol=1e-6)


@pytest.mark.parametrize("c", [-1000.0, -3.5, 0.0, 7.25, 1e4])
def test_softmax_shift_invariance(c, rng):
    x = rng.standard_normal((3, 5)).astype(np.float64) * 4
    a = F.softmax(gn.tensor(x, dtype=gn.float64), 1).numpy()
    b = F.softmax(gn.tensor(x + c, dtype=gn.float64), 1).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    la = F.log_softmax(gn.tensor(x, dtype=gn.float64), 1).numpy()
    lb = F.log_softmax(gn.tensor(x + c, dtype=gn.float64), 1).numpy()
    np.testing.assert_allclose(la, lb, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(a.sum(1), 1.0, rtol=1e-12)


def test_softmax_implicit_dim_and_dtype():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    with pytest.warns(UserWarning):
        out = F.softmax(gn.tensor(x))
    with pytest.warns(UserWarning):
        ref = TF.softmax(torch.tensor(x))
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6)
    assert F.softmax(gn.tensor(x), 1, dtype=gn.float64).dtype == gn.float64
    with pytest.raises(IndexError, match="dim"):
        F.softmax(gn.tensor(x), 2)


def test_tensor_softmax_methods(rng):
    x = rng.standard_normal((3, 4))
    check_parity(lambda t: t.softmax(1), lambda t: t.softmax(1), [x])
    check_parity(lambda t: t.log_softmax(dim=-1), lambda t: t.log_softmax(dim=-1), [x])
    check_parity(lambda t: gn.softmax(t, dim=0), lambda t: torch.softmax(t, dim=0), [x])


def test_gumbel_softmax_matches_pytorch_formula_given_the_noise(rng):
    logits = rng.standard_normal((4, 6))
    for dtype in FLOAT_DTYPES:
        for hard in (False, True):
            for tau, dim in ((1.0, -1), (0.5, 0)):
                gn.manual_seed(11)
                e = backend.rng().standard_exponential(logits.shape).astype(dtype)
                gn.manual_seed(11)

                def torch_fn(a, e=e, tau=tau, dim=dim, hard=hard):
                    y = ((a - torch.from_numpy(e).log()) / tau).softmax(dim)
                    if not hard:
                        return y
                    idx = y.max(dim, keepdim=True)[1]
                    onehot = torch.zeros_like(a).scatter_(dim, idx, 1.0)
                    return onehot - y.detach() + y

                check_parity(lambda a: F.gumbel_softmax(a, tau, hard, dim=dim), torch_fn,
                             [logits], dtype=dtype)


def test_gumbel_softmax_distribution_and_hard_samples():
    logits = np.log(np.array([0.1, 0.2, 0.7], dtype=np.float32))
    x = gn.tensor(np.broadcast_to(logits, (20000, 3)).copy())
    gn.manual_seed(0)
    y = F.gumbel_softmax(x, tau=0.5, hard=True)
    assert set(np.unique(y.numpy())) <= {0.0, 1.0}
    np.testing.assert_array_equal(y.numpy().sum(1), 1)
    freq = y.numpy().mean(0)  # argmax of logits + Gumbel noise samples softmax(logits)
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.7], atol=0.015)
    soft = F.gumbel_softmax(x[:5], tau=2.0)
    np.testing.assert_allclose(soft.numpy().sum(1), 1, rtol=1e-6)
    gn.manual_seed(5)
    a = F.gumbel_softmax(x[:5]).numpy()
    gn.manual_seed(5)
    np.testing.assert_array_equal(a, F.gumbel_softmax(x[:5]).numpy())
    with pytest.warns(UserWarning, match="deprecated"):
        F.gumbel_softmax(x[:2], eps=1e-5)
