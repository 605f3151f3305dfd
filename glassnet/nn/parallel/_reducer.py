"""Gradient averaging for DistributedDataParallel: buckets, hooks, overlapped all-reduce.

After every rank's backward, each parameter's gradient must become the mean over the K ranks,

    grad_p  <-  (1/K) * sum_r grad_p^(r),

which, when each rank's loss is the mean over its B/K samples, is exactly the gradient of the
mean loss over all B samples. Reducing one parameter at a time would pay MPI's latency once
per tensor, so gradients are laid out in a few flat *buckets* (about 25 MiB each, PyTorch's
``bucket_cap_mb``; the first, smallest, bucket holds the parameters used last in the forward
pass, whose gradients backward produces first). Each bucket goes out as one in-place
non-blocking ``Iallreduce`` as soon as all its gradients are final, while backward goes on
computing the others.

How a gradient is known to be final: at forward time the autograd graph is walked from the
outputs, counting the edges that end at each parameter (a parameter used twice receives two
contributions). A hook on each parameter then adds every contribution into the parameter's
slot of its bucket (where ``.grad`` now points) and counts it; at the expected count the
parameter is ready. A contribution beyond the count (the loss used the parameter outside the
module, say) is averaged on its own, synchronously, so the result stays exact.
"""

from __future__ import annotations

import numpy as np

from glassnet.distributed.process_group import _mpi
from glassnet.tensor import Tensor

_FIRST_BUCKET_BYTES = 1024 * 1024  # PyTorch's dist._DEFAULT_FIRST_BUCKET_BYTES


class _Bucket:
    def __init__(self, indices, params):
        self.indices = indices
        dtype = params[indices[0]]._data.dtype
        sizes = [params[i]._data.size for i in indices]
        self.flat = np.zeros(sum(sizes), dtype)
        self.views = {}
        start = 0
        for i, n in zip(indices, sizes):
            self.views[i] = self.flat[start:start + n].reshape(params[i]._data.shape)
            start += n
        self.pending = 0
        self.request = None
        self.launched = False


def assign_buckets(params, cap_bytes, first_cap_bytes):
    """Group parameter indices into buckets of one dtype, filled in forward order up to
    ``first_cap_bytes`` for the first bucket and ``cap_bytes`` after, then listed in reverse
    (the order in which backward finishes them), as PyTorch's reducer does."""
    open_, done = {}, []
    for i, p in enumerate(params):
        dt = p._data.dtype
        cur = open_.setdefault(dt, [[], 0])
        cur[0].append(i)
        cur[1] += p._data.nbytes
        if cur[1] >= (first_cap_bytes if not done else cap_bytes):
            done.append(cur[0])
            del open_[dt]
    done.extend(c[0] for c in open_.values())
    return list(reversed(done))


