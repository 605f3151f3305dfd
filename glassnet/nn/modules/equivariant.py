"""Rotation-equivariant layers: group convolutions over p4, the four 90-degree rotations.

Course material 000/003, "Beyond shifts: group equivariance" and "Rotation invariant CNNs". A
convolution is shift-equivariant by construction (the same filter at every position) but not
rotation-equivariant: rotating the input does not simply rotate the feature maps. Group
equivariant CNNs (Cohen and Welling, "Group Equivariant Convolutional Networks", ICML 2016)
share the filter over rotations too: for the group p4 (shifts and rotations by multiples of 90
degrees) every filter is applied in its four rotated copies, and the layer's output gains a
rotation axis of size 4,

    P4ConvZ2:  y[o, r] = sum_i x[i] * R^r W[o, i]                         (N, C, H, W)
    P4ConvP4:  y[o, r] = sum_i sum_s x[i, s] * R^r W[o, i, s - r mod 4]   (N, C, 4, H, W)

both giving (N, O, 4, H, W), with * the cross-correlation of ``F.conv2d`` and R a quarter
turn (``rot90``). Both are exactly equivariant: rotating the input by a quarter turn rotates
every output map and shifts the rotation axis cyclically,

    f(R x)[:, :, r] = R f(x)[:, :, r - 1].

Because (R^r x) * (R^r W) = R^r (x * W), this needs the rotation to map the sampling grid onto
itself: odd kernels, square inputs and "same"-style padding (or circular padding).

``GroupMaxPool`` takes the maximum over the rotation axis: the result is an ordinary feature
map that rotates with the input (rotation-equivariant) and, after global pooling, a descriptor
that does not change at all under quarter turns (rotation-invariant).

Harmonic Networks (Worrall et al., "Harmonic Networks: Deep Translation and Rotation
Equivariance", CVPR 2017) go from these four angles to all of them: their filters are circular
harmonics ``R(r) exp(i (m phi + beta))``, whose responses to a rotated input change only by a
phase, so the features stay stable under any rotation.
"""

from __future__ import annotations

from ...functions import stack
from .. import functional as F
from .. import init
from ..parameter import weight_and_bias
from .conv import _PADDING_MODES
from .module import Module
from .utils import _int_tuple

__all__ = ["GroupAvgPool", "GroupMaxPool", "P4ConvP4", "P4ConvZ2", "p4_conv2d", "p4_filter_bank"]

def _rot90(w, k):
    """Rotate the last two axes by k quarter turns (``torch.rot90(w, k, (-2, -1))``)."""
    k %= 4
    a, b = w.ndim - 2, w.ndim - 1
    if k == 0:
        return w
    if k == 1:
        return w.flip(b).transpose(a, b)
    if k == 2:
        return w.flip(a, b)
    return w.flip(a).transpose(a, b)


def p4_filter_bank(weight):
    """The Conv2d weight that computes a p4 group convolution in one call.

    ``weight`` (O, I, k, k) (lifting, Z2 -> p4) gives (4 O, I, k, k) with
    ``bank[4 o + r] = rot90(W[o], r)``; ``weight`` (O, I, 4, k, k) (p4 -> p4) gives
    (4 O, 4 I, k, k) with ``bank[4 o + r] = rot90(roll(W[o], r, axis=rotation), r)`` flattened
    over (I, 4). Built from flips, transposes and a roll, so gradients reach ``weight``.
    """
    o, k = weight.shape[0], weight.shape[-2:]
    if weight.ndim == 4:
        bank = stack([_rot90(weight, r) for r in range(4)], dim=1)  # (O, 4, I, k, k)
    elif weight.ndim == 5 and weight.shape[2] == 4:
        bank = stack([_rot90(weight.roll(r, 2), r) for r in range(4)], dim=1)  # (O, 4, I, 4, k, k)
    else:
        raise ValueError(f"p4_filter_bank: weight must be (O, I, k, k) or (O, I, 4, k, k), got "
                         f"{tuple(weight.shape)}")
    return bank.reshape(4 * o, -1, *k)


def p4_conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1):
    """Functional p4 group convolution (zero padding); see ``P4ConvZ2`` and ``P4ConvP4``.

    Shape: input (N, I, H, W) with weight (O, I, k, k), or input (N, I, 4, H, W) with weight
    (O, I, 4, k, k); output (N, O, 4, H_out, W_out); bias (O,), shared by the 4 rotations.
    """
    n = input.shape[0]
    x = input if input.ndim == 4 else input.reshape(n, -1, *input.shape[3:])
    y = F.conv2d(x, p4_filter_bank(weight), None, stride, padding, dilation)
    y = y.reshape(n, weight.shape[0], 4, *y.shape[2:])
    if bias is not None:  # one bias per filter, shared by its four rotations
        y = y + bias.reshape(1, -1, 1, 1, 1)
    return y


