"""Tensor: an n-dimensional array that remembers how it was computed.

A Tensor wraps a raw array (``.data``: numpy on the CPU, cupy on a GPU). If it requires a
gradient, every op applied to it records a node (``grad_fn``) in a graph; ``backward()`` walks
that graph in reverse and leaves d(loss)/d(tensor) in ``.grad`` of every leaf.

This module holds the class itself: construction, properties, ``backward``, conversions and
printing (``printing.py``), and ``tensor()``. The autograd fields and methods come from its base
class ``Variable`` (glassnet/autograd/variable.py); the other methods come in groups from
mixins, one module each beside this one: arithmetic and in-place updates (``arith``,
``inplace``), complex numbers (``complex``), pointwise maths (``math``), logical and bitwise ops (``logic``), reductions
(``reduce``), shapes and indexing (``shape``, ``index``), linear algebra (``linalg``) and
metadata (``meta``). The mixins work on ``self`` and make new tensors with ``Variable._make``,
so none of them imports this module.
"""

from __future__ import annotations

import builtins

import numpy as np

from .. import backend
from ..autograd import engine
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ..autograd.variable import Variable
from ..ops import arithmetic as A
from . import numpy_names
from .arith import ArithmeticMixin
from .complex import ComplexMixin
from .convert import _as_tensor, _size, _to_array
from .convert import _new_size as _checked_size
from .index import IndexMixin
from .inplace import InplaceMixin
from .linalg import LinalgMixin
from .logic import LogicMixin
from .math import PointwiseMixin
from .meta import MetaMixin
from .printing import tensor_repr
from .reduce import ReduceMixin
from .shape import ShapeMixin
from .size import Size
from .sparse import SparseMixin
from .strided import StridedMixin

_cupy = backend._cupy
_new_size = tuple.__new__  # a Size from a shape that is already a tuple of ints


