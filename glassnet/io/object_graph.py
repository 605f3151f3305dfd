"""Any Python object as a JSON graph plus arrays: what ``glassnet.save`` writes, never pickled.

``encode(obj)`` walks an object (a whole model, an optimiser, a checkpoint dict...) and returns
``(graph, arrays)``: ``arrays`` maps storage names to the NumPy arrays of every tensor, destined
for a safetensors file, and ``graph`` describes everything else as JSON. ``Decoder`` rebuilds
the object from the two.

A node of the graph is a JSON value. ``None``, bools, strings, ints and finite floats stand for
themselves; everything else is an object with a ``"$"`` entry naming its kind:

=============  ==============================================================================
``tensor``     ``data`` (storage name), ``device``, ``requires_grad``; ``class`` for a
               subclass such as ``nn.Parameter``; ``state``: its Python attributes, if any
``sparse``     a sparse tensor: ``layout`` (``sparse_coo`` or ``sparse_csr``), ``size``,
               ``coalesced``, ``requires_grad``, ``device``, and its arrays as ``{"data":
               storage name}``: ``indices`` and ``values`` (COO), ``crow_indices``,
               ``col_indices`` and ``values`` (CSR); ``class`` for a sparse ``nn.Parameter``
``ndarray``    a NumPy array: ``data``, ``device``
``dict``       ``items``: ``[[key, value], ...]`` (keys are nodes too: ints stay ints, and a
               dict keyed by tensors, as an optimiser's ``state``, keeps its keys);
               ``odict`` (OrderedDict), ``counter``, ``defaultdict`` (with ``factory``) alike
``list``       ``items``; ``tuple``, ``set``, ``frozenset``, ``size`` (``glassnet.Size``)
``object``     an instance of a class: ``class`` (``[module, qualname]``) and ``state``, what
               ``__getstate__`` gives (the instance's ``__dict__`` for most classes; an
               optimiser leaves out its scratch buffers)
``global``     a class or function used as a value (``self.act = F.relu``): ``name``
``namedtuple`` ``class`` and ``items``; ``enum``: ``class`` and ``value``
others         ``float`` (NaN, infinities), ``complex``, ``bytes``, ``bytearray``, ``scalar``
               (a NumPy scalar with its ``dtype``), ``dtype``, ``device``, ``slice``,
               ``range``, ``ellipsis``, ``ref``
=============  ==============================================================================

**Shared references stay shared.** Every tensor, array, container and instance gets an ``id``
when first met; meeting it again writes ``{"$": "ref", "id": n}``. Tied weights (one
``Parameter`` in two layers) load as one Parameter, a model and the optimiser saved with it
still share their parameters, and cycles (a module that refers to itself) come back as
cycles. Distinct tensors over one array (a parameter and its ``state_dict`` entry, which
``detach()`` made) share one stored array, and load sharing memory again.

**What is refused when saving**, with the path to the value: lambdas, functions and classes
defined inside functions (they cannot be found by name when loading), bound methods, and
instances of classes that define their own pickling (``__reduce__``) or derive from a built-in
type other than ``object`` (a ``dict`` subclass of your own, a NumPy generator...): rebuilding them would
need the class's own code, which only pickle runs.

**Rebuilding.** ``Decoder`` asks its ``resolve(module, qualname)`` for each class or function
by name (``glassnet.io.safe_globals`` decides what may be rebuilt), then builds an instance as
pickle does without running pickle: ``cls.__new__(cls)``, then ``__setstate__(state)`` when the
class defines it, else the saved attributes go into ``__dict__`` (and ``__slots__``).
``__init__`` is not called. Tensors are rebuilt from their arrays, put on a device by
``place(array, saved_device)`` (NumPy arrays stay NumPy arrays).
"""

from __future__ import annotations

import enum
import math
import sys
import types
from collections import Counter, OrderedDict, defaultdict

import numpy as np

from glassnet import backend
from glassnet.io.state import _is_tensor, to_numpy
from glassnet.tensor import Tensor, sparse_coo_tensor, sparse_csr_tensor
from glassnet.tensor.size import Size

__all__ = ["Decoder", "encode", "globals_in"]

