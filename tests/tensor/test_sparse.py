"""Layouts and the sparse side of a dense Tensor (glassnet/tensor/sparse.py): ``layout``,
``is_sparse``, ``to_dense``/``sparse_dim``/``dense_dim`` on a dense tensor, ``sparse_mask``, and
PyTorch's errors for the queries only a sparse tensor answers."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

import glassnet as gn

pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks")


def test_layouts():
    x = gn.ones(2, 3)
    assert x.layout is gn.strided and not x.is_sparse
    assert x.to_sparse().layout is gn.sparse_coo and x.to_sparse().is_sparse
    assert repr(gn.strided) == "glassnet.strided" and repr(gn.sparse_coo) == "glassnet.sparse_coo"
    assert isinstance(gn.sparse_coo, gn.layout)
    assert pickle.loads(pickle.dumps(gn.sparse_coo)) is gn.sparse_coo
    assert isinstance(x.to_sparse(), gn.Tensor)


def test_dense_answers_like_torch():
    g, t = gn.ones(2, 3), torch.ones(2, 3)
    assert g.to_dense() is g and g.to_dense(gn.float64).dtype == gn.float64
    assert (g.sparse_dim(), g.dense_dim()) == (t.sparse_dim(), t.dense_dim()) == (0, 2)
    for name in ("coalesce", "is_coalesced", "indices"):
        with pytest.raises(RuntimeError, match=f"{name} expected sparse coordinate tensor "
                           "layout but got Strided"):
            getattr(g, name)()
        with pytest.raises(RuntimeError, match=f"{name} expected sparse coordinate tensor "
                           "layout but got Strided"):
            getattr(t, name)()
    with pytest.raises(NotImplementedError, match="_nnz"):
        g._nnz()
    with pytest.raises(NotImplementedError, match="layout"):
        g.to_sparse(layout=gn.strided)


def test_sparse_mask_matches_torch(rng):
    x = rng.standard_normal((4, 3))
    ind = np.array([[0, 3, 1, 0], [2, 1, 1, 2]])
    gm = gn.sparse_coo_tensor(ind, np.ones(4), (4, 3))
    tm = torch.sparse_coo_tensor(torch.tensor(ind), torch.ones(4, dtype=torch.float64), (4, 3))
    gx, tx = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    go, to = gx.sparse_mask(gm), tx.sparse_mask(tm.coalesce())
    np.testing.assert_array_equal(go.indices().numpy(), to.indices().numpy())
    np.testing.assert_allclose(go.values().detach().numpy(), to.values().detach().numpy())
    go.values().sum().backward()
    to.values().sum().backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy())
    with pytest.raises(RuntimeError, match="mask must be a sparse COO or CSR tensor"):
        gx.sparse_mask(gx)
