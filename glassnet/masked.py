"""``glassnet.masked``: PyTorch's ``torch.masked`` reductions and normalisations with a mask.

Every function takes a boolean ``mask`` (broadcastable to the input, of no more dimensions)
whose False entries are left out. Leaving an element out of a reduction is the same as replacing
it by the reduction's identity, the value ``e`` with ``op(e, v) = v`` for every ``v``:

    masked_sum(x, mask) = sum(where(mask, x, 0)),   masked_amax(x, mask) = amax(where(mask, x, -inf))

so each function here is one ``where`` followed by the plain operation, and its gradient is the
plain operation's gradient routed back through ``where``: zero at every masked-out element.

===============  ==========================  =============================================
function         masked-out elements become  a slice with every element masked out gives
===============  ==========================  =============================================
sum, cumsum      0                           0
prod, cumprod    1                           1
amax, argmax     -inf (the dtype's minimum)  -inf (argmax: index 0)
amin, argmin     +inf (the dtype's maximum)  +inf (argmin: index 0)
logsumexp        -inf                        -inf
norm             0 (+inf for ``ord=-inf``)   0 (+inf for ``ord=-inf``)
mean, var, std   left out of sum and count   nan (0 / 0)
median           nan (then ``nanmedian``)    nan
softmax, ...     -inf (softmin: +inf)        nan in the whole slice
normalize        0                           0
===============  ==========================  =============================================

``logaddexp(input, other, input_mask=, other_mask=)`` masks each side with -inf. As in PyTorch,
``argmax``/``argmin``/``amax``/``amin``/``median`` return the input's dtype unless ``dtype`` is
given, ``sum``/``prod`` promote bool and small integers to int64, and ``mean``/``var``/``std``
count only the elements kept. ``var``/``std`` divide by ``max(count - correction, 0)``.

Only strided (dense) tensors are supported; PyTorch's sparse layouts and its prototype
``MaskedTensor`` (``torch.masked.masked_tensor``, ``as_masked_tensor``) are not provided.
"""

from __future__ import annotations

import numpy as np

from . import backend
from .functions import maximum, where
from .linalg import vector_norm
from .tensor import Tensor, tensor
from .tensor.sparse import strided

__all__ = ["amax", "amin", "argmax", "argmin", "cumprod", "cumsum", "log_softmax", "logaddexp",
           "logsumexp", "mean", "median", "norm", "normalize", "prod", "softmax", "softmin",
           "std", "sum", "var"]

_INT64_PROMOTED = ("bool", "uint8", "int8", "int16", "int32")
_REDUCTIONS = {"sum", "prod", "amax", "amin", "argmax", "argmin", "mean", "median", "norm", "var",
               "std", "logsumexp"}
_NORMALIZATIONS = {"softmax", "log_softmax", "softmin", "normalize", "cumsum", "cumprod"}


# ------------------------------------------------------------------------------------ the mask
def _reduction_identity(op_name, input, *args):
    """The identity of reduction ``op_name`` as a 0-d tensor of ``input``'s dtype, or None where
    it has none (mean, var, std: their masked-out elements are dropped from the count)."""
    dt = np.dtype(input.dtype)
    name = op_name.rsplit(".", 1)[-1]
    floating = dt.kind in "fc" or backend.is_floating(dt)
    integral = dt.kind == "i" or dt == np.uint8
    value = None
    if name in ("sum", "cumsum"):
        value = 0
    elif name in ("prod", "cumprod"):
        value = 1
    elif name in ("amax", "argmax", "logaddexp", "logsumexp"):
        value = -np.inf if floating else np.iinfo(dt).min if integral else None
    elif name in ("amin", "argmin"):
        value = np.inf if floating else np.iinfo(dt).max if integral else None
    elif name in ("mean", "var", "std"):
        return None
    elif name == "norm":
        ord = args[0] if args else 2
        if ord == float("-inf") and not floating:
            raise RuntimeError(f"masked norm: ord=-inf needs a floating point input, got {dt}")
        value = np.inf if ord == float("-inf") else 0
    elif name == "median":  # nanmedian skips NaN, which makes it median's identity
        return tensor(np.nan, dtype=dt if floating else backend.float32)
    if value is None:
        raise NotImplementedError(f"masked {name}: no identity for {dt} input")
    return tensor(value, dtype=dt)


