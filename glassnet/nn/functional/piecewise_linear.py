"""Piecewise-linear activations: the ReLU family, hard clamps, shrinkage, and the step.

Without a non-linearity a stack of linear layers is one linear layer; with one, a wide enough
network approximates any continuous function (lectures: universal approximation). The functions
here are linear on each piece of the real line, so the derivative is a saved 0/1 mask or a
constant slope and the second derivative is zero. Each op is one fused Function whose backward
is that closed-form derivative, so a training step pays one kernel per activation instead of a
chain of small ones.

* ``relu``, ``relu6``, ``leaky_relu``, ``prelu``, ``rrelu``: rectifiers. ``rrelu`` (Xu et al.
  2015) is a leaky ReLU whose negative slope is drawn uniformly from [lower, upper] for every
  element while training and fixed to (lower + upper) / 2 in evaluation; slopes come from
  glassnet's seeded generator (the same seed gives the same slopes; they differ from PyTorch's).
* ``hardtanh``, ``hardsigmoid``, ``hardswish``, ``threshold``: clamps and the hard versions of
  the smooth activations (hardswish is x times a piecewise-linear gate).
* ``hardshrink`` and ``softshrink`` zero every value within ``lambd`` of 0 (the soft version
  also pulls the rest towards 0 by ``lambd``): the proximal steps of L0 and L1 sparsity.
* ``heaviside`` and ``step``: the perceptron's activation, which has no gradient.

``inplace=True`` is accepted as in PyTorch: outside autograd the input's array is overwritten; when
the input is part of a graph, the input tensor takes the result's place in the graph instead.

Derivatives at kinks follow PyTorch: relu'(0) = 0 (the lectures take 1), leaky_relu'(0) = slope,
hardtanh' is 1 only strictly inside (min_val, max_val).
"""

from __future__ import annotations

import numpy as np

from ... import accel, backend
from ...autograd import Function
from ...backend import array_module
from ...functions import where
from ...ops import autocast
from ...tensor import Tensor, _as_tensor

__all__ = ["relu", "relu_", "leaky_relu", "leaky_relu_", "rrelu", "rrelu_", "prelu", "hardtanh",
           "hardtanh_", "relu6", "hardsigmoid", "hardswish", "threshold", "threshold_",
           "hardshrink", "softshrink", "heaviside", "step"]


def _check(x, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected input to be a glassnet Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise RuntimeError(f"{op}: expected a floating point input, got dtype {x._data.dtype} "
                           "(use .float())")


def _finish(x, out, inplace, op=None):
    """Return ``out``, or make ``x`` take its value when ``inplace`` (see the module docstring).
    ``op`` names the operation in the error for a leaf that requires grad (dropout uses it)."""
    if not inplace:
        return out
    if out.requires_grad:
        if x.requires_grad and x.grad_fn is None:
            what = f"{op} inplace=True" if op else "inplace=True"
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               f"operation ({what}); use inplace=False")
        x.data, x.grad_fn, x._output_nr, x.requires_grad = out._data, out.grad_fn, 0, True
        return x
    x._data[...] = out._data
    return x


class _ReLU(Function):
    """max(0, x); gradient dy where the output is not <= 0 (so also where it is NaN, as in
    PyTorch), else 0. The mask is saved as bytes, not floats.

    With the ``accel`` extra, a C-contiguous float input takes one compiled pass that writes
    the output and the mask (NumPy makes three), and the backward one pass of dy * mask, with
    NumPy's values (a NaN or inf in dy gives NaN under the mask's zeros, as NumPy's product
    does; PyTorch gives 0 there)."""

    @staticmethod
    def forward(ctx, x):
        if accel.available(x) and x.flags.c_contiguous:
            out, alive = np.empty_like(x), np.empty(x.shape, bool)
            flat, o, a = x.reshape(-1), out.reshape(-1), alive.reshape(-1).view(np.uint8)
            backend.parallel_slices(lambda sl: _relu_pass(flat[sl], o[sl], a[sl]), x.size,
                                    2 * x.nbytes)
        else:
            out = array_module(x).maximum(x, 0)
            alive = ~(out <= 0)
        ctx.save_for_backward(alive)
        return out

    @staticmethod
    def backward(ctx, g):
        alive = ctx.saved_tensors[0]
        if accel.available(g) and g.flags.c_contiguous and alive.shape == g.shape:
            dx = np.empty_like(g)
            flat, a, d = g.reshape(-1), alive.reshape(-1).view(np.uint8), dx.reshape(-1)
            backend.parallel_slices(lambda sl: _relu_grad_pass(flat[sl], a[sl], d[sl]), g.size,
                                    2 * g.nbytes)
            return dx
        return g * alive

    @staticmethod
    def differentiable_backward(ctx, g):
        return g * ctx.constant(ctx.saved_tensors[0], g.dtype)

    @staticmethod
    def to_onnx(g, rec):
        g.out(g.op("Relu", [g.value(rec.args[0])]))


