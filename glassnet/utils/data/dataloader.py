"""``glassnet.utils.data.dataloader``: the DataLoader and collation (PyTorch's module path)."""

from glassnet.utils.data import DataLoader, default_collate, default_convert, get_worker_info  # noqa: F401
