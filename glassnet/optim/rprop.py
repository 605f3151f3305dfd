"""Rprop: resilient backpropagation (Riedmiller & Braun, 1993)."""

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


class Rprop(Optimizer):
    r"""Rprop (``torch.optim.Rprop``): every weight has its own step size, adapted from the *sign*
    of its gradient alone; the gradient's magnitude is never used.

    For each coordinate, with ``s = sign(g_t * g_{t-1})``::

        step_size <- clamp(step_size * (eta_plus  if s > 0      (same sign: accelerate)
                                        eta_minus if s < 0      (sign flip: overshot, brake)
                                        1         if s == 0),
                           step_size_min, step_size_max)
        g_t <- 0 where s < 0                     (and skip this coordinate's move)
        theta <- theta - sign(g_t) * step_size

    Designed for full-batch training: mini-batch noise flips gradient signs at random.

    Args:
        params: iterable of parameters or dicts defining parameter groups.
        lr: the initial step size of every coordinate (default 1e-2).
        etas: (eta_minus, eta_plus), the multiplicative decrease and increase (default (0.5, 1.2)).
        step_sizes: (minimum, maximum) step size (default (1e-6, 50)).
        maximize: maximise the objective instead of minimising it.
        foreach, capturable, differentiable: accepted for compatibility.

    State per parameter: ``step``, ``prev`` (last gradient, zeroed where it flipped),
    ``step_size``.
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_common("Rprop", lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Rprop: Invalid eta values: {etas[0]}, {etas[1]} "
                             "(expected 0 < eta_minus < 1 < eta_plus)")
        check_unsupported("Rprop", differentiable)
        defaults = {"lr": lr, "etas": tuple(etas), "step_sizes": tuple(step_sizes),
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one update of every parameter that has a gradient; returns the closure's loss."""
        loss = call_closure(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            smin, smax = group["step_sizes"]
            for p, g in params_with_grad(group):
                state = self.state[p]
                a = p._data
                if len(state) == 0:
                    xp = backend.array_module(a)
                    state["step"] = 0
                    state["prev"] = self._zeros_state(p)
                    state["step_size"] = self._zeros_state(p)
                    state["step_size"]._data[...] = xp.asarray(float(group["lr"]), dtype=a.dtype)
                state["step"] += 1
                run_elementwise(_rprop_kernel,
                                (a, g, state["prev"]._data, state["step_size"]._data,
                                 *self._scratch(a, 2)),
                                maximize=group["maximize"], etaminus=etaminus, etaplus=etaplus,
                                smin=smin, smax=smax)
        return loss


def _rprop_kernel(p, g, prev, step_size, s, t, *, maximize, etaminus, etaplus, smin, smax):
    xp = backend.array_module(p)
    d = effective_grad(g, p, 0, maximize, t)
    xp.multiply(d, prev, out=s)                          # sign = grad.mul(prev).sign()
    xp.sign(s, out=s)
    flipped = s < 0
    xp.copyto(s, etaplus, where=s > 0)                   # sign[sign > 0] = etaplus
    xp.copyto(s, etaminus, where=flipped)                # sign[sign < 0] = etaminus
    xp.copyto(s, 1, where=s == 0)                        # sign[sign == 0] = 1
    step_size *= s                                       # step_size.mul_(sign).clamp_(...)
    xp.clip(step_size, smin, smax, out=step_size)
    if d is not t:
        xp.copyto(t, d)                                  # grad = grad.clone()
    xp.copyto(t, 0, where=flipped)                       # grad[sign == etaminus] = 0
    xp.sign(t, out=s)                                    # param.addcmul_(grad.sign(), step_size,
    s *= -1                                              #                value=-1)
    s *= step_size
    p += s
    xp.copyto(prev, t)                                   # prev.copy_(grad)
