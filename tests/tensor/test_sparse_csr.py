"""Sparse CSR tensors (glassnet/tensor/sparse_csr.py) against PyTorch on the same seeded inputs:
construction and its checks, conversions between dense, COO and CSR (with gradients), the
products with a CSR left operand (and dense @ CSR) on both kernels, their gradients to the dense
operand, to the values and to a CSR leaf, float64 finite-difference checks, sums, arithmetic,
printing, copies, and PyTorch's errors for what CSR tensors do not support.
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

pytestmark = pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta",
                                        "ignore:Sparse invariant checks")
TOL = {np.float32: {"rtol": 1e-5, "atol": 1e-5}, np.float64: {"rtol": 1e-10, "atol": 1e-10}}


def matrix(rng, shape=(6, 5), density=0.4, dtype=np.float64, empty_row=True):
    """A random matrix with about ``density`` of its entries nonzero (row 1 empty)."""
    a = rng.standard_normal(shape) * (rng.random(shape) < density)
    if empty_row and shape[0] > 1:
        a[1] = 0
    return a.astype(dtype)


def pair(a, requires_grad=False):
    """The CSR form of the dense array ``a`` in glassnet and PyTorch (leaves when asked)."""
    g = gn.tensor(a).to_sparse_csr()
    t = torch.tensor(a).to_sparse_csr()
    if requires_grad:
        g.requires_grad_()
        t.requires_grad_()
    return g, t


def np_(x):
    if isinstance(x, torch.Tensor):
        x = x.detach()
        return (x.to_dense() if x.layout != torch.strided else x).numpy()
    x = x.detach()
    return (x.to_dense() if x.layout is not gn.strided else x).numpy()


def close(a, b, dtype=np.float64):
    a, b = np_(a), np_(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, **TOL[dtype])


def same_csr(g, t, dtype=np.float64):
    """The same CSR tensor: pointers, columns and values."""
    assert g.layout is gn.sparse_csr and t.layout == torch.sparse_csr
    assert tuple(g.shape) == tuple(t.shape) and g._nnz() == t._nnz()
    np.testing.assert_array_equal(g.crow_indices().numpy(), t.crow_indices().numpy())
    np.testing.assert_array_equal(g.col_indices().numpy(), t.col_indices().numpy())
    close(g.values(), t.values(), dtype)


@pytest.fixture(params=["scipy", "numpy"])
def kernel(request, monkeypatch):
    """Run a product test on SciPy's CSR kernels and on the NumPy fallback."""
    if request.param == "numpy":
        monkeypatch.setattr(SP, "_scipy_sparse", lambda: None)
    return request.param


# ----------------------------------------------------------------------------- construction
def test_construction_and_queries_match_torch(rng):
    a = matrix(rng, dtype=np.float32)
    g, t = pair(a)
    same_csr(g, t, np.float32)
    assert g.layout is gn.sparse_csr and repr(gn.sparse_csr) == "glassnet.sparse_csr"
    assert g.is_sparse is t.is_sparse is False and g.is_sparse_csr is t.is_sparse_csr is True
    assert (g.sparse_dim(), g.dense_dim()) == (t.sparse_dim(), t.dense_dim()) == (2, 0)
    assert g.shape == t.shape and g.numel() == t.numel() and len(g) == 6 and g.ndim == 2
    assert g.dtype == gn.float32 and g.crow_indices().dtype == gn.int64
    assert isinstance(g, gn.Tensor) and not g.requires_grad and g.is_leaf
    np.testing.assert_array_equal(g.to_dense().numpy(), a)
    # from the three arrays, with and without size
    crow, col, vals = [0, 1, 3], [1, 0, 2], [2.0, 1.0, 3.0]
    gs = gn.sparse_csr_tensor(crow, col, vals, (2, 4))
    ts = torch.sparse_csr_tensor(crow, col, vals, (2, 4))
    same_csr(gs, ts, np.float32)
    gi, ti = gn.sparse_csr_tensor(crow, col, [2, 1, 3]), torch.sparse_csr_tensor(crow, col,
                                                                                  [2, 1, 3])
    assert gi.shape == ti.shape == (2, 3) and gi.dtype == gn.int64
    assert gn.sparse_csr_tensor(crow, col, vals, dtype=gn.float64).dtype == gn.float64
    assert gn.sparse_csr_tensor(crow, col, vals, requires_grad=True).requires_grad
    empty = gn.sparse_csr_tensor([0, 0, 0], np.zeros(0, np.int64), np.zeros(0))
    assert empty.shape == torch.sparse_csr_tensor([0, 0, 0], torch.zeros(0, dtype=torch.int64),
                                                  torch.zeros(0)).shape == (2, 0)


