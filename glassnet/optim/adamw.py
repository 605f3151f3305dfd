"""AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, 2019)."""

from __future__ import annotations

from glassnet.optim.adam import Adam


class AdamW(Adam):
    r"""AdamW (``torch.optim.AdamW``): Adam whose weight decay shrinks the weights directly.

    Adam with an L2 penalty adds ``weight_decay * theta`` to the gradient, and the adaptive
    denominator then rescales that decay per coordinate, so weights with large gradients are
    barely regularised. AdamW takes the decay out of the gradient::

        theta <- theta * (1 - lr * weight_decay)         (decoupled decay, before the Adam step)
        m, v  <- Adam's moment updates of the raw gradient g
        theta <- theta - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    Same arguments as :class:`Adam`, except ``weight_decay`` defaults to 1e-2 and is always
    decoupled.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
