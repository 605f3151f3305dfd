"""Filters: the lectures' hand-designed kernels, and what a trained network's units respond to.

Course material 000 "Examples of 2D image filters", 002 "learned Gabor-like filters", 004
"convolution filters (edge, Gabor, Gaussian blur)", 000/003 "What CNNs learn?". Before deep
learning, image features were designed by hand: edge detectors (Sobel, Prewitt, the Laplacian
"edge detection" kernel), sharpening, Gaussian blurs, Gabor filters (oriented stripes under a
Gaussian window, a model of simple cells in the visual cortex). A CNN learns its kernels by
backpropagation instead, "dependent on the task", and its first layer typically ends up with
edge- and Gabor-like filters anyway.

The kernels here are for cross-correlation, which ``F.conv2d`` computes (PyTorch's convention):
``F.conv2d(image, kernels_to_weight(edge_kernels()['sobel_x']))`` is positive where the
intensity increases to the right. Two ways to look inside a network:

* ``first_layer_filters``: the first convolution's kernels, scaled for display;
* ``activation_maximization``: gradient *ascent on the input* (weights frozen) to find the
  pattern that drives one unit hardest, ``x* = argmax_x a(x) - lambda ||x||^2``.
"""

from __future__ import annotations

import math

import numpy as np

from ..nn.modules.pooling import binomial_filter
from ..tensor import Tensor
from ._util import as_numpy, np_rng

__all__ = ["activation_maximization", "blur_kernel", "edge_kernels", "first_layer_filters",
           "fit_gabor", "gabor_kernel", "kernels_to_weight", "sharpen_kernel"]


def edge_kernels():
    """The classic 3 x 3 derivative filters, as float32 arrays in a dict:

    * ``sobel_x`` = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]] (d/dx, vertical edges) and ``sobel_y``
      (its transpose, horizontal edges): a derivative across, a [1, 2, 1] smoothing along;
    * ``prewitt_x`` = [[-1, 0, 1]] * 3 and ``prewitt_y``: the same with a box smoothing;
    * ``laplacian`` = [[0, 1, 0], [1, -4, 1], [0, 1, 0]] (second derivative, all directions);
    * ``edge`` = [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]] (the lecture's "Edge Detection").

    Every one sums to 0: a constant image gives no response.
    """
    sobel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32)
    prewitt = np.array([[-1, 0, 1]] * 3, np.float32)
    return {"sobel_x": sobel, "sobel_y": np.ascontiguousarray(sobel.T),
            "prewitt_x": prewitt, "prewitt_y": np.ascontiguousarray(prewitt.T),
            "laplacian": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], np.float32),
            "edge": np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], np.float32)}


def sharpen_kernel():
    """The lecture's "Sharpen" [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]: the identity minus the
    Laplacian, so edges are boosted and flat regions (sum 1) kept."""
    return np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], np.float32)


def blur_kernel(size=3, sigma=None, kind="binomial"):
    """A normalised (sum 1) size x size low-pass kernel.

    ``kind='binomial'``: the outer product of Pascal's triangle rows; size 3 is the lecture's
    "Gaussian Blur" (1/16) [[1, 2, 1], [2, 4, 2], [1, 2, 1]] (size 1 to 7, as in BlurPool).
    ``'gaussian'``: ``exp(-(x^2 + y^2) / (2 sigma^2))``, sigma by default OpenCV's
    ``0.3 ((size - 1) / 2 - 1) + 0.8``. ``'box'``: all weights 1 / size^2.
    """
    size = int(size)
    if size < 1:
        raise ValueError(f"blur_kernel: size must be positive, got {size}")
    if kind == "binomial":
        return binomial_filter(size).astype(np.float32)
    if kind == "box":
        return np.full((size, size), 1.0 / size ** 2, np.float32)
    if kind == "gaussian":
        sigma = 0.3 * ((size - 1) * 0.5 - 1) + 0.8 if sigma is None else float(sigma)
        t = np.arange(size) - (size - 1) / 2
        g = np.exp(-(t[:, None] ** 2 + t[None, :] ** 2) / (2 * sigma ** 2))
        return (g / g.sum()).astype(np.float32)
    raise ValueError(f"blur_kernel: kind must be 'binomial', 'gaussian' or 'box', got {kind!r}")


