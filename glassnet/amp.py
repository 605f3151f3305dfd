"""``glassnet.amp``: automatic mixed precision, as PyTorch's ``torch.amp``.

Mixed-precision training keeps the parameters in float32 and runs most of the arithmetic in a
2-byte float, with two tools:

``autocast(device_type, dtype=None, enabled=True)``
    Inside the block, the ops on autocast's lower-precision list (matmul, linear, the
    convolutions, scaled_dot_product_attention...) cast their float32 arguments to ``dtype``
    (bfloat16 by default on the CPU, float16 on a GPU) and the ops on its float32 list (the
    losses, prod, cdist) cast float16/bfloat16 arguments to float32; every other op runs in the
    dtype it is given. The lists and the casts are in ``glassnet/ops/autocast.py``. Gradients
    flow back through the casts, so float32 parameters get float32 gradients. A ``'cuda'``
    autocast without a GPU warns and does nothing, as in PyTorch.

``GradScaler(device, init_scale=65536.0, growth_factor=2.0, backoff_factor=0.5,
growth_interval=2000)``
    Loss scaling for float16, whose smallest normal number is 6e-5: small gradients vanish to
    zero unless the loss is multiplied by a large factor S before backward. ``scale(loss)`` is
    S * loss; ``step(optimizer)`` divides the gradients by S (``unscale_``) and skips the step
    when any gradient is inf or NaN (S was too large); ``update()`` then halves S after a
    skipped step and doubles it after ``growth_interval`` steps in a row without one.

A typical loop, unchanged from PyTorch::

    scaler = glassnet.amp.GradScaler("cpu")
    for x, y in loader:
        optimizer.zero_grad()
        with glassnet.autocast(device_type="cpu", dtype=glassnet.bfloat16):
            loss = loss_fn(model(x), y)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

Autocast keeps no cache of cast weights (PyTorch's ``cache_enabled``): each op casts its
weight again.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import warnings

import numpy as np

from . import backend
from .autograd.variable import Variable
from .ops import autocast as _policy
from .ops.arithmetic import Cast
from .tensor import Tensor

__all__ = ["GradScaler", "autocast", "custom_bwd", "custom_fwd", "get_autocast_dtype",
           "is_autocast_available", "is_autocast_enabled"]

_DEVICE_TYPES = ("cpu", "cuda")


def _default_dtype(device_type):
    # on the CPU bfloat16, which needs ml_dtypes: without it, a clear error saying so
    return backend.to_dtype("bfloat16") if device_type == "cpu" else backend.float16


def is_autocast_available(device_type: str) -> bool:
    """Whether glassnet has an autocast for ``device_type`` ('cpu' and 'cuda')."""
    return device_type in _DEVICE_TYPES


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    """Whether autocast is on for ``device_type`` in this thread (PyTorch's default asks about
    'cuda')."""
    return _policy.dtype_for(device_type) is not None


def get_autocast_dtype(device_type: str):
    """The dtype autocast uses (or would use) for ``device_type``: bfloat16 on the CPU and
    float16 on a GPU unless an enclosing ``autocast`` chose another."""
    return _policy.dtype_for(device_type) or _default_dtype(device_type)


class autocast(contextlib.ContextDecorator):
    """``with autocast(device_type, dtype=None, enabled=True):`` runs the ops of autocast's
    lists in mixed precision inside the block (see the module docstring); also a decorator.

    ``device_type`` is 'cpu' or 'cuda'. ``dtype`` defaults to bfloat16 on the CPU, float16 on
    a GPU; the CPU accepts bfloat16 and float16 (another dtype warns and disables autocast, as
    PyTorch does). ``enabled=False`` turns autocast off inside the block, also within an
    enclosing autocast. ``cache_enabled`` is accepted and has no effect.
    """

    def __init__(self, device_type: str, dtype=None, enabled: bool = True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(  # noqa: TRY004 - PyTorch's exception type
                f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.device = device_type
        self.fast_dtype = (_default_dtype(device_type) if device_type in _DEVICE_TYPES
                           else None) if dtype is None else backend.to_dtype(dtype)
        self._enabled = builtins.bool(enabled)
        self._cache_enabled = cache_enabled
        if device_type not in _DEVICE_TYPES:
            if enabled:
                warnings.warn(f"autocast: glassnet has no '{device_type}' device (only 'cpu' "
                              f"and 'cuda'). Disabling autocast.", stacklevel=2)
            self._enabled = False
        elif device_type == "cuda":
            if enabled and not backend.cuda_is_available():
                warnings.warn("CUDA is not available or torch_xla is imported. Disabling "
                              "autocast.", stacklevel=2)
                self._enabled = False
            elif enabled and self.fast_dtype != backend.float16:
                raise RuntimeError("Current CUDA Device does not support bfloat16. Please switch "
                                   "dtype to float16." if backend.is_floating(self.fast_dtype)
                                   else "In CUDA autocast, but the target dtype is not "
                                   "supported: use float16.")
        elif enabled and not backend.is_reduced_precision(self.fast_dtype):
            warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling "
                          "autocast.\nCPU Autocast only supports dtypes of glassnet.bfloat16, "
                          "glassnet.float16 currently.", stacklevel=2)
            self._enabled = False
        self._prev = []

    def __enter__(self):
        if self.device in _DEVICE_TYPES:
            self._prev.append(_policy.set_dtype(self.device,
                                                self.fast_dtype if self._enabled else None))
        return self

    def __exit__(self, *exc):
        if self.device in _DEVICE_TYPES:
            _policy.set_dtype(self.device, self._prev.pop())
        return False


# ----------------------------------------------------------------------------- custom Functions
def custom_fwd(fwd=None, *, device_type: str, cast_inputs=None):
    """Decorator for the ``forward`` of a custom ``autograd.Function``: with ``cast_inputs``
    (a dtype), inside an autocast for ``device_type`` its floating Tensor arguments are cast to
    that dtype and it runs with autocast off; without it, it runs as autocast stands, and
    ``custom_bwd`` runs the backward under the same state."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    target = None if cast_inputs is None else backend.to_dtype(cast_inputs)

    @functools.wraps(fwd)
    def wrapper(*args, **kwargs):
        ctx = args[0]
        ctx._fwd_autocast = _policy.dtype_for(device_type)
        if target is None or ctx._fwd_autocast is None:
            return fwd(*args, **kwargs)

        def cast(a):
            if isinstance(a, Variable) and backend.is_floating(a._data.dtype) \
                    and a._data.dtype != target:
                return Cast.apply(a, target)
            return a

        ctx._fwd_autocast = None
        with autocast(device_type, enabled=False):
            return fwd(ctx, *[cast(a) for a in args[1:]],
                       **{k: cast(v) for k, v in kwargs.items()})

    return wrapper