@accel.kernel
def _relu_pass(x, out, alive):
    for i in range(x.shape[0]):
        v = x[i]
        dead = v <= 0  # false for NaN: it stays, as in np.maximum, and passes its gradient
        out[i] = 0.0 if dead else v
        alive[i] = not dead


@accel.kernel
def _relu_grad_pass(g, alive, dx):
    for i in range(g.shape[0]):
        dx[i] = g[i] * alive[i]


def relu(input, inplace=False):
    """ReLU(x) = max(0, x) (Nair & Hinton 2010): does not saturate for x > 0, so gradients do not
    vanish through deep stacks the way they do through sigmoid.

    Shape: any; output has the input's shape.
    """
    _check(input, "relu")
    return _finish(input, _ReLU.apply(input), inplace)


def relu_(input):
    return relu(input, inplace=True)


class _LeakyReLU(Function):
    @staticmethod
    def forward(ctx, x, slope):
        ctx.slope = slope
        pos = x > 0
        ctx.save_for_backward(pos)
        xp = array_module(x)
        return xp.where(pos, x, x * x.dtype.type(slope))

    @staticmethod
    def backward(ctx, g):
        (pos,) = ctx.saved_tensors
        return array_module(g).where(pos, g, g * g.dtype.type(ctx.slope)), None

    @staticmethod
    def differentiable_backward(ctx, g):
        (pos,) = ctx.saved_tensors
        return where(pos, g, g * ctx.slope), None

    @staticmethod
    def to_onnx(g, rec):
        g.out(g.op("LeakyRelu", [g.value(rec.args[0])], alpha=float(rec.args[1])))


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x for x > 0, negative_slope * x otherwise."""
    _check(input, "leaky_relu")
    return _finish(input, _LeakyReLU.apply(input, float(negative_slope)), inplace)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


class _RReLUTrain(Function):
    """out = x * a, with a = 1 for x > 0 and a ~ U(lower, upper) otherwise; dL/dx = g * a."""

    @staticmethod
    def forward(ctx, x, noise):
        xp = array_module(x)
        a = xp.where(x > 0, x.dtype.type(1), noise)
        ctx.save_for_backward(a)
        return x * a

    @staticmethod
    def backward(ctx, g):
        return g * ctx.saved_tensors[0], None

    @staticmethod
    def differentiable_backward(ctx, g):
        return g * ctx.constant(ctx.saved_tensors[0], g.dtype), None


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomised leaky ReLU: x for x > 0, a x otherwise, with a ~ U(lower, upper) drawn per
    element while ``training`` and a = (lower + upper) / 2 in evaluation (then it is
    ``leaky_relu``). The random slopes come from glassnet's seeded generator.

    Shape: any; output has the input's shape.
    """
    _check(input, "rrelu")
    lower, upper = float(lower), float(upper)
    if lower > upper:
        raise RuntimeError(f"rrelu: lower bound should be less than or equal to the upper bound, "
                           f"got lower={lower}, upper={upper}")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    x = input._data
    r = backend.rng().uniform(lower, upper, x.shape).astype(x.dtype)
    noise = backend.to_device(r, backend.device_of(x))
    return _finish(input, _RReLUTrain.apply(input, noise), inplace)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """In-place ``rrelu``."""
    return rrelu(input, lower, upper, training, True)


@autocast.lower_precision
def prelu(input, weight):
    """x where x > 0, else a * x, with a learnable slope ``a = weight`` per channel (dim 1) or
    shared. At x = 0 the input gradient is a (PyTorch's choice), the slope's gradient x = 0."""
    _check(input, "prelu")
    a = weight.reshape(()) if weight.numel() == 1 else weight  # one shared slope
    if weight.numel() > 1:
        if input.ndim < 2 or input.shape[1] != weight.numel():
            raise RuntimeError(f"prelu: weight has {weight.numel()} parameters but input has "
                               f"{input.shape[1] if input.ndim > 1 else 1} channels (dim 1)")
        a = weight.reshape((1, -1) + (1,) * (input.ndim - 2))
    return where(input > 0, input, a * input)


