"""Spatial transformers: ``affine_grid`` builds a sampling grid from an affine map and
``grid_sample`` reads an image at those (normalised, real-valued) positions.

Positions are normalised to [-1, 1] across the image: x = -1 is the left edge, x = 1 the right
one. With ``align_corners=True`` -1 and 1 are the centres of the corner pixels,
i = (x + 1) / 2 (W - 1); with ``align_corners=False`` they are the outer edges of the corner
pixels, i = ((x + 1) W - 1) / 2, which makes the mapping independent of the resolution.

``grid_sample`` with mode 'bilinear' mixes the four pixels around (i, j) with weights
(1 - a)(1 - b), a (1 - b), (1 - a) b, a b (a, b the fractional parts), so it is differentiable
in the image *and* in the positions (the weights are linear in i and j): that is what lets a
spatial transformer (Jaderberg et al. 2015) learn where to look. 'nearest' rounds to the
nearest pixel (half to even, as PyTorch) and passes no gradient to the grid; on volumes
(N, C, D, H, W) 'bilinear' is trilinear, mixing the 8 corners of the cell; 'bicubic' mixes
the 4 x 4 neighbours with Keys' cubic convolution weights (a = -0.75). Positions outside
the image read zeros (``padding_mode='zeros'``), the nearest border pixel ('border'), or the
image mirrored at its borders ('reflection'). Kernels follow PyTorch's grid sampler.
"""

from __future__ import annotations

import warnings

import numpy as np

from ...autograd import Function, Relabel
from ...backend import array_module
from ...ops.shape import Gather
from ...tensor import Tensor

__all__ = ["affine_grid", "grid_sample"]

_MODES = ("bilinear", "nearest", "bicubic")
_PADDING = ("zeros", "border", "reflection")


def _warn_align_corners():
    warnings.warn("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the old "
                  "behavior is desired. See the documentation of grid_sample for details.",
                  stacklevel=3)


# ----------------------------------------------------------------------------- affine_grid
def _linspace_from_neg_one(n, align_corners, dtype):
    """PyTorch's base coordinates: linspace(-1, 1, n), scaled by (n - 1) / n unless corners
    are aligned (so they become pixel centres)."""
    if n <= 1:
        return np.zeros(max(n, 1), dtype)
    t = dtype.type
    step = (t(1) - t(-1)) / t(n - 1)
    i = np.arange(n)
    r = np.where(i < n // 2, t(-1) + step * i.astype(dtype), t(1) - step * (n - 1 - i)
                 .astype(dtype)).astype(dtype)
    if not align_corners:
        r = (r * t(n - 1) / t(n)).astype(dtype)
    return r


def affine_grid(theta, size, align_corners=None):
    """The sampling grid of a batch of affine maps: grid[n, h, w] = theta[n] @ (x_w, y_h, 1),
    with (x_w, y_h) the normalised coordinates of output pixel (h, w) (see the module
    docstring). Feed it to ``grid_sample``; differentiable in ``theta``.

    Shape: theta (N, 2, 3) and size (N, C, H, W) -> grid (N, H, W, 2);
    theta (N, 3, 4) and size (N, C, D, H, W) -> grid (N, D, H, W, 3).
    """
    if align_corners is None:
        _warn_align_corners()
        align_corners = False
    if not isinstance(theta, Tensor):
        raise TypeError(f"affine_grid: theta must be a Tensor, got {type(theta).__name__}")
    if theta.dtype.kind != "f":
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = [int(s) for s in size]
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got {tuple(theta.shape)}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got {tuple(theta.shape)}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids "
                      "when align_corners=True. This is not an intended use case of affine_grid. "
                      "See the documentation of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        raise RuntimeError(f"affine_grid: theta has {theta.shape[0]} matrices but size asks for "
                           f"a batch of {size[0]}")
    dt = np.dtype(theta.dtype)
    axes = [_linspace_from_neg_one(s, align_corners, dt) for s in spatial]
    # base[..., k]: x (the last spatial axis) first, then y (then z), then 1
    mesh = list(np.meshgrid(*axes, indexing="ij"))
    base = np.stack(mesh[::-1] + [np.ones_like(mesh[0])], axis=-1).reshape(-1, len(spatial) + 1)
    xp = array_module(theta._data)
    base_t = Tensor._make(xp.asarray(base), False)
    grid = base_t @ theta.transpose(1, 2)  # (N, prod(spatial), nd)
    return grid.reshape(size[0], *spatial, len(spatial))


