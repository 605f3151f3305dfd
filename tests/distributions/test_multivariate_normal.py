"""MultivariateNormal (glassnet/distributions/multivariate_normal.py) against
torch.distributions: log_prob from a covariance, a scale_tril or a precision matrix, entropy and
KL."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import check_parity, randn

from ._util import _d, _m


def _spd(m, a):
    return a @ a.transpose(-2, -1) + m.eye(a.shape[-1], dtype=a.dtype)


MVN = {
    "log_prob_cov": lambda loc, a, v: _d(loc).MultivariateNormal(loc, _spd(_m(loc), a))
    .log_prob(v),
    "log_prob_tril": lambda loc, a, v: _d(loc).MultivariateNormal(
        loc, scale_tril=_m(loc).linalg.cholesky(_spd(_m(loc), a))).log_prob(v),
    "precision": lambda loc, a, v: _d(loc).MultivariateNormal(
        loc, precision_matrix=_spd(_m(loc), a)).covariance_matrix.sum(-1) + 0 * v,
    "entropy": lambda loc, a, v: _d(loc).MultivariateNormal(loc, _spd(_m(loc), a)).entropy()
    + 0 * v.sum(-1),
    "kl": lambda loc, a, v: _d(loc).kl_divergence(
        _d(loc).MultivariateNormal(loc, _spd(_m(loc), a)),
        _d(loc).MultivariateNormal(v, _spd(_m(loc), a.flip(-1)))),
}


@pytest.mark.parametrize("name", list(MVN))
def test_multivariate_normal_parity(name, rng):
    inputs = [randn(rng, (2, 3)), randn(rng, (3, 3)), randn(rng, (2, 3))]
    check_parity(MVN[name], MVN[name], inputs, dtype=np.float64)
