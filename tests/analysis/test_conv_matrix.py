"""Convolution as a matrix: conv(x) = M x, conv_transpose(y) = M.T y, and the lectures' counts."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F
from glassnet.analysis import conv_matrix, conv_param_comparison

CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONVT = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


@pytest.mark.parametrize("sparse", [None, True, False])
def test_conv_is_M_and_transposed_conv_is_M_T(sparse):
    r = np.random.default_rng(0)
    for i in range(40):
        nd = int(r.choice([1, 2, 2, 3]))
        g = int(r.choice([1, 1, 2]))
        cin, cout = g * int(r.integers(1, 3)), g * int(r.integers(1, 3))
        k = tuple(int(r.integers(1, 4)) for _ in range(nd))
        s = tuple(int(r.integers(1, 3)) for _ in range(nd))
        d = tuple(int(r.integers(1, 3)) for _ in range(nd))
        p = tuple(int(r.integers(0, 2)) for _ in range(nd))
        size = tuple(dd * (kk - 1) + 1 + int(r.integers(0, 4)) for kk, dd in zip(k, d))
        w = r.standard_normal((cout, cin // g) + k)
        x = r.standard_normal((1, cin) + size)
        m = conv_matrix(gn.tensor(w), (cin,) + size, s, p, d, g, sparse=sparse)
        if sparse is not False:
            assert hasattr(m, "toarray")
        y = CONV[nd](gn.tensor(x), gn.tensor(w), None, s, p, d, g)
        np.testing.assert_allclose(m @ x.ravel(), y.numpy().ravel(), rtol=1e-10, atol=1e-10)
        # the transposed convolution with the same weight multiplies by M.T
        u = r.standard_normal(tuple(y.shape))
        opad = tuple(size[j] - ((y.shape[2 + j] - 1) * s[j] - 2 * p[j] + d[j] * (k[j] - 1) + 1)
                     for j in range(nd))
        xt = CONVT[nd](gn.tensor(u), gn.tensor(w), None, s, p, opad, g, d)
        assert xt.shape == x.shape
        np.testing.assert_allclose(m.T @ u.ravel(), xt.numpy().ravel(), rtol=1e-10, atol=1e-10)


def test_lecture_matrix_and_same_padding():
    k = np.array([[1.0, 1, 1], [1, 2, 1], [1, 1, 1]])
    m = conv_matrix(k, (4, 4), sparse=False)
    # each row is the kernel laid out along the flattened 4x4 image (the lecture's matrix)
    assert m.shape == (4, 16)
    assert m[0].tolist() == [1, 1, 1, 0, 1, 2, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0]
    assert m[3].tolist() == [0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 2, 1, 0, 1, 1, 1]
    ms = conv_matrix(k, (5, 6), padding="same", sparse=False)
    x = np.random.default_rng(1).standard_normal((5, 6))
    y = F.conv2d(gn.tensor(x[None, None]), gn.tensor(k[None, None]), padding="same")
    np.testing.assert_allclose(ms @ x.ravel(), y.numpy().ravel())


def test_lecture_parameter_comparison():
    c = conv_param_comparison((320, 280), (2, 1))
    assert c["output_size"] == (319, 280)
    assert c["dense"]["stored_floats"] == 319 * 280 * 320 * 280 > 8e9
    assert c["dense"]["float_ops"] > 16e9
    assert c["sparse"]["stored_floats"] == 2 * 319 * 280 == 178_640
    assert c["sparse"]["float_ops"] == c["shared_kernel"]["float_ops"] == 319 * 280 * 3 == 267_960
    assert c["shared_kernel"]["stored_floats"] == 2
    m = conv_matrix(np.ones((2, 1)), (32, 28))
    assert m.nnz == conv_param_comparison((32, 28), (2, 1))["sparse"]["stored_floats"]
    table = conv_param_comparison((320, 280), (2, 1), as_table=True)
    assert "178,640" in table and "267,960" in table


def test_parameter_comparison_counts_match_the_matrix():
    r = np.random.default_rng(2)
    for _ in range(10):
        size = tuple(int(v) for v in r.integers(3, 8, 2))
        k = tuple(int(v) for v in r.integers(1, 4, 2))
        cin, cout = int(r.integers(1, 3)), int(r.integers(1, 3))
        p, s = int(r.integers(0, 2)), int(r.integers(1, 3))
        c = conv_param_comparison(size, k, cin, cout, stride=s, padding=p)
        m = conv_matrix(np.ones((cout, cin) + k), (cin,) + size, stride=s, padding=p)
        rows_nz = int((np.diff(m.indptr) > 0).sum())
        assert c["sparse"]["stored_floats"] == m.nnz
        assert c["sparse"]["float_ops"] == 2 * m.nnz - rows_nz
        assert c["dense"]["stored_floats"] == m.shape[0] * m.shape[1]


def test_conv_matrix_errors():
    with pytest.raises(ValueError, match="channels"):
        conv_matrix(np.ones((2, 3, 3, 3)), (2, 5, 5))
    with pytest.raises(ValueError, match="fit"):
        conv_matrix(np.ones((3, 3)), (2, 2))
