"""Harmonic Networks: layers equivariant to rotations by every angle (Worrall et al. 2017).

Course material 000/003, "Beyond shifts: group equivariance" and "Rotation invariant CNNs".
Worrall, Garbin, Turmukhambetov and Brostow, "Harmonic Networks: Deep Translation and Rotation
Equivariance", CVPR 2017; the maths is in ``glassnet.nn.functional.harmonic``.

p4 group convolutions (``nn.P4ConvZ2``) are exactly equivariant to quarter turns only. A
harmonic convolution uses complex filters ``R(r) exp(i (m phi + beta))``, circular harmonics of
rotation order m; rotating the input by any theta turns the phase of an order-m response by
m theta and leaves its magnitude alone. Feature maps are complex, stored as real pairs:

    harmonic feature map: (N, C, M, 2, H, W) = (batch, channel, rotation order, re/im, y, x)

A network is built from

* ``HarmonicConv2d``: in_orders -> out_orders, orders adding along every path;
* ``HarmonicReLU``: ``relu(|z| + b) z / |z|``, a nonlinearity on the magnitude only;
* ``HarmonicBatchNorm``: batch norm of the magnitudes (then ReLU), phase kept;
* ``HarmonicAvgPool2d``: average pooling of the complex maps (a stride lowers resolution);
* ``HarmonicMagnitude``: ``|z|`` (summed over orders): a rotation-invariant real map, read out
  by global average pooling.

Every layer commutes with rotations of the input up to the discretisation of the pixel grid:
exactly for quarter turns about the image centre on square maps (odd kernels, "same" padding,
and even sizes under 2x2 pooling), approximately (within the filter's sampling error) for
other angles.
"""

from __future__ import annotations

import math

import numpy as np

from ... import backend
from ...tensor import Tensor
from .. import init
from ..functional import harmonic as H
from ..parameter import empty_param
from .batchnorm import BatchNorm2d
from .module import Module
from .utils import _int_tuple

__all__ = ["HarmonicAvgPool2d", "HarmonicBatchNorm", "HarmonicConv2d", "HarmonicMagnitude",
           "HarmonicReLU"]