# Keys of a module's attributes that hold its parameters, buffers and children: storage names
# skip them, so that ``model.fc1.weight`` is stored as ``obj/fc1/weight``.
_TRANSPARENT = frozenset({"_parameters", "_buffers", "_modules"})
_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class written in Python (not built into C)
_SCALAR_KINDS = "biufc"
_DICTS = {dict: "dict", OrderedDict: "odict", defaultdict: "defaultdict", Counter: "counter"}


def _numeric(dtype) -> bool:
    """A number or bool dtype (bfloat16, NumPy kind 'V', included)."""
    return dtype.kind in _SCALAR_KINDS or backend.is_floating(dtype)


def _name_of(cls) -> tuple[str, str]:
    return cls.__module__, cls.__qualname__


def _dotted(name) -> str:
    return f"{name[0]}.{name[1]}"


def _lookup(module: str, qualname: str):
    """The object ``module.qualname`` in that module (already imported), or None. (Code run
    outside any module, by ``exec``, names a module that is not imported: its classes are saved
    unchecked, and loading finds them only where they are allowed by object.)"""
    obj = sys.modules.get(module)
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


# ----------------------------------------------------------------------------- saving
class _Encoder:
    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}
        self._ids: dict[int, int] = {}        # id(object) -> node id
        self._stored: dict[int, str] = {}     # id(array) -> storage name
        self._keep: list = []                 # what is memoised stays alive: ids stay unique

    def _new_id(self, x) -> int:
        n = len(self._ids)
        self._ids[id(x)] = n
        self._keep.append(x)
        return n

    def _store(self, array, path) -> tuple[str, dict]:
        """The storage name of ``array`` (stored once however many tensors use it) and the extra
        fields its node needs (``complex128``, which safetensors lacks, is stored as float64
        pairs)."""
        a = to_numpy(array)
        extra = {"complex128": True} if a.dtype == np.complex128 else {}
        key = id(array)
        if key in self._stored:
            return self._stored[key], extra
        if a.dtype.hasobject or a.dtype.fields is not None or not _numeric(a.dtype):
            raise TypeError(f"cannot save the array of dtype {a.dtype} at {path!r}: arrays of "
                            "numbers and bools only")
        if a.dtype.byteorder == ">":
            a = a.astype(a.dtype.newbyteorder("<"))
        if extra:
            a = np.ascontiguousarray(a).view(np.float64).reshape(*a.shape, 2)
        name, i = path, 1
        while name in self.arrays:
            i += 1
            name = f"{path}~{i}"
        self.arrays[name] = a
        self._stored[key] = name
        self._keep.append(array)
        return name, extra

    def node(self, x, path: str):
        t = type(x)
        if x is None or t is bool or t is str or t is int:
            return x
        if t is float:
            return x if math.isfinite(x) else {"$": "float", "v": repr(x)}
        if id(x) in self._ids:
            return {"$": "ref", "id": self._ids[id(x)]}
        if _is_tensor(x):
            return self._tensor(x, path)
        if isinstance(x, np.ndarray):
            name, extra = self._store(x, path)
            return {"$": "ndarray", "id": self._new_id(x), "data": name, "device": "cpu", **extra}
        if backend._cupy is not None and isinstance(x, backend._cupy.ndarray):
            name, extra = self._store(x, path)
            return {"$": "ndarray", "id": self._new_id(x), "data": name,
                    "device": str(backend.device_of(x)), **extra}
        if isinstance(x, np.generic):
            return self._scalar(x, path)
        if isinstance(x, enum.Enum):
            return {"$": "enum", "class": self._global_name(t, path),
                    "value": self.node(x.value, f"{path}/value")}
        if t in _DICTS:
            return self._dict(x, path)
        if t is list or t is set:
            n = self._new_id(x)
            return {"$": t.__name__, "id": n, "items": self._items(x, path)}
        if t is tuple or t is frozenset:
            items = self._items(x, path)  # memoised once built (as pickle does for tuples)
            return {"$": t.__name__, "id": self._new_id(x), "items": items}
        if t is Size:
            return {"$": "size", "items": [int(v) for v in x]}
        if t is complex:
            return {"$": "complex", "re": self.node(x.real, path), "im": self.node(x.imag, path)}
        if t is bytes or t is bytearray:
            name, _ = self._store(np.frombuffer(bytes(x), np.uint8), path)
            out = {"$": t.__name__, "data": name}
            return {**out, "id": self._new_id(x)} if t is bytearray else out
        if isinstance(x, np.dtype):
            return self._dtype(x, path)
        if t is backend.Device:
            return {"$": "device", "name": str(x)}
        if t is slice:
            return {"$": "slice", "items": self._items((x.start, x.stop, x.step), path)}
        if t is range:
            return {"$": "range", "items": [x.start, x.stop, x.step]}
        if x is Ellipsis:
            return {"$": "ellipsis"}
        if isinstance(x, type) or t in (types.FunctionType, types.BuiltinFunctionType):
            return {"$": "global", "name": self._global_name(x, path)}
        if isinstance(x, tuple) and hasattr(t, "_fields"):  # a namedtuple
            items = self._items(tuple(x), path)
            return {"$": "namedtuple", "class": self._global_name(t, path), "items": items,
                    "id": self._new_id(x)}
        return self._object(x, path)

    def _items(self, xs, path):
        return [self.node(v, f"{path}/{i}") for i, v in enumerate(xs)]

    def _tensor(self, x, path):
        if getattr(x, "_sparse_layout", False):
            return self._sparse(x, path)
        if not isinstance(x, Tensor):  # a PyTorch tensor: saved as a glassnet one
            name, extra = self._store(x, path)
            return {"$": "tensor", "id": self._new_id(x), "data": name, "device": "cpu",
                    "requires_grad": bool(x.requires_grad), **extra}
        name, extra = self._store(x._data, path)
        out = {"$": "tensor", "id": self._new_id(x), "data": name,
               "device": str(backend.device_of(x._data)), "requires_grad": bool(x.requires_grad),
               **extra}
        if type(x) is not Tensor:
            out["class"] = self._global_name(type(x), path)
        if x.__dict__:
            out["state"] = self._dict(x.__dict__, path)
        return out

    def _sparse(self, x, path):
        """A sparse tensor: its index and value arrays stored like a tensor's, the rest JSON."""
        out = {"$": "sparse", "id": self._new_id(x), "layout": x.layout.name,
               "size": [int(s) for s in x.shape], "coalesced": bool(x._co),
               "requires_grad": bool(x.requires_grad), "device": str(x.device)}
        arrays = {"values": x._v._data}
        if x.layout.name == "sparse_csr":
            arrays.update(crow_indices=x._crow, col_indices=x._ind[1])
        else:
            arrays.update(indices=x._ind)
        for name, a in arrays.items():
            stored, extra = self._store(a, f"{path}/{name}")
            out[name] = {"data": stored, **extra}
        if type(x) not in Tensor._sparse_types.values():  # a sparse nn.Parameter
            out["class"] = self._global_name(type(x).__bases__[1], path)
        return out

    def _scalar(self, x, path):
        if x.dtype.kind not in _SCALAR_KINDS:
            raise TypeError(f"cannot save the NumPy {x.dtype} scalar at {path!r}: numbers and "
                            "bools only")
        v = x.item()
        value = [self.node(v.real, path), self.node(v.imag, path)] if x.dtype.kind == "c" \
            else self.node(v, path)
        return {"$": "scalar", "dtype": x.dtype.name, "v": value}

    def _dtype(self, x, path):
        if not _numeric(x) or x.fields is not None:
            raise TypeError(f"cannot save the dtype {x} at {path!r}: number and bool dtypes only")
        return {"$": "dtype", "name": x.name}

    def _dict(self, x, path, transparent=False):
        out = {"$": _DICTS.get(type(x), "dict"), "id": self._new_id(x)}
        if type(x) is defaultdict:
            out["factory"] = self.node(x.default_factory, f"{path}/default_factory")
        items = []
        for i, (k, v) in enumerate(x.items()):
            label = k if isinstance(k, (str, int)) else i
            sub = path if transparent and k in _TRANSPARENT else f"{path}/{label}"
            items.append([self.node(k, f"{path}/<key {i}>"), self.node(v, sub)])
        out["items"] = items
        return out

    def _global_name(self, obj, path) -> list[str]:
        """``[module, qualname]`` of a class or function that loading can find by that name."""
        what = "class" if isinstance(obj, type) else "function"
        module = getattr(obj, "__module__", None)
        qualname = getattr(obj, "__qualname__", None)
        if not isinstance(module, str) or not isinstance(qualname, str):
            raise TypeError(f"cannot save the {what} {obj!r} at {path!r}: it has no module and "
                            "name to be found by when loading")
        if "<lambda>" in qualname or "<locals>" in qualname:
            raise TypeError(
                f"cannot save the {what} {qualname} at {path!r}: "
                + ("a lambda " if "<lambda>" in qualname else "one defined inside a function ")
                + "cannot be found by name when loading; define it at the top level of a module")
        if module in sys.modules and _lookup(module, qualname) is not obj:
            raise TypeError(f"cannot save the {what} {qualname} at {path!r}: it is not the "
                            f"object named {module}.{qualname}, so loading could not find it")
        return [module, qualname]

    def _object(self, x, path):
        cls = type(x)
        name = cls.__qualname__
        if isinstance(x, (types.MethodType, types.BuiltinMethodType)):
            raise TypeError(f"cannot save the bound method {getattr(x, '__qualname__', name)} at "
                            f"{path!r}: save the object and look the method up after loading")
        builtin = [b for b in cls.__mro__[1:] if b is not object and not b.__flags__ & _HEAPTYPE]
        if not cls.__flags__ & _HEAPTYPE or builtin:
            base = cls if not cls.__flags__ & _HEAPTYPE else builtin[0]
            raise TypeError(
                f"cannot save the {name} at {path!r}: objects of the built-in type "
                f"{base.__module__}.{base.__qualname__} (or derived from it) are not saved "
                "(no pickle): checkpoints hold tensors, arrays, numbers, strings, containers, "
                "modules, optimisers and instances of Python classes")
        if cls.__reduce_ex__ is not object.__reduce_ex__ or cls.__reduce__ is not object.__reduce__:
            raise TypeError(f"cannot save the {name} at {path!r}: its class defines its own "
                            "pickling (__reduce__), which glassnet.save does not run (no pickle)")
        out = {"$": "object", "id": self._new_id(x), "class": self._global_name(cls, path)}
        state = x.__getstate__()
        if type(state) is dict:
            out["state"] = self._dict(state, path, transparent=True)
        elif state is not None:
            out["state"] = self.node(state, f"{path}/state")
        return out


