"""torchvision's ``weights=`` / ``pretrained=`` arguments, for the zoo's torchvision-shaped nets.

glassnet ships no pretrained weights and downloads nothing. A factory such as ``vgg16`` takes
``weights=None`` (and the old ``pretrained=False``) as torchvision does; anything else raises a
``ValueError`` that says how to use trained weights instead: save them once as safetensors (for
example from ``torchvision.models.vgg16(weights="DEFAULT")`` with
``safetensors.torch.save_file(model.state_dict(), "vgg16.safetensors")``), then
``model.load_state_dict(glassnet.io.load("vgg16.safetensors"))``. The module names and shapes are
torchvision's, so ``strict=True`` loading works.
"""

from __future__ import annotations

__all__ = ["refuse_weights", "torchvision_factory"]


def refuse_weights(name, weights=None, kwargs=None):
    """Raise ``ValueError`` unless no pretrained weights are asked for; pops ``pretrained``
    from ``kwargs`` (torchvision's older spelling)."""
    pretrained = (kwargs or {}).pop("pretrained", False)
    if weights is None and not pretrained:
        return
    asked = f"weights={weights!r}" if weights is not None else f"pretrained={pretrained!r}"
    raise ValueError(
        f"{name}: no pretrained weights ship with glassnet and it downloads none ({asked}). "
        f"Build the model with weights=None and load trained weights saved as safetensors, "
        f"e.g. from torchvision.models.{name}: "
        f"model.load_state_dict(glassnet.io.load('{name}.safetensors'))")


def torchvision_factory(name, build, doc):
    """A factory ``name(*, weights=None, progress=True, **kwargs)`` that refuses weights and
    returns ``build(**kwargs)``, as torchvision's model builders are called."""

    def factory(*, weights=None, progress=True, **kwargs):
        refuse_weights(name, weights, kwargs)
        return build(**kwargs)

    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = doc
    return factory
