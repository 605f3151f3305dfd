"""Shared test helpers: PyTorch parity and finite-difference gradient checks.

Every op is tested two ways (DESIGN.md habit 8):

* ``check_parity(gn_fn, torch_fn, inputs)`` runs the same op in glassnet and PyTorch on the same
  NumPy inputs, compares the outputs (values, shapes and dtypes) and then backpropagates the same
  random upstream gradient through both and compares every input gradient.
* ``gradcheck(fn, inputs)`` compares the analytic gradient of a float64 glassnet function with a
  central difference along a random direction: (L(x + eps v) - L(x - eps v)) / 2 eps against
  <dL/dx, v>, one input at a time, where L = sum(fn(x) * u) for a fixed random u.

Inputs are NumPy arrays; anything else (ints, tuples, strings) is passed through unchanged.
Floating arrays become tensors of ``dtype`` that require grad; integer and bool arrays become
tensors that do not. A non-contiguous array (see ``noncontig``) stays a non-contiguous view.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

import glassnet as gn

TOL = {np.dtype(np.float32): (1e-4, 1e-5), np.dtype(np.float64): (1e-7, 1e-7)}
FLOAT_DTYPES = (np.float32, np.float64)

_TORCH_DTYPES = {
    np.dtype(np.float16): torch.float16,
    np.dtype(np.float32): torch.float32,
    np.dtype(np.float64): torch.float64,
    np.dtype(np.int8): torch.int8,
    np.dtype(np.uint8): torch.uint8,
    np.dtype(np.int16): torch.int16,
    np.dtype(np.int32): torch.int32,
    np.dtype(np.int64): torch.int64,
    np.dtype(np.bool_): torch.bool,
}


# ----------------------------------------------------------------------------- conversions
def torch_dtype(dtype) -> torch.dtype:
    """The torch dtype with the same name as a NumPy / glassnet dtype."""
    return _TORCH_DTYPES[np.dtype(dtype)]


def dtype_name(dtype) -> str:
    """'float32' for np.float32, gn.float32 and torch.float32 alike."""
    if isinstance(dtype, torch.dtype):
        return str(dtype).replace("torch.", "")
    return np.dtype(dtype).name


def _keep_layout(a: np.ndarray, dtype=None) -> np.ndarray:
    """A fresh copy of ``a`` (optionally cast) that is non-contiguous if ``a`` was."""
    dtype = a.dtype if dtype is None else np.dtype(dtype)
    if a.flags.c_contiguous or a.ndim == 0 or a.size == 0:
        return np.array(a, dtype=dtype, copy=True)
    return noncontig(a.astype(dtype))


def noncontig(a: np.ndarray) -> np.ndarray:
    """A non-contiguous view holding the same values as ``a`` (every other element of a buffer)."""
    a = np.asarray(a)
    if a.ndim == 0 or a.size == 0:
        return a.copy()
    buf = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), dtype=a.dtype)
    view = buf[..., ::2]
    view[...] = a
    assert not view.flags.c_contiguous
    return view


def to_torch(x, requires_grad: bool = False, dtype=None):
    """NumPy array (or glassnet tensor) -> torch tensor, keeping a non-contiguous layout."""
    if isinstance(x, gn.Tensor):
        x = x.detach().numpy()
    a = _keep_layout(np.asarray(x), dtype)
    t = torch.from_numpy(a)
    if requires_grad:
        t.requires_grad_(True)
    return t


def to_gn(x, requires_grad: bool = False, dtype=None):
    """NumPy array (or torch tensor) -> glassnet tensor, keeping a non-contiguous layout."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    a = _keep_layout(np.asarray(x), dtype)
    t = gn.from_numpy(a)
    if requires_grad:
        t.requires_grad_(True)
    return t


