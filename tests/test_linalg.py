"""``glassnet.linalg`` (glassnet/linalg.py) against ``torch.linalg``: values and gradients,
and float64 finite differences for everything differentiable."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import FLOAT_DTYPES, check_parity, gradcheck, spd, well_conditioned

import glassnet as gn


def _L(x):
    return torch.linalg if isinstance(x, torch.Tensor) else gn.linalg


# name -> (function, input maker)
SQUARE = {
    "det": lambda x: _L(x).det(x),
    "det_method": lambda x: x.det(),
    "slogdet": lambda x: _L(x).slogdet(x),
    "logdet_abs": lambda x: (x @ x.mT).logdet(),
    "inv": lambda x: _L(x).inv(x),
    "inverse": lambda x: x.inverse(),
    "pinv": lambda x: _L(x).pinv(x),
    "solve_mat": lambda x: _L(x).solve(x, x[..., :2] * 2 + 1),
    "solve_vec": lambda x: _L(x).solve(x, x[..., 0] + 1),
    "solve_right": lambda x: _L(x).solve(x, x[..., :2, :] - 1, left=False),
    "matrix_power3": lambda x: _L(x).matrix_power(x, 3),
    "matrix_power_neg": lambda x: x.matrix_power(-2),
    "matrix_exp": lambda x: _L(x).matrix_exp(x * 0.5),
    "norm_fro": lambda x: _L(x).norm(x),
    "matrix_norm_1": lambda x: _L(x).matrix_norm(x, 1),
    "matrix_norm_inf": lambda x: _L(x).matrix_norm(x, float("inf")),
    "matrix_norm_nuc": lambda x: _L(x).matrix_norm(x, "nuc"),
    "matrix_norm_2": lambda x: _L(x).matrix_norm(x, 2),
    "svdvals": lambda x: _L(x).svdvals(x),
    "vector_norm": lambda x: _L(x).vector_norm(x, 3, dim=-1),
    "vector_norm_all": lambda x: _L(x).vector_norm(x),
    "vector_norm_inf": lambda x: _L(x).vector_norm(x, float("-inf"), dim=(-2, -1)),
    "vector_norm_0": lambda x: _L(x).vector_norm(x, 0, dim=-1),
    "cond": lambda x: _L(x).cond(x),
    "multi_dot": lambda x: _L(x).multi_dot([x[0], x[1], x[0][:, 0]]),
    "vecdot": lambda x: _L(x).vecdot(x, x * 2),
}


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3)], ids=str)
@pytest.mark.parametrize("name", list(SQUARE))
def test_square_parity(name, shape, dtype, rng):
    if name == "multi_dot" and len(shape) < 3:
        pytest.skip("needs a batch of two matrices")
    tol = {"rtol": 1e-3, "atol": 1e-4} if dtype == np.float32 else {"rtol": 1e-6, "atol": 1e-7}
    check_parity(SQUARE[name], SQUARE[name], [well_conditioned(rng, shape)], dtype=dtype, **tol)


@pytest.mark.parametrize("name", [n for n in SQUARE if n not in ("vector_norm_0",)])
def test_square_gradcheck(name, rng):
    gradcheck(SQUARE[name], [well_conditioned(rng, (2, 3, 3))], rtol=1e-3)


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(upper, rng):
    a = spd(rng, (2, 4, 4))

    def f(x):
        return _L(x).cholesky((x + x.mT) / 2, upper=upper)

    check_parity(f, f, [a], dtype=np.float64)
    gradcheck(f, [a])
    check_parity(lambda x: x.cholesky(), lambda x: x.cholesky(), [a[0]], dtype=np.float64)


def test_eigh_values_and_vectors(rng):
    a = rng.standard_normal((2, 4, 4))

    def vals(x):
        return _L(x).eigvalsh((x + x.mT) / 2)

    def vecs_invariant(x):  # eigenvector signs are arbitrary: use sign-free functions
        w, v = _L(x).eigh((x + x.mT) / 2)
        return w, (v * v), (v[..., 0:1, :] * v)

    check_parity(vals, vals, [a], dtype=np.float64)
    check_parity(vecs_invariant, vecs_invariant, [a], dtype=np.float64, rtol=1e-6, atol=1e-6)
    gradcheck(vals, [a])
    gradcheck(vecs_invariant, [a])


def test_svd_qr_forward_and_limits(rng):
    a = rng.standard_normal((5, 3))
    for full in (False, True):
        u, s, vh = gn.linalg.svd(gn.tensor(a), full_matrices=full)
        tu, ts, tvh = torch.linalg.svd(torch.tensor(a), full_matrices=full)
        assert u.shape == tuple(tu.shape) and vh.shape == tuple(tvh.shape)
        np.testing.assert_allclose(s.numpy(), ts.numpy(), rtol=1e-6)
        k = s.shape[0]
        np.testing.assert_allclose((u[:, :k] * s) @ vh[:k], a, atol=1e-10)
    q, r = gn.linalg.qr(gn.tensor(a))
    tq, tr = torch.linalg.qr(torch.tensor(a))
    np.testing.assert_allclose(q.numpy(), tq.numpy(), atol=1e-10)
    np.testing.assert_allclose(r.numpy(), tr.numpy(), atol=1e-10)
    u, s, v = gn.tensor(a).svd()
    np.testing.assert_allclose((u * s) @ v.T.numpy(), a, atol=1e-10)
    x = gn.tensor(a, requires_grad=True)
    gn.linalg.svd(x, full_matrices=False).S.sum().backward()  # S alone: grad U V^T
    np.testing.assert_allclose(x.grad.numpy(), (u @ v.T).numpy(), atol=1e-10)
    # the gradients through U, Vh and Q, R: tests/ops/test_decomp.py


def test_lstsq_rank_and_errors(rng):
    a = rng.standard_normal((6, 3))
    b = rng.standard_normal((6, 2))
    check_parity(lambda x, y: _L(x).lstsq(x, y).solution, lambda x, y: _L(x).lstsq(x, y).solution,
                 [a, b], dtype=np.float64)
    low = a @ np.diag([1.0, 1.0, 0.0]) @ rng.standard_normal((3, 3))
    assert gn.linalg.matrix_rank(gn.tensor(low)).item() == torch.linalg.matrix_rank(
        torch.tensor(low)).item() == 2
    with pytest.raises(RuntimeError, match="square"):
        gn.linalg.det(gn.ones(2, 3))
    with pytest.raises(RuntimeError, match="singular"):
        gn.linalg.inv(gn.zeros(2, 2))
    with pytest.raises(RuntimeError, match="positive-definite"):
        gn.linalg.cholesky(-gn.eye(2))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pinv_and_lstsq_rank_deficient_match_torch(rng, dtype):
    # a rank-2 3x4 matrix: the cut-off of tiny singular values decides the answer
    a = (np.arange(12.0).reshape(3, 4) / 3 - 1.5).astype(dtype)
    tall = rng.standard_normal((5, 2)).astype(dtype)
    b = rng.standard_normal((5, 3)).astype(dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-7
    for kw in [{}, {"atol": 0.5}, {"rtol": 0.5}]:
        np.testing.assert_allclose(gn.linalg.pinv(gn.tensor(a), **kw).numpy(),
                                   torch.linalg.pinv(torch.tensor(a), **kw).numpy(), atol=tol)
    sym = a @ a.T
    np.testing.assert_allclose(gn.linalg.pinv(gn.tensor(sym), hermitian=True).numpy(),
                               torch.linalg.pinv(torch.tensor(sym), hermitian=True).numpy(),
                               atol=tol * 10)
    for A, B in [(a, np.ones((3, 2), dtype)), (tall, b)]:
        for driver in [None, "gels", "gelsy", "gelsd", "gelss"]:
            if driver == "gels" and A is a:
                continue  # gels assumes full rank
            g = gn.linalg.lstsq(gn.tensor(A), gn.tensor(B), driver=driver)
            t = torch.linalg.lstsq(torch.tensor(A), torch.tensor(B), driver=driver)
            for x, y in zip(g, t):
                assert tuple(x.shape) == tuple(y.shape) and x.dtype.itemsize == y.element_size()
                np.testing.assert_allclose(x.numpy(), y.numpy(), atol=tol * 10, rtol=tol)


@pytest.mark.parametrize("ord", [2, -2, "nuc", "fro", 1, float("inf")])
@pytest.mark.parametrize("dim", [(-2, -1), (0, 2), (2, 0), (1, -1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_matrix_norm_over_any_pair_of_dims(ord, dim, keepdim):
    a = np.random.default_rng(0).standard_normal((3, 4, 5))

    def f(x):
        return _L(x).matrix_norm(x, ord, dim=dim, keepdim=keepdim)

    check_parity(f, f, [a], dtype=np.float64)
    gradcheck(f, [a])


def test_matrix_rank_with_per_matrix_tolerances():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 5, 4)) * np.array([1.0, 1e-3, 10.0])[:, None, None]
    tol = np.array([0.5, 1e-6, 2.0])
    for kw in ({"atol": tol}, {"rtol": tol}, {"atol": tol, "rtol": tol[::-1].copy()},
               {"atol": 1.0}, {"rtol": 0.3}, {}):
        g = gn.linalg.matrix_rank(gn.tensor(a), **{k: gn.tensor(v) if isinstance(v, np.ndarray)
                                                  else v for k, v in kw.items()})
        t = torch.linalg.matrix_rank(torch.tensor(a), **{
            k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()})
        assert g.tolist() == t.tolist(), kw
    empty = gn.linalg.matrix_rank(gn.zeros(2, 0, 0), atol=gn.zeros(2))
    assert empty.tolist() == [0, 0]


def test_tensordot_broadcasts_size_one_dims():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((1, 1, 3)), rng.standard_normal((2, 1, 2))
    check_parity(lambda x, y: gn.tensordot(x, y, dims=([0, 1], [2, 0])),
                 lambda x, y: torch.tensordot(x, y, dims=([0, 1], [2, 0])), [a, b],
                 dtype=np.float64)
    with pytest.raises(RuntimeError, match="tensordot"):
        gn.tensordot(gn.zeros(2, 3), gn.zeros(3, 2), dims=([0], [0]))


@pytest.mark.parametrize("a_shape, b_shape, left", [
    ((4, 4), (4,), True), ((4, 4), (4, 2), True), ((2, 3, 3), (2, 3), True),
    ((2, 3, 3), (2, 2, 3), False), ((2, 3, 3), (3, 1), True), ((0, 2, 2), (0, 2), True)])
def test_solve_ex(a_shape, b_shape, left):
    rng = np.random.default_rng(3)
    a, b = well_conditioned(rng, a_shape), rng.standard_normal(b_shape)
    f = lambda x, y: _L(x).solve_ex(x, y, left=left)
    check_parity(f, f, [a, b], dtype=np.float64)
    check_parity(f, f, [a, b], rtol=1e-4, atol=1e-4)
    gradcheck(f, [a, b])


def test_solve_ex_singular():
    """A singular A: infos, and the infs and NaNs of the division by the zero pivot."""
    res, info = gn.linalg.solve_ex(gn.zeros(2, 3, 3), gn.ones(2, 3))
    tres, tinfo = torch.linalg.solve_ex(torch.zeros(2, 3, 3), torch.ones(2, 3))
    assert info.tolist() == tinfo.tolist()
    np.testing.assert_array_equal(res.numpy(), tres.numpy())
    with pytest.raises(RuntimeError, match="solve_ex"):
        gn.linalg.solve_ex(gn.zeros(3, 3), gn.ones(3), check_errors=True)


@pytest.mark.parametrize("shape, ind", [((2, 2, 3, 12, 1), 3), ((4, 3, 6, 1, 2), 2),
                                        ((3, 3), 1)])
def test_tensorinv(shape, ind):
    a = well_conditioned(np.random.default_rng(4), (12, 12) if len(shape) > 2 else (3, 3))
    f = lambda x: _L(x).tensorinv(x, ind=ind)
    check_parity(f, f, [a.reshape(shape)], dtype=np.float64)
    gradcheck(f, [a.reshape(shape)])
    with pytest.raises(RuntimeError, match="tensorinv"):
        gn.linalg.tensorinv(gn.ones(2, 3), ind=1)


@pytest.mark.parametrize("a_shape, dims", [((2, 3, 6), None), ((2, 3, 6), (0, 2)),
                                           ((3, 4, 4, 3), None), ((3, 4, 4, 3), (0, 2))])
def test_tensorsolve(a_shape, dims):
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal(a_shape), rng.standard_normal(a_shape[:2])
    f = lambda x, y: _L(x).tensorsolve(x, y, dims=dims)
    check_parity(f, f, [a, b], dtype=np.float64)
    gradcheck(f, [a, b])


@pytest.mark.parametrize("shape, N", [((), 2), ((1,), 3), ((5,), None), ((5,), 4),
                                      ((2, 5), 6), ((2, 0), 3)])
def test_vander(shape, N):
    x = np.random.default_rng(6).standard_normal(shape)
    f = lambda t: _L(t).vander(t, N=N)
    check_parity(f, f, [x], dtype=np.float64)
    check_parity(f, f, [x])
    gradcheck(f, [x])
    with pytest.raises(RuntimeError, match="N must be greater than 1"):
        gn.linalg.vander(gn.ones(3), N=1)
