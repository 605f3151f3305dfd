"""Deformation stability: how much a representation changes when the image is warped a little.

Course material 000/003, "Approximate deformation invariance". A warp operator D_tau moves every
pixel along a smooth displacement field tau, ``(D_tau x)(p) = x(p + tau(p))``: a "3" written a
little differently. A good "digit 3 detector" f should barely notice,

    ||f(x) - f(D_tau x)||  ~  ||grad tau||,

i.e. change in proportion to how much the field *bends* (its gradient), not to how far pixels
move. Raw pixels are not stable: shifting a thin stroke by one pixel changes the image
completely. Convolution and pooling layers average over neighbourhoods, so their features
change far less: the lecture's explanation of why CNNs handle handwriting so well.

``deformation_stability`` draws smooth random fields (Simard et al. 2003:
``tau = alpha * G_sigma * U(-1, 1)``, ``glassnet.data.warp.elastic_deform``), scales one field
by each ``alpha`` and reports the relative change ``||f(D x) - f(x)|| / ||f(x)||``.
``deformation_table`` compares several representations (pixels, CNN features, ...) side by
side with the field's size ``||grad tau||``.
"""

from __future__ import annotations

import numpy as np

from ..data.warp import elastic_deform, elastic_displacement
from ._util import Table, as_numpy, as_tensor, evaluate, np_rng, relative_error

__all__ = ["deformation_stability", "deformation_table", "displacement_gradient_norm",
           "displacement_norm"]


def _check(x, alphas):
    x = as_numpy(x)
    if x.ndim != 4:
        raise ValueError(f"deformation_stability: expected images (N, C, H, W), got shape "
                         f"{x.shape}")
    alphas = [float(a) for a in alphas]
    if any(a < 0 for a in alphas):
        raise ValueError(f"deformation_stability: alphas must be >= 0, got {alphas}")
    return x.astype(np.float32, copy=False) if x.dtype.kind != "f" else x, alphas


def _fields(x, sigma, generator, draws):
    """``draws`` unit-strength random fields (dy, dx), each (N, H, W)."""
    rng = np_rng(generator)
    n, _, h, w = x.shape
    return [elastic_displacement((n, h, w), 1.0, sigma, rng) for _ in range(int(draws))]


def _field_mean(fn, weights, per_sample, sq):
    """Root of the (weighted) mean over pixels of ``sq(dy, dx)``, per image or batch-averaged."""
    if weights is None:
        ms = sq.reshape(sq.shape[0], -1).mean(1)
    else:
        w = np.asarray(weights, np.float64)
        if w.shape not in (sq.shape[1:], sq.shape):
            raise ValueError(f"{fn}: weights must be (H, W) or (N, H, W) = {sq.shape}, got "
                             f"{w.shape}")
        w = np.broadcast_to(w, sq.shape)
        tot = w.reshape(w.shape[0], -1).sum(1)
        if np.any(tot <= 0) or np.any(w < 0):
            raise ValueError(f"{fn}: weights must be >= 0 with a positive sum per image")
        ms = (w * sq).reshape(sq.shape[0], -1).sum(1) / tot
    r = np.sqrt(ms)
    return r if per_sample else float(r.mean())


def _check_field(fn, dy, dx):
    dy, dx = np.asarray(dy, np.float64), np.asarray(dx, np.float64)
    if dy.shape != dx.shape or dy.ndim not in (2, 3):
        raise ValueError(f"{fn}: dy and dx must both be (N, H, W) or (H, W), got {dy.shape} and "
                         f"{dx.shape}")
    return (dy[None], dx[None]) if dy.ndim == 2 else (dy, dx)


def displacement_norm(dy, dx, weights=None, per_sample=False):
    """``||tau||``: how far pixels move, the root-mean-square over pixels of ``|tau(p)|``.

    ``weights`` (H, W) or (N, H, W), >= 0, weight the mean (e.g. the image itself, so that
    only where there is something to move counts). Returns the batch average, or one value per
    image with ``per_sample=True``. Shape: dy, dx (N, H, W) or (H, W).
    """
    dy, dx = _check_field("displacement_norm", dy, dx)
    return _field_mean("displacement_norm", weights, per_sample, dy ** 2 + dx ** 2)


