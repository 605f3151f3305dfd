"""``SyncBatchNorm``: batch normalisation whose statistics span the batches of every rank.

Under data parallelism each rank sees B/K samples; plain BatchNorm normalises with the mean and
variance of that shard alone. SyncBatchNorm sums over the ranks first, so the K ranks together
compute exactly what BatchNorm computes on the whole batch of B:

    mean  = (sum_r sum_{i in shard r} x_i) / N          N = total count over the ranks
    var   = (sum_r sum_{i in shard r} (x_i - mean)^2) / N
    y     = (x - mean) / sqrt(var + eps) * weight + bias

Both sums cross the ranks through an all-reduce that autograd differentiates: its backward is
an all-reduce of the incoming gradients, since every rank's loss depends on every rank's x.
With DDP's averaging on top, each parameter gets the gradient of the mean loss over the whole
batch. The variance is computed in two passes (mean first, then squared deviations), which
stays accurate in float32 where E[x^2] - E[x]^2 would cancel. Outside training, or without a
process group of more than one rank, it is BatchNorm.

Shape: input (N, C, *); statistics per channel C over N and the * dimensions.
"""

from __future__ import annotations

import numpy as np

from glassnet import autograd
from glassnet import distributed as dist
from glassnet.distributed.process_group import _mpi
from glassnet.functions import cat
from glassnet.nn.modules.batchnorm import _BatchNorm
from glassnet.tensor import tensor


class _AllReduceSum(autograd.Function):
    """y = sum over the ranks of x; dy/dx_r passes back the sum of every rank's gradient."""

    @staticmethod
    def forward(ctx, x, group=None):
        ctx.group = group
        out = np.ascontiguousarray(x).copy()
        with group.watch("SyncBatchNorm all_reduce"):
            group.comm.Allreduce(_mpi().IN_PLACE, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        g = np.ascontiguousarray(grad).copy()
        with ctx.group.watch("SyncBatchNorm backward all_reduce"):
            ctx.group.comm.Allreduce(_mpi().IN_PLACE, g)
        return g

    @staticmethod
    def differentiable_backward(ctx, g):
        # The gradient is the same linear map (a sum over ranks), applied to g.
        return _AllReduceSum.apply(g, ctx.group)


class SyncBatchNorm(_BatchNorm):
    """BatchNorm with statistics over the batches of all ranks of ``process_group`` (default:
    the world). Arguments as ``BatchNorm*d``; any input of 2 or more dimensions."""

    _dims, _shapes = tuple(range(2, 16)), "at least 2D"

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, process_group=None, device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats,
                         device=device, dtype=dtype)
        self.process_group = process_group

    def _group(self):
        if not dist.is_initialized():
            return None
        g = self.process_group or dist.group.WORLD
        return g if g.size() > 1 and g.comm is not None else None

    def forward(self, input):
        group = self._group() if self.training else None
        if group is None:
            return super().forward(input)
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._data += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked._data)
        c = input.shape[1]
        axes = (0, *range(2, input.ndim))
        shape = (1, c) + (1,) * (input.ndim - 2)
        local_n = input.numel() // c if c else 0
        sums = _AllReduceSum.apply(cat([input.sum(axes), tensor([float(local_n)],
                                                                 dtype=input.dtype)]),
                                   group=group)
        n = float(sums._data[-1])
        if n <= 1:
            raise ValueError(f"SyncBatchNorm: expected more than 1 value per channel when "
                             f"training, got {int(n)} over all ranks")
        mean = sums[:c] / n
        centred = input - mean.reshape(shape)
        var = _AllReduceSum.apply((centred * centred).sum(axes), group=group) / n
        y = centred * (var.reshape(shape) + self.eps).rsqrt()
        if self.weight is not None:
            y = y * self.weight.reshape(shape)
        if self.bias is not None:
            y = y + self.bias.reshape(shape)
        if self.track_running_stats and self.running_mean is not None:
            rm, rv = self.running_mean._data, self.running_var._data
            rm *= 1 - factor
            rm += factor * mean._data.astype(rm.dtype)
            rv *= 1 - factor
            rv += factor * (var._data * (n / (n - 1))).astype(rv.dtype)
        return y

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every ``BatchNorm*d`` replaced by a SyncBatchNorm holding the same
        parameters and running statistics (the module itself if it is one)."""
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            out = cls(module.num_features, module.eps, module.momentum, module.affine,
                      module.track_running_stats, process_group)
            if module.affine:
                out.weight, out.bias = module.weight, module.bias
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.train(module.training)
        for name, child in list(module.named_children()):
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out


__all__ = ["SyncBatchNorm"]
