"""Sparse COO tensors (glassnet/tensor/sparse_coo.py) against PyTorch on the same seeded inputs:
construction, coalescing, conversions, products, arithmetic, reductions, pointwise ops, the
gradients of all of them (to the values and to dense operands, a sparse leaf's sparse .grad),
float64 finite-difference checks, and PyTorch's errors for what sparse tensors do not support.
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet.autograd import gradcheck, gradgradcheck
from glassnet.ops import sparse as SP

pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks")
TOL = {np.float32: {"rtol": 1e-5, "atol": 1e-5}, np.float64: {"rtol": 1e-10, "atol": 1e-10}}


def pattern(rng, shape=(5, 4), nnz=9, dups=True):
    """Random indices (with repeated positions when ``dups``) inside ``shape``."""
    ind = np.stack([rng.integers(0, s, nnz) for s in shape]).astype(np.int64)
    if dups:
        ind[:, -2:] = ind[:, :2]  # two positions stored twice
    return ind


def pair(ind, vals, size, requires_grad=False):
    """The same sparse tensor in glassnet and PyTorch; values are leaves when asked."""
    g = gn.sparse_coo_tensor(gn.tensor(ind), gn.tensor(vals), size, requires_grad=requires_grad)
    t = torch.sparse_coo_tensor(torch.tensor(ind), torch.tensor(vals), size,
                                requires_grad=requires_grad)
    return g, t


def close(a, b, dtype=np.float32):
    a = a.detach().numpy() if isinstance(a, gn.Tensor) else np.asarray(a)
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, **TOL[dtype])


def same_sparse(g, t, dtype=np.float32):
    """Equal as dense tensors; equal indices and values when both are coalesced."""
    assert g.is_sparse and t.is_sparse
    assert tuple(g.shape) == tuple(t.shape)
    assert (g.sparse_dim(), g.dense_dim()) == (t.sparse_dim(), t.dense_dim())
    close(g.detach().to_dense(), t.detach().to_dense(), dtype)
    if g.is_coalesced() and t.is_coalesced():
        np.testing.assert_array_equal(g.indices().numpy(), t.indices().numpy())
        close(g.values(), t.values(), dtype)


def same_grad(g, t, dtype=np.float32):
    """A sparse leaf's gradient: glassnet's is coalesced; PyTorch's is compared coalesced."""
    same_sparse(g.grad, t.grad.coalesce(), dtype)
    assert g.grad.is_coalesced()


# ----------------------------------------------------------------------------- construction
def test_construction_and_queries_match_torch(rng):
    ind = pattern(rng)
    vals = rng.standard_normal(9).astype(np.float32)
    g, t = pair(ind, vals, (5, 4))
    assert g.shape == t.shape and g.size() == (5, 4) and g.size(-1) == 4
    assert g.layout is gn.sparse_coo and g.is_sparse and g.ndim == g.dim() == 2
    assert g._nnz() == t._nnz() == 9 and g.numel() == t.numel() == 20 and len(g) == 5
    assert g.is_coalesced() is False and t.is_coalesced() is False
    assert g.dtype == gn.float32 and not g.requires_grad and g.is_leaf
    np.testing.assert_array_equal(g._indices().numpy(), t._indices().numpy())
    close(g._values(), t._values())
    same_sparse(g, t)
    # size inferred from the largest index; lists infer dtypes like torch.tensor
    gi = gn.sparse_coo_tensor([[0, 2], [1, 0]], [1, 2])
    ti = torch.sparse_coo_tensor([[0, 2], [1, 0]], [1, 2])
    assert gi.shape == ti.shape == (3, 2) and gi.dtype == gn.int64
    assert gn.sparse_coo_tensor([[0, 2], [1, 0]], [1.0, 2.0]).dtype == gn.float32
    assert gn.sparse_coo_tensor(ind, vals, dtype=gn.float64).dtype == gn.float64
    # one entry, or none, is coalesced already (as in PyTorch)
    assert gn.sparse_coo_tensor([[0], [1]], [1.0], (2, 2)).is_coalesced()
    empty = gn.sparse_coo_tensor(np.zeros((2, 0), np.int64), np.zeros(0, np.float32), (3, 3))
    assert empty._nnz() == 0 and empty.is_coalesced()
    assert empty.to_dense().numpy().tolist() == [[0.0] * 3] * 3


