"""glassnet against PyTorch's own operator database (OpInfo).

PyTorch describes each of its operators once, in ``torch.testing._internal.common_methods_invocations
.op_db``: the function, the dtypes it supports and a generator of sample inputs covering its edge
cases (empty and 0-d tensors, broadcasting, keyword arguments, odd sizes). This script takes every
OpInfo that supports float32 on the CPU, finds the operator of the same name in glassnet, feeds
both the same float32 samples and compares

* the forward outputs: shapes, dtypes and values (``allclose`` with the OpInfo's own float32
  tolerance where it sets one, otherwise rtol 1e-4, atol 1e-5; NaNs match), and
* the gradients of every input that requires one, for a fixed random weighting of the outputs
  (``sum(w_i * out_i)`` with seeded ``w_i``, so that a softmax, whose plain sum is constant, is
  still checked), with the same tolerance plus ``rtol`` times the largest reference gradient.

Names map as PyTorch's do: ``torch.X`` -> ``glassnet.X`` (or the Tensor method ``X``),
``torch.nn.functional.X`` -> ``glassnet.nn.functional.X``, ``torch.linalg.X``,
``torch.special.X``; an OpInfo whose operator is a small Python function (``lambda x: x.T``) runs
that same function with ``torch`` replaced by ``glassnet``. Random operators (dropout, normal,
bernoulli...) and ``empty*`` are compared by shape and dtype only. A sample tensor that is a
view of part of a larger buffer (``base[5:15]``) reaches glassnet as the same view of a copy of
that buffer, so that ``as_strided`` sees the same storage. Where the OpInfo marks PyTorch's own
gradient check as an expected failure (``as_strided_scatter``, ``native_group_norm``...), a
gradient that differs from PyTorch's does not fail the sample; the table notes it.

Each OpInfo gets one verdict over all its samples: ``pass`` (every sample agrees), ``partial``
(some do), ``fail`` (none does, some ran), ``raise`` (every sample raised), ``missing`` (glassnet
has no such name). ``python -m benchmarks.opinfo`` prints the counts and writes the per-operator
table to ``benchmarks/OPINFO.md``; ``--ops add,nn.functional.relu`` runs a few, ``-v`` prints
every failing sample. ``--dtype complex64`` (or float64, complex128) draws the samples in that
dtype instead, over the OpInfos that support it, weighting complex outputs with complex weights
(its table is written only with ``--out``). Needs torch and expecttest
(``pip install -e .[test]``).
"""

from __future__ import annotations

import argparse
import collections
import os
import signal
import sys
import time
import types
import warnings

import numpy as np

RTOL, ATOL = 1e-4, 1e-5
TIMEOUT_S = 60

# Operators whose values are random (or uninitialised): compared by shape and dtype only.
RANDOM = {"bernoulli", "cauchy", "exponential", "geometric", "log_normal", "normal", "uniform",
          "multinomial", "rand_like", "randint", "randint_like", "randn", "randn_like",
          "empty", "empty_like", "empty_permuted", "empty_strided", "new_empty",
          "new_empty_strided", "nn.functional.dropout", "nn.functional.dropout1d",
          "nn.functional.dropout2d", "nn.functional.dropout3d", "nn.functional.alpha_dropout",
          "nn.functional.feature_alpha_dropout", "nn.functional.rrelu",
          "nn.functional.fractional_max_pool2d", "nn.functional.fractional_max_pool3d",
          "svd_lowrank", "pca_lowrank", "nn.functional.gumbel_softmax"}
# Operators whose samples are random only with some arguments (dropout inside attention).
RANDOM_IF = {
    "nn.functional.scaled_dot_product_attention": lambda s: s.kwargs.get("dropout_p", 0) > 0,
    "nn.functional.multi_head_attention_forward":
        lambda s: s.kwargs.get("training", True) and len(s.args) > 9 and s.args[9] > 0,
}
# Areas this report lists apart (glassnet's complex numbers, FFT and sparse tensors).
AREAS = (("fft.", "fft"), ("sparse", "sparse"), ("to_sparse", "sparse"), ("view_as_real", "complex"),
         ("view_as_complex", "complex"), ("complex", "complex"), ("polar", "complex"),
         ("conj", "complex"), ("resolve_conj", "complex"), ("resolve_neg", "complex"))


