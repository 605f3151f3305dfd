"""Variable: the autograd state every tensor carries, and the base class of ``glassnet.Tensor``.

A tensor is an array (``_data``) plus what autograd needs to know about it: ``requires_grad``,
the accumulated ``grad``, the node that produced it (``grad_fn``, None for a leaf) and which of
that node's outputs it is (``_output_nr``), and the hooks registered on a leaf. ``Function``
and the engines below ``Tensor`` work with this class only, so they never import ``Tensor``:
they build new tensors with ``_make``, which returns the class that the tensor class declares
as the result of every op (``class Tensor(Variable, ..., result_type=True)``; its subclasses,
such as ``nn.Parameter``, inherit it, so ops on Parameters return plain Tensors).

As in PyTorch, ``torch.autograd.Variable`` is the tensor type: ``isinstance(t, Variable)`` is
true for every tensor, and ``Variable(data, requires_grad=True)`` builds a Tensor.
"""

from __future__ import annotations

import weakref

from .. import backend

_new = object.__new__


class Variable:
    """The autograd fields of a tensor; ``Variable(data, requires_grad=False)`` makes a Tensor."""

    __slots__ = (
        "__dict__",
        "__weakref__",
        "_data",
        "_hooks",
        "_output_nr",
        "grad",
        "grad_fn",
        "requires_grad",
    )

    # The class of the tensors that ops return (glassnet.Tensor), set when that class is defined.
    _result_type = None
    # How many in-place changes this tensor's values have had (``x._version``, as in PyTorch);
    # a graph node whose saved array belongs to a tensor changed since refuses to backward.
    _version = 0

    def __init_subclass__(cls, result_type: bool = False, **kwargs):
        super().__init_subclass__(**kwargs)
        if result_type:
            Variable._result_type = cls

    def __new__(cls, *args, **kwargs):
        return _new(Variable._result_type if cls is Variable else cls)

    @classmethod
    def _make(cls, data, requires_grad):
        # A tensor around an array, fields set inline without a call to __init__: this wraps
        # arrays on every hot path.
        t = _new(cls._result_type)
        t._data = data
        t.grad = None
        t.grad_fn = None
        t._output_nr = 0
        t._hooks = None
        t.requires_grad = requires_grad
        return t

    @property
    def is_leaf(self):
        return self.grad_fn is None

    def requires_grad_(self, requires_grad: bool = True):
        if requires_grad and not backend.is_differentiable(self._data.dtype):
            raise RuntimeError(
                f"requires_grad_: only floating point and complex tensors can require gradients, "
                f"got dtype {self._data.dtype}")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad_: you can only change requires_grad of leaf "
                               "tensors; use .detach() for a non-leaf")
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self):
        return self._make(self._data, False)

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


class _HookHandle:
    def __init__(self, lst, hook):
        self.lst, self.hook = lst, hook

    def remove(self):
        if self.hook in self.lst:
            self.lst.remove(self.hook)
