"""Tensor arithmetic: operators with broadcasting and PyTorch's dtype promotion, comparisons,
in-place updates and differentiable ``__setitem__``; and the bodies of ``glassnet.matmul``,
``maximum``, ``minimum`` and ``where``, which Tensor methods share (``_matmul``...).

Promotion follows PyTorch, not NumPy: a Python scalar never widens a tensor of its own kind
(float32 * 2.5 stays float32, int64 * 2.5 becomes float32), float32 with float64 gives float64,
and a 0-d tensor does not widen a dimensioned tensor of the same kind.
"""

from __future__ import annotations

import builtins

import numpy as np

from .. import backend
from ..autograd.function import Function, unbroadcast
from ..autograd.grad_mode import is_grad_enabled
from ..autograd.variable import Variable
from ..ops import arithmetic as A
from ..ops import autocast
from ..ops import linalg as L
from .convert import _as_tensor, _to_array
from .inplace import inplace
from .shape import _unwrap_index, index_error

_cupy = backend._cupy


def _check_device(a, b, op):
    if _cupy is not None and isinstance(a._data, _cupy.ndarray) != isinstance(b._data, _cupy.ndarray):
        raise RuntimeError(
            f"{op}: expected all tensors to be on the same device, but found one on "
            f"{a.device} and one on {b.device}; move one with .to(device)")