def gabor_kernel(size=11, sigma=3.0, theta=0.0, lambd=6.0, gamma=0.5, psi=0.0):
    """A Gabor filter (OpenCV's ``getGaborKernel`` parameters; ``theta``, ``psi`` in radians):

        x' =  x cos(theta) + y sin(theta),    y' = -x sin(theta) + y cos(theta)
        g(x, y) = exp(-(x'^2 + gamma^2 y'^2) / (2 sigma^2)) cos(2 pi x' / lambd + psi)

    with (x, y) relative to the centre, y pointing down. Stripes of wavelength ``lambd`` run
    perpendicular to the direction ``theta`` (theta = 0: vertical stripes, a vertical-edge /
    bar detector) under a Gaussian window elongated by 1 / ``gamma`` along them.
    """
    size = int(size)
    t = np.arange(size) - (size - 1) / 2
    y, x = np.meshgrid(t, t, indexing="ij")
    xr = x * math.cos(theta) + y * math.sin(theta)
    yr = -x * math.sin(theta) + y * math.cos(theta)
    g = np.exp(-(xr ** 2 + gamma ** 2 * yr ** 2) / (2 * sigma ** 2))
    return (g * np.cos(2 * math.pi * xr / lambd + psi)).astype(np.float32)


def kernels_to_weight(*kernels):
    """Stack 2-D kernels (or one dict/list of them) into a conv weight (K, 1, k, k) Tensor, for
    ``F.conv2d(images (N, 1, H, W), weight)``: one output channel per kernel."""
    if len(kernels) == 1 and isinstance(kernels[0], dict):
        kernels = tuple(kernels[0].values())
    elif len(kernels) == 1 and isinstance(kernels[0], (list, tuple)):
        kernels = tuple(kernels[0])
    arrs = [np.asarray(k, np.float32) for k in kernels]
    if not arrs or any(a.shape != arrs[0].shape or a.ndim != 2 for a in arrs):
        raise ValueError(f"kernels_to_weight: expected 2-D kernels of one shape, got "
                         f"{[a.shape for a in arrs]}")
    return Tensor(np.stack(arrs)[:, None])


def _first_conv(model):
    for name, m in model.named_modules():
        w = getattr(m, "_parameters", {}).get("weight")
        if w is not None and w.ndim == 4 and hasattr(m, "kernel_size"):
            return name, w
    raise ValueError(f"first_layer_filters: {type(model).__name__} has no 2-D convolution")


def first_layer_filters(model, normalize="per_filter"):
    """The first 2-D convolution's kernels as a float32 array (C_out, C_in, kH, kW).

    ``normalize='per_filter'``: each filter min-max scaled to [0, 1] on its own (the usual
    picture: grey is not necessarily zero); ``'global'``: one scale for all, so filters can be
    compared; ``'symmetric'``: ``0.5 + w / (2 max |w|)``, zero maps to 0.5 grey; None: raw.
    """
    _, w = _first_conv(model)
    w = as_numpy(w).astype(np.float32)
    if normalize is None:
        return w.copy()
    if normalize == "symmetric":
        return 0.5 + w / (2 * max(float(np.abs(w).max()), 1e-12))
    if normalize == "per_filter":
        lo = w.min(axis=(1, 2, 3), keepdims=True)
        hi = w.max(axis=(1, 2, 3), keepdims=True)
    elif normalize == "global":
        lo, hi = w.min(), w.max()
    else:
        raise ValueError(f"first_layer_filters: normalize must be 'per_filter', 'global', "
                         f"'symmetric' or None, got {normalize!r}")
    return ((w - lo) / np.maximum(hi - lo, 1e-12)).astype(np.float32)


class _Stop(Exception):
    """Raised by the forward hook once the probed layer has run: the rest is not needed."""


def _find_layer(model, layer):
    if isinstance(layer, str):
        modules = dict(model.named_modules())
        if layer not in modules:
            raise ValueError(f"activation_maximization: no layer named {layer!r}; layers: "
                             f"{[n for n in modules if n]}")
        return modules[layer]
    if not any(m is layer for m in model.modules()):
        raise ValueError("activation_maximization: the layer is not part of the model")
    return layer