def custom_bwd(bwd=None, *, device_type: str):
    """Decorator for the ``backward`` of a custom ``autograd.Function`` whose forward has
    ``custom_fwd``: the backward runs with the autocast state the forward ran with."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def wrapper(ctx, *args, **kwargs):
        dtype = getattr(ctx, "_fwd_autocast", None)
        with autocast(device_type, dtype=dtype or _default_dtype(device_type),
                      enabled=dtype is not None):
            return bwd(ctx, *args, **kwargs)

    return wrapper


# ----------------------------------------------------------------------------- GradScaler
_READY, _UNSCALED, _STEPPED = 0, 1, 2


def _fresh_state():
    return {"stage": _READY, "found_inf": None}


class GradScaler:
    """Dynamic loss scaling (see the module docstring), with PyTorch's methods and messages.

    The scale is a float32 number and changes exactly as PyTorch's: after an optimizer step
    whose gradients held an inf or NaN, scale *= backoff_factor; after ``growth_interval``
    consecutive good steps, scale *= growth_factor (kept only if finite). A scaler created for
    'cuda' without a GPU warns and is disabled: then ``scale`` returns its argument and
    ``step`` is ``optimizer.step()``.
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True):
        self._device = device
        self._enabled = enabled
        if device == "cuda" and enabled and not backend.cuda_is_available():
            warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  "
                          "Disabling.", stacklevel=2)
            self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
            self._init_scale = init_scale
            self._scale = None  # a float32 0-d array, made on the first scale()
            self._growth_factor = growth_factor
            self._backoff_factor = backoff_factor
            self._growth_interval = growth_interval
            self._init_growth_tracker = 0
            self._growth_tracker = None
            self._per_optimizer_states = {}

    # ------------------------------------------------------------------ scaling
    def scale(self, outputs):
        """``outputs`` (a Tensor, or a list/tuple/iterable of them) times the current scale."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            return outputs * self._scale_tensor(outputs)
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        if hasattr(outputs, "__iter__"):
            return map(self.scale, outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _scale_tensor(self, like):
        if self._scale is None:
            self._scale = np.float32(self._init_scale)
            self._growth_tracker = self._init_growth_tracker
        xp = backend.array_module(like._data)
        return Tensor._make(xp.asarray(self._scale, dtype=np.float32), False)

    def _check_started(self, funcname):
        if self._scale is None:
            raise AssertionError(f"Attempted {funcname} but _scale is None.  This may indicate "
                                 "your script did not use scaler.scale(loss or outputs) earlier "
                                 "in the iteration.")

    def _state(self, optimizer):
        return self._per_optimizer_states.setdefault(id(optimizer), _fresh_state())

    def unscale_(self, optimizer) -> None:
        """Divide the gradients of ``optimizer``'s parameters by the scale, in place, and
        record whether any is inf or NaN. Call it before clipping gradients; ``step`` calls it
        when it has not been called."""
        if not self._enabled:
            return
        self._check_started("unscale_")
        state = self._state(optimizer)
        if state["stage"] == _UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the "
                               "last update().")
        if state["stage"] == _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv_scale = np.float32(1.0 / np.float64(self._scale))
        found = False
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad._data
                if g.dtype == backend.float16:
                    raise ValueError("Attempting to unscale FP16 gradients.")
                xp = backend.array_module(g)
                if not found and not builtins.bool(xp.isfinite(g).all()):
                    found = True
                if g.dtype == np.float32 or g.dtype == np.float64:
                    xp.multiply(g, g.dtype.type(inv_scale), out=g)
                else:  # bfloat16: the product in float32, stored rounded (PyTorch's kernel)
                    g[...] = (g.astype(np.float32) * inv_scale).astype(g.dtype)
        state["found_inf"] = found
        state["stage"] = _UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """``unscale_(optimizer)`` if not done yet, then ``optimizer.step(*args, **kwargs)``
        unless a gradient was inf or NaN (then the step is skipped and None returned)."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_started("step")
        state = self._state(optimizer)
        if state["stage"] == _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] == _READY:
            self.unscale_(optimizer)
        retval = None if state["found_inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = _STEPPED
        return retval

    def update(self, new_scale=None) -> None:
        """Adjust the scale for the next iteration (see the class docstring), or set it to
        ``new_scale`` (a float or a one-element Tensor). Call it once per iteration, after
        ``step`` for every optimizer."""
        if not self._enabled:
            return
        self._check_started("update")
        if new_scale is not None:
            if isinstance(new_scale, builtins.float):
                self._scale = np.float32(new_scale)
            else:
                reason = ("new_scale should be a float or a 1-element torch.cuda.FloatTensor or "
                          "torch.FloatTensor with requires_grad=False.")
                if not isinstance(new_scale, Variable) or new_scale.numel() != 1 \
                        or new_scale.requires_grad:
                    raise AssertionError(reason)
                self._scale = np.float32(backend.to_numpy(new_scale._data).reshape(()))
        else:
            found = [s["found_inf"] for s in self._per_optimizer_states.values()
                     if s["found_inf"] is not None]
            if not found:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(found):
                self._scale = np.float32(np.float64(self._scale) * self._backoff_factor)
                self._growth_tracker = 0
            elif self._growth_tracker + 1 == self._growth_interval:
                grown = np.float32(np.float64(self._scale) * self._growth_factor)
                if np.isfinite(grown):
                    self._scale = grown
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
        self._per_optimizer_states = {}

    # ------------------------------------------------------------------ queries and state
    def get_scale(self) -> float:
        """The current scale as a Python float (1.0 when disabled)."""
        if not self._enabled:
            return 1.0
        return builtins.float(self._init_scale if self._scale is None else self._scale)

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def _get_growth_tracker(self) -> int:
        if not self._enabled:
            return 0
        return self._init_growth_tracker if self._growth_tracker is None else self._growth_tracker

    def is_enabled(self) -> bool:
        return self._enabled

    def state_dict(self) -> dict:
        """``scale``, ``growth_factor``, ``backoff_factor``, ``growth_interval`` and
        ``_growth_tracker`` (an empty dict when disabled), as PyTorch's."""
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor,
                "growth_interval": self._growth_interval,
                "_growth_tracker": self._get_growth_tracker()}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what ``state_dict`` returned (a no-op when this scaler is disabled)."""
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._init_scale = builtins.float(state_dict["scale"])
        if self._scale is not None:
            self._scale = np.float32(self._init_scale)
        self._growth_factor = builtins.float(state_dict["growth_factor"])
        self._backoff_factor = builtins.float(state_dict["backoff_factor"])
        self._growth_interval = builtins.int(state_dict["growth_interval"])
        self._init_growth_tracker = builtins.int(state_dict["_growth_tracker"])
        if self._growth_tracker is not None:
            self._growth_tracker = self._init_growth_tracker


# ----------------------------------------------------------------------------- torch.cuda.amp
class _CudaAutocast(autocast):
    """``glassnet.cuda.amp.autocast(...)``: PyTorch's deprecated spelling of
    ``autocast('cuda', ...)``."""

    def __init__(self, enabled=True, dtype=backend.float16, cache_enabled=True):
        warnings.warn("`torch.cuda.amp.autocast(args...)` is deprecated. Please use "
                      "`torch.amp.autocast('cuda', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class _CudaGradScaler(GradScaler):
    """``glassnet.cuda.amp.GradScaler(...)``: PyTorch's deprecated spelling of
    ``GradScaler('cuda', ...)``."""

    def __init__(self, init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        warnings.warn("`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use "
                      "`torch.amp.GradScaler('cuda', args...)` instead.", FutureWarning,
                      stacklevel=2)
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval,
                         enabled)
