"""NAdam: Adam with Nesterov momentum (Dozat, 2016)."""

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
    scalar_state,
)


class NAdam(Optimizer):
    r"""NAdam (``torch.optim.NAdam``): Adam whose momentum looks one step ahead, as Nesterov's
    does for SGD.

    Step ``t`` (counting from 1), for each parameter::

        g   <- g + weight_decay * theta          (or theta <- theta (1 - lr wd), decoupled)
        mu_t = beta1 (1 - 0.5 * 0.96^(t psi))    (momentum schedule, psi = momentum_decay)
        P_t  = mu_1 mu_2 ... mu_t                 (state 'mu_product')
        m   <- beta1 m + (1 - beta1) g;   v <- beta2 v + (1 - beta2) g^2
        den  = sqrt(v / (1 - beta2^t)) + eps
        theta <- theta - lr (1 - mu_t) / (1 - P_t) * g / den
                       - lr mu_{t+1} / (1 - P_t mu_{t+1}) * m / den

    The first term is the gradient's share of the look-ahead, the second the momentum's.

    Args:
        params: iterable of parameters or dicts defining parameter groups.
        lr: learning rate (default 2e-3).
        betas: decay rates of ``m`` and ``v`` (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        weight_decay: weight decay (default 0).
        momentum_decay: ``psi`` of the momentum schedule (default 4e-3).
        decoupled_weight_decay: shrink the weights directly, as AdamW does (NAdamW).
        maximize: maximise the objective instead of minimising it.
        foreach, capturable, differentiable: accepted for compatibility.

    State per parameter: ``step``, ``mu_product`` (0-d, in the default dtype as PyTorch keeps it),
    ``exp_avg``, ``exp_avg_sq``.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        check_common("NAdam", lr=lr, eps=eps, weight_decay=weight_decay)
        betas = check_betas("NAdam", betas)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"NAdam: Invalid momentum_decay value: {momentum_decay} "
                             "(expected >= 0)")
        check_unsupported("NAdam", differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one update of every parameter that has a gradient; returns the closure's loss."""
        loss = call_closure(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = (float(b) for b in group["betas"])
            psi = group["momentum_decay"]
            for p, g in params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["mu_product"] = scalar_state(1.0, p._data)
                    state["exp_avg"] = self._zeros_state(p)
                    state["exp_avg_sq"] = self._zeros_state(p)
                state["step"] += 1
                step = state["step"]
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
                mu_product = state["mu_product"]._data
                mu_product *= mu                        # in the state's own precision
                prod = float(mu_product)
                a = p._data
                run_elementwise(_nadam_kernel,
                                (a, g, state["exp_avg"]._data, state["exp_avg_sq"]._data,
                                 *self._scratch(a, 3)),
                                lr=lr, wd=group["weight_decay"],
                                decoupled=group["decoupled_weight_decay"],
                                maximize=group["maximize"], beta1=beta1, beta2=beta2,
                                eps=group["eps"], bc2=1 - beta2 ** step,
                                c_grad=-lr * (1.0 - mu) / (1.0 - prod),
                                c_avg=(-lr * mu_next) / (1.0 - prod * mu_next))
        return loss


def _nadam_kernel(p, g, m, v, s, t, u, *, lr, wd, decoupled, maximize, beta1, beta2, eps, bc2,
                  c_grad, c_avg):
    xp = backend.array_module(p)
    d = adam_moments(p, g, m, v, s, u, lr=lr, wd=wd, decoupled=decoupled, maximize=maximize,
                     beta1=beta1, beta2=beta2)
    xp.divide(v, bc2, out=t)                             # denom = sqrt(v / bc2) + eps
    xp.sqrt(t, out=t)
    t += eps
    xp.multiply(d, c_grad, out=s)                        # param.addcdiv_(grad, denom, c_grad)
    s /= t
    p += s
    xp.multiply(m, c_avg, out=s)                         # param.addcdiv_(exp_avg, denom, c_avg)
    s /= t
    p += s
