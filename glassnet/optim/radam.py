"""RAdam: Adam with a rectified adaptive learning rate (Liu et al., 2020)."""

from __future__ import annotations

from glassnet import backend
from glassnet.optim._elementwise import run_elementwise
from glassnet.optim.adam import adam_moments
from glassnet.optim.optimizer import (
    Optimizer,
    call_closure,
    check_betas,
    check_common,
    check_unsupported,
    params_with_grad,
)


class RAdam(Optimizer):
    r"""RAdam (``torch.optim.RAdam``): Adam without the need for a warm-up.

    In Adam's first steps ``v`` averages only a few squared gradients, so its variance is large and
    the adaptive step erratic. RAdam estimates the length of the simple moving average that ``v``
    behaves like, ``rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)`` with
    ``rho_inf = 2 / (1 - beta2) - 1``, and while ``rho_t <= 5`` takes a plain momentum step::

        m   <- beta1 m + (1 - beta1) g;   v <- beta2 v + (1 - beta2) g^2
        m^   = m / (1 - beta1^t)
        theta <- theta - lr m^                                       (rho_t <= 5)
        r_t  = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
        theta <- theta - lr m^ sqrt(1 - beta2^t) / (sqrt(v) + eps) r_t  (otherwise)

    Args:
        params: iterable of parameters or dicts defining parameter groups.
        lr: learning rate (default 1e-3).
        betas: decay rates of ``m`` and ``v`` (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: weight decay (default 0).
        decoupled_weight_decay: shrink the weights directly, as AdamW does (RAdamW).
        maximize: maximise the objective instead of minimising it.
        foreach, capturable, differentiable: accepted for compatibility.

    State per parameter: ``step``, ``exp_avg``, ``exp_avg_sq``.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False):
        check_common("RAdam", lr=lr, eps=eps, weight_decay=weight_decay)
        betas = check_betas("RAdam", betas)
        check_unsupported("RAdam", differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
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
                    state["exp_avg_sq"] = self._zeros_state(p)
                state["step"] += 1
                step = state["step"]
                bc1 = 1 - beta1 ** step
                bc2 = 1 - beta2 ** step
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2 ** step) / bc2
                rect = None
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                a = p._data
                run_elementwise(_radam_kernel,
                                (a, g, state["exp_avg"]._data, state["exp_avg_sq"]._data,
                                 *self._scratch(a, 3)),
                                lr=lr, wd=group["weight_decay"],
                                decoupled=group["decoupled_weight_decay"],
                                maximize=group["maximize"], beta1=beta1, beta2=beta2,
                                eps=group["eps"], bc1=bc1, bc2_sqrt=bc2 ** 0.5, rect=rect)
        return loss


def _radam_kernel(p, g, m, v, s, t, u, *, lr, wd, decoupled, maximize, beta1, beta2, eps, bc1,
                  bc2_sqrt, rect):
    xp = backend.array_module(p)
    adam_moments(p, g, m, v, s, u, lr=lr, wd=wd, decoupled=decoupled, maximize=maximize,
                 beta1=beta1, beta2=beta2)
    xp.divide(m, bc1, out=s)                             # bias_corrected = exp_avg / bc1
    s *= lr                                              # * lr
    if rect is not None:
        xp.sqrt(v, out=t)                                # adaptive = bc2_sqrt / (sqrt(v) + eps),
        t += eps                                         # which PyTorch evaluates as
        xp.reciprocal(t, out=t)                          # reciprocal(denom) * bc2_sqrt
        t *= bc2_sqrt
        s *= t
        s *= rect
    p -= s                                               # param.add_(update, alpha=-1)