class Missing(Exception):
    """glassnet has no operator of this name."""


class Unsupported(Exception):
    """A sample uses something the comparison cannot carry over (a sparse layout, a generator)."""


class _Timeout(Exception):
    pass


def area(name: str) -> str:
    for prefix, label in AREAS:
        if name.startswith(prefix) or f".{prefix}" in name:
            return label
    return ""


def full_name(op) -> str:
    return f"{op.name}.{op.variant_test_name}" if op.variant_test_name else op.name


# ----------------------------------------------------------------------------- torch -> glassnet
class Translator:
    """Maps torch values, callables and functions written against ``torch`` onto glassnet."""

    def __init__(self, torch, gn, sample_dtype=None):
        self.torch, self.gn = torch, gn
        self.sample_dtype = sample_dtype or torch.float32  # the dtype samples are drawn in
        self.modules = {id(torch): gn}
        for sub in ("nn", "nn.functional", "linalg", "special", "fft", "autograd"):
            try:
                t_mod, g_mod = torch, gn
                for part in sub.split("."):
                    t_mod, g_mod = getattr(t_mod, part), getattr(g_mod, part)
                self.modules[id(t_mod)] = g_mod
            except AttributeError:
                pass
        self._fn_cache = {}

    # values ---------------------------------------------------------------------------------
    def dtype(self, d):
        name = str(d).replace("torch.", "")
        if not hasattr(self.gn, name):
            raise Unsupported(f"dtype {name}")
        return getattr(self.gn, name)

    def value(self, x, memo):
        torch, gn = self.torch, self.gn
        if isinstance(x, torch.Tensor):
            if id(x) in memo:
                return memo[id(x)]
            if x.layout != torch.strided:
                return self.sparse(x, memo)
            if x.dtype == torch.bfloat16:
                raise Unsupported(f"dtype {x.dtype}")
            t = gn.from_numpy(self._array(x))
            if x.requires_grad:
                t.requires_grad_(True)
            memo[id(x)] = t
            return t
        if isinstance(x, torch.dtype):
            return self.dtype(x)
        if isinstance(x, torch.Size):
            return tuple(x)
        if isinstance(x, torch.device):
            return str(x)
        if isinstance(x, torch.memory_format):
            name = str(x).replace("torch.", "")
            if not hasattr(gn, name):
                raise Missing(f"glassnet.{name} (memory format)")
            return getattr(gn, name)
        if isinstance(x, torch.Generator):
            raise Unsupported("generator argument")
        if isinstance(x, list):
            return [self.value(v, memo) for v in x]
        if isinstance(x, tuple):
            vals = [self.value(v, memo) for v in x]
            return type(x)(*vals) if hasattr(x, "_fields") else tuple(vals)
        if isinstance(x, dict):
            return {k: self.value(v, memo) for k, v in x.items()}
        if isinstance(x, torch.nn.Module):  # a parameter-free layer: the same glassnet layer
            cls = getattr(gn.nn, type(x).__name__, None)
            if cls is None or any(True for _ in x.parameters()):
                raise Unsupported(f"module {type(x).__name__}")
            layer = cls()
            for k, v in vars(x).items():
                if not k.startswith("_") and isinstance(v, (int, float, bool, str, type(None))):
                    setattr(layer, k, v)
            return layer
        if callable(x) and not isinstance(x, type):
            return self.function(x)
        return x

    def _array(self, x):
        """A copy of ``x``'s values; a view of part of a larger storage (``base[5:15]``) stays a
        view, with the same offset and strides, of a copy of that whole storage, so that
        operators which address the storage (``as_strided``) see the same elements."""
        x = x.detach()
        n = x.untyped_storage().nbytes() // x.element_size()
        partial = x.storage_offset() != 0 or n > x.numel()
        if not partial or x.is_neg() or x.is_conj() or x.numel() == 0 \
                or min(x.stride(), default=1) < 0:
            return np.array(x.resolve_neg().numpy(), copy=True)
        flat = self.torch.empty(0, dtype=x.dtype).set_(x.untyped_storage(), 0, (n,), (1,))
        buf = np.array(flat.numpy(), copy=True)
        return np.ndarray(tuple(x.shape), buf.dtype, buffer=buf,
                          offset=x.storage_offset() * buf.itemsize,
                          strides=tuple(s * buf.itemsize for s in x.stride()))

    def sparse(self, x, memo):
        """A sparse COO or CSR torch tensor as the same glassnet one (a leaf as it was)."""
        torch, gn = self.torch, self.gn
        vals = np.array(x.detach().values().numpy() if x.layout == torch.sparse_csr
                        else x.detach()._values().numpy(), copy=True)
        if x.layout == torch.sparse_csr:
            t = gn.sparse_csr_tensor(x.crow_indices().numpy(), x.col_indices().numpy(), vals,
                                     tuple(x.shape))
        elif x.layout == torch.sparse_coo:
            t = gn.sparse_coo_tensor(x._indices().numpy(), vals, tuple(x.shape),
                                     is_coalesced=x.is_coalesced())
        else:
            raise Unsupported(f"layout {x.layout}")
        if x.requires_grad:
            t.requires_grad_(True)
        memo[id(x)] = t
        return t

    # callables ------------------------------------------------------------------------------
    def builtin(self, fn, name: str):
        """glassnet's callable for a torch builtin, found from the OpInfo name."""
        torch, gn = self.torch, self.gn
        objclass = getattr(fn, "__objclass__", None)
        if objclass is not None and issubclass(torch.Tensor, objclass) or name.startswith("__"):
            method = getattr(fn, "__name__", name)
            if not hasattr(gn.Tensor, method):
                raise Missing(f"Tensor.{method}")
            return getattr(gn.Tensor, method)
        target = gn
        for part in name.split("."):
            try:
                target = getattr(target, part)
            except AttributeError:
                target = None
                break
        if target is not None:
            return target
        if "." not in name and hasattr(gn.Tensor, name):
            return getattr(gn.Tensor, name)
        raise Missing(name)

    def function(self, fn):
        """A Python function written against torch, rebuilt so that ``torch`` means glassnet."""
        if isinstance(fn, types.ModuleType):
            return self.modules.get(id(fn), fn)
        if not isinstance(fn, types.FunctionType):
            mod = getattr(fn, "__module__", None) or ""
            name = getattr(fn, "__name__", None)
            if name and (mod.startswith("torch") or isinstance(fn, types.BuiltinFunctionType)):
                qual = {"torch.nn.functional": "nn.functional.", "torch._C._linalg": "linalg.",
                        "torch._C._special": "special.", "torch._C._nn": "nn.functional.",
                        "torch.functional": "", "torch": "", "torch._C._VariableFunctions": ""}
                prefix = qual.get(mod, "")
                if name.startswith("linalg_"):
                    prefix, name = "linalg.", name[len("linalg_"):]
                elif name.startswith("special_"):
                    prefix, name = "special.", name[len("special_"):]
                return self.builtin(fn, prefix + name)
            return fn
        if fn in self._fn_cache:
            return self._fn_cache[fn]
        glob = dict(fn.__globals__)
        for k, v in fn.__globals__.items():
            if isinstance(v, types.ModuleType) and id(v) in self.modules:
                glob[k] = self.modules[id(v)]
        closure = None
        if fn.__closure__:
            closure = tuple(types.CellType(self._cell(c)) for c in fn.__closure__)
        new = types.FunctionType(fn.__code__, glob, fn.__name__, fn.__defaults__, closure)
        new.__kwdefaults__ = fn.__kwdefaults__
        self._fn_cache[fn] = new
        return new

    def _cell(self, cell):
        try:
            v = cell.cell_contents
        except ValueError:
            return None
        if isinstance(v, types.ModuleType):
            return self.modules.get(id(v), v)
        if isinstance(v, types.FunctionType) and v.__module__.startswith("torch.testing"):
            return self.function(v)
        if callable(v) and (getattr(v, "__module__", None) or "").startswith("torch") \
                and not isinstance(v, type) and not isinstance(v, types.FunctionType):
            return self.function(v)
        return v

    def op(self, op):
        """glassnet's version of an OpInfo's operator."""
        fn = op.op
        if isinstance(fn, types.FunctionType) and fn.__module__.startswith("torch.testing"):
            return self.function(fn)
        return self.builtin(fn, op.name)


