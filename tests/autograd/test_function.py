"""Function and Context (glassnet/autograd/function.py): custom Functions in both
conventions (arrays and Tensors), non-tensor arguments, several outputs, integer outputs without
grad, no recording under no_grad, the checks on what backward returns, and every Function
declaring its second-order gradient (``differentiable_backward``) or that it has none."""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pytest
from helpers import check_parity, gradcheck, randn

import glassnet as gn
from glassnet.autograd import Function

from ._util import G, T


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tensor_io_functions_match_torch(dtype, rng):
    x = rng.standard_normal((3, 4))
    check_parity(lambda t: G[0].apply(t), lambda t: T[0].apply(t), [x], dtype=dtype)
    b = rng.standard_normal((4,))
    check_parity(lambda s, v: G[1].apply(s, v, 0.8), lambda s, v: T[1].apply(s, v, 0.8),
                 [x, b], dtype=dtype)
    check_parity(lambda t: G[2].apply(t)[0] * 2, lambda t: T[2].apply(t)[0] * 2, [x], dtype=dtype)


def test_tensor_io_sees_tensors_and_names_its_node():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            seen["fwd"] = (type(x).__name__, gn.is_grad_enabled())
            return x * 2

        @staticmethod
        def backward(ctx, g):
            seen["bwd"] = type(g).__name__
            return g * 2

    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = Probe.apply(x)
    y.sum().backward()
    assert seen == {"fwd": ("Tensor", False), "bwd": "Tensor"}
    assert type(y.grad_fn).__name__ == "ProbeBackward" and Probe.tensor_io
    assert x.grad.tolist() == [2.0, 2.0]
    _, idx = G[2].apply(gn.tensor([[1.0, 3.0]], requires_grad=True))
    assert not idx.requires_grad


def test_backward_returning_too_few_gradients_says_so():
    class Bad(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    a = gn.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="Bad.backward: returned 1 gradients but forward took 2"):
        Bad.apply(a, gn.tensor([2.0], requires_grad=True)).sum().backward()


def test_integer_outputs_do_not_require_grad():
    x = gn.tensor([1.0, 3.0, 2.0], requires_grad=True)
    assert not x.argmax().requires_grad
    assert not (x > 1).requires_grad
    v, i = x.max(0)
    assert v.requires_grad and not i.requires_grad
    assert x.long().requires_grad is False


# ----------------------------------------------------------------------------- custom Functions
def test_the_function_docstring_example_works():
    doc = gn.autograd.__doc__
    code = doc[doc.index("    import glassnet"):doc.index("``ctx.needs_input_grad``")]
    code = "\n".join(line[4:] for line in code.splitlines())
    ns = {}
    exec(compile(code, "<autograd docstring>", "exec"), ns)  # noqa: S102 - our own docstring
    y = ns["y"]
    np.testing.assert_allclose(y.detach().numpy(), [1.0, 8.0])
    y.sum().backward()
    x = y.grad_fn.next_edges[0][0]
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])


class ScaledSquare(Function):
    """y = scale * x^2 with a non-tensor argument; backward returns None for it."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return scale * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2 * ctx.scale * x * grad, None


class MulAdd(Function):
    """Two inputs, two outputs: (a * b, a + b)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b, a + b

    @staticmethod
    def backward(ctx, g_prod, g_sum):
        a, b = ctx.saved_tensors
        ga = g_prod * b + g_sum if ctx.needs_input_grad[0] else None
        gb = g_prod * a + g_sum if ctx.needs_input_grad[1] else None
        return ga, gb


def test_custom_function_with_a_non_tensor_argument(rng):
    x = randn(rng, (3,))
    gradcheck(lambda t: ScaledSquare.apply(t, 1.5), [x])
    out = ScaledSquare.apply(gn.tensor(x, requires_grad=True), 2.0)
    assert repr(out.grad_fn) == "<ScaledSquareBackward>"


def test_custom_function_with_two_outputs(rng):
    a, b = randn(rng, (3,)), randn(rng, (3,))
    gradcheck(lambda x, y: MulAdd.apply(x, y), [a, b])
    ta = gn.tensor(a, requires_grad=True)
    p, _ = MulAdd.apply(ta, gn.tensor(b))
    p.sum().backward()  # only one output used: the other's gradient is zero
    np.testing.assert_allclose(ta.grad.numpy(), b.astype(np.float32), rtol=1e-6)


def test_custom_function_under_no_grad_records_nothing():
    with gn.no_grad():
        y = ScaledSquare.apply(gn.tensor([1.0], requires_grad=True), 2.0)
    assert y.grad_fn is None and not y.requires_grad


# ------------------------------------------------------------------- second-order gradients
def _import_all_modules():
    """Import every glassnet module, so that every Function subclass is defined."""
    for info in pkgutil.walk_packages(gn.__path__, "glassnet."):
        try:
            importlib.import_module(info.name)
        except ImportError as e:  # an optional extra (mpi4py, matplotlib, onnx...) is missing
            if (e.name or "").split(".")[0] == "glassnet":
                raise


def _glassnet_functions():
    _import_all_modules()
    found, stack = set(), [Function]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                stack.append(sub)
    return sorted((c for c in found if c.__module__.split(".")[0] == "glassnet"),
                  key=lambda c: (c.__module__, c.__qualname__))


def _declaring_class(cls):
    """The class, cls or a glassnet base of it below Function, whose body sets
    ``differentiable_backward``; None if none does (Function's own default does not count)."""
    for base in cls.__mro__:
        if base is Function:
            return None
        if base.__module__.split(".")[0] == "glassnet" and "differentiable_backward" in base.__dict__:
            return base
    return None


def _name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def test_every_function_declares_its_differentiable_backward():
    functions = [c for c in _glassnet_functions() if not c.tensor_io]
    # Functions on Tensors (tensor_io) need none: their backward is recorded as it runs.
    assert len(functions) > 100
    missing = [_name(c) for c in functions if _declaring_class(c) is None]
    assert not missing, (
        f"{len(missing)} Function classes neither define differentiable_backward nor say "
        "`differentiable_backward = None` in their body:\n  " + "\n  ".join(missing))
    wrong = [_name(c) for c in functions
             if not (c.differentiable_backward is None or callable(c.differentiable_backward))]
    assert not wrong, "differentiable_backward is neither None nor callable in: " + ", ".join(wrong)
