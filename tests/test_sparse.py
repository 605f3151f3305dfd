"""``glassnet.sparse`` (glassnet/sparse.py) against ``torch.sparse``: mm / addmm / sum / softmax /
log_softmax with their gradients, a float64 finite-difference check, errors for dense inputs,
and a graph-convolution layer written the way tutorials write it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet.autograd import gradcheck

pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks")


def _sparse(rng, shape, nnz, dense=(), dups=True):
    ind = np.stack([rng.integers(0, s, nnz) for s in shape]).astype(np.int64)
    if dups:
        ind[:, -1] = ind[:, 0]
    vals = rng.standard_normal((nnz,) + dense)
    gv, tv = gn.tensor(vals, requires_grad=True), torch.tensor(vals, requires_grad=True)
    size = tuple(shape) + dense
    return (gn.sparse_coo_tensor(ind, gv, size), torch.sparse_coo_tensor(torch.tensor(ind), tv,
                                                                          size), gv, tv)


def _close(a, b, tol=1e-10):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("dim, dense", [(0, ()), (1, ()), (-1, ()), (1, (2,)), (2, (2,))])
def test_softmax_over_stored_entries_matches_torch(rng, log, dim, dense):
    g, t, gv, tv = _sparse(rng, (4, 5), 12, dense)
    fg = gn.sparse.log_softmax if log else gn.sparse.softmax
    ft = torch.sparse.log_softmax if log else torch.sparse.softmax
    go, to = fg(g, dim), ft(t, dim)
    assert go.is_sparse and go.is_coalesced()
    np.testing.assert_array_equal(go.indices().numpy(), to.coalesce().indices().numpy())
    _close(go.values(), to.coalesce().values())
    # PyTorch 2.13's backward of a sparse softmax along a negative dim is wrong (the gradient of
    # a row does not sum to zero), so its reference gradient comes from the same positive dim
    to = ft(t, dim % t.ndim)
    u = rng.standard_normal(go.values().shape)
    (go.values() * gn.tensor(u)).sum().backward()
    (to.coalesce().values() * torch.tensor(u)).sum().backward()
    _close(gv.grad, tv.grad)


def test_softmax_gradcheck_float64(rng):
    ind = np.array([[0, 0, 1, 2, 2, 2], [0, 3, 1, 0, 1, 3]])
    v = gn.tensor(rng.standard_normal(6), requires_grad=True)
    assert gradcheck(lambda v: gn.sparse.softmax(gn.sparse_coo_tensor(ind, v, (3, 4)), 1)
                     .values(), (v,))
    assert gradcheck(lambda v: gn.sparse.log_softmax(gn.sparse_coo_tensor(ind, v, (3, 4)), 0)
                     .values(), (v,))


def test_mm_addmm_sum_match_torch(rng):
    g, t, gv, tv = _sparse(rng, (6, 4), 10)
    x = rng.standard_normal((4, 3))
    c = rng.standard_normal((6, 3))
    gx, tx = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    outs = [(gn.sparse.mm(g, gx), torch.sparse.mm(t, tx)),
            (gn.sparse.addmm(gn.tensor(c), g, gx, beta=0.5, alpha=3.0),
             torch.sparse.addmm(torch.tensor(c), t, tx, beta=0.5, alpha=3.0)),
            (gn.sparse.sum(g), torch.sparse.sum(t)),
            (gn.sparse.sum(g, 1).to_dense(), torch.sparse.sum(t, 1).to_dense())]
    for go, to in outs:
        _close(go, to)
    sum((go ** 2).sum() for go, _ in outs).backward()
    sum((to ** 2).sum() for _, to in outs).backward()
    _close(gv.grad, tv.grad)
    _close(gx.grad, tx.grad)


@pytest.mark.parametrize("call, err, match", [
    (lambda d: gn.sparse.sum(d), RuntimeError,
     "sparse.sum expected sparse coordinate tensor layout but got Strided"),
    (lambda d: gn.sparse.softmax(d, 1), RuntimeError, "sparse.softmax expected sparse"),
    (lambda d: gn.sparse.addmm(d, d, d), RuntimeError, "sparse.addmm expected sparse"),
    (lambda d: gn.sparse.mm(d.to_sparse(), d, reduce="mean"), NotImplementedError,
     "reduce='mean' is for sparse CSR tensors"),
])
def test_errors_for_dense_inputs(call, err, match):
    with pytest.raises(err, match=match):
        call(gn.ones(3, 3))


def _gcn_graph(rng, n=12, e=30):
    """A random undirected graph with self loops and Kipf & Welling's normalisation
    D^-1/2 (A + I) D^-1/2, as (edge_index, weights)."""
    src, dst = rng.integers(0, n, e), rng.integers(0, n, e)
    a = np.zeros((n, n))
    a[src, dst] = a[dst, src] = 1
    a += np.eye(n)
    a = np.minimum(a, 1)
    d = a.sum(1) ** -0.5
    norm = d[:, None] * a * d[None, :]
    edge_index = np.stack(np.nonzero(norm))
    return edge_index, norm[tuple(edge_index)].astype(np.float32), norm.astype(np.float32)


@pytest.mark.parametrize("learn_edges", [False, True])
def test_gcn_layer_written_as_in_tutorials_matches_torch(rng, learn_edges):
    edge_index, w, dense_adj = _gcn_graph(rng)
    x = rng.standard_normal((12, 5)).astype(np.float32)
    W1 = rng.standard_normal((5, 8)).astype(np.float32) * 0.3
    W2 = rng.standard_normal((8, 3)).astype(np.float32) * 0.3
    labels = rng.integers(0, 3, 12)

    def run(lib):
        ew = lib.tensor(w, requires_grad=learn_edges)
        adj = lib.sparse_coo_tensor(lib.tensor(edge_index), ew, (12, 12))
        params = [lib.tensor(W1, requires_grad=True), lib.tensor(W2, requires_grad=True)]
        xin = lib.tensor(x, requires_grad=True)
        h = lib.relu(lib.sparse.mm(adj, xin @ params[0]))
        out = lib.sparse.mm(adj, h @ params[1])
        loss = lib.nn.functional.cross_entropy(out, lib.tensor(labels))
        loss.backward()
        return out, [xin, *params] + ([ew] if learn_edges else [])

    go, gts = run(gn)
    to, tts = run(torch)
    np.testing.assert_allclose(go.detach().numpy(), to.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(go.detach().numpy(), dense_adj @ np.maximum(
        dense_adj @ x @ W1, 0) @ W2, rtol=1e-4, atol=1e-5)
    for a, b in zip(gts, tts):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_gcn_layer_gradcheck_float64(rng):
    edge_index, w, _ = _gcn_graph(rng, n=6, e=8)
    adj = gn.sparse_coo_tensor(edge_index, w.astype(np.float64), (6, 6))
    x = gn.tensor(rng.standard_normal((6, 3)), requires_grad=True)
    W = gn.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    assert gradcheck(lambda x, W: gn.sparse.mm(adj, x @ W), (x, W))


def test_gcnconv_is_the_sparse_product(rng):
    """nn.GCNConv propagates with the same sparse-dense product: A_hat (x W^T) + b."""
    edge_index, _, dense_adj = _gcn_graph(rng)
    conv = gn.nn.GCNConv(5, 4)
    x = gn.tensor(rng.standard_normal((12, 5)).astype(np.float32))
    ei = edge_index[:, edge_index[0] != edge_index[1]]  # GCNConv adds the self loops itself
    out = conv(x, gn.tensor(ei)).detach().numpy()
    ref = dense_adj @ (x.numpy() @ conv.lin.weight.detach().numpy().T)
    np.testing.assert_allclose(out, ref + conv.bias.detach().numpy(), rtol=1e-4, atol=1e-5)
