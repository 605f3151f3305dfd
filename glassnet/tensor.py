"""Tensor: an n-dimensional array that remembers how it was computed.

A Tensor wraps a raw array (``.data``: numpy on the CPU, cupy on a GPU). If it requires a
gradient, every op applied to it records a node (``grad_fn``) in a graph; ``backward()`` walks
that graph in reverse and leaves d(loss)/d(tensor) in ``.grad`` of every leaf.
"""

from __future__ import annotations

import builtins
import weakref

import numpy as np

from . import autograd, backend
from .autograd import no_grad
from .ops import elementwise as E
from .ops import linalg as L
from .ops import reduce as R
from .ops import shape as S
from .ops.reduce import normalize_dim, normalize_dims

_cupy = backend._cupy


def _check_device(a, b, op):
    if _cupy is not None and isinstance(a.data, _cupy.ndarray) != isinstance(b.data, _cupy.ndarray):
        raise RuntimeError(
            f"{op}: expected all tensors to be on the same device, but found one on "
            f"{a.device} and one on {b.device}; move one with .to(device)")


class Tensor:
    """An array with an optional gradient. Create one with ``glassnet.tensor(data)``."""

    __slots__ = ("data", "grad", "requires_grad", "grad_fn", "_output_nr", "_hooks",
                 "__weakref__", "__dict__")
    __array_priority__ = 1000  # numpy scalars defer to Tensor's reflected operators

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        xp = backend.array_module(data)
        if not hasattr(data, "dtype") or not isinstance(data, xp.ndarray):
            data = _to_array(data, dtype)
        elif dtype is not None:
            data = data.astype(backend.to_dtype(dtype), copy=False)
        self.data = data
        self.grad = None
        self.grad_fn = None
        self._output_nr = 0
        self._hooks = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _make(cls, data, requires_grad):
        t = object.__new__(Tensor)
        t.data = data
        t.grad = None
        t.grad_fn = None
        t._output_nr = 0
        t._hooks = None
        t.requires_grad = requires_grad
        return t

    # ------------------------------------------------------------------ properties
    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def device(self):
        return backend.device_of(self.data)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def T(self):
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def size(self, dim=None):
        if dim is None:
            return self.data.shape
        return self.data.shape[dim]

    def dim(self):
        return self.data.ndim

    def numel(self):
        return int(self.data.size)

    def element_size(self):
        return self.data.dtype.itemsize

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def is_floating_point(self):
        return self.data.dtype.kind == "f"

    def is_contiguous(self):
        return bool(self.data.flags.c_contiguous)

    def contiguous(self):
        if self.data.flags.c_contiguous:
            return self
        return _Contig.apply(self)

    # ------------------------------------------------------------------ autograd API
    def requires_grad_(self, requires_grad: bool = True):
        if requires_grad and self.data.dtype.kind != "f":
            raise RuntimeError(
                f"requires_grad_: only floating point tensors can require gradients, "
                f"got dtype {self.data.dtype}")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad_: you can only change requires_grad of leaf "
                               "tensors; use .detach() for a non-leaf")
        self.requires_grad = bool(requires_grad)
        return self

    def backward(self, gradient=None, retain_graph: bool = False, create_graph: bool = False):
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad."""
        if create_graph:
            raise NotImplementedError("backward: create_graph=True (higher-order gradients) is "
                                      "not supported by glassnet")
        autograd.backward(self, gradient, retain_graph=retain_graph)

    def detach(self):
        return Tensor._make(self.data, False)

    def detach_(self):
        self.grad_fn = None
        self.requires_grad = False
        return self

    def register_hook(self, hook):
        """Call ``hook(grad)`` with the gradient flowing into this tensor during backward.

        The hook may return a new gradient to use instead. Returns a handle with ``remove()``.
        """
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that does "
                               "not require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            lst = self._hooks
        else:
            node = self.grad_fn
            if node._pre_hooks is None:
                node._pre_hooks = {}
            lst = node._pre_hooks.setdefault(self._output_nr, [])
        lst.append(hook)
        return _HookHandle(lst, hook)

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if self.grad_fn is None:
            return self
        node = self.grad_fn
        if node._retain is None:
            node._retain = {}
        node._retain[self._output_nr] = weakref.ref(self)
        return self

    # ------------------------------------------------------------------ conversion
    def item(self):
        if self.data.size != 1:
            raise RuntimeError(f"item: a Tensor with {self.data.size} elements cannot be "
                               "converted to a Python scalar")
        return self.data.reshape(()).item()

    def numpy(self):
        if self.requires_grad and autograd.is_grad_enabled():
            raise RuntimeError("numpy: can't call numpy() on a Tensor that requires grad; use "
                               "tensor.detach().numpy()")
        return backend.to_numpy(self.data)

    def tolist(self):
        return backend.to_numpy(self.data).tolist()

    def __array__(self, dtype=None, copy=None):
        a = backend.to_numpy(self.data)
        return a.astype(dtype) if dtype is not None else a

    def to(self, *args, **kwargs):
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(other_tensor)``."""
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        kwargs.pop("copy", None)
        if kwargs:
            raise TypeError(f"to: unexpected arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            elif isinstance(a, (str, backend.Device)):
                device = a
            else:
                dtype = a
        out = self
        if device is not None and backend.Device(device) != self.device:
            out = _ToDevice.apply(out, backend.Device(device))
        if dtype is not None:
            d = backend.to_dtype(dtype)
            if d != out.dtype:
                out = E.Cast.apply(out, d)
        return out

    def type(self, dtype=None):
        return str(self.dtype) if dtype is None else self.to(dtype)

    def float(self):
        return self.to(backend.float32)

    def double(self):
        return self.to(backend.float64)

    def half(self):
        return self.to(backend.float16)

    def long(self):
        return self.to(backend.int64)

    def int(self):
        return self.to(backend.int32)

    def bool(self):
        return self.to(backend.bool_)

    def type_as(self, other):
        return self.to(other.dtype)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else f"cuda:{device}")

    def clone(self):
        return _Clone.apply(self)

    def new_tensor(self, data, dtype=None):
        return tensor(data, dtype=dtype or self.dtype, device=self.device)

    def new_zeros(self, *size, dtype=None):
        xp = backend.array_module(self.data)
        return Tensor._make(xp.zeros(_size(size), dtype=backend.to_dtype(dtype) or self.dtype), False)

    def new_ones(self, *size, dtype=None):
        xp = backend.array_module(self.data)
        return Tensor._make(xp.ones(_size(size), dtype=backend.to_dtype(dtype) or self.dtype), False)

    def new_full(self, size, fill_value, dtype=None):
        xp = backend.array_module(self.data)
        return Tensor._make(xp.full(_size((size,)), fill_value,
                                    dtype=backend.to_dtype(dtype) or self.dtype), False)

    # ------------------------------------------------------------------ printing
    def __repr__(self):
        body = np.array2string(backend.to_numpy(self.data), separator=", ", precision=4,
                               prefix="tensor(", threshold=1000, edgeitems=3)
        extras = []
        if self.data.dtype not in (backend.get_default_dtype(), backend.int64, backend.bool_):
            extras.append(f"dtype=glassnet.{self.data.dtype}")
        if self.device.type != "cpu":
            extras.append(f"device='{self.device}'")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    def __format__(self, spec):
        if self.data.size == 1 and spec:
            return format(self.item(), spec)
        return repr(self) if not spec else format(repr(self), spec)

    def __hash__(self):
        return id(self)

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"Boolean value of a Tensor with {self.data.size} elements is "
                               "ambiguous; use .any() or .all()")
        return builtins.bool(self.data.reshape(()))

    def __float__(self):
        return builtins.float(self.item())

    def __int__(self):
        return builtins.int(self.item())

    def __index__(self):
        if self.data.dtype.kind not in "iub" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return builtins.int(self.item())

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, o):
        return _binary(E.Add, self, o, "add")

    def __radd__(self, o):
        return _binary(E.Add, self, o, "add", reverse=True)

    def __sub__(self, o):
        return _binary(E.Sub, self, o, "sub")

    def __rsub__(self, o):
        return _binary(E.Sub, self, o, "sub", reverse=True)

    def __mul__(self, o):
        return _binary(E.Mul, self, o, "mul")

    def __rmul__(self, o):
        return _binary(E.Mul, self, o, "mul", reverse=True)

    def __truediv__(self, o):
        return _binary(E.Div, self, o, "div", true_div=True)

    def __rtruediv__(self, o):
        return _binary(E.Div, self, o, "div", reverse=True, true_div=True)

    def __pow__(self, o):
        return _binary(E.Pow, self, o, "pow")

    def __rpow__(self, o):
        return _binary(E.Pow, self, o, "pow", reverse=True)

    def __matmul__(self, o):
        return matmul(self, o)

    def __rmatmul__(self, o):
        return matmul(_as_tensor(o, self), self)

    def __neg__(self):
        return E.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    def __floordiv__(self, o):
        return _nograd_binary(np.floor_divide, self, o)

    def __rfloordiv__(self, o):
        return _nograd_binary(np.floor_divide, self, o, reverse=True)

    def __mod__(self, o):
        return _nograd_binary(np.remainder, self, o)

    def __eq__(self, o):
        return _nograd_binary(np.equal, self, o, compare=True)

    def __ne__(self, o):
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
        return Tensor._make(~self.data, False)

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__
    greater, less, greater_equal, less_equal = __gt__, __lt__, __ge__, __le__

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
            return Tensor._make(backend.array_module(q.data).trunc(q.data).astype(dt), False)
        raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")

    multiply, divide, subtract, true_divide = mul, div, sub, div

    def pow(self, o):
        return self ** o

    def neg(self):
        return -self

    def matmul(self, o):
        return matmul(self, o)

    mm = bmm = matmul

    def dot(self, o):
        if self.ndim != 1 or _as_tensor(o, self).ndim != 1:
            raise RuntimeError(f"dot: expected two 1-D tensors, got shapes {tuple(self.shape)} "
                               f"and {tuple(_as_tensor(o, self).shape)}")
        return matmul(self, o)

    # ------------------------------------------------------------------ in-place
    def _inplace(self, op, o, name):
        if self.requires_grad and autograd.is_grad_enabled():
            if self.grad_fn is None:
                raise RuntimeError(
                    f"{name}: a leaf Variable that requires grad is being used in an in-place "
                    "operation; wrap the update in `with glassnet.no_grad():`")
            new = op(self, o)  # out of place, then take the result's place in the graph
            self.data, self.grad_fn, self._output_nr = new.data, new.grad_fn, new._output_nr
            return self
        od = o.data if isinstance(o, Tensor) else o
        res = op(Tensor._make(self.data, False), Tensor._make(od, False) if isinstance(o, Tensor) else o)
        if res.dtype != self.dtype and not (self.dtype.kind == "f" or res.dtype.kind != "f"):
            raise RuntimeError(f"{name}: result type {res.dtype} can't be cast to the desired "
                               f"output type {self.dtype}")
        xp = backend.array_module(self.data)
        if self.data.flags.writeable:
            xp.copyto(self.data, res.data, casting="unsafe")
        else:
            self.data = res.data.astype(self.dtype)
        return self

    def __iadd__(self, o):
        return self._inplace(Tensor.__add__, o, "add_")

    def __isub__(self, o):
        return self._inplace(Tensor.__sub__, o, "sub_")

    def __imul__(self, o):
        return self._inplace(Tensor.__mul__, o, "mul_")

    def __itruediv__(self, o):
        return self._inplace(Tensor.__truediv__, o, "div_")

    def add_(self, o, alpha=1):
        return self._inplace(Tensor.__add__, o * alpha if alpha != 1 else o, "add_")

    def sub_(self, o, alpha=1):
        return self._inplace(Tensor.__sub__, o * alpha if alpha != 1 else o, "sub_")

    def mul_(self, o):
        return self._inplace(Tensor.__mul__, o, "mul_")

    def div_(self, o):
        return self._inplace(Tensor.__truediv__, o, "div_")

    def pow_(self, o):
        return self._inplace(Tensor.__pow__, o, "pow_")

    def clamp_(self, min=None, max=None):
        return self._inplace(lambda a, _: a.clamp(min, max), None, "clamp_")

    def copy_(self, src):
        return self._inplace(lambda a, s: (a * 0 + s) if isinstance(s, Tensor) else a * 0 + s,
                             src, "copy_")

    def _data_inplace(self, name):
        if self.requires_grad and self.grad_fn is None and autograd.is_grad_enabled():
            raise RuntimeError(f"{name}: a leaf Variable that requires grad is being used in an "
                               "in-place operation; wrap it in `with glassnet.no_grad():`")

    def zero_(self):
        self._data_inplace("zero_")
        self.data[...] = 0
        return self

    def fill_(self, value):
        self._data_inplace("fill_")
        self.data[...] = value.item() if isinstance(value, Tensor) else value
        return self

    def uniform_(self, a=0.0, b=1.0, generator=None):
        self._data_inplace("uniform_")
        r = backend.rng(generator).uniform(a, b, self.shape)
        self.data[...] = backend.to_device(r.astype(self.dtype), self.device)
        return self

    def normal_(self, mean=0.0, std=1.0, generator=None):
        self._data_inplace("normal_")
        r = backend.rng(generator).standard_normal(self.shape) * std + mean
        self.data[...] = backend.to_device(r.astype(self.dtype), self.device)
        return self

    def masked_fill_(self, mask, value):
        self._data_inplace("masked_fill_")
        m = mask.data if isinstance(mask, Tensor) else mask
        backend.array_module(self.data).copyto(
            self.data, value.item() if isinstance(value, Tensor) else value,
            where=backend.array_module(self.data).broadcast_to(m, self.shape))
        return self

    def __setitem__(self, idx, value):
        idx = _unwrap_index(idx)
        if self.requires_grad and autograd.is_grad_enabled():
            if self.grad_fn is None:
                raise RuntimeError("__setitem__: a leaf Variable that requires grad is being used "
                                   "in an in-place operation; wrap it in `with glassnet.no_grad():`")
            new = _SetItem.apply(self, idx, value if isinstance(value, Tensor) else
                                 Tensor._make(backend.array_module(self.data).asarray(value, self.dtype), False))
            self.data, self.grad_fn, self._output_nr = new.data, new.grad_fn, new._output_nr
            return
        if isinstance(value, Tensor) and value.requires_grad and autograd.is_grad_enabled():
            new = _SetItem.apply(self, idx, value)
            self.data, self.grad_fn, self._output_nr = new.data, new.grad_fn, new._output_nr
            self.requires_grad = True
            return
        self.data[idx] = value.data if isinstance(value, Tensor) else value

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

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape):
        shape = _size(shape)
        if shape == self.data.shape:
            return self
        try:
            return S.Reshape.apply(self, shape)
        except ValueError:
            raise RuntimeError(f"reshape: shape {list(shape)} is invalid for input of size "
                               f"{self.data.size} (shape {tuple(self.shape)})") from None

    def view(self, *shape):
        if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)):
            return self.to(shape[0])
        return self.reshape(*shape)

    def view_as(self, other):
        return self.reshape(other.shape)

    reshape_as = view_as

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        s = start_dim % self.ndim
        e = end_dim % self.ndim
        shape = self.shape[:s] + (int(np.prod(self.shape[s:e + 1])),) + self.shape[e + 1:]
        return self.reshape(shape)

    def unflatten(self, dim, sizes):
        d = dim % self.ndim
        return self.reshape(self.shape[:d] + tuple(sizes) + self.shape[d + 1:])

    def permute(self, *dims):
        dims = tuple(_size(dims))
        if sorted(d % max(self.ndim, 1) for d in dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute: dims {dims} is not a permutation of the {self.ndim} "
                               f"dimensions of a tensor of shape {tuple(self.shape)}")
        dims = tuple(d % self.ndim for d in dims)
        if dims == tuple(range(self.ndim)):
            return self
        return S.Permute.apply(self, dims)

    def transpose(self, dim0, dim1):
        n = self.ndim
        if n == 0:
            return self
        perm = list(range(n))
        d0, d1 = normalize_dim(dim0, n, "transpose"), normalize_dim(dim1, n, "transpose")
        perm[d0], perm[d1] = perm[d1], perm[d0]
        return self.permute(*perm)

    swapaxes = swapdims = transpose

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t: expects a tensor with <= 2 dimensions, got {self.ndim}")
        return self.transpose(0, 1) if self.ndim == 2 else self

    def movedim(self, source, destination):
        perm = list(range(self.ndim))
        s = source % self.ndim
        perm.pop(s)
        perm.insert(destination % self.ndim, s)
        return self.permute(*perm)

    def squeeze(self, dim=None):
        if dim is None:
            shape = tuple(s for s in self.shape if s != 1)
        else:
            dims = normalize_dims(dim, self.ndim, "squeeze")
            shape = tuple(s for i, s in enumerate(self.shape) if not (i in dims and s == 1))
        return self.reshape(shape)

    def unsqueeze(self, dim):
        n = self.ndim + 1
        if not -n <= dim < n:
            raise IndexError(f"unsqueeze: dim {dim} out of range (expected -{n} <= dim < {n})")
        d = dim % n
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def expand(self, *sizes):
        sizes = _size(sizes)
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise RuntimeError(f"expand: the number of sizes ({len(sizes)}) must be >= the "
                               f"number of dimensions ({self.ndim})")
        shape = tuple(self.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
        if shape == self.shape:
            return self
        try:
            np.broadcast_shapes(self.shape, shape)
        except ValueError:
            raise RuntimeError(f"expand: the expanded size {list(shape)} must match the existing "
                               f"size {list(self.shape)} at non-singleton dimensions") from None
        return S.Expand.apply(self, shape)

    def expand_as(self, other):
        return self.expand(other.shape)

    broadcast_to = expand

    def repeat(self, *sizes):
        sizes = _size(sizes)
        x = self.reshape((1,) * (len(sizes) - self.ndim) + self.shape)
        shp = []
        exp = []
        for r, s in zip(sizes, x.shape):
            shp += [1, s]
            exp += [r, s]
        out = x.reshape(shp).expand(exp)
        return out.reshape(tuple(r * s for r, s in zip(sizes, x.shape)))

    def split(self, split_size_or_sections, dim=0):
        d = normalize_dim(dim, self.ndim, "split")
        n = self.shape[d]
        if isinstance(split_size_or_sections, int):
            k = split_size_or_sections
            if k <= 0:
                raise ValueError(f"split: split_size must be positive, got {k}")
            sizes = [k] * (n // k) + ([n % k] if n % k else [])
            if n == 0:
                sizes = [0]
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != n:
                raise RuntimeError(f"split: split sizes {sizes} sum to {sum(sizes)} but dimension "
                                   f"{d} has size {n}")
        out = S.Split.apply(self, sizes, d)
        return out if isinstance(out, tuple) else (out,)

    def chunk(self, chunks, dim=0):
        n = self.shape[normalize_dim(dim, self.ndim, "chunk")]
        k = -(-n // chunks) if n else 1
        return self.split(max(k, 1), dim)

    def unbind(self, dim=0):
        d = normalize_dim(dim, self.ndim, "unbind")
        return tuple(p.squeeze(d) for p in self.split(1, d))

    def narrow(self, dim, start, length):
        d = normalize_dim(dim, self.ndim, "narrow")
        idx = [slice(None)] * self.ndim
        idx[d] = slice(start, start + length)
        return self[tuple(idx)]

    def flip(self, *dims):
        dims = tuple(d % self.ndim for d in _size(dims))
        return S.Flip.apply(self, dims)

    def roll(self, shifts, dims=None):
        return S.Roll.apply(self, shifts, dims)

    # ------------------------------------------------------------------ indexing
    def __getitem__(self, idx):
        idx = _unwrap_index(idx)
        if isinstance(idx, tuple) and len(idx) > 1:
            split = _split_index(idx)
            if split is not None:  # ints are applied before arrays, as in PyTorch
                return self[split[0]][split[1]]
        try:
            return S.GetItem.apply(self, idx)
        except IndexError as e:
            raise IndexError(f"index: {e} (tensor of shape {tuple(self.shape)})") from None

    def gather(self, dim, index):
        d = normalize_dim(dim, self.ndim, "gather")
        idx = _index_array(index, "gather")
        if idx.ndim != self.ndim:
            raise RuntimeError(f"gather: index has {idx.ndim} dimensions but input has {self.ndim}")
        return S.Gather.apply(self, d, idx)

    def scatter_add(self, dim, index, src):
        d = normalize_dim(dim, self.ndim, "scatter_add")
        return S.ScatterAdd.apply(self, d, _index_array(index, "scatter_add"), _as_tensor(src, self))

    def index_select(self, dim, index):
        d = normalize_dim(dim, self.ndim, "index_select")
        return S.IndexSelect.apply(self, d, _index_array(index, "index_select"))

    def index_add(self, dim, index, source, alpha=1):
        d = normalize_dim(dim, self.ndim, "index_add")
        return S.IndexAdd.apply(self, d, _index_array(index, "index_add"), _as_tensor(source, self), alpha)

    def nonzero(self, as_tuple=False):
        xp = backend.array_module(self.data)
        nz = xp.nonzero(self.data)
        if as_tuple:
            return tuple(Tensor._make(i.astype(backend.int64), False) for i in nz)
        return Tensor._make(xp.stack(nz, axis=1).astype(backend.int64), False)

    def unique(self, sorted=True, return_counts=False):
        xp = backend.array_module(self.data)
        if return_counts:
            u, c = xp.unique(self.data, return_counts=True)
            return Tensor._make(u, False), Tensor._make(c.astype(backend.int64), False)
        return Tensor._make(xp.unique(self.data), False)


class _MinMaxResult(tuple):
    """(values, indices) with attribute access, like torch.return_types.max."""

    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    values = property(lambda self: self[0])
    indices = property(lambda self: self[1])


_TopKResult = _MinMaxResult


class _HookHandle:
    def __init__(self, lst, hook):
        self.lst, self.hook = lst, hook

    def remove(self):
        if self.hook in self.lst:
            self.lst.remove(self.hook)


class _Contig(autograd.Function):
    @staticmethod
    def forward(ctx, a):
        return backend.array_module(a).ascontiguousarray(a)

    @staticmethod
    def backward(ctx, g):
        return g


class _Clone(autograd.Function):
    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, g):
        return g


class _ToDevice(autograd.Function):
    @staticmethod
    def forward(ctx, a, device):
        ctx.src = backend.device_of(a)
        return backend.to_device(a, device)

    @staticmethod
    def backward(ctx, g):
        return backend.to_device(g, ctx.src), None


class _SetItem(autograd.Function):
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
            from .ops.elementwise import unbroadcast
            gv = unbroadcast(g[ctx.idx], ctx.vshape)
        return ga, None, gv


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


def _size(args):
    """Accept f(2, 3), f((2, 3)), f([2, 3]) and f(tensor_shape)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    return tuple(builtins.int(a) for a in args)


def _unwrap_index(idx):
    if isinstance(idx, Tensor):
        d = idx.data
        return d if d.dtype.kind == "b" or d.ndim else builtins.int(d)
    if isinstance(idx, tuple):
        return tuple((builtins.int(i.data) if i.data.ndim == 0 and i.data.dtype.kind in "iu"
                      else i.data) if isinstance(i, Tensor) else i for i in idx)
    if isinstance(idx, list):
        return np.asarray(idx) if all(isinstance(i, (int, bool, np.integer)) for i in idx) else \
            tuple(i.data if isinstance(i, Tensor) else i for i in idx)
    return idx


def _split_index(idx):
    """PyTorch applies integer indices before array indices; NumPy mixes them (so that
    ``x[0, :, [1, 3]]`` has shape (2, 3) in NumPy but (3, 2) in PyTorch). When an index holds
    both, return (basic part, advanced part) to apply one after the other; otherwise None."""
    has_int = has_arr = False
    for i in idx:
        if isinstance(i, (builtins.int, np.integer)) and not isinstance(i, (builtins.bool, np.bool_)):
            has_int = True
        elif hasattr(i, "ndim") and hasattr(i, "dtype") or isinstance(i, list):
            has_arr = True
    if not (has_int and has_arr):
        return None
    first, second = [], []
    for i in idx:
        if isinstance(i, (builtins.int, np.integer)) and not isinstance(i, (builtins.bool, np.bool_)):
            first.append(i)
        elif i is None or isinstance(i, slice):
            first.append(i)
            second.append(slice(None))
        elif i is Ellipsis:
            first.append(i)
            second.append(i)
        else:
            a = np.asarray(i) if isinstance(i, list) else i
            first.extend([slice(None)] * (a.ndim if a.dtype.kind == "b" else 1))
            second.append(a)
    return tuple(first), tuple(second)


def _index_array(index, op):
    d = index.data if isinstance(index, Tensor) else np.asarray(index)
    if d.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected an integer index tensor, got dtype {d.dtype}")
    return d


def _to_array(data, dtype=None, device=None):
    """Python data / numpy / Tensor -> array on the right device with PyTorch's dtype inference."""
    d = backend.to_dtype(dtype)
    if isinstance(data, Tensor):
        data = data.data
    xp = np if device is None else backend.device_module(device)
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat(data)):
        data = _tensors_to_nested(data)
    a = data if hasattr(data, "dtype") and hasattr(data, "shape") else None
    if a is None:
        a = np.asarray(data)
        if d is None:
            if a.dtype.kind == "f":
                d = backend.get_default_dtype()
            elif a.dtype.kind in "iu":
                d = backend.int64
            elif a.dtype.kind == "O":
                raise TypeError(f"tensor: could not convert data of type {type(data).__name__} "
                                "to a numeric array")
    elif d is None and not isinstance(a, xp.ndarray):
        a = np.asarray(a)
    if d is not None and a.dtype != d:
        a = a.astype(d)
    if a.dtype.kind in "UOSc":
        raise TypeError(f"tensor: unsupported data type {a.dtype}")
    if device is not None:
        a = backend.to_device(a, device)
    return a


def _flat(x):
    if isinstance(x, (list, tuple)):
        for y in x:
            yield from _flat(y)
    else:
        yield x


def _tensors_to_nested(x):
    if isinstance(x, Tensor):
        return backend.to_numpy(x.data)
    if isinstance(x, (list, tuple)):
        return [_tensors_to_nested(y) for y in x]
    return x


def _as_tensor(o, like):
    if isinstance(o, Tensor):
        return o
    xp = backend.array_module(like.data)
    if isinstance(o, (builtins.bool, builtins.int, builtins.float, np.number, np.bool_)):
        return Tensor._make(xp.asarray(o, dtype=backend.scalar_dtype(like.dtype, o)), False)
    return Tensor._make(xp.asarray(_to_array(o)), False)


def _binary(fn, a, b, op, reverse=False, true_div=False):
    """Apply a differentiable binary op with PyTorch's dtype promotion."""
    cb = b.__class__
    if cb is builtins.float and a.data.dtype.kind == "f":
        pass  # fast path: a Python float never widens a float tensor (float32 * 2.5 is float32)
    elif isinstance(b, Tensor):
        if _cupy is not None:
            _check_device(a, b, op)
        da, db = a.data.dtype, b.data.dtype
        if da != db:
            dt = backend.promote_types(da, db, a.data.ndim > 0, b.data.ndim > 0)
            if true_div and dt.kind != "f":
                dt = backend.get_default_dtype()
            if dt != da:
                a = a.to(dt)
            if dt != db:
                b = b.to(dt)
        elif true_div and da.kind != "f":
            a, b = a.to(backend.get_default_dtype()), b.to(backend.get_default_dtype())
    elif isinstance(b, (builtins.int, builtins.float, builtins.bool, np.number, np.bool_)):
        dt = backend.scalar_dtype(a.data.dtype, b)
        if true_div and dt.kind != "f":
            dt = backend.get_default_dtype()
        if dt != a.data.dtype:
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
            sa = tuple(a.shape) if isinstance(a, Tensor) else ()
            sb = tuple(b.shape) if isinstance(b, Tensor) else ()
            raise RuntimeError(f"{op}: shapes {sa} and {sb} cannot be broadcast together") from None
        raise


def _nograd_binary(ufunc, a, b, reverse=False, compare=False):
    bt = b if isinstance(b, Tensor) else _as_tensor(b, a)
    _check_device(a, bt, ufunc.__name__)
    x, y = a.data, bt.data
    if x.dtype != y.dtype and not compare:
        dt = backend.promote_types(x.dtype, y.dtype, x.ndim > 0, y.ndim > 0)
        x, y = x.astype(dt, copy=False), y.astype(dt, copy=False)
    if reverse:
        x, y = y, x
    try:
        r = ufunc(x, y)
    except ValueError:
        raise RuntimeError(f"{ufunc.__name__}: shapes {tuple(a.shape)} and {tuple(bt.shape)} "
                           "cannot be broadcast together") from None
    return Tensor._make(backend.array_module(r).asarray(r), False)


# ---------------------------------------------------------------------- functional forms
def tensor(data, dtype=None, device=None, requires_grad=False):
    """Create a leaf tensor from data (copying it). Floats default to float32, ints to int64."""
    if isinstance(data, Tensor):
        arr = data.data.copy()
        if dtype is not None:
            arr = arr.astype(backend.to_dtype(dtype))
        if device is not None:
            arr = backend.to_device(arr, device)
    else:
        arr = _to_array(data, dtype, device)
        if hasattr(data, "dtype") and arr is data:
            arr = arr.copy()
    return Tensor._make(arr, False).requires_grad_(requires_grad) if requires_grad else Tensor._make(arr, False)


def matmul(a, b):
    """Matrix product with broadcast batch dimensions (1-D operands as in NumPy/PyTorch)."""
    if not isinstance(a, Tensor):
        a = _as_tensor(a, b)
    if not isinstance(b, Tensor):
        b = _as_tensor(b, a)
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
        raise RuntimeError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                           f"multiplied ({ka} != {kb})")
    try:
        return L.MatMul.apply(a, b)
    except ValueError:
        raise RuntimeError(f"matmul: batch dimensions of {tuple(a.shape)} and {tuple(b.shape)} "
                           "cannot be broadcast together") from None


