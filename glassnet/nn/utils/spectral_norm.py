"""Spectral normalisation (Miyato et al., 2018), hook-based (``torch.nn.utils.spectral_norm``).

The weight is divided by its largest singular value ``sigma``, so that the layer is 1-Lipschitz
(the usual constraint on a GAN's discriminator). ``sigma`` is estimated by power iteration with
persistent vectors ``u`` and ``v``: one (or ``n_power_iterations``) step per forward in training
refines them, and ``sigma = u^T W v`` follows. ``u`` and ``v`` are constants for autograd, so the
gradient is that of ``W / sigma`` with ``sigma`` depending on ``W`` through ``u^T W v``.

The modern form is :func:`glassnet.nn.utils.parametrizations.spectral_norm`.
"""

from __future__ import annotations

from glassnet import backend
from glassnet.autograd import no_grad
from glassnet.nn.modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from glassnet.nn.parameter import Parameter
from glassnet.tensor import Tensor

__all__ = ["remove_spectral_norm", "spectral_norm"]


def normalize_(x, eps, out):
    """``F.normalize(x, dim=0, eps=eps, out=out)`` on raw 1-D arrays: x / max(||x||_2, eps)."""
    xp = backend.array_module(x)
    norm = xp.sqrt(xp.dot(x, x))
    xp.divide(x, xp.maximum(norm, x.dtype.type(eps)), out=out)
    return out


def random_unit(n, eps, like):
    """A random unit vector: a normal draw from glassnet's generator, normalised."""
    xp = backend.array_module(like)
    x = backend.to_device(backend.rng().standard_normal(n).astype(like.dtype),
                          backend.device_of(like))
    return normalize_(x, eps, xp.empty_like(x))


def default_dim(module):
    """1 for transposed convolutions (whose weight is (in, out, ...)), 0 otherwise."""
    return 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0


def weight_matrix(weight, dim):
    """The weight as a matrix with ``dim`` first: (d_dim, everything else). Works on Tensors
    (differentiably) and on raw arrays."""
    if dim != 0:
        weight = weight.permute(dim, *[d for d in range(weight.ndim) if d != dim]) \
            if isinstance(weight, Tensor) else \
            weight.transpose(dim, *[d for d in range(weight.ndim) if d != dim])
    return weight.reshape(weight.shape[0], -1)


class SpectralNorm:
    """The forward pre-hook that sets ``module.<name>`` to ``<name>_orig / sigma``."""

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        self.name = name
        self.dim = dim
        if n_power_iterations <= 0:
            raise ValueError("spectral_norm: Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")._data
        v = getattr(module, self.name + "_v")._data
        mat = weight_matrix(weight._data, self.dim)
        if do_power_iteration:
            for _ in range(self.n_power_iterations):
                normalize_(mat.T @ u, self.eps, out=v)       # v <- W^T u / |W^T u|
                normalize_(mat @ v, self.eps, out=u)         # u <- W v / |W v|
        u_t, v_t = Tensor._make(u.copy(), False), Tensor._make(v.copy(), False)
        sigma = (u_t * (weight_matrix(weight, self.dim) @ v_t)).sum()
        return weight / sigma

    def remove(self, module):
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()._data))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, module.training))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two spectral_norm hooks on the same "
                                   f"parameter {name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        h, w = weight_matrix(weight._data, dim).shape
        u = random_unit(h, eps, weight._data)
        v = random_unit(w, eps, weight._data)
        delattr(module, name)
        module.register_parameter(name + "_orig", weight)
        setattr(module, name, Tensor._make(weight._data, False))
        module.register_buffer(name + "_u", Tensor._make(u, False))
        module.register_buffer(name + "_v", Tensor._make(v, False))
        module.register_forward_pre_hook(fn)
        return fn


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    r"""Divide ``module.<name>`` by its spectral norm before every forward
    (``torch.nn.utils.spectral_norm``).

    The parameter becomes ``<name>_orig``; buffers ``<name>_u`` (d_dim,) and ``<name>_v``
    (prod of the other dims,) hold the power-iteration vectors (random unit vectors at first).
    In training each forward runs ``n_power_iterations`` steps
    ``v <- W^T u / |W^T u|, u <- W v / |W v|``; in eval the stored vectors are used as they are.
    ``dim`` defaults to 1 for transposed convolutions and 0 otherwise. Returns ``module``.
    """
    if dim is None:
        dim = default_dim(module)
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module, name="weight"):
    """Replace the spectrally normalised weight by a plain parameter holding its current
    value."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
