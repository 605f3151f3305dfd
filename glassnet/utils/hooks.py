"""``torch.utils.hooks``: the handle that ``register_*_hook`` returns."""

from ..nn.modules.hooks import RemovableHandle

__all__ = ["RemovableHandle"]