# ----------------------------------------------------------------------------- comparison
def _flatten(out):
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(_flatten(o))
        return res
    return [out]


def _np(x, torch, gn):
    if isinstance(x, torch.Tensor) and x.layout != torch.strided:
        x = x.detach().to_dense()
    if getattr(x, "_sparse_layout", False):
        x = x.detach().to_dense()
    if isinstance(x, torch.Tensor):
        x = x.detach()
        if x.is_conj():
            x = x.resolve_conj()
        if x.dtype == torch.bfloat16:
            x = x.float()
        return x.resolve_neg().numpy(force=True)
    if isinstance(x, gn.Tensor):
        return np.asarray(x.detach().numpy())
    return np.asarray(x)


def _close(a, e, rtol, atol, scale=False):
    if a.shape != e.shape:
        return False
    if a.size == 0:
        return True
    if e.dtype.kind in "biu" and a.dtype.kind in "biu":
        return np.array_equal(a, e)
    wide = np.complex128 if "c" in (a.dtype.kind, e.dtype.kind) else np.float64
    a = a.astype(wide)
    e = e.astype(wide)
    if scale:
        finite = np.abs(e[np.isfinite(e)])
        atol = atol + rtol * (finite.max() if finite.size else 0.0)
    return bool(np.allclose(a, e, rtol=rtol, atol=atol, equal_nan=True))