class ArithmeticMixin:
    """Operators, comparisons, and in-place updates of Tensor."""

    __slots__ = ()

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, o):
        return _binary(A.Add, self, o, "add")

    def __radd__(self, o):
        return _binary(A.Add, self, o, "add", reverse=True)

    def __sub__(self, o):
        return _binary(A.Sub, self, o, "sub")

    def __rsub__(self, o):
        return _binary(A.Sub, self, o, "sub", reverse=True)

    def __mul__(self, o):
        return _binary(A.Mul, self, o, "mul")

    def __rmul__(self, o):
        return _binary(A.Mul, self, o, "mul", reverse=True)

    def __truediv__(self, o):
        return _binary(A.Div, self, o, "div", true_div=True)

    def __rtruediv__(self, o):
        return _binary(A.Div, self, o, "div", reverse=True, true_div=True)

    __rdiv__ = __rtruediv__  # Python 2's name, which PyTorch's Tensor still has

    def __pow__(self, o):
        return _binary(A.Pow, self, o, "pow")

    def __rpow__(self, o):
        return _binary(A.Pow, self, o, "pow", reverse=True)

    def __matmul__(self, o):
        return _matmul(self, o)

    def __rmatmul__(self, o):
        return _matmul(_as_tensor(o, self), self)

    def __neg__(self):
        if self.dtype == np.bool_:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or "
                               "`logical_not()` operator instead.")
        return A.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    def __floordiv__(self, o):
        return _nograd_binary(np.floor_divide, self, o)

    def __rfloordiv__(self, o):
        return _nograd_binary(np.floor_divide, self, o, reverse=True)

    def __mod__(self, o):
        return self.remainder(o)

    def __rmod__(self, o):
        return _as_tensor(o, self).remainder(self)

    # PyTorch compares a Tensor only with tensors, arrays and numbers: ``t == [1, 2]`` or
    # ``t == None`` falls back to Python's identity test (False), as there.
    def __eq__(self, o):
        if o is None or isinstance(o, (list, tuple, str, dict)):
            return NotImplemented
        return _nograd_binary(np.equal, self, o, compare=True)

    def __ne__(self, o):
        if o is None or isinstance(o, (list, tuple, str, dict)):
            return NotImplemented
        return _nograd_binary(np.not_equal, self, o, compare=True)

    def __lt__(self, o):
        return _nograd_binary(np.less, self, o, compare=True)

    def __le__(self, o):
        return _nograd_binary(np.less_equal, self, o, compare=True)

    def __gt__(self, o):
        return _nograd_binary(np.greater, self, o, compare=True)

    def __ge__(self, o):
        return _nograd_binary(np.greater_equal, self, o, compare=True)

    def __and__(self, o):
        return _nograd_binary(np.logical_and if self.dtype.kind == "b" else np.bitwise_and, self, o)

    def __or__(self, o):
        return _nograd_binary(np.logical_or if self.dtype.kind == "b" else np.bitwise_or, self, o)

    def __xor__(self, o):
        return _nograd_binary(np.logical_xor if self.dtype.kind == "b" else np.bitwise_xor, self, o)

    def __invert__(self):
        if backend.is_floating(self._data.dtype):  # PyTorch: a TypeError from ~, as from Python's ~1.5
            raise TypeError(f"~ (operator.invert) is only implemented on integer and bool "
                            f"tensors, got dtype {self._data.dtype}")
        return Variable._make(~self._data, False)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__
    greater, less, greater_equal, less_equal, not_equal = __gt__, __lt__, __ge__, __le__, __ne__

    def add(self, o, alpha=1):
        return self + (o * alpha if alpha != 1 else o)

    def sub(self, o, alpha=1):
        return self - (o * alpha if alpha != 1 else o)

    def mul(self, o):
        return self * o

    def div(self, o, rounding_mode=None):
        if rounding_mode is None:
            return self / o
        if rounding_mode == "floor":
            return self // o
        if rounding_mode == "trunc":
            q = _nograd_binary(np.true_divide, self, o)
            dt = _nograd_binary(np.floor_divide, self, o).dtype  # ints stay ints
            return Variable._make(backend.array_module(q._data).trunc(q._data).astype(dt), False)
        raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")

    multiply, divide, subtract, true_divide = mul, div, sub, div

    def pow(self, o):
        return self ** o

    def neg(self):
        return -self

    def matmul(self, o):
        return _matmul(self, o)

    def mm(self, o):
        """The product of two matrices (2-D only; ``matmul`` broadcasts)."""
        o = _as_tensor(o, self)
        for name, t in (("self", self), ("mat2", o)):
            if t.ndim != 2:
                raise RuntimeError(f"mm: {name} must be a matrix (2-D), got shape "
                                   f"{tuple(t.shape)}")
        return _matmul(self, o, "mm")

    def bmm(self, o):
        """Batched matrix product of (b, n, k) and (b, k, m) tensors (no broadcasting)."""
        o = _as_tensor(o, self)
        for name, t in (("batch1", self), ("batch2", o)):
            if t.ndim != 3:
                raise RuntimeError(f"bmm: {name} must be a 3-D tensor, got shape "
                                   f"{tuple(t.shape)}")
        if self.shape[0] != o.shape[0]:
            raise RuntimeError(f"bmm: batch1 and batch2 must have the same batch size, got "
                               f"shapes {tuple(self.shape)} and {tuple(o.shape)}")
        return _matmul(self, o, "bmm")

    def dot(self, o):
        o = _as_tensor(o, self)
        if self.ndim != 1 or o.ndim != 1:
            raise RuntimeError(f"dot: expected two 1-D tensors, got shapes {tuple(self.shape)} "
                               f"and {tuple(o.shape)}")
        if self.shape != o.shape:
            raise RuntimeError(f"dot: inconsistent tensor size, expected tensors of the same "
                               f"number of elements, got {self.shape[0]} and {o.shape[0]}")
        return _matmul(self, o, "dot")

    # ------------------------------------------------------------------ in-place
    def _inplace(self, op, o, name):
        return inplace(self, name, lambda t: op(t, o), (o,))

    def __iadd__(self, o):
        return self._inplace(ArithmeticMixin.__add__, o, "add_")

    def __isub__(self, o):
        return self._inplace(ArithmeticMixin.__sub__, o, "sub_")

    def __imul__(self, o):
        return self._inplace(ArithmeticMixin.__mul__, o, "mul_")

    def __itruediv__(self, o):
        return self._inplace(ArithmeticMixin.__truediv__, o, "div_")

    def add_(self, o, alpha=1):
        return self._inplace(ArithmeticMixin.__add__, o * alpha if alpha != 1 else o, "add_")

    def sub_(self, o, alpha=1):
        return self._inplace(ArithmeticMixin.__sub__, o * alpha if alpha != 1 else o, "sub_")

    def mul_(self, o):
        return self._inplace(ArithmeticMixin.__mul__, o, "mul_")

    def div_(self, o, *, rounding_mode=None):
        return self._inplace(lambda a, b: a.div(b, rounding_mode=rounding_mode), o, "div_")

    def __ifloordiv__(self, o):
        return self._inplace(ArithmeticMixin.__floordiv__, o, "floor_divide_")

    def __imod__(self, o):
        return self._inplace(ArithmeticMixin.__mod__, o, "remainder_")

    def __ipow__(self, o):
        return self._inplace(ArithmeticMixin.__pow__, o, "pow_")

    def __imatmul__(self, o):
        return self._inplace(ArithmeticMixin.__matmul__, o, "matmul_")

    def __iand__(self, o):
        return self._inplace(ArithmeticMixin.__and__, o, "bitwise_and_")

    def __ior__(self, o):
        return self._inplace(ArithmeticMixin.__or__, o, "bitwise_or_")

    def __ixor__(self, o):
        return self._inplace(ArithmeticMixin.__xor__, o, "bitwise_xor_")

    def pow_(self, o):
        return self._inplace(ArithmeticMixin.__pow__, o, "pow_")

    def clamp_(self, min=None, max=None):
        return self._inplace(lambda a, _: a.clamp(min, max), None, "clamp_")

    def copy_(self, src, non_blocking=False):
        """Copy ``src`` (broadcast to self's shape, cast to self's dtype) into self."""
        src = _as_tensor(src, self)
        if src.device != self.device:
            src = src.to(self.device)
        tracked = is_grad_enabled() and (self.requires_grad or src.requires_grad)
        if tracked:  # self takes the copy's place in the graph (a fresh array, gradient 0 to a)
            xp = backend.array_module(self._data)
            every = Variable._make(xp.ones(self.shape, bool), False)
            return self._inplace(lambda a, s: _where(every, s.to(a.dtype), a), src, "copy_")
        return self._inplace(lambda a, s: s.to(a.dtype).expand(a.shape), src, "copy_")

    def _data_inplace(self, name):
        if self.requires_grad and self.grad_fn is None and is_grad_enabled():
            raise RuntimeError(f"{name}: a leaf Variable that requires grad is being used in an "
                               "in-place operation; wrap it in `with glassnet.no_grad():`")
        self._version += 1

    def zero_(self):
        """Set every element to 0 in place; the gradient to the old values is 0."""
        return self._fill("zero_", 0)

    def fill_(self, value):
        """Set every element to ``value`` (a number or a 0-d tensor) in place; the gradient to
        the old values is 0 and a tensor ``value`` receives the sum of the gradient."""
        return self._fill("fill_", value)

    def _fill(self, name, value):
        if is_grad_enabled() and (self.requires_grad or (
                isinstance(value, Variable) and value.requires_grad)):
            # Recorded as where(True, value, self), so self's old values get gradient 0.
            xp = backend.array_module(self._data)
            every = Variable._make(xp.ones(self.shape, bool), False)
            return self._inplace(lambda a, v: _where(every, _as_tensor(v, a).to(a.dtype), a),
                                 value, name)
        self._data[...] = value.item() if isinstance(value, Variable) else value
        self._version += 1
        return self

    def uniform_(self, a=0.0, b=1.0, generator=None):
        self._data_inplace("uniform_")
        r = backend.rng(generator).uniform(a, b, self.shape)
        self._data[...] = backend.to_device(r.astype(self.dtype), self.device)
        return self

    def normal_(self, mean=0.0, std=1.0, generator=None):
        self._data_inplace("normal_")
        r = backend.rng(generator).standard_normal(self.shape) * std + mean
        self._data[...] = backend.to_device(r.astype(self.dtype), self.device)
        return self

    def masked_fill_(self, mask, value):
        if is_grad_enabled() and (self.requires_grad or (
                isinstance(value, Variable) and value.requires_grad)):
            return self._inplace(lambda a, v: a.masked_fill(mask, v), value, "masked_fill_")
        m = mask._data if isinstance(mask, Variable) else mask
        try:
            shape = np.broadcast_shapes(np.shape(m), self.shape)
        except ValueError:
            shape = None
        if shape != tuple(self.shape):
            raise RuntimeError(f"masked_fill_: the mask of shape {tuple(np.shape(m))} must "
                               f"broadcast to the tensor's shape {tuple(self.shape)}")
        self._version += 1
        backend.array_module(self._data).copyto(
            self._data, value.item() if isinstance(value, Variable) else value,
            where=backend.array_module(self._data).broadcast_to(m, self.shape))
        return self

    def __setitem__(self, idx, value):
        idx = _unwrap_index(idx)
        self._version += 1
        if self.requires_grad and is_grad_enabled():
            if self.grad_fn is None:
                raise RuntimeError("__setitem__: a leaf Variable that requires grad is being used "
                                   "in an in-place operation; wrap it in `with glassnet.no_grad():`")
            new = _SetItem.apply(self, idx, value if isinstance(value, Variable) else
                                 Variable._make(backend.array_module(self._data).asarray(value, self.dtype), False))
            self.data, self.grad_fn, self._output_nr = new._data, new.grad_fn, new._output_nr
            return
        if isinstance(value, Variable) and value.requires_grad and is_grad_enabled():
            new = _SetItem.apply(self, idx, value)
            self.data, self.grad_fn, self._output_nr = new._data, new.grad_fn, new._output_nr
            self.requires_grad = True
            return
        try:
            self._data[idx] = value._data if isinstance(value, Variable) else value
        except IndexError as e:
            raise index_error(e, self.shape) from None


