"""``glassnet.testing.assert_close``: compare tensors (or numbers, or nested sequences and
dicts of them) within PyTorch's default tolerances, with a PyTorch-style error message.

Closeness is |actual - expected| <= atol + rtol * |expected|, elementwise. Default tolerances
depend on the dtype (PyTorch's table): float16 rtol 1e-3 atol 1e-5, float32 rtol 1.3e-6 atol
1e-5, float64 rtol 1e-7 atol 1e-7, and 0 for integers and bool (exact).
"""

from __future__ import annotations

import builtins
import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from . import backend
from .tensor import Tensor, _size, tensor

_DEFAULT_TOL = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
                "float64": (1e-7, 1e-7), "complex64": (1.3e-6, 1e-5),
                "complex128": (1e-7, 1e-7)}


def _as_array(x, default_float):
    if isinstance(x, Tensor):
        return backend.to_numpy(x._data), "tensor"
    if isinstance(x, np.ndarray):
        return x, "ndarray"
    if isinstance(x, (builtins.bool, np.bool_)):
        return np.asarray(x, dtype=bool), "number"
    if isinstance(x, (builtins.int, np.integer)):
        return np.asarray(x, dtype=np.int64), "number"
    if isinstance(x, (builtins.float, np.floating)):
        return np.asarray(x, dtype=np.float64), "number"
    return None, None


def _kind(x):
    if isinstance(x, Tensor):
        return "Tensor"
    return type(x).__name__


