"""Complex numbers: the parts of a complex tensor (real, imag, conj, angle), building one from
parts (complex, polar), and the views between a complex tensor and its float pairs
(view_as_real, view_as_complex).

Gradients follow PyTorch's convention. For a real loss L of a complex z = x + iy, the gradient
is ``dL/dx + i dL/dy`` (twice the conjugate Wirtinger derivative dL/dz*): the direction in the
complex plane in which L grows fastest, so that gradient descent ``z -= lr * z.grad`` works as
for real numbers. Through an op w = f(z) the chain rule reads

    grad_z = conj(df/dz) grad_w + (df/dz*) conj(grad_w),

so a holomorphic f (df/dz* = 0: exp, log, products, ...) multiplies the incoming gradient by
conj(f'(z)); ``conj`` below is the helper those ops use. A real input of a complex op keeps the
real part of its gradient. See docs/complex-and-fft.md.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function, unbroadcast
from ..backend import array_module, to_complex, to_real


def conj(x):
    """The complex conjugate of a complex array, Tensor or number; anything real as it is
    (no copy), so a backward can write ``g * conj(b)`` for real and complex inputs alike."""
    if isinstance(x, complex):
        return x.conjugate()
    dt = getattr(x, "dtype", None)
    return x.conj() if dt is not None and dt.kind == "c" else x


def sgn(a):
    """z / |z| for a complex array (0 at 0); the sign for a real one (PyTorch's ``sgn``)."""
    xp = array_module(a)
    if a.dtype.kind != "c":
        return xp.sign(a)
    r = xp.abs(a)
    zero = r == 0
    return xp.where(zero, 0, a / xp.where(zero, 1, r)).astype(a.dtype, copy=False)


def from_parts(re, im, dtype=None):
    """A complex array (a new one) with real part ``re`` and imaginary part ``im`` (either may
    be None for zeros), broadcast together."""
    ref = re if re is not None else im
    xp = array_module(ref)
    shape = np.broadcast_shapes(*(x.shape for x in (re, im) if x is not None))
    out = xp.zeros(shape, dtype or to_complex(ref.dtype))
    if re is not None:
        out.real = re
    if im is not None:
        out.imag = im
    return out


class Real(Function):
    """The real part of a complex tensor, a view of its memory; its gradient g + 0i."""

    @staticmethod
    def forward(ctx, a):
        ctx.dtype = a.dtype
        return a.real

    @staticmethod
    def backward(ctx, g):
        return from_parts(g, None, ctx.dtype)

    @staticmethod
    def differentiable_backward(ctx, g):
        return g.to(ctx.dtype)


class Imag(Function):
    """The imaginary part of a complex tensor, a view of its memory; L depends on y = Im z,
    so its gradient is 0 + i g."""

    @staticmethod
    def forward(ctx, a):
        ctx.dtype = a.dtype
        return a.imag

    @staticmethod
    def backward(ctx, g):
        return from_parts(None, g, ctx.dtype)

    @staticmethod
    def differentiable_backward(ctx, g):
        return Complex.apply(g.new_zeros(g.shape), g)


class Conj(Function):
    """conj(x + iy) = x - iy; the gradient is conjugated too (dL/dx + i dL/d(-y) ... back)."""

    @staticmethod
    def forward(ctx, a):
        return a.conj()

    @staticmethod
    def backward(ctx, g):
        return g.conj()

    @staticmethod
    def differentiable_backward(ctx, g):
        return g.conj()


class Complex(Function):
    """``complex(real, imag)`` = real + i imag, broadcast; each part's gradient is the
    matching part of the incoming one, summed back to that part's shape."""

    @staticmethod
    def forward(ctx, re, im):
        ctx.sa, ctx.sb = re.shape, im.shape
        return from_parts(re, im)

    @staticmethod
    def backward(ctx, g):
        na, nb = ctx.needs_input_grad
        return (unbroadcast(g.real.copy(), ctx.sa) if na else None,
                unbroadcast(g.imag.copy(), ctx.sb) if nb else None)

    @staticmethod
    def differentiable_backward(ctx, g):
        na, nb = ctx.needs_input_grad
        return (g.real.sum_to_size(ctx.sa) if na else None,
                g.imag.sum_to_size(ctx.sb) if nb else None)


class Polar(Function):
    """``polar(abs, angle)`` = abs (cos angle + i sin angle), broadcast. With z the result:
    dL/d abs = Re(conj(g) sgn z) and dL/d angle = Re(conj(g) i z), as PyTorch computes them
    (so the gradient to ``abs`` is 0 where abs is 0)."""

    @staticmethod
    def forward(ctx, r, theta):
        xp = array_module(r)
        out = from_parts(r * xp.cos(theta), r * xp.sin(theta))
        ctx.sa, ctx.sb = r.shape, theta.shape
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        gc = g.conj()
        return (unbroadcast((gc * sgn(z)).real, ctx.sa) if na else None,
                unbroadcast((gc * z * 1j).real.astype(to_real(z.dtype), copy=False), ctx.sb)
                if nb else None)

    @staticmethod
    def differentiable_backward(ctx, g):
        (z,) = ctx.saved_tensors
        Z = ctx.output_tensor(z)
        na, nb = ctx.needs_input_grad
        gc = g.conj()
        return ((gc * ctx.constant(sgn(z), z.dtype)).real.sum_to_size(ctx.sa) if na else None,
                (gc * Z * 1j).real.sum_to_size(ctx.sb) if nb else None)


class Angle(Function):
    """The argument atan2(y, x) of z = x + iy. d angle/dx = -y/|z|^2 and d angle/dy = x/|z|^2,
    so the gradient is g (-y + ix)/|z|^2 = g i z / |z|^2 (0 at z = 0, as PyTorch)."""

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        ctx.save_for_backward(a)
        return xp.angle(a).astype(to_real(a.dtype), copy=False)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        xp = array_module(a)
        r2 = a.real * a.real + a.imag * a.imag
        zero = r2 == 0
        return xp.where(zero, 0, g * (a * 1j) / xp.where(zero, 1, r2)).astype(a.dtype,
                                                                                copy=False)

    @staticmethod
    def differentiable_backward(ctx, g):
        (a,) = ctx.saved_tensors
        A = ctx.input_tensor(0, a)
        r2 = (A.real * A.real + A.imag * A.imag).where(a != 0, 1.0)
        return (g * A * 1j / r2).where(a != 0, 0.0)


class ViewAsReal(Function):
    """A complex (...) tensor seen as a float (..., 2) tensor of (real, imag) pairs, sharing
    its memory; the gradient pairs are read back as complex numbers."""

    @staticmethod
    def forward(ctx, a):
        return real_view(a)

    @staticmethod
    def backward(ctx, g):
        return from_parts(g[..., 0], g[..., 1])

    @staticmethod
    def differentiable_backward(ctx, g):
        return ViewAsComplex.apply(g.contiguous())


class ViewAsComplex(Function):
    """A float (..., 2) tensor whose last dimension is contiguous, seen as complex (...),
    sharing its memory; the gradient is the complex gradient's (real, imag) pairs."""

    @staticmethod
    def forward(ctx, a):
        return a.view(to_complex(a.dtype))[..., 0]

    @staticmethod
    def backward(ctx, g):
        return real_view(g).copy()

    @staticmethod
    def differentiable_backward(ctx, g):
        return ViewAsReal.apply(g)


def real_view(a):
    """A complex array's (..., 2) float view of (real, imag) pairs: the real parts' view with
    one more axis, one part-size stride long (any strides; no copy)."""
    xp = array_module(a)
    re = a.real
    part = re.dtype.itemsize
    return xp.lib.stride_tricks.as_strided(re, a.shape + (2,), a.strides + (part,))
