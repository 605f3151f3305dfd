"""Batched image warps in NumPy: a bilinear sampler and the grids that drive it.

A warp moves pixels: the output pixel at ``p_out`` takes the input's value at
``p_in = T(p_out)``, the *inverse* map (every output pixel gets exactly one value; a forward
map would leave holes). ``p_in`` falls between pixels, so the value is interpolated
bilinearly from the four neighbours,

    out = (1-wy)(1-wx) I[y0, x0] + (1-wy) wx I[y0, x0+1] + wy (1-wx) I[y0+1, x0] + wy wx I[y0+1, x0+1]

with ``x0 = floor(x)``, ``wx = x - x0`` (likewise for y). Samples outside the image read 0
(``padding_mode='zeros'``) or the nearest edge pixel (``'border'``). Everything is index
arithmetic on whole batches: one gather per corner, no loop over pixels or samples.

Coordinates. ``sample_pixels`` works in pixel indices (pixel centres at integers,
``x`` in ``[0, W-1]``). ``affine_grid``/``grid_sample`` follow
``torch.nn.functional`` exactly: normalised coordinates in ``[-1, 1]``, ``grid[..., 0]`` is x,
``grid[..., 1]`` is y, and ``align_corners`` decides whether -1 and 1 are the centres
(True) or the outer edges (False) of the corner pixels.

These warps are what the augmentations (rotation, affine, elastic deformation) and the
invariance analyses apply to images; rotating by 0 or translating by 0 is exactly the
identity, because integer sample positions put all the weight on one pixel.
"""

from __future__ import annotations

import numpy as np


def _check_images(fn, images):
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"{fn}: expected images of shape (N, C, H, W), got shape {images.shape}")
    return images


def sample_pixels(images, ys, xs, padding_mode="zeros", mode="bilinear"):
    """Sample ``images`` at pixel coordinates ``(ys, xs)``, one coordinate map per image.

    Shape:
        images: ``(N, C, H, W)``; ys, xs: ``(N, Ho, Wo)``; output: ``(N, C, Ho, Wo)``,
        in the images' float dtype (integer images are sampled as float32).
    """
    images = _check_images("sample_pixels", images)
    if padding_mode not in ("zeros", "border"):
        raise ValueError(
            f"sample_pixels: padding_mode must be 'zeros' or 'border', got {padding_mode!r}"
        )
    if mode not in ("bilinear", "nearest"):
        raise ValueError(f"sample_pixels: mode must be 'bilinear' or 'nearest', got {mode!r}")
    n, c, h, w = images.shape
    ys, xs = np.broadcast_arrays(np.asarray(ys, dtype=np.float64), np.asarray(xs, dtype=np.float64))
    if ys.ndim == 2:  # one coordinate map shared by every image
        ys, xs = ys[None], xs[None]
    if ys.ndim != 3 or ys.shape[0] not in (1, n):
        raise ValueError(
            f"sample_pixels: coordinates must have shape (N, Ho, Wo) with N={n}, got {ys.shape}"
        )
    ys, xs = np.broadcast_to(ys, (n,) + ys.shape[1:]), np.broadcast_to(xs, (n,) + xs.shape[1:])
    dtype = images.dtype if images.dtype.kind == "f" else np.dtype(np.float32)
    if padding_mode == "border":
        xs, ys = np.clip(xs, 0, w - 1), np.clip(ys, 0, h - 1)
    # One pixel of zeros around the image: every out-of-range tap is clipped onto it.
    padded = np.zeros((n, h + 2, w + 2, c), dtype=dtype)
    padded[:, 1:-1, 1:-1, :] = images.transpose(0, 2, 3, 1)
    flat = padded.reshape(n, -1, c)
    wp = w + 2
    rows = np.arange(n)[:, None]
    out_shape = ys.shape[1:]

    def tap(yi, xi):
        yi = np.clip(yi, -1, h).astype(np.int64) + 1
        xi = np.clip(xi, -1, w).astype(np.int64) + 1
        return flat[rows, (yi * wp + xi).reshape(n, -1)]  # (N, P, C)

    if mode == "nearest":
        out = tap(np.rint(ys), np.rint(xs))
    else:
        y0, x0 = np.floor(ys), np.floor(xs)
        wy = (ys - y0).reshape(n, -1, 1).astype(dtype)
        wx = (xs - x0).reshape(n, -1, 1).astype(dtype)
        top = tap(y0, x0) * (1 - wx) + tap(y0, x0 + 1) * wx
        bottom = tap(y0 + 1, x0) * (1 - wx) + tap(y0 + 1, x0 + 1) * wx
        out = top * (1 - wy) + bottom * wy
    return np.ascontiguousarray(out.reshape((n,) + out_shape + (c,)).transpose(0, 3, 1, 2))


