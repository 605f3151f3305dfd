"""torchvision's pretrained weights: ``Weights``, ``WeightsEnum`` and the ``weights=`` /
``pretrained=`` arguments of the zoo's torchvision-shaped factories.

A ``WeightsEnum`` subclass (``ResNet50_Weights``, in ``glassnet.models.imagenet_weights``) lists
the trained weights published for one architecture under torchvision's names
(``IMAGENET1K_V1``, ``IMAGENET1K_V2``, and ``DEFAULT``, an alias of the best). Each member's
value is a ``Weights``: the ``url`` of torchvision's file, a ``transforms`` callable that builds
the preprocessing the weights expect, and ``meta`` (the class names, the parameter count, the
published accuracy...).

glassnet downloads nothing and never unpickles a file. ``weights.get_state_dict()`` (and so
``resnet50(weights=ResNet50_Weights.DEFAULT)``) reads the file once converted to safetensors from
the hub folder: ``<hub dir>/checkpoints/resnet50-11ad3fa6.safetensors`` for
``.../resnet50-11ad3fa6.pth`` (``glassnet.hub.load_state_dict_from_url``, whose error names the
path and the line of PyTorch that makes the file). The module names and shapes are
torchvision's, so the state dict loads with ``strict=True``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import Any

from glassnet.hub import load_state_dict_from_url

__all__ = ["Weights", "WeightsEnum", "overwrite_named_param", "torchvision_factory"]


@dataclass
class Weights:
    """One set of trained weights: where torchvision publishes it (``url``), how to prepare
    inputs for it (``transforms``, called with no arguments to build the transform) and what is
    known about it (``meta``: ``categories``, ``num_params``, ``min_size``, ``_metrics``...)."""

    url: str
    transforms: Callable
    meta: dict[str, Any]

    def __eq__(self, other):
        # An Enum compares a value with its members when a member is copied or rebuilt; two
        # equal functools.partial objects are not ==, so compare their parts.
        if not isinstance(other, Weights):
            return NotImplemented
        if self.url != other.url or self.meta != other.meta:
            return False
        a, b = self.transforms, other.transforms
        if isinstance(a, partial) and isinstance(b, partial):
            return a.func == b.func and a.args == b.args and a.keywords == b.keywords
        return a == b


class WeightsEnum(Enum):
    """The base class of every model's weights enum; each member's value is a ``Weights``."""

    @classmethod
    def verify(cls, obj):
        """``obj`` as a member of this enum: None stays None, a member of this enum is returned,
        a name (``"IMAGENET1K_V1"``, ``"DEFAULT"`` or ``"ResNet50_Weights.IMAGENET1K_V1"``) is
        looked up (KeyError when there is none); anything else is a TypeError."""
        if obj is None or isinstance(obj, cls):
            return obj
        if type(obj) is str:
            name = obj.replace(cls.__name__ + ".", "")
            try:
                return cls[name]
            except KeyError:
                raise KeyError(f"{cls.__name__}: no weights named {obj!r}; expected one of "
                               f"{list(cls.__members__)}") from None
        raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} but received "
                        f"{type(obj).__name__}.")

    def get_state_dict(self, *args, **kwargs):
        """The state dict of these weights, from the hub folder
        (``glassnet.hub.load_state_dict_from_url(self.url, *args, **kwargs)``)."""
        return load_state_dict_from_url(self.url, *args, **kwargs)

    def __repr__(self):
        return f"{type(self).__name__}.{self._name_}"

    @property
    def url(self):
        return self.value.url

    @property
    def transforms(self):
        return self.value.transforms

    @property
    def meta(self):
        return self.value.meta


def overwrite_named_param(name, kwargs, param, value):
    """Set ``kwargs[param] = value``, or raise ValueError when the caller gave another value
    (``num_classes=10`` with weights for 1000 classes)."""
    if param in kwargs and kwargs[param] != value:
        raise ValueError(f"{name}: the parameter '{param}' expected value {value} but got "
                         f"{kwargs[param]} instead (the value the weights were trained with)")
    kwargs[param] = value


def _legacy_pretrained(name, weights_enum, weights, kwargs):
    """torchvision's older ``pretrained=True/False``: the enum's IMAGENET1K_V1 or None, with
    torchvision's deprecation warnings."""
    pretrained = kwargs.pop("pretrained")
    if weights is not None:
        raise TypeError(f"{name}: pass either weights= or the older pretrained=, not both")
    chosen = weights_enum.IMAGENET1K_V1 if pretrained else None
    warnings.warn(f"{name}: the parameter 'pretrained' is deprecated (torchvision 0.13); use "
                  "'weights' instead.", UserWarning, stacklevel=3)
    more = f" Use weights={weights_enum.__name__}.DEFAULT for the best weights." if chosen else ""
    warnings.warn(f"{name}: pretrained={pretrained!r} is the same as weights={chosen!r}.{more}",
                  UserWarning, stacklevel=3)
    return chosen


def torchvision_factory(name, build, doc, weights_enum, init_arg=None):
    """A factory ``name(*, weights=None, progress=True, **kwargs)`` as torchvision's model
    builders are called: returns ``build(**kwargs)``, with the trained weights loaded when
    ``weights`` (a member or name of ``weights_enum``) is given.

    With weights, ``num_classes`` becomes the number of the weights' categories (a different
    value given is a ValueError), ``init_arg`` (VGG's ``init_weights``) is set False (the random
    initialisation would be overwritten), and the state dict, read before the model is built so
    that a missing file fails at once, loads with ``strict=True``."""

    def factory(*, weights=None, progress=True, **kwargs):
        if "pretrained" in kwargs:
            weights = _legacy_pretrained(name, weights_enum, weights, kwargs)
        weights = weights_enum.verify(weights)
        if weights is None:
            return build(**kwargs)
        categories = weights.meta["categories"]
        if categories is not None:
            overwrite_named_param(name, kwargs, "num_classes", len(categories))
        if init_arg is not None:
            kwargs[init_arg] = False
        state = weights.get_state_dict(progress=progress, check_hash=True)
        model = build(**kwargs)
        model.load_state_dict(state)
        return model

    factory.__name__ = factory.__qualname__ = name
    factory.__module__ = getattr(build, "__module__", __name__)
    factory.__doc__ = doc
    # what torchvision's get_model_weights reads: the enum in the annotation of ``weights``
    factory.__annotations__ = {"weights": weights_enum | None, "progress": bool}
    return factory