_ALLCLOSE_TOL = {"float16": (1e-3, 1e-3), "float32": (1e-4, 1e-5), "float64": (1e-5, 1e-8)}


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """Deprecated in PyTorch since 1.12 (as here): ``assert_close`` with the looser tolerances
    of the old function (float32 rtol 1e-4, atol 1e-5), NaNs equal by default, dtypes not
    compared, and plain numbers or lists turned into tensors first."""
    warnings.warn("`glassnet.testing.assert_allclose()` is deprecated and will be removed in a "
                  "future release. Please use `glassnet.testing.assert_close()` instead.",
                  FutureWarning, stacklevel=2)
    if not isinstance(actual, Tensor):
        actual = tensor(actual)
    if not isinstance(expected, Tensor):
        expected = tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        tols = [_ALLCLOSE_TOL.get(str(t.dtype), (0.0, 0.0)) for t in (actual, expected)]
        rtol, atol = max(t[0] for t in tols), max(t[1] for t in tols)
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_dtype=False, msg=msg or None)


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Raise AssertionError unless ``actual`` and ``expected`` are close.

    Both may be Tensors, NumPy arrays, Python numbers, or sequences/mappings of those (compared
    element by element). Tensors must agree in shape and, with ``check_dtype``, dtype.
    ``rtol``/``atol`` must be given together; by default they come from the dtype (see the
    module docstring). NaNs compare equal only with ``equal_nan=True``.
    """
    if (rtol is None) != (atol is None):
        raise ValueError("assert_close: both 'rtol' and 'atol' must be either specified or "
                         "omitted, but got no rtol." if rtol is None else
                         "assert_close: both 'rtol' and 'atol' must be either specified or "
                         "omitted, but got no atol.")
    _compare(actual, expected, rtol, atol, equal_nan, check_dtype, msg, path=())


def _where(path):
    return "".join(f"[{p!r}]" for p in path)


def _compare(actual, expected, rtol, atol, equal_nan, check_dtype, msg, path):
    a, ka = _as_array(actual, None)
    e, ke = _as_array(expected, None)
    if a is None or e is None:
        if isinstance(actual, Mapping) and isinstance(expected, Mapping):
            if set(actual) != set(expected):
                raise AssertionError(f"The keys of the mappings do not match{_at(path)}: "
                                     f"{sorted(map(str, actual))} != {sorted(map(str, expected))}")
            for k in expected:
                _compare(actual[k], expected[k], rtol, atol, equal_nan, check_dtype, msg,
                         path + (k,))
            return
        if isinstance(actual, Sequence) and isinstance(expected, Sequence) \
                and not isinstance(actual, str) and not isinstance(expected, str):
            if len(actual) != len(expected):
                raise AssertionError(f"The length of the sequences mismatch{_at(path)}: "
                                     f"{len(actual)} != {len(expected)}")
            for i, (x, y) in enumerate(zip(actual, expected)):
                _compare(x, y, rtol, atol, equal_nan, check_dtype, msg, path + (i,))
            return
        if actual == expected:
            return
        raise AssertionError(msg or f"Values are not equal{_at(path)}: {actual!r} != {expected!r}")
    if ka == ke == "number":  # Python numbers: float64 tolerances for floats, exact for ints
        _compare_arrays(a, e, False, rtol, atol, equal_nan, check_dtype, msg, path)
        return
    if ka != ke and "tensor" in (ka, ke):
        raise AssertionError(f"Expected both inputs to be Tensors{_at(path)}, but got "
                             f"{_kind(actual)} and {_kind(expected)}.")
    _compare_arrays(a, e, True, rtol, atol, equal_nan, check_dtype, msg, path)


def _at(path):
    return f" at item {_where(path)}" if path else ""


def _compare_arrays(a, e, tensors, rtol, atol, equal_nan, check_dtype, msg, path):
    if a.shape != e.shape:
        raise AssertionError(msg or f"The values for attribute 'shape' do not match{_at(path)}: "
                             f"{_size_str(a.shape)} != {_size_str(e.shape)}.")
    if check_dtype and tensors and a.dtype != e.dtype:
        raise AssertionError(msg or f"The values for attribute 'dtype' do not match{_at(path)}: "
                             f"glassnet.{a.dtype} != glassnet.{e.dtype}.")
    dt = backend.promote_types(a.dtype, e.dtype) if "V" in (a.dtype.kind, e.dtype.kind) else \
        np.promote_types(a.dtype, e.dtype)
    if rtol is None:
        rtol, atol = _DEFAULT_TOL.get(dt.name, (0.0, 0.0)) if backend.is_differentiable(dt) else \
            (0.0, 0.0)
    if dt.kind == "V":  # bfloat16: compared in float32, with bfloat16's tolerances
        dt = np.dtype(np.float32)
    a, e = a.astype(dt), e.astype(dt)
    if not tensors or a.ndim == 0:
        _compare_scalars(a.item(), e.item(), rtol, atol, equal_nan, msg, path)
        return
    with np.errstate(invalid="ignore", over="ignore"):
        ok = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan) if dt.kind != "b" \
            else a == e
    if ok.all():
        return
    if msg is not None:
        raise AssertionError(msg)
    total, bad = ok.size, builtins.int((~ok).sum())
    if dt.kind not in "fc":  # integer differences are taken in int64, as PyTorch does
        a, e = a.astype(np.int64), e.astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        diff = np.abs(a - e).reshape(-1)
        diff[ok.reshape(-1)] = 0
        ref = np.abs(e).reshape(-1)
        rel = diff / ref if dt.kind in "fc" else (diff / ref).astype(np.float32)
        rel[ok.reshape(-1)] = 0
    ia, ir = builtins.int(np.argmax(diff)), builtins.int(np.argmax(rel))
    raise AssertionError(_mismatch(
        "Tensor-likes", path,
        f"Mismatched elements: {bad} / {total} ({bad / total:.1%})",
        diff[ia].item(), tuple(builtins.int(i) for i in np.unravel_index(ia, a.shape)), atol,
        rel[ir].item(), tuple(builtins.int(i) for i in np.unravel_index(ir, a.shape)), rtol))


def _compare_scalars(a, e, rtol, atol, equal_nan, msg, path):
    if equal_nan and isinstance(a, float) and math.isnan(a) and math.isnan(e):
        return
    diff = abs(a - e)
    if a == e or (math.isfinite(diff) and diff <= atol + rtol * abs(e)):
        return
    if msg is not None:
        raise AssertionError(msg)
    rel = math.inf if e == 0 else diff / abs(e)
    raise AssertionError(_mismatch("Scalars", path, f"Expected {e} but got {a}.", diff, None,
                                   atol, rel, None, rtol))


def _mismatch(what, path, extra, adiff, aidx, atol, rdiff, ridx, rtol):
    """PyTorch's mismatch message, line for line."""
    equality = rtol == 0 and atol == 0

    def line(kind, diff, idx, tol):
        m = f"{kind.title()} difference: {diff}" if idx is None else \
            f"Greatest {kind} difference: {diff} at index {idx}"
        return m + ("" if equality else f" (up to {tol} allowed)") + "\n"

    head = f"{what} are not {'equal' if equality else 'close'}{_at(path)}!\n\n{extra}\n"
    return (head + line("absolute", adiff, aidx, atol) + line("relative", rdiff, ridx, rtol)).strip()


def _size_str(shape):
    return f"glassnet.Size({list(shape)})"


def make_tensor(*shape, dtype, device=None, low=None, high=None, requires_grad=False,
                noncontiguous=False, exclude_zero=False):
    """A random tensor for tests: floats uniform in [low, high) (default [-9, 9)), integers in
    [low, high) (default [-9, 10)), bools half True."""
    d = backend.to_dtype(dtype)
    size = _size(shape)
    g = backend.rng(None)
    if d.kind == "b":
        a = g.random(size) < 0.5
    elif d.kind in "iu":
        lo = 0 if d.kind == "u" else -9
        a = g.integers(lo if low is None else low, 10 if high is None else high, size)
    else:
        a = g.uniform(-9 if low is None else low, 9 if high is None else high, size)
    if exclude_zero and d.kind != "b":
        a = np.where(a == 0, 1 if d.kind != "f" else np.finfo(d).tiny, a)
    return tensor(a.astype(d), device=device, requires_grad=requires_grad)


__all__ = ["assert_allclose", "assert_close", "make_tensor"]
