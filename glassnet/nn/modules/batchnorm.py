"""Batch normalisation: BatchNorm1d/2d/3d, and ``_NormBase``, the running statistics that instance
norm shares.

Batch normalisation (lectures: "making it work — normalisation") standardises each channel with
the statistics of the current mini-batch while training and with running averages of them at
evaluation time, so ``train()`` / ``eval()`` matter. The running averages are *buffers*: saved in
the state_dict, moved by ``to()``, never touched by the optimiser.
"""

from __future__ import annotations

import numpy as np

from ... import autograd, backend
from ... import distributed as dist
from ...distributed.process_group import _mpi
from ...functions import cat
from ...tensor import Tensor, _new_size, tensor
from .. import functional as F
from ..parameter import UninitializedBuffer, UninitializedParameter
from .lazy import LazyModuleMixin
from .module import Module
from .normalization import _affine_params, _reset_affine

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LazyBatchNorm1d", "LazyBatchNorm2d",
           "LazyBatchNorm3d", "SyncBatchNorm"]


def _buffer(module, name, shape, fill, device, dtype):
    xp = backend.device_module(device if device is not None else "cpu")
    d = backend.to_dtype(dtype) or backend.get_default_dtype()
    shape = _new_size(type(module).__name__, (shape,), f"{name} shape")
    return Tensor._make(xp.full(shape, fill, dtype=d), False)


class _NormBase(Module):
    _version = 2

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _affine_params(self, affine, bias, (num_features,), device, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", _buffer(self, "running_mean", (num_features,), 0.0,
                                                     device, dtype))
            self.register_buffer("running_var", _buffer(self, "running_var", (num_features,), 1.0,
                                                     device, dtype))
            self.register_buffer("num_batches_tracked",
                                 _buffer(self, "num_batches_tracked", (), 0, device,
                                         backend.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self):
        self.reset_running_stats()
        _reset_affine(self, self.affine)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        key = prefix + "num_batches_tracked"
        if self.track_running_stats and key not in state_dict:
            # Checkpoints from before num_batches_tracked existed: keep the current count.
            state_dict = dict(state_dict)
            state_dict[key] = self.num_batches_tracked
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


class _BatchNorm(_NormBase):
    _dims = ()
    _shapes = ""

    def _check_input_dim(self, input):
        if input.ndim not in self._dims:
            raise ValueError(f"{type(self).__name__}: expected {self._shapes} input, got "
                             f"{input.ndim}D input of shape {tuple(input.shape)}")
        if input.shape[1] != self.num_features:  # PyTorch: a RuntimeError, as for any op
            raise RuntimeError(f"{type(self).__name__}: expected {self.num_features} channels "
                               f"(dim 1), got input of shape {tuple(input.shape)}")

    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._data += 1
            if self.momentum is None:  # cumulative moving average: mean of all batches so far
                factor = 1.0 / float(self.num_batches_tracked._data)
        # Batch statistics in training, and in eval when no running statistics are kept.
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) inputs, per channel C.

    y = (x - E[x]) / sqrt(Var[x] + eps) * gamma + beta, with batch statistics in training and
    running ones (momentum-averaged, or cumulative with ``momentum=None``) in eval.
    """

    _dims, _shapes = (2, 3), "2D or 3D"


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) inputs, per channel C (statistics over N, H, W)."""

    _dims, _shapes = (4,), "4D"


class BatchNorm3d(_BatchNorm):
    """Batch norm over (N, C, D, H, W) inputs, per channel C."""

    _dims, _shapes = (5,), "5D"


class _LazyNormBase(LazyModuleMixin, _NormBase):
    """``num_features`` from dimension 1 of the first input (PyTorch's rule)."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            xp = backend.device_module(device if device is not None else "cpu")
            self.num_batches_tracked = Tensor._make(xp.zeros((), dtype=backend.int64), False)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs):
        if input.ndim < 2:
            raise ValueError(f"{type(self).__name__}: expected an input with a channel "
                             f"dimension (N, C, ...), got shape {tuple(input.shape)}")
        self.num_features = int(input.shape[1])
        if self.has_uninitialized_params():
            for t in (self.weight, self.bias, self.running_mean, self.running_var):
                if t is not None:
                    t.materialize((self.num_features,))
            self.reset_parameters()


class LazyBatchNorm1d(_LazyNormBase, BatchNorm1d):
    """A BatchNorm1d whose ``num_features`` is read from the first input (N, C) or (N, C, L)."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormBase, BatchNorm2d):
    """A BatchNorm2d whose ``num_features`` is read from the first input (N, C, H, W)."""

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNormBase, BatchNorm3d):
    """A BatchNorm3d whose ``num_features`` is read from the first input (N, C, D, H, W)."""

    cls_to_become = BatchNorm3d


# ----------------------------------------------------------------------------- SyncBatchNorm
# ``SyncBatchNorm``: batch normalisation whose statistics span the batches of every rank.
#
# Under data parallelism each rank sees B/K samples; plain BatchNorm normalises with the mean and
# variance of that shard alone. SyncBatchNorm sums over the ranks first, so the K ranks together
# compute exactly what BatchNorm computes on the whole batch of B:
#
#     mean  = (sum_r sum_{i in shard r} x_i) / N          N = total count over the ranks
#     var   = (sum_r sum_{i in shard r} (x_i - mean)^2) / N
#     y     = (x - mean) / sqrt(var + eps) * weight + bias
#
# Both sums cross the ranks through an all-reduce that autograd differentiates: its backward is
# an all-reduce of the incoming gradients, since every rank's loss depends on every rank's x.
# With DDP's averaging on top, each parameter gets the gradient of the mean loss over the whole
# batch. The variance is computed in two passes (mean first, then squared deviations), which
# stays accurate in float32 where E[x^2] - E[x]^2 would cancel. Outside training, or without a
# process group of more than one rank, it is BatchNorm.
#
# Shape: input (N, C, *); statistics per channel C over N and the * dimensions.

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