class _SetItem(Function):
    """out = a with out[idx] = v (a functional, differentiable __setitem__)."""

    @staticmethod
    def forward(ctx, a, idx, v):
        ctx.idx = idx
        ctx.vshape = v.shape
        out = a.copy()
        out[idx] = v
        return out

    @staticmethod
    def backward(ctx, g):
        ga = g.copy()
        ga[ctx.idx] = 0
        gv = None
        if ctx.needs_input_grad[2]:
            gv = unbroadcast(g[ctx.idx], ctx.vshape)
        return ga, None, gv

    @staticmethod
    def differentiable_backward(ctx, g):
        keep = backend.array_module(g._data).ones(tuple(g.shape), dtype=g._data.dtype)
        keep[ctx.idx] = 0  # the overwritten elements of a get no gradient
        ga = g * ctx.constant(keep, g.dtype)
        gv = g[ctx.idx].sum_to_size(ctx.vshape) if ctx.needs_input_grad[2] else None
        return ga, None, gv


def _binary(fn, a, b, op, reverse=False, true_div=False):
    """Apply a differentiable binary op with PyTorch's dtype promotion."""
    cb = b.__class__
    if cb is builtins.float and a._data.dtype.kind == "f":
        pass  # fast path: a Python float never widens a float tensor (float32 * 2.5 is float32)
    elif isinstance(b, Variable):
        if _cupy is not None:
            _check_device(a, b, op)
        da, db = a._data.dtype, b._data.dtype
        if da != db:
            dt = backend.promote_types(da, db, a._data.ndim > 0, b._data.ndim > 0)
            if true_div and not backend.is_differentiable(dt):
                dt = backend.get_default_dtype()
            if dt != da:
                a = a.to(dt)
            if dt != db:
                b = b.to(dt)
        elif true_div and not backend.is_differentiable(da):
            a, b = a.to(backend.get_default_dtype()), b.to(backend.get_default_dtype())
    elif isinstance(b, (builtins.int, builtins.float, builtins.bool, np.number, np.bool_)):
        dt = backend.scalar_dtype(a._data.dtype, b)
        if true_div and not backend.is_differentiable(dt):
            dt = backend.get_default_dtype()
        if dt != a._data.dtype:
            a = a.to(dt)
        if cb is not builtins.float and cb is not builtins.int:
            b = dt.type(b)  # NumPy scalars would otherwise promote like arrays
    elif b is None or isinstance(b, str):
        raise TypeError(f"{op}: unsupported operand type {type(b).__name__}")
    else:
        b = _as_tensor(b, a)
        return _binary(fn, a, b, op, reverse, true_div)
    if reverse:
        a, b = b, a
    try:
        return fn.apply(a, b)
    except ValueError as e:
        if "broadcast" in str(e):
            sa = tuple(a.shape) if isinstance(a, Variable) else ()
            sb = tuple(b.shape) if isinstance(b, Variable) else ()
            raise RuntimeError(f"{op}: shapes {sa} and {sb} cannot be broadcast together") from None
        raise