def displacement_gradient_norm(dy, dx, weights=None, per_sample=False):
    """``||grad tau||``: the root-mean-square over pixels of the Frobenius norm of the field's
    Jacobian (central differences), averaged over the batch. 0 for a pure translation, which
    bends nothing; ``sqrt(2) |2 sin(theta / 2)|`` everywhere for a rotation by theta.

    ``weights`` and ``per_sample`` as in ``displacement_norm``.
    Shape: dy, dx (N, H, W) or (H, W); returns a float (or an (N,) array).
    """
    dy, dx = _check_field("displacement_gradient_norm", dy, dx)
    sq = sum(g ** 2 for f in (dy, dx) for g in np.gradient(f, axis=(-2, -1)))
    return _field_mean("displacement_gradient_norm", weights, per_sample, sq)


def deformation_stability(fn, x, alphas, sigma=4.0, generator=None, draws=1,
                          padding_mode="zeros"):
    """The relative change ``||f(D_tau x) - f(x)|| / ||f(x)||`` of ``fn``'s output for each
    deformation strength in ``alphas`` (pixels).

    One random field per image and draw (smoothness ``sigma`` pixels) is scaled by every alpha,
    so the curve is smooth in alpha and exactly 0 at alpha = 0; ``draws`` averages over fields.
    ``fn``: a Module or callable on Tensors (run in eval mode without gradients), or None for
    the raw pixels. ``x``: images (N, C, H, W), Tensor or array.

    Returns a NumPy array with one relative change (mean over images and draws) per alpha.
    """
    x, alphas = _check(x, alphas)
    return _curves({"f": fn}, x, alphas, sigma, generator, draws, padding_mode)[0]["f"]


def _curves(fns, x, alphas, sigma, generator, draws, padding_mode):
    fields = _fields(x, sigma, generator, draws)
    ref = {k: (x if f is None else as_numpy(evaluate(f, as_tensor(x)))) for k, f in fns.items()}
    out = {k: np.zeros(len(alphas)) for k in fns}
    grads, moves = np.zeros(len(alphas)), np.zeros(len(alphas))
    for dy, dx in fields:
        g1 = displacement_gradient_norm(dy, dx)
        m1 = float(np.sqrt((dy.astype(np.float64) ** 2 + dx.astype(np.float64) ** 2).mean()))
        for i, a in enumerate(alphas):
            grads[i] += a * g1 / len(fields)
            moves[i] += a * m1 / len(fields)
            if a == 0:
                continue  # the identity warp: no change by definition
            xd = elastic_deform(x, a, sigma, displacement=(dy * np.float32(a), dx * np.float32(a)),
                                padding_mode=padding_mode)
            for k, f in fns.items():
                y = xd if f is None else as_numpy(evaluate(f, as_tensor(xd)))
                out[k][i] += relative_error(y, ref[k]) / len(fields)
    return out, grads, moves


def deformation_table(fns, x, alphas, sigma=4.0, generator=None, draws=1, padding_mode="zeros"):
    """``deformation_stability`` for several representations on the same random fields.

    ``fns``: a dict name -> callable (None: the raw pixels). Returns a ``Table`` with columns
    ``alpha``, ``shift_px`` (root-mean-square displacement in pixels), ``grad_tau``
    (``displacement_gradient_norm`` of the scaled field) and one relative-change column per
    name.
    """
    x, alphas = _check(x, alphas)
    curves, grads, moves = _curves(dict(fns), x, alphas, sigma, generator, draws, padding_mode)
    rows = [{"alpha": a, "shift_px": m, "grad_tau": g,
             **{k: float(v[i]) for k, v in curves.items()}}
            for i, (a, g, m) in enumerate(zip(alphas, grads, moves))]
    fmts = {k: ".4f" for k in curves} | {"alpha": ".2f", "shift_px": ".3f", "grad_tau": ".4f"}
    return Table(rows, ["alpha", "shift_px", "grad_tau", *curves], fmts,
                 f"Relative change under elastic deformation (sigma={sigma})")
