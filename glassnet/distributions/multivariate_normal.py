"""The multivariate normal distribution N(loc, Sigma), parameterised through Cholesky factors."""

from __future__ import annotations

import math

import glassnet as Fn

from .distribution import Distribution


def _batch_mahalanobis(L, x):
    """x^T (L L^T)^-1 x for lower-triangular L, by one triangular solve."""
    y = Fn.linalg.solve_triangular(L.expand(tuple(x.shape[:-1]) + tuple(L.shape[-2:])),
                                   x.unsqueeze(-1), upper=False).squeeze(-1)
    return y.pow(2).sum(-1)


class MultivariateNormal(Distribution):
    """N(loc, Sigma) with Sigma = L L^T given as ``covariance_matrix``, ``precision_matrix`` or
    ``scale_tril`` (L itself). log p(x) = -(k log(2 pi) + (x-mu)^T Sigma^-1 (x-mu)) / 2 -
    sum(log diag L). ``rsample`` is mu + L eps.

    Shape: loc (*, k); the matrix (*, k, k); batch_shape is their broadcast batch, event (k,).
    """

    arg_names = ("loc", "covariance_matrix", "precision_matrix", "scale_tril")
    has_rsample = True

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args=None):
        given = [m is not None for m in (covariance_matrix, precision_matrix, scale_tril)]
        if sum(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril "
                             "may be specified.")
        if loc.dim() < 1:
            raise ValueError("loc must be at least one-dimensional.")
        if scale_tril is not None:
            L = scale_tril
        elif covariance_matrix is not None:
            L = Fn.linalg.cholesky(covariance_matrix)
        else:
            # Sigma = P^-1: the Cholesky factor of the inverse, as PyTorch forms it
            Lf = Fn.linalg.cholesky(precision_matrix.flip(-2, -1)).flip(-2, -1)
            eye = Fn.eye(Lf.shape[-1], dtype=Lf.dtype).expand(tuple(Lf.shape))
            L = Fn.linalg.solve_triangular(Lf.transpose(-2, -1), eye, upper=False)
        if L.dim() < 2:
            raise ValueError("the matrix parameter must be at least two-dimensional")
        batch = tuple(Fn.broadcast_shapes(tuple(L.shape[:-2]), tuple(loc.shape[:-1])))
        k = loc.shape[-1]
        self._unbroadcasted_scale_tril = L
        self.loc = loc.expand(batch + (k,))
        name = ("covariance_matrix", "precision_matrix", "scale_tril")[given.index(True)]
        self.__dict__["_" + name] = (covariance_matrix, precision_matrix, scale_tril)[
            given.index(True)]
        super().__init__(batch, (k,), validate_args)

    @property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(tuple(self.batch_shape) +
                                                     tuple(self.event_shape) * 2)

    @property
    def covariance_matrix(self):
        L = self._unbroadcasted_scale_tril
        return (L @ L.transpose(-2, -1)).expand(tuple(self.batch_shape) +
                                                tuple(self.event_shape) * 2)

    @property
    def precision_matrix(self):
        return Fn.linalg.inv(self.covariance_matrix)

    def rsample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        eps = Fn.randn(shape, dtype=self.loc.dtype)
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value):
        diff = value - self.loc
        M = _batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return -0.5 * (self.event_shape[0] * math.log(2 * math.pi) + M) - half_log_det

    def entropy(self):
        half_log_det = self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        H = 0.5 * self.event_shape[0] * (1.0 + math.log(2 * math.pi)) + half_log_det
        return H if not self.batch_shape else H.expand(tuple(self.batch_shape))

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        L = self._unbroadcasted_scale_tril
        return L.pow(2).sum(-1).expand(tuple(self.batch_shape) + tuple(self.event_shape))
