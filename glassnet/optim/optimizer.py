"""Optimizer: the base class every update rule shares, with PyTorch's interface.

Training is optimisation (the lectures' "training as optimisation with a regulariser"): after
``loss.backward()`` each parameter ``p`` holds ``p.grad`` = dL/dp, and an optimiser turns that
gradient into a step. The base class keeps the bookkeeping every rule needs:

* ``param_groups``: a list of dicts, each with ``'params'`` (a list of tensors) and that group's
  options (``lr``, ``weight_decay``, ...). Options missing from a group come from ``defaults``.
  Learning-rate schedulers change ``group['lr']`` between steps.
* ``state``: per-parameter memory (momentum buffers, running moments, step counts), created
  lazily on the first step, keyed by the parameter tensor.
* ``state_dict()`` / ``load_state_dict()`` with PyTorch's layout: ``{'state': {index: {...}},
  'param_groups': [{..., 'params': [index, ...]}]}``, where indices number the parameters in
  group order. State arrays are glassnet Tensors, scalars are Python numbers, so a checkpoint
  can store them as safetensors + JSON.

Updates happen in place on ``p.data`` (never rebinding it: a model's ``state_dict`` and any other
reference share that array), outside the autograd graph. The arithmetic follows PyTorch's
single-tensor (``foreach=False``) implementations operation by operation, so trajectories agree
to floating-point precision; temporaries live in scratch buffers the optimiser reuses.
"""

from __future__ import annotations

import functools
import warnings
from collections import defaultdict
from itertools import chain

import numpy as np

from glassnet import backend
from glassnet.autograd import enable_grad
from glassnet.tensor import Tensor


class _RequiredParameter:
    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _wrap(array):
    return Tensor._make(array, False)


def _to_number(v):
    """A Python float from a float, a 0-d array or a one-element tensor."""
    if isinstance(v, (int, float)):
        return v
    if hasattr(v, "item"):
        return v.item()
    return float(v)