def test_hybrid_tensor_dense_blocks(rng):
    ind = pattern(rng)
    vals = rng.standard_normal((9, 3)).astype(np.float32)
    g, t = pair(ind, vals, (5, 4, 3))
    assert (g.sparse_dim(), g.dense_dim()) == (2, 1)
    same_sparse(g, t)
    same_sparse(g.coalesce(), t.coalesce())
    assert gn.sparse_coo_tensor(ind, vals).shape == (int(ind[0].max()) + 1,
                                                     int(ind[1].max()) + 1, 3)


@pytest.mark.parametrize("call, err, match", [
    (lambda: gn.sparse_coo_tensor([[0, 1], [1, 0]], [1.0, 2.0, 3.0]), RuntimeError,
     "indices and values must have same nnz, but got nnz from indices: 2, nnz from values: 3"),
    (lambda: gn.sparse_coo_tensor([[0, 1], [1, 0]], [1.0, 2.0], (2, 2, 2)), RuntimeError,
     (r"'len\(size\) == sparse_dim \+ dense_dim' is not satisfied: len\(size\) = 3, "
      "sparse_dim = 2, dense_dim = 0")),
    (lambda: gn.sparse_coo_tensor([[0, 1], [2, 0]], [1.0, 2.0], (2, 2)), RuntimeError,
     "size is inconsistent with indices: for dim 1, size is 2 but found index 2"),
    (lambda: gn.sparse_coo_tensor([[-1], [0]], [1.0], (2, 2)), RuntimeError,
     "found negative index -1 for dim 0"),
    (lambda: gn.sparse_coo_tensor([0, 1], [1.0, 2.0], (2,)), RuntimeError,
     r"indices must be a 2-D tensor \(sparse_dim, nnz\), got shape \(2,\)"),
    (lambda: gn.sparse_coo_tensor([[0, 1]], np.ones((2, 2), np.float32), (2, 3)), RuntimeError,
     r"values has incorrect size, expected \[2, 3\], got \[2, 2\]"),
    (lambda: gn.sparse_coo_tensor([[0, 1]], [1, 2], (2,), requires_grad=True), RuntimeError,
     "can require gradients"),
])
def test_construction_errors(call, err, match):
    with pytest.raises(err, match=match):
        call()


def test_coalesce_matches_torch_and_routes_gradients(rng):
    ind = pattern(rng, (4, 3, 5), nnz=12)
    vals = rng.standard_normal(12)
    gv, tv = gn.tensor(vals, requires_grad=True), torch.tensor(vals, requires_grad=True)
    g = gn.sparse_coo_tensor(ind, gv, (4, 3, 5))
    t = torch.sparse_coo_tensor(torch.tensor(ind), tv, (4, 3, 5))
    assert not g.is_leaf and g.requires_grad and g.grad_fn is not None
    gc, tc = g.coalesce(), t.coalesce()
    assert gc.is_coalesced() and gc._nnz() == tc._nnz() < 12
    same_sparse(gc, tc, np.float64)
    assert gc.coalesce() is gc
    w = rng.standard_normal(gc._nnz())
    (gc.values() * gn.tensor(w)).sum().backward()
    (tc.values() * torch.tensor(w)).sum().backward()
    close(gv.grad, tv.grad, np.float64)


def test_indices_and_values_need_a_coalesced_tensor(rng):
    g, _ = pair(pattern(rng), rng.standard_normal(9).astype(np.float32), (5, 4))
    for name in ("indices", "values"):
        with pytest.raises(RuntimeError, match=f"Cannot get {name} on an uncoalesced tensor, "
                           r"please call .coalesce\(\) first"):
            getattr(g, name)()


