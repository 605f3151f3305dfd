"""Tensor pointwise maths (exp, log, tanh, clamp, ...) and reductions (sum, mean, var, max,
topk, ...). Each method checks and normalises its arguments, then applies one primitive Function
from ``glassnet.ops``."""

from __future__ import annotations

import builtins

import numpy as np

from . import backend
from .ops import elementwise as E
from .ops import reduce as R
from .ops.reduce import normalize_dim, normalize_dims
from .tensor_arith import maximum, minimum, where

# ``Tensor`` subclasses the mixins below, so this module cannot import it; glassnet.tensor binds
# the class and its core helpers here as soon as it exists.
Tensor = _as_tensor = _size = _to_array = tensor = None


class PointwiseMixin:
    """Elementwise maths of Tensor."""

    __slots__ = ()

    # ------------------------------------------------------------------ pointwise math
    def exp(self):
        return E.Exp.apply(self._f())

    def log(self):
        return E.Log.apply(self._f())

    def log1p(self):
        return E.Log1p.apply(self._f())

    def expm1(self):
        return self.exp() - 1

    def log2(self):
        return self.log() * (1 / np.log(2))

    def log10(self):
        return self.log() * (1 / np.log(10))

    def sqrt(self):
        return E.Sqrt.apply(self._f())

    def rsqrt(self):
        return 1 / self.sqrt()

    def square(self):
        return self * self

    def reciprocal(self):
        return 1 / self._f()

    def abs(self):
        return E.Abs.apply(self)

    absolute = abs

    def sin(self):
        return E.Sin.apply(self._f())

    def cos(self):
        return E.Cos.apply(self._f())

    def tan(self):
        return self.sin() / self.cos()

    def tanh(self):
        return E.Tanh.apply(self._f())

    def sigmoid(self):
        return E.Sigmoid.apply(self._f())

    def relu(self):
        return E.ReLU.apply(self)

    def softmax(self, dim, dtype=None):
        """See ``glassnet.nn.functional.softmax``."""
        from .nn.functional.softmax import softmax

        return softmax(self, dim, dtype=dtype)

    def log_softmax(self, dim, dtype=None):
        """See ``glassnet.nn.functional.log_softmax``."""
        from .nn.functional.softmax import log_softmax

        return log_softmax(self, dim, dtype=dtype)

    def erf(self):
        return E.Erf.apply(self._f())

    def sign(self):
        return Tensor._make(backend.array_module(self.data).sign(self.data), False)

    def floor(self):
        return _zero_grad_op(self, "floor")

    def ceil(self):
        return _zero_grad_op(self, "ceil")

    def round(self, decimals=0):
        if decimals:
            xp = backend.array_module(self.data)
            return Tensor._make(xp.round(self.data, decimals), False)
        return _zero_grad_op(self, "round")

    def trunc(self):
        return _zero_grad_op(self, "trunc")

    def clamp(self, min=None, max=None):
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            out = self
            if min is not None:
                out = maximum(out, min)
            if max is not None:
                out = minimum(out, max)
            return out
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
        x = self
        for bound in (min, max):  # an int tensor clamped to a float bound becomes float
            if bound is not None:
                dt = backend.scalar_dtype(x.data.dtype, bound)
                if dt != x.data.dtype:
                    x = x.to(dt)
        return E.Clamp.apply(x, min, max)

    clip = clamp

    def maximum(self, o):
        return maximum(self, o)

    def minimum(self, o):
        return minimum(self, o)

    def where(self, cond, o):
        return where(cond, self, o)

    def masked_fill(self, mask, value):
        return where(mask, _as_tensor(value, self).to(self.dtype), self)

    def isnan(self):
        return Tensor._make(backend.array_module(self.data).isnan(self.data), False)

    def isinf(self):
        return Tensor._make(backend.array_module(self.data).isinf(self.data), False)

    def isfinite(self):
        return Tensor._make(backend.array_module(self.data).isfinite(self.data), False)

    def lerp(self, end, weight):
        return self + (end - self) * weight

    def _f(self):
        """Integer inputs to float functions are promoted to the default float (PyTorch)."""
        return self if self.data.dtype.kind == "f" else self.to(backend.get_default_dtype())


