"""The rest of PyTorch's everyday top-level names, re-exported by ``glassnet/__init__.py``:
dtypes and shapes (``Size``, ``finfo``, ``FloatTensor``...), printing options, building and
statistics functions, ``save``/``load``, constants, thread and determinism switches, and the
``torch.<name>`` aliases of functional ops.
"""

from __future__ import annotations

import builtins
import math
import warnings

from . import backend, return_types
from .autograd.grad_mode import is_anomaly_enabled, set_detect_anomaly
from .complex_numbers import *
from .complex_numbers import __all__ as _complex_all
from .construct import *
from .construct import __all__ as _construct_all
from .lowrank import *
from .lowrank import __all__ as _lowrank_all
from .statistics import *
from .statistics import __all__ as _stats_all
from .tensor import Tensor, tensor
from .tensor.dtypes import (
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
    can_cast,
    dtype,
    finfo,
    iinfo,
    promote_types,
    result_type,
)
from .tensor.meta import (
    channels_last,
    channels_last_3d,
    contiguous_format,
    memory_format,
    preserve_format,
)
from .tensor.printing import set_printoptions
from .tensor.size import Size

# NumPy warns on log(0), 0/0, sqrt(-1) and overflow; PyTorch returns -inf/nan/inf silently.
# A warnings filter (instead of np.errstate around each kernel) costs nothing per op: it is
# consulted only when NumPy actually reports one of these, and only for glassnet's own code.
warnings.filterwarnings(
    "ignore", category=RuntimeWarning, module=r"glassnet(\.|$)",
    message=r"(divide by zero|invalid value|overflow|underflow) encountered")

# Submodules with torch's names, loaded on first use by glassnet.__getattr__.
_LAZY_TORCH = {"linalg", "testing", "special", "utils", "serialization", "construct",
               "statistics", "return_types", "random", "amp", "distributions", "signal", "fft",
               "func", "jit", "multiprocessing", "profiler", "masked", "mps", "hub"}

# torch.<name> aliases of glassnet.nn.functional (same argument order as PyTorch's).
_FUNCTIONAL = {n: n for n in ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                              "conv_transpose3d", "dropout", "alpha_dropout",
                              "feature_alpha_dropout", "layer_norm", "group_norm", "max_pool1d",
                              "max_pool2d", "max_pool3d", "avg_pool1d", "adaptive_avg_pool1d",
                              "adaptive_max_pool1d", "pixel_shuffle", "pixel_unshuffle",
                              "cosine_similarity", "pairwise_distance", "prelu", "selu", "celu",
                              "rrelu", "threshold", "hardshrink", "channel_shuffle", "bilinear",
                              "rms_norm"]}

pi = math.pi
e = math.e
inf = math.inf
nan = math.nan
newaxis = None


def stft(input, n_fft, *args, **kwargs):
    """Short-time Fourier transform (see ``glassnet.spectral``)."""
    from .spectral import stft as _stft

    return _stft(input, n_fft, *args, **kwargs)


def istft(input, n_fft, *args, **kwargs):
    """Inverse short-time Fourier transform (see ``glassnet.spectral``)."""
    from .spectral import istft as _istft

    return _istft(input, n_fft, *args, **kwargs)


_GRID_MODES = ("bilinear", "nearest", "bicubic")
_GRID_PADDINGS = ("zeros", "border", "reflection")


def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    """``nn.functional.grid_sample`` with the modes as PyTorch's integer codes
    (interpolation 0 bilinear, 1 nearest, 2 bicubic; padding 0 zeros, 1 border, 2 reflection),
    for images (4-D) and volumes (5-D)."""
    from .nn.functional import grid_sample

    for name, value, table in (("interpolation_mode", interpolation_mode, _GRID_MODES),
                               ("padding_mode", padding_mode, _GRID_PADDINGS)):
        if not isinstance(value, int) or not 0 <= value < len(table):
            raise RuntimeError(f"grid_sampler: {name} must be an integer code in "
                               f"0..{len(table) - 1}, got {value!r}")
    return grid_sample(input, grid, _GRID_MODES[interpolation_mode],
                       _GRID_PADDINGS[padding_mode], bool(align_corners))


