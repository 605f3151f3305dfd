"""Weight and spectral normalisation as parametrizations (``torch.nn.utils.parametrizations``).

Both register a small module with :func:`glassnet.nn.utils.parametrize.register_parametrization`:
``module.weight`` is computed from the originals at each access, and the state dict holds
``parametrizations.weight.original0`` / ``original1`` (weight norm: g and v) or
``parametrizations.weight.original`` with ``parametrizations.weight.0._u`` / ``._v`` (spectral
norm), as PyTorch's. (``orthogonal`` is not provided.)
"""

from __future__ import annotations

from glassnet.autograd import no_grad
from glassnet.nn.functional import normalize
from glassnet.nn.modules.module import Module
from glassnet.nn.utils import parametrize
from glassnet.nn.utils.spectral_norm import default_dim, normalize_, random_unit, weight_matrix
from glassnet.nn.utils.weight_norm import norm_except_dim, weight_norm_of
from glassnet.tensor import Tensor

__all__ = ["spectral_norm", "weight_norm"]


class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_norm_of(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    r"""Weight normalisation :math:`w = g\, v / \|v\|` as a parametrization
    (``torch.nn.utils.parametrizations.weight_norm``).

    ``module.parametrizations.<name>.original0`` is ``g`` (the norms over every dimension
    except ``dim``, kept as size-1 dimensions; ``dim=None``: one norm of the whole tensor) and
    ``original1`` is ``v``. Returns ``module``.
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError("Dimension out of range (expected to be in range of "
                             f"[-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            h, w = weight_matrix(weight._data, self.dim).shape
            self.register_buffer("_u", Tensor._make(random_unit(h, eps, weight._data), False))
            self.register_buffer("_v", Tensor._make(random_unit(w, eps, weight._data), False))
            self._power_method(weight_matrix(weight._data, self.dim), 15)

    def _power_method(self, mat, n_power_iterations):
        """``u <- W v / |W v|, v <- W^T u / |W^T u|``, in place on the buffers, no graph."""
        u, v = self._u._data, self._v._data
        for _ in range(n_power_iterations):
            normalize_(mat @ v, self.eps, out=u)
            normalize_(mat.T @ u, self.eps, out=v)

    def forward(self, weight):
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        if self.training:
            with no_grad():
                self._power_method(weight_matrix(weight._data, self.dim), self.n_power_iterations)
        u = Tensor._make(self._u._data.copy(), False)
        v = Tensor._make(self._v._data.copy(), False)
        sigma = (u * (weight_matrix(weight, self.dim) @ v)).sum()
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    r"""Spectral normalisation :math:`W / \sigma(W)` as a parametrization
    (``torch.nn.utils.parametrizations.spectral_norm``).

    :math:`\sigma` is estimated by power iteration with buffers ``_u`` and ``_v`` of the
    parametrization (15 iterations at registration, ``n_power_iterations`` per access in
    training mode, none in eval). ``dim`` defaults to 1 for transposed convolutions and 0
    otherwise. Returns ``module``.
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(  # noqa: TRY004 - PyTorch raises a ValueError
            f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = default_dim(module)
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


