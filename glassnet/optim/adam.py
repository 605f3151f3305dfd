"""Adam: adaptive moment estimation (Kingma & Ba, 2015), with AMSGrad."""

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


class Adam(Optimizer):
    r"""Adam (``torch.optim.Adam``): momentum on the gradient, scaled per coordinate by a running
    estimate of the gradient's magnitude — in the lectures' words, "Adam adds momentum to
    RMSprop".

    Step ``t`` (counting from 1), for each parameter::

        g  <- g + weight_decay * theta             (L2 penalty; AdamW decouples it instead)
        m  <- beta1 * m + (1 - beta1) * g          (first moment: a momentum, via lerp)
        v  <- beta2 * v + (1 - beta2) * g^2        (second moment)
        v_max <- max(v_max, v)                     (amsgrad only; then v_max replaces v below)
        theta <- theta - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    The bias corrections undo the zero initialisation of ``m`` and ``v``. Coordinates with
    consistently large gradients take smaller steps; rare or small ones take larger steps — the
    per-parameter learning rates the course's "making it work" slides motivate.

    Args:
        params: iterable of parameters or dicts defining parameter groups.
        lr: learning rate (default 1e-3).
        betas: decay rates of the first and second moment (default (0.9, 0.999)).
        eps: added to the denominator for numerical stability (default 1e-8).
        weight_decay: L2 penalty added to the gradient (default 0).
        amsgrad: use the running maximum of ``v`` (Reddi et al., 2018).
        maximize: maximise the objective instead of minimising it.
        decoupled_weight_decay: shrink the weights directly (AdamW) instead of adding an L2
            gradient.
        foreach, capturable, differentiable, fused: accepted for compatibility.

    State per parameter: ``step`` (int), ``exp_avg``, ``exp_avg_sq`` (and ``max_exp_avg_sq``).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        name = type(self).__name__
        check_common(name, lr=lr, eps=eps, weight_decay=weight_decay)
        for i, b in enumerate(betas):
            if not 0.0 <= float(b) < 1.0:
                raise ValueError(f"{name}: Invalid beta parameter at index {i}: {b} "
                                 "(expected 0 <= beta < 1)")
        check_unsupported(name, differentiable)
        defaults = {"lr": lr, "betas": tuple(float(b) for b in betas), "eps": eps,
                    "weight_decay": weight_decay, "amsgrad": amsgrad, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one update of every parameter that has a gradient; returns the closure's loss."""
        loss = call_closure(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = (float(b) for b in group["betas"])
            eps = group["eps"]
            wd = group["weight_decay"]
            amsgrad = group["amsgrad"]
            decoupled = group.get("decoupled_weight_decay", False)
            for p, g in params_with_grad(group):
                a = p._data
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = self._zeros_state(p)
                    state["exp_avg_sq"] = self._zeros_state(p)
                    if amsgrad:
                        state["max_exp_avg_sq"] = self._zeros_state(p)
                state["step"] += 1
                step = state["step"]
                # scalars in Python floats, as PyTorch computes them
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                step_size = lr / bias_correction1
                bias_correction2_sqrt = bias_correction2 ** 0.5
                vmax = state["max_exp_avg_sq"]._data if amsgrad else None
                run_elementwise(_adam_kernel,
                                (a, g, state["exp_avg"]._data, state["exp_avg_sq"]._data, vmax,
                                 *self._scratch(a, 3)),
                                lr=lr, wd=wd, decoupled=decoupled, maximize=group["maximize"],
                                beta1=beta1, beta2=beta2, eps=eps, step_size=step_size,
                                bc2_sqrt=bias_correction2_sqrt)
        return loss


def lerp_(m, end, weight, tmp):
    """``m.lerp_(end, weight)`` with PyTorch's two-sided formula (exact at weight 0 and 1)."""
    xp = backend.array_module(m)
    w = m.dtype.type(weight)           # the weight in the array's precision, as PyTorch's kernel
    xp.subtract(end, m, out=tmp)
    if abs(w) < 0.5:
        tmp *= w                       # m + weight * (end - m)
        m += tmp
    else:
        tmp *= 1 - w                   # end - (end - m) * (1 - weight)
        xp.subtract(end, tmp, out=m)


def adam_moments(p, g, m, v, s, u, *, lr, wd, decoupled, maximize, beta1, beta2):
    """The part Adam, NAdam and RAdam share, in place: weight decay (L2 into the gradient, or
    decoupled onto p), then m = lerp(m, grad, 1 - beta1) and v = beta2 v + (1 - beta2) grad^2.
    ``s`` and ``u`` are scratch arrays the size of p. Returns the gradient used (with L2 decay
    and ``maximize`` applied)."""
    xp = backend.array_module(p)
    if wd != 0 and decoupled:
        p *= 1 - lr * wd                                 # param.mul_(1 - lr * weight_decay)
        d = effective_grad(g, p, 0, maximize, u)
    else:
        d = effective_grad(g, p, wd, maximize, u)
    lerp_(m, d, 1 - beta1, s)                            # exp_avg.lerp_(grad, 1 - beta1)
    xp.multiply(d, 1 - beta2, out=s)                     # exp_avg_sq.mul_(beta2)
    s *= d                                               #   .addcmul_(grad, grad, 1 - beta2)
    v *= beta2
    v += s
    return d


def _adam_kernel(p, g, m, v, vmax, s, t, u, *, lr, wd, decoupled, maximize, beta1, beta2, eps,
                 step_size, bc2_sqrt):
    xp = backend.array_module(p)
    adam_moments(p, g, m, v, s, u, lr=lr, wd=wd, decoupled=decoupled, maximize=maximize,
                 beta1=beta1, beta2=beta2)
    if vmax is not None:
        xp.maximum(vmax, v, out=vmax)
        v = vmax
    xp.sqrt(v, out=t)                                    # denom = sqrt(v) / bc2_sqrt + eps
    t /= bc2_sqrt
    t += eps
    xp.multiply(m, -step_size, out=s)                    # param.addcdiv_(m, denom, -step_size)
    s /= t
    p += s
