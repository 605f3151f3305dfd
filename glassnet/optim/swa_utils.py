"""Weight averaging (``torch.optim.swa_utils``): stochastic weight averaging and EMA of a model.

SWA (Izmailov et al., 2018) averages the weights visited late in training, with a constant or
cyclic learning rate (``SWALR``): the average sits nearer the centre of a wide minimum than any
single iterate and usually generalises better. An exponential moving average (EMA) of the
weights is the same machinery with ``get_ema_multi_avg_fn``. After averaging, batch-norm running
statistics no longer match the averaged weights: ``update_bn`` recomputes them with one pass over
the data.
"""

from __future__ import annotations

import itertools
import math
from copy import deepcopy

import numpy as np

from glassnet import backend
from glassnet.autograd import no_grad
from glassnet.nn.modules.batchnorm import _BatchNorm
from glassnet.nn.modules.module import Module
from glassnet.optim.adam import lerp_
from glassnet.optim.lr_scheduler.scheduler import LRScheduler, format_param
from glassnet.tensor import Tensor

__all__ = [
    "SWALR",
    "AveragedModel",
    "get_ema_avg_fn",
    "get_ema_multi_avg_fn",
    "get_swa_avg_fn",
    "get_swa_multi_avg_fn",
    "update_bn",
]


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in "
                         "[0,1] range.")


def get_ema_multi_avg_fn(decay=0.999):
    """In place on lists: ``ema <- lerp(ema, current, 1 - decay)`` = decay ema + (1-decay) cur."""
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _):
        for e, c in zip(ema_param_list, current_param_list):
            e, c = _array(e), _array(c)
            if e.dtype.kind in "fc":
                lerp_(e, c, 1 - decay, backend.array_module(e).empty_like(e))
            else:
                e[...] = e * decay + c * (1 - decay)
    return ema_update


def get_swa_multi_avg_fn():
    """In place on lists: ``avg <- lerp(avg, current, 1 / (n + 1))``, the running mean.

    As in PyTorch, a tensor ``num_averaged`` gives the weight ``1 / (n + 1)`` in the default
    dtype (float32 unless changed), a Python int gives it in double precision.
    """
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        if isinstance(num_averaged, int):
            weight = 1 / (num_averaged + 1)
        else:
            n = int(backend.to_numpy(_array(num_averaged)))
            weight = float(np.reciprocal(backend.get_default_dtype().type(n + 1)))
        for a, c in zip(averaged_param_list, current_param_list):
            a, c = _array(a), _array(c)
            if a.dtype.kind in "fc":
                lerp_(a, c, weight, backend.array_module(a).empty_like(a))
            else:
                a += (c - a) * weight
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """One tensor: returns ``decay * ema + (1 - decay) * current``."""
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """One tensor: returns ``avg + (current - avg) / (n + 1)``, the running mean."""
    def swa_update(averaged_param, current_param, num_averaged):
        return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


def _array(t):
    return t._data if isinstance(t, Tensor) else t


class AveragedModel(Module):
    r"""A copy of ``model`` whose weights are the running average of ``model``'s
    (``torch.optim.swa_utils.AveragedModel``).

    Each ``update_parameters(model)`` folds the model's current weights in: the first call copies
    them, the n-th (``n = n_averaged``, counted from 0) sets
    :math:`\bar w \leftarrow \bar w + (w - \bar w) / (n + 1)` (equal weights: SWA), or applies
    ``avg_fn(averaged, current, n)`` / ``multi_avg_fn(averaged_list, current_list, n)`` (e.g.
    ``get_ema_multi_avg_fn(0.999)`` for an EMA). Buffers are copied from the model unless
    ``use_buffers=True``, which averages them along with the parameters.

    Args:
        model: the model to average; it is deep-copied.
        device: where to keep the copy (default: the model's own device).
        avg_fn, multi_avg_fn: the averaging rule (at most one of them).
        use_buffers: average the buffers too, instead of copying them.

    ``forward`` runs the averaged copy; ``n_averaged`` is a buffer (saved in the state dict).
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        count = np.zeros((), dtype=np.int64)
        if device is not None:
            count = backend.to_device(count, device)
        self.register_buffer("n_averaged", Tensor._make(count, False))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        """Fold ``model``'s current weights into the average."""
        if self.use_buffers:
            mine = itertools.chain(self.module.parameters(), self.module.buffers())
            theirs = itertools.chain(model.parameters(), model.buffers())
        else:
            mine, theirs = self.parameters(), model.parameters()
        n = int(self.n_averaged._data)
        averaged, current = [], []
        for p_avg, p_model in zip(mine, theirs):
            src = backend.to_device(p_model._data, p_avg.device)
            averaged.append(p_avg)
            current.append(Tensor._make(src, False))
            if n == 0:
                p_avg._data[...] = src
        if n > 0:
            if self.multi_avg_fn is not None:
                self.multi_avg_fn(averaged, current, self.n_averaged)
            else:
                avg_fn = self.avg_fn or get_swa_avg_fn()   # PyTorch's rule on the CPU
                count = self.n_averaged if self.avg_fn is not None else n
                for p_avg, p_cur in zip(averaged, current):
                    p_avg._data[...] = _array(avg_fn(Tensor._make(p_avg._data, False), p_cur,
                                                    count))
        if not self.use_buffers:
            for b_avg, b_model in zip(self.module.buffers(), model.buffers()):
                b_avg._data[...] = backend.to_device(b_model._data, b_avg.device)
        self.n_averaged._data[...] = n + 1


def update_bn(loader, model, device=None):
    """Recompute the running statistics of every batch-norm layer of ``model`` with one pass
    over ``loader`` (a cumulative average over its batches, ``momentum=None``).

    Each batch is an input tensor, or a list/tuple whose first element is the input.
    """
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with no_grad():
        for input in loader:
            if isinstance(input, (list, tuple)):
                input = input[0]
            if device is not None:
                input = input.to(device)
            model(input)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    r"""Anneal each group's learning rate to ``swa_lr`` over ``anneal_epochs`` steps, then hold
    it (``torch.optim.swa_utils.SWALR``).

    With ``alpha_t = anneal(min(1, t / anneal_epochs))`` (``'cos'``: (1 - cos(pi s)) / 2,
    ``'linear'``: s), the rate is ``swa_lr * alpha_t + lr_0 * (1 - alpha_t)``, written, as in
    PyTorch, in a chainable form from the current rate.
    """

    _not_state = ("anneal_func",)

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos",
                 last_epoch=-1):
        swa_lrs = format_param("swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError("anneal_strategy must be one of 'cos' or 'linear', instead got "
                             f"{anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else \
            self._linear_anneal

    def get_lr(self):
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [group["swa_lr"] * alpha + lr * (1 - alpha)
                for group, lr in zip(self.optimizer.param_groups, prev_lrs)]

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        self._set_anneal_func(self._anneal_strategy)
