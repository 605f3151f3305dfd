"""Transforms: what happens to a sample between the file and the network.

Conversion (``ToTensor`` and the others of ``glassnet.data.convert``), input standardisation
(``Normalize``, ``Standardize``), geometry (``Resize``, crops, ``Pad``: ``glassnet.data.geometry``),
colour and filters (``Grayscale``, ``GaussianBlur``...: ``glassnet.data.color``) and the random
augmentations (``glassnet.data.augment``), chained with ``Compose`` or picked at random with
``RandomApply``, ``RandomChoice`` and ``RandomOrder``. This module gathers them all; it is
``torchvision.transforms`` in ``glassnet.vision``.

A transform takes a PIL image, a Tensor or a NumPy array, one image ``(C, H, W)`` or a batch
``(N, C, H, W)``, and gives back the same kind (``glassnet.data.kinds``). On a batch, every
random transform draws its parameters for each image separately. glassnet's own datasets apply a
pipeline to whole batches when the DataLoader asks for one (``supports_batch``), so it costs a
few vectorised NumPy calls per batch rather than one Python call per image.

``transforms_from_spec("crop,flip", "cifar10")`` builds an augmentation pipeline with
sensible defaults for a dataset (used by ``glassnet train --augment``).
"""

from __future__ import annotations

import numpy as np

from glassnet.data.augment import (
    ColorJitter,
    ElasticDeformation,
    GaussianNoise,
    RandomAffine,
    RandomCrop,
    RandomErasing,
    RandomHorizontalFlip,
    RandomRotation,
    RandomVerticalFlip,
    Transform,
)
from glassnet.data.color import (
    GaussianBlur,
    Grayscale,
    RandomGrayscale,
    RandomInvert,
    RandomPosterize,
    RandomSolarize,
)
from glassnet.data.convert import (
    ConvertImageDtype,
    PILToTensor,
    ToDtype,
    ToImage,
    ToPILImage,
    ToPureTensor,
    ToTensor,
)
from glassnet.data.dataset import _is_tensor, _raw, apply_transform
from glassnet.data.datasets.registry import info as _dataset_info
from glassnet.data.geometry import (
    CenterCrop,
    FiveCrop,
    InterpolationMode,
    Pad,
    RandomResizedCrop,
    Resize,
    TenCrop,
)
from glassnet.data.kinds import is_pil_image, unwrap
from glassnet.data.warp import elastic_deform

__all__ = [
    "SPEC_NAMES",
    "CenterCrop",
    "ColorJitter",
    "Compose",
    "ConvertImageDtype",
    "ElasticDeformation",
    "FiveCrop",
    "GaussianBlur",
    "GaussianNoise",
    "Grayscale",
    "InterpolationMode",
    "Lambda",
    "Normalize",
    "PILToTensor",
    "Pad",
    "RandomAffine",
    "RandomApply",
    "RandomChoice",
    "RandomCrop",
    "RandomErasing",
    "RandomGrayscale",
    "RandomHorizontalFlip",
    "RandomInvert",
    "RandomOrder",
    "RandomPosterize",
    "RandomResizedCrop",
    "RandomRotation",
    "RandomSolarize",
    "RandomVerticalFlip",
    "Resize",
    "Standardize",
    "TenCrop",
    "ToDtype",
    "ToImage",
    "ToPILImage",
    "ToPureTensor",
    "ToTensor",
    "Transform",
    "apply_transform",
    "elastic_deform",
    "normalize",
    "transforms_from_spec",
]


class Compose(Transform):
    """Apply transforms one after the other: ``Compose([t1, t2])(x) = t2(t1(x))``."""

    sequential = True  # every step, in order (a dataset may split the pipeline at a step)

    def __init__(self, transforms):
        self.transforms = list(transforms)

    @property
    def supports_batch(self):
        return all(getattr(t, "supports_batch", False) for t in self.transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self):
        body = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{body}\n])"


