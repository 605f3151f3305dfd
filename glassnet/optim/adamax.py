"""Adamax: Adam with the infinity norm in place of the second moment (Kingma & Ba, 2015, sec. 7)."""

from __future__ import annotations

from glassnet import backend
from glassnet.optim._elementwise import effective_grad, run_elementwise
from glassnet.optim.adam import lerp_
from glassnet.optim.optimizer import (
    Optimizer,
    call_closure,
    check_betas,
    check_common,
    check_unsupported,
    params_with_grad,
)


class Adamax(Optimizer):
    r"""Adamax (``torch.optim.Adamax``): Adam whose denominator is a decaying running *maximum*
    of ``|g|`` (an L-infinity norm) instead of a root-mean-square.

    Step ``t`` (counting from 1), for each parameter::

        g  <- g + weight_decay * theta
        m  <- beta1 * m + (1 - beta1) * g            (first moment, via lerp)
        u  <- max(beta2 * u, |g| + eps)              (exponentially weighted infinity norm)
        theta <- theta - lr / (1 - beta1^t) * m / u

    ``u`` needs no bias correction: a maximum is not pulled towards its zero start.

    Args:
        params: iterable of parameters or dicts defining parameter groups.
        lr: learning rate (default 2e-3).
        betas: decay rates of ``m`` and ``u`` (default (0.9, 0.999)).
        eps: added to ``|g|`` for numerical stability (default 1e-8).
        weight_decay: L2 penalty added to the gradient (default 0).
        maximize: maximise the objective instead of minimising it.
        foreach, capturable, differentiable: accepted for compatibility.

    State per parameter: ``step``, ``exp_avg``, ``exp_inf``.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        check_common("Adamax", lr=lr, eps=eps, weight_decay=weight_decay)
        betas = check_betas("Adamax", betas)
        check_unsupported("Adamax", differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one update of every parameter that has a gradient; returns the closure's loss."""
        loss = call_closure(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = (float(b) for b in group["betas"])
            for p, g in params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = self._zeros_state(p)
                    state["exp_inf"] = self._zeros_state(p)
                state["step"] += 1
                clr = lr / (1 - beta1 ** state["step"])
                a = p._data
                run_elementwise(_adamax_kernel,
                                (a, g, state["exp_avg"]._data, state["exp_inf"]._data,
                                 *self._scratch(a, 2)),
                                wd=group["weight_decay"], maximize=group["maximize"],
                                beta1=beta1, beta2=beta2, eps=group["eps"], clr=clr)
        return loss


def _adamax_kernel(p, g, m, u, s, t, *, wd, maximize, beta1, beta2, eps, clr):
    xp = backend.array_module(p)
    d = effective_grad(g, p, wd, maximize, t)
    lerp_(m, d, 1 - beta1, s)                            # exp_avg.lerp_(grad, 1 - beta1)
    u *= beta2                                           # max(exp_inf * beta2, |grad| + eps)
    xp.abs(d, out=s)
    s += eps
    xp.maximum(u, s, out=u)
    xp.multiply(m, -clr, out=s)                          # param.addcdiv_(exp_avg, exp_inf, -clr)
    s /= u
    p += s