def grid_sampler_2d(input, grid, interpolation_mode, padding_mode, align_corners):
    """``grid_sampler`` for 4-D input (N, C, H, W)."""
    if input.ndim != 4:
        raise RuntimeError(f"grid_sampler_2d: expected 4-D input, got shape "
                           f"{tuple(input.shape)}")
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def grid_sampler_3d(input, grid, interpolation_mode, padding_mode, align_corners):
    """``grid_sampler`` for 5-D input (N, C, D, H, W)."""
    if input.ndim != 5:
        raise RuntimeError(f"grid_sampler_3d: expected 5-D input, got shape "
                           f"{tuple(input.shape)}")
    return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)


def save(obj, f, *args, **kwargs):
    """Save tensors, state dicts and nested checkpoints to a file without pickle (see
    ``glassnet.serialization``)."""
    from .serialization import save as _save

    return _save(obj, f, *args, **kwargs)


def load(f, map_location=None, *args, **kwargs):
    """Load what ``glassnet.save`` wrote (see ``glassnet.serialization``)."""
    from .serialization import load as _load

    return _load(f, map_location, *args, **kwargs)


def tensordot(a, b, dims=2):
    """Contract dims of two tensors (see ``glassnet.linalg.tensordot``)."""
    from .linalg import tensordot as _td

    return _td(a, b, dims)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled=True):
    """torch.batch_norm's argument order; see ``glassnet.nn.functional.batch_norm``."""
    from .nn import functional as F

    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """(out, save_mean, save_invstd); see ``glassnet.nn.functional.batch_normalization``."""
    from .nn.functional import batch_normalization as B

    return B.native_batch_norm(input, weight, bias, running_mean, running_var, training,
                               momentum, eps)


def native_layer_norm(input, normalized_shape, weight, bias, eps):
    """(out, mean, rstd); see ``glassnet.nn.functional.normalization``."""
    from .nn.functional import normalization as N

    return N.native_layer_norm(input, normalized_shape, weight, bias, eps)


def native_group_norm(input, weight, bias, N, C, HxW, group, eps):
    """(out, mean, rstd); see ``glassnet.nn.functional.normalization``."""
    from .nn.functional import normalization as M

    return M.native_group_norm(input, weight, bias, N, C, HxW, group, eps)


def embedding(weight, input, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """torch.embedding's argument order (weight first); see glassnet.nn.functional.embedding."""
    from .nn import functional as F

    return F.embedding(input, weight, padding_idx=None if padding_idx == -1 else padding_idx)


def is_nonzero(t):
    if t.numel() != 1:
        raise RuntimeError(f"is_nonzero: a Tensor with {t.numel()} elements cannot be converted "
                           "to a Python bool")
    return builtins.bool(t.item())


def is_storage(obj):
    return False


def _assert(condition, message):
    """``assert condition, message``, as a function (``torch._assert``), raising
    AssertionError with ``message`` when ``condition`` is false."""
    if not condition:
        raise AssertionError(message)


def typename(obj):
    if isinstance(obj, Tensor):
        return obj.type()
    return type(obj).__module__ + "." + type(obj).__qualname__


def get_default_device():
    return backend.Device("cpu")


def set_default_device(dev):
    if dev is not None and backend.Device(dev).type != "cpu":
        raise RuntimeError("set_default_device: glassnet creates tensors on the CPU; move them "
                           "with .to(device)")


set_num_threads = backend.set_num_threads
get_num_threads = backend.get_num_threads
set_num_interop_threads = set_num_threads
get_num_interop_threads = get_num_threads

_DETERMINISTIC = [False]


def use_deterministic_algorithms(mode, *, warn_only=False):
    """glassnet's CPU kernels are deterministic already; the flag is recorded."""
    _DETERMINISTIC[0] = builtins.bool(mode)


def are_deterministic_algorithms_enabled():
    return _DETERMINISTIC[0]


_MATMUL_PRECISION = ["highest"]


def set_float32_matmul_precision(precision):
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"set_float32_matmul_precision: expected 'highest', 'high' or "
                           f"'medium', got {precision!r}")
    _MATMUL_PRECISION[0] = precision


def get_float32_matmul_precision():
    return _MATMUL_PRECISION[0]


def autocast(device_type="cpu", dtype=None, enabled=True, cache_enabled=None):
    """torch.autocast: mixed precision inside the block (see ``glassnet.amp.autocast``)."""
    from .amp import autocast as _autocast

    return _autocast(device_type, dtype, enabled, cache_enabled)


default_generator = backend.default_generator


