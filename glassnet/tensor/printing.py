"""Printing tensors the way PyTorch does, and ``set_printoptions``.

One formatter per tensor decides how every element is written, from the nonzero finite values:

* all of them whole numbers -> ``1.`` style (integer mode);
* the largest over the smallest magnitude above 1000, the largest above 1e8, or (outside integer
  mode) the smallest below 1e-4 -> scientific notation, ``1.0000e-05``;
* otherwise fixed point with ``precision`` digits, ``0.1235``.

Every element is right-aligned to the widest, rows wrap at ``linewidth`` columns, and a tensor of
more than ``threshold`` elements is summarised to ``edgeitems`` items at each end of every dim.
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend


class _PrintOptions:
    precision = 4
    threshold = 1000
    edgeitems = 3
    linewidth = 80
    sci_mode = None


PRINT_OPTS = _PrintOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Set how tensors print (PyTorch's options and defaults).

    Args:
        precision: digits after the decimal point (default 4).
        threshold: more elements than this are summarised with ``...`` (default 1000).
        edgeitems: items kept at each end of a summarised dim (default 3).
        linewidth: characters per line before wrapping (default 80).
        profile: ``"default"``, ``"short"`` (precision 2, threshold 1000, edgeitems 2) or
            ``"full"`` (never summarise).
        sci_mode: force scientific notation on (True) or off (False); None decides per tensor.
    """
    if profile is not None:
        presets = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80),
                   "full": (4, math.inf, 3, 80)}
        if profile not in presets:
            raise ValueError(f"set_printoptions: profile must be 'default', 'short' or 'full', "
                             f"got {profile!r}")
        (PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems,
         PRINT_OPTS.linewidth) = presets[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


class _Formatter:
    def __init__(self, a: np.ndarray):
        self.floating = backend.is_floating(a.dtype)
        self.int_mode, self.sci_mode, self.max_width = True, False, 1
        p = PRINT_OPTS.precision
        flat = a.reshape(-1)
        if not self.floating:
            if flat.size:
                self.max_width = max(len(str(v)) for v in flat.tolist())
            return
        vals = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
        if vals.size == 0:
            return
        mags = np.abs(vals)
        lo, hi = float(mags.min()), float(mags.max())
        self.int_mode = bool((vals == np.ceil(vals)).all())
        vals = vals.tolist()
        if self.int_mode:
            if hi / lo > 1000.0 or hi > 1.0e8:
                self.sci_mode = True
                self.max_width = max(len(f"{v:.{p}e}") for v in vals)
            else:
                self.max_width = max(len(f"{v:.0f}") + 1 for v in vals)
        elif hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4:
            self.sci_mode = True
            self.max_width = max(len(f"{v:.{p}e}") for v in vals)
        else:
            self.max_width = max(len(f"{v:.{p}f}") for v in vals)
        if PRINT_OPTS.sci_mode is not None:
            self.sci_mode = PRINT_OPTS.sci_mode

    def format(self, v) -> str:
        p = PRINT_OPTS.precision
        if self.floating:
            if self.sci_mode:
                s = f"{v:{self.max_width}.{p}e}"
            elif self.int_mode:
                s = f"{v:.0f}" + ("" if math.isinf(v) or math.isnan(v) else ".")
            else:
                s = f"{v:.{p}f}"
        else:
            s = str(v)
        return (self.max_width - len(s)) * " " + s


class _ComplexFormatter:
    """PyTorch's complex layout: the real parts through one formatter, the imaginary parts
    through another, written ``1.+2.0000j`` (the real part aligned, the imaginary part not)."""

    def __init__(self, a: np.ndarray):
        self.re, self.im = _Formatter(a.real), _Formatter(a.imag)
        self.max_width = self.re.max_width + self.im.max_width + 1

    def format(self, v) -> str:
        imag = (self.im.format(v.imag) + "j").lstrip()
        return self.re.format(v.real) + ("" if imag[0] in "+-" else "+") + imag


def _summarized(a: np.ndarray) -> np.ndarray:
    """The elements that will be printed when ``a`` is summarised (edge items of every dim)."""
    e = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return np.concatenate([a[:e], a[-e:]]) if a.shape[0] > 2 * e else a
    rows = list(range(e)) + list(range(len(a) - e, len(a))) if a.shape[0] > 2 * e else \
        range(len(a))
    return np.stack([_summarized(a[i]) for i in rows])


def _vector(a, indent, summarize, fmt) -> str:
    e = PRINT_OPTS.edgeitems
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / (fmt.max_width + 2)))
    if summarize and a.shape[0] > 2 * e:
        data = ([fmt.format(v) for v in a[:e].tolist()] + [" ..."]
                + [fmt.format(v) for v in a[-e:].tolist()])
    else:
        data = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(a, indent, summarize, fmt) -> str:
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector(a, indent, summarize, fmt)
    e = PRINT_OPTS.edgeitems
    if summarize and a.shape[0] > 2 * e:
        parts = ([_nested(a[i], indent + 1, summarize, fmt) for i in range(e)] + ["..."]
                 + [_nested(a[i], indent + 1, summarize, fmt) for i in range(len(a) - e, len(a))])
    else:
        parts = [_nested(a[i], indent + 1, summarize, fmt) for i in range(a.shape[0])]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _body(a: np.ndarray, indent: int) -> str:
    if a.dtype == np.float16:
        a = a.astype(np.float32)
    summarize = a.size > PRINT_OPTS.threshold
    fmt = (_ComplexFormatter if a.dtype.kind == "c" else _Formatter)(
        _summarized(a) if summarize else a)
    return _nested(a, indent, summarize, fmt)


def tensor_repr(t) -> str:
    """``tensor([...], dtype=..., grad_fn=<...>)`` laid out as PyTorch lays it out."""
    prefix = "tensor("
    indent = len(prefix)
    a = backend.to_numpy(t._data)
    suffixes = []
    default = backend.get_default_dtype()
    if a.size == 0:
        if a.ndim != 1:
            suffixes.append(f"size={tuple(a.shape)}")
        if a.dtype != default:
            suffixes.append(f"dtype=glassnet.{a.dtype}")
        body = "[]"
    else:
        body = _body(a, indent)
        if a.dtype not in (default, backend.default_complex_dtype(), backend.int64,
                           backend.bool_):
            suffixes.append(f"dtype=glassnet.{a.dtype}")
    if t.device.type != "cpu":
        suffixes.insert(0, f"device='{t.device}'")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn={t.grad_fn!r}")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    out = [prefix + body]
    last = len(out[0]) - out[0].rfind("\n") + 1
    for s in suffixes:
        if last + len(s) + 2 > PRINT_OPTS.linewidth:
            out.append(",\n" + " " * indent + s)
            last = indent + len(s)
        else:
            out.append(", " + s)
            last += len(s) + 2
    return "".join(out) + ")"