# ----------------------------------------------------------------------------- grid_sample
def _padded(xp, ix, d, size, padding_mode, align_corners):
    """Apply the padding rule to pixel coordinates ``ix`` (d: their derivative so far)."""
    t = ix.dtype.type
    if padding_mode == "reflection":
        lo, hi = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        if lo == hi:
            return xp.zeros_like(ix), xp.zeros_like(d)
        mn, span = t(lo / 2), t((hi - lo) / 2)
        v = ix - mn
        sgn = xp.where(v < 0, t(-1), t(1))
        v = xp.abs(v)
        extra = xp.fmod(v, span)
        even = (xp.floor(v / span) % 2) == 0
        ix = xp.where(even, extra + mn, span - extra + mn)
        d = d * xp.where(even, sgn, -sgn)
    if padding_mode in ("border", "reflection"):
        inside = (ix > 0) & (ix < t(size - 1))  # the borders themselves pass no gradient
        ix = xp.clip(ix, t(0), t(size - 1))
        d = xp.where(inside, d, t(0))
    return ix, d


def _source_index(xp, coord, size, padding_mode, align_corners, pad=True):
    """Pixel coordinate of a normalised one, after the padding rule (bicubic pads each tap
    instead), and d(index)/d(coord)."""
    t = coord.dtype.type
    mult = t((size - 1) / 2) if align_corners else t(size / 2)
    ix = (coord + 1) * mult if align_corners else (coord + 1) * mult - t(0.5)
    d = xp.full(coord.shape, mult, dtype=coord.dtype)
    if not pad:
        return ix, d
    ix, d = _padded(xp, ix, d, size, padding_mode, align_corners)
    return _downgrade(xp, ix), d


def _downgrade(xp, ix):
    """PyTorch maps NaN and huge coordinates to -100 (outside: they read zeros)."""
    t = ix.dtype.type
    bad = ~xp.isfinite(ix) | (ix > t(2 ** 31 - 1)) | (ix < t(-(2 ** 31)))
    return xp.where(bad, t(-100), ix)


class GridSample(Function):
    """grid_sample on 2-D (N, C, H, W) or 3-D (N, C, D, H, W) input; grid[..., k] is the
    coordinate along the k-th spatial axis counted from the last (x: W, y: H, z: D)."""

    @staticmethod
    def forward(ctx, x, grid, mode, padding_mode, align_corners):
        xp = array_module(x)
        n, c = x.shape[:2]
        sizes = x.shape[2:][::-1]  # (W, H[, D]): the size each grid coordinate runs over
        pad = mode != "bicubic"
        coords, derivs = zip(*(_source_index(xp, grid[..., k], size, padding_mode,
                                             align_corners, pad)
                               for k, size in enumerate(sizes)))
        ctx.save_for_backward(x, *coords, *derivs)
        ctx.opts = (mode, padding_mode, align_corners)
        flat = x.reshape(n, c, -1)
        out = None
        for idx, wt, ok, _ in _taps(xp, coords, sizes, *ctx.opts):
            v = xp.take_along_axis(flat, xp.where(ok, idx, 0).reshape(n, 1, -1), axis=2)
            v = v.reshape((n, c) + grid.shape[1:-1]) * (wt * ok)[:, None]
            out = v if out is None else out + v
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        x, coords, derivs = _saved(ctx)
        xp = array_module(g)
        n, c = x.shape[:2]
        sizes = x.shape[2:][::-1]
        need_x, need_grid = ctx.needs_input_grad[:2]
        flat = x.reshape(n, c, -1)
        gx = xp.zeros(flat.shape, dtype=g.dtype) if need_x else None
        gcoord = [xp.zeros(coords[0].shape, dtype=g.dtype) for _ in coords]
        gflat = g.reshape(n, c, -1)
        for idx, wt, ok, wd in _taps(xp, coords, sizes, *ctx.opts):
            safe = xp.where(ok, idx, 0).reshape(n, 1, -1)
            if need_x:
                contrib = gflat * (wt * ok).reshape(n, 1, -1)
                rows = xp.arange(n * c).reshape(n * c, 1)
                xp.add.at(gx.reshape(n * c, -1),
                          (rows, xp.broadcast_to(safe, (n, c, safe.shape[2])).reshape(n * c, -1)),
                          contrib.reshape(n * c, -1))
            if need_grid and wd[0] is not None:
                v = xp.take_along_axis(flat, safe, axis=2)  # (n, c, P)
                s = (v * gflat).sum(axis=1).reshape(coords[0].shape) * ok
                for k, w in enumerate(wd):
                    gcoord[k] += s * w
        ggrid = None
        if need_grid:
            ggrid = xp.stack([gk * dk for gk, dk in zip(gcoord, derivs)], axis=-1)
            ggrid = ggrid.astype(g.dtype, copy=False)
        return (gx.reshape(x.shape) if need_x else None), ggrid, None, None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        # The sampling rebuilt from Tensor operations and differentiated. The grid's own value
        # is never read (the coordinates come from the saved ones).
        from ...autograd.recompute import recompute
        x, coords, _ = _saved(ctx)
        grid = array_module(x).zeros(coords[0].shape + (len(coords),), dtype=coords[0].dtype)
        build = _sampler(ctx)
        return recompute(ctx, (g,), (x, grid, None, None, None),
                         lambda X, G, *_: build(X, G))


