"""``glassnet.autograd.gradcheck``: compare backward with central finite differences.

For a function f of tensors x_1..x_m with outputs y_1..y_n, the Jacobian block dy_o/dx_i is built
twice: numerically, column by column, from (f(x + eps e_j) - f(x - eps e_j)) / (2 eps), and
analytically, row by row, from the vector-Jacobian product that backward computes for the unit
vector e_k on y_o. They must agree within ``|analytic - numerical| <= atol + rtol |numerical|``.
Use float64 inputs: float32 rounding swamps a small ``eps``.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import autograd


class GradcheckError(RuntimeError):
    """The analytical and numerical Jacobians differ."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(func, ins):
    Tensor = autograd._Tensor
    return [o for o in _as_tuple(func(*ins))
            if isinstance(o, Tensor) and o.dtype.kind in "fc"]


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **_options):
    """True when ``func``'s gradients with respect to every input that requires grad match
    central finite differences; otherwise raise ``GradcheckError`` (or return False with
    ``raise_exception=False``). Options of PyTorch's gradcheck not listed here are accepted and
    ignored (glassnet checks reverse mode only)."""
    Tensor = autograd._Tensor
    ins = _as_tuple(inputs)
    diff = [t for t in ins if isinstance(t, Tensor) and t.requires_grad]
    if not diff:
        raise ValueError("gradcheck: no input requires grad (pass tensors with requires_grad=True)")
    if any(t.dtype != np.float64 for t in diff):
        warnings.warn("gradcheck: inputs are not float64; the check is likely to fail from "
                      "rounding alone", UserWarning, stacklevel=2)
    with autograd.enable_grad():
        outs = _outputs(func, ins)
    for oi, out in enumerate(outs):
        y = out._data
        for xi, x in enumerate(diff):
            data = x._data
            numeric = np.zeros((y.size, data.size))
            flat = data.reshape(-1)  # a view: perturbing it perturbs x
            for j in range(data.size):
                orig = flat[j].item()
                with autograd.no_grad():
                    flat[j] = orig + eps
                    plus = np.asarray(_outputs(func, ins)[oi]._data, dtype=np.float64).reshape(-1)
                    flat[j] = orig - eps
                    minus = np.asarray(_outputs(func, ins)[oi]._data, dtype=np.float64).reshape(-1)
                    flat[j] = orig
                numeric[:, j] = (plus - minus) / (2 * eps)
            analytic = np.zeros_like(numeric)
            for k in range(y.size):
                seed = np.zeros(y.size, dtype=y.dtype)
                seed[k] = 1
                (g,) = autograd.grad(out, x, grad_outputs=Tensor._make(seed.reshape(y.shape), False),
                                     retain_graph=True, allow_unused=True)
                if g is not None:
                    analytic[k] = np.asarray(g._data, dtype=np.float64).reshape(-1)
            if not np.allclose(analytic, numeric, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                raise GradcheckError(
                    f"gradcheck: Jacobian mismatch for output {oi} with respect to input {xi},\n"
                    f"numerical:\n{numeric}\nanalytical:\n{analytic}")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, **_options):
    """Second-order checks need ``create_graph=True``, which glassnet's engine does not support
    (its backward formulas run on raw arrays, outside the graph)."""
    raise NotImplementedError("gradgradcheck: higher-order gradients (create_graph=True) are not "
                              "supported by glassnet")
