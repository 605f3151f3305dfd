"""Random data augmentation on whole batches: the ``Transform`` base class and the random transforms.

Augmentation enlarges the training set with label-preserving changes (shifts, flips,
rotations, deformations, noise, occlusion), teaching the network invariances it would
otherwise have to learn from more data. Every transform here takes a single image
``(C, H, W)`` or a batch ``(N, C, H, W)``; on a batch, each sample gets its own random
parameters, drawn at once as arrays, and the work is vectorised NumPy (the warps go through
the batched bilinear sampler in ``glassnet.data.warp``).

Randomness comes from one place, ``Transform._rng()``: the transform's ``generator`` if one
was given, else glassnet's default generator as the calling thread sees it
(``glassnet.backend.rng``). Called on its own, a transform draws from the default generator,
so ``glassnet.manual_seed(s)`` makes it reproducible. Inside a DataLoader, each batch is built
under a generator derived from the epoch's base seed and the batch's position
(``glassnet.data.loader.batch_generator``), so the augmentation is the same whatever
``prefetch`` and ``num_workers`` are, and never draws from the generator that dropout uses.
Leave ``generator`` unset for that: an explicit generator is drawn from as it is, in the
order batches are built, and is not part of the loader's saved state.

These names live in ``glassnet.data.transforms`` too; import them from there.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from glassnet import backend
from glassnet.data import warp
from glassnet.data.kinds import unwrap


def _pair(name, v, what):
    if isinstance(v, numbers.Number):
        return (int(v), int(v))
    if len(v) != 2:
        raise ValueError(f"{name}: {what} must be a number or a pair, got {v!r}")
    return tuple(int(a) for a in v)


def _range(name, v, what, center=0.0, low=None):
    """A number ``d`` means ``[center - d, center + d]``; a pair is taken as the range."""
    if isinstance(v, numbers.Number):
        if v < 0:
            raise ValueError(f"{name}: {what} must be non-negative when a single number, got {v}")
        lo, hi = center - v, center + v
    elif len(v) == 2:
        lo, hi = float(v[0]), float(v[1])
    else:
        raise ValueError(f"{name}: {what} must be a number or a (min, max) pair, got {v!r}")
    if low is not None:
        lo = max(lo, low)
    if lo > hi:
        raise ValueError(f"{name}: {what} range must have min <= max, got ({lo}, {hi})")
    return float(lo), float(hi)


class Transform:
    """Base class. Subclasses implement ``forward(batch)`` on ``(N, C, H, W)`` arrays;
    ``__call__`` also accepts a single ``(C, H, W)`` image. ``supports_batch`` tells datasets
    that one call may transform a whole batch."""

    supports_batch = True
    generator = None

    def __call__(self, x):
        """Transform a PIL image, a Tensor or an array, one image ``(C, H, W)`` or a batch
        ``(N, C, H, W)``, and give back the same kind; an integer image stays integer (rounded),
        as in torchvision (see ``glassnet.data.kinds``)."""
        a, wrap = unwrap(x, type(self).__name__)
        if a.ndim == 3:
            out = self.forward(a[None])[0]
        elif a.ndim == 4:
            out = self.forward(a)
        else:
            raise ValueError(
                f"{type(self).__name__}: expected an image (C, H, W) or a batch (N, C, H, W), "
                f"got shape {a.shape}"
            )
        if a.dtype.kind in "iu" and out.dtype.kind == "f":
            info = np.iinfo(a.dtype)
            out = np.clip(np.round(out), info.min, info.max).astype(a.dtype)
        return wrap(out)

    def forward(self, x):
        raise NotImplementedError

    def _rng(self):
        """The NumPy generator every random transform draws from (see the module docstring)."""
        return backend.rng(self.generator)

    def __repr__(self):
        args = ", ".join(
            f"{k}={v!r}"
            for k, v in vars(self).items()
            if k != "generator" and not k.startswith("_")
        )
        return f"{type(self).__name__}({args})"


class RandomCrop(Transform):
    """Pad by ``padding`` (zeros, or ``fill``), then cut a random ``size`` window per image.

    With ``padding=p`` and ``size`` equal to the image size, this is a random shift of up to
    ``p`` pixels in each direction: the classic CIFAR/MNIST augmentation.
    ``padding`` is an int, ``(left/right, top/bottom)`` or ``(left, top, right, bottom)``.
    """

    def __init__(
        self,
        size,
        padding=None,
        pad_if_needed=False,
        fill=0,
        padding_mode="constant",
        generator=None,
    ):
        self.size = _pair("RandomCrop", size, "size")
        p = 0 if padding is None else padding
        p = (p,) * 4 if isinstance(p, numbers.Number) else tuple(p)
        if len(p) == 2:
            p = (p[0], p[1], p[0], p[1])
        if len(p) != 4 or min(p) < 0:
            raise ValueError(
                f"RandomCrop: padding must be a non-negative int, 2 or 4 of them, got {padding!r}"
            )
        self.padding = tuple(int(v) for v in p)
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError(
                f"RandomCrop: padding_mode must be constant/edge/reflect/symmetric, got {padding_mode!r}"
            )
        self.pad_if_needed, self.fill, self.padding_mode = pad_if_needed, fill, padding_mode
        self.generator = generator

    def forward(self, x):
        l, t, r, b = self.padding
        th, tw = self.size
        h, w = x.shape[2] + t + b, x.shape[3] + l + r
        if self.pad_if_needed:  # as torchvision: the shortfall is added on both sides
            dh, dw = max(0, th - h), max(0, tw - w)
            t, b, l, r = t + dh, b + dh, l + dw, r + dw
            h, w = h + 2 * dh, w + 2 * dw
        if th > h or tw > w:
            raise ValueError(
                f"RandomCrop: crop size {self.size} is larger than the padded image ({h}, {w})"
            )
        if (l, t, r, b) != (0, 0, 0, 0):
            widths = ((0, 0), (0, 0), (t, b), (l, r))
            kw = {"constant_values": self.fill} if self.padding_mode == "constant" else {}
            x = np.pad(x, widths, mode=self.padding_mode, **kw)
        n = x.shape[0]
        rng = self._rng()
        top = rng.integers(0, h - th + 1, size=n)
        left = rng.integers(0, w - tw + 1, size=n)
        windows = np.lib.stride_tricks.sliding_window_view(x, (th, tw), axis=(2, 3))
        return windows[np.arange(n), :, top, left]  # (N, C, th, tw)


class RandomHorizontalFlip(Transform):
    """Mirror left-right with probability ``p`` (per image)."""

    def __init__(self, p=0.5, generator=None):
        self.p, self.generator = float(p), generator

    def forward(self, x):
        flip = self._rng().random(x.shape[0]) < self.p
        return np.where(flip[:, None, None, None], x[..., ::-1], x)


class RandomVerticalFlip(Transform):
    """Mirror top-bottom with probability ``p`` (per image)."""

    def __init__(self, p=0.5, generator=None):
        self.p, self.generator = float(p), generator

    def forward(self, x):
        flip = self._rng().random(x.shape[0]) < self.p
        return np.where(flip[:, None, None, None], x[..., ::-1, :], x)


class RandomRotation(Transform):
    """Rotate by an angle drawn uniformly from ``[-degrees, degrees]`` (or a given (min, max)),
    counter-clockwise about the image centre, bilinear; outside pixels read 0 ('zeros') or
    the nearest edge ('border')."""

    def __init__(self, degrees, padding_mode="zeros", generator=None):
        self.degrees = _range("RandomRotation", degrees, "degrees")
        self.padding_mode, self.generator = padding_mode, generator

    def forward(self, x):
        angles = self._rng().uniform(*self.degrees, size=x.shape[0])
        return warp.rotate(x, angles, padding_mode=self.padding_mode).astype(_float(x), copy=False)


def _float(x):
    return x.dtype if x.dtype.kind == "f" else np.float32


class RandomAffine(Transform):
    """Random rotation, translation, scaling and x-shear about the centre, one warp per image.

    Args:
        degrees: rotation range (number d -> [-d, d]).
        translate: ``(a, b)``: shifts up to ``a*W`` horizontally and ``b*H`` vertically.
        scale: ``(lo, hi)`` zoom factor range.
        shear: x-shear angle range in degrees (number s -> [-s, s]).

    The map is ``p_out = c + t + R Sh s (p_in - c)`` (see ``warp.affine_matrices``).
    """

    def __init__(
        self,
        degrees=0,
        translate=None,
        scale=None,
        shear=None,
        padding_mode="zeros",
        generator=None,
    ):
        self.degrees = _range("RandomAffine", degrees, "degrees")
        if translate is not None and (
            len(translate) != 2 or min(translate) < 0 or max(translate) > 1
        ):
            raise ValueError(
                f"RandomAffine: translate must be two fractions in [0, 1], got {translate!r}"
            )
        self.translate = translate
        if scale is not None and (len(scale) != 2 or min(scale) <= 0 or scale[0] > scale[1]):
            raise ValueError(
                f"RandomAffine: scale must be (lo, hi) with 0 < lo <= hi, got {scale!r}"
            )
        self.scale = scale
        self.shear = None if shear is None else _range("RandomAffine", shear, "shear")
        self.padding_mode, self.generator = padding_mode, generator

    def forward(self, x):
        n, _, h, w = x.shape
        rng = self._rng()
        angle = rng.uniform(*self.degrees, size=n)
        t = np.zeros((n, 2))
        if self.translate is not None:
            t = rng.uniform(-1, 1, size=(n, 2)) * np.array(
                [self.translate[0] * w, self.translate[1] * h]
            )
        s = rng.uniform(*self.scale, size=n) if self.scale is not None else np.ones(n)
        sh = rng.uniform(*self.shear, size=n) if self.shear is not None else np.zeros(n)
        m = warp.affine_matrices((h, w), angle=angle, translate=t, scale=s, shear=sh)
        return warp.warp_affine(x, m, padding_mode=self.padding_mode).astype(_float(x), copy=False)


class ElasticDeformation(Transform):
    """Elastic distortion (Simard et al., 2003): a smooth random displacement field of strength
    ``alpha`` pixels and smoothness ``sigma`` pixels, applied with bilinear resampling
    (``warp.elastic_deform``). Applied with probability ``p`` per image."""

    def __init__(self, alpha=34.0, sigma=4.0, p=1.0, padding_mode="zeros", generator=None):
        if alpha < 0 or sigma <= 0:
            raise ValueError(
                f"ElasticDeformation: need alpha >= 0 and sigma > 0, got alpha={alpha}, sigma={sigma}"
            )
        self.alpha, self.sigma, self.p = float(alpha), float(sigma), float(p)
        self.padding_mode, self.generator = padding_mode, generator

    def forward(self, x):
        rng = self._rng()
        out = warp.elastic_deform(x, self.alpha, self.sigma, rng, padding_mode=self.padding_mode)
        out = out.astype(_float(x), copy=False)
        if self.p < 1.0:
            keep = rng.random(x.shape[0]) >= self.p
            out[keep] = x[keep]
        return out


class ColorJitter(Transform):
    """Random brightness, contrast (and, for RGB, saturation) per image, clipped to [0, 1].

    Factors are drawn from ``[max(0, 1 - v), 1 + v]``: brightness ``x' = b x``; contrast
    ``x' = c x + (1 - c) mean(gray(x))``; saturation ``x' = s x + (1 - s) gray(x)`` with
    ``gray = 0.299 R + 0.587 G + 0.114 B`` (grayscale images: the single channel).
    """

    def __init__(self, brightness=0.0, contrast=0.0, saturation=0.0, generator=None):
        self.brightness = _range("ColorJitter", brightness, "brightness", center=1.0, low=0.0)
        self.contrast = _range("ColorJitter", contrast, "contrast", center=1.0, low=0.0)
        self.saturation = _range("ColorJitter", saturation, "saturation", center=1.0, low=0.0)
        self.generator = generator

    @staticmethod
    def _gray(x):
        if x.shape[1] == 3:
            wts = np.array([0.299, 0.587, 0.114], dtype=x.dtype).reshape(1, 3, 1, 1)
            return (x * wts).sum(axis=1, keepdims=True)
        return x.mean(axis=1, keepdims=True)

    def forward(self, x):
        top = 1.0 if x.dtype.kind == "f" else float(np.iinfo(x.dtype).max)  # uint8: 255
        x = x.astype(_float(x), copy=True)
        n = x.shape[0]
        rng = self._rng()
        b, c, s = (
            rng.uniform(*r, size=n).astype(x.dtype).reshape(n, 1, 1, 1)
            for r in (self.brightness, self.contrast, self.saturation)
        )
        x = np.clip(x * b, 0, top)
        m = self._gray(x).mean(axis=(1, 2, 3), keepdims=True)
        x = np.clip(c * x + (1 - c) * m, 0, top)
        if x.shape[1] == 3:
            x = np.clip(s * x + (1 - s) * self._gray(x), 0, top)
        return x


class GaussianNoise(Transform):
    """Add i.i.d. noise ``N(mean, std^2)`` to every entry; optional ``clip=(lo, hi)``.
    Works on arrays of any shape (images, vectors, signals)."""

    def __init__(self, std=0.1, mean=0.0, clip=None, generator=None):
        if std < 0:
            raise ValueError(f"GaussianNoise: std must be >= 0, got {std}")
        self.std, self.mean, self.clip, self.generator = float(std), float(mean), clip, generator

    def __call__(self, x):
        a, wrap = unwrap(x, "GaussianNoise")
        return wrap(self.forward(a))

    def forward(self, x):
        dt = _float(x)
        out = x + (
            self._rng().standard_normal(
                x.shape, dtype=np.float64 if dt == np.float64 else np.float32
            )
            * self.std
            + self.mean
        ).astype(dt, copy=False)
        return np.clip(out, *self.clip) if self.clip is not None else out


class RandomErasing(Transform):
    """Blank a random rectangle with probability ``p`` (Zhong et al., 2017).

    Area fraction from ``scale``, aspect ratio from ``ratio`` (log-uniform); up to 10
    candidate rectangles per image, the first that fits is used (none fits: unchanged).
    ``value``: a number, one per channel, or ``'random'`` (standard normal noise).
    """

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0.0, generator=None):
        if not 0 <= p <= 1:
            raise ValueError(f"RandomErasing: p must be in [0, 1], got {p}")
        if scale[0] > scale[1] or ratio[0] > ratio[1] or min(ratio) <= 0:
            raise ValueError(
                f"RandomErasing: scale and ratio must be (min, max) ranges, got {scale}, {ratio}"
            )
        self.p, self.scale, self.ratio, self.value = float(p), tuple(scale), tuple(ratio), value
        self.generator = generator

    def forward(self, x):
        n, _, h, w = x.shape
        rng = self._rng()
        apply = rng.random(n) < self.p
        area = rng.uniform(*self.scale, size=(n, 10)) * (h * w)
        ar = np.exp(rng.uniform(math.log(self.ratio[0]), math.log(self.ratio[1]), size=(n, 10)))
        eh = np.round(np.sqrt(area * ar)).astype(np.int64)
        ew = np.round(np.sqrt(area / ar)).astype(np.int64)
        ok = (eh < h) & (ew < w) & (eh > 0) & (ew > 0)
        first = ok.argmax(axis=1)
        apply &= ok.any(axis=1)
        eh, ew = eh[np.arange(n), first], ew[np.arange(n), first]
        top = (rng.random(n) * (h - eh + 1)).astype(np.int64)
        left = (rng.random(n) * (w - ew + 1)).astype(np.int64)
        r, q = np.arange(h), np.arange(w)
        rows = (r >= top[:, None]) & (r < (top + eh)[:, None])
        cols = (q >= left[:, None]) & (q < (left + ew)[:, None])
        mask = (rows[:, :, None] & cols[:, None, :] & apply[:, None, None])[:, None]
        if isinstance(self.value, str):
            if self.value != "random":
                raise ValueError(
                    f"RandomErasing: value must be a number, per-channel numbers or 'random', "
                    f"got {self.value!r}"
                )
            fill = rng.standard_normal(x.shape).astype(_float(x))
        else:
            fill = np.asarray(self.value, dtype=x.dtype).reshape(1, -1, 1, 1)
        return np.where(mask, fill, x)