# ----------------------------------------------------------------------------- the base class
class Optimizer:
    """Base class of all optimisers (``torch.optim.Optimizer``).

    Args:
        params: an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts defining
            parameter groups (each with a ``'params'`` entry and any per-group options).
        defaults: the default value of every option, used where a group does not set one.
    """

    # State entries holding one value per parameter element, so of the parameter's shape
    # (``load_state_dict`` checks them); scalars, Adafactor's factored row/column statistics
    # and L-BFGS's flat history are not among them.
    _PARAM_SHAPED_STATE = frozenset({
        "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "exp_inf", "square_avg", "acc_delta",
        "grad_avg", "momentum_buffer", "sum", "ax", "prev", "step_size", "variance"})

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        self._scratch_pool = {}
        self._step_pre_hooks = {}
        self._step_post_hooks = {}
        self._hook_id = 0
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params argument given to the optimizer should be an "
                f"iterable of Tensors or dicts, but got a Tensor of shape {tuple(params.shape)}")
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError(f"{type(self).__name__}: optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(dict(group))

    def __init_subclass__(cls, **kwargs):
        # Every step: the closure re-evaluates the loss with gradients on; pre/post hooks run
        # around the update; and the scheduler can check that the optimiser stepped first.
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _step_wrapper(cls.__dict__["step"])

    # ------------------------------------------------------------------ parameter groups
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own options (e.g. a layer to fine-tune)."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}.add_param_group: param_group must be a dict, got "
                            f"{type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(f"{name}: optimizer parameters need to be organized in ordered "
                            "collections, but the ordering of tensors in sets will change between "
                            "runs. Please use a list instead.")
        else:
            params = list(params)
        names = None
        if params and isinstance(params[0], tuple):
            names = [n for n, _ in params]
            params = [p for _, p in params]
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: optimizer can only optimize Tensors, but one of the "
                                f"params is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor (shape "
                                 f"{tuple(p.shape)}); optimise the leaf it was computed from")
        param_group["params"] = params
        if names is not None:
            param_group["param_names"] = names
        for key, default in self.defaults.items():
            if default is required and key not in param_group:
                raise ValueError(f"{name}: parameter group didn't specify a value of required "
                                 f"optimization parameter {key}")
            param_group.setdefault(key, default)
        if len({id(p) for p in params}) != len(params):
            warnings.warn(f"{name}: optimizer contains a parameter group with duplicate "
                          "parameters; in future, this will cause an error", stacklevel=3)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: to None (default) or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.grad_fn = None
                    p.grad.requires_grad = False
                    p.grad._data.fill(0)

    def step(self, closure=None):
        raise NotImplementedError(f"{type(self).__name__}.step is not implemented")

    # ------------------------------------------------------------------ helpers for subclasses
    def _scratch(self, like, n):
        """``n`` scratch arrays shaped like ``like``, reused across parameters and steps."""
        key = (like.dtype, backend.device_of(like))
        bufs = self._scratch_pool.get(key)
        size = like.size
        if bufs is None or len(bufs) < n or bufs[0].size < size:
            xp = backend.array_module(like)
            cap = max(size, bufs[0].size if bufs else 0)
            bufs = [xp.empty(cap, dtype=like.dtype) for _ in range(max(n, len(bufs or ())))]
            self._scratch_pool[key] = bufs
        shape = like.shape
        return [b[:size].reshape(shape) for b in bufs[:n]]

    def _zeros_state(self, p):
        return _wrap(backend.array_module(p._data).zeros_like(p._data))

    # ------------------------------------------------------------------ hooks
    def register_step_pre_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` runs before each step. Returns a removable handle."""
        return self._add_hook(self._step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` runs after each step. Returns a removable handle."""
        return self._add_hook(self._step_post_hooks, hook)

    def _add_hook(self, table, hook):
        self._hook_id += 1
        table[self._hook_id] = hook
        return _RemovableHandle(table, self._hook_id)

    # ------------------------------------------------------------------ state dict
    def state_dict(self) -> dict:
        """``{'state': {index: {name: Tensor | number}}, 'param_groups': [...]}`` (references)."""
        index = {}
        groups = []
        start = 0
        for g in self.param_groups:
            packed = {k: v for k, v in g.items() if k != "params"}
            for i, p in enumerate(g["params"], start):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in g["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore state saved by ``state_dict()``: tensors already on each parameter's dtype
        and device are kept as they are (shared, as in PyTorch), other arrays are copied onto
        them. Also accepts the JSON round trip of one: string indices, lists for tuples.

        Checked at load time, so that a mismatch is reported here rather than as a broadcasting
        error at the next ``step``: the number of groups and of parameters in each (as
        PyTorch), and, stricter than PyTorch, the shape of every per-element state entry
        (``exp_avg``, ``momentum_buffer``, ...), which must be its parameter's shape; a
        mismatch is a ValueError naming the parameter index, the state key and both shapes."""
        name = type(self).__name__
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: loaded state dict has "
                             f"{len(saved_groups)} parameter groups, the optimizer has "
                             f"{len(self.param_groups)}")
        for i, (g, s) in enumerate(zip(self.param_groups, saved_groups)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(f"{name}.load_state_dict: loaded state dict contains a parameter "
                                 f"group ({i}) with {len(s['params'])} parameters, that doesn't "
                                 f"match the size of optimizer's group ({len(g['params'])})")
        id_map = dict(zip(chain.from_iterable(s["params"] for s in saved_groups),
                          chain.from_iterable(g["params"] for g in self.param_groups)))
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            key = int(k) if isinstance(k, str) and k.lstrip("-").isdigit() else k
            if key in id_map:
                p = id_map[key]
                state[p] = {sk: _cast_state(sk, sv, p) for sk, sv in v.items()}
                for sk, sv in state[p].items():
                    if sk in self._PARAM_SHAPED_STATE and isinstance(sv, Tensor) \
                            and tuple(sv.shape) != tuple(p.shape):
                        raise ValueError(
                            f"{name}.load_state_dict: parameter {key}, state {sk!r}: expected "
                            f"the parameter's shape {tuple(p.shape)}, got {tuple(sv.shape)}")
            else:
                state[key] = v
        new_groups = []
        for g, s in zip(self.param_groups, saved_groups):
            ng = {}
            for k, v in s.items():
                if k == "params":
                    continue
                if isinstance(v, list) and isinstance(g.get(k, self.defaults.get(k)), tuple):
                    v = tuple(v)
                ng[k] = v
            ng["params"] = g["params"]
            if "param_names" in g and "param_names" not in ng:
                ng["param_names"] = g["param_names"]
            for k, default in self.defaults.items():
                ng.setdefault(k, default)
            new_groups.append(ng)
        self.state = state
        self.param_groups = new_groups

    def __getstate__(self):
        d = self.__dict__.copy()
        d["_scratch_pool"] = {}
        return d

    def __repr__(self):
        s = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}"
            for key in sorted(group):
                if key != "params":
                    s += f"\n    {key}: {group[key]}"
        return s + "\n)"


