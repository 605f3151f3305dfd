"""Adafactor: Adam-like steps with factored second moments (Shazeer & Stern, 2018)."""

from __future__ import annotations

from glassnet import backend
from glassnet.optim.adam import lerp_
from glassnet.optim.optimizer import Optimizer, _wrap, call_closure, params_with_grad


class Adafactor(Optimizer):
    r"""Adafactor (``torch.optim.Adafactor``, PyTorch's formulation): memory-light adaptive steps.

    For a matrix gradient ``G`` (n x m; the last two dimensions of a larger tensor), Adam's
    n*m second moments are replaced by a row mean ``R`` (n x 1) and a column mean ``C`` (1 x m),
    whose outer product, divided by the mean of ``R``, estimates ``V``. Step ``t``::

        beta2_t = 1 - t^beta2_decay;   rho_t = min(lr, 1 / sqrt(t))
        alpha_t = max(eps2, RMS(theta)) * rho_t           (step relative to the weights' scale)
        theta  <- theta * (1 - lr * weight_decay)
        R <- lerp(R, mean_j G_ij^2, 1 - beta2_t);   C <- lerp(C, mean_i G_ij^2, 1 - beta2_t)
        V^ = R C / max(mean(R), eps1)                  (vectors: V <- lerp(V, g^2, 1 - beta2_t))
        U  = G / sqrt(max(V^, eps1^2))
        theta <- theta - alpha_t / max(1, RMS(U) / d) * U   (update clipping at threshold d)

    There is no first moment. ``eps1`` defaults to the machine epsilon of the parameter's dtype.

    Args:
        params: iterable of parameters or dicts defining parameter groups.
        lr: upper bound of the relative step ``rho_t`` (default 1e-2).
        beta2_decay: exponent of the second-moment decay schedule (default -0.8).
        eps: (eps1, eps2) (default (None, 1e-3)).
        d: update clipping threshold (default 1.0).
        weight_decay: decoupled weight decay (default 0).
        maximize: maximise the objective instead of minimising it.
        foreach: accepted for compatibility.

    State per parameter: ``step``, and ``row_var`` and ``col_var`` (tensors of 2 or more
    dimensions) or ``variance`` (vectors and scalars).
    """

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, foreach=None, maximize=False):
        name = "Adafactor"
        if not 0.0 <= lr:
            raise ValueError(f"{name}: Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"{name}: beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"{name}: epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"{name}: epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"{name}: Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"{name}: weight_decay should be >= 0 but is: {weight_decay}")
        defaults = {"lr": lr, "beta2_decay": beta2_decay, "eps": tuple(eps), "d": d,
                    "weight_decay": weight_decay, "foreach": foreach, "maximize": maximize}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform one update of every parameter that has a gradient; returns the closure's loss."""
        loss = call_closure(closure)
        for group in self.param_groups:
            for p, g in params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    xp = backend.array_module(p._data)
                    state["step"] = 0
                    if g.ndim > 1:
                        state["row_var"] = self._wrap_zeros(xp, g.shape[:-1] + (1,), g.dtype)
                        state["col_var"] = self._wrap_zeros(
                            xp, g.shape[:-2] + (1, g.shape[-1]), g.dtype)
                    else:
                        state["variance"] = self._zeros_state(p)
                state["step"] += 1
                _adafactor_update(p._data, g, state, lr=float(group["lr"]),
                                  beta2_decay=group["beta2_decay"], eps=group["eps"],
                                  d=group["d"], wd=group["weight_decay"],
                                  maximize=group["maximize"])
        return loss

    @staticmethod
    def _wrap_zeros(xp, shape, dtype):
        return _wrap(xp.zeros(shape, dtype=dtype))


def _norm(x, xp, **kw):
    """``torch.norm(x, ...)``: the square root of the sum of squares."""
    return xp.sqrt(xp.sum(x * x, **kw))


def _adafactor_update(p, g, state, *, lr, beta2_decay, eps, d, wd, maximize):
    xp = backend.array_module(p)
    if maximize:
        g = -g
    eps1, eps2 = eps
    if eps1 is None:
        eps1 = float(xp.finfo(p.dtype).eps)
    step = float(state["step"])
    one_minus_beta2_t = step ** beta2_decay
    rho_t = min(lr, 1 / (step ** 0.5))
    alpha = max(eps2, float(_norm(p, xp)) / (p.size ** 0.5)) * rho_t
    if wd != 0:
        p *= 1 - lr * wd                                 # decoupled weight decay
    if g.ndim > 1:
        row_var, col_var = state["row_var"]._data, state["col_var"]._data
        row_mean = _norm(g, xp, axis=-1, keepdims=True) ** 2 / g.shape[-1]
        lerp_(row_var, row_mean, one_minus_beta2_t, xp.empty_like(row_var))
        col_mean = _norm(g, xp, axis=-2, keepdims=True) ** 2 / g.shape[-2]
        lerp_(col_var, col_mean, one_minus_beta2_t, xp.empty_like(col_var))
        var_estimate = xp.matmul(row_var, col_var)     # outer product R C
        var_estimate /= xp.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
    else:
        variance = state["variance"]._data
        lerp_(variance, g * g, one_minus_beta2_t, xp.empty_like(variance))
        var_estimate = variance.copy()
    update = xp.maximum(var_estimate, eps1 * eps1, out=var_estimate)
    xp.sqrt(update, out=update)                          # rsqrt
    xp.reciprocal(update, out=update)
    update *= g
    denom = max(1.0, float(_norm(update, xp)) / ((update.size ** 0.5) * d))
    update *= -alpha / denom                             # param.add_(update, alpha=-alpha/denom)
    p += update