class Lambda(Transform):
    """Wrap a function; ``batched=True`` promises it handles whole batches."""

    def __init__(self, lambd, batched=False):
        if not callable(lambd):
            raise TypeError(f"Lambda: argument lambd should be callable, got {type(lambd).__name__}")
        self.fn, self.supports_batch = lambd, bool(batched)

    @property
    def lambd(self):
        return self.fn

    def __call__(self, x):
        return self.fn(x)


class RandomApply(Transform):
    """Apply the whole list of ``transforms`` with probability ``p`` (else the input as it is).

    A single draw decides for whatever is passed in, a batch included (as in torchvision);
    glassnet's datasets therefore call it image by image (``supports_batch`` is False)."""

    supports_batch = False

    def __init__(self, transforms, p=0.5, generator=None):
        self.transforms, self.p, self.generator = list(transforms), float(p), generator

    def __call__(self, img):
        if self.p < self._rng().random():
            return img
        for t in self.transforms:
            img = t(img)
        return img


class RandomChoice(Transform):
    """Apply one of ``transforms``, picked with probabilities ``p`` (uniform when None)."""

    supports_batch = False

    def __init__(self, transforms, p=None, generator=None):
        self.transforms = list(transforms)
        if p is not None and len(p) != len(self.transforms):
            raise ValueError(f"RandomChoice: the number of probabilities ({len(p)}) should "
                             f"equal the number of transforms ({len(self.transforms)})")
        total = None if p is None else float(sum(p))
        self.p = None if p is None else [float(v) / total for v in p]
        self.generator = generator

    def __call__(self, *inputs):
        i = int(self._rng().choice(len(self.transforms), p=self.p))
        return self.transforms[i](*inputs)


class RandomOrder(Transform):
    """Apply all ``transforms`` in a random order."""

    supports_batch = False

    def __init__(self, transforms, generator=None):
        self.transforms, self.generator = list(transforms), generator

    def __call__(self, img):
        for i in self._rng().permutation(len(self.transforms)):
            img = self.transforms[int(i)](img)
        return img


def _channel_shape(name, stats, x):
    """Reshape per-channel statistics to broadcast over ``(..., C, H, W)``."""
    if stats.size == 1:
        return stats.reshape(())
    if x.ndim < 3 or x.shape[-3] != stats.size:
        raise ValueError(
            f"{name}: {stats.size} channel statistics but input has shape {x.shape} "
            f"(expected (C, H, W) or (N, C, H, W) with C={stats.size})"
        )
    return stats.reshape(-1, 1, 1)


def normalize(tensor, mean, std, inplace=False):
    """``(x - mean[c]) / std[c]`` per channel of a Tensor or array ``(..., C, H, W)``, same kind
    back (integer input becomes float32). ``inplace`` writes into a float input's memory.

    The statistics are cast to the image's dtype first, as torchvision does, so float32 results
    are bit for bit torchvision's."""
    return Normalize(mean, std, inplace)(tensor)


class Normalize(Transform):
    """Per-channel standardisation ``x' = (x - mean[c]) / std[c]`` with given statistics.

    ``mean``/``std``: one number, or one per channel. Any input with channels at axis -3
    (an image or a batch); a single number broadcasts over any shape.
    """

    def __init__(self, mean, std, inplace=False):
        self.mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        self.std = np.atleast_1d(np.asarray(std, dtype=np.float64))
        if self.mean.shape != self.std.shape:
            raise ValueError(
                f"Normalize: mean and std need the same length, got {self.mean.size} "
                f"and {self.std.size}"
            )
        if np.any(self.std == 0):
            raise ValueError(f"Normalize: std must be non-zero, got {self.std.tolist()}")
        self.inplace = inplace
        self._cast = {}  # dtype -> (mean, std) in that dtype, shaped (C, 1, 1)

    def __call__(self, tensor):
        if is_pil_image(tensor):
            raise TypeError("Normalize: img should be a Tensor image, got a PIL image "
                            "(convert it with ToTensor() first)")
        x, wrap = unwrap(tensor, "Normalize")
        dt = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
        _channel_shape("Normalize", self.mean, x)  # checks the channels
        if dt not in self._cast:
            self._cast[dt] = (_channel_shape("Normalize", self.mean, x).astype(dt),
                              _channel_shape("Normalize", self.std, x).astype(dt))
        m, s = self._cast[dt]
        if self.inplace and x.dtype == dt and x.flags.writeable:
            x -= m
            x /= s
            return tensor
        return wrap((x.astype(dt, copy=False) - m) / s)

    def __repr__(self):
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