class _Hardtanh(Function):
    @staticmethod
    def forward(ctx, x, lo, hi):
        inside = (x > lo) & (x < hi)
        ctx.save_for_backward(inside)
        return array_module(x).clip(x, x.dtype.type(lo), x.dtype.type(hi))

    @staticmethod
    def backward(ctx, g):
        return g * ctx.saved_tensors[0], None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        return g * ctx.constant(ctx.saved_tensors[0], g.dtype), None, None

    @staticmethod
    def to_onnx(g, rec):
        x, lo, hi = rec.args
        dt = g.operand_dtype()
        g.out(g.op("Clip", [g.value(x), g.scalar(lo, dt), g.scalar(hi, dt)]))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """clamp(x, min_val, max_val); gradient 1 strictly inside, 0 outside (PyTorch's convention)."""
    _check(input, "hardtanh")
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val "
                         f"({max_val})")
    return _finish(input, _Hardtanh.apply(input, float(min_val), float(max_val)), inplace)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def relu6(input, inplace=False):
    """min(max(0, x), 6) = hardtanh(x, 0, 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6: a piecewise-linear sigmoid."""
    _check(input, "hardsigmoid")
    out = _Hardtanh.apply(input, -3.0, 3.0) * (1.0 / 6.0) + 0.5
    return _finish(input, out, inplace)


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6 (MobileNetV3)."""
    _check(input, "hardswish")
    return _finish(input, _Hardswish.apply(input), inplace)


class _Hardswish(Function):
    @staticmethod
    def forward(ctx, x):
        xp = array_module(x)
        ctx.save_for_backward(x)
        return x * xp.clip(x + 3, 0, 6) * x.dtype.type(1 / 6)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xp = array_module(x)
        # PyTorch's one-sided derivatives at the kinks: 0 at x = -3, 1 at x = 3.
        d = xp.where(x <= -3, 0, xp.where(x < 3, x / 3 + 0.5, 1)).astype(g.dtype)
        return g * d

    @staticmethod
    def differentiable_backward(ctx, g):
        (x,) = ctx.saved_tensors
        X = ctx.input_tensor(0, x)
        mid = (x > -3) & (x < 3)
        return g * where(mid, X / 3 + 0.5, ctx.constant(x >= 3, g.dtype))

    @staticmethod
    def to_onnx(g, rec):
        g.out(g.op("HardSwish", [g.value(rec.args[0])]))


def _threshold(input, th, value, inplace):
    _check(input, "threshold")
    out = where(input > th, input, _as_tensor(float(value), input))
    return _finish(input, out, inplace)


def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else ``value``."""
    return _threshold(input, threshold, value, inplace)


def threshold_(input, threshold, value):
    """In-place ``threshold``: x where x > threshold, else ``value``."""
    return _threshold(input, threshold, value, True)


class _Shrink(Function):
    """hard: x where |x| > lambd else 0; soft: x - lambd sign(x) there, else 0.

    The gradient is 1 strictly outside [-lambd, lambd] and 0 inside, ends included (PyTorch).
    """

    @staticmethod
    def forward(ctx, x, lambd, soft):
        xp = array_module(x)
        lam = x.dtype.type(lambd)
        outside = (x < -lam) | (x > lam) | xp.isnan(x)
        ctx.save_for_backward(outside)
        if soft:
            return xp.where(x > lam, x - lam, xp.where(x < -lam, x + lam, x * 0))
        return xp.where(outside, x, 0).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.saved_tensors[0], None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        return g * ctx.constant(ctx.saved_tensors[0], g.dtype), None, None

    @staticmethod
    def to_onnx(g, rec):
        x, lambd, soft = rec.args
        g.out(g.op("Shrink", [g.value(x)], lambd=float(lambd),
                   bias=float(lambd) if soft else 0.0))


def hardshrink(input, lambd=0.5):
    """Hardshrink(x) = x if |x| > lambd, else 0.

    Shape: any; output has the input's shape.
    """
    _check(input, "hardshrink")
    return _Shrink.apply(input, float(lambd), False)


def softshrink(input, lambd=0.5):
    """Softshrink(x) = x - lambd if x > lambd, x + lambd if x < -lambd, else 0 (the proximal
    operator of lambd * |x|, the shrinkage step of ISTA / lasso).

    Shape: any; output has the input's shape.
    """
    _check(input, "softshrink")
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, but found to be "
                           f"{lambd}")
    return _Shrink.apply(input, float(lambd), True)


# ----------------------------------------------------------------------------- step
class _Heaviside(Function):
    differentiable_backward = None  # no first derivative either (see backward)

    @staticmethod
    def forward(ctx, x, values):
        xp = array_module(x)
        return xp.where(x > 0, 1, xp.where(x == 0, values, 0)).astype(x.dtype)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(
            "heaviside: the step function has no useful derivative (it is 0 everywhere except at "
            "0, where it does not exist), so it cannot be trained by backpropagation. The "
            "perceptron and the McCulloch-Pitts neuron are trained without gradients; for "
            "gradient descent use a smooth surrogate such as sigmoid or tanh.")


def heaviside(input, values=1.0):
    """The step function H(x) = 1 for x > 0, ``values`` at x = 0, 0 for x < 0 — the activation
    of the McCulloch-Pitts neuron and the perceptron.

    It has no gradient: **backward through it raises** a RuntimeError (as in PyTorch), rather than
    silently returning zeros that would stall training.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"heaviside: expected a Tensor, got {type(input).__name__}")
    v = values._data if isinstance(values, Tensor) else values
    x = input if input._data.dtype.kind == "f" else input.float()
    out = _Heaviside.apply(x, v)
    return out if input._data.dtype.kind == "f" else out.to(input.dtype)


def step(input, threshold=0.0):
    """1 where input >= threshold, else 0: the McCulloch-Pitts neuron fires when its weighted sum
    reaches the threshold. No gradient (backward raises; see ``heaviside``)."""
    return heaviside(input - threshold, 1.0)
