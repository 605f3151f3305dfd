"""Equivariance and invariance errors, and the rotations that test them.

Course material 000/003, "Beyond shifts: group equivariance". A map f is **equivariant** to a
transformation g when transforming the input transforms the output in a known way g',

    f(g(x)) = g'(f(x)),

and **invariant** when g' is the identity, f(g(x)) = f(x). Convolutions are equivariant to
shifts (g' = the same shift); a classifier should be invariant to them. Rotations are another
group: an ordinary CNN is not rotation-equivariant, a group convolution over the four 90-degree
rotations (``glassnet.nn.P4ConvZ2``) is exactly, and Harmonic Networks (Worrall et al. 2017)
extend this to every angle.

``equivariance_error`` measures how far a map is from the identity above, as the relative error

    E = ||f(g x) - g'(f x)|| / ||g'(f x)||    (per sample, averaged over the batch),

0 for an exactly equivariant map (up to float rounding, ~1e-7 in float32).

Rotations by multiples of 90 degrees permute pixels (``rot90``, exact); other angles resample
the image bilinearly (``rotate``, via ``glassnet.data.warp``) and lose the corners, so their
errors are measured inside the inscribed disc (``disk_mask``).
"""

from __future__ import annotations

import numpy as np

from ..data.warp import rotate as warp_rotate
from ..tensor import Tensor
from ._util import as_numpy, as_tensor, evaluate, relative_error

__all__ = ["disk_mask", "equivariance_error", "invariance_error", "rot90", "rotate", "rotate_p4",
           "rotation_deviation"]


def equivariance_error(fn, x, transform_in, transform_out=None):
    """The relative error ``||f(T_in x) - T_out(f x)|| / ||T_out(f x)||`` (per-sample, mean).

    ``fn``: a Module or any callable Tensor -> Tensor (run without gradients, in eval mode).
    ``transform_in``/``transform_out``: callables Tensor -> Tensor; ``transform_out=None``
    measures invariance (T_out = identity). ``x``: a Tensor or an array (N, ...).

    Returns a float: 0 for exact equivariance (invariance).
    """
    x = as_tensor(x)
    y = evaluate(fn, x)
    y_t = evaluate(fn, transform_in(x))
    ref = y if transform_out is None else transform_out(y)
    if tuple(y_t.shape) != tuple(ref.shape):
        raise ValueError(f"equivariance_error: f(T_in x) has shape {tuple(y_t.shape)} but "
                         f"T_out(f x) has shape {tuple(ref.shape)}")
    return relative_error(y_t, ref)


def invariance_error(fn, x, transform):
    """``||f(T x) - f(x)|| / ||f(x)||``: ``equivariance_error`` with the identity as T_out."""
    return equivariance_error(fn, x, transform, None)


def rot90(x, k=1, dims=(-2, -1)):
    """Rotate by ``k`` quarter turns in the plane ``dims``, from the first axis towards the
    second (``torch.rot90`` / ``np.rot90``; counter-clockwise on screen for (H, W)).

    A pure permutation of pixels, so it is exact and, on Tensors, differentiable
    (``k = 1``: flip the second axis then swap the two). Works on Tensors and NumPy arrays.
    """
    k = int(k) % 4
    if not isinstance(x, Tensor):
        return np.rot90(np.asarray(x), k, axes=dims)
    d0, d1 = (d % x.ndim for d in dims)
    if k == 0:
        return x
    if k == 1:
        return x.flip(d1).transpose(d0, d1)
    if k == 2:
        return x.flip(d0, d1)
    return x.flip(d0).transpose(d0, d1)


def rotate_p4(y, k=1, group_dim=2):
    """The action of a quarter turn on a p4 feature map (N, C, 4, H, W): rotate every map by
    ``k`` quarter turns and shift the rotation axis cyclically by ``k``,
    ``out[:, :, r] = rot90(y[:, :, r - k], k)``."""
    k = int(k) % 4
    out = rot90(y, k, dims=(-2, -1))
    if k == 0:
        return out
    if isinstance(out, Tensor):
        return out.roll(k, group_dim)
    return np.roll(out, k, axis=group_dim)