def tolerance(op, torch, dtype=None):
    """The OpInfo's tolerance for the sample dtype (float32 unless given; the largest it sets for
    any test), else rtol 1e-4/atol 1e-5."""
    rtol, atol = RTOL, ATOL
    dtype = dtype or torch.float32
    for info in getattr(op, "decorators", ()) or ():
        for dec in getattr(info, "decorators", ()) or ():
            d = getattr(dec, "d", None)
            if isinstance(d, dict) and dtype in d:
                t = d[dtype]
                if isinstance(t, float):  # precisionOverride: an atol alone
                    atol = max(atol, t)
                else:  # toleranceOverride: a tol(atol, rtol)
                    atol, rtol = max(atol, t.atol), max(rtol, t.rtol)
    return rtol, atol


def _grad_output(w, out, torch):
    """The weight ``w`` as the gradient of ``out``: for a sparse output, read on its stored
    positions (its gradient means nothing elsewhere; glassnet reads it there too)."""
    g = torch.from_numpy(w)
    if out.layout == torch.sparse_coo:
        return g.sparse_mask(out.detach().coalesce())
    return g.sparse_mask(out.detach()) if out.layout != torch.strided else g


def _weights(outs, torch, seed=0):
    """A fixed random weight for each floating or complex output, the same in both frameworks
    (of the output's dtype: complex outputs get complex weights)."""
    rng = np.random.default_rng(seed)

    def w(o):
        dt = str(o.dtype).replace("torch.", "")
        v = rng.standard_normal(tuple(o.shape))
        if o.is_complex():
            v = v + 1j * rng.standard_normal(tuple(o.shape))
        return v.astype(dt if o.dtype != torch.bfloat16 else np.float32)

    return [w(o) if isinstance(o, torch.Tensor) and (o.is_floating_point() or o.is_complex())
            else None for o in outs]


def _short(exc) -> str:
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {msg}"[:140]


