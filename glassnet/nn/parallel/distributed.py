"""``DistributedDataParallel``: the same model on K processes, gradients averaged after backward.

Data parallelism splits each batch of B samples across K processes (ranks). Every rank holds
a full copy of the model and runs forward and backward on its own B/K samples; then the
gradients are averaged across ranks, so every copy takes the same optimizer step and the
copies stay identical. With a mean loss per rank, the averaged gradient equals the gradient
of the mean loss over the whole batch of B:

    (1/K) sum_r (K/B) sum_{i in shard r} grad l_i  =  (1/B) sum_i grad l_i

Launch with ``mpiexec -n K python train.py`` (see ``glassnet.distributed``)::

    dist.init_process_group("gloo")
    model = DistributedDataParallel(Net())        # rank 0's weights, on every rank
    loader = DataLoader(ds, batch_size=64, sampler=DistributedSampler(ds))
    for x, y in loader:
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()   # gradients averaged over ranks here
        opt.step()
"""

from __future__ import annotations

import contextlib

import numpy as np

from glassnet import autograd
from glassnet.distributed.process_group import _default_group
from glassnet.nn.modules.module import Module
from glassnet.tensor import Tensor

from ._reducer import _FIRST_BUCKET_BYTES, Reducer, assign_buckets

_MB = 1024 * 1024


def _tensors(obj, out):
    """Every Tensor inside nested tuples, lists and dicts (the module's outputs)."""
    if isinstance(obj, Tensor):
        out.append(obj)
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            _tensors(o, out)
    elif isinstance(obj, dict):
        for o in obj.values():
            _tensors(o, out)
    return out


def _broadcast_coalesced(arrays, group, src=0):
    """Broadcast many arrays from rank ``src`` in one message per dtype, in place."""
    by_dtype = {}
    for a in arrays:
        by_dtype.setdefault(a.dtype, []).append(a)
    for group_arrays in by_dtype.values():
        flat = np.concatenate([a.ravel() for a in group_arrays]) if group_arrays else None
        with group.watch("DistributedDataParallel broadcast"):
            group.comm.Bcast(flat, root=group.group_rank(src))
        start = 0
        for a in group_arrays:
            a[...] = flat[start:start + a.size].reshape(a.shape)
            start += a.size


class DistributedDataParallel(Module):
    """Wraps ``module`` so that backward averages its gradients over the process group.

    At construction, rank 0's parameters and buffers are copied to every rank. Each forward
    first broadcasts rank 0's buffers (BatchNorm's running statistics) when
    ``broadcast_buffers`` is True (the default), then runs ``module``; the backward that
    follows averages every parameter's gradient over the ranks, bucket by bucket while
    backward is still running. The wrapped model is ``.module``; ``state_dict()`` keys carry
    the ``module.`` prefix, as in PyTorch (save ``model.module.state_dict()`` to load the
    weights without DDP).

    Args:
        module: the model to replicate.
        device_ids, output_device, dim: accepted for PyTorch compatibility (CPU ranks).
        broadcast_buffers: broadcast rank 0's buffers at each forward (default True).
        process_group: the group to average over (default: the world).
        bucket_cap_mb: bucket size in MiB (default 25; the first bucket then holds 1 MiB).
        find_unused_parameters, static_graph, check_reduction: accepted; unused parameters
            are always found (the autograd graph is walked at each forward).
        gradient_as_bucket_view: leave ``.grad`` as views into the flat buckets (saves one
            copy per step; the next backward overwrites them).
        init_sync: synchronise parameters and buffers at construction (default True).

    ``no_sync()`` skips the averaging for the backwards inside it (gradient accumulation):
    the gradients add up locally and the first synchronised backward averages the sum.
    Parameters live on the CPU (glassnet's MPI transport reduces host arrays).
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=None,
                 init_sync=True, process_group=None, bucket_cap_mb=None,
                 find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, **kwargs):
        super().__init__()
        group = _default_group() if process_group is None else process_group
        self.module = module
        self.process_group = group
        self.device_ids = device_ids
        self.output_device = output_device
        self.dim = dim
        forward_sync = kwargs.pop("forward_sync_buffers", None)
        self.broadcast_buffers = (forward_sync if forward_sync is not None else
                                  broadcast_buffers if broadcast_buffers is not None else True)
        self.find_unused_parameters = find_unused_parameters
        self.static_graph = static_graph
        self.gradient_as_bucket_view = bool(gradient_as_bucket_view)
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        ignore = set(getattr(module, "_ddp_params_and_buffers_to_ignore", ()))
        named = [(n, p) for n, p in module.named_parameters()
                 if p.requires_grad and n not in ignore]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't "
                               "have any parameter that requires a gradient.")
        for n, p in named:
            if not isinstance(p._data, np.ndarray):
                raise RuntimeError(  # noqa: TRY004 - a device error, as in PyTorch
                    f"DistributedDataParallel: parameter {n!r} is on {p.device}; glassnet's "
                    "MPI backend reduces CPU tensors")
        self._param_names = [n for n, _ in named]
        params = [p for _, p in named]
        self._buffers_to_sync = [b for n, b in module.named_buffers()
                                 if n not in ignore and b is not None]
        if init_sync and group.size() > 1:
            self._verify_shapes(params)
            _broadcast_coalesced([p._data for p in params]
                                 + [b._data for b in self._buffers_to_sync], group)
        cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * _MB)
        first = _FIRST_BUCKET_BYTES if bucket_cap_mb is None else cap
        self.bucket_bytes_cap = cap
        self.reducer = Reducer(params, group, assign_buckets(params, cap, first),
                               self.gradient_as_bucket_view)

    def _verify_shapes(self, params):
        shapes = [tuple(p.shape) for p in params]
        with self.process_group.watch("DistributedDataParallel parameter-shape all_gather"):
            everyone = self.process_group.comm.allgather(shapes)
        for r, s in enumerate(everyone):
            if s != shapes:
                raise RuntimeError(
                    f"DistributedDataParallel: rank {self.process_group.ranks[r]}'s model has "
                    f"{len(s)} parameters with shapes that differ from rank "
                    f"{self.process_group.rank()}'s ({len(shapes)}); every rank must build the "
                    "same model")

    def forward(self, *inputs, **kwargs):
        self.reducer.check_finished()
        if (self.require_forward_param_sync and self.broadcast_buffers
                and self._buffers_to_sync and self.process_group.size() > 1):
            _broadcast_coalesced([b._data for b in self._buffers_to_sync], self.process_group)
        out = self.module(*inputs, **kwargs)
        sync = autograd.is_grad_enabled() and self.require_backward_grad_sync
        self.require_forward_param_sync = sync
        if sync:
            self.reducer.prepare(_tensors(out, []))
        return out

    @contextlib.contextmanager
    def no_sync(self):
        """Inside this block, backward only accumulates gradients locally; the first backward
        after it averages the accumulated sums across ranks::

            with model.no_sync():
                for x, y in micro_batches[:-1]:
                    loss_fn(model(x), y).backward()
            loss_fn(model(x_last), y_last).backward()    # averaged here
        """
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def will_sync_module_buffers(self):
        return (self.require_forward_param_sync and self.broadcast_buffers
                and len(self._buffers_to_sync) > 0)


__all__ = ["DistributedDataParallel"]