def to_numpy(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    if isinstance(x, gn.Tensor):
        return np.asarray(x.detach().numpy())
    return np.asarray(x)


def _is_array(x) -> bool:
    return isinstance(x, np.ndarray)


def _as_outputs(out):
    if isinstance(out, (tuple, list)):
        return list(out)
    return [out]


# ----------------------------------------------------------------------------- comparisons
def assert_close(actual, expected, rtol=1e-4, atol=1e-5, what="value"):
    """Compare two arrays (or tensors): same shape, and equal within tolerance (NaNs match)."""
    a, e = to_numpy(actual), to_numpy(expected)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != expected {e.shape}"
    if a.dtype.kind in "biu" and e.dtype.kind in "biu":
        np.testing.assert_array_equal(a, e, err_msg=what)
        return
    np.testing.assert_allclose(a.astype(np.float64), e.astype(np.float64), rtol=rtol, atol=atol,
                               equal_nan=True, err_msg=what)


def _tolerances(dtype, rtol, atol):
    r, a = TOL.get(np.dtype(dtype), (1e-4, 1e-5))
    return (r if rtol is None else rtol), (a if atol is None else atol)


def check_parity(gn_fn, torch_fn, inputs, *, dtype=np.float32, rtol=None, atol=None,
                 grad_inputs=None, upstream=None, check_dtype=True, grad_rtol=None,
                 grad_atol=None, seed=0):
    """Run ``gn_fn`` and ``torch_fn`` on the same inputs; compare outputs and input gradients.

    ``inputs``: a list of NumPy arrays and pass-through values. Floating arrays are cast to
    ``dtype``; those listed in ``grad_inputs`` (indices; default: every floating array) require
    grad. The functions receive the converted inputs positionally. Outputs may be a tensor or a
    tuple of tensors (e.g. ``(values, indices)``); each is compared, with its dtype. Then the same
    random upstream gradient (or ``upstream``: an array or a list, one per output) is backpropagated
    through every floating output that requires grad, and each input gradient is compared.
    Returns ``(gn_outputs, torch_outputs)``.
    """
    rtol, atol = _tolerances(dtype, rtol, atol)
    grtol = rtol if grad_rtol is None else grad_rtol
    gatol = atol if grad_atol is None else grad_atol
    floating = [i for i, x in enumerate(inputs) if _is_array(x) and x.dtype.kind == "f"]
    want_grad = set(floating if grad_inputs is None else grad_inputs)

    gn_in, th_in = [], []
    for i, x in enumerate(inputs):
        if _is_array(x):
            dt = dtype if x.dtype.kind == "f" else x.dtype
            gn_in.append(to_gn(x, requires_grad=i in want_grad, dtype=dt))
            th_in.append(to_torch(x, requires_grad=i in want_grad, dtype=dt))
        else:
            gn_in.append(x)
            th_in.append(x)

    gn_out = _as_outputs(gn_fn(*gn_in))
    th_out = _as_outputs(torch_fn(*th_in))
    assert len(gn_out) == len(th_out), f"{len(gn_out)} outputs, PyTorch gives {len(th_out)}"
    for k, (g, t) in enumerate(zip(gn_out, th_out)):
        assert isinstance(g, gn.Tensor), f"output {k} is a {type(g).__name__}, not a Tensor"
        if check_dtype:
            assert dtype_name(g.dtype) == dtype_name(t.dtype), \
                f"output {k}: dtype {g.dtype} != PyTorch's {t.dtype}"
        assert tuple(g.shape) == tuple(t.shape), \
            f"output {k}: shape {tuple(g.shape)} != PyTorch's {tuple(t.shape)}"
        assert_close(g, t, rtol, atol, what=f"output {k}")

    if not want_grad:
        return gn_out, th_out
    # Backpropagate the same upstream gradient through every differentiable output.
    rng = np.random.default_rng(seed)
    ups = upstream if isinstance(upstream, (list, tuple)) else [upstream] * len(gn_out)
    g_roots, g_grads, t_roots, t_grads = [], [], [], []
    for k, (g, t) in enumerate(zip(gn_out, th_out)):
        if not t.requires_grad:
            continue
        assert g.requires_grad, f"output {k} requires grad in PyTorch but not in glassnet"
        u = ups[k] if ups[k] is not None else rng.standard_normal(tuple(t.shape))
        u = np.asarray(u, dtype=dtype_name(t.dtype))
        g_roots.append(g)
        g_grads.append(gn.from_numpy(u.copy()))
        t_roots.append(t)
        t_grads.append(torch.from_numpy(u.copy()))
    if not t_roots:
        return gn_out, th_out
    torch.autograd.backward(t_roots, t_grads)
    gn.autograd.backward(g_roots, g_grads)
    for i in sorted(want_grad):
        g, t = gn_in[i], th_in[i]
        tg = t.grad if t.grad is not None else torch.zeros_like(t)
        gg = g.grad
        if gg is None:
            assert tg.numel() == 0 or not tg.abs().max().item(), \
                f"input {i}: glassnet gives no gradient but PyTorch's is nonzero"
            continue
        if check_dtype:
            assert dtype_name(gg.dtype) == dtype_name(g.dtype), \
                f"input {i}: gradient dtype {gg.dtype} != input dtype {g.dtype}"
        assert_close(gg, tg, grtol, gatol, what=f"gradient of input {i}")
    return gn_out, th_out


# ----------------------------------------------------------------------------- finite differences
def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-4, grad_inputs=None, seed=0):
    """Check glassnet's gradient of ``fn`` against float64 central differences.

    For each differentiable input x (floating arrays, or the indices in ``grad_inputs``) a random
    unit direction v is drawn and (L(x + eps v) - L(x - eps v)) / (2 eps) is compared with
    <dL/dx, v>, where L(inputs) = sum_k sum(out_k * u_k) over the floating outputs of ``fn``
    for fixed random u_k. Everything runs in float64.
    """
    rng = np.random.default_rng(seed)
    floating = [i for i, x in enumerate(inputs) if _is_array(x) and x.dtype.kind == "f"]
    idx = floating if grad_inputs is None else list(grad_inputs)
    base = [np.asarray(x, dtype=np.float64) if i in floating else x for i, x in enumerate(inputs)]
    ups = {}

    def loss(vals, grad=False):
        ts = []
        for i, x in enumerate(vals):
            if _is_array(x):
                ts.append(to_gn(x, requires_grad=grad and i in idx))
            else:
                ts.append(x)
        outs = [o for o in _as_outputs(fn(*ts)) if o.dtype.kind == "f"]
        total = None
        for k, o in enumerate(outs):
            if k not in ups:
                ups[k] = rng.standard_normal(tuple(o.shape))
            term = (o * gn.from_numpy(ups[k].copy())).sum()
            total = term if total is None else total + term
        return total, ts

    total, ts = loss(base, grad=True)
    assert total is not None, "gradcheck: fn has no floating output"
    total.backward()
    for i in idx:
        x = base[i]
        if x.size == 0:
            continue
        v = rng.standard_normal(x.shape)
        v /= np.linalg.norm(v)
        plus = list(base)
        minus = list(base)
        plus[i] = np.asarray(x + eps * v)
        minus[i] = np.asarray(x - eps * v)
        with gn.no_grad():
            lp = loss(plus)[0].item()
            lm = loss(minus)[0].item()
        numeric = (lp - lm) / (2 * eps)
        g = ts[i].grad
        analytic = 0.0 if g is None else float(np.sum(g.numpy() * v))
        assert abs(numeric - analytic) <= atol + rtol * abs(numeric), (
            f"gradcheck: input {i}: directional derivative {analytic!r} from backward, "
            f"{numeric!r} from central differences")
    return True


