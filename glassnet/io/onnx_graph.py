"""The ONNX graph under construction: values, nodes, initializers, and the converter registry.

A traced run (``onnx_trace.py``) is turned into ONNX nodes one record at a time. Each value of
the run gets a name: graph inputs by the names the user chose, parameters and buffers by their
``state_dict`` names (``conv1.weight``), op outputs by the node that makes them. A value is
found by the identity of its array (or of its Tensor), so views and in-place updates resolve
to the right name; an array the trace has never seen is a constant (an initializer).

An op's conversion is found from its Function class: the class's own ``to_onnx(g, rec)``
staticmethod (next to its ``forward`` and ``backward``), or, for the primitive tensor ops of
glassnet/ops, the converter registered for the class in the ``onnx_ops*.py`` tables
(``@converter(Add)``). A conversion emits nodes with ``g.op(...)`` and binds the op's outputs
with ``g.out(name, i)``; the other helpers of ``Graph`` (``scalar``, ``reduce``, ``squeeze``,
``norm``...) build the common patterns.

With ``do_constant_folding``, an op whose inputs are all constants is not converted at all: its
recorded output becomes an initializer (the fold costs nothing, the trace has already computed
it).
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .onnx_errors import UnsupportedOperatorError

CONVERTERS: dict = {}

INT64_MAX = np.iinfo(np.int64).max


def converter(*fns):
    """Register the decorated ``convert(g, rec)`` for the given Function classes."""

    def deco(f):
        for fn in fns:
            CONVERTERS[fn] = f
        return f

    return deco


def is_array(x):
    return hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, Tensor)


def to_numpy(a):
    if isinstance(a, Tensor):
        a = a._data
    if hasattr(a, "get"):  # a cupy array
        a = a.get()
    return np.asarray(a)


def shape_of(x):
    if isinstance(x, Tensor):
        return tuple(x._data.shape)
    return tuple(np.shape(x))


def onnx_dtype(dt):
    """ONNX's TensorProto element type of the NumPy dtype ``dt``."""
    from onnx import helper

    return int(helper.np_dtype_to_tensor_dtype(np.dtype(dt)))