def maximum(a, b):
    return _binary(E.Maximum, _as_tensor(a, b) if not isinstance(a, Tensor) else a, b, "maximum")


def minimum(a, b):
    return _binary(E.Minimum, _as_tensor(a, b) if not isinstance(a, Tensor) else a, b, "minimum")


def where(condition, input=None, other=None):
    """Pick ``input`` where ``condition`` is true and ``other`` elsewhere (gradients routed)."""
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if input is None and other is None:
        return Tensor(cond).nonzero(as_tuple=True)
    if cond.dtype != np.bool_:
        cond = cond.astype(bool)
    ref = input if isinstance(input, Tensor) else other
    if not isinstance(ref, Tensor):  # two Python scalars: PyTorch's default dtypes
        ref = Tensor._make(_to_array(input), False)
    a = _as_tensor(input, ref)
    b = _as_tensor(other, ref)
    if a.dtype != b.dtype:
        dt = backend.promote_types(a.dtype, b.dtype, a.ndim > 0, b.ndim > 0)
        a, b = a.to(dt), b.to(dt)
    try:
        return E.Where.apply(cond, a, b)
    except ValueError:
        raise RuntimeError(f"where: shapes of condition {tuple(cond.shape)}, input "
                           f"{tuple(a.shape)} and other {tuple(b.shape)} cannot be broadcast") from None


autograd._Tensor = Tensor
__all__ = ["Tensor", "tensor", "matmul", "maximum", "minimum", "where", "no_grad"]