def _nograd_binary(ufunc, a, b, reverse=False, compare=False):
    bt = b if isinstance(b, Variable) else _as_tensor(b, a)
    _check_device(a, bt, ufunc.__name__)
    x, y = a._data, bt._data
    if x.dtype != y.dtype and not compare:
        dt = backend.promote_types(x.dtype, y.dtype, x.ndim > 0, y.ndim > 0)
        x, y = x.astype(dt, copy=False), y.astype(dt, copy=False)
    if reverse:
        x, y = y, x
    if ufunc in _BITWISE:
        _check_bitwise(ufunc.__name__, x.dtype if backend.is_floating(x.dtype) else y.dtype)
    if ufunc in _INTEGER_DIVISIONS and y.dtype.kind in "iu" and x.dtype.kind in "iu" \
            and (y == 0).any():
        raise RuntimeError(f"{ufunc.__name__}: ZeroDivisionError: integer division by zero "
                           f"(the divisor must be nonzero, got {int((y == 0).sum())} zero "
                           f"element(s) in it, dtype {y.dtype}, shape {tuple(y.shape)})")
    try:
        r = ufunc(x, y)
    except ValueError:
        raise RuntimeError(f"{ufunc.__name__}: shapes {tuple(a.shape)} and {tuple(bt.shape)} "
                           "cannot be broadcast together") from None
    return Variable._make(backend.array_module(r).asarray(r), False)


