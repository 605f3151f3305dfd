"""Activation functions: the non-linearities between layers, and softmax.

Without a non-linearity a stack of linear layers is one linear layer; with one, a wide enough
network approximates any continuous function (lectures: universal approximation). Each function
here is one fused Function whose backward is the closed-form derivative, so a training step pays
one kernel per activation instead of a chain of small ones.

``inplace=True`` is accepted as in PyTorch: outside autograd the input's array is overwritten; when
the input is part of a graph, the input tensor takes the result's place in the graph instead.

Derivatives at kinks follow PyTorch: relu'(0) = 0 (the lectures take 1), leaky_relu'(0) = slope,
hardtanh' is 1 only strictly inside (min_val, max_val).
"""

from __future__ import annotations

import math

from ...autograd import Function
from ...backend import array_module
from ...ops.elementwise import _erf
from ...tensor import Tensor, _as_tensor

__all__ = ["relu", "relu_", "leaky_relu", "leaky_relu_", "elu", "elu_", "selu", "celu", "gelu",
           "silu", "mish", "sigmoid", "tanh", "softplus", "softsign", "logsigmoid", "hardtanh",
           "hardtanh_", "relu6", "hardsigmoid", "hardswish", "prelu", "threshold", "glu",
           "heaviside", "step", "tanhshrink"]


def _check(x, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected input to be a glassnet Tensor, got {type(x).__name__}")
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got dtype {x._data.dtype} "
                           "(use .float())")


def _finish(x, out, inplace, op=None):
    """Return ``out``, or make ``x`` take its value when ``inplace`` (see the module docstring).
    ``op`` names the operation in the error for a leaf that requires grad (dropout uses it)."""
    if not inplace:
        return out
    if out.requires_grad:
        if x.requires_grad and x.grad_fn is None:
            where = f"{op} inplace=True" if op else "inplace=True"
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               f"operation ({where}); use inplace=False")
        x.data, x.grad_fn, x._output_nr, x.requires_grad = out._data, out.grad_fn, 0, True
        return x
    x._data[...] = out._data
    return x


class _ReLU(Function):
    """max(0, x); gradient 1 where x > 0, else 0 (the mask is saved as bytes, not floats)."""

    @staticmethod
    def forward(ctx, x):
        out = array_module(x).maximum(x, 0)
        ctx.save_for_backward(out > 0)
        return out

    @staticmethod
    def backward(ctx, g):
        return g * ctx.saved_tensors[0]


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


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x for x > 0, negative_slope * x otherwise."""
    _check(input, "leaky_relu")
    return _finish(input, _LeakyReLU.apply(input, float(negative_slope)), inplace)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


class _ELU(Function):
    """scale * (x if x > 0 else alpha * (exp(x / input_scale) - 1)); covers ELU, CELU and SELU."""

    @staticmethod
    def forward(ctx, x, alpha, scale, input_scale):
        xp = array_module(x)
        t = x.dtype.type
        pos = x > 0
        e = xp.expm1(xp.minimum(x, 0) * t(input_scale))
        out = xp.where(pos, x * t(scale), e * t(alpha * scale))
        ctx.save_for_backward(pos, e)
        ctx.c = (alpha, scale, input_scale)
        return out

    @staticmethod
    def backward(ctx, g):
        pos, e = ctx.saved_tensors
        alpha, scale, input_scale = ctx.c
        t = g.dtype.type
        neg = g * ((e + 1) * t(alpha * scale * input_scale))
        return array_module(g).where(pos, g * t(scale), neg), None, None, None


def elu(input, alpha=1.0, inplace=False):
    """ELU(x) = x for x > 0, alpha (e^x - 1) otherwise (Clevert et al. 2015)."""
    _check(input, "elu")
    return _finish(input, _ELU.apply(input, float(alpha), 1.0, 1.0), inplace)


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    """SELU(x) = scale * ELU(x, alpha) with the self-normalising constants (Klambauer et al.)."""
    _check(input, "selu")
    return _finish(input, _ELU.apply(input, _SELU_ALPHA, _SELU_SCALE, 1.0), inplace)


def celu(input, alpha=1.0, inplace=False):
    """CELU(x) = max(0, x) + min(0, alpha (e^(x / alpha) - 1))."""
    _check(input, "celu")
    return _finish(input, _ELU.apply(input, float(alpha), 1.0, 1.0 / float(alpha)), inplace)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class _GELU(Function):
    @staticmethod
    def forward(ctx, x, approximate):
        xp = array_module(x)
        t = x.dtype.type
        ctx.approximate = approximate
        ctx.save_for_backward(x)
        if approximate == "tanh":
            inner = t(_SQRT_2_OVER_PI) * (x + t(0.044715) * x * x * x)
            return t(0.5) * x * (1 + xp.tanh(inner))
        return t(0.5) * x * (1 + _erf(x * t(_INV_SQRT_2)))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xp = array_module(x)
        t = x.dtype.type
        if ctx.approximate == "tanh":
            x2 = x * x
            th = xp.tanh(t(_SQRT_2_OVER_PI) * (x + t(0.044715) * x2 * x))
            dinner = t(_SQRT_2_OVER_PI) * (1 + t(3 * 0.044715) * x2)
            d = t(0.5) * (1 + th) + t(0.5) * x * (1 - th * th) * dinner
        else:
            cdf = t(0.5) * (1 + _erf(x * t(_INV_SQRT_2)))
            d = cdf + x * xp.exp(t(-0.5) * x * x) * t(_INV_SQRT_2PI)
        return g * d, None


def gelu(input, approximate="none"):
    """GELU(x) = x Phi(x), Phi the standard normal CDF (Hendrycks & Gimpel 2016);
    ``approximate='tanh'`` uses 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    _check(input, "gelu")
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _GELU.apply(input, approximate)