def test_unsorted_and_repeated_columns_add_up_as_in_torch():
    crow, col, vals = [0, 1, 3], [1, 2, 2], [2.0, 1.0, 3.0]
    g, t = gn.sparse_csr_tensor(crow, col, vals, (2, 3)), torch.sparse_csr_tensor(crow, col,
                                                                                   vals, (2, 3))
    close(g.to_dense(), t.to_dense(), np.float32)
    x = np.arange(6.0, dtype=np.float32).reshape(3, 2)
    close(g @ gn.tensor(x), t @ torch.tensor(x), np.float32)
    with pytest.raises(RuntimeError, match="sorted and distinct"):
        gn.sparse_csr_tensor(crow, col, vals, (2, 3), check_invariants=True)
    # sums of repeats happen where a coalesced form is needed (COO conversion keeps them)
    unsorted = gn.sparse_csr_tensor([0, 2, 3], [2, 0, 1], [1.0, 2.0, 3.0], (2, 3))
    close(unsorted.to_sparse_coo().to_dense(), unsorted.to_dense(), np.float32)
    close(unsorted * unsorted, torch.sparse_csr_tensor([0, 2, 3], [2, 0, 1], [1.0, 2.0, 3.0],
                                                       (2, 3)).to_dense() ** 2, np.float32)


@pytest.mark.parametrize("call, err, match", [
    (lambda: gn.sparse_csr_tensor([1, 1, 3], [1, 0, 2], [1.0, 2, 3], (2, 3)), RuntimeError,
     r"`crow_indices\[..., 0\] == 0` is not satisfied"),
    (lambda: gn.sparse_csr_tensor([0, 1, 2], [1, 0, 2], [1.0, 2, 3], (2, 3)), RuntimeError,
     r"`crow_indices\[..., -1\] == nnz` is not satisfied"),
    (lambda: gn.sparse_csr_tensor([0, 1, 3, 3], [1, 0, 2], [1.0, 2, 3], (2, 3)), RuntimeError,
     r"crow_indices.shape\[-1\] must be equal to the number of rows \+ 1 \(=3\), but got 4"),
    (lambda: gn.sparse_csr_tensor([0, 2, 1, 3], [1, 0, 2], [1.0, 2, 3], (3, 3)), RuntimeError,
     r"crow_indices\[1\] = 2 > crow_indices\[2\] = 1"),
    (lambda: gn.sparse_csr_tensor([0, 1, 3], [1, 0, 5], [1.0, 2, 3], (2, 3)), RuntimeError,
     r"`0 <= col_indices < ncols` is not satisfied \(ncols = 3, found column 5\)"),
    (lambda: gn.sparse_csr_tensor([0, 1, 3], [1, 0, -1], [1.0, 2, 3], (2, 3)), RuntimeError,
     "found column -1"),
    (lambda: gn.sparse_csr_tensor([0, 1, 3], [1, 0, 2], [1.0, 2], (2, 3)), RuntimeError,
     r"col_indices.shape\[-1\] must be equal to nnz \(=2\)"),
    (lambda: gn.sparse_csr_tensor([0.0, 1, 3], [1, 0, 2], [1.0, 2, 3], (2, 3)), RuntimeError,
     "crow_indices must be an integer tensor"),
    (lambda: gn.sparse_csr_tensor([0, 1, 3], [1, 0, 2], [1.0, 2, 3], (6,)), RuntimeError,
     (r"dimensionality must be sum of batch, base, and dense dimensionalities \(=0 \+ 2 \+ 0\) "
      "but got 1")),
    (lambda: gn.sparse_csr_tensor([[0, 1, 3]], [[1, 0, 2]], [[1.0, 2, 3]], (1, 2, 3)),
     NotImplementedError, "batched CSR tensors"),
    (lambda: gn.sparse_csr_tensor([0, 1, 3], [1, 0, 2], np.ones((3, 2)), (2, 3, 2)),
     NotImplementedError, "hybrid CSR tensors"),
])
def test_construction_errors(call, err, match):
    with pytest.raises(err, match=match):
        call()


