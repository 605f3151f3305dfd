"""``summary(model, input_shape)``: a layer table with output shapes, parameters and mult-adds.

One forward pass on a zero batch, in evaluation mode and without gradients, records what every
leaf layer produces. Multiply-adds count the work of the weighted layers, per sample:

* ``Conv2d``: ``C_out * H_out * W_out * (C_in / groups) * kH * kW`` (every output value is a dot
  product over one receptive field: 002 "convolution as a sparse matrix");
* ``ConvTranspose2d``: ``C_in * H_in * W_in * (C_out / groups) * kH * kW`` (the adjoint: every
  input value is spread over one kernel-sized patch);
* ``Linear``: ``in_features * out_features`` per output row.

Normalisation, activation and pooling layers count as zero: they are cheap next to these.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.autograd import no_grad
from glassnet.tensor import Tensor

__all__ = ["Summary", "count_parameters", "summary"]


def count_parameters(model, trainable_only=False):
    """The number of scalars in ``model.parameters()`` (only those requiring grad if asked)."""
    return sum(int(p.numel()) for p in model.parameters()
               if p.requires_grad or not trainable_only)


def _macs(module, inp, out):
    name = type(module).__name__
    if name.startswith("ConvTranspose"):
        k = math.prod(module.weight.shape[1:])  # (C_in, C_out / groups, *kernel)
        return math.prod(inp.shape[1:]) * k
    if name.startswith("Conv"):
        k = math.prod(module.weight.shape[1:])  # (C_out, C_in / groups, *kernel)
        return math.prod(out.shape[1:]) * k
    if name in ("Linear", "Bilinear"):
        return math.prod(out.shape[1:]) * module.weight.shape[-1]
    return 0


class Summary:
    """The result of ``summary``: ``rows`` (name, type, output shape, params, mult-adds) and totals.

    ``str(s)`` is the table; ``total_params``, ``trainable_params``, ``total_macs`` (per sample)
    and ``output_shape`` are attributes.
    """

    def __init__(self, rows, total_params, trainable_params, input_shape, output_shape):
        self.rows, self.total_params, self.trainable_params = rows, total_params, trainable_params
        self.input_shape, self.output_shape = input_shape, output_shape
        self.total_macs = sum(r[4] for r in rows)

    def __str__(self):
        head = ("Layer (type)", "Output shape", "Param #", "Mult-adds")
        body = [(f"{n} ({t})", str(list(s)), f"{p:,}", f"{m:,}") for n, t, s, p, m in self.rows]
        w = [max(len(r[i]) for r in [head, *body]) for i in range(4)]
        line = "-" * (sum(w) + 6)
        fmt = f"{{:<{w[0]}}}  {{:<{w[1]}}}  {{:>{w[2]}}}  {{:>{w[3]}}}"
        out = [line, fmt.format(*head), "=" * len(line)]
        out += [fmt.format(*r) for r in body]
        out += ["=" * len(line),
                f"Input shape: {list(self.input_shape)}   Output shape: {list(self.output_shape)}",
                (f"Total params: {self.total_params:,}   Trainable params: "
                 f"{self.trainable_params:,}   Non-trainable: "
                 f"{self.total_params - self.trainable_params:,}"),
                f"Mult-adds per sample: {self.total_macs:,} ({self.total_macs / 1e6:.2f} M)",
                f"Parameter memory (float32): {self.total_params * 4 / 2**20:.2f} MiB", line]
        return "\n".join(out)

    __repr__ = __str__


def summary(model, input_shape, dtype=np.float32, print_table=False):
    """Run ``model`` on a zero batch of one ``input_shape`` sample and tabulate its layers.

    ``input_shape`` excludes the batch axis: ``summary(LeNet5(), (1, 28, 28))``.
    Returns a ``Summary``; ``print(summary(...))`` shows the table.
    """
    input_shape = tuple(int(s) for s in input_shape)
    rows, handles, originals = [], [], []
    leaves = [(n, m) for n, m in model.named_modules() if not list(m.children()) and n]

    def record(name, module):
        def hook(mod, inp, out):
            inp0 = inp[0] if isinstance(inp, (tuple, list)) else inp
            shape = tuple(out.shape) if isinstance(out, Tensor) else ()
            params = sum(int(p.numel()) for p in mod.parameters(recurse=False))
            rows.append((name, type(mod).__name__, shape, params,
                         _macs(mod, inp0, out) if isinstance(out, Tensor) else 0))
        return hook

    for name, module in leaves:
        hook = record(name, module)
        if hasattr(module, "register_forward_hook"):
            handles.append(module.register_forward_hook(hook))
        else:  # pragma: no cover - a Module without hooks: wrap its forward
            fwd = module.forward
            originals.append((module, fwd))

            def wrapped(*args, _fwd=fwd, _hook=hook, _m=module, **kw):
                out = _fwd(*args, **kw)
                _hook(_m, args, out)
                return out
            module.forward = wrapped
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            out = model(Tensor(np.zeros((1, *input_shape), dtype=dtype)))
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
        for module, fwd in originals:
            module.forward = fwd
    total = count_parameters(model)
    trainable = count_parameters(model, trainable_only=True)
    out_shape = tuple(out.shape) if isinstance(out, Tensor) else ()
    s = Summary(rows, total, trainable, (1, *input_shape), out_shape)
    if print_table:
        print(s)
    return s

