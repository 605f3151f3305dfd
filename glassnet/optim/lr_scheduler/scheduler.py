"""LRScheduler: the base class of the learning-rate schedules.

A scheduler owns nothing but a counter: each ``step()`` advances ``last_epoch`` and rewrites
``group['lr']`` of the optimiser's parameter groups. Most schedules are written, as in PyTorch,
in a *chainable* form (the new rate from the current one, so several schedulers can act on the
same optimiser); ``step(epoch)`` uses the closed form instead where one exists.
"""

from __future__ import annotations

import warnings
from collections import Counter

from glassnet.optim.optimizer import Optimizer


def param_groups_val_list(optimizer, key):
    return [group[key] for group in optimizer.param_groups]


def format_param(name, optimizer, param):
    """One value per parameter group: a list of that length, or one value repeated."""
    if isinstance(param, (list, tuple)):
        if len(param) != len(optimizer.param_groups):
            raise ValueError(f"{name} must have the same length as optimizer.param_groups. {name} "
                             f"has {len(param)} values, param_groups has "
                             f"{len(optimizer.param_groups)}.")
        return list(param)
    return [param] * len(optimizer.param_groups)


def json_safe(value):
    """A copy of ``value`` that survives a JSON round trip (tuples and Counters become lists)."""
    if isinstance(value, Counter):
        return sorted(value.elements())
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (int, float, bool, str)):
        return value.item()
    return value


class LRScheduler:
    """Base class of learning-rate schedulers.

    Args:
        optimizer: the optimiser whose ``param_groups[i]['lr']`` this schedule sets.
        last_epoch: index of the last step taken (-1 starts a fresh schedule; to resume, load a
            ``state_dict`` instead).

    Call ``scheduler.step()`` after ``optimizer.step()`` (once per epoch or per batch, as the
    schedule is defined). ``get_last_lr()`` returns the rates last set.
    """

    _not_state = ()  # attributes that are not plain data (functions): left out of state_dict

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: {type(optimizer).__name__} is not an "
                            "Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"{type(self).__name__}: param 'initial_lr' is not specified "
                                   f"in param_groups[{i}] when resuming a scheduler with "
                                   f"last_epoch={last_epoch}; load the optimizer's state first")
        self.base_lrs = param_groups_val_list(optimizer, "initial_lr")
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):
        """The rates for the current ``last_epoch`` (chainable form)."""
        raise NotImplementedError

    def get_last_lr(self):
        """The learning rate of every parameter group, as last set by this scheduler."""
        return self._last_lr

    def step(self, epoch=None):
        if self._step_count == 1 and not self._is_initial and \
                not getattr(self.optimizer, "_opt_called", False):
            warnings.warn("Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
                          "Call them in the opposite order: `optimizer.step()` before "
                          "`lr_scheduler.step()`, or the first value of the learning rate "
                          "schedule is skipped.", UserWarning, stacklevel=2)
        self._step_count += 1
        if epoch is not None:
            warnings.warn("The epoch parameter in `scheduler.step()` is deprecated; the closed "
                          "form of the schedule is used where available.", UserWarning,
                          stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch=None):
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            closed = getattr(self, "_get_closed_form_lr", None)
            values = closed() if closed is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = param_groups_val_list(self.optimizer, "lr")

    def _current_lrs(self):
        return param_groups_val_list(self.optimizer, "lr")

    def state_dict(self):
        """Everything but the optimiser (and functions), as JSON-safe Python values."""
        skip = ("optimizer", "_is_initial") + tuple(self._not_state)
        return {k: json_safe(v) for k, v in self.__dict__.items() if k not in skip}

    def load_state_dict(self, state_dict):
        self.__dict__.update({k: v for k, v in state_dict.items() if k not in self._not_state})
        self._is_initial = False