class _P4Conv(Module):
    _in_group = 1  # size of the input's rotation axis: 1 for Z2 (plain images), 4 for p4

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {_PADDING_MODES}, got "
                             f"{padding_mode!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = _int_tuple(kernel_size, 2, "kernel_size", name)
        if self.kernel_size[0] != self.kernel_size[1]:
            raise ValueError(f"{name}: a rotated kernel must be square, got kernel_size "
                             f"{self.kernel_size}")
        self.stride = _int_tuple(stride, 2, "stride", name)
        self.padding = _int_tuple(padding, 2, "padding", name)
        self.dilation = _int_tuple(dilation, 2, "dilation", name)
        self.padding_mode = padding_mode
        g = () if self._in_group == 1 else (4,)
        weight_and_bias(self, (self.out_channels, self.in_channels) + g + self.kernel_size,
                        (self.out_channels,) if bias else None, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        # Conv2d's initialisation, with fan_in = in_channels * (4 for p4 inputs) * k * k
        init._default_layer_init_(self.weight, self.bias)

    def filter_bank(self):
        """The weight of the equivalent Conv2d (see ``p4_filter_bank``)."""
        return p4_filter_bank(self.weight)

    def forward(self, input):
        name = type(self).__name__
        expect = 4 if self._in_group == 1 else 5
        if input.ndim != expect or input.shape[1] != self.in_channels or \
                (expect == 5 and input.shape[2] != 4):
            want = (f"(N, {self.in_channels}, H, W)" if expect == 4
                    else f"(N, {self.in_channels}, 4, H, W)")
            raise ValueError(f"{name}: expected input of shape {want}, got "
                             f"{tuple(input.shape)}")
        padding = self.padding
        if self.padding_mode != "zeros" and any(self.padding):
            ph, pw = self.padding
            pads = [pw, pw, ph, ph]
            if expect == 5:  # pad the maps of every rotation alike
                n = input.shape[0]
                x = F.pad(input.reshape(n, 4 * self.in_channels, *input.shape[3:]), pads,
                          mode=self.padding_mode)
                input = x.reshape(n, self.in_channels, 4, *x.shape[2:])
            else:
                input = F.pad(input, pads, mode=self.padding_mode)
            padding = 0
        return p4_conv2d(input, self.weight, self.bias, self.stride, padding, self.dilation)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if any(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class P4ConvZ2(_P4Conv):
    """Lifting group convolution from images to p4 feature maps (Cohen and Welling 2016).

    ``weight``: (out_channels, in_channels, k, k); each filter is applied in its 4 rotations:
    ``y[:, o, r] = conv2d(x, rot90(W[o], r)) + b[o]``. Exactly equivariant to quarter turns of
    a square input (odd k, padding (k - 1) / 2 or circular):
    ``f(rot90(x)) = rotate_p4(f(x))`` (every map rotated, rotation axis rolled by one).

    Parameters: ``out_channels * in_channels * k * k (+ out_channels)``: a quarter of a Conv2d
    with 4 ``out_channels`` filters, whose work it does.

    Shape: (N, C_in, H, W) -> (N, C_out, 4, H_out, W_out), H_out as for ``Conv2d``.
    """

    _in_group = 1


class P4ConvP4(_P4Conv):
    """Group convolution on p4 feature maps (Cohen and Welling 2016).

    ``weight``: (out_channels, in_channels, 4, k, k), a filter over (channel, rotation, y, x).
    Output rotation r applies the filter rotated by r quarter turns with its rotation axis
    shifted by r: ``y[:, o, r] = sum_{i, s} conv2d(x[:, i, s], rot90(W[o, i, s - r], r)) + b[o]``.
    Exactly equivariant: ``f(rotate_p4(x)) = rotate_p4(f(x))``.

    Shape: (N, C_in, 4, H, W) -> (N, C_out, 4, H_out, W_out).
    """

    _in_group = 4


class GroupMaxPool(Module):
    """Max over the rotation axis of a p4 feature map, ``y = max_r x[:, :, r]``.

    A quarter turn of the input permutes the rotations cyclically and rotates the maps, so the
    maximum only rotates: the output is a rotation-equivariant ordinary feature map, and a
    global pooling after it gives rotation-invariant features.

    Shape: (N, C, 4, H, W) -> (N, C, H, W) (the ``dim`` axis removed).
    """

    def __init__(self, dim=2):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return input.amax(dim=self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class GroupAvgPool(GroupMaxPool):
    """Mean over the rotation axis of a p4 feature map; equivariant like ``GroupMaxPool``.

    Shape: (N, C, 4, H, W) -> (N, C, H, W).
    """

    def forward(self, input):
        return input.mean(dim=self.dim)
