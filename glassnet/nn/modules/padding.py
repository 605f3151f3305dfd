"""Padding layers: Module forms of ``F.pad`` for each border strategy and dimension.

``ZeroPad2d(1)`` adds one pixel of zeros on every side of the last two dimensions;
``ReflectionPad2d((1, 1, 2, 0))`` mirrors one column left and right and two rows on top. The
padding is an int (the same on every side) or a tuple (left, right[, top, bottom[, front,
back]]), in ``F.pad``'s order: the last dimension first. See ``F.pad`` for the modes (zero,
constant, mirror, replicate, wrap-around) and their gradients.
"""

from __future__ import annotations

from .. import functional as F
from .module import Module
from .utils import _int_tuple

__all__ = ["ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
           "CircularPad2d", "CircularPad3d"]


class _PadNd(Module):
    _nd = 1
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        # an int for every side, or (left, right, top, bottom, ...): 2 values per dimension
        self.padding = _int_tuple(padding, 2 * self._nd, "padding", type(self).__name__)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dimension with ``value``. Shape: (*, W) -> (*, left + W + right)."""

    _nd = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dimensions with ``value``. Shape: (*, H, W) -> (*, H_out, W_out)."""

    _nd = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dimensions with ``value``. Shape: (*, D, H, W) -> (*, D_out, ...)."""

    _nd = 3


class _ZeroPadNd(_ConstantPadNd):
    # ZeroPad{1,2,3}d also derive from ConstantPad{1,2,3}d, as in PyTorch (isinstance checks)
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd, ConstantPad1d):
    """Pad the last dimension with zeros. Shape: (*, W) -> (*, left + W + right)."""

    _nd = 1


class ZeroPad2d(_ZeroPadNd, ConstantPad2d):
    """Pad the last two dimensions with zeros (the lectures' zero padding).

    Shape: (*, H, W) -> (*, top + H + bottom, left + W + right).
    """

    _nd = 2


class ZeroPad3d(_ZeroPadNd, ConstantPad3d):
    """Pad the last three dimensions with zeros. Shape: (*, D, H, W) -> (*, D_out, H_out, W_out)."""

    _nd = 3


class _ReflectionPadNd(_PadNd):
    _mode = "reflect"


class ReflectionPad1d(_ReflectionPadNd):
    """Mirror the signal at its ends without repeating the edge (pad < size).

    Shape: (N, C, W) or (C, W) -> (N, C, left + W + right).
    """

    _nd = 1


class ReflectionPad2d(_ReflectionPadNd):
    """Mirror the image at its borders without repeating the edge pixel (pad < size).

    Shape: (N, C, H, W) or (C, H, W) -> (N, C, top + H + bottom, left + W + right).
    """

    _nd = 2


class ReflectionPad3d(_ReflectionPadNd):
    """Mirror a volume at its borders. Shape: (N, C, D, H, W) or (C, D, H, W) -> padded."""

    _nd = 3


class _ReplicationPadNd(_PadNd):
    _mode = "replicate"


class ReplicationPad1d(_ReplicationPadNd):
    """Repeat the edge value. Shape: (N, C, W) or (C, W) -> (N, C, left + W + right)."""

    _nd = 1


class ReplicationPad2d(_ReplicationPadNd):
    """Repeat the edge pixels. Shape: (N, C, H, W) or (C, H, W) -> padded."""

    _nd = 2


class ReplicationPad3d(_ReplicationPadNd):
    """Repeat the edge voxels. Shape: (N, C, D, H, W) or (C, D, H, W) -> padded."""

    _nd = 3


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input):
        if input.ndim not in (self._nd + 1, self._nd + 2):
            raise ValueError(f"expected {self._nd + 1}D or {self._nd + 2}D input (got "
                             f"{input.ndim}D input)")
        return F.pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    """Wrap around: the signal continues periodically. Shape: (N, C, W) or (C, W) -> padded."""

    _nd = 1


class CircularPad2d(_CircularPadNd):
    """Wrap around in both directions (the image becomes a torus, so a convolution after it is
    exactly equivariant to circular shifts). Shape: (N, C, H, W) or (C, H, W) -> padded."""

    _nd = 2


class CircularPad3d(_CircularPadNd):
    """Wrap around in all three directions. Shape: (N, C, D, H, W) or (C, D, H, W) -> padded."""

    _nd = 3