def rotate(x, angle, mode="bilinear", padding_mode="zeros"):
    """Rotate images (..., H, W) counter-clockwise by ``angle`` degrees about their centre.

    Multiples of 90 degrees use ``rot90`` (exact, square images); other angles sample bilinearly
    (``glassnet.data.warp.rotate``), which blurs slightly and fills the corners with zeros.
    Returns the type it was given (Tensor or array).
    """
    a = float(angle) % 360.0
    h, w = x.shape[-2:]
    if a % 90 == 0 and (h == w or a % 180 == 0):
        return rot90(x, int(a // 90))
    arr = as_numpy(x)
    flat = arr.reshape(-1, 1, h, w)  # any leading axes: every (H, W) map rotates alike
    out = warp_rotate(flat, a, padding_mode=padding_mode, mode=mode)
    out = out.astype(arr.dtype, copy=False).reshape(arr.shape)
    return Tensor(out) if isinstance(x, Tensor) else out


def disk_mask(h, w=None, radius=None):
    """Boolean (H, W) mask of the pixels whose centre lies within ``radius`` (default: the
    inscribed disc, ``min(H, W) / 2``) of the image centre: the part of an image that every
    rotation keeps."""
    w = h if w is None else w
    radius = min(h, w) / 2.0 if radius is None else float(radius)
    yy, xx = np.mgrid[0:h, 0:w]
    return (yy - (h - 1) / 2.0) ** 2 + (xx - (w - 1) / 2.0) ** 2 <= radius ** 2


def rotation_deviation(fn, x, angles, mode="invariance", group_dim=None, mask=True):
    """How much ``fn``'s output changes when the input rotates, for each angle in ``angles``.

    ``mode='invariance'``: ``||f(R x) - f(x)|| / ||f(x)||``. ``mode='equivariance'``:
    ``||f(R x) - R f(x)|| / ||R f(x)||`` for image-shaped outputs; with ``group_dim`` (p4 maps
    (N, C, 4, H, W)) R also shifts the rotation axis (``rotate_p4``, quarter turns only).
    ``mask``: for angles that are not multiples of 90, the inputs are first masked to the
    inscribed disc and equivariance is compared inside the disc of the output.

    Returns a NumPy array, one relative error per angle.
    """
    if mode not in ("invariance", "equivariance"):
        raise ValueError(f"rotation_deviation: mode must be 'invariance' or 'equivariance', "
                         f"got {mode!r}")
    if mode == "equivariance" and group_dim is not None and any(float(a) % 90 for a in angles):
        raise ValueError(f"rotation_deviation: p4 feature maps (group_dim={group_dim}) rotate "
                         f"only by multiples of 90 degrees, got angles {list(angles)}")
    x = as_tensor(x)
    errors = []
    for angle in angles:
        quarter = float(angle) % 90 == 0
        xin = x
        if mask and not quarter:
            m = disk_mask(*x.shape[-2:]).astype(as_numpy(x).dtype)
            xin = Tensor(as_numpy(x) * m)
        y = evaluate(fn, xin)
        y_r = evaluate(fn, rotate(xin, angle))
        if mode == "invariance":
            errors.append(relative_error(y_r, y))
            continue
        if group_dim is not None:
            ref = rotate_p4(y, int(float(angle) // 90), group_dim)
        else:
            ref = rotate(y, angle)
        a, b = as_numpy(y_r), as_numpy(ref)
        if mask and not quarter:
            m = disk_mask(*a.shape[-2:], radius=min(a.shape[-2:]) / 2.0 - 1.5)
            a, b = a * m, b * m
        errors.append(relative_error(a, b))
    return np.array(errors)