class Reducer:
    """Averages the gradients of ``params`` over ``group`` after each backward."""

    def __init__(self, params, group, bucket_indices, grad_as_view):
        self.params = params
        self.group = group
        self.grad_as_view = grad_as_view
        self.buckets = [_Bucket(b, params) for b in bucket_indices]
        self.bucket_of = {}
        for b in self.buckets:
            for i in b.indices:
                self.bucket_of[i] = b
        self.index = {id(p): i for i, p in enumerate(params)}
        self.views = [self.bucket_of[i].views[i] for i in range(len(params))]
        self.view_tensors = [Tensor._make(v, False) for v in self.views]
        self.zeros = [np.broadcast_to(np.zeros((), v.dtype), v.shape) for v in self.views]
        self.handles = [None] * len(params)
        self.armed = self.started = self.finished = False
        self.late_contributions = 0  # gradients that arrived after their bucket went out

    # ----------------------------------------------------------------- forward time
    def expected_counts(self, outputs):
        """How many gradient contributions each parameter gets from backward through
        ``outputs``: the number of graph nodes that take it as a direct input."""
        counts = [0] * len(self.params)
        index = self.index
        seen = set()
        stack = [t.grad_fn for t in outputs if t.grad_fn is not None]
        for t in outputs:
            if t.grad_fn is None and t.requires_grad and id(t) in index:  # a bare parameter
                counts[index[id(t)]] += 1
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            for e in node.next_edges:
                if e is None:
                    continue
                if e[1] is None:
                    i = index.get(id(e[0]))
                    if i is not None:
                        counts[i] += 1
                elif e[0] not in seen:
                    stack.append(e[0])
        return counts

    def prepare(self, outputs):
        """Arm the hooks for the backward through ``outputs`` (called after each forward)."""
        counts = self.expected_counts(outputs)
        if not any(counts):
            self.armed = False
            return
        self.expected = counts
        self.got = [0] * len(self.params)
        self.touched = [False] * len(self.params)
        self.was_none = [False] * len(self.params)
        for b in self.buckets:
            b.pending = sum(1 for i in b.indices if counts[i] > 0)
            b.launched = False
            b.request = None
        self.next_bucket = 0
        self.armed, self.started, self.finished = True, False, False
        for i, p in enumerate(self.params):  # our hook runs after the user's own hooks
            if self.handles[i] is not None:
                self.handles[i].remove()
            self.handles[i] = p.register_hook(self._hook(i))

    def check_finished(self):
        """Called before a forward: a backward that started must have finished reducing."""
        if self.armed and self.started and not self.finished:
            missing = [i for i, (e, g) in enumerate(zip(self.expected, self.got)) if g < e]
            self.armed = False
            raise RuntimeError(
                "DistributedDataParallel: expected to have finished reduction in the prior "
                "iteration before starting a new one; parameters with indices "
                f"{missing[:10]} received fewer gradients than the forward pass implied. Make "
                "sure the loss uses every output of the module's forward")
        self.armed = False

    # ----------------------------------------------------------------- backward time
    def _hook(self, i):
        def hook(grad):
            if not self.armed:
                return None
            self.started = True
            self._own_slot(i)
            b = self.bucket_of[i]
            if b.launched:
                self._late(i, grad._data, b)
                return self.zeros[i]
            self.views[i] += grad._data
            self.got[i] += 1
            if self.got[i] == self.expected[i]:
                b.pending -= 1
                if b.pending == 0:
                    self._launch_ready()
            elif self.group.size() > 1:
                self._progress()
            return self.zeros[i]  # the gradient is already in .grad (the bucket slot)

        return hook

    def _own_slot(self, i):
        """Point ``.grad`` at the bucket slot, keeping what it held (gradient accumulation)."""
        if self.touched[i]:
            return
        self.touched[i] = True
        p, v, vt = self.params[i], self.views[i], self.view_tensors[i]
        g = p.grad
        if g is vt:
            return
        if g is None:
            self.was_none[i] = True
            v.fill(0)
        else:
            v[...] = g._data
        p.grad = vt

    def _launch_ready(self):
        """Start every consecutive ready bucket (the same order on every rank)."""
        MPI = _mpi()
        k = self.group.size()
        while self.next_bucket < len(self.buckets) and self.buckets[self.next_bucket].pending == 0:
            b = self.buckets[self.next_bucket]
            for i in b.indices:  # parameters this rank did not use still take part
                self._own_slot(i)
            if k > 1:
                b.flat /= k  # mean = sum of (g / K), as PyTorch's reducer divides first
                b.request = self.group.comm.Iallreduce(MPI.IN_PLACE, b.flat, op=MPI.SUM)
            b.launched = True
            self.next_bucket += 1
        if self.next_bucket == len(self.buckets):
            self._finish()

    def _progress(self):
        reqs = [b.request for b in self.buckets if b.request is not None]
        if reqs:
            _mpi().Request.Testall(reqs)

    def _late(self, i, g, b):
        """A contribution after the bucket went out: average it alone and add it in."""
        MPI = _mpi()
        self.late_contributions += 1
        if b.request is not None:
            with self.group.watch("DistributedDataParallel gradient all_reduce"):
                b.request.Wait()
            b.request = None
        extra = np.array(g, dtype=self.views[i].dtype)
        k = self.group.size()
        if k > 1:
            extra /= k
            with self.group.watch("DistributedDataParallel late gradient all_reduce"):
                self.group.comm.Allreduce(MPI.IN_PLACE, extra, op=MPI.SUM)
        self.views[i] += extra
        p = self.params[i]
        if self.finished and p.grad is not self.view_tensors[i]:
            p.grad._data += extra  # _finish already gave .grad its own copy

    def _finish(self):
        reqs = [b.request for b in self.buckets if b.request is not None]
        if reqs:
            with self.group.watch("DistributedDataParallel gradient all_reduce"):
                _mpi().Request.Waitall(reqs)
        for b in self.buckets:
            b.request = None
        for i, p in enumerate(self.params):
            if self.expected[i] == 0 and self.was_none[i] and not self.views[i].any():
                p.grad = None  # unused on every rank: no gradient, as without DDP
            elif not self.grad_as_view:
                p.grad = Tensor._make(self.views[i].copy(), False)
        self.finished = True  # hooks stay armed: a later contribution goes through _late

    def remove_hooks(self):
        for h in self.handles:
            if h is not None:
                h.remove()
        self.handles = [None] * len(self.params)
