"""Weight initialisation, in place, with PyTorch's names and distributions.

Why it matters (lectures, "weight initialisation"): a layer's output variance is
fan_in * Var(w) * Var(x). If fan_in * Var(w) is far from 1 the signal — and, going backwards,
the gradient — shrinks or grows geometrically with depth. The lectures start from w ~ N(0, 0.1)
(``normal_(w, 0, 0.1)``); the schemes below choose Var(w) from the fan instead:

* Xavier/Glorot: Var(w) = 2 / (fan_in + fan_out) (keeps both directions stable for tanh-like units);
* Kaiming/He: Var(w) = gain^2 / fan (ReLU halves the variance, so gain = sqrt(2)).

Every function fills ``tensor`` in place without recording a graph, draws from glassnet's default
generator unless ``generator`` is given, and returns ``tensor``.
"""

from __future__ import annotations

import functools
import math
import warnings

import numpy as np

from .. import backend

__all__ = [
    "calculate_gain",
    "constant_",
    "dirac_",
    "eye_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "orthogonal_",
    "sparse_",
    "trunc_normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]
# (the deprecated spellings without the underscore are defined at the end of the file)

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d")


def _fill(tensor, values):
    """Write NumPy ``values`` into the tensor's array (same dtype and device), no graph."""
    arr = np.asarray(values).astype(tensor._data.dtype, copy=False)
    tensor._data[...] = backend.to_device(arr, tensor.device)
    return tensor


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity: 1 for linear/conv/sigmoid, 5/3 for tanh,
    sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for leaky_relu (slope 0.01 by default), 3/4 for
    selu."""
    if nonlinearity in _LINEAR or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif (not isinstance(param, bool) and isinstance(param, int)) or isinstance(param, float):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param} not a valid number "
                             "(expected an int or a float)")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: Unsupported nonlinearity {nonlinearity} (expected one of "
                     "linear, conv*, conv_transpose*, sigmoid, tanh, relu, leaky_relu, selu)")


def _calculate_fan_in_and_fan_out(tensor):
    """fan_in = in_features * receptive field, fan_out = out_features * receptive field, for a
    weight of shape (out, in, *kernel)."""
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         f"dimensions (got shape {tuple(tensor.shape)})")
    receptive = 1
    for s in tensor.shape[2:]:
        receptive *= s
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with U(a, b)."""
    return _fill(tensor, backend.rng(generator).uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with N(mean, std^2) — the lectures' N(0, 0.1) is ``normal_(w, 0.0, 0.1)``."""
    return _fill(tensor, backend.rng(generator).standard_normal(tensor.shape) * std + mean)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std^2) conditioned on [a, b]: values outside are, in effect, redrawn.

    Sampled by inverse CDF: u uniform between Phi((a - mean) / std) and Phi((b - mean) / std),
    x = mean + std * Phi^-1(u). (PyTorch 2.13 samples the same distribution by rejection; the
    draws differ, the distribution does not.) Works best with a <= mean <= b.
    """
    from scipy.special import erfinv

    def cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    if (mean < a - 2 * std) or (mean > b + 2 * std):
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
                      "The distribution of values may be incorrect.", stacklevel=2)

    lo, hi = cdf((a - mean) / std), cdf((b - mean) / std)
    u = backend.rng(generator).uniform(2 * lo - 1, 2 * hi - 1, tensor.shape)
    x = erfinv(u) * std * math.sqrt(2.0) + mean
    return _fill(tensor, np.clip(x, a, b))


def constant_(tensor, val):
    tensor._data[...] = val
    return tensor


def ones_(tensor):
    return constant_(tensor, 1.0)


def zeros_(tensor):
    return constant_(tensor, 0.0)


def eye_(tensor):
    """Fill a 2-D tensor with the identity (ones on the diagonal)."""
    if tensor.dim() != 2:
        raise ValueError("eye_: Only tensors with 2 dimensions are supported, got shape "
                         f"{tuple(tensor.shape)}")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor, groups=1):
    """Fill a {3,4,5}-D conv weight with the Dirac delta: the convolution becomes the identity
    on the first min(out, in) channels of each group."""
    d = tensor.dim()
    if d not in (3, 4, 5):
        raise ValueError(f"dirac_: Only tensors with 3, 4, or 5 dimensions are supported, got "
                         f"shape {tuple(tensor.shape)}")
    out_per = tensor.shape[0] // groups
    if tensor.shape[0] % groups:
        raise ValueError(f"dirac_: dim 0 must be divisible by groups (got {tensor.shape[0]} "
                         f"output channels and groups={groups})")
    w = np.zeros(tensor.shape)
    centre = tuple(s // 2 for s in tensor.shape[2:])
    for g in range(groups):
        for i in range(min(out_per, tensor.shape[1])):
            w[(g * out_per + i, i) + centre] = 1
    return _fill(tensor, w)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(-bound, bound), bound = gain * sqrt(3 / fan) (He et al., 2015); ``a`` is the leaky-relu
    slope. Linear and conv layers use a = sqrt(5), which gives bound = 1 / sqrt(fan_in)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """N(0, std^2), std = gain / sqrt(fan) (He et al., 2015)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)