def torch_grad_known_wrong(op) -> bool:
    """Does the OpInfo mark PyTorch's own backward check (TestBwdGradients.test_fn_grad) as an
    expected failure? Then a gradient that differs from PyTorch's is not counted against
    glassnet (``as_strided_scatter``'s, for one, fails PyTorch's own gradcheck)."""
    for info in tuple(getattr(op, "skips", ()) or ()) + tuple(getattr(op, "decorators", ()) or ()):
        if getattr(info, "cls_name", None) == "TestBwdGradients" \
                and getattr(info, "test_name", None) == "test_fn_grad" \
                and getattr(info, "device_type", None) in (None, "cpu") \
                and any(getattr(d, "__name__", "") == "expectedFailure"
                        for d in getattr(info, "decorators", ()) or ()):
            return True
    return False


GRAD_NOTE = "note: gradient differs from PyTorch's, whose own gradient check is an expected failure"


def run_sample(op, sample, gn_fn, tr, rtol, atol, grad_wrong=False):
    """Compare one sample; returns None when it agrees, else a short reason (a reason starting
    with "note" still agrees). Raises Missing."""
    torch, gn = tr.torch, tr.gn
    shape_only = op.name in RANDOM or RANDOM_IF.get(op.name, lambda s: False)(sample)
    memo = {}
    try:
        g_input = tr.value(sample.input, memo)
        g_args = tr.value(tuple(sample.args), memo)
        g_kwargs = tr.value(dict(sample.kwargs), memo)
    except Unsupported as e:
        return "skip: " + str(e)
    except Missing as e:
        return f"raise: no {e}"
    t_leaves = [t for t in _flatten([sample.input, list(sample.args),
                                     list(sample.kwargs.values())])
                if isinstance(t, torch.Tensor) and t.requires_grad]
    seen, uniq = set(), []
    for t in t_leaves:
        if id(t) not in seen:
            seen.add(id(t))
            uniq.append(t)
    t_leaves = uniq
    g_leaves = [memo[id(t)] for t in t_leaves]

    wrapper = op.gradcheck_wrapper
    plain = getattr(wrapper, "__name__", "") in ("gradcheck_wrapper", "<lambda>", "wrapper_set_seed")

    def call_torch():
        if plain:
            return op(sample.input, *sample.args, **sample.kwargs)
        # the operator itself, as PyTorch's tests pass it (the masked wrappers read its __name__)
        return wrapper(op.op, sample.input, *sample.args, **sample.kwargs)

    def call_gn():
        if plain:
            return gn_fn(g_input, *g_args, **g_kwargs)
        return tr.function(wrapper)(gn_fn, g_input, *g_args, **g_kwargs)

    torch.manual_seed(0)
    try:
        t_out = call_torch()
    except Exception as e:  # noqa: BLE001 - the sample is not valid for this PyTorch build
        return "skip: torch raised " + _short(e)
    gn.manual_seed(0)
    try:
        g_out = call_gn()
    except Missing:
        raise
    except AttributeError as e:
        if "has no attribute" in str(e):
            raise Missing(str(e)) from e
        return "raise: " + _short(e)
    except Exception as e:  # noqa: BLE001
        return "raise: " + _short(e)

    process = sample.output_process_fn_grad
    try:
        t_p, g_p = process(t_out), tr.function(process)(g_out)
    except Exception:  # noqa: BLE001
        t_p, g_p = t_out, g_out
    t_outs, g_outs = _flatten(t_p), _flatten(g_p)
    if len(t_outs) != len(g_outs):
        return f"fwd: {len(g_outs)} outputs, torch has {len(t_outs)}"
    for i, (t, g) in enumerate(zip(t_outs, g_outs)):
        if t is None and g is None:
            continue
        if isinstance(t, torch.Tensor):
            if not isinstance(g, gn.Tensor):
                if isinstance(g, (int, float, bool, np.generic)) and t.ndim == 0:
                    g = gn.tensor(g)
                else:
                    return f"fwd: output {i} is {type(g).__name__}, not a Tensor"
            if tuple(g.shape) != tuple(t.shape):
                return f"fwd: output {i} shape {tuple(g.shape)} != {tuple(t.shape)}"
            td = str(t.dtype).replace("torch.", "")
            if str(g.dtype) != td:
                return f"fwd: output {i} dtype {g.dtype} != {td}"
        if shape_only:
            continue
        a, e = _np(g, torch, gn), _np(t, torch, gn)
        if not _close(a, e, rtol, atol):
            if a.shape != e.shape:
                return f"fwd: output {i} shape {a.shape} != {e.shape}"
            diff = np.nanmax(np.abs(a.astype(np.complex128) - e.astype(np.complex128))) \
                if a.size else 0
            return f"fwd: output {i} values differ (max abs diff {diff:.3g})"

    # gradients ------------------------------------------------------------------------------
    if not t_leaves:
        return None
    t_diff = [(i, t) for i, t in enumerate(t_outs)
              if isinstance(t, torch.Tensor) and t.requires_grad
              and (t.is_floating_point() or t.is_complex())]
    if not t_diff:
        return None
    weights = _weights(t_outs, torch)
    try:
        t_grads = torch.autograd.grad([t for _, t in t_diff],
                                      t_leaves, [_grad_output(weights[i], t, torch)
                                                 for i, t in t_diff],
                                      allow_unused=True)
    except Exception:  # noqa: BLE001
        return None  # PyTorch has no gradient here either
    g_diff = [(i, g_outs[i]) for i, _ in t_diff
              if isinstance(g_outs[i], gn.Tensor) and g_outs[i].requires_grad]
    if g_diff:
        try:
            g_grads = gn.autograd.grad([g for _, g in g_diff], g_leaves,
                                       [gn.from_numpy(weights[i]) for i, _ in g_diff],
                                       allow_unused=True)
        except Exception as e:  # noqa: BLE001
            return "grad raise: " + _short(e)
    else:
        g_grads = [None] * len(g_leaves)
    for k, (tg, gg) in enumerate(zip(t_grads, g_grads)):
        if tg is None and gg is None:
            continue
        e = _np(tg, torch, gn) if tg is not None else np.zeros(tuple(t_leaves[k].shape), np.float32)
        if gg is None:
            if np.any(e != 0):
                return f"grad: input {k} has no gradient"
            continue
        a = _np(gg, torch, gn)
        if a.shape != e.shape:
            return f"grad: input {k} shape {a.shape} != {e.shape}"
        if shape_only:
            continue
        if not _close(a, e, rtol, atol, scale=True):
            diff = np.nanmax(np.abs(a.astype(np.complex128) - e.astype(np.complex128))) \
                if a.size else 0
            if grad_wrong:
                return GRAD_NOTE
            return f"grad: input {k} values differ (max abs diff {diff:.3g})"
    return None


