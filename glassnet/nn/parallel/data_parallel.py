"""``DataParallel``: PyTorch's single-process multi-GPU wrapper. glassnet runs one device per
process, so it calls the wrapped module directly (what PyTorch does without GPUs); its
``state_dict`` keys carry the ``module.`` prefix as in PyTorch. For several processes use
``DistributedDataParallel``."""

from __future__ import annotations

from glassnet.nn.modules.module import Module


class DataParallel(Module):
    """Holds ``module`` (``.module``) and forwards every call to it unchanged."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        self.device_ids = [] if device_ids is None else list(device_ids)
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


__all__ = ["DataParallel"]
