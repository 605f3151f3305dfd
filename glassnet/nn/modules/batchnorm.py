"""Batch normalisation: BatchNorm1d/2d/3d, and ``_NormBase``, the running statistics that instance
norm shares.

Batch normalisation (lectures: "making it work — normalisation") standardises each channel with
the statistics of the current mini-batch while training and with running averages of them at
evaluation time, so ``train()`` / ``eval()`` matter. The running averages are *buffers*: saved in
the state_dict, moved by ``to()``, never touched by the optimiser.
"""

from __future__ import annotations

from ... import backend
from ...tensor import Tensor, _new_size
from .. import functional as F
from .module import Module
from .normalization import _affine_params, _reset_affine

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]


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
