"""Pooling layers: max, average, adaptive, power-average (LP), unpooling, and anti-aliased
downsampling.

Pooling layers have no parameters: each wraps one function of ``nn.functional`` with its
options. ``BlurPool2d`` and ``MaxBlurPool2d`` are the anti-aliased downsampling of R. Zhang,
"Making Convolutional Networks Shift-Invariant Again" (ICML 2019): striding ignores the Nyquist
sampling theorem and aliases, so blur (low-pass filter) before subsampling.
"""

from __future__ import annotations

import math

import numpy as np

from ...tensor import Tensor
from .. import functional as F
from .module import Module
from .utils import _ntuple, _single

__all__ = [
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "BlurPool2d",
    "FractionalMaxPool2d",
    "FractionalMaxPool3d",
    "MaxBlurPool2d",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "LPPool1d",
    "LPPool2d",
    "LPPool3d",
    "MaxUnpool1d",
    "MaxUnpool2d",
    "MaxUnpool3d",
    "binomial_filter",
]


class _MaxPoolNd(Module):
    _fn = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding, self.dilation,
                              ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """1-D max pooling (``F.max_pool1d``). Shape: (N, C, L) -> (N, C, L_out)."""

    _fn = staticmethod(F.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    """2-D max pooling (``F.max_pool2d``): the largest value of each window, per channel.

    Shape: (N, C, H, W) -> (N, C, H_out, W_out),
    H_out = floor_or_ceil((H + 2 padding - dilation (kernel_size - 1) - 1) / stride) + 1.
    """

    _fn = staticmethod(F.max_pool2d)


class MaxPool3d(_MaxPoolNd):
    """3-D max pooling (``F.max_pool3d``). Shape: (N, C, D, H, W) -> (N, C, D_out, H_out, W_out)."""

    _fn = staticmethod(F.max_pool3d)


class _AvgPoolNd(Module):
    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """1-D average pooling (``F.avg_pool1d``). Shape: (N, C, L) -> (N, C, L_out)."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)


class _AvgPoolDivisor(_AvgPoolNd):
    _fn = None

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                              self.count_include_pad, self.divisor_override)


class AvgPool2d(_AvgPoolDivisor):
    """2-D average pooling (``F.avg_pool2d``). Shape: (N, C, H, W) -> (N, C, H_out, W_out)."""

    _fn = staticmethod(F.avg_pool2d)


class AvgPool3d(_AvgPoolDivisor):
    """3-D average pooling (``F.avg_pool3d``)."""

    _fn = staticmethod(F.avg_pool3d)


class _AdaptivePoolNd(Module):
    """What the adaptive poolings share: a fixed ``output_size``, whatever the input size."""

    _fn = None

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return type(self)._fn(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class _AdaptiveAvgPoolNd(_AdaptivePoolNd):
    pass


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Average over adaptive bins to a fixed length. Shape: (N, C, L) -> (N, C, output_size)."""

    _fn = staticmethod(F.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Average over adaptive bins to a fixed (H_out, W_out); ``AdaptiveAvgPool2d(1)`` is global
    average pooling. Shape: (N, C, H, W) -> (N, C, H_out, W_out)."""

    _fn = staticmethod(F.adaptive_avg_pool2d)


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """Average over adaptive bins to a fixed (D_out, H_out, W_out)."""

    _fn = staticmethod(F.adaptive_avg_pool3d)


class _AdaptiveMaxPoolNd(_AdaptivePoolNd):
    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input):
        return type(self)._fn(input, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    """Max over adaptive bins to a fixed length."""

    _fn = staticmethod(F.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    """Max over adaptive bins to a fixed (H_out, W_out). Shape: (N, C, H, W) -> (N, C, *out)."""

    _fn = staticmethod(F.adaptive_max_pool2d)


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    """Max over adaptive bins to a fixed (D_out, H_out, W_out)."""

    _fn = staticmethod(F.adaptive_max_pool3d)


class _MaxUnpoolNd(Module):
    _nd, _fn = 2, None

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        tup = _ntuple(self._nd)
        self.kernel_size = tup(kernel_size)
        self.stride = tup(stride if stride is not None else kernel_size)
        self.padding = tup(padding)

    def forward(self, input, indices, output_size=None):
        return type(self)._fn(input, indices, self.kernel_size, self.stride, self.padding,
                              output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """Put each pooled maximum back where it came from (``F.max_unpool1d``); zeros elsewhere."""

    _nd, _fn = 1, staticmethod(F.max_unpool1d)


class MaxUnpool2d(_MaxUnpoolNd):
    """Put each pooled maximum back where it came from (``F.max_unpool2d``); zeros elsewhere."""

    _nd, _fn = 2, staticmethod(F.max_unpool2d)


class MaxUnpool3d(_MaxUnpoolNd):
    """Put each pooled maximum back where it came from (``F.max_unpool3d``); zeros elsewhere."""

    _nd, _fn = 3, staticmethod(F.max_unpool3d)


class _LPPoolNd(Module):
    _fn = None

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def forward(self, input):
        return type(self)._fn(input, float(self.norm_type), self.kernel_size, self.stride,
                              self.ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """Power-average pooling (sum of x^p over each window)^(1/p) (``F.lp_pool1d``)."""

    _fn = staticmethod(F.lp_pool1d)


class LPPool2d(_LPPoolNd):
    """Power-average pooling over kH x kW windows (``F.lp_pool2d``)."""

    _fn = staticmethod(F.lp_pool2d)


class LPPool3d(_LPPoolNd):
    """Power-average pooling over kD x kH x kW windows (``F.lp_pool3d``)."""

    _fn = staticmethod(F.lp_pool3d)


class _FractionalMaxPoolNd(Module):
    """Max pooling over ``kernel_size`` windows whose starts are spread pseudo-randomly so that
    the output has ``output_size`` (or ``output_ratio`` times the input size) positions per
    axis: sizes shrink by any factor, not only by integers (Graham 2014). A fixed
    ``_random_samples`` (N, C, nd) in [0, 1) gives fixed windows (a buffer, as in PyTorch)."""

    _nd = 2
    _fn = staticmethod(F.fractional_max_pool2d)

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                 _random_samples=None):
        super().__init__()
        nd, name = self._nd, type(self).__name__
        tup = _ntuple(nd)
        self.kernel_size = tup(kernel_size)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = tup(output_size) if output_size is not None else None
        self.output_ratio = tup(output_ratio) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a "
                             f"pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input):
        return self._fn(input, self.kernel_size, self.output_size, self.output_ratio,
                        self.return_indices, _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    """Fractional max pooling of (N, C, H, W) input (``F.fractional_max_pool2d``)."""


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    """Fractional max pooling of (N, C, T, H, W) input (``F.fractional_max_pool3d``)."""

    _nd = 3
    _fn = staticmethod(F.fractional_max_pool3d)


# ------------------------------------------------------------------ anti-aliased downsampling
def binomial_filter(filt_size: int) -> np.ndarray:
    """The normalised 2-D binomial low-pass filter of size ``filt_size`` (1 to 7).

    Rows of Pascal's triangle ([1], [1, 1], [1, 2, 1], [1, 3, 3, 1], [1, 4, 6, 4, 1], ...) give
    a 1-D filter a; the 2-D filter is the outer product a a^T divided by its sum, a discrete
    Gaussian-like blur that removes the frequencies subsampling would alias.
    """
    if not 1 <= int(filt_size) <= 7:
        raise ValueError(f"binomial_filter: filt_size must be between 1 and 7, got {filt_size}")
    a = np.array([math.comb(filt_size - 1, i) for i in range(filt_size)], dtype=np.float64)
    f = np.outer(a, a)
    return f / f.sum()


_BLUR_PADS = {"reflect": "reflect", "refl": "reflect", "replicate": "replicate",
              "repl": "replicate", "zero": "constant", "zeros": "constant",
              "constant": "constant", "circular": "circular"}


class BlurPool2d(Module):
    """Anti-aliased downsampling: blur with a fixed binomial filter, then subsample (Zhang 2019).

    Each channel is padded (``pad_mode``: 'reflect', 'replicate', 'zeros' or 'circular') and
    convolved with the ``filt_size`` x ``filt_size`` binomial filter (a depthwise convolution,
    kept as the non-learnable buffer ``filt``) at stride ``stride``. Replacing a strided
    operation by "dense operation, then BlurPool" makes the network far less sensitive to
    one-pixel shifts of its input.

    Shape: (N, C, H, W) -> (N, C, ceil(H / stride), ceil(W / stride)) for filt_size >= 2.
    """

    def __init__(self, channels, filt_size=3, stride=2, pad_mode="reflect", pad_off=0):
        super().__init__()
        if pad_mode not in _BLUR_PADS:
            raise ValueError(f"BlurPool2d: pad_mode must be one of {sorted(_BLUR_PADS)}, got "
                             f"{pad_mode!r}")
        self.channels, self.filt_size, self.stride = channels, int(filt_size), stride
        self.pad_mode, self.pad_off = pad_mode, pad_off
        lo = (filt_size - 1) // 2 + pad_off
        hi = -(-(filt_size - 1) // 2) + pad_off
        self.pad_sizes = [lo, hi, lo, hi]
        filt = binomial_filter(self.filt_size)
        self.register_buffer("filt", Tensor(np.ascontiguousarray(np.broadcast_to(
            filt, (channels, 1, filt_size, filt_size))).astype(np.float32)))

    def forward(self, input):
        if self.filt_size == 1:
            x = input if self.pad_off == 0 else F.pad(input, self.pad_sizes,
                                                      mode=_BLUR_PADS[self.pad_mode])
            return x[:, :, ::self.stride, ::self.stride]
        x = F.pad(input, self.pad_sizes, mode=_BLUR_PADS[self.pad_mode])
        filt = self.filt if self.filt.dtype == input.dtype else self.filt.to(input.dtype)
        return F.conv2d(x, filt, stride=self.stride, groups=input.shape[1])

    def extra_repr(self):
        return f"{self.channels}, filt_size={self.filt_size}, stride={self.stride}, " \
               f"pad_mode={self.pad_mode!r}"


class MaxBlurPool2d(Module):
    """Max pooling made shift-robust: max over ``kernel_size`` windows at stride 1, then
    BlurPool2d (Zhang 2019's MaxBlurPool). A drop-in for ``MaxPool2d(kernel_size, stride)``.

    Shape: (N, C, H, W) -> (N, C, ceil((H - kernel_size + 1) / stride), ...).
    """

    def __init__(self, channels, kernel_size=2, filt_size=3, stride=2, pad_mode="reflect"):
        super().__init__()
        self.kernel_size = kernel_size
        self.max = MaxPool2d(kernel_size, stride=1)
        self.blur = BlurPool2d(channels, filt_size, stride, pad_mode)

    def forward(self, input):
        return self.blur(self.max(input))
