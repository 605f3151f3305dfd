"""Creation functions and the functional forms of tensor ops (``gn.cat``, ``gn.exp``, ...).

Every random creation function draws from glassnet's one seeded generator (``gn.manual_seed``)
unless a ``generator`` is passed.
"""

from __future__ import annotations

import builtins
import math
import warnings

import numpy as np

from . import backend
from . import linalg as _linalg
from . import return_types as _RT
from .ops import linalg as L
from .ops import lu as _lu_ops
from .tensor import Tensor, _as_tensor, _new_size, _to_array, tensor
from .tensor import numpy_names as _numpy_names
from .tensor.arith import _matmul, _maximum, _minimum, _where
from .tensor.inplace import _NAMES as _INPLACE_NAMES
from .tensor.shape import _cat, _joinable, _stack


def matmul(input, other):
    """Matrix product with broadcast batch dimensions: (..., n, m) @ (..., m, p) -> (..., n, p);
    a 1-D operand is a vector (a row on the left, a column on the right), as in NumPy."""
    return _matmul(input, other)


def maximum(input, other):
    """The elementwise larger of two tensors (NaN wins); the gradient goes to the larger one
    (split evenly on ties)."""
    return _maximum(input, other)


def minimum(input, other):
    """The elementwise smaller of two tensors (NaN wins); the gradient goes to the smaller one
    (split evenly on ties)."""
    return _minimum(input, other)


def where(condition, input=None, other=None):
    """``input`` where ``condition`` is true, ``other`` elsewhere, broadcast together; the
    gradient is routed to the side that was picked. ``where(condition)`` alone is
    ``condition.nonzero(as_tuple=True)``."""
    return _where(condition, input, other)


def _make(arr, requires_grad, device):
    if device is not None:
        arr = backend.to_device(arr, device)
    t = Tensor._make(arr, False)
    return t.requires_grad_(True) if requires_grad else t


def _dt(dtype, default=None):
    d = backend.to_dtype(dtype)
    return d if d is not None else (default or backend.get_default_dtype())


def _sized(op, args, size):
    """The size of ``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros(size=(2, 3))``, checked."""
    if size is not None:
        if args:
            raise TypeError(f"{op}() got multiple values for argument 'size'")
        args = (size,)
    return _new_size(op, args)


def _xp(device):
    return np if device is None else backend.device_module(device)


def zeros(*args, size=None, dtype=None, device=None, requires_grad=False):
    return _make(_xp(device).zeros(_sized("zeros", args, size), _dt(dtype)), requires_grad, device)


def ones(*args, size=None, dtype=None, device=None, requires_grad=False):
    return _make(_xp(device).ones(_sized("ones", args, size), _dt(dtype)), requires_grad, device)


def empty(*args, size=None, dtype=None, device=None, requires_grad=False):
    return _make(_xp(device).empty(_sized("empty", args, size), _dt(dtype)), requires_grad, device)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if dtype is None:
        if isinstance(fill_value, builtins.bool):
            dtype = backend.bool_
        elif isinstance(fill_value, builtins.int):
            dtype = backend.int64
        elif isinstance(fill_value, builtins.complex):
            dtype = backend.default_complex_dtype()
    arr = _xp(device).full(_new_size("full", (size,)), fill_value, _dt(dtype))
    return _make(arr, requires_grad, device)


def zeros_like(t, dtype=None, device=None, requires_grad=False):
    return zeros(t.shape, dtype=dtype or t.dtype, device=device or _dev(t), requires_grad=requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False):
    return ones(t.shape, dtype=dtype or t.dtype, device=device or _dev(t), requires_grad=requires_grad)