class Standardize(Transform):
    """Input standardisation with statistics measured on the training set.

    The lectures' recipe: subtract the training-set mean and divide by its standard
    deviation, ``x' = (x - mu) / sigma``, so every input is centred with unit spread; this
    conditions the loss surface (similar curvature in every direction) and keeps the first
    layer's pre-activations in range. ``fit`` measures ``mu`` and ``sigma`` (population std)
    once on training data; the same numbers are then used for validation and test.

    Args:
        per: ``'channel'`` (one mu/sigma per channel of ``(N, C, ...)`` data, the default for
            images), ``'feature'`` (one per input dimension, the default for ``(N, D)``
            data) or ``'global'`` (one number).
        mean, std: give the statistics directly instead of calling ``fit``.
        eps: a sigma below ``eps`` (a constant input) is replaced by 1.
    """

    def __init__(self, per=None, mean=None, std=None, eps=1e-8):
        if per not in (None, "channel", "feature", "global"):
            raise ValueError(
                f"Standardize: per must be 'channel', 'feature' or 'global', got {per!r}"
            )
        self.per, self.eps = per, eps
        self.mean = None if mean is None else np.asarray(mean, dtype=np.float64)
        self.std = None if std is None else np.asarray(std, dtype=np.float64)

    def fit(self, data, chunk=8192):
        """Measure mean/std on ``data``: an array ``(N, ...)`` or an array-backed Dataset (its
        inputs as it returns them, i.e. after its own transform). Returns ``self``."""
        from glassnet.data.dataset import batch_getter

        if isinstance(data, np.ndarray) or _is_tensor(data):
            arr = _raw(data)
            n = arr.shape[0]

            def part(i):
                return arr[i : i + chunk]
        else:
            get = batch_getter(data)
            if get is None:
                raise TypeError(
                    f"Standardize.fit: expected an array or an array-backed Dataset, "
                    f"got {type(data).__name__}"
                )
            n = len(data)

            def part(i):
                b = get(np.arange(i, min(i + chunk, n)))
                return np.asarray(b[0] if isinstance(b, (tuple, list)) else b)

        if n == 0:
            raise ValueError("Standardize.fit: got no samples")
        first = part(0)
        per = self.per or ("channel" if first.ndim >= 4 else "feature")
        if per == "channel" and first.ndim < 3:
            raise ValueError(
                f"Standardize.fit: per='channel' needs data of shape (N, C, ...), got {first.shape}"
            )
        axes = {
            "channel": (0,) + tuple(range(2, first.ndim)),
            "feature": (0,),
            "global": tuple(range(first.ndim)),
        }[per]
        s = s2 = 0.0
        count = 0
        for i in range(0, n, chunk):
            b = (first if i == 0 else part(i)).astype(np.float64)
            part_sum = b.sum(axis=axes, keepdims=True)
            s = s + part_sum
            s2 = s2 + (b * b).sum(axis=axes, keepdims=True)
            count += b.size // part_sum.size
        mean = s / count
        var = np.maximum(s2 / count - mean * mean, 0.0)
        self.per = per
        self.mean, self.std = mean[0], np.sqrt(var)[0]
        return self

    def __call__(self, x):
        if self.mean is None:
            raise RuntimeError("Standardize: call fit(training_data) first (or pass mean and std)")
        x = _raw(x)
        dt = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
        std = np.where(self.std < self.eps, 1.0, self.std)
        return ((x - self.mean) / std).astype(dt, copy=False)

    def state_dict(self):
        return {
            "per": self.per,
            "mean": np.asarray(self.mean).tolist(),
            "std": np.asarray(self.std).tolist(),
        }

    def load_state_dict(self, state):
        self.per = state["per"]
        self.mean, self.std = np.asarray(state["mean"]), np.asarray(state["std"])

    def __repr__(self):
        m = None if self.mean is None else np.round(np.ravel(self.mean)[:4], 4).tolist()
        return f"Standardize(per={self.per!r}, mean={m}{'...' if m and np.size(self.mean) > 4 else ''})"