# ----------------------------------------------------------------------------- data
def randn(rng, shape, dtype=np.float64, scale=1.0):
    return np.asarray(rng.standard_normal(shape) * scale, dtype=dtype)


def uniform(rng, shape, low=-1.0, high=1.0, dtype=np.float64):
    return np.asarray(rng.uniform(low, high, shape), dtype=dtype)


def positive(rng, shape, low=0.5, high=2.0, dtype=np.float64):
    return np.asarray(rng.uniform(low, high, shape), dtype=dtype)


def away_from(rng, shape, points=(0.0,), margin=0.05, dtype=np.float64):
    """Random values at least ``margin`` from every kink in ``points`` (for abs, relu, clamp)."""
    x = rng.standard_normal(shape)
    for p in points:
        close = np.abs(x - p) < margin
        x = np.where(close, p + np.sign(x - p + 1e-12) * margin * 2, x)
    return np.asarray(x, dtype=dtype)


def distinct(rng, shape, dtype=np.float64):
    """Values with no ties (a shuffled range plus noise): max/min/sort gradients are unique."""
    n = int(np.prod(shape)) if len(shape) else 1
    x = rng.permutation(n).astype(np.float64) * 0.37 - n * 0.15
    return np.asarray(x.reshape(shape), dtype=dtype)