def _alarm(signum, frame):
    raise _Timeout()


def _missing(result, name, exc):
    """``result`` for an operator glassnet lacks: excluded (with the reason) or missing."""
    if name in EXCLUDED or private(name):
        result.update(status="excluded", problem=EXCLUDED.get(name, "PyTorch-internal operator"))
    else:
        result.update(status="missing", problem=f"no {exc}")
    return result


def run_op(op, tr, max_samples=None, verbose=False):
    """Verdict for one OpInfo: dict(status, passed, total, problem, reasons)."""
    torch = tr.torch
    name = full_name(op)
    result = {"op": name, "area": area(op.name), "passed": 0, "total": 0, "problem": "",
              "reasons": collections.Counter()}
    try:
        gn_fn = tr.op(op)
    except Missing as e:
        return _missing(result, name, e)
    rtol, atol = tolerance(op, torch, tr.sample_dtype)
    grad_wrong = torch_grad_known_wrong(op)
    use_alarm = hasattr(signal, "SIGALRM") and os.name == "posix"
    if use_alarm:
        old = signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(TIMEOUT_S)
    raised = compared = 0
    try:
        torch.manual_seed(0)
        try:
            samples = list(op.sample_inputs("cpu", tr.sample_dtype,
                                            requires_grad=op.supports_autograd))
        except Exception as e:  # noqa: BLE001
            result.update(status="skip", problem="samples: " + _short(e))
            return result
        if max_samples:
            samples = samples[:max_samples]
        for k, sample in enumerate(samples):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    reason = run_sample(op, sample, gn_fn, tr, rtol, atol, grad_wrong)
                except Missing as e:
                    return _missing(result, name, e)
                except _Timeout:
                    raise
                except Exception as e:  # noqa: BLE001 - the comparison itself could not be made
                    reason = "skip: comparison failed: " + _short(e)
            if reason is not None and reason.startswith("skip"):
                continue
            compared += 1
            if reason is not None and reason.startswith("note"):
                result["passed"] += 1
                result.setdefault("note", f"sample {k}: {reason}")
                continue
            if reason is None:
                result["passed"] += 1
                continue
            if reason.startswith("raise"):
                raised += 1
            kind = reason.split(" (")[0]
            result["reasons"][kind] += 1
            if not result["problem"]:
                result["problem"] = f"sample {k}: {reason}"
            if verbose:
                print(f"  {name} sample {k}: {reason}\n    {_describe(sample, torch)}")
    except _Timeout:
        result["reasons"]["timeout"] += 1
        result["problem"] = result["problem"] or f"timed out after {TIMEOUT_S}s"
        raised, compared = raised + 1, compared + 1
    finally:
        if use_alarm:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)
    result["total"] = compared
    result["problem"] = result["problem"] or result.pop("note", "")
    if compared == 0:
        result["status"] = "skip"
        result["problem"] = result["problem"] or "no sample PyTorch runs"
    elif result["passed"] == compared:
        result["status"] = "pass"
    elif result["passed"]:
        result["status"] = "partial"
    elif raised == compared:
        result["status"] = "raise"
    else:
        result["status"] = "fail"
    return result


