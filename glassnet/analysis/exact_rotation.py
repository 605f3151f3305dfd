"""Images that rotate exactly by any angle, and how much a network's output moves with them.

Course material 000/003, "Beyond shifts: group equivariance". ``analysis.rotate`` turns an image
by resampling it, which blurs it and loses the corners: a change in the output then mixes the
network's own sensitivity with the resampling error. A **blob scene** avoids that. Each image is
a sum of isotropic Gaussian blobs,

    x(p) = sum_b a_b exp(-|p - c_b|^2 / (2 s_b^2)),

and its rotation by theta is rendered *analytically*: the centres c_b are rotated about the image
centre and the image is drawn again, pixel by pixel, with no interpolation. Up to the sampling of
a smooth function on the grid, ``scene.render(theta)`` is the exact rotation of
``scene.render(0)`` for every theta, not only for quarter turns. ``BlobScene.from_images``
turns real images into such scenes (one small blob per pixel), so that digits too can be
rotated without interpolation.

``rotation_sensitivity(fn, scene, angles)`` compares, per angle, how far the output moves under
rotation with how far it is between *different* images:

    S(theta) = mean_n ||f(R_theta x_n) - f(x_n)|| / mean_{n != n'} ||f(x_n) - f(x_n')||,

0 for a rotation-invariant f, about 1 when rotating an image changes the output as much as
replacing it with another image.

Coordinates: (u, v) = (column offset, upward row offset) from the image centre ((H - 1) / 2,
(W - 1) / 2); angles are counter-clockwise on screen in degrees, the direction of ``rot90``.
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from ._util import as_numpy, evaluate, np_rng

__all__ = ["BlobScene", "rotation_sensitivity"]


class BlobScene:
    """N images of size ``size x size``, each a sum of Gaussian blobs; ``render(angle)`` draws
    them rotated exactly.

    Args:
        centers: (N, B, 2) blob centres (u, v) in pixels from the image centre (u to the
            right, v up).
        sigmas, amplitudes: (N, B) blob widths (pixels) and heights.
        size: image side (an odd size has a centre pixel; an even one a centre corner).
    """

    def __init__(self, centers, sigmas, amplitudes, size):
        self.centers = np.asarray(centers, dtype=np.float64)
        if self.centers.ndim != 3 or self.centers.shape[-1] != 2:
            raise ValueError(f"BlobScene: centers must have shape (N, B, 2), got "
                             f"{self.centers.shape}")
        shape = self.centers.shape[:2]
        self.sigmas = np.broadcast_to(np.asarray(sigmas, dtype=np.float64), shape)
        self.amplitudes = np.broadcast_to(np.asarray(amplitudes, dtype=np.float64), shape)
        self.size = int(size)

    @classmethod
    def random(cls, n, size, n_blobs=4, sigma=(1.0, 2.0), amplitude=(0.5, 1.0), generator=0):
        """``n`` random scenes: ``n_blobs`` blobs each, widths and heights uniform in the given
        ranges, centres uniform in the disc that keeps every blob (3 sigma) inside the image
        at every angle."""
        rng = np_rng(generator)
        s = rng.uniform(*sigma, size=(n, n_blobs))
        a = rng.uniform(*amplitude, size=(n, n_blobs))
        reach = (size - 1) / 2.0 - 3.0 * s
        if np.any(reach <= 0):
            raise ValueError(f"BlobScene.random: blobs of sigma up to {max(sigma)} do not fit "
                             f"a {size}-pixel image")
        r = reach * np.sqrt(rng.uniform(size=(n, n_blobs)))
        t = rng.uniform(0, 2 * math.pi, size=(n, n_blobs))
        return cls(np.stack([r * np.cos(t), r * np.sin(t)], axis=-1), s, a, size)

    @classmethod
    def from_images(cls, images, sigma=0.7):
        """Images made exactly rotatable: every non-zero pixel becomes a blob of width ``sigma``
        at the pixel's centre, with the pixel's value times ``1 / (2 pi sigma^2)`` as height, so
        ``render(0)`` is the image smoothed by a Gaussian (of unit mass) and ``render(theta)``
        is that smooth image rotated exactly. ``images``: (N, H, H) or (N, 1, H, H)."""
        x = np.asarray(images, dtype=np.float64)
        if x.ndim == 4 and x.shape[1] == 1:
            x = x[:, 0]
        if x.ndim != 3 or x.shape[1] != x.shape[2]:
            raise ValueError(f"BlobScene.from_images: expected square images (N, H, H) or "
                             f"(N, 1, H, H), got shape {np.shape(images)}")
        n, k = x.shape[:2]
        flat = x.reshape(n, -1)
        b = max(int((flat != 0).sum(1).max()), 1)
        order = np.argsort(flat == 0, axis=1, kind="stable")[:, :b]   # non-zero pixels first
        amp = np.take_along_axis(flat, order, 1) / (2 * math.pi * sigma ** 2)
        rows, cols = np.divmod(order, k)
        centers = np.stack([cols - (k - 1) / 2.0, (k - 1) / 2.0 - rows], axis=-1)
        return cls(centers, sigma, amp, k)

    def __len__(self):
        return self.centers.shape[0]

    def rotated_centers(self, angle):
        """The blob centres after a counter-clockwise rotation by ``angle`` degrees."""
        a = math.radians(float(angle))
        c, s = math.cos(a), math.sin(a)
        u, v = self.centers[..., 0], self.centers[..., 1]
        return np.stack([c * u - s * v, s * u + c * v], axis=-1)

    def render(self, angle=0.0, dtype=np.float32):
        """The images rotated by ``angle`` degrees: an (N, 1, size, size) array."""
        k = self.size
        offsets = np.arange(k) - (k - 1) / 2.0
        u = offsets[None, None, None, :]            # column offset
        v = -offsets[None, None, :, None]           # row offset, upwards positive
        c = self.rotated_centers(angle)[..., None, None, :]   # (N, B, 1, 1, 2)
        d2 = (u - c[..., 0]) ** 2 + (v - c[..., 1]) ** 2
        s = self.sigmas[..., None, None]
        img = (self.amplitudes[..., None, None] * np.exp(-0.5 * d2 / s ** 2)).sum(axis=1)
        return img[:, None].astype(dtype)


def _flat(y):
    y = as_numpy(y).astype(np.float64)
    return y.reshape(y.shape[0], -1)


def rotation_sensitivity(fn, scene, angles, dtype=np.float32):
    """``S(theta)`` for each angle: the mean change of ``fn``'s output under an exact rotation,
    divided by the mean distance between the outputs of different images of ``scene``.

    ``fn``: a Module (run in eval mode, without gradients) or a callable Tensor -> Tensor.
    Returns a NumPy array, one value per angle (NaN if ``fn`` gives every image the same output:
    a constant map is trivially invariant, and says nothing about rotations).
    """
    if len(scene) < 2:
        raise ValueError("rotation_sensitivity: the scene needs at least 2 images")
    y0 = _flat(evaluate(fn, Tensor(scene.render(0.0, dtype))))
    between = np.sqrt(((y0[:, None] - y0[None]) ** 2).sum(-1))
    n = len(y0)
    spread = between.sum() / (n * (n - 1))
    out = []
    for angle in angles:
        y = _flat(evaluate(fn, Tensor(scene.render(angle, dtype))))
        change = np.sqrt(((y - y0) ** 2).sum(-1)).mean()
        out.append(change / spread if spread > 0 else np.nan)
    return np.array(out)