SPEC_NAMES = ("crop", "flip", "vflip", "rotate", "affine", "elastic", "noise", "erase", "jitter")


def _spec_one(name, value, shape, generator):
    """One augmentation with defaults scaled to the image side ``s``; ``value`` overrides the
    main parameter."""
    s = shape[-1]

    def v(default):
        return default if value is None else value

    if name == "crop":
        return RandomCrop(shape[-2:], padding=int(v(max(1, round(s / 8)))), generator=generator)
    if name == "flip":
        return RandomHorizontalFlip(v(0.5), generator=generator)
    if name == "vflip":
        return RandomVerticalFlip(v(0.5), generator=generator)
    if name == "rotate":
        return RandomRotation(v(15.0), generator=generator)
    if name == "affine":
        return RandomAffine(
            degrees=v(10.0), translate=(0.1, 0.1), scale=(0.9, 1.1), shear=10.0, generator=generator
        )
    if name == "elastic":
        return ElasticDeformation(alpha=v(34.0 * s / 28), sigma=4.0 * s / 28, generator=generator)
    if name == "noise":
        return GaussianNoise(std=v(0.05), generator=generator)
    if name == "erase":
        return RandomErasing(p=v(0.5), generator=generator)
    if name == "jitter":
        return ColorJitter(brightness=v(0.2), contrast=v(0.2), generator=generator)
    raise AssertionError(name)


def transforms_from_spec(spec, dataset_name=None, input_shape=None, generator=None):
    """Build an augmentation pipeline from a comma list, e.g. ``"crop,flip,rotate=10"``.

    Names: crop (random shift, padding s/8), flip, vflip, rotate (+-15 deg), affine
    (+-10 deg, 10 % shift, 0.9-1.1 zoom, +-10 deg shear), elastic (alpha 34, sigma 4 at 28 px,
    scaled to the image side), noise (std 0.05), erase (p 0.5), jitter (brightness and
    contrast 0.2). ``name=value`` sets the main parameter (padding, p, degrees, alpha, std,
    p, strength). The input shape comes from ``input_shape`` or the registry entry of
    ``dataset_name``. Horizontal flips change the meaning of digits and characters; use them
    on natural images and clothing (cifar10, fashion-mnist). Returns a ``Compose`` (empty
    for an empty spec).
    """
    items = [p.strip() for p in (spec.split(",") if isinstance(spec, str) else list(spec or ()))]
    items = [p for p in items if p]
    if input_shape is None and dataset_name is not None:
        input_shape = _dataset_info(dataset_name).input_shape
    out = []
    for item in items:
        name, _, val = item.partition("=")
        name = name.strip().lower()
        if name not in SPEC_NAMES:
            raise ValueError(
                f"transforms_from_spec: unknown augmentation {name!r}; choose from {', '.join(SPEC_NAMES)}"
            )
        value = float(val) if val.strip() else None
        if name != "noise" and (input_shape is None or len(input_shape) != 3):
            raise ValueError(
                f"transforms_from_spec: {name!r} needs images (C, H, W) but "
                f"{'dataset ' + repr(dataset_name) if dataset_name else 'the input'} has "
                f"input shape {input_shape}; only 'noise' applies to other inputs"
            )
        out.append(_spec_one(name, value, input_shape or (), generator))
    return Compose(out)
