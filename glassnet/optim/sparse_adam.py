"""SparseAdam: Adam that touches only the entries a gradient actually has."""

from __future__ import annotations

import math

from glassnet import backend
from glassnet.optim.optimizer import (
    Optimizer,
    call_closure,
    check_betas,
    params_with_grad,
)


class SparseAdam(Optimizer):
    r"""SparseAdam (``torch.optim.SparseAdam``): Adam masked to the gradient's entries.

    Where Adam decays both moments of *every* entry at every step, SparseAdam updates the moments
    and the parameter only at the entries present in the gradient (for an embedding table: the
    rows looked up in this batch); the other entries keep their moments unchanged. On those
    entries, at step ``t`` of that parameter::

        m <- m + (1 - beta1) (g - m);   v <- v + (1 - beta2) (g^2 - v)
        theta <- theta - lr sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps)

    glassnet has no sparse tensor layout: gradients are dense, and the entries present are the
    non-zero ones, which is what PyTorch's SparseAdam does with ``grad.to_sparse()`` (PyTorch
    itself rejects dense gradients). A gradient with no non-zero entry leaves the parameter and
    its moments alone but still counts a step, as in PyTorch.

    Args:
        params: iterable of parameters or dicts defining parameter groups.
        lr: learning rate (default 1e-3).
        betas: decay rates of ``m`` and ``v`` (default (0.9, 0.999)).
        eps: added to the denominator (default 1e-8).
        maximize: maximise the objective instead of minimising it.

    State per parameter: ``step``, ``exp_avg``, ``exp_avg_sq``.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        if not 0.0 < lr:
            raise ValueError(f"SparseAdam: Invalid learning rate: {lr} (expected lr > 0)")
        if not 0.0 < eps:
            raise ValueError(f"SparseAdam: Invalid epsilon value: {eps} (expected eps > 0)")
        betas = check_betas("SparseAdam", betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "maximize": maximize}
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
                step_size = lr * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
                _sparse_adam_update(p._data, g, state["exp_avg"]._data, state["exp_avg_sq"]._data,
                                    maximize=group.get("maximize", False), beta1=beta1,
                                    beta2=beta2, eps=group["eps"], step_size=step_size)
        return loss


def _sparse_adam_update(p, g, m, v, *, maximize, beta1, beta2, eps, step_size):
    """PyTorch's ``_functional.sparse_adam`` on the non-zero entries of a dense gradient."""
    xp = backend.array_module(p)
    mask = g != 0
    values = g[mask]
    if values.size == 0:
        return
    if maximize:
        values = -values
    old_m = m[mask]
    m_update = (values - old_m) * (1 - beta1)            # exp_avg += (1 - b1) (g - exp_avg)
    m[mask] = old_m + m_update
    old_v = v[mask]
    v_update = values * values                           # exp_avg_sq += (1 - b2) (g^2 - ...)
    v_update -= old_v
    v_update *= 1 - beta2
    v[mask] = old_v + v_update
    numer = m_update + old_m
    v_update += old_v                                    # denom = sqrt(v) + eps
    denom = xp.sqrt(v_update, out=v_update)
    denom += eps
    numer /= denom
    p[mask] += numer * (-step_size)                      # param.add_(-step_size * numer/denom)