def _cast_state(key, value, p):
    """A state entry for parameter ``p``: arrays copied to p's dtype/device, 'step' a number."""
    if key == "step":
        v = _to_number(value)
        return int(v) if float(v).is_integer() else v
    if isinstance(value, Tensor):
        arr = value._data
        want = p._data.dtype if backend.is_floating(arr.dtype) and arr.ndim > 0 else arr.dtype
        if arr.dtype == want and value.device == p.device:
            return value  # PyTorch keeps the loaded tensor itself (``value.to`` is a no-op)
    elif isinstance(value, np.ndarray) or hasattr(value, "__cuda_array_interface__"):
        arr = value
    elif hasattr(value, "detach") and hasattr(value, "numpy"):  # a tensor of another framework
        arr = value.detach().cpu().numpy()
    elif hasattr(value, "__array__") and not isinstance(value, (int, float, bool)):
        arr = np.asarray(value)
    else:
        return value
    # floating arrays follow the parameter; 0-d floating entries (NAdam's mu_product, ASGD's
    # eta and mu) keep their own precision, so that a resumed run continues bit for bit
    dtype = p._data.dtype if backend.is_floating(arr.dtype) and arr.ndim > 0 else arr.dtype
    arr = backend.to_device(arr, p.device)
    xp = backend.array_module(arr)
    return _wrap(xp.array(arr, dtype=dtype, copy=True))


class _RemovableHandle:
    def __init__(self, table, key):
        self._table, self._key = table, key

    def remove(self):
        self._table.pop(self._key, None)


def _step_wrapper(step):
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        if self.__dict__.get("_in_step"):  # a subclass's step calling super().step()
            return step(self, *args, **kwargs)
        self._in_step = True
        try:
            return _hooked(step, self, args, kwargs)
        finally:
            self._in_step = False
    wrapper._glassnet_step = True
    return wrapper


def _hooked(step, self, args, kwargs):
    for hook in list(self._step_pre_hooks.values()):
        res = hook(self, args, kwargs)
        if res is not None:
            args, kwargs = res
    out = step(self, *args, **kwargs)
    self._opt_called = True
    for hook in list(self._step_post_hooks.values()):
        hook(self, args, kwargs)
    return out


def call_closure(closure):
    """Evaluate the loss closure with gradients enabled (``step(closure)``), or return None."""
    if closure is None:
        return None
    with enable_grad():
        return closure()


def params_with_grad(group):
    """(param, gradient array) for each parameter of a group that has a gradient."""
    out = []
    for p in group["params"]:
        g = p.grad
        if g is None:
            continue
        g = g._data if isinstance(g, Tensor) else g
        if g.shape != p._data.shape:
            raise RuntimeError(f"optimizer step: a parameter of shape {tuple(p._data.shape)} has a "
                               f"gradient of shape {tuple(g.shape)}; they must match")
        out.append((p, g))
    return out


def check_common(name, lr=None, eps=None, weight_decay=None):
    if lr is not None and not (isinstance(lr, Tensor) or 0.0 <= lr):
        raise ValueError(f"{name}: Invalid learning rate: {lr} (expected lr >= 0)")
    if eps is not None and not 0.0 <= eps:
        raise ValueError(f"{name}: Invalid epsilon value: {eps} (expected eps >= 0)")
    if weight_decay is not None and not 0.0 <= weight_decay:
        raise ValueError(f"{name}: Invalid weight_decay value: {weight_decay} (expected >= 0)")


def check_unsupported(name, differentiable=False, capturable=False, fused=None):
    """PyTorch's implementation switches (foreach, fused) are accepted and ignored: glassnet has
    one implementation. Features it does not have raise."""
    if differentiable:
        raise NotImplementedError(f"{name}: differentiable=True (backpropagating through the "
                                  "optimizer step) is not supported by glassnet")


def check_betas(name, betas):
    """Both decay rates in [0, 1), with PyTorch's message."""
    for i, b in enumerate(betas):
        if not 0.0 <= float(b) < 1.0:
            raise ValueError(f"{name}: Invalid beta parameter at index {i}: {b} "
                             "(expected 0 <= beta < 1)")
    return tuple(float(b) for b in betas)


def scalar_state(value, like):
    """A 0-d state entry (NAdam's ``mu_product``, ASGD's ``eta`` and ``mu``) on ``like``'s device.

    PyTorch keeps these in the default floating dtype (float32 unless the default is float64),
    whatever the parameter's dtype, and updates them in that precision; so does glassnet, so the
    rounding of e.g. ``mu_product *= mu`` matches.
    """
    xp = backend.array_module(like)
    dtype = np.float64 if backend.get_default_dtype() == np.float64 else np.float32
    return _wrap(xp.asarray(value, dtype=dtype).reshape(()))
