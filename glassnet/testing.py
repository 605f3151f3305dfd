"""``glassnet.testing.assert_close``: compare tensors (or numbers, or nested sequences and
dicts of them) within PyTorch's default tolerances, with a PyTorch-style error message.

Closeness is |actual - expected| <= atol + rtol * |expected|, elementwise. Default tolerances
depend on the dtype (PyTorch's table): float16 rtol 1e-3 atol 1e-5, float32 rtol 1.3e-6 atol
1e-5, float64 rtol 1e-7 atol 1e-7, and 0 for integers and bool (exact).
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Mapping, Sequence

import numpy as np

from . import backend

_DEFAULT_TOL = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


def _tensor_cls():
    from .tensor import Tensor

    return Tensor


def _as_array(x, default_float):
    if isinstance(x, _tensor_cls()):
        return backend.to_numpy(x.data), "tensor"
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
    if isinstance(x, _tensor_cls()):
        return "Tensor"
    return type(x).__name__


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
    if ka != ke and "tensor" in (ka, ke):
        raise AssertionError(f"Expected both inputs to be Tensors{_at(path)}, but got "
                             f"{_kind(actual)} and {_kind(expected)}.")
    _compare_arrays(a, e, ka == "tensor", rtol, atol, equal_nan, check_dtype, msg, path)


def _at(path):
    return f" at item {_where(path)}" if path else ""


def _compare_arrays(a, e, tensors, rtol, atol, equal_nan, check_dtype, msg, path):
    what = "Tensor-likes" if tensors else "Scalars"
    if a.shape != e.shape:
        raise AssertionError(msg or f"The values for attribute 'shape' do not match{_at(path)}: "
                             f"{_size_str(a.shape)} != {_size_str(e.shape)}.")
    if check_dtype and a.dtype != e.dtype:
        raise AssertionError(msg or f"The values for attribute 'dtype' do not match{_at(path)}: "
                             f"glassnet.{a.dtype} != glassnet.{e.dtype}.")
    if rtol is None:
        dt = np.promote_types(a.dtype, e.dtype)
        rtol, atol = _DEFAULT_TOL.get(dt.name, (0.0, 0.0)) if dt.kind == "f" else (0.0, 0.0)
        if a.ndim == 0 and not tensors and dt.kind == "f":
            rtol, atol = _DEFAULT_TOL["float64"]
    if a.dtype.kind == "b" or e.dtype.kind == "b":
        a, e = a.astype(np.int64), e.astype(np.int64)
    af, ef = a.astype(np.float64), e.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(af - ef)
        ok = diff <= atol + rtol * np.abs(ef)
        ok |= af == ef  # infinities of the same sign
        if equal_nan:
            ok |= np.isnan(af) & np.isnan(ef)
    if ok.all():
        return
    if msg is not None:
        raise AssertionError(msg)
    total = ok.size
    bad = builtins.int((~ok).sum())
    if not tensors:
        aval, eval_ = af.reshape(-1)[0], ef.reshape(-1)[0]
        d = abs(aval - eval_)
        rel = d / abs(eval_) if eval_ != 0 else math.inf
        raise AssertionError(
            f"Scalars are not close{_at(path)}!\n\n"
            f"Expected {_num(eval_)} but got {_num(aval)}.\n"
            f"Absolute difference: {_num(d)} (up to {atol} allowed)\n"
            f"Relative difference: {_num(rel)} (up to {rtol} allowed)")
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(ef != 0, diff / np.abs(ef), np.where(diff == 0, 0, np.inf))
    dd = np.where(np.isnan(diff), -1, diff)
    rr = np.where(np.isnan(rel), -1, rel)
    ia = np.unravel_index(builtins.int(np.argmax(dd)), a.shape)
    ir = np.unravel_index(builtins.int(np.argmax(rr)), a.shape)
    raise AssertionError(
        f"{what} are not close{_at(path)}!\n\n"
        f"Mismatched elements: {bad} / {total} ({100 * bad / total:.1f}%)\n"
        f"Greatest absolute difference: {_num(diff[ia])} at index {tuple(map(int, ia))} "
        f"(up to {atol} allowed)\n"
        f"Greatest relative difference: {_num(rel[ir])} at index {tuple(map(int, ir))} "
        f"(up to {rtol} allowed)")


def _num(v):
    v = float(v)
    return repr(int(v)) if v.is_integer() and abs(v) < 1e16 else repr(v)


def _size_str(shape):
    return f"glassnet.Size({list(shape)})"


def make_tensor(*shape, dtype, device=None, low=None, high=None, requires_grad=False,
                noncontiguous=False, exclude_zero=False):
    """A random tensor for tests: floats uniform in [low, high) (default [-9, 9)), integers in
    [low, high) (default [-9, 10)), bools half True."""
    from .functions import _size
    from .tensor import tensor

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


__all__ = ["assert_close", "make_tensor"]