class ReduceMixin:
    """Reductions of Tensor over dims (negative dims and keepdim as in PyTorch)."""

    __slots__ = ()

    # ------------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False, dtype=None):
        x = self if dtype is None else self.to(dtype)
        if x.dtype.kind in "bi" and dtype is None:
            x = x.to(backend.int64)
        return R.Sum.apply(x, normalize_dims(dim, x.ndim, "sum"), keepdim)

    def mean(self, dim=None, keepdim=False, dtype=None):
        x = self if dtype is None else self.to(dtype)
        if x.dtype.kind != "f":
            raise RuntimeError(f"mean: could not infer output dtype; input dtype must be floating "
                               f"point, got {x.dtype} (use .float())")
        return R.Mean.apply(x, normalize_dims(dim, x.ndim, "mean"), keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, correction=None):
        if isinstance(dim, builtins.bool):  # var(False): the old var(unbiased) overload
            dim, unbiased = None, dim
        corr = _correction(unbiased, correction)
        return R.Var.apply(self._f(), normalize_dims(dim, self.ndim, "var"), corr, keepdim)

    def std(self, dim=None, unbiased=None, keepdim=False, correction=None):
        if isinstance(dim, builtins.bool):
            dim, unbiased = None, dim
        corr = _correction(unbiased, correction)
        return R.Std.apply(self._f(), normalize_dims(dim, self.ndim, "std"), corr, keepdim)

    def prod(self, dim=None, keepdim=False, dtype=None):
        x = self if dtype is None else self.to(dtype)
        return R.Prod.apply(x, normalize_dims(dim, x.ndim, "prod"), keepdim)

    def logsumexp(self, dim=None, keepdim=False):
        return R.LogSumExp.apply(self._f(), normalize_dims(dim, self.ndim, "logsumexp"), keepdim)

    def max(self, dim=None, keepdim=False):
        """max() over everything, max(dim) -> (values, indices), or max(other) elementwise."""
        if isinstance(dim, Tensor):
            return maximum(self, dim)
        if dim is None:
            return R.AMax.apply(self, normalize_dims(None, self.ndim), False, True)
        d = normalize_dim(dim, self.ndim, "max")
        if self.ndim == 0:  # a 0-d tensor is its own max, at index 0
            v, i = self.reshape(1).max(0)
            return _MinMaxResult(v.reshape(()), i.reshape(()))
        return _MinMaxResult(*R.MaxDim.apply(self, d, keepdim, True))

    def min(self, dim=None, keepdim=False):
        if isinstance(dim, Tensor):
            return minimum(self, dim)
        if dim is None:
            return R.AMax.apply(self, normalize_dims(None, self.ndim), False, False)
        d = normalize_dim(dim, self.ndim, "min")
        if self.ndim == 0:
            v, i = self.reshape(1).min(0)
            return _MinMaxResult(v.reshape(()), i.reshape(()))
        return _MinMaxResult(*R.MaxDim.apply(self, d, keepdim, False))

    def amax(self, dim=None, keepdim=False):
        return R.AMax.apply(self, normalize_dims(dim, self.ndim, "amax"), keepdim, True)

    def amin(self, dim=None, keepdim=False):
        return R.AMax.apply(self, normalize_dims(dim, self.ndim, "amin"), keepdim, False)

    def argmax(self, dim=None, keepdim=False):
        return _arg(self, dim, keepdim, True)

    def argmin(self, dim=None, keepdim=False):
        return _arg(self, dim, keepdim, False)

    def all(self, dim=None, keepdim=False):
        ax = None if dim is None else normalize_dims(dim, self.ndim, "all")
        return Tensor._make(self.data.astype(bool).all(axis=ax, keepdims=keepdim), False)

    def any(self, dim=None, keepdim=False):
        ax = None if dim is None else normalize_dims(dim, self.ndim, "any")
        return Tensor._make(self.data.astype(bool).any(axis=ax, keepdims=keepdim), False)

    def cumsum(self, dim):
        d = normalize_dim(dim, self.ndim, "cumsum")
        x = self.to(backend.int64) if self.dtype.kind in "bi" else self
        if x.ndim == 0:
            return x.clone()
        return R.Cumsum.apply(x, d)

    def norm(self, p=2, dim=None, keepdim=False):
        if p == 2 or p == "fro":
            return (self * self).sum(dim, keepdim).sqrt()
        if p == 1:
            return self.abs().sum(dim, keepdim)
        if p == float("inf"):
            return self.abs().amax(dim, keepdim)
        return (self.abs() ** p).sum(dim, keepdim) ** (1.0 / p)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        d = normalize_dim(dim, self.ndim, "topk")
        if self.ndim == 0:
            v, i = self.reshape(1).topk(k, 0, largest, sorted)
            return _TopKResult(v.reshape(()), i.reshape(()))
        return _TopKResult(*R.TopK.apply(self, k, d, largest, sorted))

    def sort(self, dim=-1, descending=False, stable=False):
        d = normalize_dim(dim, self.ndim, "sort")
        if self.ndim == 0:
            return _TopKResult(self.clone(), Tensor._make(np.zeros((), np.int64), False))
        return _TopKResult(*R.TopK.apply(self, self.shape[d] if self.ndim else 1, d, descending, True))

    def argsort(self, dim=-1, descending=False, stable=False):
        return self.sort(dim, descending).indices

    def count_nonzero(self, dim=None):
        return Tensor._make(backend.array_module(self.data).asarray(
            (self.data != 0).sum(axis=dim)).astype(backend.int64), False)


class _MinMaxResult(tuple):
    """(values, indices) with attribute access, like torch.return_types.max."""

    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    values = property(lambda self: self[0])
    indices = property(lambda self: self[1])


_TopKResult = _MinMaxResult


def _zero_grad_op(t, name):
    xp = backend.array_module(t.data)
    return Tensor._make(getattr(xp, name)(t.data), False)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


def _arg(t, dim, keepdim, is_max):
    f = t.data.argmax if is_max else t.data.argmin
    if t.data.size == 0:
        raise RuntimeError(f"{'argmax' if is_max else 'argmin'}: expected a non-empty tensor")
    if dim is None:
        r = f()
        if keepdim:
            r = backend.array_module(t.data).asarray(r).reshape((1,) * t.ndim)
    else:
        d = normalize_dim(dim, t.ndim, "argmax" if is_max else "argmin")
        r = f(axis=d, keepdims=keepdim) if t.ndim else 0
    xp = backend.array_module(t.data)
    return Tensor._make(xp.asarray(r, dtype=backend.int64), False)