def _saved(ctx):
    """(input, pixel coordinates per axis (x first), their derivatives in the grid)."""
    saved = ctx.saved_tensors
    d = (len(saved) - 1) // 2
    return saved[0], saved[1:1 + d], saved[1 + d:]


def _sampler(ctx):
    """``build(X, G)``: GridSample's forward pass on Tensors, for the node ``ctx``."""
    x, coords, derivs = _saved(ctx)
    n, c = x.shape[:2]
    sizes = x.shape[2:][::-1]
    mode = ctx.opts[0]
    xp = array_module(x)
    out_shape = (n, c) + coords[0].shape[1:]

    def build(X, G):
        # Pixel coordinates: exactly the saved ones, with d coord / d grid = deriv (the padding
        # rule is piecewise linear, so that is the whole dependence on the grid).
        C = [None] * len(coords)
        if G is not None:
            C = [Relabel.apply(G[..., k] * ctx.constant(dk, X.dtype), ck)
                 for k, (ck, dk) in enumerate(zip(coords, derivs))]
        flat = X.reshape(n, c, -1)
        out = 0
        raw = _taps(xp, coords, sizes, *ctx.opts)
        if mode == "nearest":
            taps = [(idx, ok, None) for idx, _, ok, _ in raw]
        else:
            frac = [ck - xp.floor(ck) if Ck is None else Ck - ctx.constant(xp.floor(ck), X.dtype)
                    for ck, Ck in zip(coords, C)]
            if mode == "bicubic":
                wx, wy = _cubic(frac[0])[0], _cubic(frac[1])[0]
                wts = [wx[i] * wy[j] for j in range(4) for i in range(4)]
            else:
                wts = []
                for corner in _corners(len(coords)):
                    w = 1
                    for f, bit in zip(frac, corner):
                        w = w * (f if bit else 1 - f)
                    wts.append(w)
            taps = [(idx, ok, wt) for (idx, _, ok, _), wt in zip(raw, wts)]
        for idx, ok, wt in taps:
            safe = xp.ascontiguousarray(xp.broadcast_to(
                xp.where(ok, idx, 0).reshape(n, 1, -1), (n, c, idx[0].size)))
            v = Gather.apply(flat, 2, safe).reshape(out_shape)
            k = ctx.constant(ok, X.dtype) if wt is None else (
                ctx.constant(wt * ok, X.dtype) if not isinstance(wt, Tensor)
                else wt * ctx.constant(ok, X.dtype))
            out = out + v * k.unsqueeze(1)
        return out

    return build


def _cubic(t, a=-0.75):
    """Keys' cubic convolution weights of the 4 taps at offsets -1, 0, 1, 2 for a fractional
    position t, and their derivatives in t (PyTorch's formulas, a = -0.75)."""
    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    w = [far(t + 1), near(t), near(1 - t), far(2 - t)]
    x0, x1, x2, x3 = -1 - t, -t, 1 - t, 2 - t
    dw = [-((-3 * a * x0 - 10 * a) * x0 - 8 * a), -((-3 * (a + 2) * x1 - 2 * (a + 3)) * x1),
          -((3 * (a + 2) * x2 - 2 * (a + 3)) * x2), -((3 * a * x3 - 10 * a) * x3 + 8 * a)]
    return w, dw


def _corners(d):
    """The 2^d corners of a cell as 0/1 offsets per axis (x first), x varying fastest."""
    return [tuple((k >> i) & 1 for i in range(d)) for k in range(2 ** d)]