class Tensor(Variable, ArithmeticMixin, ComplexMixin, PointwiseMixin, LogicMixin, ReduceMixin, ShapeMixin,
             IndexMixin, StridedMixin, LinalgMixin, InplaceMixin, MetaMixin, SparseMixin,
             result_type=True):
    """An array with an optional gradient. Create one with ``glassnet.tensor(data)``.

    Its autograd fields and methods (``requires_grad``, ``grad``, ``grad_fn``, ``detach``,
    ``register_hook``...) come from ``Variable`` (glassnet/autograd/variable.py); every op
    returns a Tensor (``result_type=True``), also for subclasses such as ``nn.Parameter``.
    """

    __slots__ = ()
    __array_priority__ = 1000  # numpy scalars defer to Tensor's reflected operators

    def __init__(self, *args, requires_grad: bool = False, dtype=None):
        if len(args) == 2 and isinstance(args[1], (builtins.bool, np.bool_)):
            args, requires_grad = args[:1], args[1]  # Tensor(data, requires_grad)
        data = _legacy_args(args, dtype)
        if isinstance(data, Tensor):
            data = data._data
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

    @property
    def data(self):
        """This tensor's values outside the graph: a Tensor sharing the same memory, with
        ``requires_grad=False`` and no history (PyTorch's ``.data``).

        Changing it changes this tensor, unseen by autograd: ``p.data.add_(p.grad, alpha=-lr)``,
        ``m.bias.data.zero_()`` and ``w.data -= lr * w.grad.data`` update the parameter in place.
        ``detach()`` is the safer spelling in new code. Assigning replaces the values:
        ``layer.weight.data = other`` accepts a Tensor (whose memory is then shared, as in
        PyTorch), an array or nested numbers. The raw NumPy (or CuPy) array is ``.numpy()``
        (CPU) or ``._data``.
        """
        return Tensor._make(self._data, False)

    @data.setter
    def data(self, value):
        if isinstance(value, Tensor):
            value = value._data
        elif isinstance(value, np.generic) or not (hasattr(value, "dtype") and hasattr(value, "shape")):
            value = _to_array(value) if not isinstance(value, np.generic) else np.asarray(value)
        self._data = value

    # ------------------------------------------------------------------ properties
    @property
    def shape(self):
        return _new_size(Size, self._data.shape)

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def device(self):
        return backend.device_of(self._data)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def T(self):
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def size(self, dim=None):
        if dim is None:
            return _new_size(Size, self._data.shape)
        return self._data.shape[dim]

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return int(self._data.size)

    nelement = numel

    def element_size(self):
        return self._data.dtype.itemsize

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def is_floating_point(self):
        return backend.is_floating(self._data.dtype)

    def is_contiguous(self, memory_format=None):
        return bool(self._data.flags.c_contiguous)

    def contiguous(self, memory_format=None):
        if self._data.flags.c_contiguous:
            return self
        return _Contig.apply(self)

    # ------------------------------------------------------------------ autograd API
    def backward(self, gradient=None, retain_graph=None, create_graph: bool = False,
                 inputs=None):
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad
        (only for ``inputs`` when given)."""
        if create_graph:  # differentiable gradients; retain_graph defaults to True
            engine.backward(self, gradient, retain_graph=retain_graph, inputs=inputs,
                            create_graph=True)
            return
        engine.backward(self, gradient, retain_graph=bool(retain_graph), inputs=inputs)

    # ------------------------------------------------------------------ conversion
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"item: a Tensor with {self._data.size} elements cannot be "
                               "converted to a Python scalar")
        return self._data.reshape(()).item()

    def numpy(self):
        if self.requires_grad and is_grad_enabled():
            raise RuntimeError("numpy: can't call numpy() on a Tensor that requires grad; use "
                               "tensor.detach().numpy()")
        return backend.to_numpy(self._data)

    def tolist(self):
        return backend.to_numpy(self._data).tolist()

    def __array__(self, dtype=None, copy=None):
        a = backend.to_numpy(self._data)
        return a.astype(dtype) if dtype is not None else a

    def to(self, *args, **kwargs):
        """PyTorch's three forms: ``to(dtype, non_blocking=False, copy=False)``,
        ``to(device=None, dtype=None, non_blocking=False, copy=False)`` and
        ``to(other, non_blocking=False, copy=False)`` (other's dtype and device); the flags may
        be positional. ``copy=True`` always returns a new tensor; ``memory_format`` is accepted
        (glassnet arrays have one layout)."""
        args = list(args)
        dtype = device = None
        if args and isinstance(args[0], Tensor):
            other = args.pop(0)
            dtype, device = other.dtype, other.device
        elif args and (args[0] is None or isinstance(args[0], (str, backend.Device))):
            device = args.pop(0)
            if args and not isinstance(args[0], builtins.bool):
                dtype = args.pop(0)
        elif args and not isinstance(args[0], builtins.bool):
            dtype = args.pop(0)
        if len(args) > 2:
            raise TypeError(f"to: too many positional arguments ({len(args)} left after the "
                            "device/dtype: expected at most non_blocking and copy)")
        flags = dict(zip(("non_blocking", "copy"), args))
        for k in flags:
            if k in kwargs:
                raise TypeError(f"to: got multiple values for argument '{k}'")
        kwargs.update(flags)
        dtype = kwargs.pop("dtype", dtype)
        device = kwargs.pop("device", device)
        kwargs.pop("non_blocking", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to: unexpected arguments {sorted(kwargs)}")
        out = self
        if device is not None and backend.Device(device) != self.device:
            out = _ToDevice.apply(out, backend.Device(device))
        if dtype is not None:
            d = backend.to_dtype(dtype)
            if d != out.dtype:
                out = A.Cast.apply(out, d)
        if copy and out is self:
            out = self.clone()
        return out

    def float(self, memory_format=None):
        return self.to(backend.float32)

    def double(self, memory_format=None):
        return self.to(backend.float64)

    def half(self, memory_format=None):
        return self.to(backend.float16)

    def bfloat16(self, memory_format=None):
        """A bfloat16 copy (needs ml_dtypes: ``pip install glassnet[bf16]``)."""
        return self.to(backend.bfloat16)

    def long(self, memory_format=None):
        return self.to(backend.int64)

    def int(self, memory_format=None):
        return self.to(backend.int32)

    def bool(self, memory_format=None):
        return self.to(backend.bool_)

    def short(self, memory_format=None):
        return self.to(backend.int16)

    def char(self, memory_format=None):
        return self.to(backend.int8)

    def byte(self, memory_format=None):
        return self.to(backend.uint8)

    def type_as(self, other):
        return self.to(other.dtype)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        if device is None:
            device = "cuda"
        elif isinstance(device, builtins.int):
            device = f"cuda:{device}"
        return self.to(device)

    def clone(self, *, memory_format=None):
        return _Clone.apply(self)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        return tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                      requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        xp = backend.array_module(self._data)
        t = Tensor._make(xp.zeros(_checked_size("new_zeros", size),
                                  dtype=backend.to_dtype(dtype) or self.dtype), False)
        return t.requires_grad_(True) if requires_grad else t

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        xp = backend.array_module(self._data)
        t = Tensor._make(xp.ones(_checked_size("new_ones", size),
                                 dtype=backend.to_dtype(dtype) or self.dtype), False)
        return t.requires_grad_(True) if requires_grad else t

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
        xp = backend.array_module(self._data)
        t = Tensor._make(xp.full(_checked_size("new_full", (size,)), fill_value,
                                 dtype=backend.to_dtype(dtype) or self.dtype), False)
        return t.requires_grad_(True) if requires_grad else t

    def __repr__(self):
        return tensor_repr(self)

    def __format__(self, spec):
        # PyTorch formats a 0-d Tensor as its number (f"{loss}" prints 0.693..., not tensor(...))
        if (self._data.ndim == 0 and type(self) is Tensor) or (self._data.size == 1 and spec):
            return format(self.item(), spec)
        return repr(self) if not spec else format(repr(self), spec)

    def __hash__(self):
        return id(self)

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of a Tensor with {self._data.size} elements is "
                               "ambiguous; use .any() or .all()")
        return builtins.bool(self._data.reshape(()))

    def __float__(self):
        return builtins.float(self.item())

    def __int__(self):
        return builtins.int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return builtins.int(self.item())

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))


class _Contig(Function):
    @staticmethod
    def forward(ctx, a):
        return backend.array_module(a).ascontiguousarray(a)

    @staticmethod
    def backward(ctx, g):
        return g

    @staticmethod
    def differentiable_backward(ctx, g):
        return g, None

    @staticmethod
    def to_onnx(g, rec):  # the identity (ONNX values are immutable and have no device)
        g.out(g.value(rec.args[0]))


class _Clone(Function):
    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, g):
        return g

    @staticmethod
    def differentiable_backward(ctx, g):
        return g, None

    @staticmethod
    def to_onnx(g, rec):  # the identity (ONNX values are immutable and have no device)
        g.out(g.value(rec.args[0]))


class _ToDevice(Function):
    @staticmethod
    def forward(ctx, a, device):
        ctx.src = backend.device_of(a)
        return backend.to_device(a, device)

    @staticmethod
    def backward(ctx, g):
        return backend.to_device(g, ctx.src), None

    @staticmethod
    def differentiable_backward(ctx, g):
        return g.to(ctx.src), None

    @staticmethod
    def to_onnx(g, rec):  # the identity (ONNX values are immutable and have no device)
        g.out(g.value(rec.args[0]))


def _legacy_args(args, dtype):
    """What ``Tensor(...)`` wraps. An array or Tensor as it is; PyTorch's legacy constructor
    otherwise: ``Tensor(2, 3)`` / ``Tensor(Size)`` a new (zeroed) tensor of that shape,
    ``Tensor([1, 2])`` the data in the default dtype, ``Tensor()`` an empty one."""
    dt = backend.to_dtype(dtype) or backend.get_default_dtype()
    if not args:
        return np.zeros(0, dt)
    if len(args) == 1 and isinstance(args[0], Size):
        return np.zeros(tuple(args[0]), dt)
    if all(isinstance(a, (builtins.int, np.integer)) and not isinstance(a, (builtins.bool, np.bool_))
           for a in args):
        return np.zeros(tuple(builtins.int(a) for a in args), dt)
    if len(args) > 1:
        raise TypeError(f"Tensor: expected one data argument or integer sizes, got {args!r}")
    if isinstance(args[0], (list, tuple)):
        return _to_array(args[0], dt)
    return args[0]


def tensor(data, dtype=None, device=None, requires_grad=False):
    """Create a leaf tensor from data (copying it). Floats default to float32, ints to int64."""
    if isinstance(data, Tensor):
        arr = data._data.copy()
        if dtype is not None:
            arr = arr.astype(backend.to_dtype(dtype))
        if device is not None:
            arr = backend.to_device(arr, device)
    else:
        arr = _to_array(data, dtype, device)
        if hasattr(data, "dtype") and arr is data:
            arr = arr.copy()
    return Tensor._make(arr, False).requires_grad_(requires_grad) if requires_grad else Tensor._make(arr, False)


numpy_names.patch_methods(Tensor)  # x.sum(axis=0, keepdims=True), as PyTorch accepts

__all__ = ["Tensor", "tensor"]
_ = (_as_tensor, _size, _to_array)  # re-exported by glassnet.tensor for the modules above it