def test_torch_gives_the_same_errors_with_check_invariants():
    """The checks glassnet always makes are PyTorch's ``check_invariants=True`` ones."""
    for crow, col in (([1, 1, 3], [1, 0, 2]), ([0, 1, 2], [1, 0, 2]), ([0, 1, 3], [1, 0, 5])):
        with pytest.raises(RuntimeError):
            torch.sparse_csr_tensor(torch.tensor(crow), torch.tensor(col), torch.ones(3),
                                    (2, 3), check_invariants=True)
        with pytest.raises(RuntimeError):
            gn.sparse_csr_tensor(crow, col, np.ones(3), (2, 3))


# ----------------------------------------------------------------------------- conversions
def test_conversions_match_torch(rng):
    a = matrix(rng)
    g, t = pair(a)
    same_csr(gn.tensor(a).to_sparse(layout=gn.sparse_csr), t)
    same_csr(gn.tensor(a).to_sparse().to_sparse_csr(), t)
    same_csr(gn.tensor(a).to_sparse().to_sparse(layout=gn.sparse_csr), t)
    assert g.to_sparse_csr() is g and g.to_sparse(layout=gn.sparse_csr) is g
    for gc, tc in ((g.to_sparse_coo(), t.to_sparse_coo()), (g.to_sparse(), t.to_sparse())):
        assert gc.layout is gn.sparse_coo and gc.is_coalesced() == tc.is_coalesced()
        np.testing.assert_array_equal(gc.indices().numpy(), tc.indices().numpy())
        close(gc.values(), tc.values())
    # an uncoalesced COO matrix is summed first
    ind = np.array([[0, 0, 1], [1, 1, 0]])
    gu = gn.sparse_coo_tensor(ind, [1.0, 2.0, 3.0], (2, 2)).to_sparse_csr()
    tu = torch.sparse_coo_tensor(torch.tensor(ind), [1.0, 2.0, 3.0], (2, 2)).to_sparse_csr()
    same_csr(gu, tu, np.float32)
    # empty matrices
    same_csr(gn.zeros(3, 4).to_sparse_csr(), torch.zeros(3, 4).to_sparse_csr(), np.float32)
    same_csr(gn.zeros(0, 4).to_sparse_csr(), torch.zeros(0, 4).to_sparse_csr(), np.float32)


@pytest.mark.parametrize("call, err, match", [
    (lambda d: d[0].to_sparse_csr(), RuntimeError, "expected a 2-D matrix, got a 1-D tensor"),
    (lambda d: d.reshape(1, 6, 5).to_sparse_csr(), NotImplementedError,
     "batched CSR tensors are not supported"),
    (lambda d: d.to_sparse_csr(dense_dim=1), NotImplementedError, "hybrid CSR tensors"),
    (lambda d: d.to_sparse(layout=gn.sparse_csr, blocksize=(1, 1)), RuntimeError,
     "conversion from Strided to SparseCsr with blocksize argument given is not supported"),
    (lambda d: d.reshape(3, 2, 5).to_sparse().to_sparse_csr(), RuntimeError,
     r"conversion from Sparse to SparseCsr for input tensors with sparse_dim\(\)!=2"),
    (lambda d: d.to_sparse_csr().to_sparse(1), RuntimeError,
     "conversion from SparseCsr to Sparse with sparse_dim argument !=2 is not supported"),
    (lambda d: d.to_sparse(layout=gn.strided), NotImplementedError,
     "has sparse_coo and sparse_csr"),
])
def test_conversion_errors(rng, call, err, match):
    with pytest.raises(err, match=match):
        call(gn.tensor(matrix(rng)))


