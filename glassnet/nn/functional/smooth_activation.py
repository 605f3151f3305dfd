"""Smooth activations: the sigmoid-shaped functions and the smooth rectifiers.

* ``sigmoid``, ``tanh``, ``logsigmoid``, ``softsign``, ``tanhshrink``, ``glu``: squashing
  functions and gates. sigmoid's derivative is at most 1/4, which is why deep sigmoid networks
  suffer vanishing gradients (lectures; see glassnet.analysis.gradient_flow).
* ``elu``, ``selu``, ``celu``, ``gelu``, ``silu``, ``mish``, ``softplus``: smooth versions of
  the ReLU, differentiable everywhere, with a negative part that keeps a gradient.

Each op with a Function of its own is fused, with a closed-form backward, and a differentiable
backward (``create_graph=True``) written on Tensors; the rest are compositions of Tensor
operations. ``inplace=True`` behaves as in ``piecewise_linear.py``.
"""

from __future__ import annotations

import math

from ...autograd import Function, Relabel
from ...backend import array_module
from ...functions import where
from ...ops.special import _erf
from .piecewise_linear import _check, _finish

__all__ = ["elu", "elu_", "selu", "selu_", "celu", "celu_", "gelu", "silu", "mish", "softplus",
           "sigmoid", "tanh", "logsigmoid", "softsign", "tanhshrink", "glu"]


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

    @staticmethod
    def differentiable_backward(ctx, g):
        # For x <= 0, d/dx alpha s (e^(k x) - 1) = k (y + alpha s): written with the output y,
        # the second derivative flows back through the ELU node itself.
        pos, e = ctx.saved_tensors
        alpha, scale, input_scale = ctx.c
        y = ctx.output_tensor(e * e.dtype.type(alpha * scale))
        return where(pos, g * scale, g * input_scale * (y + alpha * scale)), None, None, None

    @staticmethod
    def to_onnx(g, rec):
        x, alpha, scale, input_scale = rec.args
        name = g.value(x)
        if scale == 1.0 and input_scale == 1.0:
            y = g.op("Elu", [name], alpha=float(alpha))
        elif alpha == _SELU_ALPHA and scale == _SELU_SCALE and input_scale == 1.0:
            y = g.op("Selu", [name], alpha=float(alpha), gamma=float(scale))
        elif scale == 1.0 and math.isclose(input_scale * alpha, 1.0):
            y = g.op("Celu", [name], alpha=float(alpha))
        else:
            g.unsupported(f"ELU with alpha={alpha}, scale={scale}, input_scale={input_scale}")
        g.out(y)


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


def selu_(input):
    """In-place ``selu``."""
    return selu(input, True)


def celu(input, alpha=1.0, inplace=False):
    """CELU(x) = max(0, x) + min(0, alpha (e^(x / alpha) - 1))."""
    _check(input, "celu")
    return _finish(input, _ELU.apply(input, float(alpha), 1.0, 1.0 / float(alpha)), inplace)


def celu_(input, alpha=1.0):
    """In-place ``celu``."""
    return celu(input, alpha, True)


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

    @staticmethod
    def differentiable_backward(ctx, g):
        X = ctx.input_tensor(0, ctx.saved_tensors[0])
        if ctx.approximate == "tanh":
            c = _SQRT_2_OVER_PI
            th = (c * (X + 0.044715 * X * X * X)).tanh()
            d = 0.5 * (1 + th) + 0.5 * X * (1 - th * th) * (c * (1 + 3 * 0.044715 * X * X))
        else:
            cdf = 0.5 * (1 + (X * _INV_SQRT_2).erf())
            d = cdf + X * (-0.5 * X * X).exp() * _INV_SQRT_2PI
        return g * d, None

    @staticmethod
    def to_onnx(g, rec):
        x, approximate = rec.args
        name = g.value(x)
        if g.opset >= 20:
            g.out(g.op("Gelu", [name], approximate=approximate))
            return
        dt = g.operand_dtype()
        if approximate == "tanh":  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
            x3 = g.op("Mul", [g.op("Mul", [name, name]), name])
            inner = g.op("Add", [name, g.op("Mul", [x3, g.scalar(0.044715, dt)])])
            t = g.op("Tanh", [g.op("Mul", [inner, g.scalar(math.sqrt(2 / math.pi), dt)])])
        else:  # 0.5 x (1 + erf(x / sqrt 2))
            t = g.op("Erf", [g.op("Mul", [name, g.scalar(1 / math.sqrt(2), dt)])])
        y = g.op("Mul", [g.op("Mul", [name, g.scalar(0.5, dt)]),
                         g.op("Add", [t, g.scalar(1, dt)])])
        g.out(y)


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

    @staticmethod
    def differentiable_backward(ctx, g):
        x, s = ctx.saved_tensors
        X = ctx.input_tensor(0, x)
        sig = Relabel.apply(X.sigmoid(), s)
        return g * (sig * (1 + X * (1 - sig)))

    @staticmethod
    def to_onnx(g, rec):
        name = g.value(rec.args[0])
        g.out(g.op("Mul", [name, g.op("Sigmoid", [name])]))


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

    @staticmethod
    def differentiable_backward(ctx, g):
        (bx,) = ctx.saved_tensors
        beta = ctx.beta
        X = ctx.input_tensor(0, bx / bx.dtype.type(beta))
        return g * where(bx > ctx.threshold, 1.0, (X * beta).sigmoid()), None, None

    @staticmethod
    def to_onnx(g, rec):
        x, beta, threshold = rec.args
        g.out(_onnx_softplus(g, g.value(x), beta, threshold, g.operand_dtype()))


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

    @staticmethod
    def differentiable_backward(ctx, g):
        x, th = ctx.saved_tensors
        X = ctx.input_tensor(0, x)
        t = Relabel.apply(softplus(X).tanh(), th)
        return g * (t + X * X.sigmoid() * (1 - t * t))

    @staticmethod
    def to_onnx(g, rec):
        name = g.value(rec.args[0])
        if g.opset >= 18:
            g.out(g.op("Mish", [name]))
            return
        sp = _onnx_softplus(g, name, 1.0, 20.0, g.operand_dtype())
        g.out(g.op("Mul", [name, g.op("Tanh", [sp])]))


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


def glu(input, dim=-1):
    """GLU(a, b) = a * sigmoid(b), where a and b are the two halves of ``input`` along ``dim``."""
    if input.shape[dim] % 2:
        raise RuntimeError(f"glu: halving dimension must be even, but dimension {dim} is size "
                           f"{input.shape[dim]}")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


# ----------------------------------------------------------------------------- ONNX
def _onnx_softplus(g, name, beta, threshold, dt):
    """log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (as PyTorch)."""
    bx = name if beta == 1 else g.op("Mul", [name, g.scalar(beta, dt)])
    sp = g.op("Softplus", [bx])
    if beta != 1:
        sp = g.op("Div", [sp, g.scalar(beta, dt)])
    big = g.op("Greater", [bx, g.scalar(threshold, dt)])
    return g.op("Where", [big, name, sp])
