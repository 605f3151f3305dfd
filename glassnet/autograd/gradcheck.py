"""``gradcheck`` and ``gradgradcheck``: compare backward with central finite differences.

For a function f of tensors x_1..x_m with outputs y_1..y_n, the Jacobian block dy_o/dx_i is built
twice: numerically, column by column, from (f(x + eps e_j) - f(x - eps e_j)) / (2 eps), and
analytically, row by row, from the vector-Jacobian product that backward computes for the unit
vector e_k on y_o. They must agree within ``|analytic - numerical| <= atol + rtol |numerical|``.
Use float64 (or complex128) inputs: float32 rounding swamps a small ``eps``. A complex input or
output counts as its real and imaginary parts, each perturbed or seeded on its own, as PyTorch's
gradcheck does.
"""

from __future__ import annotations

import warnings

import numpy as np

from .engine import grad
from .grad_mode import enable_grad, no_grad
from .variable import Variable


class GradcheckError(RuntimeError):
    """The analytical and numerical Jacobians differ."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(func, ins):
    return [o for o in _as_tuple(func(*ins))
            if isinstance(o, Variable) and o.dtype.kind in "fc"]


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **_options):
    """True when ``func``'s gradients with respect to every input that requires grad match
    central finite differences; otherwise raise ``GradcheckError`` (or return False with
    ``raise_exception=False``). Options of PyTorch's gradcheck not listed here are accepted and
    ignored (glassnet checks reverse mode only)."""
    ins = _as_tuple(inputs)
    diff = [t for t in ins if isinstance(t, Variable) and t.requires_grad]
    if not diff:
        raise ValueError("gradcheck: no input requires grad (pass tensors with requires_grad=True)")
    if any(t.dtype not in (np.float64, np.complex128) for t in diff):
        warnings.warn("gradcheck: inputs are not float64 or complex128; the check is likely to "
                      "fail from rounding alone", UserWarning, stacklevel=2)
    with enable_grad():
        outs = _outputs(func, ins)
    for oi, out in enumerate(outs):
        for xi, x in enumerate(diff):
            numeric = _numerical_jacobian(func, ins, oi, x, eps)
            analytic = _analytical_jacobian(out, x)
            if not np.allclose(analytic, numeric, rtol=rtol, atol=atol):
                if not raise_exception:
                    return False
                raise GradcheckError(
                    f"gradcheck: Jacobian mismatch for output {oi} with respect to input {xi},\n"
                    f"numerical:\n{numeric}\nanalytical:\n{analytic}")
    return True


# A complex number counts as two real ones: the Jacobians below are of the real map
# (Re x, Im x) -> (Re y, Im y), with the rows [Re y; Im y] (Im y only for a complex output) and
# the columns [Re x, Im x] (Im x only for a complex input).
def _numerical_jacobian(func, ins, oi, x, eps):
    """Column by column: central differences moving one real coordinate of ``x``."""
    data = x._data
    flat = data.reshape(-1)  # a view: perturbing it perturbs x
    steps = (eps, eps * 1j) if data.dtype.kind == "c" else (eps,)
    cols = []
    for step in steps:
        for j in range(data.size):
            orig = flat[j].item()
            with no_grad():
                flat[j] = orig + step
                plus = np.asarray(_outputs(func, ins)[oi]._data).reshape(-1)
                flat[j] = orig - step
                minus = np.asarray(_outputs(func, ins)[oi]._data).reshape(-1)
                flat[j] = orig
            d = (plus - minus) / (2 * eps)
            cols.append(np.concatenate([d.real, d.imag]) if d.dtype.kind == "c"
                        else d.astype(np.float64))
    n_rows = (2 if _outputs(func, ins)[oi]._data.dtype.kind == "c" else 1) * \
        _outputs(func, ins)[oi]._data.size
    return np.stack(cols, axis=1) if cols else np.zeros((n_rows, 0))


def _analytical_jacobian(out, x):
    """Row by row: backward of a unit gradient on one real coordinate of the output. With
    PyTorch's convention a gradient g = dL/d(Re x) + i dL/d(Im x), so seeding 1 at y_k gives
    the row of Re y_k and seeding 1j the row of Im y_k."""
    y = out._data
    seeds = (1, 1j) if y.dtype.kind == "c" else (1,)
    n_cols = (2 if x._data.dtype.kind == "c" else 1) * x._data.size
    rows = []
    for s in seeds:
        for k in range(y.size):
            seed = np.zeros(y.size, dtype=y.dtype)
            seed[k] = s
            (g,) = grad(out, x, grad_outputs=Variable._make(seed.reshape(y.shape), False),
                        retain_graph=True, allow_unused=True)
            if g is None:
                rows.append(np.zeros(n_cols))
                continue
            g = np.asarray(g._data).reshape(-1)
            rows.append(np.concatenate([g.real, g.imag]) if g.dtype.kind == "c"
                        else g.astype(np.float64))
    return np.stack(rows) if rows else np.zeros((0, n_cols))


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, **_options):
    """True when the *second* derivatives of ``func`` match finite differences of its first.

    As in PyTorch, the function checked is (inputs, v) -> d<func(inputs), v>/d(inputs), computed
    by ``autograd.grad(..., create_graph=True)``; ``gradcheck`` then compares its Jacobian, with
    respect to the inputs and to ``v``, with central differences. ``v`` (``grad_outputs``) is
    drawn at random in [-1, 1) when not given. Use float64 inputs.
    """
    ins = _as_tuple(inputs)
    diff_idx = [i for i, t in enumerate(ins) if isinstance(t, Variable) and t.requires_grad]
    if not diff_idx:
        raise ValueError("gradgradcheck: no input requires grad (pass tensors with "
                         "requires_grad=True)")
    with enable_grad():
        outs = _outputs(func, ins)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            Variable._make(rng.uniform(-1, 1, o.shape).astype(o.dtype), True) for o in outs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_in = len(ins)

    def first_grad(*args):
        xs, vs = args[:n_in], args[n_in:]
        with enable_grad():
            ys = _outputs(func, xs)
            diff = [xs[i] for i in diff_idx]
            gs = grad(ys, diff, grad_outputs=list(vs), create_graph=True,
                               allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grad, ins + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