def test_conversion_gradients_match_torch(rng):
    a = matrix(rng)
    w = rng.standard_normal(a.shape)
    # dense -> CSR -> dense: the gradient reaches the kept entries
    gx, tx = gn.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    (gx.to_sparse_csr().to_dense() * gn.tensor(w)).sum().backward()
    (tx.to_sparse_csr().to_dense() * torch.tensor(w)).sum().backward()
    close(gx.grad, tx.grad)
    # CSR leaf -> COO -> product: the leaf's gradient is CSR on its pattern
    g, t = pair(a, requires_grad=True)
    x = rng.standard_normal((5, 3))
    gn.sparse.mm(g.to_sparse_coo(), gn.tensor(x)).pow(2).sum().backward()
    torch.sparse.mm(t.to_sparse_coo(), torch.tensor(x)).pow(2).sum().backward()
    same_csr(g.grad, t.grad)
    # COO leaf -> CSR -> product: a COO gradient
    gc = gn.tensor(a).to_sparse().requires_grad_()
    tc = torch.tensor(a).to_sparse().requires_grad_()
    gn.sparse.mm(gc.to_sparse_csr(), gn.tensor(x)).pow(2).sum().backward()
    torch.sparse.mm(tc.to_sparse_csr(), torch.tensor(x)).pow(2).sum().backward()
    assert gc.grad.layout is gn.sparse_coo
    np.testing.assert_array_equal(gc.grad.indices().numpy(), tc.grad.coalesce().indices().numpy())
    close(gc.grad.values(), tc.grad.coalesce().values())
    # values() and to_dense() of a leaf: CSR gradients, as PyTorch's
    for f in (lambda s: (s.values() ** 2).sum(), lambda s: (s.to_dense() * 3).sum()):
        g, t = pair(a, requires_grad=True)
        f(g).backward()
        f(t).backward()
        same_csr(g.grad, t.grad)


