"""Shrinkage, randomised ReLU, Gumbel-softmax, and the in-place activations PyTorch names with ``_``.

* ``hardshrink`` and ``softshrink`` zero every value within ``lambd`` of 0 (the soft version
  also pulls the rest towards 0 by ``lambd``): the proximal steps of L0 and L1 sparsity.
* ``rrelu`` (Xu et al. 2015) is a leaky ReLU whose negative slope is drawn uniformly from
  [lower, upper] for every element while training, and fixed to (lower + upper) / 2 in
  evaluation. Slopes come from glassnet's seeded generator (so the same seed gives the same
  slopes; they differ from PyTorch's, which draws from its own generator).
* ``gumbel_softmax`` (Jang et al. 2017; Maddison et al. 2017) draws a differentiable sample of a
  categorical distribution: softmax((logits + g) / tau) with g ~ Gumbel(0, 1); ``hard=True``
  returns the one-hot argmax with the soft sample's gradient (straight-through estimator).
"""

from __future__ import annotations

import warnings

from ... import backend
from ...autograd import Function
from ...backend import array_module
from ...tensor import Tensor
from . import activation as _A
from .activation import _check, _finish, leaky_relu

__all__ = ["hardshrink", "softshrink", "rrelu", "rrelu_", "celu_", "selu_", "threshold_",
           "gumbel_softmax"]


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


def celu_(input, alpha=1.0):
    """In-place ``celu``."""
    return _A.celu(input, alpha, True)


def selu_(input):
    """In-place ``selu``."""
    return _A.selu(input, True)


def threshold_(input, threshold, value):
    """In-place ``threshold``: x where x > threshold, else ``value``."""
    return _A.threshold(input, threshold, value, True)


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """A differentiable sample of the categorical distribution softmax(logits).

    y = softmax((logits + g) / tau) along ``dim`` with g = -log(E), E ~ Exp(1) (so g is
    Gumbel(0, 1) noise from glassnet's seeded generator); argmax y is an exact sample of
    softmax(logits) (the Gumbel-max trick) and a small ``tau`` makes y close to one-hot. With
    ``hard=True`` the output is the one-hot argmax in the forward pass but carries the gradient
    of the soft sample (y_hard - y.detach() + y, the straight-through estimator).

    Shape: logits (*, num_features, *) -> same shape.
    """
    if not isinstance(logits, Tensor):
        raise TypeError(f"gumbel_softmax: expected logits to be a Tensor, got "
                        f"{type(logits).__name__}")
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    x = logits._data
    e = backend.rng().standard_exponential(x.shape).astype(x.dtype)
    xp = array_module(x)
    gumbels = Tensor._make(-xp.log(backend.to_device(e, backend.device_of(x))), False)
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    if y_soft.ndim == 0:
        onehot = xp.ones((), dtype=y_soft.dtype)
    else:
        d = dim % y_soft.ndim
        index = xp.expand_dims(y_soft._data.argmax(axis=d), d)
        classes = xp.arange(y_soft.shape[d]).reshape((-1,) + (1,) * (y_soft.ndim - d - 1))
        onehot = (classes == index).astype(y_soft.dtype)
    return Tensor._make(onehot, False) - y_soft.detach() + y_soft