def _base_coords(size, align_corners):
    s = np.linspace(-1.0, 1.0, size) if size > 1 else np.zeros(1)
    return s if align_corners else s * (size - 1) / size


def affine_grid(theta, size, align_corners=False):
    """Sampling grid of an affine map, like ``torch.nn.functional.affine_grid`` (2-D).

    ``grid[n, i, j] = theta[n] @ [x_j, y_i, 1]`` where ``(x_j, y_i)`` are the normalised
    coordinates of output pixel ``(i, j)``.

    Shape:
        theta: ``(N, 2, 3)``; size: ``(N, C, H, W)``; output: ``(N, H, W, 2)``.
    """
    theta = np.asarray(theta)
    if theta.ndim != 3 or theta.shape[1:] != (2, 3):
        raise ValueError(f"affine_grid: expected theta of shape (N, 2, 3), got {theta.shape}")
    if len(size) != 4 or size[0] != theta.shape[0]:
        raise ValueError(
            f"affine_grid: size must be (N, C, H, W) with N={theta.shape[0]}, got {tuple(size)}"
        )
    _, _, h, w = size
    xs, ys = _base_coords(w, align_corners), _base_coords(h, align_corners)
    base = np.empty((h, w, 3))
    base[..., 0], base[..., 1], base[..., 2] = xs[None, :], ys[:, None], 1.0
    dtype = theta.dtype if theta.dtype.kind == "f" else np.float32
    return np.einsum("hwk,nck->nhwc", base, theta).astype(dtype)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
    """Sample ``input`` at normalised ``grid`` positions, like ``torch.nn.functional.grid_sample``.

    Unnormalisation: ``x = (gx + 1) / 2 * (W - 1)`` with ``align_corners=True``, and
    ``x = ((gx + 1) * W - 1) / 2`` without; then ``sample_pixels``.

    Shape:
        input: ``(N, C, H, W)``; grid: ``(N, Ho, Wo, 2)``; output: ``(N, C, Ho, Wo)``.
    """
    input = _check_images("grid_sample", input)
    grid = np.asarray(grid, dtype=np.float64)
    if grid.ndim != 4 or grid.shape[-1] != 2 or grid.shape[0] != input.shape[0]:
        raise ValueError(
            f"grid_sample: expected grid of shape (N={input.shape[0]}, Ho, Wo, 2), got {grid.shape}"
        )
    h, w = input.shape[2:]
    if align_corners:
        xs, ys = (grid[..., 0] + 1) / 2 * (w - 1), (grid[..., 1] + 1) / 2 * (h - 1)
    else:
        xs, ys = ((grid[..., 0] + 1) * w - 1) / 2, ((grid[..., 1] + 1) * h - 1) / 2
    return sample_pixels(input, ys, xs, padding_mode=padding_mode, mode=mode)


def warp_affine(images, matrix, padding_mode="zeros", mode="bilinear"):
    """Apply per-image inverse affine maps given in pixel coordinates.

    ``[x_in, y_in] = matrix[n] @ [x_out, y_out, 1]``.

    Shape:
        images: ``(N, C, H, W)``; matrix: ``(N, 2, 3)`` or ``(2, 3)``; output like images.
    """
    images = _check_images("warp_affine", images)
    n, _, h, w = images.shape
    m = np.broadcast_to(np.asarray(matrix, dtype=np.float64), (n, 2, 3))
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    xs = m[:, 0, 0, None, None] * x + m[:, 0, 1, None, None] * y + m[:, 0, 2, None, None]
    ys = m[:, 1, 0, None, None] * x + m[:, 1, 1, None, None] * y + m[:, 1, 2, None, None]
    return sample_pixels(images, ys, xs, padding_mode=padding_mode, mode=mode)