def _sigmoid_array(x):
    xp = array_module(x)
    e = xp.exp(-xp.abs(x))  # never overflows: exp of a non-positive number
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


class _SiLU(Function):
    @staticmethod
    def forward(ctx, x):
        s = _sigmoid_array(x)
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx, g):
        x, s = ctx.saved_tensors
        return g * (s * (1 + x * (1 - s)))


def silu(input, inplace=False):
    """SiLU(x) = x sigmoid(x) (a.k.a. swish); derivative s (1 + x (1 - s))."""
    _check(input, "silu")
    return _finish(input, _SiLU.apply(input), inplace)


def _softplus_array(x, beta, threshold):
    xp = array_module(x)
    t = x.dtype.type
    bx = x * t(beta)
    # log(1 + e^z) = max(z, 0) + log1p(e^-|z|) never overflows; above threshold it is z itself.
    sp = (xp.maximum(bx, 0) + xp.log1p(xp.exp(-xp.abs(bx)))) / t(beta)
    return xp.where(bx > threshold, x, sp), bx


class _Softplus(Function):
    @staticmethod
    def forward(ctx, x, beta, threshold):
        out, bx = _softplus_array(x, beta, threshold)
        ctx.save_for_backward(bx)
        ctx.threshold, ctx.beta = threshold, beta
        return out

    @staticmethod
    def backward(ctx, g):
        (bx,) = ctx.saved_tensors
        d = array_module(g).where(bx > ctx.threshold, 1, _sigmoid_array(bx)).astype(g.dtype)
        return g * d, None, None


def softplus(input, beta=1.0, threshold=20.0):
    """Softplus(x) = log(1 + e^(beta x)) / beta, a smooth ReLU; linear where beta x > threshold.

    Its derivative is sigmoid(beta x).
    """
    _check(input, "softplus")
    return _Softplus.apply(input, float(beta), float(threshold))


class _Mish(Function):
    @staticmethod
    def forward(ctx, x):
        sp, _ = _softplus_array(x, 1.0, 20.0)
        th = array_module(x).tanh(sp)
        ctx.save_for_backward(x, th)
        return x * th

    @staticmethod
    def backward(ctx, g):
        x, th = ctx.saved_tensors
        return g * (th + x * _sigmoid_array(x) * (1 - th * th))


def mish(input, inplace=False):
    """Mish(x) = x tanh(softplus(x)) (Misra 2019)."""
    _check(input, "mish")
    return _finish(input, _Mish.apply(input), inplace)


def sigmoid(input):
    """sigma(x) = 1 / (1 + e^-x). Its derivative is at most 1/4, which is why deep sigmoid
    networks suffer vanishing gradients (see glassnet.analysis.gradient_flow)."""
    _check(input, "sigmoid")
    return input.sigmoid()


def tanh(input):
    """tanh(x) = 2 sigma(2x) - 1; derivative 1 - tanh^2 <= 1."""
    _check(input, "tanh")
    return input.tanh()


def logsigmoid(input):
    """log sigma(x) = -softplus(-x), computed stably."""
    _check(input, "logsigmoid")
    return -softplus(-input)


def softsign(input):
    """x / (1 + |x|)."""
    return input / (input.abs() + 1)


def tanhshrink(input):
    return input - input.tanh()


class _Hardtanh(Function):
    @staticmethod
    def forward(ctx, x, lo, hi):
        inside = (x > lo) & (x < hi)
        ctx.save_for_backward(inside)
        return array_module(x).clip(x, x.dtype.type(lo), x.dtype.type(hi))

    @staticmethod
    def backward(ctx, g):
        return g * ctx.saved_tensors[0], None, None


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


def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else ``value``."""
    _check(input, "threshold")
    from ...tensor import where

    out = where(input > threshold, input, _as_tensor(float(value), input))
    return _finish(input, out, inplace)


def prelu(input, weight):
    """x where x > 0, else a * x, with a learnable slope ``a = weight`` per channel (dim 1) or
    shared. At x = 0 the input gradient is a (PyTorch's choice), the slope's gradient x = 0."""
    _check(input, "prelu")
    a = weight
    if weight.numel() > 1:
        if input.ndim < 2 or input.shape[1] != weight.numel():
            raise RuntimeError(f"prelu: weight has {weight.numel()} parameters but input has "
                               f"{input.shape[1] if input.ndim > 1 else 1} channels (dim 1)")
        a = weight.reshape((1, -1) + (1,) * (input.ndim - 2))
    from ...tensor import where

    return where(input > 0, input, a * input)


def glu(input, dim=-1):
    """GLU(a, b) = a * sigmoid(b), where a and b are the two halves of ``input`` along ``dim``."""
    if input.shape[dim] % 2:
        raise RuntimeError(f"glu: halving dimension must be even, but dimension {dim} is size "
                           f"{input.shape[dim]}")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


# ----------------------------------------------------------------------------- step
class _Heaviside(Function):
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