def orthogonal_(tensor, gain=1, generator=None):
    """A (semi-)orthogonal matrix from the QR decomposition of a Gaussian matrix (Saxe et al.,
    2013), trailing dimensions flattened; the signs of R's diagonal make Q uniformly distributed."""
    if tensor.dim() < 2:
        raise ValueError("orthogonal_: Only tensors with 2 or more dimensions are supported, got "
                         f"shape {tuple(tensor.shape)}")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = backend.rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """A 2-D tensor N(0, std^2) with a fraction ``sparsity`` of each column set to zero."""
    if tensor.dim() != 2:
        raise ValueError("sparse_: Only tensors with 2 dimensions are supported, got shape "
                         f"{tuple(tensor.shape)}")
    g = backend.rng(generator)
    rows, cols = tensor.shape
    w = g.standard_normal((rows, cols)) * std
    nz = math.ceil(sparsity * rows)
    for c in range(cols):
        w[g.permutation(rows)[:nz], c] = 0
    return _fill(tensor, w)


def _default_layer_init_(weight, bias, bias_needs_fan=False):
    """PyTorch's default initialisation of Linear and Conv layers: ``kaiming_uniform_`` with
    a = sqrt(5) on the weight, so W ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias (unless
    None) ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)). With fan_in = 0 the bias bound is 0; with
    ``bias_needs_fan`` (Conv's rule) the bias is then left untouched instead."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = _calculate_fan_in_and_fan_out(weight)
        if fan_in == 0 and bias_needs_fan:
            return
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        uniform_(bias, -bound, bound)


# Deprecated PyTorch spellings without the trailing underscore: they warn, then do the same.
def _make_deprecate(meth):
    new_name = meth.__name__
    old_name = new_name[:-1]

    @functools.wraps(meth)
    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of "
                      f"`nn.init.{new_name}`.", FutureWarning, stacklevel=2)
        return meth(*args, **kwargs)

    deprecated_init.__name__ = old_name
    deprecated_init.__doc__ = (f"{old_name}(...): deprecated in favour of "
                               f":func:`glassnet.nn.init.{new_name}`.")
    return deprecated_init


uniform = _make_deprecate(uniform_)
normal = _make_deprecate(normal_)
constant = _make_deprecate(constant_)
eye = _make_deprecate(eye_)
dirac = _make_deprecate(dirac_)
xavier_uniform = _make_deprecate(xavier_uniform_)
xavier_normal = _make_deprecate(xavier_normal_)
kaiming_uniform = _make_deprecate(kaiming_uniform_)
kaiming_normal = _make_deprecate(kaiming_normal_)
orthogonal = _make_deprecate(orthogonal_)
sparse = _make_deprecate(sparse_)
