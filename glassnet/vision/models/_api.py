"""``torchvision.models._api``: the weights classes and the model registry behind
``get_model``, ``get_model_builder``, ``get_model_weights``, ``get_weight`` and
``list_models``.

The registry holds the model builders by name (``"resnet18"``, ``"vgg16_bn"``...), as
torchvision's does; ``register_model()`` adds your own. A builder's weights enum is read from
the annotation of its ``weights`` parameter (``Optional[ResNet18_Weights]``), so
``get_weight("ResNet50_Weights.IMAGENET1K_V2")`` finds the enum among the registered builders'.
"""

from __future__ import annotations

import fnmatch
import inspect
from typing import get_args

from glassnet.models.imagenet_alexnet import alexnet
from glassnet.models.imagenet_resnet import resnet18, resnet34, resnet50, resnet101, resnet152
from glassnet.models.imagenet_vgg import (
    vgg11,
    vgg11_bn,
    vgg13,
    vgg13_bn,
    vgg16,
    vgg16_bn,
    vgg19,
    vgg19_bn,
)
from glassnet.models.mobilenet import mobilenet_v2
from glassnet.models.pretrained import Weights, WeightsEnum
from glassnet.models.squeezenet import squeezenet1_0, squeezenet1_1

__all__ = ["Weights", "WeightsEnum", "get_model", "get_model_builder", "get_model_weights",
           "get_weight", "list_models", "register_model"]

BUILTIN_MODELS = {}


def register_model(name=None):
    """Decorator: add a model builder to the registry under ``name`` (default: its
    ``__name__``); a name taken already is a ValueError."""

    def wrapper(fn):
        key = fn.__name__ if name is None else name
        if key in BUILTIN_MODELS:
            raise ValueError(f"An entry is already registered under the name '{key}'.")
        BUILTIN_MODELS[key] = fn
        return fn

    return wrapper


for _builder in (alexnet, mobilenet_v2, resnet18, resnet34, resnet50, resnet101, resnet152,
                 squeezenet1_0, squeezenet1_1, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn,
                 vgg19, vgg19_bn):
    register_model()(_builder)


def _filters(patterns):
    return [patterns] if isinstance(patterns, str) else list(patterns)


def list_models(module=None, include=None, exclude=None):
    """The sorted names of the registered models: those ``module`` holds (e.g.
    ``glassnet.vision.models`` or ``glassnet.vision.models.resnet``) when it is given, kept by
    the ``include`` and dropped by the ``exclude`` shell patterns (``"resnet*"``; one pattern or
    several)."""
    names = {k for k, fn in BUILTIN_MODELS.items()
             if module is None or getattr(module, k, None) is fn}
    if include:
        names = set().union(*(fnmatch.filter(names, p) for p in _filters(include)))
    for pattern in _filters(exclude or []):
        names -= set(fnmatch.filter(names, pattern))
    return sorted(names)


def get_model_builder(name):
    """The builder registered as ``name`` (case-insensitive); ValueError for an unknown name."""
    try:
        return BUILTIN_MODELS[name.lower()]
    except KeyError:
        raise ValueError(f"Unknown model {name}; the models are {list_models()}") from None


def get_model(name, **config):
    """``get_model_builder(name)(**config)``: ``get_model("resnet50", weights="DEFAULT")``."""
    return get_model_builder(name)(**config)


def get_model_weights(name):
    """The weights enum of a builder (given itself or by its registered name), read from the
    annotation of its ``weights`` parameter."""
    fn = get_model_builder(name) if isinstance(name, str) else name
    params = inspect.signature(fn).parameters
    if "weights" not in params:
        raise ValueError("The method is missing the 'weights' argument.")
    ann = params["weights"].annotation
    for t in (ann, *get_args(ann)):
        if isinstance(t, type) and issubclass(t, WeightsEnum):
            return t
    raise ValueError("The WeightsEnum class for the specific method couldn't be retrieved. "
                     "Make sure the typing info is correct.")


def get_weight(name):
    """The weights called ``name``, the enum's name and the member's:
    ``get_weight("ResNet50_Weights.IMAGENET1K_V2")``. ValueError for a name without one dot or
    an unknown enum, KeyError for an unknown member."""
    try:
        enum_name, value_name = name.split(".")
    except ValueError:
        raise ValueError(f"Invalid weight name provided: '{name}'.") from None
    for fn in BUILTIN_MODELS.values():
        try:
            enum = get_model_weights(fn)
        except ValueError:
            continue
        if enum.__name__ == enum_name:
            return enum.verify(value_name)
    raise ValueError(f"The weight enum '{enum_name}' for the specific method couldn't be "
                     "retrieved.")
