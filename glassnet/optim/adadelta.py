"""Adadelta: step sizes from the ratio of running RMS of updates and of gradients."""

from __future__ import annotations

from glassnet import backend
from glassnet.optim._elementwise import effective_grad, run_elementwise
from glassnet.optim.optimizer import (
    Optimizer,
    call_closure,
    check_common,
    check_unsupported,
    params_with_grad,
)


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012; ``torch.optim.Adadelta``).

    Like RMSprop it divides by a running RMS of the gradient, and it multiplies by a running RMS
    of the past *updates*, so the step has the units of the parameter and needs no hand-tuned
    learning rate (``lr`` = 1 by default just scales the result)::

        g  <- g + weight_decay * theta
        v  <- rho * v + (1 - rho) * g^2
        dx  = sqrt(u + eps) / sqrt(v + eps) * g
        u  <- rho * u + (1 - rho) * dx^2
        theta <- theta - lr * dx

    Args:
        params: iterable of parameters or dicts defining parameter groups.
        lr: coefficient that scales the update (default 1.0).
        rho: decay of the running averages (default 0.9).
        eps: added inside the square roots (default 1e-6).
        weight_decay: L2 penalty (default 0).
        maximize: maximise the objective instead of minimising it.
        foreach, capturable, differentiable: accepted for compatibility.

    State: ``step``, ``square_avg`` (v) and ``acc_delta`` (u).
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        check_common("Adadelta", lr=lr, eps=eps, weight_decay=weight_decay)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Adadelta: Invalid rho value: {rho} (expected 0 <= rho <= 1)")
        check_unsupported("Adadelta", differentiable)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one update of every parameter that has a gradient; returns the closure's loss."""
        loss = call_closure(closure)
        for group in self.param_groups:
            for p, g in params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["square_avg"] = self._zeros_state(p)
                    state["acc_delta"] = self._zeros_state(p)
                state["step"] += 1
                a = p._data
                run_elementwise(_adadelta_kernel,
                                (a, g, state["square_avg"]._data, state["acc_delta"]._data,
                                 *self._scratch(a, 3)),
                                lr=float(group["lr"]), wd=group["weight_decay"],
                                maximize=group["maximize"], rho=group["rho"], eps=group["eps"])
        return loss


def _adadelta_kernel(p, g, sq, acc, s, t, u, *, lr, wd, maximize, rho, eps):
    xp = backend.array_module(p)
    d = effective_grad(g, p, wd, maximize, u)
    xp.multiply(d, 1 - rho, out=s)                       # square_avg.mul_(rho)
    s *= d                                               #   .addcmul_(grad, grad, 1 - rho)
    sq *= rho
    sq += s
    xp.add(sq, eps, out=t)                               # std = sqrt(square_avg + eps)
    xp.sqrt(t, out=t)
    xp.add(acc, eps, out=s)                              # delta = sqrt(acc_delta + eps)
    xp.sqrt(s, out=s)
    s /= t                                               # delta.div_(std).mul_(grad)
    s *= d
    xp.multiply(s, 1 - rho, out=t)                       # acc_delta.mul_(rho)
    t *= s                                               #   .addcmul_(delta, delta, 1 - rho)
    acc *= rho
    acc += t
    s *= -lr                                             # param.add_(delta, alpha=-lr)
    p += s