def encode(obj, prefix: str = "obj") -> tuple[object, dict]:
    """``(graph, {storage name: ndarray})`` for ``obj``; storage names start with ``prefix``
    and follow the path to the first use of each array (``obj/fc1/weight``). Raises
    ``TypeError`` naming the path of anything that cannot be saved."""
    enc = _Encoder()
    graph = enc.node(obj, prefix)
    return graph, enc.arrays


def globals_in(graph) -> list[tuple[str, str]]:
    """Every ``(module, qualname)`` a graph names (classes and functions), in order, once."""
    seen, out, stack = set(), [], [graph]
    while stack:
        x = stack.pop()
        if isinstance(x, list):
            stack.extend(reversed(x))
        elif isinstance(x, dict):
            name = x.get("name" if x.get("$") == "global" else "class")
            if isinstance(name, list) and len(name) == 2 and all(isinstance(v, str) for v in name) \
                    and tuple(name) not in seen:
                seen.add(tuple(name))
                out.append(tuple(name))
            stack.extend(reversed(list(x.values())))
    return out


# ----------------------------------------------------------------------------- loading
class Decoder:
    """Rebuild an object from ``encode``'s graph and its arrays.

    ``resolve(module, qualname)`` returns the class or function of that name (or raises);
    ``place(array, device)`` puts a tensor's array where it should live. A malformed graph
    raises ``KeyError``, ``TypeError`` or ``ValueError``.
    """

    def __init__(self, arrays: dict, resolve, place):
        self.arrays, self.resolve, self.place = arrays, resolve, place
        self._objects: dict[int, object] = {}
        self._placed: dict[tuple, object] = {}
        self._kinds = {
            "ref": self._ref, "tensor": self._tensor, "sparse": self._sparse,
            "ndarray": self._ndarray,
            "dict": self._dict, "odict": self._dict, "defaultdict": self._dict, "counter": self._dict,
            "list": self._list, "set": self._set, "tuple": self._tuple,
            "frozenset": self._frozenset, "namedtuple": self._namedtuple, "size": self._size,
            "enum": self._enum, "global": self._global, "object": self._object,
            "float": self._float, "complex": self._complex, "scalar": self._scalar,
            "dtype": self._dtype, "device": self._device, "bytes": self._bytes,
            "bytearray": self._bytes, "slice": self._slice, "range": self._range,
            "ellipsis": self._ellipsis}

    def load(self, node):
        if node is None or isinstance(node, (bool, str, int, float)):
            return node
        if not isinstance(node, dict):
            raise TypeError(f"a graph node is a JSON {type(node).__name__}")
        kind = node["$"]
        build = self._kinds.get(kind) if isinstance(kind, str) else None
        if build is None:
            raise ValueError(f"unknown node kind {kind!r}")
        return build(node)

    def _keep(self, node, obj):
        n = node["id"]
        if type(n) is not int or n in self._objects:
            raise ValueError(f"node id {n!r} is not a new integer")
        self._objects[n] = obj
        return obj

    def _class(self, node):
        module, qualname = node["class"] if isinstance(node["class"], list) else (None, None)
        if not (isinstance(module, str) and isinstance(qualname, str)):
            raise TypeError("a class name is not [module, qualname]")
        return self.resolve(module, qualname)

    def _array(self, node, location, place=True):
        name = node["data"]
        key = (name, location, bool(node.get("complex128")), place)
        if key not in self._placed:
            a = self.arrays[name]
            if key[2]:
                if a.dtype != np.float64 or a.ndim == 0 or a.shape[-1] != 2:
                    raise ValueError(f"array {name!r} is not complex128 stored as float64 pairs")
                a = np.ascontiguousarray(a).view(np.complex128)[..., 0]
            self._placed[key] = self.place(a, location) if place else a
        return self._placed[key]

    def _ref(self, node):
        return self._objects[node["id"]]

    def _tensor(self, node):
        location = str(backend.Device(node["device"]))
        t = Tensor._make(self._array(node, location), False)
        requires_grad = node["requires_grad"]
        if type(requires_grad) is not bool or (requires_grad and not (
                backend.is_floating(t._data.dtype) or t._data.dtype.kind == "c")):
            raise ValueError("requires_grad must be a bool, and True only for float tensors")
        t.requires_grad = requires_grad
        if "class" in node:
            cls = self._class(node)
            if not (isinstance(cls, type) and issubclass(cls, Tensor)):
                raise TypeError(f"{cls!r} is not a Tensor class")
            t.__class__ = cls
        self._keep(node, t)
        if "state" in node:
            state = self.load(node["state"])
            if type(state) is not dict:
                raise TypeError("a tensor's state is not a dict")
            t.__dict__.update(state)
        return t

    def _sparse(self, node):
        """A sparse tensor, rebuilt through its public constructor (which checks every index
        against the size)."""
        location = str(backend.Device(node["device"]))
        size, layout = tuple(node["size"]), node["layout"]
        if not all(type(s) is int for s in size) or type(node["coalesced"]) is not bool:
            raise TypeError("a sparse tensor's size is not a list of ints")
        values = self._array(node["values"], location)
        try:  # the constructors check the arrays against each other and the size
            if layout == "sparse_csr":
                t = sparse_csr_tensor(self._array(node["crow_indices"], location),
                                      self._array(node["col_indices"], location), values, size)
            elif layout == "sparse_coo":
                t = sparse_coo_tensor(self._array(node["indices"], location), values, size,
                                      is_coalesced=node["coalesced"])
            else:
                raise ValueError(f"unknown sparse layout {layout!r}")
        except (RuntimeError, NotImplementedError) as exc:
            raise ValueError(f"a sparse tensor's arrays do not fit together: {exc}") from None
        requires_grad = node["requires_grad"]
        if type(requires_grad) is not bool or (requires_grad and not t.is_floating_point()):
            raise ValueError("requires_grad must be a bool, and True only for float tensors")
        t.requires_grad_(requires_grad)
        if "class" in node:
            cls = self._class(node)
            if not (isinstance(cls, type) and issubclass(cls, Tensor)):
                raise TypeError(f"{cls!r} is not a Tensor class")
            t = cls(t, requires_grad)
        return self._keep(node, t)

    def _ndarray(self, node):
        location = str(backend.Device(node["device"]))  # map_location is for tensors, and CuPy
        return self._keep(node, self._array(node, location, place=location != "cpu"))

    def _dict(self, node):
        kind = node["$"]
        if kind == "defaultdict":
            out = defaultdict()
            self._keep(node, out)
            out.default_factory = self.load(node["factory"])
        else:
            out = self._keep(node, {"dict": dict, "odict": OrderedDict, "counter": Counter}[kind]())
        for k, v in node["items"]:
            key = self.load(k)
            out[key] = self.load(v)
        return out

    def _list(self, node):
        out = self._keep(node, [])
        out.extend(self.load(v) for v in node["items"])
        return out

    def _set(self, node):
        out = self._keep(node, set())
        out.update(self.load(v) for v in node["items"])
        return out

    def _tuple(self, node):
        return self._keep(node, tuple(self.load(v) for v in node["items"]))

    def _frozenset(self, node):
        return self._keep(node, frozenset(self.load(v) for v in node["items"]))

    def _namedtuple(self, node):
        cls = self._class(node)
        if not (isinstance(cls, type) and issubclass(cls, tuple)):
            raise TypeError(f"{cls!r} is not a tuple class")
        return self._keep(node, cls.__new__(cls, *[self.load(v) for v in node["items"]]))

    def _size(self, node):
        if not all(type(v) is int for v in node["items"]):
            raise TypeError("a Size holds ints")
        return Size(node["items"])

    def _enum(self, node):
        cls = self._class(node)
        if not (isinstance(cls, type) and issubclass(cls, enum.Enum)):
            raise TypeError(f"{cls!r} is not an Enum")
        return cls(self.load(node["value"]))

    def _global(self, node):
        return self._class({"class": node["name"]})

    def _object(self, node):
        cls = self._class(node)
        if not isinstance(cls, type):
            raise TypeError(f"{cls!r} is not a class")
        obj = self._keep(node, cls.__new__(cls))
        state = self.load(node["state"]) if "state" in node else None
        setstate = getattr(cls, "__setstate__", None)
        if setstate is not None:
            obj.__setstate__(state)
            return obj
        slots = None
        if type(state) is tuple and len(state) == 2:
            state, slots = state
        if state is not None:
            obj.__dict__.update(state)
        for k, v in (slots or {}).items():
            setattr(obj, k, v)
        return obj

    def _float(self, node):
        if node["v"] not in ("nan", "inf", "-inf"):
            raise ValueError(f"float {node['v']!r} is not a non-finite float")
        return float(node["v"])

    def _complex(self, node):
        return complex(self._number(node["re"]), self._number(node["im"]))

    def _number(self, node):
        v = self.load(node)
        if type(v) not in (int, float):
            raise TypeError("a number was expected")
        return v

    def _scalar(self, node):
        dtype = np.dtype(node["dtype"])
        if dtype.kind not in _SCALAR_KINDS:
            raise TypeError(f"a scalar of dtype {dtype}")
        v = node["v"]
        if dtype.kind == "c":
            return dtype.type(complex(self._number(v[0]), self._number(v[1])))
        v = self.load(v)
        if type(v) not in (int, float, bool):
            raise TypeError("a scalar holds a number")
        return dtype.type(v)

    def _dtype(self, node):
        dtype = backend.to_dtype(node["name"])
        if not _numeric(dtype):
            raise TypeError(f"dtype {dtype} is not a number dtype")
        return dtype

    def _device(self, node):
        return backend.Device(node["name"])

    def _bytes(self, node):
        a = self.arrays[node["data"]]
        if a.dtype != np.uint8 or a.ndim != 1:
            raise TypeError("bytes are stored as a 1-d uint8 array")
        out = a.tobytes()
        return out if node["$"] == "bytes" else self._keep(node, bytearray(out))

    def _slice(self, node):
        return slice(*[self.load(v) for v in node["items"]])

    def _range(self, node):
        return range(*[self._number(v) for v in node["items"]])

    def _ellipsis(self, node):
        return Ellipsis
