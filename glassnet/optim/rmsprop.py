"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

from __future__ import annotations

from glassnet import backend
from glassnet.optim._elementwise import effective_grad, run_elementwise
from glassnet.optim.adam import lerp_
from glassnet.optim.optimizer import (
    Optimizer,
    call_closure,
    check_common,
    check_unsupported,
    params_with_grad,
)


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e; ``torch.optim.RMSprop``).

    Adagrad with a forgetting sum: the squared gradients are averaged with decay ``alpha``, so the
    step size adapts to the recent gradient scale instead of shrinking forever::

        g  <- g + weight_decay * theta
        v  <- alpha * v + (1 - alpha) * g^2
        ḡ  <- lerp(ḡ, g, 1 - alpha);  v~ = v - ḡ^2    (centered: estimate the variance)
        a   = sqrt(v~ if centered else v) + eps
        b  <- momentum * b + g / a;   theta <- theta - lr * b     (momentum > 0)
        theta <- theta - lr * g / a                                 (otherwise)

    Args:
        params: iterable of parameters or dicts defining parameter groups.
        lr: learning rate (default 1e-2).
        alpha: smoothing constant (default 0.99).
        eps: added to the denominator (default 1e-8).
        weight_decay: L2 penalty (default 0).
        momentum: momentum factor (default 0).
        centered: normalise by the estimated variance instead of the raw second moment.
        maximize: maximise the objective instead of minimising it.
        foreach, capturable, differentiable: accepted for compatibility.

    State: ``step``, ``square_avg`` (and ``momentum_buffer``, ``grad_avg``).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        check_common("RMSprop", lr=lr, eps=eps, weight_decay=weight_decay)
        if not 0.0 <= momentum:
            raise ValueError(f"RMSprop: Invalid momentum value: {momentum} (expected >= 0)")
        if not 0.0 <= alpha:
            raise ValueError(f"RMSprop: Invalid alpha value: {alpha} (expected >= 0)")
        check_unsupported("RMSprop", differentiable)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay, "capturable": capturable,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one update of every parameter that has a gradient; returns the closure's loss."""
        loss = call_closure(closure)
        for group in self.param_groups:
            momentum, centered = group["momentum"], group["centered"]
            for p, g in params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["square_avg"] = self._zeros_state(p)
                    if momentum > 0:
                        state["momentum_buffer"] = self._zeros_state(p)
                    if centered:
                        state["grad_avg"] = self._zeros_state(p)
                state["step"] += 1
                a = p._data
                buf = state["momentum_buffer"]._data if momentum > 0 else None
                gavg = state["grad_avg"]._data if centered else None
                run_elementwise(_rmsprop_kernel,
                                (a, g, state["square_avg"]._data, gavg, buf, *self._scratch(a, 3)),
                                lr=float(group["lr"]), wd=group["weight_decay"],
                                maximize=group["maximize"], alpha=group["alpha"],
                                eps=group["eps"], momentum=momentum)
        return loss


def _rmsprop_kernel(p, g, sq, gavg, buf, s, t, u, *, lr, wd, maximize, alpha, eps, momentum):
    xp = backend.array_module(p)
    d = effective_grad(g, p, wd, maximize, u)
    xp.multiply(d, 1 - alpha, out=s)                     # square_avg.mul_(alpha)
    s *= d                                               #   .addcmul_(grad, grad, 1 - alpha)
    sq *= alpha
    sq += s
    if gavg is not None:
        lerp_(gavg, d, 1 - alpha, s)                     # grad_avg.lerp_(grad, 1 - alpha)
        xp.multiply(gavg, gavg, out=t)                   # avg = sqrt(v - grad_avg^2)
        xp.subtract(sq, t, out=t)
        xp.sqrt(t, out=t)
    else:
        xp.sqrt(sq, out=t)
    t += eps
    if buf is not None:
        buf *= momentum                                  # buf.mul_(momentum).addcdiv_(grad, avg)
        xp.divide(d, t, out=s)
        buf += s
        xp.multiply(buf, -lr, out=s)                     # param.add_(buf, alpha=-lr)
    else:
        xp.multiply(d, -lr, out=s)                       # param.addcdiv_(grad, avg, -lr)
        s /= t
    p += s
