"""Sparse kernels (glassnet/ops/sparse.py): row-major positions, the distinct positions of a
coalesced tensor, CSR row pointers, the pairs of entries a sparse-sparse product multiplies, the
sparse-dense product (SciPy's CSR kernels and the NumPy fallback, gather + segment sum) and its
adjoint the sampled product, both against dense products and checked by finite differences, the
max/min-reduced product and the Function that refuses a backward."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.ops import sparse as SP


def test_linear_index_and_unique_positions(rng):
    ind = np.stack([rng.integers(0, 3, 20), rng.integers(0, 4, 20), rng.integers(0, 5, 20)])
    key = SP.linear_index(ind, (3, 4, 5))
    np.testing.assert_array_equal(key, np.ravel_multi_index(tuple(ind), (3, 4, 5)))
    uniq, inverse, n = SP.unique_positions(ind, (3, 4, 5))
    ref = np.unique(ind, axis=1)  # lexicographic = row-major order
    np.testing.assert_array_equal(uniq, ref)
    assert n == ref.shape[1] and inverse.shape == (20,)
    np.testing.assert_array_equal(uniq[:, inverse], ind)
    with pytest.raises(RuntimeError, match="more positions than an int64 can number"):
        SP.linear_index(ind, (2 ** 40, 2 ** 40, 5))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("scipy", [True, False])
def test_spmm_both_kernels_match_the_dense_product(rng, monkeypatch, dtype, scipy):
    if not scipy:
        monkeypatch.setattr(SP, "_scipy_sparse", lambda: None)
    rows, cols = rng.integers(0, 7, 30), rng.integers(0, 5, 30)
    vals = rng.standard_normal(30).astype(dtype)
    x = rng.standard_normal((5, 4)).astype(dtype)
    dense = np.zeros((7, 5), np.float64)
    np.add.at(dense, (rows, cols), vals.astype(np.float64))
    csr = SP._csr(rows, cols, vals, (7, 5))
    assert (csr is not None) == (scipy and dtype != np.float16)
    out = SP.spmm(rows, cols, vals, 7, x, csr)
    assert out.dtype == dtype and out.shape == (7, 4)
    tol = 1e-2 if dtype == np.float16 else 1e-5
    np.testing.assert_allclose(out.astype(np.float64), dense @ x.astype(np.float64), rtol=tol,
                               atol=tol)


def test_row_pointers_and_back(rng):
    rows = np.sort(rng.integers(0, 6, 25))
    crow = SP.row_pointers(rows, 7)  # row 6 and others may be empty
    assert crow.shape == (8,) and crow[0] == 0 and crow[-1] == 25
    np.testing.assert_array_equal(np.diff(crow), np.bincount(rows, minlength=7))
    np.testing.assert_array_equal(SP.pointer_rows(crow), rows)
    np.testing.assert_array_equal(SP.row_pointers(np.zeros(0, np.int64), 3), [0, 0, 0, 0])


def test_product_pairs_are_every_meeting_pair(rng):
    a_cols, b_rows = rng.integers(0, 5, 12), rng.integers(0, 5, 9)
    ea, eb = SP.product_pairs(a_cols, b_rows, 5)
    assert ea.dtype == eb.dtype == np.int64
    np.testing.assert_array_equal(a_cols[ea], b_rows[eb])
    brute = {(e, f) for e in range(12) for f in range(9) if a_cols[e] == b_rows[f]}
    assert set(zip(ea.tolist(), eb.tolist())) == brute and len(ea) == len(brute)
    ea, eb = SP.product_pairs(a_cols, np.zeros(0, np.int64), 5)
    assert ea.shape == eb.shape == (0,)


def test_sddmm_reads_the_product_on_the_pattern(rng):
    p, q = rng.standard_normal((4, 3)), rng.standard_normal((5, 3))
    rows, cols = rng.integers(0, 4, 7), rng.integers(0, 5, 7)
    np.testing.assert_allclose(SP.sddmm(rows, cols, p, q), (p @ q.T)[rows, cols])


@pytest.mark.parametrize("scipy", [True, False])
def test_sampled_mm_and_spmm_are_adjoint_and_pass_gradcheck(rng, monkeypatch, scipy):
    import glassnet as gn
    from glassnet.autograd import gradcheck, gradgradcheck

    if not scipy:
        monkeypatch.setattr(SP, "_scipy_sparse", lambda: None)
    ind = np.stack([rng.integers(0, 4, 6), rng.integers(0, 5, 6)])
    p = gn.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    q = gn.tensor(rng.standard_normal((3, 5)), requires_grad=True)
    v = gn.tensor(rng.standard_normal(6), requires_grad=True)
    x = gn.tensor(rng.standard_normal((5, 2)), requires_grad=True)
    assert gradcheck(lambda p, q: SP.SampledMM.apply(p, q, ind), (p, q))
    assert gradgradcheck(lambda p, q: SP.SampledMM.apply(p, q, ind), (p, q))
    assert gradcheck(lambda v, x: SP.SparseMM.apply(v, x, ind, 4, None), (v, x))
    assert gradgradcheck(lambda v, x: SP.SparseMM.apply(v, x, ind, 4, None), (v, x))
    # <S, P Q> read on the pattern == <S Q^T, P>: each is the other's adjoint
    s = rng.standard_normal(6)
    lhs = s @ SP.sddmm(ind[0], ind[1], p.detach().numpy(), q.detach().numpy().T)
    rhs = np.sum(SP.spmm(ind[0], ind[1], s, 4, q.detach().numpy().T) * p.detach().numpy())
    np.testing.assert_allclose(lhs, rhs)


def test_sparse_mm_extreme_and_its_gradient(rng):
    import glassnet as gn
    from glassnet.autograd import gradcheck

    rows = np.array([0, 0, 0, 2, 2, 3])  # row 1 empty
    cols = np.array([0, 2, 1, 1, 2, 0])
    ind = np.stack([rows, cols])
    v = gn.tensor(rng.standard_normal(6), requires_grad=True)
    x = gn.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    for op, red in (("max", np.max), ("min", np.min)):
        out = SP.SparseMMExtreme.apply(v, x, ind, 5, op).detach().numpy()
        terms = v.detach().numpy()[:, None] * x.detach().numpy()[cols]
        for r in range(5):
            ref = red(terms[rows == r], 0) if (rows == r).any() else np.zeros(4)
            np.testing.assert_allclose(out[r], ref)
        assert gradcheck(lambda v, x, op=op: SP.SparseMMExtreme.apply(v, x, ind, 5, op), (v, x))
    # ties: the whole gradient goes to the first entry that attains the extreme
    tv = gn.tensor([2.0, 2.0], requires_grad=True)
    tx = gn.ones(2, 1, dtype=gn.float64, requires_grad=True)
    SP.SparseMMExtreme.apply(tv, tx, np.array([[0, 0], [0, 1]]), 1, "max").sum().backward()
    np.testing.assert_array_equal(tv.grad.numpy(), [1.0, 0.0])
    np.testing.assert_array_equal(tx.grad.numpy(), [[2.0], [0.0]])


def test_refuse_backward_raises_its_message():
    import glassnet as gn

    v = gn.ones(3, requires_grad=True)
    out = SP.RefuseBackward.apply(v, "no gradient here")
    np.testing.assert_array_equal(out.detach().numpy(), np.ones(3))
    with pytest.raises(RuntimeError, match="no gradient here"):
        out.sum().backward()
