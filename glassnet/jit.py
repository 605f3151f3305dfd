"""``torch.jit``'s everyday names for code that runs eagerly.

glassnet has no TorchScript compiler: every program runs as ordinary Python. Model code written
for PyTorch often decorates functions and modules for TorchScript (``@torch.jit.script``,
``@torch.jit.ignore``, ``torch.jit.is_scripting()`` branches, ``Final`` annotations); these names
let that code run unchanged, with the eager meaning PyTorch gives it when not scripting:

* ``script(fn_or_module)`` and ``trace(fn_or_module, example_inputs)`` return their argument
  unchanged (``trace`` first calls it once on the example inputs, as tracing does, so a shape
  error shows where it would in PyTorch);
* ``ignore``, ``unused``, ``export``, ``interface`` and ``script_if_tracing`` are decorators that
  return the function they decorate;
* ``is_scripting()`` and ``is_tracing()`` are always false;
* ``Final[T]`` is ``typing.Final[T]``; ``annotate(type, value)`` returns ``value``.

``save`` and ``load`` are not provided: there is no TorchScript file to write. Save a module's
``state_dict()`` with ``glassnet.save`` instead.
"""

from __future__ import annotations

import typing

__all__ = ["Attribute", "Final", "annotate", "export", "fork", "ignore", "interface",
           "is_scripting", "is_tracing", "script", "script_if_tracing", "trace",
           "trace_module", "unused", "wait"]

Final = typing.Final


def script(obj=None, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """Return ``obj`` (a function, a Module or a Module class) unchanged: it runs eagerly."""
    return obj


def trace(func, example_inputs=None, *args, **kwargs):
    """Run ``func`` once on ``example_inputs`` (a tensor or a tuple of them) and return ``func``
    itself: without a compiler, the traced program is the Python one."""
    if example_inputs is not None:
        inputs = example_inputs if isinstance(example_inputs, tuple) else (example_inputs,)
        func(*inputs)
    return func


def trace_module(mod, inputs, *args, **kwargs):
    """Call each named method of ``mod`` once on its example inputs; return ``mod``."""
    for name, example in inputs.items():
        getattr(mod, name)(*(example if isinstance(example, tuple) else (example,)))
    return mod


def _decorator(fn=None, **kwargs):
    # usable bare (@ignore) and with arguments (@ignore(drop=True))
    if fn is None or not callable(fn):
        return lambda f: f
    return fn


ignore = _decorator
unused = _decorator
export = _decorator
interface = _decorator
script_if_tracing = _decorator


def is_scripting() -> bool:
    """False: glassnet code is never being compiled by TorchScript."""
    return False


def is_tracing() -> bool:
    """False: glassnet code is never being traced."""
    return False


def annotate(the_type, the_value):
    """TorchScript's type hint for a value; eagerly, the value itself."""
    return the_value


def Attribute(value, type=None):
    """TorchScript's typed module attribute; eagerly, the value itself."""
    return value


class _Future:
    def __init__(self, value):
        self._value = value

    def wait(self):
        return self._value


def fork(func, *args, **kwargs):
    """Run ``func`` now (no inter-op parallelism) and return a future holding its result."""
    return _Future(func(*args, **kwargs))


def wait(future):
    """The result of a ``fork``."""
    return future.wait()
