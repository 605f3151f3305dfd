"""Tensor metadata and odds and ends of PyTorch's Tensor API: memory layout (stride,
storage_offset, data_ptr, nbytes), type queries and names (``x.type()``), autograd bookkeeping
(output_nr, retains_grad), ``new_empty``, the Python-function maps ``apply_``/``map_``, and
memory shared with forked processes (``share_memory_``, ``is_shared``)."""

from __future__ import annotations

import numpy as np

from .. import backend
from ..autograd.variable import Variable
from .convert import _new_size

_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
               "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor",
               "bfloat16": "BFloat16Tensor"}


class memory_format:  # PyTorch's name
    """``torch.memory_format``: the order a tensor's elements have in memory. glassnet arrays
    are always row-major (``contiguous_format``); every op accepts the other formats
    (``channels_last``...) and gives the same values, laid out row-major."""

    __slots__ = ("_name",)

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return f"glassnet.{self._name}"


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")


class MetaMixin:
    """Metadata and layout methods of Tensor."""

    __slots__ = ()

    @property
    def itemsize(self):
        return self._data.dtype.itemsize

    @property
    def nbytes(self):
        return int(self._data.nbytes)

    def stride(self, dim=None):
        """Steps, in elements, between neighbours along each dim (NumPy strides / itemsize)."""
        st = tuple(s // self._data.dtype.itemsize for s in self._data.strides)
        return st if dim is None else st[dim]

    def storage_offset(self):
        """Elements between the start of the underlying buffer and this view's first element."""
        a = self._data
        base = a
        while getattr(base, "base", None) is not None:
            base = base.base
        if not hasattr(base, "__array_interface__") or a.size == 0:
            return 0
        off = a.__array_interface__["data"][0] - base.__array_interface__["data"][0]
        return int(off // a.dtype.itemsize)

    def data_ptr(self):
        a = self._data
        return a.__array_interface__["data"][0] if hasattr(a, "__array_interface__") else a.data.ptr

    @property
    def is_cpu(self):
        return self.device.type == "cpu"

    @property
    def is_xpu(self):
        """Whether on an Intel GPU: always False (glassnet runs on the CPU or CUDA)."""
        return False

    @property
    def is_mps(self):
        """Whether on an Apple GPU: always False (glassnet runs on the CPU or CUDA)."""
        return False

    def get_device(self):
        return -1 if self.device.type == "cpu" else self.device.index

    def is_signed(self):
        return self._data.dtype.kind in "if" or backend.is_floating(self._data.dtype)

    def share_memory_(self):
        """Move the values into memory shared with processes forked afterwards (see
        ``glassnet.multiprocessing``); in place, returns ``self``. Views taken before keep the
        old memory."""
        self._data = backend.share_memory(self._data)
        return self

    def pin_memory(self, device=None):
        """``self``: pinned (page-locked) host memory speeds up copies to a CUDA GPU in
        PyTorch; glassnet's copies go through CuPy from ordinary memory, so there is nothing
        to pin."""
        return self

    def is_pinned(self, device=None):
        return False

    def is_shared(self):
        """Whether the values are in memory made by ``share_memory_``."""
        return backend.is_shared_memory(self._data)


    def is_same_size(self, other):
        return self.shape == other.shape

    @property
    def output_nr(self):
        return self._output_nr

    @property
    def retains_grad(self):
        node = self.grad_fn
        return bool(node is not None and node._retain and self._output_nr in node._retain)

    def type(self, dtype=None, non_blocking=False):
        """``x.type()`` names the tensor type ('glassnet.FloatTensor'); ``x.type(dtype)`` casts
        (a dtype or a type name such as 'torch.DoubleTensor')."""
        if dtype is None:
            return "glassnet." + _TYPE_NAMES.get(self.dtype.name, "Tensor")
        if isinstance(getattr(dtype, "_dtype", None), np.dtype):  # glassnet.FloatTensor, ...
            dtype = dtype._dtype
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            name = dtype.rsplit(".", 1)[-1]
            inv = {v: k for k, v in _TYPE_NAMES.items()}
            if name not in inv:
                raise TypeError(f"type: unknown tensor type {dtype!r}")
            dtype = inv[name]
        return self.to(backend.to_dtype(dtype))

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        xp = backend.array_module(self._data)
        dt = backend.to_dtype(dtype) or self.dtype
        t = Variable._make(xp.empty(_new_size("new_empty", size), dtype=dt), False)
        return t.requires_grad_(True) if requires_grad else t

    def apply_(self, callable):
        """Replace every element x by ``callable(x)`` (a Python function; CPU only, slow)."""
        self._data_inplace("apply_")
        flat = backend.to_numpy(self._data).reshape(-1)
        vals = [callable(v) for v in flat.tolist()]
        self._data[...] = backend.to_device(
            np.asarray(vals, dtype=self.dtype).reshape(self.shape), self.device)
        return self

    def map_(self, tensor, callable):
        """Replace every element x of self by ``callable(x, y)``, y the matching element of
        ``tensor`` (broadcast to self's shape)."""
        self._data_inplace("map_")
        other = np.broadcast_to(backend.to_numpy(tensor._data), self.shape).reshape(-1)
        flat = backend.to_numpy(self._data).reshape(-1)
        vals = [callable(a, b) for a, b in zip(flat.tolist(), other.tolist())]
        self._data[...] = backend.to_device(
            np.asarray(vals, dtype=self.dtype).reshape(self.shape), self.device)
        return self

    # ------------------------------------------------------------------ printing
