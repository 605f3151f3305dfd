"""Containers: modules that hold other modules (or parameters) in order or by name.

``Sequential`` is function composition, f_L(... f_2(f_1(x))) — the layered network of the
lectures; ``ModuleList`` / ``ModuleDict`` / ``ParameterList`` / ``ParameterDict`` only register
their contents so that ``parameters()``, ``to()`` and ``state_dict()`` see them.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from itertools import islice

from ...tensor import Tensor
from ..parameter import Parameter
from .module import Module, _addindent

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]


def _index(idx, n, what):
    i = operator.index(idx)
    if not -n <= i < n:
        raise IndexError(f"{what}: index {i} is out of range for a container of length {n}")
    return i % n


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: children keyed '0', '1', ... kept contiguous."""

    _what = "ModuleList"

    def _renumber(self, items):
        self._modules.clear()
        for i, m in enumerate(items):
            self.add_module(str(i), m)

    def __delitem__(self, idx):
        keys = list(self._modules.keys())
        if isinstance(idx, slice):
            doomed = keys[idx]
        else:
            doomed = [keys[_index(idx, len(keys), self._what)]]
        for k in doomed:
            del self._modules[k]
        # renumber, like PyTorch, so indices stay contiguous
        self._renumber(list(self._modules.values()))

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def pop(self, key):
        v = self[key]
        del self[key]
        return v


class Sequential(_ModuleSequence):
    """Run modules in order, each one's output the next one's input.

    ``Sequential(m1, m2, ...)`` names children '0', '1', ...; ``Sequential(OrderedDict(...))``
    uses the given names. Indexing gives a module, slicing a new Sequential.
    """

    _what = "Sequential"

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for k, m in args[0].items():
                self.add_module(k, m)
        else:
            for i, m in enumerate(args):
                self.add_module(str(i), m)

    def forward(self, input):
        for m in self._modules.values():
            input = m(input)
        return input

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        i = _index(idx, len(self), "Sequential")
        return next(islice(self._modules.values(), i, None))

    def __setitem__(self, idx, module):
        key = list(self._modules.keys())[_index(idx, len(self), "Sequential")]
        setattr(self, key, module)

    def __add__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError("add operator supports only objects of Sequential class, but "
                             f"{type(other)} is given.")
        out = Sequential()
        for m in list(self) + list(other):
            out.append(m)
        return out

    def insert(self, index, module):
        n = len(self)
        if not -n <= index <= n:
            raise IndexError(f"Sequential.insert: index {index} out of range for length {n}")
        items = list(self._modules.values())
        items.insert(index % (n + 1) if index < 0 else index, module)
        self._renumber(items)
        return self


class ModuleList(_ModuleSequence):
    """A list of modules, registered so their parameters are found (no forward of its own)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[str(_index(idx, len(self), "ModuleList"))]

    def __setitem__(self, idx, module):
        setattr(self, str(_index(idx, len(self), "ModuleList")), module)

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return ModuleList(list(self) + list(other))

    def insert(self, index, module):
        items = list(self._modules.values())
        items.insert(index, module)
        self._renumber(items)

    def __repr__(self):
        """Runs of identical modules are folded as PyTorch prints them: ``(0-2): 3 x Linear()``."""
        reprs = [repr(m) for m in self]
        if not reprs:
            return self._get_name() + "()"
        lines, start = [], 0
        for i in range(1, len(reprs) + 1):
            if i < len(reprs) and reprs[i] == reprs[start]:
                continue
            body = _addindent(reprs[start], 2)
            if i - start == 1:
                lines.append(f"({start}): {body}")
            else:
                lines.append(f"({start}-{i - 1}): {i - start} x {body}")
            start = i
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class _NamedStore(Module):
    """What ModuleDict and ParameterDict share: a mapping view of one of the module's stores
    (``_store`` names it: ``'_modules'`` or ``'_parameters'``)."""

    _store = "_modules"

    def __getitem__(self, key):
        return self.__dict__[self._store][key]

    def __delitem__(self, key):
        del self.__dict__[self._store][key]

    def __len__(self):
        return len(self.__dict__[self._store])

    def __iter__(self):
        return iter(self.__dict__[self._store])

    def __contains__(self, key):
        return key in self.__dict__[self._store]

    def keys(self):
        return self.__dict__[self._store].keys()

    def items(self):
        return self.__dict__[self._store].items()

    def values(self):
        return self.__dict__[self._store].values()

    def _update(self, pairs):
        for k, v in (pairs.items() if hasattr(pairs, "items") else pairs):
            self[k] = v


class ModuleDict(_NamedStore):
    """An ordered dict of modules, registered by key."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def clear(self):
        self._modules.clear()

    def pop(self, key):
        v = self[key]
        del self[key]
        return v

    def update(self, modules):
        self._update(modules)


class ParameterList(Module):
    """A list of Parameters, registered as '0', '1', ... (plain tensors are wrapped)."""

    def __init__(self, values=None):
        super().__init__()
        self._size = 0
        if values is not None:
            self.extend(values)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ParameterList([self[i] for i in range(len(self))[idx]])
        return getattr(self, str(_index(idx, len(self), "ParameterList")))

    def __setitem__(self, idx, param):
        setattr(self, str(_index(idx, len(self), "ParameterList")), _as_param(param))

    def __len__(self):
        return self._size

    def __iter__(self):
        return iter(self[i] for i in range(len(self)))

    def __iadd__(self, params):
        return self.extend(params)

    def append(self, value):
        i = self._size
        self._size += 1
        setattr(self, str(i), _as_param(value))
        return self

    def extend(self, values):
        for v in values:
            self.append(v)
        return self

    def extra_repr(self):
        lines = []
        for i, p in enumerate(self):
            size = "x".join(str(s) for s in p.shape)
            dev = "" if p.device.type == "cpu" else f" ({p.device})"
            kind = "Parameter" if isinstance(p, Parameter) else "Tensor"
            lines.append(f"  ({i}): {kind} containing: [glassnet.{p.dtype} of size {size}{dev}]")
        return "\n".join(lines)


class ParameterDict(_NamedStore):
    """An ordered dict of Parameters, registered by key."""

    _store = "_parameters"

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __setitem__(self, key, value):
        self.register_parameter(key, _as_param(value))

    def update(self, parameters):
        self._update(parameters)


def _as_param(v):
    if isinstance(v, Parameter) or not isinstance(v, Tensor):
        return v
    return Parameter(v)
