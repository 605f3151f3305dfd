"""L-BFGS: a quasi-Newton method from the last few gradient differences (Nocedal, 1980)."""

from __future__ import annotations

from glassnet import backend
from glassnet.optim._strong_wolfe import strong_wolfe
from glassnet.optim.optimizer import Optimizer, _wrap, call_closure
from glassnet.tensor import Tensor


class LBFGS(Optimizer):
    r"""L-BFGS (``torch.optim.LBFGS``), after minFunc, operation for operation as PyTorch.

    Newton's method steps by ``-H^{-1} g``; BFGS builds an estimate of ``H^{-1}`` from the pairs
    ``s_k = theta_{k+1} - theta_k``, ``y_k = g_{k+1} - g_k`` (a secant condition
    ``H^{-1} y_k = s_k``); L-BFGS keeps only the last ``history_size`` pairs and applies the
    estimate with the two-loop recursion::

        q <- -g
        for k = newest .. oldest:  a_k = rho_k s_k.q;   q <- q - a_k y_k      (rho_k = 1/(y_k.s_k))
        r <- (s.y / y.y) q                                (initial scaling, of the newest pair)
        for k = oldest .. newest:  b = rho_k y_k.r;      r <- r + (a_k - b) s_k
        direction d = r

    One ``step(closure)`` runs up to ``max_iter`` such iterations, each moving by ``t * d``: a
    fixed ``t = lr`` (``line_search_fn=None``; the first iteration ever uses
    ``min(1, 1/|g|_1) * lr``), or ``t`` from a line search satisfying the strong Wolfe
    conditions (``line_search_fn='strong_wolfe'``). It stops early when the gradient, the step or
    the change of the loss falls below the tolerances.

    The closure must clear the gradients, compute the loss, call ``backward()`` and return the
    loss; it is called several times per step.

    Args:
        params: iterable of parameters (one group only).
        lr: learning rate (default 1).
        max_iter: iterations per ``step`` (default 20).
        max_eval: function evaluations per ``step`` (default ``max_iter * 5 // 4``).
        tolerance_grad: stop when ``max |g| <= tolerance_grad`` (default 1e-7).
        tolerance_change: stop when the step or the loss changes by less (default 1e-9).
        history_size: pairs ``(s, y)`` kept (default 100).
        line_search_fn: ``None`` or ``'strong_wolfe'``.

    State (of the first parameter, as PyTorch): ``func_evals``, ``n_iter``, ``d``, ``t``,
    ``old_dirs``, ``old_stps``, ``ro``, ``H_diag``, ``prev_flat_grad``, ``prev_loss``, ``al``.
    Memory: ``2 * history_size + 3`` vectors of the parameters' total size.
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        if not (isinstance(lr, Tensor) or 0.0 <= lr):
            raise ValueError(f"LBFGS: Invalid learning rate: {lr} (expected lr >= 0)")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got "
                             f"{line_search_fn!r}")
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                    "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
                    "history_size": history_size, "line_search_fn": line_search_fn}
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    # ------------------------------------------------------------------ flat views
    def _flat_grad(self):
        xp = backend.array_module(self._params[0]._data)
        views = []
        for p in self._params:
            if p.grad is None:
                views.append(xp.zeros(p._data.size, dtype=p._data.dtype))
            else:
                g = p.grad._data if isinstance(p.grad, Tensor) else p.grad
                views.append(g.reshape(-1))
        return xp.concatenate(views)

    def _add_grad(self, step_size, update):
        """theta <- theta + step_size * update, over the parameters laid end to end."""
        offset = 0
        for p in self._params:
            a = p._data
            n = a.size
            a += update[offset:offset + n].reshape(a.shape) * a.dtype.type(step_size)
            offset += n

    def _clone_param(self):
        return [p._data.copy() for p in self._params]

    def _set_param(self, params_data):
        for p, pdata in zip(self._params, params_data):
            p._data[...] = pdata

    def _directional_evaluate(self, closure, x, t, d):
        self._add_grad(t, d)
        loss = float(call_closure(closure))
        flat_grad = self._flat_grad()
        self._set_param(x)
        return loss, flat_grad

    # ------------------------------------------------------------------ the step
    def step(self, closure):
        """Run up to ``max_iter`` L-BFGS iterations; returns the loss before the first one."""
        if closure is None:
            raise RuntimeError("LBFGS.step: a closure that re-evaluates the loss is required")
        group = self.param_groups[0]
        lr = float(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = call_closure(closure)
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        xp = backend.array_module(flat_grad)
        dt = flat_grad.dtype.type                 # PyTorch's 0-d tensors: scalars of this dtype
        if xp.abs(flat_grad).max() <= tolerance_grad:
            return orig_loss

        d = _array(state.get("d"), flat_grad)
        t = _scalar(state.get("t"), dt)
        old_dirs = [_array(v, flat_grad) for v in state.get("old_dirs") or ()]
        old_stps = [_array(v, flat_grad) for v in state.get("old_stps") or ()]
        ro = [_scalar(v, dt) for v in state.get("ro") or ()]
        H_diag = _scalar(state.get("H_diag"), dt)
        prev_flat_grad = _array(state.get("prev_flat_grad"), flat_grad)
        prev_loss = state.get("prev_loss")
        al = [_scalar(v, dt) for v in state["al"]] if "al" in state else None

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            # ---- the direction: steepest descent first, then the two-loop recursion
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = xp.dot(y, s)                    # y . s > 0: the curvature condition
                if ys > 1e-10:
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / xp.dot(y, y)
                num_old = len(old_dirs)
                if al is None:
                    al = [None] * history_size
                q = -flat_grad
                for i in range(num_old - 1, -1, -1):
                    al[i] = xp.dot(old_stps[i], q) * ro[i]
                    q += old_dirs[i] * dt(-al[i])
                d = r = q * dt(H_diag)
                for i in range(num_old):
                    be_i = xp.dot(old_dirs[i], r) * ro[i]
                    r += old_stps[i] * dt(al[i] - be_i)
            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                prev_flat_grad[...] = flat_grad
            prev_loss = loss
            # ---- the step length
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / xp.abs(flat_grad).sum()) * lr
            else:
                t = lr
            gtd = xp.dot(flat_grad, d)               # directional derivative
            if gtd > -tolerance_change:
                break
            ls_func_evals = 0
            if line_search_fn is not None:
                x_init = self._clone_param()

                def obj_func(x, t, d):
                    return self._directional_evaluate(closure, x, t, d)

                loss, flat_grad, t, ls_func_evals = strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = xp.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add_grad(t, d)
                if n_iter != max_iter:
                    loss = float(call_closure(closure))
                    flat_grad = self._flat_grad()
                    opt_cond = xp.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals
            # ---- stopping conditions
            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if xp.abs(d * t).max() <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state["d"] = _wrap(d)
        state["t"] = float(t)
        state["old_dirs"] = [_wrap(v) for v in old_dirs]
        state["old_stps"] = [_wrap(v) for v in old_stps]
        state["ro"] = [float(v) for v in ro]
        state["H_diag"] = float(H_diag)
        state["prev_flat_grad"] = _wrap(prev_flat_grad)
        state["prev_loss"] = prev_loss
        if al is not None:
            state["al"] = [None if v is None else float(v) for v in al]
        return orig_loss


def _array(value, like):
    """A state vector as an array on ``like``'s device and dtype (None stays None)."""
    if value is None:
        return None
    if isinstance(value, Tensor):
        value = value._data
    elif hasattr(value, "detach") and hasattr(value, "numpy"):      # another framework's tensor
        value = value.detach().cpu().numpy()
    xp = backend.array_module(like)
    return xp.array(backend.to_device(value, backend.device_of(like)), dtype=like.dtype)


def _scalar(value, dt):
    """A state scalar as a scalar of the parameters' dtype (None stays None)."""
    if value is None:
        return None
    return dt(float(value.item() if hasattr(value, "item") else value))