# ----------------------------------------------------------------------------- products
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", ["sparse.mm", "mm", "matmul", "@", "Tensor.mm"])
def test_product_and_gradients_match_torch(rng, kernel, dtype, op):
    """Forward and the gradients of the dense operand and of the values agree for every
    spelling; a CSR leaf's gradient is PyTorch's torch.sparse.mm one (CSR, on the pattern)."""
    fn = {"sparse.mm": lambda lib, s, x: lib.sparse.mm(s, x),
          "mm": lambda lib, s, x: lib.mm(s, x), "matmul": lambda lib, s, x: lib.matmul(s, x),
          "@": lambda lib, s, x: s @ x, "Tensor.mm": lambda lib, s, x: s.mm(x)}[op]
    a = matrix(rng, dtype=dtype)
    x = rng.standard_normal((5, 4)).astype(dtype)
    w = rng.standard_normal((6, 4)).astype(dtype)
    ref = torch.tensor(a).to_sparse_csr()
    crow, col, vals = ref.crow_indices(), ref.col_indices(), ref.values().numpy()
    gv, tv = gn.tensor(vals, requires_grad=True), torch.tensor(vals, requires_grad=True)
    gs = gn.sparse_csr_tensor(crow.numpy(), col.numpy(), gv, a.shape)
    ts = torch.sparse_csr_tensor(crow, col, tv, a.shape)
    gx, tx = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    go, to = fn(gn, gs, gx), fn(torch, ts, tx)
    close(go, to, dtype)
    (go * gn.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    close(gv.grad, tv.grad, dtype)
    close(gx.grad, tx.grad, dtype)
    if op == "sparse.mm":
        g, t = pair(a, requires_grad=True)
        (gn.sparse.mm(g, gn.tensor(x)) * gn.tensor(w)).sum().backward()
        (torch.sparse.mm(t, torch.tensor(x)) * torch.tensor(w)).sum().backward()
        same_csr(g.grad, t.grad, dtype)


def test_vectors_addmm_and_dense_on_the_left_match_torch(rng, kernel):
    a = matrix(rng)
    g, t = pair(a, requires_grad=True)
    v = rng.standard_normal(5)
    m = rng.standard_normal((6, 3))
    x = rng.standard_normal((5, 3))
    left = rng.standard_normal((2, 6))
    gl, tl = gn.tensor(left, requires_grad=True), torch.tensor(left, requires_grad=True)
    gm, tm = gn.tensor(m, requires_grad=True), torch.tensor(m, requires_grad=True)
    outs = [(g @ gn.tensor(v), t @ torch.tensor(v)), (g.mv(gn.tensor(v)), t.mv(torch.tensor(v))),
            (gn.matmul(g, gn.tensor(v)), torch.matmul(t, torch.tensor(v))),
            (gn.addmm(gm, g, gn.tensor(x), beta=0.5, alpha=2.0),
             torch.addmm(tm, t, torch.tensor(x), beta=0.5, alpha=2.0)),
            (gn.sparse.addmm(gm, g, gn.tensor(x), beta=0.5, alpha=2.0),
             torch.sparse.addmm(tm, t, torch.tensor(x), beta=0.5, alpha=2.0)),
            (gl @ g, tl @ t), (gn.mm(gl, g), torch.mm(tl, t)),
            (gn.sparse.mm(gl, g.detach()), torch.sparse.mm(tl, t.detach()))]
    for go, to in outs:
        close(go, to)
    sum((go ** 2).sum() for go, _ in outs).backward()
    sum((to ** 2).sum() for _, to in outs).backward()
    close(gm.grad, tm.grad)
    close(gl.grad, tl.grad)
    # PyTorch's torch.mm/addmm/@ give a CSR leaf a dense gradient off its pattern too;
    # glassnet's is the sparse one: equal on the pattern.
    mask = a != 0
    np.testing.assert_allclose(np_(g.grad)[mask], np_(t.grad)[mask], rtol=1e-10, atol=1e-10)
    assert g.grad.layout is gn.sparse_csr


def test_product_gradcheck_float64(rng):
    a = matrix(rng, (4, 3), density=0.6)
    ref = gn.tensor(a).to_sparse_csr()
    crow, col = ref.crow_indices(), ref.col_indices()
    gv = gn.tensor(ref.values().numpy(), requires_grad=True)
    gx = gn.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    gl = gn.tensor(rng.standard_normal((2, 4)), requires_grad=True)

    def csr(v):
        return gn.sparse_csr_tensor(crow, col, v, (4, 3))

    assert gradcheck(lambda v, x: gn.sparse.mm(csr(v), x), (gv, gx))
    assert gradgradcheck(lambda v, x: csr(v) @ x, (gv, gx))
    assert gradcheck(lambda v, m: m @ csr(v), (gv, gl))
    assert gradcheck(lambda v: csr(v).to_dense(), (gv,))
    assert gradcheck(lambda v: csr(v).to_sparse_coo().to_sparse_csr().values() * 2, (gv,))


@pytest.mark.parametrize("call, err, match", [
    (lambda lib, s: lib.sparse.mm(s, lib.ones(4, 2, dtype=lib.float64)), RuntimeError,
     r"cannot be multiplied \(5 != 4\)"),
    (lambda lib, s: lib.sparse.mm(s, lib.ones(5, 2)), RuntimeError, "same dtype"),
    (lambda lib, s: lib.sparse.mm(s, lib.ones(5, dtype=lib.float64)), RuntimeError,
     "mat2 must be a matrix, got 1-D tensor"),
    (lambda lib, s: s.mm(lib.ones(5, dtype=lib.float64)), IndexError,
     "mat2 must be a 2-D matrix"),
    (lambda lib, s: s @ lib.ones(2, 5, 3, dtype=lib.float64), RuntimeError,
     "multiplies a 1-D or 2-D dense tensor"),
])
def test_product_errors_match_torch(rng, call, err, match):
    g, t = pair(matrix(rng))
    with pytest.raises(err, match=match):
        call(gn, g)
    with pytest.raises(err):
        call(torch, t)


# ----------------------------------------------------------------------------- the rest
def test_sum_matches_torch(rng):
    a = matrix(rng)
    g, t = pair(a, requires_grad=True)
    close(g.sum(), t.sum())
    for dim in (0, 1, -1):
        same_csr(g.detach().sum(dim, keepdim=True), t.detach().sum(dim, keepdim=True))
    same_csr(g.detach().sum((0, 1), keepdim=True), t.detach().sum((0, 1), keepdim=True))
    with pytest.raises(RuntimeError, match="reduction operations on CSR tensors with "
                       "keepdim=False is unsupported"):
        g.sum(0)
    with pytest.raises(RuntimeError, match="keepdim=False is unsupported"):
        t.sum((0, 1))
    g.sum().backward()  # PyTorch's gradient here is dense (ones); glassnet's is on the pattern
    assert g.grad.layout is gn.sparse_csr and np.all(g.grad.values().numpy() == 1)


@pytest.mark.parametrize("name", ["mul2", "neg", "sin", "relu", "abs", "tanh", "add", "mul",
                                  "mul_dense", "mul_coo", "dense_add"])
def test_arithmetic_and_pointwise_match_torch(rng, name):
    a, b = matrix(rng), matrix(rng)
    fn = {"mul2": lambda lib, s, o, d: s * 2.0, "neg": lambda lib, s, o, d: -s,
          "sin": lambda lib, s, o, d: s.sin(), "relu": lambda lib, s, o, d: s.relu(),
          "abs": lambda lib, s, o, d: s.abs(), "tanh": lambda lib, s, o, d: s.tanh(),
          "add": lambda lib, s, o, d: s + o, "mul": lambda lib, s, o, d: s * o,
          "mul_dense": lambda lib, s, o, d: s * d,
          "mul_coo": lambda lib, s, o, d: s * o.to_sparse_coo(),
          "dense_add": lambda lib, s, o, d: d + s}[name]
    g, t = pair(a, requires_grad=True)
    go, to = pair(b)
    gd, td = gn.tensor(b), torch.tensor(b)
    rg, rt = fn(gn, g, go, gd), fn(torch, t, to, td)
    assert (rg.layout is gn.sparse_csr) == (rt.layout == torch.sparse_csr)
    if rt.layout == torch.sparse_csr:
        close(rg.to_dense(), rt.to_dense())
    else:
        close(rg, rt)
    w = rng.standard_normal(a.shape)
    (rg.to_dense() * gn.tensor(w)).sum().backward()
    if name in ("sin", "tanh"):  # PyTorch 2.13 has no CSR backward for these; f' on the pattern
        d = {"sin": np.cos, "tanh": lambda v: 1 - np.tanh(v) ** 2}[name]
        np.testing.assert_allclose(np_(g.grad)[a != 0], (w * d(a))[a != 0], rtol=1e-10)
        return
    (rt.to_dense() * torch.tensor(w)).sum().backward()
    grad_t = np_(t.grad)
    np.testing.assert_allclose(np_(g.grad)[a != 0], grad_t[a != 0], rtol=1e-10, atol=1e-10)


def test_unsupported_ops_raise_torch_errors(rng):
    a = matrix(rng)
    g, t = pair(a)
    for name in ("indices", "coalesce", "is_coalesced", "_indices", "_values"):
        with pytest.raises(RuntimeError, match=f"{name} expected sparse coordinate tensor "
                           "layout but got SparseCsr"):
            getattr(g, name)()
    for name in ("indices", "coalesce", "is_coalesced"):
        with pytest.raises(RuntimeError, match="expected sparse coordinate tensor layout but "
                           "got SparseCsr"):
            getattr(t, name)()
    for x, tx, got in ((gn.ones(2, 2), torch.ones(2, 2), "Strided"),
                       (gn.ones(2, 2).to_sparse(), torch.ones(2, 2).to_sparse(), "Sparse")):
        for name in ("crow_indices", "col_indices"):
            msg = f"{name} expected sparse row compressed tensor layout but got {got}"
            with pytest.raises(RuntimeError, match=msg):
                getattr(x, name)()
            with pytest.raises(RuntimeError, match=msg):
                getattr(tx, name)()
    with pytest.raises(RuntimeError, match="Sparse CSR tensors do not have is_contiguous"):
        g.is_contiguous()
    with pytest.raises(TypeError, match="can't convert SparseCsr layout tensor to numpy"):
        g.numpy()
    with pytest.raises(TypeError, match="can't convert SparseCsr layout tensor to numpy"):
        t.numpy()
    for call in (lambda s: s.t(), lambda s: s.transpose(0, 1), lambda s: s.T):
        with pytest.raises(NotImplementedError, match="is a CSC matrix"):
            call(g)
    for call, err in ((lambda s: s.mean(), NotImplementedError),
                      (lambda s: s.view(30), NotImplementedError),
                      (lambda s: s.max(), NotImplementedError),
                      (lambda s: s.stride(), RuntimeError), (lambda s: s.exp(), RuntimeError),
                      (lambda s: s.reshape(30), RuntimeError)):
        with pytest.raises(err):
            call(t)
        with pytest.raises(err, match="not supported for sparse CSR tensors"):
            call(g)


def test_repr_matches_torch(rng):
    crow, col = [0, 1, 3, 3], [1, 0, 2]
    vals = np.array([3.0, -4.0, 5.5], np.float32)
    cases = [(gn.sparse_csr_tensor(crow, col, vals, (3, 3)),
              torch.sparse_csr_tensor(crow, col, torch.tensor(vals), (3, 3))),
             (gn.sparse_csr_tensor(crow, col, vals.astype(np.float64), (3, 3)),
              torch.sparse_csr_tensor(crow, col, torch.tensor(vals, dtype=torch.float64),
                                      (3, 3))),
             (gn.sparse_csr_tensor(crow, col, vals, (3, 3), requires_grad=True),
              torch.sparse_csr_tensor(crow, col, torch.tensor(vals), (3, 3),
                                      requires_grad=True)),
             (gn.zeros(2, 3).to_sparse_csr(), torch.zeros(2, 3).to_sparse_csr())]
    for g, t in cases:
        assert repr(g) == repr(t).replace("torch.", "glassnet.")
    assert f"{cases[0][0]}" == repr(cases[0][0])


def test_autograd_fields_copies_and_pickling(rng):
    a = matrix(rng)
    g, _ = pair(a, requires_grad=True)
    assert g.requires_grad and g.is_leaf and g.grad_fn is None
    d = g.detach()
    assert d.layout is gn.sparse_csr and not d.requires_grad
    c = g.clone()
    assert c.layout is gn.sparse_csr and not c.is_leaf and c.requires_grad
    assert g.double().dtype == gn.float64 and g.float().layout is gn.sparse_csr
    for cp in (copy.deepcopy(g), pickle.loads(pickle.dumps(g))):
        assert cp.layout is gn.sparse_csr and cp.requires_grad and cp.is_leaf and cp is not g
        np.testing.assert_array_equal(cp.crow_indices().numpy(), g.crow_indices().numpy())
        np.testing.assert_array_equal(np_(cp), a)
    with pytest.raises(RuntimeError, match="only sparse tensors created explicitly"):
        copy.deepcopy(g * 2)
    # copy_ takes another CSR tensor's entries (same nnz, as PyTorch requires)
    h = gn.tensor(a * 3).to_sparse_csr()
    assert d.copy_(h) is d
    np.testing.assert_array_equal(np_(d), a * 3)
    with pytest.raises(RuntimeError, match="same number of specified elements"):
        d.copy_(gn.ones(6, 5, dtype=gn.float64).to_sparse_csr())


def test_sparse_mask_with_a_csr_mask_matches_torch(rng):
    a, x = matrix(rng), rng.standard_normal((6, 5))
    g, t = pair(a)
    gx, tx = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    go, to = gx.sparse_mask(g), tx.sparse_mask(t)
    same_csr(go.detach(), to.detach())
    (go.values() ** 2).sum().backward()  # PyTorch 2.13 cannot differentiate this one
    np.testing.assert_allclose(gx.grad.numpy(), 2 * x * (a != 0), rtol=1e-12)
