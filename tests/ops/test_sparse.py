"""Sparse COO kernels (glassnet/ops/sparse.py): row-major positions, the distinct positions of a
coalesced tensor, and the sparse-dense product on SciPy's CSR kernels and on the NumPy fallback
(gather + segment sum), both against a dense product."""

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