def activation_maximization(model, layer, channel, steps=100, lr=0.1, input_shape=None,
                            unit="center", weight_decay=1e-2, generator=None):
    """Gradient ascent on the input: the pattern that excites one unit of ``layer`` most.

    Starting from small noise x_0, each step computes the activation a(x) of ``channel`` of
    ``layer`` (a Module of ``model`` or its name) and moves the input up its gradient, with a
    normalised step and an L2 decay that keeps the image bounded,

        x <- (1 - weight_decay) (x + lr * g / rms(g)),    g = da/dx,

    the weights staying fixed (the model runs in eval mode; parameter gradients are not
    touched). ``unit='center'`` maximises the unit at the centre of the feature map (its
    pattern fills that unit's receptive field), ``unit='mean'`` the channel's mean over all
    positions, a tuple the unit at that position. ``input_shape``: (C, H, W) of one input.

    Returns ``(image, history)``: the image as a float32 array ``input_shape`` and the list of
    activations, one per step (it rises).
    """
    if input_shape is None:
        raise ValueError("activation_maximization: input_shape (C, H, W) is required")
    target = _find_layer(model, layer)
    rng = np_rng(generator)
    x = (0.01 * rng.standard_normal((1,) + tuple(input_shape))).astype(np.float32)
    params = list(model.parameters())
    flags = [p.requires_grad for p in params]
    training = model.training
    store = {}

    def hook(mod, args, out):
        store["out"] = out
        raise _Stop

    handle = target.register_forward_hook(hook)
    history = []
    model.eval()
    try:
        for p in params:
            p.requires_grad = False
        for _ in range(int(steps)):
            xt = Tensor(x, requires_grad=True)
            try:
                model(xt)
            except _Stop:
                pass
            out = store.pop("out", None)
            if out is None:
                raise ValueError("activation_maximization: the layer did not run in forward")
            a = out[:, channel]
            if a.ndim > 1:
                if unit == "mean":
                    a = a.mean()
                else:
                    pos = tuple(s // 2 for s in a.shape[1:]) if unit == "center" else tuple(unit)
                    a = a[(0,) + pos]
            a = a.sum()
            a.backward()
            history.append(float(as_numpy(a)))
            g = as_numpy(xt.grad)
            step = lr * g / (float(np.sqrt((g.astype(np.float64) ** 2).mean())) + 1e-12)
            x = ((x + step) * (1 - weight_decay)).astype(np.float32)
    finally:
        handle.remove()
        for p, f in zip(params, flags):
            p.requires_grad = f
        model.train(training)
    return x[0], history


# ---------------------------------------------------------------- fitting a Gabor to a filter
def _gabor_design(size, params):
    """Least-squares design matrices (K, size * size, 3) for K rows of nonlinear parameters
    (x0, y0, sigma, gamma, theta, freq): the even (cosine) and odd (sine) Gabor components and a
    constant. Any phase and amplitude is a linear combination of the first two."""
    t = np.arange(size) - (size - 1) / 2
    y, x = np.meshgrid(t, t, indexing="ij")
    x, y = x.reshape(-1), y.reshape(-1)
    x0, y0, sigma, gamma, theta, freq = (params[:, i:i + 1] for i in range(6))
    dx, dy = x - x0, y - y0
    xr = dx * np.cos(theta) + dy * np.sin(theta)
    yr = -dx * np.sin(theta) + dy * np.cos(theta)
    env = np.exp(-(xr ** 2 + (gamma * yr) ** 2) / (2 * sigma ** 2))
    phase = 2 * math.pi * freq * xr
    return np.stack([env * np.cos(phase), env * np.sin(phase), np.ones_like(env)], -1)


def _project(design, w):
    """Least-squares fit of the rows of ``w`` (K, n) in the columns of ``design`` (K, n, 3):
    the residuals (K, n) and the coefficients (K, 3)."""
    dt = design.transpose(0, 2, 1)
    coef = np.linalg.solve(dt @ design + 1e-9 * np.eye(3), dt @ w[..., None])[..., 0]
    return w - (design @ coef[..., None])[..., 0], coef


_GABOR_GRID = {}


def _gabor_grid(size):
    """The starting grid (centres, widths, aspect ratios, 8 orientations, 5 frequencies) and
    orthonormal bases of its design matrices, for kernels of ``size``; computed once."""
    if size not in _GABOR_GRID:
        half = (size - 1) / 2
        c = np.array([-half / 2, 0.0, half / 2])
        grid = np.stack(np.meshgrid(c, c, [1.0, 1.5, 2.5], [0.5, 1.0, 2.0],
                                    np.arange(8) * np.pi / 8, [0.0, 0.1, 0.17, 0.25, 0.33],
                                    indexing="ij"), -1).reshape(-1, 6)
        _GABOR_GRID[size] = (grid, np.linalg.qr(_gabor_design(size, grid))[0])
    return _GABOR_GRID[size]


def fit_gabor(kernels, steps=40):
    """Fit a 2-D Gabor function to each square kernel by least squares; how Gabor-like is it?

        g(x, y) = A exp(-(x'^2 + gamma^2 y'^2) / (2 sigma^2)) cos(2 pi x' / lambd + psi) + c

    with (x', y') the coordinates relative to a free centre (x0, y0), rotated by ``theta``
    (``gabor_kernel``'s parameters, plus centre, amplitude A and offset c: 9 numbers). For
    fixed (x0, y0, sigma, gamma, theta, 1/lambd) the model is linear in A cos(psi),
    A sin(psi) and c, which are solved exactly (variable projection); those six are found by a
    grid search followed by Levenberg-Marquardt, within bounds (sigma >= 0.7 pixel, centre
    inside the kernel, at most 0.5 cycles per pixel).

    The fit quality is the fraction of the kernel's variance explained,
    ``r2 = 1 - ||w - g||^2 / ||w - mean(w)||^2`` (1: exactly a Gabor). Nine numbers fit part
    of any kernel: white-noise 5 x 5 kernels reach r2 of about 0.47 on average, 7 x 7 about
    0.28, so compare against such a baseline.

    ``kernels``: (..., k, k). Returns a dict of NumPy arrays: ``r2`` (...), ``fit`` (the
    fitted kernels, same shape as the input) and ``params`` (..., 9) in the order
    (x0, y0, sigma, gamma, theta, lambd, psi, amplitude, offset); ``lambd`` is inf for a
    Gaussian blob (zero frequency).
    """
    k = np.asarray(as_numpy(kernels), np.float64)
    if k.ndim < 2 or k.shape[-1] != k.shape[-2] or k.shape[-1] < 3:
        raise ValueError(f"fit_gabor: expected square kernels of shape (..., k, k) with k >= 3, "
                         f"got shape {k.shape}")
    lead, size = k.shape[:-2], k.shape[-1]
    w = k.reshape(-1, size * size)
    n = len(w)
    half = (size - 1) / 2
    lo = np.array([-half, -half, 0.7, 0.25, -np.inf, 0.0])
    hi = np.array([half, half, float(size), 4.0, np.inf, 0.5])
    grid, bases = _gabor_grid(size)
    energy = (np.einsum("tnc,kn->ktc", bases, w) ** 2).sum(-1)  # variance each start explains
    p = grid[np.argmax(energy, 1)].copy()
    r, _ = _project(_gabor_design(size, p), w)
    sse = (r ** 2).sum(1)
    lam = np.full(n, 1e-2)
    eye = np.eye(6)
    for _ in range(int(steps)):  # Levenberg-Marquardt, every kernel at once
        h = 1e-4 * np.maximum(1.0, np.abs(p))
        moved = (p[:, None, :] + h[:, :, None] * eye).reshape(-1, 6)
        rp, _ = _project(_gabor_design(size, moved), np.repeat(w, 6, 0))
        jac = (rp.reshape(n, 6, -1) - r[:, None, :]) / h[:, :, None]  # (K, 6, n)
        hess = jac @ jac.transpose(0, 2, 1)
        grad = (jac @ r[..., None])[..., 0]
        diag = np.diagonal(hess, axis1=1, axis2=2)[:, :, None] * eye
        step = np.linalg.solve(hess + lam[:, None, None] * (diag + 1e-9 * eye),
                               -grad[..., None])[..., 0]
        trial = np.clip(p + step, lo, hi)
        rt, _ = _project(_gabor_design(size, trial), w)
        st = (rt ** 2).sum(1)
        better = st < sse
        p[better], r[better], sse[better] = trial[better], rt[better], st[better]
        lam = np.where(better, lam * 0.3, lam * 10)
        if np.all(lam > 1e8):
            break
    r, coef = _project(_gabor_design(size, p), w)
    sst = ((w - w.mean(1, keepdims=True)) ** 2).sum(1)
    r2 = np.where(sst > 0, 1 - (r ** 2).sum(1) / np.maximum(sst, 1e-300), 1.0)
    with np.errstate(divide="ignore"):
        lambd = np.where(p[:, 5] > 0, 1 / np.maximum(p[:, 5], 1e-300), np.inf)
    # a cos(phi) + b sin(phi) = A cos(phi + psi) with A = |(a, b)|, psi = atan2(-b, a);
    # theta + pi mirrors x', which the phase absorbs as -psi
    psi = np.arctan2(-coef[:, 1], coef[:, 0])
    psi = np.where(np.floor(p[:, 4] / np.pi) % 2 == 1, -psi, psi)
    params = np.stack([p[:, 0], p[:, 1], p[:, 2], p[:, 3], p[:, 4] % np.pi, lambd, psi,
                       np.hypot(coef[:, 0], coef[:, 1]), coef[:, 2]], 1)
    return {"r2": r2.reshape(lead), "fit": (w - r).reshape(k.shape),
            "params": params.reshape(lead + (9,))}
