"""Receptive fields: which input pixels one unit of a layer can see, analytically and by gradient.

Course material 002 "Receptive fields", 000/003 "locality". A unit of a convolutional layer looks
at a k x k window of the layer below; stacking layers widens the window seen in the *input*.
For a chain of convolutions and poolings the receptive field r, the jump j (the input distance
between neighbouring units: the effective stride) and the start (the input position of the
centre of the first unit's field) follow, layer by layer with kernel k, stride s, padding p and
dilation d (Araujo, Norris and Sim, "Computing Receptive Fields of Convolutional Neural
Networks", Distill 2019):

    k_eff = d (k - 1) + 1
    j_out = j_in * s
    r_out = r_in + (k_eff - 1) * j_in
    start_out = start_in + ((k_eff - 1) / 2 - p) * j_in

starting from r = 1, j = 1, start = 0 on the input (pixel centres at 0, 1, ...). Unit i of a
layer then sees the input pixels ``start + i j - (r - 1) / 2 ... start + i j + (r - 1) / 2``.
LeNet-5's C1-S2-C3-S4 gives r = 5, 6, 14, 16: each S4 unit sees a 16 x 16 patch of the digit.
Dilation widens the field without adding weights: three 3 x 3 layers with dilation 1, 2, 4
see 15 x 15 pixels.

``empirical_receptive_field`` checks this the other way: the gradient of one central output
unit with respect to the input is non-zero exactly where the unit can see. Its magnitude is
also the *effective* receptive field (Luo et al. 2016): bright in the middle and fading towards
the border, because many more paths lead to the centre.
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from ._util import Table, as_numpy, np_rng

__all__ = ["EmpiricalReceptiveField", "empirical_receptive_field", "receptive_field"]

_GLOBAL = ("Flatten", "Linear", "Bilinear", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d",
           "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d")
_UNSUPPORTED = ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "Upsample",
                "MaxUnpool2d", "Unflatten")


def _tuple(v, nd):
    return tuple(int(a) for a in v) if isinstance(v, (tuple, list)) else (int(v),) * nd


def _leaves(model_or_layers):
    """(name, module) of every leaf module in registration order (the order a Sequential runs)."""
    items = (list(model_or_layers) if isinstance(model_or_layers, (list, tuple))
             else [model_or_layers])
    out = []
    for i, m in enumerate(items):
        prefix = str(i) if len(items) > 1 else ""
        for name, sub in m.named_modules():
            if not list(sub.children()):
                full = ".".join(p for p in (prefix, name) if p)
                out.append((full or type(sub).__name__, sub))
    return out


def _geometry(m, nd):
    """(kernel, stride, pad_lo, pad_hi, dilation, ceil_mode) of a windowed layer, else None."""
    name = type(m).__name__
    if name == "BlurPool2d":
        lo, hi = m.pad_sizes[0], m.pad_sizes[1]
        return ((m.filt_size,) * nd, _tuple(m.stride, nd), (lo,) * nd, (hi,) * nd, (1,) * nd,
                False)
    if not hasattr(m, "kernel_size") or name in _GLOBAL:
        return None
    k = _tuple(m.kernel_size, nd)
    s = _tuple(m.stride if m.stride is not None else m.kernel_size, nd)
    d = _tuple(getattr(m, "dilation", 1), nd)
    pad = getattr(m, "padding", 0)
    if pad == "valid":
        lo = hi = (0,) * nd
    elif pad == "same":
        tot = [di * (ki - 1) for di, ki in zip(d, k)]
        lo, hi = tuple(t // 2 for t in tot), tuple(t - t // 2 for t in tot)
    else:
        lo = hi = _tuple(pad, nd)
    return k, s, lo, hi, d, bool(getattr(m, "ceil_mode", False))


def _compact(v):
    """An int or float when every spatial dimension agrees, else the tuple."""
    v = tuple(int(a) if float(a).is_integer() else float(a) for a in v)
    return v[0] if len(set(v)) == 1 else v


def receptive_field(model_or_layers, input_shape=None):
    """Receptive field, jump and start of every layer of a chain of convolutions and poolings.

    ``model_or_layers``: a Module (its leaf layers in registration order, as a ``Sequential``
    runs them) or a list of Modules. Convolutions (also ``padding='same'``/``'valid'``,
    dilation, and the p4 group convolutions), max/average pooling and ``BlurPool2d`` change the
    field; element-wise layers (activations, normalisation, dropout) leave it alone; global
    layers (``Flatten``, ``Linear``, adaptive pooling) see the whole input. ``input_shape``
    (C, *S), optional, adds each layer's output size.

    Returns a ``Table`` with one row per layer (plus the input): ``layer``, ``type``,
    ``output_size``, ``receptive_field``, ``jump``, ``start``; each an int when all spatial
    dimensions agree, else a tuple.
    """
    layers = _leaves(model_or_layers)
    if input_shape is not None:
        nd = len(input_shape) - 1
    else:
        ks = [m.kernel_size for _, m in layers if isinstance(getattr(m, "kernel_size", None),
                                                             (tuple, list))]
        nd = len(ks[0]) if ks else 2
    size = [int(v) for v in input_shape[1:]] if input_shape is not None else None
    r, j, start = [1.0] * nd, [1.0] * nd, [0.0] * nd
    rows = [{"layer": "input", "type": "", "output_size": _compact(size) if size else "",
             "receptive_field": 1, "jump": 1, "start": 0}]
    is_global = False
    for name, m in layers:
        kind = type(m).__name__
        if kind in _UNSUPPORTED:
            raise ValueError(f"receptive_field: layer {name!r} ({kind}) is not supported; it "
                             f"upsamples, so the field no longer follows the chain rule above")
        geo = None if is_global else _geometry(m, nd)
        if kind in _GLOBAL and not is_global:
            is_global = True
            if size is not None:
                r = [float(v) for v in input_shape[1:]]
                start = [(float(v) - 1) / 2 for v in input_shape[1:]]
            else:
                r = [math.inf] * nd
            size = [1] * nd if size is not None else None
        elif geo is not None:
            k, s, lo, hi, d, ceil = geo
            for i in range(nd):
                k_eff = d[i] * (k[i] - 1) + 1
                r[i] += (k_eff - 1) * j[i]
                start[i] += ((k_eff - 1) / 2 - lo[i]) * j[i]
                j[i] *= s[i]
                if size is not None:
                    span = size[i] + lo[i] + hi[i] - k_eff
                    if span < 0:
                        raise ValueError(f"receptive_field: layer {name!r} ({kind}) has an "
                                         f"effective kernel {k_eff} larger than its padded "
                                         f"input {size[i] + lo[i] + hi[i]}")
                    size[i] = (-(-span // s[i]) if ceil else span // s[i]) + 1
        rows.append({"layer": name, "type": kind, "output_size": _compact(size) if size else "",
                     "receptive_field": _compact(r), "jump": _compact(j),
                     "start": _compact(start)})
    cols = ["layer", "type", "output_size", "receptive_field", "jump", "start"]
    return Table(rows, cols, title="Receptive fields (in input pixels)")


class EmpiricalReceptiveField:
    """What ``empirical_receptive_field`` found.

    ``support``: boolean mask (*S) of the input pixels with a non-zero gradient; ``size``: the
    extent of its bounding box per dimension; ``bbox``: (first, last) index per dimension;
    ``center``: the bounding box's centre; ``unit``: the output position that was probed;
    ``gradient``: mean |gradient| over the probes (the effective receptive field).
    """

    def __init__(self, support, gradient, unit):
        self.support, self.gradient, self.unit = support, gradient, unit
        idx = np.nonzero(support)
        if len(idx[0]) == 0:
            self.bbox, self.size, self.center = None, (0,) * support.ndim, None
        else:
            self.bbox = tuple((int(i.min()), int(i.max())) for i in idx)
            self.size = tuple(b - a + 1 for a, b in self.bbox)
            self.center = tuple((a + b) / 2 for a, b in self.bbox)

    def __repr__(self):
        return (f"EmpiricalReceptiveField(size={self.size}, bbox={self.bbox}, "
                f"center={self.center}, unit={self.unit})")

    def effective(self, mass=0.95):
        """How the gradient's weight spreads over the field (Luo et al. 2016's *effective*
        receptive field), with ``p = gradient / gradient.sum()`` as a distribution over pixels:

        * ``sigma``: the standard deviation of ``p`` along each dimension (pixels); Luo et al.
          find it grows like sqrt(depth) while the field's size grows like depth;
        * ``mass_fraction``: the fewest pixels that hold ``mass`` of the total, as a fraction
          of the field's bounding box (1 would mean the gradient is spread evenly);
        * ``gaussian_r2``: R^2 of the best multiple of a Gaussian with ``p``'s own mean and
          covariance, over the bounding box (1 for an exactly Gaussian field).

        Returns a dict; all NaN for an empty field.
        """
        if self.bbox is None:
            return {"sigma": (float("nan"),) * self.support.ndim, "mass_fraction": float("nan"),
                    "gaussian_r2": float("nan")}
        box = tuple(slice(a, b + 1) for a, b in self.bbox)
        g = np.asarray(self.gradient, np.float64)[box]
        p = g / g.sum()
        coords = np.stack(np.meshgrid(*[np.arange(n, dtype=np.float64) for n in g.shape],
                                      indexing="ij")).reshape(g.ndim, -1)
        flat = p.ravel()
        mean = coords @ flat
        centred = coords - mean[:, None]
        cov = (centred * flat) @ centred.T
        sigma = tuple(float(np.sqrt(max(v, 0.0))) for v in np.diag(cov))
        heaviest = np.sort(flat)[::-1]
        n_mass = int(np.searchsorted(np.cumsum(heaviest), mass * heaviest.sum()) + 1)
        mass_fraction = min(n_mass, flat.size) / flat.size
        try:
            prec = np.linalg.inv(cov)
        except np.linalg.LinAlgError:
            r2 = float("nan")
        else:
            e = np.exp(-0.5 * np.einsum("in,ij,jn->n", centred, prec, centred))
            a = (e @ flat) / (e @ e)
            ss_res = ((flat - a * e) ** 2).sum()
            ss_tot = ((flat - flat.mean()) ** 2).sum()
            r2 = float(1 - ss_res / ss_tot) if ss_tot > 0 else float("nan")
        return {"sigma": sigma, "mass_fraction": float(mass_fraction), "gaussian_r2": r2}


def empirical_receptive_field(model, input_shape, unit=None, channel=None, probes=8,
                              generator=None):
    """The input pixels that one output unit depends on, from the gradient of that unit.

    ``model`` maps (B, *input_shape) to (B, C, [..., ] *S_out) with the same number of spatial
    dimensions as ``input_shape`` = (C_in, *S). The probed unit is ``unit`` (a position in
    S_out; default the centre ``S_out // 2``), summed over channels (or only ``channel``).
    ``probes`` random Gaussian inputs run as one batch in eval mode; a pixel belongs to the
    field when its gradient is non-zero for any probe (several probes make sure max pooling's
    one-winner gradients and ReLU's dead units still cover the whole field). Parameter
    gradients are not touched. For an output without spatial axes (a classifier) the field is
    the whole input.

    Returns an ``EmpiricalReceptiveField``.
    """
    input_shape = tuple(int(v) for v in input_shape)
    nd = len(input_shape) - 1
    x = np_rng(generator).standard_normal((int(probes),) + input_shape).astype(np.float32)
    x = Tensor(x, requires_grad=True)
    params = list(model.parameters())
    flags = [p.requires_grad for p in params]
    training = model.training
    model.eval()
    try:
        for p in params:
            p.requires_grad = False
        y = model(x)
        spatial = tuple(y.shape[-nd:]) if y.ndim >= nd + 2 else ()
        if spatial:
            unit = tuple(s // 2 for s in spatial) if unit is None else tuple(unit)
            if len(unit) != nd or any(not 0 <= u < s for u, s in zip(unit, spatial)):
                raise ValueError(f"empirical_receptive_field: unit {unit} is not a position of "
                                 f"the output's spatial shape {spatial}")
            picked = y[(slice(None),) * (y.ndim - nd) + unit]  # (B, C, ...)
        else:
            unit, picked = None, y
        if channel is not None:
            picked = picked[:, channel]
        picked.sum().backward()
    finally:
        for p, f in zip(params, flags):
            p.requires_grad = f
        model.train(training)
    g = np.abs(as_numpy(x.grad)).astype(np.float64)  # (B, C_in, *S)
    support = (g > 0).any(axis=(0, 1))
    return EmpiricalReceptiveField(support, g.mean(axis=(0, 1)), unit)