def set_default_tensor_type(t):
    """The old way to pick the default float dtype ('torch.DoubleTensor', FloatTensor, ...)."""
    name = t if isinstance(t, str) else getattr(t, "__name__", str(t))
    dt = {"FloatTensor": backend.float32, "DoubleTensor": backend.float64,
          "HalfTensor": backend.float16}.get(name.rsplit(".", 1)[-1])
    if dt is None:
        raise TypeError(f"set_default_tensor_type: only floating tensor types, got {t!r}")
    backend.set_default_dtype(dt)


def set_anomaly_enabled(enabled, check_nan=True):
    set_detect_anomaly(enabled, check_nan)


def nonzero_static(input, *, size, fill_value=-1):
    """nonzero() padded with ``fill_value`` rows (or truncated) to exactly ``size`` rows."""
    import numpy as np

    nz = backend.to_numpy(input.nonzero()._data)
    out = np.full((size, max(input.ndim, 1) if input.ndim else 0), fill_value, np.int64)
    m = min(size, nz.shape[0])
    out[:m] = nz[:m]
    return Tensor._make(out, False)


def mvlgamma(input, p):
    from .special import multigammaln

    return multigammaln(input, p)


def _copy_of(view):
    """torch.<view>_copy: the view op's result as a new tensor (a tuple of them for unbind and
    split_with_sizes), not sharing memory with the input; differentiable like the view."""
    def f(input, *args, **kwargs):
        out = getattr(input, view)(*args, **kwargs) if view != "alias" else input
        return tuple(o.clone() for o in out) if isinstance(out, (tuple, list)) else out.clone()

    f.__name__ = f"{view}_copy"
    f.__doc__ = f"``input.{view}(...)`` copied into a new tensor."
    return f


_COPIES = ("alias", "as_strided", "diagonal", "expand", "permute", "squeeze", "t", "transpose",
           "unbind", "unfold", "unsqueeze", "view", "split_with_sizes")
globals().update({f"{v}_copy": _copy_of(v) for v in _COPIES})


def fill(input, value):
    """A tensor like ``input`` filled with ``value`` (a number or a 0-d tensor, whose gradient
    is the sum of the output's)."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"fill: only supports 0-dimension value tensor but got tensor "
                               f"with {value.ndim} dimensions")
        return value.to(input.dtype).expand(input.shape).clone()
    return input.masked_fill(tensor(True), value)  # connected, with a zero gradient


def constant_pad_nd(input, pad, value=0):
    """torch.constant_pad_nd: ``nn.functional.pad`` in 'constant' mode (negative pads crop)."""
    from .nn import functional as F

    return F.pad(input, pad, "constant", value)


def compile(model=None, **kwargs):
    """torch.compile: glassnet runs eagerly, so the model (or function) is returned unchanged;
    usable as ``compile(model)`` and as a decorator ``@compile`` / ``@compile(mode=...)``."""
    if model is None:
        return lambda m: m
    return model


__all__ = ["BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor",
           "HalfTensor", "IntTensor", "LongTensor", "ShortTensor", "Size",
           "are_deterministic_algorithms_enabled", "autocast", "batch_norm",
           "native_batch_norm", "native_layer_norm", "native_group_norm",
           "default_generator", "is_anomaly_enabled", "mvlgamma", "nonzero_static",
           "set_anomaly_enabled", "set_default_tensor_type", "can_cast", "compile", "dtype",
           "_assert",
           "e", "embedding", "finfo", "get_default_device", "get_float32_matmul_precision",
           "get_num_interop_threads", "get_num_threads", "iinfo", "inf", "is_complex",
           "is_nonzero", "is_storage", "load", "nan", "newaxis", "pi", "promote_types",
           "result_type", "return_types", "save", "set_default_device",
           "set_float32_matmul_precision", "set_num_interop_threads", "set_num_threads",
           "set_printoptions", "tensordot", "typename", "use_deterministic_algorithms",
           "memory_format", "contiguous_format", "preserve_format", "channels_last",
           "channels_last_3d", *_construct_all, *_stats_all, *_lowrank_all,
           *_complex_all, "istft", "stft", "grid_sampler", "grid_sampler_2d", "grid_sampler_3d",
           "fill", "constant_pad_nd", "alias_copy",
           "as_strided_copy", "diagonal_copy", "expand_copy", "permute_copy", "squeeze_copy",
           "t_copy", "transpose_copy", "unbind_copy", "unfold_copy", "unsqueeze_copy",
           "view_copy", "split_with_sizes_copy"]
