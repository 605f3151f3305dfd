"""Adagrad: per-coordinate learning rates from the accumulated squared gradients."""

from __future__ import annotations

from glassnet import backend
from glassnet.optim._elementwise import effective_grad, run_elementwise
from glassnet.optim.optimizer import (
    Optimizer,
    _wrap,
    call_closure,
    check_common,
    check_unsupported,
    params_with_grad,
)


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011; ``torch.optim.Adagrad``).

    Each coordinate's step is divided by the root of the sum of all its past squared gradients,
    so frequently-updated coordinates slow down and rare ones keep large steps::

        g   <- g + weight_decay * theta
        clr  = lr / (1 + (t - 1) * lr_decay)
        G   <- G + g^2                          (G starts at initial_accumulator_value)
        theta <- theta - clr * g / (sqrt(G) + eps)

    Because ``G`` only grows, the effective learning rate decays monotonically; RMSprop and
    Adadelta replace the sum by a running average to fix that.

    Args:
        params: iterable of parameters or dicts defining parameter groups.
        lr: learning rate (default 1e-2).
        lr_decay: learning-rate decay per step (default 0).
        weight_decay: L2 penalty (default 0).
        initial_accumulator_value: starting value of ``G`` (default 0).
        eps: added to the denominator (default 1e-10).
        maximize: maximise the objective instead of minimising it.
        foreach, differentiable, fused: accepted for compatibility.

    State (created at construction, as in PyTorch): ``step`` and ``sum``.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_common("Adagrad", lr=lr, eps=eps, weight_decay=weight_decay)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Adagrad: Invalid lr_decay value: {lr_decay} (expected >= 0)")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError("Adagrad: Invalid initial_accumulator_value value: "
                             f"{initial_accumulator_value} (expected >= 0)")
        check_unsupported("Adagrad", differentiable)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group):
        state = self.state[p]
        if len(state) == 0:
            xp = backend.array_module(p._data)
            state["step"] = 0
            state["sum"] = _wrap(xp.full_like(p._data, group["initial_accumulator_value"]))
        return state

    def step(self, closure=None):
        """Perform one update of every parameter that has a gradient; returns the closure's loss."""
        loss = call_closure(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            for p, g in params_with_grad(group):
                state = self._init_state(p, group)
                state["step"] += 1
                clr = lr / (1 + (state["step"] - 1) * group["lr_decay"])
                a = p._data
                run_elementwise(_adagrad_kernel, (a, g, state["sum"]._data, *self._scratch(a, 3)),
                                clr=clr, wd=group["weight_decay"], maximize=group["maximize"],
                                eps=group["eps"])
        return loss


def _adagrad_kernel(p, g, acc, s, t, u, *, clr, wd, maximize, eps):
    xp = backend.array_module(p)
    d = effective_grad(g, p, wd, maximize, u)
    xp.multiply(d, d, out=s)                             # state_sum.addcmul_(grad, grad, 1)
    acc += s
    xp.sqrt(acc, out=t)                                  # std = sqrt(sum) + eps
    t += eps
    xp.multiply(d, -clr, out=s)                          # param.addcdiv_(grad, std, -clr)
    s /= t
    p += s