def _canonical_dim(dim, ndim):
    """``dim`` (None, an int or a sequence; ``()`` means every dimension) as a sorted tuple of
    non-negative dims, checked."""
    if dim is None or (not isinstance(dim, int) and len(dim) == 0):
        return tuple(range(ndim))
    rank = max(ndim, 1)
    dims = []
    for d in (dim,) if isinstance(dim, int) else dim:
        d = int(d)
        if not -rank <= d < rank:
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-rank}, {rank - 1}], but got {d})")
        if d % rank in dims:
            raise RuntimeError(f"dim={d} appears multiple times in the list of dims")
        dims.append(d % rank)
    return tuple(sorted(dims))


def _check_strided(name, *inputs):
    for t in inputs:
        layout = getattr(t, "layout", strided)
        if layout is not strided:
            raise ValueError(f"masked {name} expects a strided tensor (got {layout} tensor)")


def _input_mask(input, *args, **kwargs):
    """The canonical mask: ``kwargs['mask']`` as a bool tensor broadcast to ``input``'s shape."""
    mask = kwargs.get("mask")
    if mask is None:
        raise ValueError("_input_mask requires explicit mask")
    if not isinstance(mask, Tensor):
        mask = tensor(mask)
    if mask.ndim > input.ndim:
        raise IndexError(f"_input_mask expected broadcastable mask (got mask dimensionality "
                         f"{mask.ndim} higher than the input's {input.ndim})")
    if tuple(mask.shape) != tuple(input.shape):
        mask = mask.expand(tuple(input.shape))
    return mask.to(backend.bool_)


def _any(mask, dims, keepdim):
    for d in reversed(dims):
        mask = mask.any(dim=d, keepdim=keepdim)
    return mask


def _output_mask(op, input, *args, **kwargs):
    """Where the result of masked operation ``op`` has at least one element behind it: the mask
    reduced with ``any`` for a reduction, the input mask itself for a normalisation."""
    name = getattr(op, "__name__", None)
    if name in _REDUCTIONS:
        if name == "norm" and args:
            args = args[1:]  # the ord argument
        dim = args[0] if args else kwargs.get("dim")
        outmask = _input_mask(input, *args, **kwargs)
        dims = _canonical_dim(dim, input.ndim)
        return _any(outmask, dims, bool(kwargs.get("keepdim", False)))
    if name in _NORMALIZATIONS:
        return _input_mask(input, *args, **kwargs)
    raise ValueError(f"_output_mask expected a masked operation (got {op!r})")


def _combine_input_and_mask(op_name, input, mask, *args):
    """``input`` with its masked-out elements replaced by ``op_name``'s identity (a ``where``,
    so no gradient reaches them)."""
    if mask is None:
        return input
    return where(_input_mask(input, mask=mask), input, _reduction_identity(op_name, input, *args))


def _t(x):
    return x if isinstance(x, Tensor) else tensor(x)


def _dims_arg(dims):
    """A dims tuple for the plain reductions: () (every dim of a 0-d tensor) as None."""
    return dims if dims else None


def _promoted(input, dtype):
    """``sum``/``prod``'s output dtype: ``dtype``, else bool and small integers as int64."""
    if dtype is not None:
        return dtype
    return backend.int64 if np.dtype(input.dtype).name in _INT64_PROMOTED else input.dtype


