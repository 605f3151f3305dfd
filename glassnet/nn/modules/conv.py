"""Convolution layers: Conv1d/2d/3d, ConvTranspose1d/2d/3d, and the lectures' cheaper variants.

A convolution layer holds a bank of ``out_channels`` filters of size (in_channels / groups, *K)
and slides each over the input: locality (small kernels) plus weight sharing (the same filter at
every position). ``SeparableConv2d`` and ``FactorizedConv2d`` replace one k x k convolution by
two cheaper ones; each can report its parameter and multiply-add counts next to those of the
full convolution it replaces (``parameter_counts()``, ``mult_adds(input_size)``).

Initialisation is PyTorch's: W ~ kaiming_uniform(a = sqrt(5)), i.e. U(-1/sqrt(fan_in),
1/sqrt(fan_in)), and b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in_channels / groups * prod(K)
(for the transposed layers fan_in is computed from the weight the same way, from its dimension 1).
"""

from __future__ import annotations

from .. import functional as F
from .. import init
from ..parameter import UninitializedParameter, weight_and_bias
from .lazy import LazyModuleMixin
from .module import Module
from .utils import _int_tuple

__all__ = [
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConv3d",
    "LazyConvTranspose1d",
    "LazyConvTranspose2d",
    "LazyConvTranspose3d",
    "FactorizedConv2d",
    "SeparableConv2d",
    "conv_cost",
]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    _nd = 2
    _fn = None

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 transposed, output_padding, groups, bias, padding_mode, device=None,
                 dtype=None):
        super().__init__()
        name = type(self).__name__
        nd = self._nd
        if groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups}")
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) must be divisible by groups "
                             f"({groups})")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels ({out_channels}) must be divisible by groups "
                             f"({groups})")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {_PADDING_MODES}, got "
                             f"{padding_mode!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _int_tuple(kernel_size, nd, "kernel_size", name)
        self.stride = _int_tuple(stride, nd, "stride", name)
        self.dilation = _int_tuple(dilation, nd, "dilation", name)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: invalid padding string {padding!r}, should be one of "
                                 "'valid', 'same'")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 "convolutions")
            self.padding = padding
        else:
            self.padding = _int_tuple(padding, nd, "padding", name)
        self.transposed = transposed
        self.output_padding = _int_tuple(output_padding, nd, "output_padding", name)
        self.groups, self.padding_mode = groups, padding_mode
        # F.pad's (left, right) pairs, last dimension first
        if isinstance(self.padding, str):
            pads = [0, 0] * nd
            if self.padding == "same":
                for d, k, i in zip(self.dilation, self.kernel_size, range(nd - 1, -1, -1)):
                    total = d * (k - 1)
                    pads[2 * i], pads[2 * i + 1] = total // 2, total - total // 2
            self._reversed_padding_repeated_twice = pads
        else:
            self._reversed_padding_repeated_twice = [p for p in reversed(self.padding)
                                                     for _ in range(2)]
        if transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        weight_and_bias(self, shape, (out_channels,) if bias else None, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        init._default_layer_init_(self.weight, self.bias, bias_needs_fan=True)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, " \
            f"stride={self.stride}"
        if self.padding != (0,) * len(self.kernel_size):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         False, 0, groups, bias, padding_mode, device, dtype)

    def _conv_forward(self, input, weight, bias):
        fn = type(self)._fn
        if self.padding_mode != "zeros":
            # the border strategies of the lectures: pad first, then a 'valid' convolution
            x = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return fn(x, weight, bias, self.stride, 0, self.dilation, self.groups)
        return fn(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """1-D convolution over (N, C_in, L) (see ``F.conv1d``): weight (C_out, C_in / groups, K).

    Shape: (N, C_in, L) -> (N, C_out, L_out), L_out = floor((L + 2 p - d (K - 1) - 1) / s) + 1.
    """

    _nd = 1
    _fn = staticmethod(F.conv1d)


class Conv2d(_Conv):
    """2-D convolution layer, PyTorch's ``nn.Conv2d`` (see ``F.conv2d`` for the formula).

    ``padding``: int, tuple, 'valid' or 'same'; ``padding_mode``: 'zeros', 'reflect',
    'replicate' or 'circular' (the lectures' border strategies; 'circular' makes the layer
    exactly shift-equivariant for circular shifts). ``groups=in_channels`` gives a depthwise
    convolution.

    Shape:
        input (N, C_in, H, W) or (C_in, H, W); output (N, C_out, H_out, W_out) with
        H_out = floor((H + 2 padding[0] - dilation[0] (kernel_size[0] - 1) - 1) / stride[0]) + 1.
    """

    _nd = 2
    _fn = staticmethod(F.conv2d)


class Conv3d(_Conv):
    """3-D convolution over (N, C_in, D, H, W) (see ``F.conv3d``)."""

    _nd = 3
    _fn = staticmethod(F.conv3d)


class _ConvTransposeNd(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'{type(self).__name__}: only "zeros" padding mode is supported')
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         True, output_padding, groups, bias, padding_mode, device, dtype)

    def _output_padding(self, input, output_size):
        """The output_padding that gives ``output_size`` (PyTorch's rule and checks)."""
        if output_size is None:
            return self.output_padding
        nd = self._nd
        output_size = [int(s) for s in output_size]
        non_spatial = 2 if input.ndim == nd + 2 else 1
        if len(output_size) == non_spatial + nd:
            output_size = output_size[non_spatial:]
        if len(output_size) != nd:
            raise ValueError(f"{type(self).__name__}: output_size must have {nd} or "
                             f"{non_spatial + nd} elements (got {len(output_size)})")
        res = []
        for d in range(nd):
            lo = (input.shape[d + non_spatial] - 1) * self.stride[d] - 2 * self.padding[d] + \
                self.dilation[d] * (self.kernel_size[d] - 1) + 1
            hi = lo + self.stride[d] - 1
            if not lo <= output_size[d] <= hi:
                raise ValueError(f"{type(self).__name__}: requested an output size of "
                                 f"{output_size}, but valid sizes range from {lo} to {hi} (for "
                                 f"an input of {tuple(input.shape[non_spatial:])})")
            res.append(output_size[d] - lo)
        return tuple(res)

    def forward(self, input, output_size=None):
        op = self._output_padding(input, output_size)
        return type(self)._fn(input, self.weight, self.bias, self.stride, self.padding, op,
                              self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution (see ``F.conv_transpose1d``): weight (C_in, C_out / groups, K)."""

    _nd = 1
    _fn = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution, the learnable upsampling of decoders (``F.conv_transpose2d``).

    ``forward(input, output_size=None)``: ``output_size`` picks the output_padding that makes a
    strided layer the exact shape-inverse of the convolution it mirrors.

    Shape:
        input (N, C_in, H, W); output (N, C_out, H_out, W_out) with
        H_out = (H - 1) stride - 2 padding + dilation (kernel_size - 1) + output_padding + 1.
    """

    _nd = 2
    _fn = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution (see ``F.conv_transpose3d``)."""

    _nd = 3
    _fn = staticmethod(F.conv_transpose3d)


# ------------------------------------------------------------------ cheaper convolutions
def conv_cost(in_channels, out_channels, kernel_size, input_size, stride=1, padding=0,
              dilation=1, groups=1, bias=True):
    """Parameters and multiply-adds of one 2-D convolution on an input of ``input_size`` (H, W).

    params = C_out * C_in / groups * kh * kw (+ C_out); mult_adds = H_out * W_out * C_out *
    C_in / groups * kh * kw (one multiply-add per weight per output position; the bias adds are
    not counted). Returns a dict with ``params``, ``mult_adds`` and ``output_size``.
    """
    k = _int_tuple(kernel_size, 2, "kernel_size", "conv_cost")
    s = _int_tuple(stride, 2, "stride", "conv_cost")
    p = _int_tuple(padding, 2, "padding", "conv_cost")
    d = _int_tuple(dilation, 2, "dilation", "conv_cost")
    hw = _int_tuple(input_size, 2, "input_size", "conv_cost")
    out = tuple((hw[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2))
    per_out = in_channels // groups * k[0] * k[1]
    return {"params": out_channels * per_out + (out_channels if bias else 0),
            "mult_adds": out[0] * out[1] * out_channels * per_out, "output_size": out}


class SeparableConv2d(Module):
    """Depthwise-separable convolution: a depthwise k x k convolution, then a pointwise 1 x 1.

    The depthwise step filters every input channel on its own (``groups=in_channels``,
    ``depth_multiplier`` filters per channel); the 1 x 1 step mixes channels ("a dot product
    across the depth", the lectures' 1x1 convolution). For C_in = C_out = C and a k x k kernel
    the weights drop from C^2 k^2 to C k^2 + C^2, and the multiply-adds by the same factor,
    1/C + 1/k^2 of the full convolution's. ``parameter_counts()`` and ``mult_adds(input_size)``
    give both numbers.

    Shape: (N, C_in, H, W) -> (N, C_out, H_out, W_out), H_out as in ``Conv2d``.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 bias=True, depth_multiplier=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        mid = in_channels * depth_multiplier
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _int_tuple(kernel_size, 2, "kernel_size", "SeparableConv2d")
        self.stride, self.padding, self.dilation = stride, padding, dilation
        self.depth_multiplier, self.has_bias = depth_multiplier, bias
        self.depthwise = Conv2d(in_channels, mid, kernel_size, stride, padding, dilation,
                                groups=in_channels, bias=False, padding_mode=padding_mode,
                                device=device, dtype=dtype)
        self.pointwise = Conv2d(mid, out_channels, 1, bias=bias, device=device, dtype=dtype)

    def forward(self, input):
        return self.pointwise(self.depthwise(input))

    def parameter_counts(self):
        """{'separable', 'full', 'ratio'}: parameters here vs a full Conv2d with the same shape."""
        sep = sum(p.numel() for p in self.parameters())
        k = self.kernel_size
        full = self.out_channels * self.in_channels * k[0] * k[1] + \
            (self.out_channels if self.has_bias else 0)
        return {"separable": sep, "full": full, "ratio": sep / full}

    def mult_adds(self, input_size):
        """{'separable', 'full', 'ratio'}: multiply-adds on an (H, W) input, vs the full conv."""
        kw = dict(stride=self.stride, padding=self.padding, dilation=self.dilation)
        if isinstance(self.padding, str):
            kw["padding"] = 0 if self.padding == "valid" else \
                tuple((d * (k - 1)) // 2 for k, d in
                      zip(self.kernel_size, _int_tuple(self.dilation, 2, "dilation", "")))
        mid = self.in_channels * self.depth_multiplier
        dw = conv_cost(self.in_channels, mid, self.kernel_size, input_size, groups=self.in_channels,
                       **kw)
        pw = conv_cost(mid, self.out_channels, 1, dw["output_size"])
        full = conv_cost(self.in_channels, self.out_channels, self.kernel_size, input_size, **kw)
        sep = dw["mult_adds"] + pw["mult_adds"]
        return {"separable": sep, "full": full["mult_adds"], "ratio": sep / full["mult_adds"]}

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, " \
               f"depth_multiplier={self.depth_multiplier}"


class FactorizedConv2d(Module):
    """A k x k convolution factorised into k x 1 followed by 1 x k (spatially separable).

    Exact for rank-1 kernels such as a Gaussian blur; an approximation otherwise, with 2k
    instead of k^2 weights per channel pair. ``mid_channels`` (default ``out_channels``) is the
    width between the two. Lecture example: 3 channels in and out, 5 x 5 on a 32 x 32 input:
    the full convolution costs 28 * 28 * 3 * 5 * 5 * 3 = 176,400 multiply-adds, the
    factorised one 32 * 28 * 3 * 5 * 3 + 28 * 28 * 3 * 5 * 3 = 75,600 (``mult_adds((32, 32))``;
    the slide adds 1 to each count).

    Shape: (N, C_in, H, W) -> (N, C_out, H_out, W_out), H_out as in ``Conv2d``.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 bias=True, mid_channels=None, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        k = _int_tuple(kernel_size, 2, "kernel_size", "FactorizedConv2d")
        s = _int_tuple(stride, 2, "stride", "FactorizedConv2d")
        p = _int_tuple(padding, 2, "padding", "FactorizedConv2d")
        d = _int_tuple(dilation, 2, "dilation", "FactorizedConv2d")
        mid = out_channels if mid_channels is None else mid_channels
        self.in_channels, self.out_channels, self.mid_channels = in_channels, out_channels, mid
        self.kernel_size, self.stride, self.padding, self.dilation = k, s, p, d
        self.has_bias = bias
        self.vertical = Conv2d(in_channels, mid, (k[0], 1), (s[0], 1), (p[0], 0), (d[0], 1),
                               bias=False, padding_mode=padding_mode, device=device, dtype=dtype)
        self.horizontal = Conv2d(mid, out_channels, (1, k[1]), (1, s[1]), (0, p[1]), (1, d[1]),
                                 bias=bias, padding_mode=padding_mode, device=device, dtype=dtype)

    def forward(self, input):
        return self.horizontal(self.vertical(input))

    def parameter_counts(self):
        """{'factorized', 'full', 'ratio'}: parameters here vs a full k x k Conv2d."""
        fac = sum(p.numel() for p in self.parameters())
        full = self.out_channels * self.in_channels * self.kernel_size[0] * \
            self.kernel_size[1] + (self.out_channels if self.has_bias else 0)
        return {"factorized": fac, "full": full, "ratio": fac / full}

    def mult_adds(self, input_size):
        """{'factorized', 'full', 'ratio'}: multiply-adds on an (H, W) input, vs the full conv."""
        k, s, p, d = self.kernel_size, self.stride, self.padding, self.dilation
        v = conv_cost(self.in_channels, self.mid_channels, (k[0], 1), input_size, (s[0], 1),
                      (p[0], 0), (d[0], 1))
        h = conv_cost(self.mid_channels, self.out_channels, (1, k[1]), v["output_size"],
                      (1, s[1]), (0, p[1]), (1, d[1]))
        full = conv_cost(self.in_channels, self.out_channels, k, input_size, s, p, d)
        fac = v["mult_adds"] + h["mult_adds"]
        return {"factorized": fac, "full": full["mult_adds"], "ratio": fac / full["mult_adds"]}

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, " \
               f"mid_channels={self.mid_channels}"


class _LazyConvXdMixin(LazyModuleMixin):
    """``in_channels`` from dimension 1 of a batched input (0 of an unbatched one)."""

    def _lazy_init(self, out_channels, bias, device, dtype):
        if out_channels % self.groups:
            raise ValueError(f"{type(self).__name__}: out_channels ({out_channels}) must be "
                             f"divisible by groups ({self.groups})")
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def _get_in_channels(self, input):
        nd = len(self.kernel_size)
        if input.ndim not in (nd + 1, nd + 2):
            raise RuntimeError(f"{type(self).__name__}: expected {nd + 1}D (unbatched) or "
                               f"{nd + 2}D (batched) input, but got input of size: "
                               f"{list(input.shape)}")
        return int(input.shape[1] if input.ndim == nd + 2 else input.shape[0])

    def initialize_parameters(self, input, *args, **kwargs):
        if not self.has_uninitialized_params():
            w = self.weight.shape  # shapes came from a state_dict
            self.in_channels = int(w[0] if self.transposed else w[1] * self.groups)
            return
        self.in_channels = self._get_in_channels(input)
        if self.in_channels % self.groups:
            raise ValueError(f"{type(self).__name__}: in_channels ({self.in_channels}) must be "
                             f"divisible by groups ({self.groups})")
        if self.transposed:
            shape = (self.in_channels, self.out_channels // self.groups)
        else:
            shape = (self.out_channels, self.in_channels // self.groups)
        self.weight.materialize(shape + tuple(self.kernel_size))
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()


class _LazyConv(_LazyConvXdMixin):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False,
                         padding_mode, device, dtype)
        self._lazy_init(out_channels, bias, device, dtype)


class _LazyConvTranspose(_LazyConvXdMixin):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                 groups=1, bias=True, dilation=1, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False,
                         dilation, padding_mode, device, dtype)
        self._lazy_init(out_channels, bias, device, dtype)


class LazyConv1d(_LazyConv, Conv1d):
    """A Conv1d whose ``in_channels`` is read from the first input."""

    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    """A Conv2d whose ``in_channels`` is read from the first input (N, C_in, H, W)."""

    cls_to_become = Conv2d


class LazyConv3d(_LazyConv, Conv3d):
    """A Conv3d whose ``in_channels`` is read from the first input."""

    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    """A ConvTranspose1d whose ``in_channels`` is read from the first input."""

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    """A ConvTranspose2d whose ``in_channels`` is read from the first input."""

    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    """A ConvTranspose3d whose ``in_channels`` is read from the first input."""

    cls_to_become = ConvTranspose3d
