"""The model registry: names the command line understands, and how to build each for a dataset.

``register(name, description, kind=..., sizes=...)`` marks a factory; ``get(name, **kw)`` calls
it; ``available()`` lists ``{name: one-line description}``. ``build_for(name, input_shape,
num_classes)`` is what ``glassnet train`` uses: it checks that the model can read inputs of that
shape (a LeNet-5 needs 28-32 pixel images, an MLP reads anything) and fills in ``in_channels``,
``num_classes`` and ``input_size`` / ``in_features`` itself, so one ``--model`` works on every
dataset that fits it.

Kinds of entries:

* ``"image"``: convolutional classifiers taking ``(N, C, H, W)`` with ``H == W`` within
  ``sizes = (smallest, largest)``; their factory accepts ``in_channels``, ``num_classes`` and
  (if ``takes_size``) ``input_size``;
* ``"flat"``: classifiers that flatten any input (the MLP); factory gets ``in_features``;
* ``"autoencoder"``: reconstruct their input (trained with a reconstruction loss);
* ``"classic"``: the historical units trained by their own rule (McCulloch-Pitts, perceptron);
* ``"sequence"``: recurrent classifiers reading (T, F) sequences, images (C, H, W) row by row
  (H steps of C * W features) or flat signals (L,) one value per step; factory gets
  ``input_size`` (features per step) and ``num_classes``;
* ``"graph"``, ``"language"``: graph networks and language models, which read graphs or token
  streams rather than dataset samples (built with ``get``, trained by their own loops).
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field


@dataclass
class Entry:
    name: str
    factory: object
    description: str
    kind: str = "image"
    sizes: tuple = (1, 10_000)
    takes_size: bool = False
    defaults: dict = field(default_factory=dict)


_REGISTRY: dict[str, Entry] = {}


def register(name, description, kind="image", sizes=(1, 10_000), takes_size=False, **defaults):
    """Decorator: add ``factory`` to the registry under ``name``."""

    def deco(factory):
        _REGISTRY[name] = Entry(name, factory, description, kind, tuple(sizes), takes_size,
                                dict(defaults))
        return factory

    return deco


def _unknown(name):
    names = sorted(_REGISTRY)
    close = difflib.get_close_matches(name, names, n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    return KeyError(f"unknown model {name!r}.{hint} Available models: {', '.join(names)}")


def entry(name) -> Entry:
    """The registry entry of ``name`` (``KeyError`` listing the available names otherwise)."""
    key = name.lower().replace("_", "-") if name not in _REGISTRY else name
    for k in (name, key, key.replace("-", "_"), key.replace("-", "")):
        if k in _REGISTRY:
            return _REGISTRY[k]
    raise _unknown(name)


def get(name, **kw):
    """Build the model registered as ``name`` with keyword arguments ``kw``."""
    e = entry(name)
    return e.factory(**{**e.defaults, **kw})


def available() -> dict:
    """``{name: one-line description}`` for every registered model, sorted by name."""
    return {k: _REGISTRY[k].description for k in sorted(_REGISTRY)}


def check_input(name, input_shape):
    """Raise ``ValueError`` (saying what fits) if model ``name`` cannot read ``input_shape``.

    ``input_shape`` is one sample's shape without the batch axis, e.g. ``(1, 28, 28)``.
    """
    e = entry(name)
    shape = tuple(int(s) for s in input_shape)
    if e.kind == "classic":
        raise ValueError(f"model {e.name!r} is a {e.description.split(':')[0].lower()} trained by "
                         "its own rule (see examples/02_perceptron.py), not by gradient descent")
    if e.kind in ("graph", "language"):
        what = "graph network" if e.kind == "graph" else "language model"
        raise ValueError(f"model {e.name!r} is a {what}: it reads "
                         f"{'(x, edge_index) graphs' if e.kind == 'graph' else 'token streams'}, "
                         f"not dataset samples of shape {shape}; see the examples/ scripts")
    if e.kind == "sequence" and not 1 <= len(shape) <= 3:
        raise ValueError(f"model {e.name!r} reads sequences (T, F), images (C, H, W) row by row "
                         f"or signals (L,), but the dataset gives samples of shape {shape}")
    if e.kind == "image":
        lo, hi = e.sizes
        if len(shape) != 3 or shape[1] != shape[2] or not lo <= shape[1] <= hi:
            raise ValueError(f"model {e.name!r} expects square images of shape (C, H, W) with "
                             f"{lo} <= H = W <= {hi}, but the dataset gives samples of shape "
                             f"{shape}; try --model mlp, or a dataset of {lo}-{hi} px images")


def build_for(name, input_shape, num_classes, **kw):
    """Build ``name`` for samples of ``input_shape`` and ``num_classes`` classes.

    >>> build_for("lenet5", (1, 28, 28), 10)        # doctest: +SKIP
    """
    e = entry(name)
    check_input(name, input_shape)
    shape = tuple(int(s) for s in input_shape)
    args = dict(e.defaults)
    if e.kind == "image":
        args.update(in_channels=shape[0], num_classes=num_classes)
        if e.takes_size:
            args["input_size"] = shape[1]
    elif e.kind == "flat":
        args.update(in_features=math.prod(shape), num_classes=num_classes)
    elif e.kind == "autoencoder":
        args.update(input_shape=shape)
    elif e.kind == "sequence":  # features per step: a row of an image, or one value of a signal
        step = shape[0] * shape[2] if len(shape) == 3 else (shape[1] if len(shape) == 2 else 1)
        args.update(input_size=step, num_classes=num_classes)
    args.update(kw)
    return e.factory(**args)
