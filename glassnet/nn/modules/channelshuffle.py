"""Channel shuffle: ShuffleNet's interleaving of channels across groups (``F.channel_shuffle``)."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["ChannelShuffle"]


class ChannelShuffle(Module):
    """ShuffleNet's channel interleaving across ``groups``. Shape: (N, C, *) -> (N, C, *)."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"
