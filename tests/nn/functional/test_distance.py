"""pairwise_distance, pdist, cosine_similarity (functions and layers) against PyTorch, with the
norm's conventions at zero and at ties."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF
from helpers import FLOAT_DTYPES, check_parity, gradcheck

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F

PS = [2.0, 1.0, 3.0, 1.5, 0.5, math.inf, 0.0]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("p", PS)
def test_pairwise_distance_parity(dtype, p, rng):
    a, b = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    for x1, x2 in ((a, b), (a, b[:1]), (a[0], b), (a[0], b[1])):
        for keepdim in (False, True):
            check_parity(lambda u, v: F.pairwise_distance(u, v, p, 1e-6, keepdim),
                         lambda u, v: TF.pairwise_distance(u, v, p, 1e-6, keepdim), [x1, x2],
                         dtype=dtype)
    check_parity(nn.PairwiseDistance(p, eps=0.1), tnn.PairwiseDistance(p, eps=0.1), [a, b],
                 dtype=dtype)


def test_pairwise_distance_zero_rows_and_gradcheck(rng):
    a = rng.standard_normal((4, 3))
    for p in (2.0, 1.5, 3.0):  # identical rows with eps=0: the gradient is 0, not NaN
        check_parity(lambda u, v: F.pairwise_distance(u, v, p, 0.0),
                     lambda u, v: TF.pairwise_distance(u, v, p, 0.0), [a, a.copy()],
                     dtype=np.float64)
    for p in (2.0, 1.0, 3.0, math.inf):
        gradcheck(lambda u, v: F.pairwise_distance(u, v, p), [a, rng.standard_normal((4, 3))])


def test_norm_inf_ties_split_like_pytorch():
    x = np.array([[1.0, -3.0, 3.0], [2.0, 2.0, -2.0]])
    y = np.zeros_like(x)
    check_parity(lambda u, v: F.pairwise_distance(u, v, math.inf, 0.0),
                 lambda u, v: TF.pairwise_distance(u, v, math.inf, 0.0), [x, y],
                 dtype=np.float64)
    check_parity(lambda u: F.pdist(u, math.inf), lambda u: torch.pdist(u, math.inf),
                 [np.array([[0.0, 1.0], [2.0, -1.0], [1.0, 1.0]])], dtype=np.float64)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("p", PS)
def test_pdist_parity(dtype, p, rng):
    x = rng.standard_normal((6, 3))
    x[4] = x[1]  # a zero distance
    check_parity(lambda a: F.pdist(a, p), lambda a: torch.pdist(a, p), [x], dtype=dtype)


def test_pdist_gradcheck_and_errors(rng):
    gradcheck(lambda a: F.pdist(a), [rng.standard_normal((5, 3))])
    gradcheck(lambda a: F.pdist(a, 1.5), [rng.standard_normal((4, 2))])
    assert tuple(F.pdist(gn.zeros(1, 3)).shape) == (0,)
    with pytest.raises(RuntimeError, match="2D"):
        F.pdist(gn.zeros(2, 2, 2))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shapes,dim", [(((4, 5), (4, 5)), 1), (((4, 5), (1, 5)), 1),
                                        (((2, 3, 4), (2, 3, 4)), -1), (((2, 3, 4), (3, 1)), 0),
                                        (((5,), (5,)), 0), (((3, 4), (4,)), -1)])
def test_cosine_similarity_parity(dtype, shapes, dim, rng):
    x1, x2 = (rng.standard_normal(s) for s in shapes)
    check_parity(lambda a, b: F.cosine_similarity(a, b, dim),
                 lambda a, b: TF.cosine_similarity(a, b, dim), [x1, x2], dtype=dtype)
    check_parity(nn.CosineSimilarity(dim), tnn.CosineSimilarity(dim), [x1, x2], dtype=dtype)


def test_cosine_similarity_eps_semantics(rng):
    """Norms below eps are clamped without being differentiated (PyTorch clamps in place under
    no_grad): tiny and zero vectors give PyTorch's values and gradients."""
    x1 = rng.standard_normal((4, 3))
    x2 = rng.standard_normal((4, 3))
    x1[1] *= 1e-9
    x2[2] = 0.0
    for eps in (1e-8, 0.5):
        check_parity(lambda a, b: F.cosine_similarity(a, b, 1, eps),
                     lambda a, b: TF.cosine_similarity(a, b, 1, eps), [x1, x2],
                     dtype=np.float64)
    gradcheck(lambda a, b: F.cosine_similarity(a, b), [rng.standard_normal((3, 4)),
                                                       rng.standard_normal((3, 4))])


def test_integer_inputs_like_pytorch():
    a = np.array([[1, 2, 3]])
    with pytest.raises(RuntimeError, match="floating"):
        F.cosine_similarity(gn.tensor(a), gn.tensor(a))
    with pytest.raises(RuntimeError, match="floating"):
        F.pdist(gn.tensor(a))
    out = F.pairwise_distance(gn.tensor(a), gn.tensor(a))  # x1 - x2 + eps is float
    assert out.dtype == gn.float32
    np.testing.assert_allclose(out.numpy(), TF.pairwise_distance(torch.tensor(a),
                                                                 torch.tensor(a)).numpy())
    check_parity(F.cosine_similarity, TF.cosine_similarity,
                 [a.astype(np.float32), a.astype(np.float64)], dtype=None, check_dtype=True)