class HarmonicConv2d(Module):
    """Harmonic convolution: complex circular-harmonic filters, rotation orders adding.

    For every weight order m = mo - mi (mo in ``out_orders``, mi in ``in_orders``) and every
    output channel o and input channel i the filter is

        W_m[o, i](r, phi) = R_m[o, i](r) exp(i (m phi + beta_m[o, i])),

    its radial profile ``R`` given by ``n_rings`` learned values on rings of radius 0 ... (k-1)/2
    (``weight``) spread onto the pixel grid by a fixed Gaussian basis (``harmonic_basis``), and
    ``beta`` a learned phase (``phase``; ``phase=False`` fixes it at 0). The output of order mo
    sums over input channels and input orders mi the complex cross-correlation of the order-mi
    map with the order-(mo - mi) filter. Rotating the input by theta counter-clockwise (about
    the centre of a map) rotates each output map and multiplies order mo by ``exp(i mo theta)``.

    Args:
        in_channels, out_channels: complex channels (a real image counts its channels).
        kernel_size: odd int.
        in_orders, out_orders: rotation orders (an int m means 0..m). A real input image has
            ``in_orders=(0,)``.
        stride, padding: as for ``Conv2d`` (zero padding; ``padding='same'`` gives
            (k - 1) / 2).
        n_rings: radial samples per profile (default (k + 1) // 2).
        phase: learn a phase offset per filter (default True).

    Parameters: ``weight`` (D, n_rings, out_channels, in_channels) and ``phase``
    (D, out_channels, in_channels), D the number of distinct weight orders, sorted as
    ``weight_orders``.

    Shape: (N, C_in, H, W) (real, order 0) or (N, C_in, M_in, 2, H, W) ->
    (N, C_out, M_out, 2, H_out, W_out), H_out as for ``Conv2d``.
    """

    def __init__(self, in_channels, out_channels, kernel_size, in_orders=(0,), out_orders=(0, 1),
                 stride=1, padding=0, n_rings=None, phase=True, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        if self.in_channels < 1 or self.out_channels < 1:
            raise ValueError(f"{name}: in_channels and out_channels must be >= 1, got "
                             f"{in_channels} and {out_channels}")
        k = _int_tuple(kernel_size, 2, "kernel_size", name)
        if k[0] != k[1] or k[0] % 2 == 0:
            raise ValueError(f"{name}: kernel_size must be odd and square (filters rotate about "
                             f"their centre pixel), got {kernel_size}")
        self.kernel_size = k
        self.in_orders = H.as_orders(in_orders, "in_orders", name)
        self.out_orders = H.as_orders(out_orders, "out_orders", name)
        self.weight_orders = tuple(sorted({mo - mi for mo in self.out_orders
                                           for mi in self.in_orders}))
        self.stride = _int_tuple(stride, 2, "stride", name)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: padding must be an int, a pair, 'same' or 'valid', "
                                 f"got {padding!r}")
            padding = (k[0] - 1) // 2 if padding == "same" else 0
        self.padding = _int_tuple(padding, 2, "padding", name)
        self.n_rings = (k[0] + 1) // 2 if n_rings is None else int(n_rings)
        if self.n_rings < 1:
            raise ValueError(f"{name}: n_rings must be >= 1, got {n_rings}")
        d = len(self.weight_orders)
        self.weight = empty_param((d, self.n_rings, self.out_channels, self.in_channels), device,
                                  dtype, name, "weight shape")
        if phase:
            self.phase = empty_param((d, self.out_channels, self.in_channels), device, dtype,
                                     name, "phase shape")
        else:
            self.register_parameter("phase", None)
        basis = np.stack([H.harmonic_basis(k[0], m, self.n_rings) for m in self.weight_orders])
        xp = backend.device_module(device if device is not None else "cpu")
        dt = backend.to_dtype(dtype) or backend.get_default_dtype()
        self.register_buffer("basis", Tensor._make(xp.asarray(basis, dtype=dt), False),
                             persistent=False)
        self.reset_parameters()

    def reset_parameters(self):
        """Radial values ~ N(0, 1 / (n_rings * in_channels * len(in_orders))) (the basis rings
        have unit norm, so each output has about the variance of one input), phases ~ U(0, 2 pi)
        (the reference implementation's choice)."""
        fan_in = self.n_rings * self.in_channels * len(self.in_orders)
        init.normal_(self.weight, 0.0, 1.0 / math.sqrt(fan_in))
        if self.phase is not None:
            init.uniform_(self.phase, 0.0, 2 * math.pi)

    def filters(self):
        """The complex filters ``(real, imag)``, each (D, out_channels, in_channels, k, k), in the
        order of ``weight_orders``."""
        return H.harmonic_filters(self.weight, self.basis, self.phase)

    def forward(self, input):
        real, imag = self.filters()
        return H.harmonic_conv2d(input, real, imag, self.in_orders, self.out_orders,
                                 self.weight_orders, self.stride, self.padding)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"in_orders={self.in_orders}, out_orders={self.out_orders}, n_rings={self.n_rings}")
        if self.stride != (1, 1):
            s += f", stride={self.stride}"
        if any(self.padding):
            s += f", padding={self.padding}"
        if self.phase is None:
            s += ", phase=False"
        return s


class HarmonicReLU(Module):
    """``relu(|z| + b) z / |z|`` on a harmonic map: a ReLU of the biased magnitude, phase kept.

    The magnitude is invariant to rotation, the phase turns with it; so the layer is rotation
    equivariant. ``b`` (``bias``, (num_channels, num_orders), zero at start, so the layer starts
    as the identity) lets each channel and order cut small magnitudes. ``|z|`` is computed as
    ``sqrt(max(|z|^2, eps))`` so that the gradient stays finite near z = 0.

    Shape: (N, C, M, 2, H, W) -> the same.
    """

    def __init__(self, num_channels, num_orders=2, bias=True, eps=1e-4, device=None,
                 dtype=None):
        super().__init__()
        self.num_channels, self.num_orders, self.eps = int(num_channels), int(num_orders), eps
        if bias:
            self.bias = empty_param((self.num_channels, self.num_orders), device, dtype,
                                    type(self).__name__, "bias shape")
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input):
        H.check_harmonic(input, type(self).__name__, self.num_channels, self.num_orders)
        return H.harmonic_relu(input, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.num_channels}, num_orders={self.num_orders}, bias={self.bias is not None}"


