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

import functools

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
    dtype = images.dtype if images.dtype.kind == "f" else np.dtype(np.float32)
    ys, xs = np.asarray(ys), np.asarray(xs)
    cdt = np.result_type(ys.dtype, xs.dtype, np.float32)  # coordinates: float32 or float64
    ys, xs = np.broadcast_arrays(ys.astype(cdt, copy=False), xs.astype(cdt, copy=False))
    if ys.ndim == 2:  # one coordinate map shared by every image
        ys, xs = ys[None], xs[None]
    if ys.ndim != 3 or ys.shape[0] not in (1, n):
        raise ValueError(
            f"sample_pixels: coordinates must have shape (N, Ho, Wo) with N={n}, got {ys.shape}"
        )
    ys, xs = np.broadcast_to(ys, (n,) + ys.shape[1:]), np.broadcast_to(xs, (n,) + xs.shape[1:])
    if padding_mode == "border":
        xs, ys = np.clip(xs, 0, w - 1), np.clip(ys, 0, h - 1)
    # One pixel of zeros around each image: every out-of-range tap is clipped onto it. The
    # padded batch is stored channels-last and flattened, so a tap is one np.take of rows.
    hp, wp = h + 2, w + 2
    padded = np.zeros((n, hp, wp, c), dtype=dtype)
    padded[:, 1:-1, 1:-1, :] = images.transpose(0, 2, 3, 1)
    flat = padded.reshape(n * hp * wp, c)
    it = np.int32 if n * hp * wp < 2**31 - 1 else np.int64
    base = (np.arange(n, dtype=it) * (hp * wp)).reshape(n, 1, 1)
    if mode == "nearest":
        x0, y0 = np.rint(xs), np.rint(ys)
    else:
        x0, y0 = np.floor(xs), np.floor(ys)
        wx = (xs - x0).astype(dtype, copy=False)[..., None]
        wy = (ys - y0).astype(dtype, copy=False)[..., None]
    # Integer taps in padded coordinates; anything left of / above the image lands on the
    # zero column/row 0, anything right of / below it on the zero column/row w+1 / h+1.
    np.clip(x0, -2, w, out=x0)
    np.clip(y0, -2, h, out=y0)
    c0 = x0.astype(it)
    c0 += 1
    r0 = y0.astype(it)
    r0 += 1
    c1, r1 = c0 + 1, r0 + 1
    for a_, hi in ((c0, w + 1), (c1, w + 1), (r0, h + 1), (r1, h + 1)):
        np.clip(a_, 0, hi, out=a_)
    for r in (r0, r1):
        r *= wp
        r += base
    if mode == "nearest":
        out = np.take(flat, r0 + c0, axis=0)
    else:
        # out = (1-wy) [(1-wx) I00 + wx I01] + wy [(1-wx) I10 + wx I11], in place
        out = np.take(flat, r0 + c0, axis=0)
        out += (np.take(flat, r0 + c1, axis=0) - out) * wx
        bottom = np.take(flat, r1 + c0, axis=0)
        bottom += (np.take(flat, r1 + c1, axis=0) - bottom) * wx
        bottom -= out
        bottom *= wy
        out += bottom  # (N, Ho, Wo, C)
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2))


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
    # coordinates in the images' precision (float32 for float32 images): one batched matmul
    cdt = images.dtype if images.dtype == np.float64 else np.dtype(np.float32)
    m = np.broadcast_to(np.asarray(matrix, dtype=cdt), (n, 2, 3))
    y, x = np.mgrid[0:h, 0:w].astype(cdt)
    homog = np.stack([x.ravel(), y.ravel(), np.ones(h * w, dtype=cdt)])  # (3, H*W)
    coords = (m @ homog).reshape(n, 2, h, w)
    return sample_pixels(images, coords[:, 1], coords[:, 0], padding_mode=padding_mode, mode=mode)


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


@functools.lru_cache(maxsize=64)
def _blur_matrix(n, sigma, truncate):
    """The ``(n, n)`` matrix of a 1-D Gaussian filter with 'reflect' borders, built by
    filtering the identity (each column is the response to one unit impulse)."""
    r = int(truncate * sigma + 0.5)
    k = np.arange(-r, r + 1, dtype=np.float64)
    g = np.exp(-0.5 * (k / sigma) ** 2)
    g /= g.sum()
    p = np.pad(np.eye(n), ((r, r), (0, 0)), mode="symmetric")
    m = np.zeros((n, n))
    for i, gi in enumerate(g):
        m += gi * p[i : i + n]
    m.setflags(write=False)
    return m


def gaussian_blur(x, sigma, axes=(-2, -1), truncate=4.0):
    """Separable Gaussian filter along ``axes``, with ``scipy.ndimage.gaussian_filter``'s kernel
    ``g[k] ∝ exp(-k^2 / 2 sigma^2)`` for ``|k| <= truncate * sigma`` and its 'reflect' border.

    Filtering is linear, so along each axis it is one matrix product with a cached ``(n, n)``
    filter matrix: a batch of small images is blurred with two matmuls.
    """
    x = np.asarray(x)
    if sigma <= 0:
        return x.copy()
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    out = x.astype(dtype, copy=False)
    if out.ndim >= 2 and sorted(a % out.ndim for a in axes) == [out.ndim - 2, out.ndim - 1]:
        mh = _blur_matrix(out.shape[-2], float(sigma), float(truncate)).astype(dtype, copy=False)
        mw = _blur_matrix(out.shape[-1], float(sigma), float(truncate)).astype(dtype, copy=False)
        return mh @ out @ mw.T  # rows filtered by mh, columns by mw
    for ax in axes:
        m = _blur_matrix(out.shape[ax], float(sigma), float(truncate)).astype(dtype, copy=False)
        out = np.moveaxis(np.moveaxis(out, ax, -1) @ m.T, -1, ax)
    return out


def elastic_displacement(shape, alpha, sigma, rng):
    """Smooth random displacement fields (Simard et al., 2003).

    ``d = alpha * G_sigma * U``: uniform noise ``U ~ U(-1, 1)`` per pixel, Gaussian-filtered
    with standard deviation ``sigma`` pixels (the smoothness), scaled by ``alpha`` pixels
    (the strength). Returns ``(dy, dx)``, each of ``shape = (N, H, W)``.
    """
    u = rng.random(size=(2,) + tuple(shape), dtype=np.float32)
    u = u * 2 - 1  # U(-1, 1)
    d = gaussian_blur(u, sigma) * np.float32(alpha)
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
    y, xg = np.mgrid[0:h, 0:w].astype(np.float32)
    out = sample_pixels(x, y + dy, xg + dx, padding_mode=padding_mode)
    return out[0] if single else out