def empty_like(t, dtype=None, device=None, requires_grad=False):
    return empty(t.shape, dtype=dtype or t.dtype, device=device or _dev(t), requires_grad=requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    return full(t.shape, fill_value, dtype=dtype or t.dtype, device=device or _dev(t),
                requires_grad=requires_grad)


def _dev(t):
    return None if t.device.type == "cpu" else t.device


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = builtins.all(isinstance(v, (builtins.int, np.integer)) for v in (start, end, step))
        dtype = backend.int64 if ints else backend.get_default_dtype()
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange: upper bound and lower bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    return _make(np.arange(start, end, step).astype(_dt(dtype)), requires_grad, device)


def range(start=0, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Deprecated in PyTorch (as here): ``start, start + step, ..., end`` with ``end``
    included, always of the default floating dtype unless ``dtype`` is given. Use
    ``arange``, which stops before ``end`` like Python's ``range``."""
    warnings.warn("glassnet.range is deprecated and will be removed in a future release "
                  "because its behavior is inconsistent with Python's range builtin. Instead, "
                  "use glassnet.arange, which produces values in [start, end).",
                  UserWarning, stacklevel=2)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("range: step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(f"range: upper bound and lower bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")
    n = builtins.int(math.floor((end - start) / step)) + 1
    values = start + step * np.arange(n, dtype=np.float64)
    return _make(values.astype(_dt(dtype)), requires_grad, device)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from start to end. For float32/float64, PyTorch's
    arithmetic: step = (end - start) / (steps - 1) in that dtype, the first half counted up
    from start (start + i step) and the second half down from end (end - (steps - 1 - i)
    step), each value rounded once (a fused multiply-add), so both ends are exact."""
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    d = _dt(dtype)
    if d in (np.float32, np.float64) and steps > 1 and builtins.all(
            isinstance(v, (int, float, np.integer, np.floating)) for v in (start, end)):
        t = d.type
        lo, hi = t(start), t(end)
        step = np.float64((hi - lo) / t(steps - 1))
        i = np.arange(steps, dtype=np.float64)  # float32 products are exact in float64
        out = np.where(i < steps // 2, np.float64(lo) + step * i,
                       np.float64(hi) - step * (steps - 1 - i)).astype(d)
        return _make(out, requires_grad, device)
    return _make(np.linspace(start, end, steps).astype(d), requires_grad, device)


def logspace(start, end, steps, base=10.0, dtype=None, device=None):
    return _make(np.logspace(start, end, steps, base=base).astype(_dt(dtype)), False, device)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    for name, k in (("n", n), ("m", m)):
        if k is not None and k < 0:
            raise RuntimeError(f"eye: {name} must be greater or equal to 0, got {k}")
    return _make(np.eye(n, m, dtype=_dt(dtype)), requires_grad, device)


def rand(*args, size=None, generator=None, dtype=None, device=None,
         requires_grad=False):
    d, shape = _dt(dtype), _sized("rand", args, size)
    if d.kind == "c":  # real and imaginary parts each uniform on [0, 1), as PyTorch
        r = backend.rng(generator).random(shape + (2,), dtype=np.float64)
        return _make(_pairs_to_complex(r, d), requires_grad, device)
    r = backend.rng(generator).random(shape, dtype=np.float64)
    return _make(r.astype(d), requires_grad, device)


def _pairs_to_complex(r, d):
    """A (..., 2) float64 array of (real, imag) pairs as a complex array of dtype ``d``."""
    return np.ascontiguousarray(r).view(np.complex128)[..., 0].astype(d)


def randn(*args, size=None, generator=None, dtype=None, device=None,
          requires_grad=False):
    d, shape = _dt(dtype), _sized("randn", args, size)
    if d.kind == "c":  # real and imaginary parts each N(0, 1/2), so E|z|^2 = 1, as PyTorch
        r = backend.rng(generator).standard_normal(shape + (2,)) * np.sqrt(0.5)
        return _make(_pairs_to_complex(r, d), requires_grad, device)
    r = backend.rng(generator).standard_normal(shape)
    return _make(r.astype(d), requires_grad, device)


def randint(low, high=None, size=(), generator=None, dtype=None, device=None):
    if isinstance(high, (tuple, list)):  # randint(high, size), as PyTorch reads two positionals
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"randint: expects 'low' to be less than 'high', but got "
                           f"low={low} >= high={high}")
    r = backend.rng(generator).integers(low, high, _new_size("randint", (size,)))
    return _make(r.astype(_dt(dtype, backend.int64)), False, device)


def randperm(n, generator=None, dtype=None, device=None):
    return _make(backend.rng(generator).permutation(n).astype(_dt(dtype, backend.int64)), False, device)


def _like(device, requires_grad, out):
    """The keyword arguments PyTorch's ``*_like`` draws share (layout and memory_format are
    accepted: glassnet has one of each)."""
    out = out.to(device=device) if device is not None else out
    return out.requires_grad_(True) if requires_grad else out


def rand_like(t, dtype=None, generator=None, *, device=None, requires_grad=False, layout=None,
              memory_format=None):
    r = rand(t.shape, generator=generator, dtype=dtype or t.dtype, device=_dev(t))
    return _like(device, requires_grad, r)


def randn_like(t, dtype=None, generator=None, *, device=None, requires_grad=False, layout=None,
               memory_format=None):
    r = randn(t.shape, generator=generator, dtype=dtype or t.dtype, device=_dev(t))
    return _like(device, requires_grad, r)


def randint_like(t, low, high=None, dtype=None, *, device=None, requires_grad=False,
                 layout=None, memory_format=None, generator=None):
    r = randint(low, high, t.shape, dtype=dtype or t.dtype, device=_dev(t))
    return _like(device, requires_grad, r)


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, out=None, device=None,
           layout=None, requires_grad=False, pin_memory=False):
    """Draws from N(mean, std^2). ``mean``/``std`` are tensors (the result takes their broadcast
    shape, like PyTorch's elementwise form) or numbers with ``size`` given; not differentiable."""
    ts = [v for v in (mean, std) if isinstance(v, Tensor)]
    if ts:
        ref = ts[0]
        shape = np.broadcast_shapes(*(tuple(t.shape) for t in ts))
        z = randn(shape, generator=generator, dtype=dtype or ref.dtype, device=_dev(ref))
        m = mean.detach() if isinstance(mean, Tensor) else mean
        s = std.detach() if isinstance(std, Tensor) else std
        return z * s + m
    if size is None:
        raise TypeError("normal: with a number for both mean and std, size must be given")
    r = randn(size, generator=generator, dtype=dtype, device=device) * std + mean
    return r.requires_grad_(True) if requires_grad else r


def bernoulli(p, generator=None):
    p = _as_tensor(p, Tensor._make(np.zeros(()), False))
    r = backend.rng(generator).random(p.shape) < backend.to_numpy(p._data)
    return Tensor._make(backend.to_device(r.astype(p.dtype), p.device), False)


def multinomial(probs, num_samples, replacement=False, generator=None):
    return probs.multinomial(num_samples, replacement, generator=generator)


def from_numpy(array):
    """A tensor sharing memory with a NumPy array (no copy), like torch.from_numpy."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor._make(array, False)


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-D tensor viewing the bytes of ``buffer`` (bytes, bytearray, memoryview, an mmap)
    as ``count`` elements of ``dtype`` from byte ``offset`` on (-1: to the end); memory is
    shared with a writable buffer, as in torch.frombuffer."""
    d = backend.to_dtype(dtype)
    arr = np.frombuffer(buffer, dtype=d, count=count, offset=offset)
    t = Tensor._make(arr, False)
    return t.requires_grad_(True) if requires_grad else t


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    return Tensor._make(_to_array(data, dtype, device), False)


def is_tensor(x):
    return isinstance(x, Tensor)


def numel(t):
    return t.numel()


# ---------------------------------------------------------------------- joins and splits
def cat(tensors, dim=0):
    """Concatenate along an existing dimension; the gradient is split back into the pieces."""
    return _cat(tensors, dim)


cat = _numpy_names.numpy_names(cat)  # torch.cat(ts, axis=1)
concat = concatenate = cat


def stack(tensors, dim=0):
    """Join equal-shaped tensors along a new dimension ``dim``."""
    return _stack(tensors, dim)


stack = _numpy_names.numpy_names(stack)


def hstack(tensors):
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    return cat([t.reshape(1, -1) if t.ndim == 1 else t for t in tensors], 0)


def einsum(equation, *operands):
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', a, b)``; gradients are einsums too."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ts = _joinable(operands, "einsum")
    return L.Einsum.apply(equation, *ts)


def _delegate(name):
    def f(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            input = tensor(input)
        return getattr(input, name)(*args, **kwargs)

    f.__name__ = name
    f.__doc__ = f"Functional form of ``Tensor.{name}``."
    return f


_names = [
    "exp", "log", "log1p", "expm1", "log2", "log10", "sqrt", "rsqrt", "square", "reciprocal",
    "abs", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "erf", "sign", "floor", "ceil",
    "round", "trunc", "clamp", "clip", "sum", "mean", "var", "std", "prod", "logsumexp", "max",
    "min", "amax", "amin", "argmax", "argmin", "all", "any", "cumsum", "norm", "topk", "sort",
    "argsort", "reshape", "flatten", "unflatten", "permute", "transpose", "swapaxes", "movedim",
    "squeeze", "unsqueeze", "split", "chunk", "unbind", "narrow", "flip", "roll", "gather",
    "scatter_add", "index_select", "index_add", "nonzero", "masked_fill", "isnan", "isinf",
    "isfinite", "rot90", "t", "count_nonzero", "unique", "neg", "add", "sub", "mul", "div", "pow", "dot",
    "mm", "bmm", "lerp", "repeat_interleave_", "expand", "softmax", "log_softmax",
]
# Methods whose functional form glassnet also offers, as in PyTorch (``gn.atan2(y, x)``).
_names += ["asin", "acos", "atan", "arcsin", "arccos", "arctan", "sinh", "cosh", "asinh", "acosh",
           "atanh", "arcsinh", "arccosh", "arctanh", "atan2", "arctan2", "hypot", "fmod",
           "remainder", "floor_divide", "true_divide", "float_power", "xlogy", "logaddexp",
           "logaddexp2", "copysign", "heaviside", "fmax", "fmin", "sinc", "erfc", "erfinv",
           "lgamma", "digamma", "logit", "frac", "fix", "deg2rad", "rad2deg", "positive",
           "signbit", "sgn", "nan_to_num", "isposinf", "isneginf", "isreal", "isclose", "exp2",
           "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or",
           "bitwise_xor", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift", "gcd", "lcm",
           "ldexp", "nextafter", "igamma", "igammac", "addcmul", "addcdiv", "dist", "clamp_max", "eq", "ne", "lt", "le",
           "gt", "ge", "greater", "less", "greater_equal", "less_equal", "not_equal", "cumprod",
           "cummax", "cummin", "logcumsumexp", "diff", "median", "nanmedian", "kthvalue", "mode",
           "quantile", "nanquantile", "nansum", "nanmean", "aminmax", "histc", "bincount", "msort",
           "tile", "repeat_interleave", "take_along_dim", "take", "tensor_split", "hsplit",
           "vsplit", "dsplit", "ravel", "moveaxis", "swapdims", "fliplr", "flipud", "select",
           "narrow_copy", "argwhere", "masked_select", "scatter", "scatter_reduce", "index_copy",
           "index_fill", "masked_scatter", "put", "diagonal", "diag", "diag_embed", "diagflat",
           "tril", "triu", "trace", "kron", "cross", "outer", "ger", "inner", "vdot", "mv",
           "addmm", "addmv", "addbmm", "baddbmm", "addr", "det", "logdet", "slogdet", "inverse",
           "pinverse", "cholesky", "matrix_power", "qr", "svd", "unique_consecutive", "clone",
           "detach", "zero_", "fill_", "clamp_", "not_equal", "is_same_size", "is_signed",
           "get_device", "i0", "conj", "resolve_conj", "resolve_neg", "conj_physical", "adjoint",
           "angle", "frexp", "cholesky_solve", "cholesky_inverse", "triangular_solve", "renorm",
           "index_put", "select_scatter", "slice_scatter", "diagonal_scatter", "as_strided",
           "unsafe_chunk", "unsafe_split", "is_conj", "is_neg", "split_with_sizes", "lu",
           "lu_solve", "geqrf", "ormqr", "orgqr"]
_names += ["index_reduce", "as_strided_scatter", "resize_as_", "hash_tensor"]
_names += [n + "_" for n in _INPLACE_NAMES]
for _n in _names:
    if hasattr(Tensor, _n):
        globals()[_n] = _delegate(_n)
clamp_min = lambda x, m: x.clamp(min=m)


def polygamma(n, input):
    """The n-th derivative of digamma at ``input`` (argument order as torch.polygamma)."""
    return input.polygamma(n)


def rsub(input, other, alpha=1):
    """other - alpha * input."""
    return _as_tensor(other, input) - input * alpha if alpha != 1 else _as_tensor(other, input) - input


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    return input.unique(sorted, return_inverse, return_counts, dim)


def real(input):
    """The real part (a view of a complex tensor's memory; a real tensor itself)."""
    return input.real


def imag(input):
    """The imaginary part of a complex tensor (a view of its memory)."""
    return input.imag


def matrix_exp(input):
    return _linalg.matrix_exp(input)


def matrix_rank(input, tol=None, symmetric=False):
    return _linalg.matrix_rank(input, tol=tol, hermitian=symmetric)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """(P, L, U) with A = P L U from ``lu``'s / ``linalg.lu_factor``'s (LU, pivots); L and U
    (or P) are empty tensors when ``unpack_data`` (or ``unpack_pivots``) is False.
    Differentiable in LU_data."""
    return _RT.lu_unpack(*_lu_ops.LuUnpack.apply(
        LU_data._f(), LU_pivots, bool(unpack_data), bool(unpack_pivots)))


def chain_matmul(*matrices):
    out = matrices[0]
    for m in matrices[1:]:
        out = matmul(out, m)
    return out
absolute = globals()["abs"]
multiply, divide, subtract, negative = globals()["mul"], globals()["div"], globals()["sub"], globals()["neg"]


def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)


def allclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
    """|a - b| <= atol + rtol |b| everywhere."""
    a = a if isinstance(a, Tensor) else tensor(a)
    return a.allclose(b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def equal(a, b):
    """Same shape and the same values."""
    return a.equal(b)


__all__ = [n for n in list(globals()) if not n.startswith("_") and n not in
           ("annotations", "builtins", "math", "warnings", "np", "backend", "L", "S",
            "normalize_dims", "normalize_dim")]