# ------------------------------------------------------------------------------- reductions
def sum(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """The sum of the elements of ``input`` along ``dim`` where ``mask`` is True (masked-out
    elements count as 0; a fully masked slice sums to 0)."""
    input = _t(input)
    _check_strided("sum", input)
    dtype = _promoted(input, dtype)
    dims = _canonical_dim(dim, input.ndim)
    x = _combine_input_and_mask("sum", input, mask)
    return x.sum(_dims_arg(dims), keepdim=bool(keepdim), dtype=dtype)


def prod(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """The product of the kept elements along ``dim`` (masked-out elements count as 1)."""
    input = _t(input)
    _check_strided("prod", input)
    dtype = _promoted(input, dtype)
    dims = _canonical_dim(dim, input.ndim)
    out = _combine_input_and_mask("prod", input, mask).to(dtype)
    for d in reversed(dims):
        out = out.prod(dim=d, keepdim=bool(keepdim))
    return out


def amax(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """The largest kept element along ``dim`` (-inf, or the dtype's minimum, where none is kept).
    The gradient is shared equally among tied maxima, as in ``Tensor.amax``."""
    input = _t(input)
    _check_strided("amax", input)
    dtype = input.dtype if dtype is None else dtype
    x = _combine_input_and_mask("amax", input, mask)
    dims = _canonical_dim(dim, x.ndim)
    return x.amax(dims, bool(keepdim)).to(dtype)


def amin(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """The smallest kept element along ``dim`` (+inf, or the dtype's maximum, where none is)."""
    input = _t(input)
    _check_strided("amin", input)
    dtype = input.dtype if dtype is None else dtype
    x = _combine_input_and_mask("amin", input, mask)
    dims = _canonical_dim(dim, x.ndim)
    return x.amin(dims, bool(keepdim)).to(dtype)


def argmax(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """The index of the largest kept element along ``dim`` (over the flattened input when
    ``dim`` is None), returned in ``input``'s dtype unless ``dtype`` is given (as PyTorch)."""
    input = _t(input)
    _check_strided("argmax", input)
    dtype = input.dtype if dtype is None else dtype
    x = _combine_input_and_mask("argmax", input, mask)
    return x.argmax(dim, bool(keepdim)).to(dtype)


def argmin(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """The index of the smallest kept element along ``dim``, in ``input``'s dtype by default."""
    input = _t(input)
    _check_strided("argmin", input)
    dtype = input.dtype if dtype is None else dtype
    x = _combine_input_and_mask("argmin", input, mask)
    return x.argmin(dim, bool(keepdim)).to(dtype)


def _count(input, dims, keepdim, mask):
    """How many elements each slice keeps (int64)."""
    if mask is None:
        ones = tensor(np.ones(tuple(input.shape), dtype=np.int64))
        return ones.sum(_dims_arg(dims), keepdim=keepdim)
    return mask.sum(_dims_arg(dims), keepdim=keepdim, dtype=backend.int64)


def mean(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """sum(kept x) / count(kept x) along ``dim``; nan (0 / 0) where nothing is kept. Needs a
    floating or complex ``dtype`` (the input's unless given)."""
    input = _t(input)
    _check_strided("mean", input)
    source = "Input" if dtype is None else "Optional"
    dtype = input.dtype if dtype is None else dtype
    if not backend.is_differentiable(dtype):
        raise ValueError(f"mean(): Could not infer output dtype. {source} dtype must be either "
                         f"a floating point or complex dtype. Got: {np.dtype(dtype)}")
    dims = _canonical_dim(dim, input.ndim)
    inmask = None if mask is None else _input_mask(input, mask=mask)
    count = _count(input, dims, bool(keepdim), inmask)
    total = sum(input, dims, keepdim=keepdim, dtype=dtype, mask=inmask)
    return total / count


def _along(name, input, dim, dtype):
    """(input as a strided Tensor, the result dtype, dim as an index) for an op along ``dim``."""
    input = _t(input)
    _check_strided(name, input)
    return input, input.dtype if dtype is None else dtype, _canonical_dim(dim, input.ndim)[0]


def median(input, dim=-1, *, keepdim=False, dtype=None, mask=None):
    """The median of the kept elements along one ``dim`` (the lower of the two middle values for
    an even count, as ``nanmedian``); nan where nothing is kept. An integer input is computed in
    float32 and must keep at least one element in every slice."""
    input, dtype, d = _along("median", input, dim, dtype)
    is_float = input.is_floating_point()
    if not is_float:
        input = input.to(backend.float32)
    x = _combine_input_and_mask("median", input, mask)
    out = x.nanmedian(d, bool(keepdim)).values
    if is_float:
        return out
    if bool(out.isnan().any()):
        raise ValueError("masked median expects no fully masked out rows if dtype is not "
                         "floating point")
    return out.to(dtype)


def logsumexp(input, dim=None, *, keepdim=False, dtype=None, mask=None):
    """log sum exp(kept x) along ``dim``; -inf where nothing is kept."""
    input = _t(input)
    _check_strided("logsumexp", input)
    dtype = input.dtype if dtype is None else dtype
    dims = _canonical_dim(dim, input.ndim)
    x = _combine_input_and_mask("logsumexp", input, mask)
    return x.logsumexp(dims, keepdim=bool(keepdim)).to(dtype)


def logaddexp(input, other, *, dtype=None, input_mask=None, other_mask=None):
    """log(exp(input) + exp(other)) elementwise, each side's masked-out elements taken as -inf:
    an element masked out on one side gives the other side's value, on both sides -inf."""
    input, other = _t(input), _t(other)
    _check_strided("logaddexp", input, other)
    dtype = input.dtype if dtype is None else dtype
    a = _combine_input_and_mask("logaddexp", input, input_mask)
    b = _combine_input_and_mask("logaddexp", other, other_mask)
    return a.logaddexp(b).to(dtype)


def norm(input, ord=2.0, dim=None, *, keepdim=False, dtype=None, mask=None):
    """The vector ``ord``-norm (``linalg.vector_norm``) of the kept elements along ``dim``;
    masked-out elements count as 0 (as +inf for ``ord=-inf``, so they never win the minimum)."""
    input = _t(input)
    _check_strided("norm", input)
    dtype = input.dtype if dtype is None else dtype
    x = _combine_input_and_mask("norm", input, mask, ord)
    dims = _canonical_dim(dim, input.ndim)
    return vector_norm(x, ord, dims if dims else None, bool(keepdim), dtype=dtype)


def _std_var(name, input, dim, unbiased, correction, keepdim, dtype, mask, take_sqrt):
    """sum |x - mean|^2 / max(count - correction, 0) over the kept elements (sqrt for std)."""
    input = _t(input)
    _check_strided(name, input)
    if unbiased is not None and correction is not None:
        raise RuntimeError(f"masked {name}: give only one of unbiased and correction")
    corr = 1.0 if unbiased is None else float(bool(unbiased))
    if correction is not None:
        corr = float(correction)
    if dtype is None:
        dtype = input.dtype if backend.is_differentiable(input.dtype) else backend.float32
    compute = dtype if backend.is_differentiable(dtype) else backend.float32
    dims = _canonical_dim(dim, input.ndim)
    inmask = None if mask is None else _input_mask(input, mask=mask)
    count = _count(input, dims, True, inmask)
    sample_mean = sum(input, dims, keepdim=True, dtype=dtype, mask=inmask) / count
    x = input - sample_mean
    total = sum(x * x.conj(), dims, keepdim=keepdim, dtype=compute, mask=inmask)
    if not keepdim:
        count = count.reshape(tuple(total.shape))
    if corr != 0:
        count = count.to(backend.to_real(np.dtype(compute))) - corr
        count = maximum(count, count.new_zeros([]))
    out = (total / count).to(dtype)
    return out.sqrt() if take_sqrt else out


def var(input, dim=None, unbiased=None, *, correction=None, keepdim=False, dtype=None,
        mask=None):
    """The variance of the kept elements along ``dim``, dividing by count - correction
    (``correction=1`` by default, Bessel's); nan where nothing is kept."""
    return _std_var("var", input, dim, unbiased, correction, keepdim, dtype, mask, False)


def std(input, dim=None, unbiased=None, *, correction=None, keepdim=False, dtype=None,
        mask=None):
    """sqrt of ``var``: the standard deviation of the kept elements along ``dim``."""
    return _std_var("std", input, dim, unbiased, correction, keepdim, dtype, mask, True)


# ---------------------------------------------------------------------------- scans, softmax
def cumsum(input, dim, *, dtype=None, mask=None):
    """The running sum along ``dim`` with masked-out elements counted as 0."""
    input, dtype, d = _along("cumsum", input, dim, dtype)
    return _combine_input_and_mask("sum", input, mask).cumsum(d, dtype=dtype).to(dtype)


def cumprod(input, dim, *, dtype=None, mask=None):
    """The running product along ``dim`` with masked-out elements counted as 1."""
    input, dtype, d = _along("cumprod", input, dim, dtype)
    return _combine_input_and_mask("prod", input, mask).cumprod(d, dtype=dtype).to(dtype)


def softmax(input, dim, *, dtype=None, mask=None):
    """softmax along ``dim`` over the kept elements: a masked-out element gets probability 0
    (it enters as -inf), a fully masked slice is nan throughout."""
    input, dtype, d = _along("softmax", input, dim, dtype)
    return _combine_input_and_mask("amax", input, mask).softmax(d, dtype=dtype)


def log_softmax(input, dim, *, dtype=None, mask=None):
    """log of masked ``softmax``: -inf at masked-out elements, nan in a fully masked slice."""
    input, dtype, d = _along("log_softmax", input, dim, dtype)
    return _combine_input_and_mask("amax", input, mask).log_softmax(d, dtype=dtype)


def softmin(input, dim, *, dtype=None, mask=None):
    """softmax(-x) along ``dim`` over the kept elements (masked-out elements enter as +inf)."""
    input, dtype, d = _along("softmin", input, dim, dtype)
    return (-_combine_input_and_mask("amin", input, mask).to(dtype)).softmax(d)


def normalize(input, ord, dim, *, eps=1e-12, dtype=None, mask=None):
    """x / max(||kept x||_ord, eps) along ``dim``, with masked-out elements set to 0."""
    input = _t(input)
    _check_strided("normalize", input)
    dtype = input.dtype if dtype is None else dtype
    x = _combine_input_and_mask("sum", input, mask)
    nrm = norm(input, ord, dim, keepdim=True, dtype=dtype, mask=mask)
    return x / maximum(nrm, nrm.new_full([], eps))
