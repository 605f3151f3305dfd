"""``glassnet.sparse`` (glassnet/sparse.py) against ``torch.sparse``: mm / addmm / sum / softmax /
log_softmax with their gradients, the product of two sparse matrices (COO and CSR), mm with
``reduce`` and sampled_addmm on CSR tensors, float64 finite-difference checks, PyTorch's errors
(and refused backwards) for what it does not support, and a graph-convolution layer written the
way tutorials write it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet.autograd import gradcheck

pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks",
                                        "ignore:Sparse CSR tensor support is in beta")


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
    (lambda d: gn.sparse.mm(d.to_sparse(), d, reduce="mean"), NotImplementedError,
     "reduce='mean' needs a sparse CSR mat1"),
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


# ----------------------------------------------------------------------------- CSR and sparse @ sparse
def _matrix(rng, shape, density=0.4):
    a = rng.standard_normal(shape) * (rng.random(shape) < density)
    a[min(1, shape[0] - 1)] = 0  # an empty row
    return a


def _dense(x):
    x = x.detach()
    return (x.to_dense() if x.layout not in (gn.strided, torch.strided) else x).numpy()


def test_sparse_addmm_takes_csr_and_dense_mat1_like_torch(rng):
    a, x, c = _matrix(rng, (5, 4)), rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    for make in (lambda lib, a: lib.tensor(a).to_sparse_csr(), lambda lib, a: lib.tensor(a)):
        go = gn.sparse.addmm(gn.tensor(c), make(gn, a), gn.tensor(x), beta=0.5, alpha=2.0)
        to = torch.sparse.addmm(torch.tensor(c), make(torch, a), torch.tensor(x), beta=0.5,
                                alpha=2.0)
        _close(go, to)


@pytest.mark.parametrize("scipy", [True, False])
def test_coo_times_coo_matches_torch_with_gradients(rng, monkeypatch, scipy):
    from glassnet.ops import sparse as SP

    if not scipy:
        monkeypatch.setattr(SP, "_scipy_sparse", lambda: None)
    a, b = _matrix(rng, (5, 4)), _matrix(rng, (4, 6))
    ga, ta = gn.tensor(a).to_sparse().requires_grad_(), torch.tensor(a).to_sparse().requires_grad_()
    gb, tb = gn.tensor(b).to_sparse().requires_grad_(), torch.tensor(b).to_sparse().requires_grad_()
    go, to = gn.sparse.mm(ga, gb), torch.sparse.mm(ta, tb)
    assert go.layout is gn.sparse_coo and go.is_coalesced()
    np.testing.assert_array_equal(go.indices().numpy(), to.coalesce().indices().numpy())
    _close(go.values(), to.coalesce().values())
    _close(gn.mm(ga, gb).to_dense(), torch.mm(ta, tb).to_dense())
    _close((ga @ gb).to_dense(), (ta @ tb).to_dense())
    w = rng.standard_normal((5, 6))
    (go.to_dense() * gn.tensor(w)).sum().backward()
    (to.to_dense() * torch.tensor(w)).sum().backward()
    for g, t in ((ga, ta), (gb, tb)):
        np.testing.assert_array_equal(g.grad.indices().numpy(), t.grad.coalesce().indices().numpy())
        _close(g.grad.values(), t.grad.coalesce().values())
    # repeated positions in an operand add up first
    ind = np.array([[0, 0, 1], [1, 1, 0]])
    gu = gn.sparse_coo_tensor(ind, [1.0, 1.0, 1.0], (2, 2))
    tu = torch.sparse_coo_tensor(torch.tensor(ind), [1.0, 1.0, 1.0], (2, 2))
    gc = gn.sparse_coo_tensor([[0, 1], [1, 0]], [1.0, 4.0], (2, 2))
    tc = torch.sparse_coo_tensor([[0, 1], [1, 0]], [1.0, 4.0], (2, 2))
    _close(gn.sparse.mm(gu, gc).to_dense(), torch.sparse.mm(tu, tc).to_dense())


def test_sparse_times_sparse_gradcheck_float64(rng):
    a, b = _matrix(rng, (4, 3), 0.6), _matrix(rng, (3, 4), 0.6)
    ia, ib = np.stack(np.nonzero(a)), np.stack(np.nonzero(b))
    va = gn.tensor(a[np.nonzero(a)], requires_grad=True)
    vb = gn.tensor(b[np.nonzero(b)], requires_grad=True)

    def f(va, vb):
        return gn.sparse.mm(gn.sparse_coo_tensor(ia, va, (4, 3)),
                            gn.sparse_coo_tensor(ib, vb, (3, 4))).to_dense()

    assert gradcheck(f, (va, vb))


def test_csr_times_csr_matches_torch_and_refuses_backward(rng):
    a, b = _matrix(rng, (5, 4)), _matrix(rng, (4, 6))
    go = gn.sparse.mm(gn.tensor(a).to_sparse_csr(), gn.tensor(b).to_sparse_csr())
    to = torch.sparse.mm(torch.tensor(a).to_sparse_csr(), torch.tensor(b).to_sparse_csr())
    assert go.layout is gn.sparse_csr
    np.testing.assert_array_equal(go.crow_indices().numpy(), to.crow_indices().numpy())
    _close(go.to_dense(), to.to_dense())  # (PyTorch's columns within a row are unsorted)
    _close((gn.tensor(a).to_sparse_csr() @ gn.tensor(b).to_sparse_csr()).to_dense(),
           (torch.tensor(a).to_sparse_csr() @ torch.tensor(b).to_sparse_csr()).to_dense())
    ga = gn.tensor(a).to_sparse_csr().requires_grad_()
    ta = torch.tensor(a).to_sparse_csr().requires_grad_()
    out = gn.sparse.mm(ga, gn.tensor(b).to_sparse_csr())
    assert out.requires_grad
    with pytest.raises(RuntimeError, match="unsupported combination of layouts"):
        torch.sparse.mm(ta, torch.tensor(b).to_sparse_csr()).to_dense().sum().backward()
    with pytest.raises(RuntimeError, match="unsupported combination of layouts"):
        out.to_dense().sum().backward()
    # so does torch.sparse.mm(dense, csr) for the CSR operand (dense @ csr works)
    x = rng.standard_normal((2, 5))
    with pytest.raises(RuntimeError, match="unsupported combination of layouts"):
        torch.sparse.mm(torch.tensor(x), ta).sum().backward()
    with pytest.raises(RuntimeError, match="unsupported combination of layouts"):
        gn.sparse.mm(gn.tensor(x), ga).sum().backward()
    # mixed layouts are refused, as in PyTorch
    with pytest.raises(RuntimeError):
        torch.sparse.mm(torch.tensor(a).to_sparse(), torch.tensor(b).to_sparse_csr())
    with pytest.raises(RuntimeError, match="product of a sparse COO and a sparse CSR"):
        gn.sparse.mm(gn.tensor(a).to_sparse(), gn.tensor(b).to_sparse_csr())


@pytest.mark.parametrize("reduce", ["sum", "mean", "amax", "amin", "max", "min"])
def test_mm_with_reduce_matches_torch(rng, reduce):
    a, x, w = _matrix(rng, (6, 4)), rng.standard_normal((4, 3)), rng.standard_normal((6, 3))
    ga = gn.tensor(a).to_sparse_csr().requires_grad_()
    ta = torch.tensor(a).to_sparse_csr().requires_grad_()
    gx, tx = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    go, to = gn.sparse.mm(ga, gx, reduce), torch.sparse.mm(ta, tx, reduce)
    _close(go, to)
    (go * gn.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    _close(gx.grad, tx.grad)
    assert ga.grad.layout is gn.sparse_csr
    _close(ga.grad.values(), ta.grad.values())


@pytest.mark.parametrize("reduce", ["sum", "mean", "amax", "amin"])
def test_mm_with_reduce_gradcheck_float64(rng, reduce):
    a = _matrix(rng, (4, 3), 0.6)
    ref = gn.tensor(a).to_sparse_csr()
    crow, col = ref.crow_indices(), ref.col_indices()
    v = gn.tensor(ref.values().numpy(), requires_grad=True)
    x = gn.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    assert gradcheck(lambda v, x: gn.sparse.mm(gn.sparse_csr_tensor(crow, col, v, (4, 3)), x,
                                               reduce), (v, x))


@pytest.mark.parametrize("call, err, match", [
    (lambda lib, c, x: lib.sparse.mm(c.to_sparse(), x, "mean"), NotImplementedError,
     "needs a sparse CSR mat1"),
    (lambda lib, c, x: lib.sparse.mm(c.to_dense(), x, "sum"), NotImplementedError,
     "needs a sparse CSR mat1"),
    (lambda lib, c, x: lib.sparse.mm(c, x, "prod"), RuntimeError,
     "reduce type of prod has not been enabled"),
    (lambda lib, c, x: lib.sparse.mm(c, x, "foo"), RuntimeError,
     "reduce argument must be either sum, prod, mean, amax or amin, got foo"),
    (lambda lib, c, x: lib.sparse.mm(c, x[:2], "mean"), RuntimeError,
     r"Expected a tensor of dimension 2 and tensor.size\[0\] == 3"),
    (lambda lib, c, x: lib.sparse.mm(c, x.double(), "mean"), RuntimeError, "dtype"),
])
def test_mm_with_reduce_errors_match_torch(rng, call, err, match):
    a, x = _matrix(rng, (3, 3)).astype(np.float32), rng.standard_normal((3, 2)).astype(np.float32)
    with pytest.raises(err):
        call(torch, torch.tensor(a).to_sparse_csr(), torch.tensor(x))
    with pytest.raises(err, match=match):
        call(gn, gn.tensor(a).to_sparse_csr(), gn.tensor(x))


@pytest.mark.parametrize("shape", [(5, 4, 3), (5, 0, 3), (0, 4, 3), (5, 4, 0)])
def test_sampled_addmm_matches_torch_with_gradients(rng, shape):
    m, n, k = shape
    c = _matrix(rng, (m, n)) if m and n else np.zeros((m, n))
    x, y, w = rng.standard_normal((m, k)), rng.standard_normal((k, n)), rng.standard_normal((m, n))
    gc, tc = gn.tensor(c).to_sparse_csr().requires_grad_(), torch.tensor(c).to_sparse_csr()
    tc.requires_grad_()
    gx, tx = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gy, ty = gn.tensor(y, requires_grad=True), torch.tensor(y, requires_grad=True)
    go = gn.sparse.sampled_addmm(gc, gx, gy, beta=0.2, alpha=0.6)
    to = torch.sparse.sampled_addmm(tc, tx, ty, beta=0.2, alpha=0.6)
    assert go.layout is gn.sparse_csr
    np.testing.assert_array_equal(go.crow_indices().numpy(), to.crow_indices().numpy())
    np.testing.assert_array_equal(go.col_indices().numpy(), to.col_indices().numpy())
    _close(go.values(), to.values())
    (go.to_dense() * gn.tensor(w)).sum().backward()
    (to.to_dense() * torch.tensor(w)).sum().backward()
    _close(gx.grad, tx.grad)
    _close(gy.grad, ty.grad)
    _close(gc.grad.values(), tc.grad.values())
    # beta=0 leaves the input's values out
    _close(gn.sparse.sampled_addmm(gc, gx, gy, beta=0).values(),
           torch.sparse.sampled_addmm(tc, tx, ty, beta=0).values())


def test_sampled_addmm_gradcheck_float64(rng):
    c = _matrix(rng, (4, 3), 0.6)
    ref = gn.tensor(c).to_sparse_csr()
    crow, col = ref.crow_indices(), ref.col_indices()
    v = gn.tensor(ref.values().numpy(), requires_grad=True)
    x = gn.tensor(rng.standard_normal((4, 2)), requires_grad=True)
    y = gn.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    assert gradcheck(lambda v, x, y: gn.sparse.sampled_addmm(
        gn.sparse_csr_tensor(crow, col, v, (4, 3)), x, y, beta=0.5, alpha=1.5).values(),
        (v, x, y))


@pytest.mark.parametrize("call, err, match", [
    (lambda lib, c, x, y: lib.sparse.sampled_addmm(c.to_sparse(), x, y), NotImplementedError,
     "input must be a sparse CSR tensor"),
    (lambda lib, c, x, y: lib.sparse.sampled_addmm(c.to_dense(), x, y), NotImplementedError,
     "input must be a sparse CSR tensor"),
    (lambda lib, c, x, y: lib.sparse.sampled_addmm(c, x, y[:2]), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied"),
    (lambda lib, c, x, y: lib.sparse.sampled_addmm(c, x[:2], y), RuntimeError,
     r"self.shape\[-2\] must match mat1.shape\[-2\]"),
    (lambda lib, c, x, y: lib.sparse.sampled_addmm(c, x, y[:, :2]), RuntimeError,
     r"self.shape\[-1\] must match mat2.shape\[-1\]"),
    (lambda lib, c, x, y: lib.sparse.sampled_addmm(c, x, y.double()), RuntimeError,
     "Expected mat1 and mat2 to have the same dtype"),
    (lambda lib, c, x, y: lib.sparse.sampled_addmm(c, x.double(), y.double()), RuntimeError,
     "Expected mat1 and self to have the same dtype"),
    (lambda lib, c, x, y: lib.sparse.sampled_addmm(c, x[0], y), RuntimeError,
     "Expected mat1 to be a matrix, got 1-D tensor"),
    (lambda lib, c, x, y: lib.sparse.sampled_addmm(c, c, y[:, :3]), RuntimeError,
     "Expected mat1 to have strided layout"),
])
def test_sampled_addmm_errors_match_torch(rng, call, err, match):
    c = _matrix(rng, (3, 3)).astype(np.float32)
    x, y = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((4, 3)).astype(
        np.float32)
    with pytest.raises(err):
        call(torch, torch.tensor(c).to_sparse_csr(), torch.tensor(x), torch.tensor(y))
    with pytest.raises(err, match=match):
        call(gn, gn.tensor(c).to_sparse_csr(), gn.tensor(x), gn.tensor(y))


def test_sum_and_softmax_refuse_csr_like_torch(rng):
    c = _matrix(rng, (3, 3))
    for lib in (torch, gn):
        s = lib.tensor(c).to_sparse_csr()
        with pytest.raises(RuntimeError, match="coalesce expected sparse coordinate tensor "
                           "layout but got SparseCsr"):
            lib.sparse.sum(s)
        for call in (lambda s, lib=lib: lib.sparse.sum(s, 0),
                     lambda s, lib=lib: lib.sparse.softmax(s, 0),
                     lambda s, lib=lib: lib.sparse.log_softmax(s, 1)):
            with pytest.raises(NotImplementedError):
                call(s)
