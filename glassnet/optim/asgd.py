"""ASGD: averaged stochastic gradient descent (Polyak & Juditsky, 1992)."""

from __future__ import annotations

from glassnet import backend
from glassnet.optim._elementwise import effective_grad, run_elementwise
from glassnet.optim.optimizer import (
    Optimizer,
    call_closure,
    check_common,
    check_unsupported,
    params_with_grad,
    scalar_state,
)


class ASGD(Optimizer):
    r"""Averaged SGD (``torch.optim.ASGD``): plain SGD with a decaying rate, plus a running
    average ``ax`` of the iterates from step ``t0`` on. The average, not the last iterate, is the
    estimate with the optimal asymptotic variance; read it from ``optimizer.state[p]['ax']``.

    Step ``t`` (counting from 1), for each parameter::

        g     <- g + weight_decay * theta
        theta <- theta * (1 - lambd * eta) - eta * g
        ax    <- ax + mu * (theta - ax)           (ax <- theta while mu == 1)
        eta   <- lr / (1 + lambd * lr * t)^alpha
        mu    <- 1 / max(1, t - t0)

    Args:
        params: iterable of parameters or dicts defining parameter groups.
        lr: learning rate (default 1e-2).
        lambd: decay term (default 1e-4).
        alpha: power of the eta update (default 0.75).
        t0: step at which averaging starts (default 1e6).
        weight_decay: L2 penalty (default 0).
        maximize: maximise the objective instead of minimising it.
        foreach, differentiable, capturable: accepted for compatibility.

    State per parameter: ``step``, ``eta``, ``mu`` (0-d, in the default dtype as PyTorch keeps
    them), ``ax``.
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        check_common("ASGD", lr=lr, weight_decay=weight_decay)
        check_unsupported("ASGD", differentiable)
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one update of every parameter that has a gradient; returns the closure's loss."""
        loss = call_closure(closure)
        for group in self.param_groups:
            lr, lambd = float(group["lr"]), group["lambd"]
            for p, g in params_with_grad(group):
                state = self.state[p]
                a = p._data
                if len(state) == 0:
                    state["step"] = 0
                    state["eta"] = scalar_state(lr, a)
                    state["mu"] = scalar_state(1.0, a)
                    state["ax"] = self._zeros_state(p)
                state["step"] += 1
                eta, mu = state["eta"]._data, state["mu"]._data
                run_elementwise(_asgd_kernel, (a, g, state["ax"]._data, *self._scratch(a, 2)),
                                wd=group["weight_decay"], maximize=group["maximize"],
                                lambd=lambd, eta=float(eta), mu=float(mu))
                step = state["step"]
                eta[...] = lr / ((1 + lambd * lr * step) ** group["alpha"])
                mu[...] = 1 / max(1, step - group["t0"])
        return loss


def _asgd_kernel(p, g, ax, s, t, *, wd, maximize, lambd, eta, mu):
    xp = backend.array_module(p)
    d = effective_grad(g, p, wd, maximize, t)
    p *= 1 - lambd * eta                                 # param.mul_(1 - lambd * eta)
    xp.multiply(d, -eta, out=s)                          # param.add_(grad, alpha=-eta)
    p += s
    if mu != 1:
        xp.subtract(p, ax, out=s)                        # ax.add_(param.sub(ax).mul_(mu))
        s *= mu
        ax += s
    else:
        xp.copyto(ax, p)
