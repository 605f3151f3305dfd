"""``DistributedSampler``: each of K processes reads its own 1/K of the dataset every epoch.

The epoch's order (a permutation seeded with ``seed + epoch``, or ``0 .. n-1``) is padded
with its own first indices to a multiple of K (or, with ``drop_last``, cut down to one),
then rank r takes every K-th index starting at r:

    order   = [7, 2, 9, 0, 4, 1, 8, 3, 6, 5]          n = 10, K = 3 -> 4 per rank
    padded  = order + [7, 2]
    rank 0  = padded[0::3] = [7, 0, 8, 5]
    rank 1  = padded[1::3] = [2, 4, 3, 7]
    rank 2  = padded[2::3] = [9, 1, 6, 2]

The permutation is PyTorch's own: ``torch.randperm(n)`` from a ``torch.Generator`` seeded
with ``seed + epoch`` (a Mersenne Twister, MT19937, driving a Fisher-Yates shuffle), so a
script gets exactly the shards it gets under PyTorch. Call ``set_epoch(e)`` before each
epoch, or every epoch repeats the same order.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.data.sampler import Sampler


def torch_randperm(n, seed):
    """The permutation ``torch.randperm(n, generator=torch.Generator().manual_seed(seed))``
    returns on CPU: MT19937 seeded with the low 32 bits of ``seed``, then
    ``for i in 0..n-2: swap(r[i], r[i + u_i % (n - i)])`` with u_i its successive 32-bit
    outputs."""
    rs = np.random.RandomState(int(seed) & 0xFFFFFFFF)  # MT19937's reference seeding
    _, key, pos = rs.get_state()[:3]
    bits = np.random.MT19937()
    bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}
    r = list(range(n))
    if n > 1:
        if n >= 0xFFFFFFFF // 20:  # PyTorch switches to 64-bit draws for huge n
            raise ValueError(f"DistributedSampler: datasets of {n} samples are not supported "
                             "with shuffle=True (PyTorch draws 64-bit numbers beyond 2**32 / 20)")
        i = np.arange(n - 1, dtype=np.uint64)
        j = (bits.random_raw(n - 1) % (np.uint64(n) - i) + i).tolist()
        for a, b in enumerate(j):  # the swaps depend on each other: a sequential loop
            r[a], r[b] = r[b], r[a]
    return r


class DistributedSampler(Sampler):
    """Restricts loading to this process's share of the dataset (PyTorch's index assignment).

    Args:
        dataset: the dataset (only its length is used).
        num_replicas: how many processes share it (default: the process group's world size).
        rank: this process's share (default: its rank in the process group).
        shuffle: a new permutation each epoch, seeded with ``seed + epoch``.
        seed: the same on every process, so the shards do not overlap.
        drop_last: drop the tail so every rank gets ``floor(n / K)`` samples, instead of
            padding with repeated indices to ``ceil(n / K)``.

    Use it as a DataLoader's ``sampler`` (with ``shuffle`` left off) and call
    ``set_epoch(epoch)`` at the start of each epoch.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None or rank is None:
            from glassnet import distributed as dist

            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
            if num_replicas is None:
                num_replicas = dist.get_world_size()
            if rank is None:
                rank = dist.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.epoch = 0
        self.drop_last = bool(drop_last)
        n = len(dataset)
        if self.drop_last and n % self.num_replicas != 0:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = bool(shuffle)
        self.seed = int(seed)

    def epoch_indices(self):
        n = len(self.dataset)
        if self.shuffle:
            indices = torch_randperm(n, self.seed + self.epoch)
        else:
            indices = list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[: self.total_size]
        return np.asarray(indices[self.rank: self.total_size: self.num_replicas], dtype=np.int64)

    def __iter__(self):
        return iter(self.epoch_indices().tolist())

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Set the epoch that seeds the next permutation (same value on every rank)."""
        self.epoch = epoch


__all__ = ["DistributedSampler"]
