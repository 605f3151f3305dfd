"""``torch.utils.tensorboard``: ``SummaryWriter`` writes TensorBoard event files (see
``writer.py``); nothing beyond NumPy is needed to write them."""

from .writer import SummaryWriter

__all__ = ["SummaryWriter"]
