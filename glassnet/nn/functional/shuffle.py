"""Rearranging pixels and channels, and the older upsampling names.

* ``pixel_shuffle`` (Shi et al. 2016, "sub-pixel convolution") trades channels for resolution:
  r^2 channels of an (H, W) map become one channel of an (H r, W r) map, channel c r^2 + i r + j
  supplying the pixels at offset (i, j) of each r x r block. ``pixel_unshuffle`` is its inverse.
* ``channel_shuffle`` (ShuffleNet, Zhang et al. 2018) interleaves the channels of ``groups``
  groups so that the next grouped convolution mixes information across groups.

All three are pure reshapes and permutations of the data, so their gradients are the inverse
permutations, which autograd derives from ``reshape`` and ``permute``.
"""

from __future__ import annotations

import warnings

from ...tensor import Tensor
from .sampling import interpolate

__all__ = ["pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle",
           "upsample_nearest", "upsample_bilinear"]


def _check(op, input, what="input"):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected {what} to be a Tensor, got {type(input).__name__}")
    if input.ndim < 3:
        raise RuntimeError(f"{op} expects input to have at least 3 dimensions, but got input "
                           f"with {input.ndim} dimension(s)")


def pixel_shuffle(input, upscale_factor):
    """(*, C r^2, H, W) -> (*, C, H r, W r) with r = ``upscale_factor``:
    out[..., c, h r + i, w r + j] = in[..., c r^2 + i r + j, h, w].

    Shape: input (*, C * r^2, H, W); output (*, C, H * r, W * r).
    """
    _check("pixel_shuffle", input)
    r = int(upscale_factor)
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    k = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """The inverse of ``pixel_shuffle``: (*, C, H r, W r) -> (*, C r^2, H, W).

    Shape: input (*, C, H * r, W * r); output (*, C * r^2, H, W).
    """
    _check("pixel_unshuffle", input)
    r = int(downscale_factor)
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, "
                           f"but input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, "
                           f"but input.size(-1)={w} is not divisible by {r}")
    k = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


def channel_shuffle(input, groups):
    """Interleave the channels of ``groups`` groups: view the C channels as a (groups, C / groups)
    matrix and transpose it, so channel g (C / groups) + i moves to i groups + g.

    Shape: input (N, C, *); output (N, C, *).
    """
    _check("channel_shuffle", input)
    g = int(groups)
    if g <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of "
                           f"groups:{g}")
    n, c, *rest = input.shape
    if c % g:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {g} groups.")
    x = input.reshape(n, g, c // g, *rest).transpose(1, 2)
    return x.reshape(n, c, *rest)


native_channel_shuffle = channel_shuffle


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(input, size, scale_factor, mode='nearest')``."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(input, size, scale_factor, mode='bilinear',
    align_corners=True)`` (note: corners aligned, unlike ``interpolate``'s default)."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use "
                  "`nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
