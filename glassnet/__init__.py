"""glassnet: a deep-learning framework you can read end to end.

``import glassnet as gn`` gives tensors with reverse-mode autodiff and PyTorch's names;
``glassnet.nn``, ``glassnet.optim``, ``glassnet.data`` and the rest load on first use.
"""

from __future__ import annotations

import importlib as _importlib

from . import autograd, backend, sparse
from .autograd import Function, enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .backend import (
    Device as device,
    Generator,
    bool_ as bool,  # noqa: A001
    cdouble,
    cfloat,
    complex64,
    complex128,
    double,
    float16,
    float32,
    float64,
    get_default_dtype,
    get_rng_state,
    half,
    initial_seed,
    int8,
    int16,
    int32,
    int64,
    long,
    manual_seed,
    seed,
    set_default_dtype,
    set_rng_state,
    short,
    uint8,
)
from .backend import float as float  # noqa: A001,PLC0414
from .backend import int as int  # noqa: A001,PLC0414
from .functions import *  # noqa: F401,F403
from .functions import __all__ as _fn_all
from .functions import matmul, maximum, minimum, where
from .sparse import spmm
from .tensor import Tensor, tensor
from .tensor.sparse import layout, sparse_coo, sparse_csr, strided
from .tensor.sparse_coo import sparse_coo_tensor
from .tensor.sparse_csr import sparse_csr_tensor

from .version import __version__

_LAZY = {"nn", "optim", "data", "models", "train", "analysis", "viz", "io",
         "cuda", "cli", "backends", "distributed", "accelerator"}


# ONNX export (glassnet/onnx/): the onnx package itself is imported only when export() runs.
_LAZY.add("onnx")


def __getattr__(name):
    if name == "bfloat16":  # ml_dtypes' bfloat16, loaded on first use (glassnet/backend.py)
        return backend.bfloat16
    if name in ("is_autocast_enabled", "get_autocast_dtype"):  # torch.<name>: glassnet.amp's
        from . import amp

        return getattr(amp, name)
    if name in _LAZY or name in _LAZY_TORCH:
        mod = _importlib.import_module(f".{name}", __name__)
        globals()[name] = mod
        return mod
    if name == "metrics":  # gn.metrics: the classification metrics, kept in glassnet/train/
        from .train import metrics

        globals()[name] = metrics
        return metrics
    if name in _FUNCTIONAL:
        from .nn import functional as F

        fn = getattr(F, _FUNCTIONAL[name])
        globals()[name] = fn
        return fn
    raise AttributeError(f"module 'glassnet' has no attribute '{name}'")


def is_floating_point(t):
    return t.is_floating_point()


__all__ = ["Tensor", "tensor", "Function", "no_grad", "enable_grad", "manual_seed",
           "matmul", "maximum", "minimum", "where", *_fn_all]
__all__ += ["layout", "sparse_coo", "sparse_coo_tensor", "sparse_csr", "sparse_csr_tensor", "spmm",
            "strided"]

# ======================================================================= PyTorch's namespace
# Below: the rest of torch's everyday top-level names, so ``import glassnet as torch`` works.
from ._torch_namespace import *  # noqa: E402,F401,F403
from ._torch_namespace import _FUNCTIONAL, _LAZY_TORCH  # noqa: E402
from ._torch_namespace import __all__ as _ns_all  # noqa: E402

__all__ += _ns_all


def __dir__():
    return sorted(set(globals()) | _LAZY | _LAZY_TORCH | set(_FUNCTIONAL) | {"bfloat16"})