class Graph:
    """The nodes and initializers being built for one traced run."""

    def __init__(self, opset, params, export_params=True, fold=True):
        self.opset = opset
        self.params = params  # id(tensor or array) -> (name, Tensor)
        self.export_params = export_params
        self.fold = fold
        self.nodes = []  # NodeProto
        self.origins = []  # per node: the glassnet op and module that produced it
        self.consts = []  # [name, array, kind, info] in creation order
        self.inits = {}  # parameter name -> array
        self.param_inputs = []  # parameter names that are graph inputs (export_params=False)
        self.values = {}  # id(array or Tensor) -> name
        self.meta = {}  # name -> (shape, dtype)
        self.live = set()  # names that depend on a graph input
        self._keep = []
        self._used = set()
        self.inputs = []  # graph input names
        self.prelude = []  # nodes that only read graph inputs (shapes of dynamic constants)
        self.scope = ""
        self.origin = ""
        self.rec = None

    # ------------------------------------------------------------------ names
    def fresh(self, base):
        base = base.strip("/") or "value"
        name = base
        k = 1
        while name in self._used:
            name = f"{base}_{k}"
            k += 1
        self._used.add(name)
        return name

    def register(self, obj, name, live=False):
        """``obj`` (a Tensor or an array) now holds the value called ``name``."""
        self._keep.append(obj)
        self.values[id(obj)] = name
        if isinstance(obj, Tensor):
            self._keep.append(obj._data)
            self.values[id(obj._data)] = name
        arr = obj._data if isinstance(obj, Tensor) else obj
        self.meta[name] = (tuple(arr.shape), np.dtype(arr.dtype))
        if live:
            self.live.add(name)

    def add_input(self, tensor, name):
        self._used.add(name)
        self.inputs.append(name)
        self.register(tensor, name, live=True)

    # ------------------------------------------------------------------ values
    def lookup(self, obj):
        if isinstance(obj, Tensor):
            return self.values.get(id(obj._data)) or self.values.get(id(obj))
        return self.values.get(id(obj))

    def value(self, obj, dtype=None):
        """The name of the value ``obj`` (a Tensor, an array, a Python number or None)."""
        if obj is None:
            return ""
        if isinstance(obj, Tensor) or is_array(obj):
            name = self.lookup(obj)
            return name if name is not None else self._leaf(obj)
        if isinstance(obj, (bool, int, float, np.number, np.bool_)):
            if dtype is None:
                dtype = np.float32 if isinstance(obj, float) else np.int64
            return self.const(np.asarray(obj, dtype=dtype))
        raise UnsupportedOperatorError(f"{self.origin}: cannot use an argument of type "
                                       f"{type(obj).__name__} as a graph value")

    def _param(self, obj):
        arr = obj._data if isinstance(obj, Tensor) else obj
        for key in (id(obj), id(arr)):
            if key in self.params:
                return self.params[key]
        base = getattr(arr, "base", None)
        if base is not None and id(base) in self.params:
            name, t = self.params[id(base)]
            if tuple(t._data.shape) == tuple(arr.shape) and t._data.dtype == arr.dtype:
                return name, t
        return None

    def _leaf(self, obj):
        """A value the trace did not produce: a parameter, a buffer or a constant."""
        p = self._param(obj)
        arr = obj._data if isinstance(obj, Tensor) else obj
        if p is not None:
            name, t = p
            if name not in self.inits and name not in self.param_inputs:
                self._used.add(name)
                if self.export_params:
                    self.inits[name] = to_numpy(t)
                else:
                    self.param_inputs.append(name)
            self.register(obj, name, live=not self.export_params)
            return name
        name = self.const(to_numpy(arr).copy())
        self.register(obj, name)
        return name

    def const(self, array, kind=None, info=None, base="onnx::Constant"):
        """A constant initializer; ``kind`` marks shape-like constants for dynamic axes."""
        array = np.asarray(array)
        name = self.fresh(base)
        self.consts.append([name, array, kind, info])
        self.meta[name] = (tuple(array.shape), array.dtype)
        return name

    def ints(self, values, kind=None, info=None):
        return self.const(np.asarray(list(values), dtype=np.int64), kind, info)

    def dtype(self, obj):
        if isinstance(obj, Tensor):
            return np.dtype(obj._data.dtype)
        if is_array(obj):
            return np.dtype(obj.dtype)
        return None

    # ------------------------------------------------------------------ nodes
    def op(self, op_type, inputs, n_out=1, **attrs):
        """Add a node; returns its output name (or the list of names when ``n_out > 1``)."""
        from onnx import helper

        prefix = "/" + self.scope.replace(".", "/") if self.scope else ""
        node_name = self.fresh(f"{prefix}/{op_type}")
        outs = [self.fresh(f"{node_name}_output_{i}") for i in range(n_out)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(helper.make_node(op_type, list(inputs), outs, name=node_name, **attrs))
        self.origins.append(self.origin)
        self.live.update(outs)
        return outs if n_out > 1 else outs[0]

    def bind(self, out, name):
        """Recorded output ``out`` of the current op is the value ``name``."""
        if isinstance(out, Tensor) or is_array(out):
            live = name in self.live
            self.register(out, name, live=live)

    def unsupported(self, what):
        raise UnsupportedOperatorError(f"{self.origin}: {what}")

    # ------------------------------------------------------------------ for converters
    def out(self, name, i=0):
        """Output ``i`` of the op being converted is the value ``name``."""
        self.bind(self.rec.outputs[i], name)

    def operand_dtype(self):
        """The dtype a Python scalar operand of the op being converted takes: that of its first
        array operand."""
        for a in self.rec.args:
            dt = getattr(a, "dtype", None)
            if dt is not None and not isinstance(a, np.generic):
                return np.dtype(dt)
        return np.dtype(np.float32)

    def operands(self, *idx):
        """The names of the op's arguments ``idx`` (Python numbers as constants of its dtype)."""
        dt = self.operand_dtype()
        return [self.value(self.rec.args[i], dtype=dt) for i in idx]

    def scalar(self, value, dtype):
        """A 0-d constant."""
        return self.const(np.asarray(value, dtype=dtype))

    def reduce(self, op_type, x, axes, keepdim):
        """ReduceX over ``axes`` (None: all), with axes as an input where the opset wants one."""
        kd = int(bool(keepdim))
        if axes is not None:
            axes = [int(a) for a in axes]
        if op_type == "ReduceSum" or self.opset >= 18:
            ins = [x] if axes is None else [x, self.ints(axes)]
            return self.op(op_type, ins, keepdims=kd)
        return self.op(op_type, [x], keepdims=kd, axes=axes)

    @staticmethod
    def shape(x):
        """The shape of a recorded argument (a Tensor or an array)."""
        return shape_of(x)

    def unsqueeze(self, x, axes):
        return self.op("Unsqueeze", [x, self.ints(axes)])

    def squeeze(self, x, axes):
        return self.op("Squeeze", [x, self.ints(axes)])

    def norm(self, x, p, axes, keepdim):
        """||x||_p over ``axes`` (p = 0: the number of non-zeros; p = +-inf: max / min |x|)."""
        name = self.value(x)
        dt = self.operand_dtype()
        if p == 2:
            return self.reduce("ReduceL2", name, axes, keepdim)
        if p == 1:
            return self.reduce("ReduceL1", name, axes, keepdim)
        if p == float("inf"):
            return self.reduce("ReduceMax", self.op("Abs", [name]), axes, keepdim)
        if p == float("-inf"):
            return self.reduce("ReduceMin", self.op("Abs", [name]), axes, keepdim)
        if p == 0:
            nz = self.op("Not", [self.op("Equal", [name, self.scalar(0, dt)])])
            return self.reduce("ReduceSum", self.op("Cast", [nz], to=onnx_dtype(dt)), axes,
                               keepdim)
        s = self.reduce("ReduceSum", self.op("Pow", [self.op("Abs", [name]),
                                                     self.scalar(p, dt)]), axes, keepdim)
        return self.op("Pow", [s, self.scalar(1.0 / p, dt)])

    # ------------------------------------------------------------------ records
    def convert(self, rec):
        self.rec = rec
        self.scope = rec.module
        where = f" in module '{rec.module}'" if rec.module else ""
        self.origin = f"onnx.export: {rec.fn.__name__}{where}"
        ins = [a for a in list(rec.args) + list(rec.kwargs.values())
               if isinstance(a, Tensor) or is_array(a)]
        for a in rec.args:
            if isinstance(a, (tuple, list)):
                ins += [b for b in a if isinstance(b, Tensor)]
        names = [self.value(a) for a in ins]
        if self.fold and not any(n in self.live for n in names):
            for o in rec.outputs:
                if isinstance(o, Tensor) or is_array(o):
                    self.bind(o, self.const(to_numpy(o).copy(), base="onnx::Folded"))
            return
        fn = getattr(rec.fn, "to_onnx", None) or CONVERTERS.get(rec.fn)
        if fn is None:
            mod = rec.fn.__module__
            self.unsupported(
                f"the operator {mod}.{rec.fn.__qualname__} has no ONNX conversion (opset "
                f"{self.opset}). Rewrite this part of the model with supported operations, "
                "or compute it outside the exported model")
        fn(self, rec)
