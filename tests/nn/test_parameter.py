"""nn.Parameter, and the lazy placeholders that nn.parameter holds."""

from __future__ import annotations

import glassnet as gn
import glassnet.nn as nn


def test_parameter_is_a_tensor_that_requires_grad():
    p = nn.Parameter(gn.zeros(2))
    assert isinstance(p, gn.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p) == "Parameter containing:\ntensor([0., 0.], requires_grad=True)"
    t = gn.ones(3)
    assert nn.Parameter(t)._data is t._data  # shares the array, like PyTorch
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    assert type(p * 2) is gn.Tensor  # ops on a Parameter give plain tensors


def test_parameter_module_holds_the_lazy_placeholders():
    from glassnet.nn import parameter

    p = parameter.UninitializedParameter()
    assert parameter.is_lazy(p) and isinstance(p, nn.Parameter)
    assert nn.UninitializedParameter is parameter.UninitializedParameter
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and tuple(p.shape) == (2, 3)


def test_empty_param_rejects_a_negative_dimension():
    import pytest

    from glassnet.nn.parameter import empty_param
    assert empty_param((2, 0)).shape == (2, 0)
    with pytest.raises(RuntimeError, match=r"PReLU: weight shape must be non-negative .*"
                                           r"negative dimension -1: \[-1\]"):
        empty_param((-1,), op="PReLU", name="weight shape")


def test_parameter_wraps_a_sparse_tensor_as_pytorch_does(rng):
    """Parameter(sparse) is a Parameter of the sparse layout: it shares the storage, is
    registered by modules, gets a sparse gradient on its pattern, and copies and pickles as a
    Parameter."""
    import copy
    import pickle
    import warnings

    import numpy as np
    import torch

    warnings.filterwarnings("ignore", "Sparse CSR tensor support is in beta")
    a = rng.standard_normal((4, 3)) * (rng.random((4, 3)) < 0.5)
    x, w = rng.standard_normal((3, 2)), rng.standard_normal((4, 2))
    for to_sparse in (lambda t: t.to_sparse(), lambda t: t.to_sparse_csr()):
        s, ts = to_sparse(gn.tensor(a)), to_sparse(torch.tensor(a))
        p, tp = nn.Parameter(s), torch.nn.Parameter(ts)
        assert isinstance(p, nn.Parameter) and isinstance(p, gn.Tensor)
        assert p.layout is s.layout and p.requires_grad and p.is_leaf and not s.requires_grad
        assert np.shares_memory(p.detach().values().numpy(), s.values().numpy())
        assert repr(p).startswith("Parameter containing:\ntensor(") and "requires_grad=True" in \
            repr(p)
        assert not nn.Parameter(s, requires_grad=False).requires_grad
        m, tm = nn.Module(), torch.nn.Module()
        m.adj, tm.adj = p, tp
        assert [n for n, _ in m.named_parameters()] == ["adj"]
        (gn.sparse.mm(m.adj, gn.tensor(x)) * gn.tensor(w)).sum().backward()
        (torch.sparse.mm(tm.adj, torch.tensor(x)) * torch.tensor(w)).sum().backward()
        assert p.grad.layout is p.layout
        np.testing.assert_allclose(p.grad.to_dense().numpy(), tp.grad.to_dense().numpy(),
                                   rtol=1e-12)
        for c in (copy.deepcopy(m).adj, pickle.loads(pickle.dumps(m)).adj):
            assert isinstance(c, nn.Parameter) and c.layout is p.layout and c.requires_grad
            assert not np.shares_memory(c.detach().values().numpy(), s.values().numpy())
            np.testing.assert_array_equal(c.detach().to_dense().numpy(), a)
        m.zero_grad()
        assert p.grad is None