# Bitwise ops are defined on integers and bools only (PyTorch: NotImplementedError for floats).
_BITWISE = (np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.left_shift, np.right_shift)


def _check_bitwise(op, dtype):
    if backend.is_floating(dtype):
        raise NotImplementedError(f"{op}: not implemented for dtype {dtype} (bitwise ops take "
                                  "integer or bool tensors)")


# Integer floor division, remainder and fmod by zero have no value: NumPy gives 0 silently,
# PyTorch raises; float ones give inf/nan as IEEE 754 says.
_INTEGER_DIVISIONS = (np.floor_divide, np.remainder, np.fmod)


@autocast.lower_precision
def _matmul(a, b, op="matmul"):
    """Matrix product with broadcast batch dimensions (1-D operands as in NumPy/PyTorch);
    ``op`` names the caller (mm, bmm, mv, linear...) in errors."""
    if not isinstance(a, Variable):
        a = _as_tensor(a, b)
    if not isinstance(b, Variable):
        b = _as_tensor(b, a)
    if a._sparse_layout or b._sparse_layout:  # a sparse operand: glassnet/tensor/sparse_coo.py
        return a.matmul(b) if a._sparse_layout else b.__rmatmul__(a)
    _check_device(a, b, "matmul")
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError("matmul: both arguments need at least 1 dimension, got shapes "
                           f"{tuple(a.shape)} and {tuple(b.shape)}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"matmul: expected both operands to have the same dtype, but got "
                           f"{a.dtype} and {b.dtype}")
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if ka != kb:
        raise RuntimeError(f"{op}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                           f"multiplied ({ka} != {kb})")
    try:
        return L.MatMul.apply(a, b)
    except ValueError:
        raise RuntimeError(f"{op}: batch dimensions of {tuple(a.shape)} and {tuple(b.shape)} "
                           "cannot be broadcast together") from None


def _maximum(a, b):
    return _binary(A.Maximum, _as_tensor(a, b) if not isinstance(a, Variable) else a, b, "maximum")


def _minimum(a, b):
    return _binary(A.Minimum, _as_tensor(a, b) if not isinstance(a, Variable) else a, b, "minimum")


def _where(condition, input=None, other=None):
    """Pick ``input`` where ``condition`` is true and ``other`` elsewhere (gradients routed)."""
    cond = condition._data if isinstance(condition, Variable) else np.asarray(condition)
    if input is None and other is None:
        return Variable(cond).nonzero(as_tuple=True)
    if cond.dtype != np.bool_:
        cond = cond.astype(bool)
    ref = input if isinstance(input, Variable) else other
    if not isinstance(ref, Variable):  # two Python scalars: PyTorch's default dtypes
        ref = Variable._make(_to_array(input), False)
    a = _as_tensor(input, ref)
    b = _as_tensor(other, ref)
    if a.dtype != b.dtype:
        dt = backend.promote_types(a.dtype, b.dtype, a.ndim > 0, b.ndim > 0)
        a, b = a.to(dt), b.to(dt)
    try:
        return A.Where.apply(cond, a, b)
    except ValueError:
        raise RuntimeError(f"where: shapes of condition {tuple(cond.shape)}, input "
                           f"{tuple(a.shape)} and other {tuple(b.shape)} cannot be broadcast") from None