# ----------------------------------------------------------------------------- conversions
@pytest.mark.parametrize("sparse_dim", [None, 1])
def test_to_sparse_and_back_with_gradients(rng, sparse_dim):
    x = rng.standard_normal((4, 5))
    x[rng.random((4, 5)) < 0.5] = 0
    x[2] = 0  # an all-zero row: left out by to_sparse(1) as well
    gx, tx = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gs = gx.to_sparse(sparse_dim)
    ts = tx.to_sparse() if sparse_dim is None else tx.to_sparse(sparse_dim)
    assert gs.is_coalesced() and ts.is_coalesced()
    same_sparse(gs, ts, np.float64)
    w = rng.standard_normal((4, 5))
    (gs.to_dense() * gn.tensor(w)).sum().backward()
    (ts.to_dense() * torch.tensor(w)).sum().backward()
    close(gx.grad, tx.grad, np.float64)  # the kept entries get w, the dropped ones 0
    assert gs.to_sparse() is gs and gx.to_sparse_coo().is_sparse
    with pytest.raises(RuntimeError, match="conversion from Sparse to Sparse"):
        gx.to_sparse().to_sparse(1)


def test_sparse_leaf_gradient_is_sparse_on_its_pattern(rng):
    ind = pattern(rng)
    vals = rng.standard_normal(9).astype(np.float32)
    g, t = pair(ind, vals, (5, 4), requires_grad=True)
    assert g.is_leaf and g.requires_grad and g.grad is None
    w = rng.standard_normal((5, 4)).astype(np.float32)
    (g.to_dense() * gn.tensor(w)).sum().backward()
    (t.to_dense() * torch.tensor(w)).sum().backward()
    same_grad(g, t)
    assert g.grad._nnz() == 7  # one entry per stored position
    g.grad = None
    assert g.grad is None
    with pytest.raises(RuntimeError, match="can only be cleared"):
        g.grad = g