# ----------------------------------------------------------------------------- broadcasting
# Pairs of shapes for binary ops: scalars, size-1 and empty dims, broadcasting either way, and
# "nc": a non-contiguous (strided) (3, 4) input.
BROADCAST_PAIRS = [
    ((), ()), ((3,), ()), ((), (3,)), ((1,), (1,)), ((4,), (4,)), ((2, 3), (3,)),
    ((2, 3), (2, 1)), ((2, 1, 4), (3, 1)), ((4, 1), (1, 5)), ((1, 3), (2, 1, 3)),
    ((0,), (1,)), ((0, 3), (3,)), ((2, 0), (2, 1)), ("nc", (3, 4)), ((4,), "nc"),
]


def broadcast_pair(rng, sa, sb, domain):
    """Inputs of shapes ``sa`` and ``sb`` for a binary op ("nc": a non-contiguous (3, 4));
    ``domain`` "posa"/"posb" makes a/b positive, "distinct" keeps them apart (no ties)."""
    def one(shape, pos):
        nc = shape == "nc"
        shape = (3, 4) if nc else shape
        x = positive(rng, shape) if pos else randn(rng, shape)
        if domain == "distinct":  # no ties between a and b
            x = np.asarray(x + (0.0 if pos else rng.choice([-0.3, 0.3], shape)))
        return noncontig(x) if nc else x

    a = one(sa, domain == "posa")
    b = one(sb, domain == "posb")
    if domain == "distinct":
        shape = np.broadcast_shapes(np.shape(a), np.shape(b))
        close = np.abs(np.broadcast_to(a, shape) - np.broadcast_to(b, shape)) < 0.05
        if close.any():
            a = np.asarray(a + 0.5)  # shift a away from b (ties are tested separately)
    return a, b


# ----------------------------------------------------------------------------- dtypes
def lib_call(f):
    """Run ``f(lib)`` for glassnet and PyTorch; compare dtype, shape and values."""
    g, t = f(gn), f(torch)
    assert dtype_name(g.dtype) == dtype_name(t.dtype), f"dtype {g.dtype} != torch {t.dtype}"
    assert tuple(g.shape) == tuple(t.shape)
    np.testing.assert_allclose(np.asarray(g.numpy(), dtype=np.float64),
                               t.numpy().astype(np.float64), rtol=1e-6, atol=1e-7, equal_nan=True)
    return g, t


# ----------------------------------------------------------------------------- matrices
def well_conditioned(rng, shape):
    """Random square matrices (batched) that are far from singular: A = Q diag(s) Q' with s
    in [1, 2] and random signs."""
    n = shape[-1]
    a = rng.standard_normal(shape)
    q, _ = np.linalg.qr(a)
    q2, _ = np.linalg.qr(rng.standard_normal(shape))
    s = rng.uniform(1, 2, shape[:-1]) * rng.choice([-1, 1], shape[:-1])
    return (q * s[..., None, :]) @ np.swapaxes(q2, -1, -2) if n else a


def spd(rng, shape):
    """Symmetric positive definite matrices (batched): A A' + n I."""
    a = rng.standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


# ----------------------------------------------------------------------------- MPI
HAVE_MPI = importlib.util.find_spec("mpi4py") is not None
needs_mpi = pytest.mark.skipif(not HAVE_MPI, reason="mpi4py is not installed")