class HarmonicBatchNorm(Module):
    """Batch normalisation of the magnitudes, then ReLU: ``relu(BN(|z|)) z / |z|``.

    ``BN`` is ``BatchNorm2d`` over ``num_channels * num_orders`` features (each channel and
    order its own statistics, scale and shift), so ``train()``/``eval()`` matter as usual. Only
    magnitudes are normalised and the phase is kept, so the layer is rotation equivariant.
    ``relu=False`` skips the ReLU (a negative normalised magnitude then flips the phase by pi,
    still equivariant). The reference implementation uses ``eps=1e-3`` and momentum 0.01.

    Shape: (N, C, M, 2, H, W) -> the same.
    """

    def __init__(self, num_channels, num_orders=2, eps=1e-3, momentum=0.1, affine=True,
                 track_running_stats=True, relu=True, magnitude_eps=1e-4, device=None,
                 dtype=None):
        super().__init__()
        self.num_channels, self.num_orders = int(num_channels), int(num_orders)
        self.relu, self.magnitude_eps = bool(relu), magnitude_eps
        self.bn = BatchNorm2d(self.num_channels * self.num_orders, eps, momentum, affine,
                              track_running_stats, device, dtype)

    def forward(self, input):
        H.check_harmonic(input, type(self).__name__, self.num_channels, self.num_orders)
        mag = H.harmonic_magnitude(input, self.magnitude_eps)   # (N, C, M, H, W)
        n, c, m = mag.shape[:3]
        out = self.bn(mag.reshape(n, c * m, *mag.shape[3:])).reshape(mag.shape)
        if self.relu:
            out = out.relu()
        return H.harmonic_scale(input, out / mag)

    def extra_repr(self):
        return f"{self.num_channels}, num_orders={self.num_orders}, relu={self.relu}"


class HarmonicAvgPool2d(Module):
    """Average pooling of a harmonic map: the complex mean over each window, map by map.

    A mean of complex numbers that all turn by the same phase turns by that phase, so pooling
    keeps equivariance (exactly for quarter turns when the windows tile the map symmetrically,
    e.g. 2x2 windows, stride 2, an even size).

    Shape: (N, C, M, 2, H, W) -> (N, C, M, 2, H_out, W_out), H_out as for ``AvgPool2d``.
    """

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = _int_tuple(kernel_size, 2, "kernel_size", name)
        self.stride = self.kernel_size if stride is None else _int_tuple(stride, 2, "stride",
                                                                         name)
        self.padding = _int_tuple(padding, 2, "padding", name)

    def forward(self, input):
        return H.harmonic_avg_pool2d(input, self.kernel_size, self.stride, self.padding)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class HarmonicMagnitude(Module):
    """``|z|`` of a harmonic map: a real map that does not change when the phase turns.

    ``sum_orders=True`` (default) adds the magnitudes of all orders of a channel, as the
    reference MNIST-rot network does before its global average: (N, C, M, 2, H, W) ->
    (N, C, H, W); otherwise (N, C, M, H, W). Followed by global average pooling this gives
    features invariant to rotations of the input (up to discretisation).
    """

    def __init__(self, sum_orders=True, eps=1e-12):
        super().__init__()
        self.sum_orders, self.eps = bool(sum_orders), eps

    def forward(self, input):
        mag = H.harmonic_magnitude(input, self.eps)
        return mag.sum(dim=2) if self.sum_orders else mag

    def extra_repr(self):
        return f"sum_orders={self.sum_orders}"
