"""The discrete Fourier transform as three differentiable ops, from which every function of
``glassnet.fft`` is composed: complex to complex (``C2C``, any dims, forward or inverse), real
to one-sided complex (``R2C``, one dim) and one-sided complex to real (``C2R``, one dim).
NumPy's FFT (pocketfft) computes the transforms; the gradients are their adjoints.

The DFT of length n is the matrix F_kt = exp(-2 pi i k t / n). A complex-linear map y = M x has,
in PyTorch's convention for complex gradients (ops/complex.py), grad_x = M^H grad_y. Since
F^H = n ifft, the adjoint of a transform with normalisation ``norm`` is the opposite transform
with the *dual* normalisation: "backward" (1 on the forward transform, 1/n on the inverse) and
"forward" (1/n on the forward, 1 on the inverse) swap, "ortho" (1/sqrt n both ways) stays.

Padding or trimming the input to ``n`` points (the ``n``/``s`` arguments) is linear too: its
adjoint trims or zero-pads the gradient back to the input's size (``_resize``).

* R2C keeps the first n//2 + 1 outputs of the transform of a real signal. Its adjoint pads the
  gradient with zeros to n points, applies the dual inverse transform and keeps the real part
  (a real input keeps the real part of its gradient).
* C2R reads its input as the first half of a Hermitian spectrum X_{n-k} = conj(X_k): output
  sample t is (1/n) [Re X_0 + 2 sum_k Re(X_k w^kt) + Re X_{n/2} (-1)^t]. Each bin between 0 and
  n/2 stands for two bins of the full spectrum, so the adjoint is the dual R2C transform of the
  gradient with bins 1 .. n - (n//2 + 1) doubled.
"""

from __future__ import annotations

from ..autograd.function import Function
from ..backend import array_module, to_complex, to_real

_DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _resize(xp, a, axes, sizes):
    """``a`` trimmed or zero-padded at the end of each axis in ``axes`` to ``sizes``."""
    if all(a.shape[ax] == n for ax, n in zip(axes, sizes)):
        return a
    trim = [slice(None)] * a.ndim
    for ax, n in zip(axes, sizes):
        trim[ax] = slice(0, min(n, a.shape[ax]))
    a = a[tuple(trim)]
    pad = [(0, 0)] * a.ndim
    for ax, n in zip(axes, sizes):
        pad[ax] = (0, max(0, n - a.shape[ax]))
    return xp.pad(a, pad) if any(p[1] for p in pad) else a


class C2C(Function):
    """fftn (``inverse=False``) or ifftn (``inverse=True``) over ``axes``, the input first
    resized to ``sizes`` along them; the gradient is the opposite transform with the dual
    normalisation, resized back."""

    @staticmethod
    def forward(ctx, a, axes, sizes, norm, inverse):
        xp = array_module(a)
        ctx.axes, ctx.norm, ctx.inverse = axes, norm, inverse
        ctx.in_sizes = [a.shape[ax] for ax in axes]
        fn = xp.fft.ifftn if inverse else xp.fft.fftn
        return fn(a, s=sizes, axes=axes, norm=norm).astype(to_complex(a.dtype), copy=False)

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        fn = xp.fft.fftn if ctx.inverse else xp.fft.ifftn
        ga = fn(g, axes=ctx.axes, norm=_DUAL[ctx.norm]).astype(g.dtype, copy=False)
        return _resize(xp, ga, ctx.axes, ctx.in_sizes), None, None, None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        sizes = [g.shape[ax] for ax in ctx.axes]
        ga = C2C.apply(g, ctx.axes, sizes, _DUAL[ctx.norm], not ctx.inverse)
        return Resize.apply(ga, ctx.axes, ctx.in_sizes), None, None, None, None


class R2C(Function):
    """The first n//2 + 1 bins of the DFT of a real signal along ``axis`` (``rfft``), the input
    first resized to ``n`` points."""

    @staticmethod
    def forward(ctx, a, axis, n, norm):
        xp = array_module(a)
        ctx.axis, ctx.n, ctx.norm, ctx.in_size = axis, n, norm, a.shape[axis]
        return xp.fft.rfft(a, n=n, axis=axis, norm=norm).astype(to_complex(a.dtype), copy=False)

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        full = _resize(xp, g, (ctx.axis,), (ctx.n,))
        ga = xp.fft.ifft(full, axis=ctx.axis, norm=_DUAL[ctx.norm]).real
        ga = ga.astype(to_real(g.dtype), copy=False)
        return _resize(xp, ga, (ctx.axis,), (ctx.in_size,)), None, None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        full = Resize.apply(g, (ctx.axis,), (ctx.n,))
        ga = C2C.apply(full, (ctx.axis,), [ctx.n], _DUAL[ctx.norm], True).real
        return Resize.apply(ga, (ctx.axis,), (ctx.in_size,)), None, None, None


class C2R(Function):
    """The real signal of ``n`` points whose spectrum has, along ``axis``, the given first half
    (``irfft``); the input is first resized to n//2 + 1 bins."""

    @staticmethod
    def forward(ctx, a, axis, n, norm):
        xp = array_module(a)
        ctx.axis, ctx.n, ctx.norm, ctx.in_size = axis, n, norm, a.shape[axis]
        return xp.fft.irfft(a, n=n, axis=axis, norm=norm).astype(to_real(a.dtype), copy=False)

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        ga = xp.fft.rfft(g, axis=ctx.axis, norm=_DUAL[ctx.norm]).astype(to_complex(g.dtype),
                                                                        copy=False)
        ga = _double_mirrored(ga, ctx.axis, ctx.n)
        return _resize(xp, ga, (ctx.axis,), (ctx.in_size,)), None, None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        ga = R2C.apply(g, ctx.axis, ctx.n, _DUAL[ctx.norm])
        xp = array_module(ga._data)
        w = xp.ones(ga.shape[ctx.axis], dtype=to_real(ga.dtype))
        w[1:ctx.n - ga.shape[ctx.axis] + 1] = 2
        shape = [1] * ga.ndim
        shape[ctx.axis] = -1
        ga = ga * ctx.constant(w.reshape(shape), w.dtype)
        return Resize.apply(ga, (ctx.axis,), (ctx.in_size,)), None, None, None


def _double_mirrored(ga, axis, n):
    """Double the bins 1 .. n - (n//2 + 1): each stands for itself and its mirror n - k."""
    k = n - ga.shape[axis]
    if k > 0:
        idx = [slice(None)] * ga.ndim
        idx[axis] = slice(1, k + 1)
        ga[tuple(idx)] *= 2
    return ga


class Resize(Function):
    """Trim or zero-pad the end of each of ``axes`` to ``sizes`` (the adjoint of one is the
    other); differentiable again, for the second derivatives of the transforms."""

    @staticmethod
    def forward(ctx, a, axes, sizes):
        ctx.axes, ctx.in_sizes = axes, [a.shape[ax] for ax in axes]
        out = _resize(array_module(a), a, axes, sizes)
        return out.copy() if out is a else out

    @staticmethod
    def backward(ctx, g):
        return _resize(array_module(g), g, ctx.axes, ctx.in_sizes), None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        return Resize.apply(g, ctx.axes, ctx.in_sizes), None, None