def affine_matrices(size, angle=0.0, translate=(0.0, 0.0), scale=1.0, shear=0.0):
    """Inverse pixel maps (for ``warp_affine``) of per-image affine transforms about the centre.

    The forward transform, about the centre ``c = ((W-1)/2, (H-1)/2)``, is
    ``p_out = c + t + R(angle) Sh(shear) s (p_in - c)``: rotation counter-clockwise as seen on
    screen (y points down), x-shear ``x' = x - tan(shear) y``, then translation ``t`` in
    pixels. Angles in degrees; each argument a scalar or an array of length N.

    Shape:
        output: ``(N, 2, 3)`` with N the broadcast length of the arguments.
    """
    h, w = size
    angle = np.deg2rad(np.atleast_1d(np.asarray(angle, dtype=np.float64)))
    shear = np.deg2rad(np.atleast_1d(np.asarray(shear, dtype=np.float64)))
    scale = np.atleast_1d(np.asarray(scale, dtype=np.float64))
    t = np.asarray(translate, dtype=np.float64).reshape(-1, 2)
    n = max(len(angle), len(shear), len(scale), len(t))
    angle, shear, scale = (np.broadcast_to(a, (n,)) for a in (angle, shear, scale))
    t = np.broadcast_to(t, (n, 2))
    cos, sin = np.cos(angle), np.sin(angle)
    # forward linear part A = R @ Sh * s, with R = [[cos, sin], [-sin, cos]] (y down).
    rot = np.stack([np.stack([cos, sin], -1), np.stack([-sin, cos], -1)], -2)
    sh = np.zeros((n, 2, 2))
    sh[:, 0, 0] = sh[:, 1, 1] = 1.0
    sh[:, 0, 1] = -np.tan(shear)
    a = rot @ sh * scale[:, None, None]
    a_inv = np.linalg.inv(a)
    c = np.array([(w - 1) / 2.0, (h - 1) / 2.0])
    # p_in = c + A^{-1} (p_out - c - t) = A^{-1} p_out + (c - A^{-1} (c + t))
    offset = c - np.einsum("nij,nj->ni", a_inv, c + t)
    return np.concatenate([a_inv, offset[:, :, None]], axis=2)


def rotate(images, angle, padding_mode="zeros", mode="bilinear"):
    """Rotate each image counter-clockwise by ``angle`` degrees (scalar or per image) about its centre."""
    images = _check_images("rotate", images)
    m = affine_matrices(images.shape[2:], angle=angle)
    return warp_affine(images, m, padding_mode=padding_mode, mode=mode)


def gaussian_blur(x, sigma, axes=(-2, -1), truncate=4.0):
    """Separable Gaussian filter along ``axes`` (``scipy.ndimage.gaussian_filter``'s kernel and
    its default 'reflect' border): ``g[k] ∝ exp(-k^2 / 2 sigma^2)``, ``|k| <= truncate*sigma``."""
    x = np.asarray(x)
    if sigma <= 0:
        return x.copy()
    r = int(truncate * float(sigma) + 0.5)
    k = np.arange(-r, r + 1, dtype=np.float64)
    g = np.exp(-0.5 * (k / sigma) ** 2)
    g = (g / g.sum()).astype(x.dtype if x.dtype.kind == "f" else np.float64)
    out = x
    for ax in axes:
        ax = ax % out.ndim
        pad = [(0, 0)] * out.ndim
        pad[ax] = (r, r)
        p = np.pad(out, pad, mode="symmetric")
        length = out.shape[ax]
        acc = np.zeros_like(out, dtype=g.dtype)
        for i, gi in enumerate(g):
            acc += gi * np.take(p, np.arange(i, i + length), axis=ax)
        out = acc
    return out


def elastic_displacement(shape, alpha, sigma, rng):
    """Smooth random displacement fields (Simard et al., 2003).

    ``d = alpha * G_sigma * U``: uniform noise ``U ~ U(-1, 1)`` per pixel, Gaussian-filtered
    with standard deviation ``sigma`` pixels (the smoothness), scaled by ``alpha`` pixels
    (the strength). Returns ``(dy, dx)``, each of ``shape = (N, H, W)``.
    """
    u = rng.uniform(-1.0, 1.0, size=(2,) + tuple(shape))
    d = gaussian_blur(u, sigma) * float(alpha)
    return d[0], d[1]


def elastic_deform(images, alpha, sigma, rng=None, padding_mode="zeros", displacement=None):
    """Elastic deformation: sample each image at ``p + d(p)`` with a smooth random field ``d``.

    Args:
        images: ``(N, C, H, W)`` or a single ``(C, H, W)`` image.
        alpha: displacement strength in pixels (34 for 28x28 digits in Simard et al.).
        sigma: smoothness of the field in pixels (4 in Simard et al.).
        rng: ``numpy.random.Generator``, a glassnet ``Generator``, or None (glassnet's default).
        displacement: optional ``(dy, dx)`` fields to use instead of drawing new ones.

    One field per image, shared by its channels. Returns the deformed images (same shape).
    """
    from glassnet import backend

    images = np.asarray(images)
    single = images.ndim == 3
    x = images[None] if single else _check_images("elastic_deform", images)
    n, _, h, w = x.shape
    if displacement is None:
        gen = rng if isinstance(rng, np.random.Generator) else backend.rng(rng)
        dy, dx = elastic_displacement((n, h, w), alpha, sigma, gen)
    else:
        dy, dx = displacement
    y, xg = np.mgrid[0:h, 0:w].astype(np.float64)
    out = sample_pixels(x, y + dy, xg + dx, padding_mode=padding_mode)
    return out[0] if single else out