def _taps(xp, coords, sizes, mode, padding_mode, align_corners):
    """[(flat index, weight, in-bounds mask, d weight / d coord per axis)] per tap.

    ``coords``: pixel coordinates per axis, x (the last spatial axis) first; ``sizes`` the
    matching sizes (W, H[, D])."""
    strides = [1]
    for size in sizes[:-1]:
        strides.append(strides[-1] * size)

    def tap(cs):
        ok, flat = True, 0
        for ck, size, st in zip(cs, sizes, strides):
            ok = ok & (ck >= 0) & (ck <= size - 1)
            flat = flat + xp.clip(ck, 0, size - 1).astype(np.int64) * st
        return flat, ok

    if mode == "nearest":  # round half to even, as PyTorch
        idx, ok = tap([xp.rint(ck) for ck in coords])
        return [(idx, xp.ones_like(coords[0]), ok, (None,) * len(coords))]
    low = [xp.floor(ck) for ck in coords]
    frac = [ck - lk for ck, lk in zip(coords, low)]  # fractional parts
    out = []
    if mode == "bicubic":  # 4 x 4 taps, each tap position padded on its own (2-D only)
        (x0, y0), (ax, ay), (w, h) = low, frac, sizes
        wx, dwx = _cubic(ax)
        wy, dwy = _cubic(ay)
        for j in range(4):
            cy = _downgrade(xp, _padded(xp, y0 + (j - 1), ay, h, padding_mode,
                                        align_corners)[0])
            for i in range(4):
                cx = _downgrade(xp, _padded(xp, x0 + (i - 1), ax, w, padding_mode,
                                            align_corners)[0])
                idx, ok = tap((cx, cy))
                out.append((idx, wx[i] * wy[j], ok, (dwx[i] * wy[j], wx[i] * dwy[j])))
        return out
    # (multi)linear: the weight of a corner is the product over axes of a (upper neighbour)
    # or 1 - a (lower one); its derivative along axis k replaces that factor by +-1.
    for corner in _corners(len(coords)):
        factors = [f if bit else 1 - f for f, bit in zip(frac, corner)]
        wt = factors[0]
        for f in factors[1:]:
            wt = wt * f
        wd = []
        for k, bit in enumerate(corner):
            dk = 1 if bit else -1
            for j, f in enumerate(factors):
                if j != k:
                    dk = dk * f
            wd.append(dk)
        idx, ok = tap([lk + bit for lk, bit in zip(low, corner)])
        out.append((idx, wt, ok, tuple(wd)))
    return out


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample ``input`` at the normalised positions of ``grid`` (see the module docstring):
    out[n, :, h, w] = input[n, :, y, x] interpolated at (x, y) = grid[n, h, w]; for volumes
    out[n, :, d, h, w] = input[n, :, z, y, x] at (x, y, z) = grid[n, d, h, w].

    ``mode``: 'bilinear' (trilinear for volumes: the 8 corners of the cell, weighted by the
    products of (1 - a) or a along each axis), 'nearest' or 'bicubic' (images only);
    ``padding_mode``: 'zeros', 'border' or 'reflection'. Differentiable in ``input`` and
    (bilinear, bicubic) in ``grid``.

    Shape: input (N, C, H_in, W_in), grid (N, H_out, W_out, 2) -> (N, C, H_out, W_out);
    input (N, C, D_in, H_in, W_in), grid (N, D_out, H_out, W_out, 3)
    -> (N, C, D_out, H_out, W_out).
    """
    if mode not in _MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in _PADDING:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        _warn_align_corners()
        align_corners = False
    for name, t in (("input", input), ("grid", grid)):
        if not isinstance(t, Tensor):
            raise TypeError(f"grid_sample: {name} must be a Tensor, got {type(t).__name__}")
    if input.ndim not in (4, 5):
        raise RuntimeError(f"grid_sample: expected 4-D (N, C, H, W) or 5-D (N, C, D, H, W) "
                           f"input, got shape {tuple(input.shape)}")
    d = input.ndim - 2
    if grid.ndim != input.ndim or grid.shape[-1] != d or grid.shape[0] != input.shape[0]:
        out = ("D_out, " if d == 3 else "") + "H_out, W_out"
        raise RuntimeError(f"grid_sample: expected grid of shape (N={input.shape[0]}, {out}, "
                           f"{d}) for input of shape {tuple(input.shape)}, got "
                           f"{tuple(grid.shape)}")
    if mode == "bicubic" and d == 3:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sample: expected input and grid to have the same dtype, but "
                           f"input has {input.dtype} and grid has {grid.dtype}")
    if 0 in input.shape[2:]:
        raise RuntimeError(f"grid_sample: expected input to have non-empty spatial dimensions, "
                           f"got {tuple(input.shape)}")
    return GridSample.apply(input, grid, mode, padding_mode, bool(align_corners))