def _describe(sample, torch):
    def d(x):
        if isinstance(x, torch.Tensor):
            return f"T{tuple(x.shape)}{'' if x.is_floating_point() else str(x.dtype)[6:]}"
        if isinstance(x, (list, tuple)):
            return "[" + ", ".join(d(v) for v in x) + "]"
        if isinstance(x, dict):
            return "{" + ", ".join(f"{k}={d(v)}" for k, v in x.items()) + "}"
        return repr(x)
    return f"input={d(sample.input)} args={d(list(sample.args))} kwargs={d(sample.kwargs)}"


def load(names=None, dtype="float32"):
    """(translator, [OpInfo]) for the CPU OpInfos that support ``dtype`` (float32 by default),
    optionally only those named."""
    import torch
    from torch.testing._internal.common_methods_invocations import op_db

    import glassnet as gn

    dt = getattr(torch, dtype)
    ops = [op for op in op_db if dt in op.supported_dtypes("cpu")]
    if names is not None:
        wanted = set(names)
        ops = [op for op in ops if full_name(op) in wanted or op.name in wanted]
    return Translator(torch, gn, dt), ops


STATUSES = ("pass", "partial", "fail", "raise", "missing", "skip", "excluded")

# What glassnet deliberately does not provide, with the reason: the one exclusion list. Entries
# whose names start with "_" or "torch.ops.aten." are PyTorch's private dispatcher operators
# (the kernels behind public functions, which are checked under their public names) and are
# excluded by that rule; the public ones are named here.
EXCLUDED = {
    "chalf": "complex32 (half-precision complex): NumPy has no such dtype; complex64 and "
             "complex128 are supported",
    "jiterator_unary": "torch.cuda.jiterator compiles CUDA C++ source strings at run time: "
                       "a CUDA-only code generator, not an operator",
    "jiterator_binary": "torch.cuda.jiterator (CUDA-only code generator)",
    "jiterator_binary_return_by_ref": "torch.cuda.jiterator (CUDA-only code generator)",
    "jiterator_2inputs_2outputs": "torch.cuda.jiterator (CUDA-only code generator)",
    "jiterator_4inputs_with_extra_args": "torch.cuda.jiterator (CUDA-only code generator)",
    "slice": "exists only as torch.ops.aten.slice, the dispatcher operator behind indexing; "
             "slicing is checked through __getitem__",
    "native_dropout_backward": "exists only as torch.ops.aten.native_dropout_backward; "
                               "dropout's gradient is checked through nn.functional.dropout",
    "max_pool2d_with_indices_backward": "exists only as an aten backward kernel; max "
                                        "pooling's gradient is checked through "
                                        "nn.functional.max_pool2d",
}