# ----------------------------------------------------------------------------- products
def _mm_case(rng, dtype, coalesced):
    ind = pattern(rng, (6, 5), nnz=11, dups=not coalesced)
    if coalesced:
        ind = np.unique(ind[0] * 5 + ind[1])
        ind = np.stack([ind // 5, ind % 5])
    vals = rng.standard_normal(ind.shape[1]).astype(dtype)
    dense = rng.standard_normal((5, 3)).astype(dtype)
    return ind, vals, dense


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("coalesced", [True, False])
@pytest.mark.parametrize("op", ["sparse.mm", "mm", "matmul", "@", "spmm"])
@pytest.mark.parametrize("kernel", ["scipy", "numpy"])
def test_sparse_dense_product_and_gradients(rng, monkeypatch, dtype, coalesced, op, kernel):
    if kernel == "numpy":
        monkeypatch.setattr(SP, "_scipy_sparse", lambda: None)
    ind, vals, dense = _mm_case(rng, dtype, coalesced)
    gv, tv = gn.tensor(vals, requires_grad=True), torch.tensor(vals, requires_grad=True)
    gd, td = gn.tensor(dense, requires_grad=True), torch.tensor(dense, requires_grad=True)
    gs = gn.sparse_coo_tensor(ind, gv, (6, 5))
    ts = torch.sparse_coo_tensor(torch.tensor(ind), tv, (6, 5))
    run = {"sparse.mm": lambda m, s, d: m.sparse.mm(s, d), "mm": lambda m, s, d: m.mm(s, d),
           "matmul": lambda m, s, d: m.matmul(s, d), "@": lambda m, s, d: s @ d,
           "spmm": lambda m, s, d: m.spmm(s, d)}[op]
    go, to = run(gn, gs, gd), run(torch, ts, td)
    assert not go.is_sparse and go.dtype == gd.dtype
    close(go, to, dtype)
    u = rng.standard_normal((6, 3)).astype(dtype)
    (go * gn.tensor(u)).sum().backward()
    (to * torch.tensor(u)).sum().backward()
    close(gd.grad, td.grad, dtype)
    close(gv.grad, tv.grad, dtype)


@pytest.mark.parametrize("kernel", ["scipy", "numpy"])
def test_sparse_mm_gives_a_sparse_leaf_its_sparse_gradient(rng, monkeypatch, kernel):
    if kernel == "numpy":
        monkeypatch.setattr(SP, "_scipy_sparse", lambda: None)
    ind, vals, dense = _mm_case(rng, np.float32, False)
    g, t = pair(ind, vals, (6, 5), requires_grad=True)
    gd, td = gn.tensor(dense), torch.tensor(dense)
    gn.sparse.mm(g, gd).pow(2).sum().backward()
    torch.sparse.mm(t, td).pow(2).sum().backward()
    same_grad(g, t)
    assert gn.sparse.mm(g, gd).grad_fn is not None


def test_products_with_vectors_and_dense_on_the_left(rng):
    ind, vals, _ = _mm_case(rng, np.float64, False)
    gv, tv = gn.tensor(vals, requires_grad=True), torch.tensor(vals, requires_grad=True)
    gs = gn.sparse_coo_tensor(ind, gv, (6, 5))
    ts = torch.sparse_coo_tensor(torch.tensor(ind), tv, (6, 5))
    x, y, m = rng.standard_normal(5), rng.standard_normal(6), rng.standard_normal((2, 6))
    gx, tx = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    outs = [(gs @ gx, ts @ tx), (gs.mv(gx), ts.mv(tx)), (gn.mv(gs, gx), torch.mv(ts, tx)),
            (gn.tensor(y) @ gs, torch.tensor(y) @ ts), (gn.tensor(m) @ gs, torch.tensor(m) @ ts),
            (gn.sparse.mm(gn.tensor(m), gs), torch.sparse.mm(torch.tensor(m), ts))]
    for go, to in outs:
        close(go, to, np.float64)
    total_g = sum((go ** 2).sum() for go, _ in outs)
    total_t = sum((to ** 2).sum() for _, to in outs)
    total_g.backward()
    total_t.backward()
    close(gv.grad, tv.grad, np.float64)
    close(gx.grad, tx.grad, np.float64)


def test_addmm_with_a_sparse_matrix(rng):
    ind, vals, dense = _mm_case(rng, np.float32, False)
    g, t = pair(ind, vals, (6, 5))
    c = rng.standard_normal((6, 3)).astype(np.float32)
    close(gn.addmm(gn.tensor(c), g, gn.tensor(dense), beta=0.5, alpha=2.0),
          torch.addmm(torch.tensor(c), t, torch.tensor(dense), beta=0.5, alpha=2.0))


def test_product_gradcheck_float64(rng):
    ind, vals, dense = _mm_case(rng, np.float64, False)
    gv, gd = gn.tensor(vals, requires_grad=True), gn.tensor(dense, requires_grad=True)

    def f(v, d):
        return gn.sparse.mm(gn.sparse_coo_tensor(ind, v, (6, 5)), d)

    assert gradcheck(f, (gv, gd))
    assert gradgradcheck(f, (gv, gd))
    gm = gn.tensor(rng.standard_normal((2, 6)), requires_grad=True)
    assert gradcheck(lambda m, v: m @ gn.sparse_coo_tensor(ind, v, (6, 5)), (gm, gv))


@pytest.mark.parametrize("call, err, match", [
    (lambda s, d: gn.sparse.mm(s, gn.ones(4, 2)), RuntimeError,
     (r"mm: sparse matrix of size \[6, 5\] and dense matrix of shape \(4, 2\) cannot be "
      r"multiplied \(5 != 4\)")),
    (lambda s, d: gn.sparse.mm(s, d.double()), RuntimeError,
     "expected both operands to have the same dtype"),
    (lambda s, d: gn.sparse.mm(s, gn.ones(5)), IndexError, "mat2 must be a 2-D matrix"),
    (lambda s, d: s @ gn.ones(2, 5, 3), RuntimeError, "multiplies a 1-D or 2-D dense tensor"),
    (lambda s, d: gn.sparse.mm(s, s.t().to_sparse_csr()), RuntimeError,
     "the product of a sparse COO and a sparse CSR tensor is not supported"),
])
def test_product_errors(rng, call, err, match):
    ind, vals, dense = _mm_case(rng, np.float32, False)
    s = gn.sparse_coo_tensor(ind, vals, (6, 5))
    with pytest.raises(err, match=match):
        call(s, gn.tensor(dense))


# ----------------------------------------------------------------------------- arithmetic
def _arith_pair(rng, coalesced):
    ind = pattern(rng, dups=not coalesced)
    vals = rng.standard_normal(9)
    gv, tv = gn.tensor(vals, requires_grad=True), torch.tensor(vals, requires_grad=True)
    g = gn.sparse_coo_tensor(ind, gv, (5, 4))
    t = torch.sparse_coo_tensor(torch.tensor(ind), tv, (5, 4))
    if coalesced:
        g, t = g.coalesce(), t.coalesce()
    return g, t, gv, tv


@pytest.mark.parametrize("coalesced", [True, False])
@pytest.mark.parametrize("name", ["add", "sub", "add_alpha", "mul_scalar", "rmul_scalar",
                                  "div_scalar", "mul_0d", "neg", "mul_dense", "rmul_dense",
                                  "mul_broadcast", "mul_sparse", "dense_add", "dense_sub",
                                  "pow", "relu", "abs", "sin", "tanh", "sqrt_abs", "square"])
def test_arithmetic_and_pointwise_match_torch(rng, coalesced, name):
    g, t, gv, tv = _arith_pair(rng, coalesced)
    ind2 = pattern(rng)
    o = rng.standard_normal(9)
    g2 = gn.sparse_coo_tensor(ind2, o, (5, 4))
    t2 = torch.sparse_coo_tensor(torch.tensor(ind2), torch.tensor(o), (5, 4))
    d = rng.standard_normal((5, 4))
    row = rng.standard_normal(4)
    ops = {
        "add": lambda m, s, s2, dn, r: s + s2, "sub": lambda m, s, s2, dn, r: s - s2,
        "add_alpha": lambda m, s, s2, dn, r: m.add(s, s2, alpha=2.5),
        "mul_scalar": lambda m, s, s2, dn, r: s * 3.0,
        "rmul_scalar": lambda m, s, s2, dn, r: 3.0 * s,
        "div_scalar": lambda m, s, s2, dn, r: s / 4.0,
        "mul_0d": lambda m, s, s2, dn, r: s * m.tensor(2.0, dtype=m.float64),
        "neg": lambda m, s, s2, dn, r: -s, "mul_dense": lambda m, s, s2, dn, r: s * dn,
        "rmul_dense": lambda m, s, s2, dn, r: dn * s,
        "mul_broadcast": lambda m, s, s2, dn, r: s * r,
        "mul_sparse": lambda m, s, s2, dn, r: s * s2,
        "dense_add": lambda m, s, s2, dn, r: dn + s, "dense_sub": lambda m, s, s2, dn, r: dn - s,
        "pow": lambda m, s, s2, dn, r: s ** 2, "relu": lambda m, s, s2, dn, r: m.relu(s),
        "abs": lambda m, s, s2, dn, r: s.abs(), "sin": lambda m, s, s2, dn, r: m.sin(s),
        "tanh": lambda m, s, s2, dn, r: s.tanh(),
        "sqrt_abs": lambda m, s, s2, dn, r: s.abs().sqrt(),
        "square": lambda m, s, s2, dn, r: s.square(),
    }
    go = ops[name](gn, g, g2, gn.tensor(d), gn.tensor(row))
    to = ops[name](torch, t, t2, torch.tensor(d), torch.tensor(row))
    assert go.is_sparse == to.is_sparse
    gd = go.to_dense() if go.is_sparse else go
    td = to.to_dense() if to.is_sparse else to
    close(gd, td, np.float64)
    if go.is_sparse and to.is_coalesced():
        assert go.is_coalesced()
        same_sparse(go, to, np.float64)
    if name in ("sin", "tanh", "sqrt_abs", "square"):
        # PyTorch has no sparse backward for these: f(0) = 0, so f of the stored entries is f
        # of the dense tensor, whose gradient is the reference
        td = ops[name](torch, t.to_dense(), None, None, None)
    u = rng.standard_normal((5, 4))
    (gd * gn.tensor(u)).sum().backward()
    (td * torch.tensor(u)).sum().backward()
    close(gv.grad, tv.grad, np.float64)


@pytest.mark.parametrize("call, err, match", [
    (lambda s: s + gn.ones(5, 4), RuntimeError,
     r"add\(sparse, dense\) is not supported. Use add\(dense, sparse\) instead."),
    (lambda s: s + 1, RuntimeError, r"add\(sparse, dense\) is not supported"),
    (lambda s: 0 + s, RuntimeError, r"add\(sparse, dense\) is not supported"),
    (lambda s: s + gn.sparse_coo_tensor([[0], [0]], [1.0], (5, 5)), RuntimeError,
     r"add: expected sizes of 'self' and 'other' to match, but \[5, 4\] != \[5, 5\]"),
    (lambda s: s / gn.ones(5, 4), RuntimeError,
     "Sparse division requires a scalar or zero-dim dense tensor divisor"),
    (lambda s: s ** 0, RuntimeError, "cannot raise to zeroth power on sparse tensor"),
])
def test_arithmetic_errors(rng, call, err, match):
    g, *_ = _arith_pair(rng, False)
    with pytest.raises(err, match=match):
        call(g)


def test_transpose_matches_torch(rng):
    g, t, gv, tv = _arith_pair(rng, True)
    for go, to in [(g.t(), t.t()), (g.transpose(0, 1), t.transpose(0, 1)), (g.T, t.T),
                   (gn.t(g), torch.t(t))]:
        assert go.shape == to.shape == (4, 5) and go.is_coalesced() == to.is_coalesced()
        assert go.grad_fn is not None
        close(go.to_dense(), to.to_dense(), np.float64)
    u = rng.standard_normal((4, 5))
    (g.t().to_dense() * gn.tensor(u)).sum().backward()
    (t.t().to_dense() * torch.tensor(u)).sum().backward()
    close(gv.grad, tv.grad, np.float64)
    h = gn.sparse_coo_tensor(pattern(rng), np.ones((9, 2)), (5, 4, 2))
    with pytest.raises(RuntimeError, match="t\\(\\) expects a tensor with <= 2 sparse and 0 "
                       "dense dimensions, but got 2 sparse and 1 dense dimensions"):
        h.t()
    with pytest.raises(RuntimeError, match="transposed dimensions must be sparse Got "
                       "sparse_dim: 2, d0: 0, d1: 2"):
        h.transpose(0, 2)


# ----------------------------------------------------------------------------- sums
@pytest.mark.parametrize("dim, keepdim", [(None, False)] + [
    (d, k) for d in [0, 1, -1, (0, 1), 2, (0, 2), (1, 2)] for k in (False, True)])
def test_sum_matches_torch(rng, dim, keepdim):
    ind = pattern(rng)
    vals = rng.standard_normal((9, 3))
    gv, tv = gn.tensor(vals, requires_grad=True), torch.tensor(vals, requires_grad=True)
    g = gn.sparse_coo_tensor(ind, gv, (5, 4, 3))
    t = torch.sparse_coo_tensor(torch.tensor(ind), tv, (5, 4, 3))
    if keepdim:
        go, to = g.sum(dim, keepdim=True), t.sum(dim, keepdim=True)
    elif dim is None:
        go, to = gn.sparse.sum(g), torch.sparse.sum(t)
    else:
        go, to = gn.sparse.sum(g, dim), torch.sparse.sum(t, dim)
    assert go.is_sparse == to.is_sparse and go.shape == to.shape
    gd = go.to_dense() if go.is_sparse else go
    td = to.to_dense() if to.is_sparse else to
    close(gd, td, np.float64)
    if go.is_sparse and not keepdim:  # (with keepdim PyTorch makes the dense dims sparse too)
        assert go.is_coalesced()
        same_sparse(go, to.coalesce(), np.float64)
    if keepdim:  # PyTorch's sparse sum with keepdim has no backward: the dense sum is the same
        td = t.to_dense().sum(dim, keepdim=True)
    (gd ** 2).sum().backward()
    (td ** 2).sum().backward()
    close(gv.grad, tv.grad, np.float64)


def test_sum_of_a_sparse_leaf_and_dtype(rng):
    g, t = pair(pattern(rng), rng.standard_normal(9).astype(np.float32), (5, 4),
                requires_grad=True)
    gs, ts = gn.sparse.sum(g, dtype=gn.float64), torch.sparse.sum(t, dtype=torch.float64)
    assert gs.dtype == gn.float64 and gs.ndim == 0
    close(gs, ts, np.float32)
    gs.backward()
    ts.backward()
    same_grad(g, t)
    close(g.sum(), t.sum())


# ----------------------------------------------------------------------------- the rest
@pytest.mark.parametrize("call, name", [
    (lambda s: s.exp(), "exp"), (lambda s: gn.exp(s), "exp"), (lambda s: s.mean(), "mean"),
    (lambda s: s.view(20), "view"), (lambda s: s[0], "__getitem__"),
    (lambda s: s.softmax(1), "softmax"), (lambda s: s == s.t().t(), "__eq__"),
    (lambda s: s.backward(), "backward"), (lambda s: s.stride(), "stride"),
    (lambda s: s.max(), "max"), (lambda s: s.nbytes, "nbytes"),
])
def test_dense_only_ops_raise_not_implemented_naming_the_op(rng, call, name):
    g, *_ = _arith_pair(rng, False)
    with pytest.raises(NotImplementedError, match=f"{name}: not supported for sparse COO "
                       "tensors"):
        call(g)


def test_ops_pytorch_refuses_with_a_runtime_error(rng):
    g, t, *_ = _arith_pair(rng, False)
    for name, call in [("reshape", lambda s: s.reshape(20)), ("item", lambda s: s.item())]:
        with pytest.raises(RuntimeError):
            call(t)
        with pytest.raises(RuntimeError, match=f"{name}: not supported for sparse COO"):
            call(g)
    assert g.is_contiguous() == t.is_contiguous() is False and g.contiguous() is g


def test_numpy_conversion_and_dense_functions_refuse_sparse(rng):
    g, *_ = _arith_pair(rng, False)
    with pytest.raises(TypeError, match="can't convert Sparse layout tensor to numpy"):
        g.numpy()
    with pytest.raises(TypeError, match="can't convert Sparse layout tensor to numpy"):
        np.asarray(g)
    with pytest.raises(NotImplementedError, match="not supported for sparse COO tensors"):
        gn.cat([g, g])
    with pytest.raises(RuntimeError, match="Boolean value of a Tensor with 20 elements"):
        bool(g)


def test_autograd_fields_and_copies(rng):
    g, _ = pair(pattern(rng), rng.standard_normal(9).astype(np.float32), (5, 4))
    assert not g.requires_grad and g.is_leaf and g.grad_fn is None
    assert g.requires_grad_() is g and g.requires_grad and g.is_leaf
    d = g.detach()
    assert d.is_sparse and not d.requires_grad and g.requires_grad
    c = g.clone()
    assert c.requires_grad and not c.is_leaf and c.grad_fn is not None
    assert not g.t().is_leaf and g.t().requires_grad
    assert g.double().dtype == gn.float64 and g.to(gn.float64).is_sparse
    assert g.data.is_sparse and not g.data.requires_grad
    # switching requires_grad on a sparse tensor leaves the tensor it was built from alone
    v = gn.tensor([1.0, 2.0])
    s = gn.sparse_coo_tensor([[0, 1]], v, (3,))
    s.requires_grad_()
    assert s.requires_grad and not v.requires_grad
    with pytest.raises(RuntimeError, match="only change requires_grad of leaf"):
        g.clone().requires_grad_(False)


def test_repr_matches_torch(rng):
    ind = np.array([[0, 1, 1, 0], [2, 0, 2, 2]])
    vals = np.array([3.0, 4.0, -5.0, -4.0], np.float32)
    cases = [pair(ind, vals, (2, 3)), pair(ind, vals.astype(np.float64), (2, 3)),
             pair(ind, vals.astype(np.float64), (2, 3), requires_grad=True),
             pair(ind, rng.standard_normal((4, 2)).astype(np.float32), (2, 3, 2)),
             pair(np.zeros((2, 0), np.int64), np.zeros(0, np.float32), (3, 3))]
    for g, t in cases:
        assert repr(g) == repr(t).replace("torch.", "glassnet.")
    g, t = cases[0]
    assert f"{g}" == repr(g)


def test_deepcopy_and_pickle_keep_a_sparse_leaf(rng):
    g, _ = pair(pattern(rng), rng.standard_normal(9).astype(np.float32), (5, 4),
                requires_grad=True)
    for c in (copy.deepcopy(g), pickle.loads(pickle.dumps(g))):
        assert c.is_sparse and c.requires_grad and c.is_leaf and c is not g
        assert c.is_coalesced() == g.is_coalesced()
        np.testing.assert_array_equal(c.to_dense().detach().numpy(),
                                      g.to_dense().detach().numpy())
    with pytest.raises(RuntimeError, match="only sparse tensors created explicitly"):
        copy.deepcopy(g * 2)
