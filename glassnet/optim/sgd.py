"""SGD: stochastic gradient descent, with momentum and Nesterov momentum."""

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
    required,
)


class SGD(Optimizer):
    r"""Stochastic gradient descent (``torch.optim.SGD``).

    The lectures' mini-batch SGD takes a step against the gradient of the loss on a batch,
    :math:`\theta \leftarrow \theta - \eta\, g`. Momentum keeps a running velocity so steps build up
    along directions where the gradient is consistent and cancel where it oscillates::

        g  <- g + weight_decay * theta                  (L2 regularisation)
        b  <- g                       on the first step
        b  <- momentum * b + (1 - dampening) * g        afterwards
        g  <- g + momentum * b   if nesterov  else  b   (Nesterov looks ahead along b)
        theta <- theta - lr * g

    (``maximize=True`` uses -g: gradient ascent.) This is PyTorch's formulation, where the
    learning rate multiplies the whole velocity, rather than Sutskever et al.'s, where it is
    folded into the velocity; they agree while the learning rate is constant.

    Args:
        params: iterable of parameters or dicts defining parameter groups.
        lr: learning rate (default 1e-3).
        momentum: momentum factor (default 0).
        dampening: dampening for momentum (default 0).
        weight_decay: L2 penalty (default 0).
        nesterov: enable Nesterov momentum (needs momentum > 0 and dampening = 0).
        maximize: maximise the objective instead of minimising it.
        foreach, differentiable, fused: accepted for compatibility (one implementation here).
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        check_common("SGD", lr=lr if lr is not required else None, weight_decay=weight_decay)
        if momentum < 0.0:
            raise ValueError(f"SGD: Invalid momentum value: {momentum} (expected >= 0)")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening, got "
                             f"momentum={momentum}, dampening={dampening}")
        check_unsupported("SGD", differentiable)
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one update of every parameter that has a gradient; returns the closure's loss."""
        loss = call_closure(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            momentum = group["momentum"]
            wd = group["weight_decay"]
            maximize = group["maximize"]
            for p, g in params_with_grad(group):
                a = p._data
                s, t = self._scratch(a, 2)
                if momentum == 0:
                    run_elementwise(_sgd_plain, (a, g, s), lr=lr, wd=wd, maximize=maximize)
                    continue
                state = self.state[p]
                buf = state.get("momentum_buffer")
                if buf is None:
                    # the first step's buffer is the gradient itself (no dampening applied)
                    d = effective_grad(g, a, wd, maximize, s)
                    buf = _wrap(backend.array_module(a).array(d, copy=True))
                    state["momentum_buffer"] = buf
                    first = True
                else:
                    first = False
                run_elementwise(_sgd_momentum, (a, g, buf._data, s, t), lr=lr, wd=wd,
                                maximize=maximize, momentum=momentum,
                                dampening=group["dampening"], nesterov=group["nesterov"],
                                first=first)
        return loss


def _sgd_plain(p, g, s, *, lr, wd, maximize):
    d = effective_grad(g, p, wd, maximize, s)
    backend.array_module(p).multiply(d, -lr, out=s)    # param.add_(grad, alpha=-lr)
    p += s


def _sgd_momentum(p, g, buf, s, t, *, lr, wd, maximize, momentum, dampening, nesterov, first):
    xp = backend.array_module(p)
    d = effective_grad(g, p, wd, maximize, s)
    if not first:
        buf *= momentum                                  # buf.mul_(momentum)
        if dampening == 0:
            buf += d                                     # .add_(grad, alpha=1 - dampening)
        else:
            xp.multiply(d, 1 - dampening, out=t)
            buf += t
    if nesterov:
        xp.multiply(buf, momentum, out=t)                # grad.add(buf, alpha=momentum)
        t += d
        d = t
    else:
        d = buf
    xp.multiply(d, -lr, out=s)                           # param.add_(grad, alpha=-lr)
    p += s
