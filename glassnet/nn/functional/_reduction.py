"""How a loss turns per-element terms into one number (reduction='mean' | 'sum' | 'none'), and
the checks of arguments that the losses share."""

from __future__ import annotations

import warnings

from ...tensor import Tensor

_VALID = ("none", "mean", "sum")


def legacy_get_string(size_average, reduce):
    """PyTorch's deprecated ``size_average`` / ``reduce`` flags mapped to a reduction string."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def get_reduction(op, reduction, size_average=None, reduce=None, extra=()):
    if size_average is not None or reduce is not None:
        warnings.warn("size_average and reduce args will be deprecated, please use "
                      "reduction='mean'|'sum'|'none' instead.", stacklevel=3)
        return legacy_get_string(size_average, reduce)
    if reduction not in _VALID + tuple(extra):
        raise ValueError(f"{op}: {reduction!r} is not a valid value for reduction (expected one "
                         f"of {', '.join(repr(r) for r in _VALID + tuple(extra))})")
    return reduction


def reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def check_tensor(x, op, name):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: argument '{name}' must be a Tensor, got {type(x).__name__}")


def check_float(x, op, name):
    check_tensor(x, op, name)
    if not x.is_floating_point():
        raise RuntimeError(f"{op}: expected a floating point '{name}', got dtype {x._data.dtype} "
                           "(use .float())")


def same_size_warning(op, input, target):
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(f"{op}: using a target size ({tuple(target.shape)}) that is different to "
                      f"the input size ({tuple(input.shape)}). This will likely lead to incorrect "
                      "results due to broadcasting. Please ensure they have the same size.",
                      stacklevel=3)


def pm1_labels(target, like):
    """Labels y in {-1, 1} (of any dtype) as a Tensor in ``like``'s dtype."""
    t = target._data
    return target.to(like.dtype) if target.is_floating_point() else \
        Tensor._make(t, False).to(like.dtype)