def private(name: str) -> bool:
    """A PyTorch-internal OpInfo (``_foo``, ``torch.ops.aten.*``), excluded by rule."""
    return name.startswith("_") or name.startswith("torch.ops.")


def write_table(results, path, elapsed):
    counts = collections.Counter(r["status"] for r in results)
    public = [r for r in results if not private(r["op"].split("` (")[0])]
    pub = collections.Counter(r["status"] for r in public)
    lines = ["# glassnet against PyTorch's OpInfo database", "",
             ("Written by `python -m benchmarks.opinfo` (see its docstring for the method): "
              "every OpInfo of PyTorch's `op_db` that supports float32 on the CPU, its samples "
              "run through glassnet and PyTorch, forward values and gradients compared."), "",
             f"{len(results)} operators: " + ", ".join(f"{counts[s]} {s}" for s in STATUSES)
             + f" ({elapsed:.0f} s).", "",
             f"Public operators (not PyTorch-internal): {len(public)}, of which "
             + ", ".join(f"{pub[s]} {s}" for s in STATUSES if pub[s]) + ". What is excluded "
             "and why is the list `EXCLUDED` in `benchmarks/opinfo.py`, repeated in the table "
             "below.", "",
             "| status | count |", "| --- | --- |"]
    lines += [f"| {s} | {counts[s]} |" for s in STATUSES]
    areas = sorted({r["area"] for r in results if r["area"]})
    for a in areas:
        sub = collections.Counter(r["status"] for r in results if r["area"] == a)
        lines.append("")
        lines.append(f"Of these, area `{a}`: " + ", ".join(f"{sub[s]} {s}" for s in STATUSES
                                                             if sub[s]) + ".")
    lines += ["", "| operator | status | samples passed | first problem |",
              "| --- | --- | --- | --- |"]
    for r in sorted(results, key=lambda r: r["op"]):
        prob = r["problem"].replace("|", "\\|")
        tag = f" ({r['area']})" if r["area"] else ""
        lines.append(f"| `{r['op']}`{tag} | {r['status']} | {r['passed']}/{r['total']} | {prob} |")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", help="comma-separated OpInfo names (default: all)")
    parser.add_argument("--max-samples", type=int, default=None)
    parser.add_argument("--out", default=None,
                        help="the table's path (default: benchmarks/OPINFO.md for float32)")
    parser.add_argument("--dtype", default="float32",
                        help="the dtype samples are drawn in: float32 (default), float64, "
                             "complex64 or complex128")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    names = args.ops.split(",") if args.ops else None
    tr, ops = load(names, args.dtype)
    out = args.out or (os.path.join(os.path.dirname(__file__), "OPINFO.md")
                       if args.dtype == "float32" else None)
    start = time.time()
    results = []
    for op in ops:
        r = run_op(op, tr, args.max_samples, args.verbose)
        results.append(r)
        if args.verbose or names:
            print(f"{r['op']:45s} {r['status']:8s} {r['passed']}/{r['total']}  {r['problem']}")
        sys.stdout.flush()
    elapsed = time.time() - start
    counts = collections.Counter(r["status"] for r in results)
    print(f"{len(results)} OpInfos ({args.dtype}, CPU): "
          + ", ".join(f"{counts[s]} {s}" for s in STATUSES) + f"  [{elapsed:.0f} s]")
    if not names and not args.no_write and out:
        write_table(results, out, elapsed)
        print(f"table: {out}")
    return results


if __name__ == "__main__":
    main()
