"""Samplers: the order in which an epoch visits a dataset, with PyTorch's names.

Mini-batch stochastic gradient descent, as the lectures set it out, **shuffles the training
set once per epoch and then takes consecutive batches of that permutation**: every sample
is seen exactly once per epoch, and the gradient of each batch is an unbiased estimate of
the full-batch gradient. ``RandomSampler`` draws that permutation, ``BatchSampler`` cuts it
into consecutive batches.

Besides ``__iter__`` (one int at a time, as in PyTorch) each sampler here offers
``epoch_indices()``: the whole epoch's order as one int64 array, which the DataLoader
slices into batches without a Python loop over samples.

Reproducibility and resuming. At the start of each epoch a ``RandomSampler`` draws one
64-bit *epoch seed* from its generator (glassnet's default generator unless one is given)
and derives the permutation from it. ``state_dict()`` records that seed, so a run that
stopped mid-epoch can redraw exactly the same permutation, while the generator itself moves
on exactly as in the uninterrupted run.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend


class Sampler:
    """Base class: ``__iter__`` yields dataset indices; ``__len__`` counts them."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        return iter(self.epoch_indices().tolist())

    def epoch_indices(self) -> np.ndarray:
        """This epoch's indices as one int64 array (starts a new epoch for random samplers)."""
        return np.fromiter(iter(self), dtype=np.int64)

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__}: samplers must implement __len__")


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order, every epoch."""

    def __init__(self, data_source):
        self.data_source = data_source

    def epoch_indices(self):
        return np.arange(len(self.data_source), dtype=np.int64)

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A fresh random order each epoch.

    Args:
        data_source: the dataset (only its length is used).
        replacement: draw ``num_samples`` indices with replacement instead of a permutation.
        num_samples: how many indices per epoch (default ``len(data_source)``); without
            replacement and larger than the dataset, whole permutations are concatenated.
        generator: a ``glassnet.backend.Generator``; default glassnet's default generator,
            so ``glassnet.manual_seed(s)`` fixes the shuffling.

    Iterating draws lazily, as PyTorch does: with replacement 32 indices at a time, without it
    one permutation of the dataset at a time, so ``RandomSampler(ds, replacement=True,
    num_samples=int(1e10))`` (an endless stream of samples) costs no memory up front.
    ``epoch_indices()`` gives the same numbers for the same epoch seed, as one array.
    """

    block = 32  # indices drawn per step with replacement (PyTorch's RandomSampler draws 32)

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement should be a boolean value, got "
                            f"replacement={replacement!r}")
        self.replacement = replacement
        if num_samples is not None and (int(num_samples) != num_samples or num_samples <= 0):
            raise ValueError(
                f"RandomSampler: num_samples must be a positive integer, got {num_samples!r}"
            )
        self._num_samples = None if num_samples is None else int(num_samples)
        self.generator = generator
        self.epoch_seed = None  # seed of the current epoch's permutation
        self._resume_seed = None

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __len__(self):
        return self.num_samples

    def __iter__(self):
        for chunk in self.epoch_chunks():
            yield from chunk.tolist()

    def _next_epoch_seed(self):
        """Start an epoch: one seed from the generator (or the one saved for resuming)."""
        if self._resume_seed is not None:
            seed, self._resume_seed = self._resume_seed, None
        else:
            seed = int(backend.rng(self.generator).integers(0, 2**63 - 1))
        self.epoch_seed = seed
        return seed

    def epoch_indices(self):
        """Draw this epoch's order: one seed from the generator, then the permutation from it."""
        return self.indices_for_seed(self._next_epoch_seed())

    def epoch_chunks(self):
        """Start an epoch and return its indices as a lazy sequence of int64 arrays."""
        return self.chunks_for_seed(self._next_epoch_seed())

    def chunks_for_seed(self, seed):
        """The epoch of ``seed`` drawn lazily: arrays of ``block`` indices with replacement,
        whole permutations without (the last one cut to ``num_samples``)."""
        return self._draw_chunks(seed)

    def _draw_chunks(self, seed):
        rng = np.random.Generator(np.random.PCG64(seed))
        n, m = len(self.data_source), self.num_samples
        if self.replacement:
            for start in range(0, m, self.block):
                yield _uniform_indices(rng, n, min(self.block, m - start))
            return
        for start in range(0, m if n else 0, n or 1):
            yield rng.permutation(n)[: m - start].astype(np.int64, copy=False)

    def indices_for_seed(self, seed):
        """The whole epoch of ``seed`` as one array: ``chunks_for_seed`` concatenated."""
        n, m = len(self.data_source), self.num_samples
        if self.replacement:  # one vectorised draw gives the same numbers as the blocks
            return _uniform_indices(np.random.Generator(np.random.PCG64(seed)), n, m)
        chunks = list(self._draw_chunks(seed))
        return np.concatenate(chunks) if chunks else np.empty(0, np.int64)

    def state_dict(self) -> dict:
        """``epoch_seed`` of the current epoch and, for a sampler-owned generator, its state."""
        gen = self.generator.get_state() if self.generator is not None else None
        return {"epoch_seed": self.epoch_seed, "generator": gen}

    def load_state_dict(self, state: dict, resume_epoch: bool = True) -> None:
        """Restore; with ``resume_epoch`` the next ``epoch_indices()`` redraws the saved epoch.

        Only a generator given to this sampler is restored; glassnet's default generator is
        part of the global RNG state that a checkpoint saves with ``glassnet.get_rng_state()``.
        """
        if state.get("generator") is not None and self.generator is not None:
            self.generator.set_state(state["generator"])
        self.epoch_seed = state.get("epoch_seed")
        self._resume_seed = self.epoch_seed if resume_epoch else None


def _uniform_indices(rng, n, k):
    """``k`` indices uniform over ``range(n)``: ``floor(u * n)`` for 53-bit uniforms ``u``.

    Each uniform uses exactly one 64-bit draw of the generator, so drawing in blocks of 32 or
    all at once gives the same numbers (NumPy's bounded ``integers`` does not promise that).
    The bias is at most ``n / 2**53`` per index.
    """
    if n == 0:
        if k:
            raise ValueError("RandomSampler: cannot draw samples from an empty dataset")
        return np.empty(0, np.int64)
    return np.minimum((rng.random(k) * n).astype(np.int64), n - 1)


class SubsetRandomSampler(RandomSampler):
    """A random order of the given ``indices`` each epoch."""

    def __init__(self, indices, generator=None):
        self.indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        super().__init__(self.indices, generator=generator)

    def indices_for_seed(self, seed):
        return self.indices[super().indices_for_seed(seed)]

    def chunks_for_seed(self, seed):
        return (self.indices[c] for c in super().chunks_for_seed(seed))


class BatchSampler(Sampler):
    """Consecutive batches of ``sampler``'s order: ``[i0..i_{B-1}], [i_B..i_{2B-1}], ...``.

    The last batch is smaller when ``batch_size`` does not divide the epoch, unless
    ``drop_last`` drops it. Iterating yields lists of ints (PyTorch's behaviour);
    ``batches(indices)`` cuts an index array into int64 array slices without copying.
    """

    def __init__(self, sampler, batch_size, drop_last=False):
        if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size <= 0:
            raise ValueError(
                f"BatchSampler: batch_size must be a positive integer, got {batch_size!r}"
            )
        if not isinstance(drop_last, bool):
            msg = f"BatchSampler: drop_last should be a boolean value, got drop_last={drop_last!r}"
            raise ValueError(msg)  # noqa: TRY004 - PyTorch raises a ValueError here
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def batches(self, indices):
        b = self.batch_size
        stop = (len(indices) // b) * b if self.drop_last else len(indices)
        return [indices[i : i + b] for i in range(0, stop, b)]

    def __iter__(self):
        idx = (
            self.sampler.epoch_indices()
            if hasattr(self.sampler, "epoch_indices")
            else np.fromiter(iter(self.sampler), dtype=np.int64)
        )
        for batch in self.batches(idx):
            yield batch.tolist()

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


class WeightedRandomSampler(RandomSampler):
    """``num_samples`` indices drawn with probability proportional to ``weights``
    (with replacement by default), e.g. to oversample rare classes.

    Args:
        weights: one non-negative weight per dataset index (need not sum to 1).
        num_samples: indices per epoch.
        replacement: without it, each index is drawn at most once per epoch.
        generator: as for ``RandomSampler``.
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        w = np.asarray(getattr(weights, "data", weights), dtype=np.float64).reshape(-1)
        if isinstance(num_samples, bool) or int(num_samples) != num_samples or num_samples <= 0:
            raise ValueError(f"WeightedRandomSampler: num_samples must be a positive integer, "
                             f"got {num_samples!r}")
        if (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
            raise ValueError("WeightedRandomSampler: weights must be finite, non-negative and "
                             "not all zero")
        if not replacement and num_samples > int((w > 0).sum()):
            raise ValueError(f"WeightedRandomSampler: cannot draw {num_samples} samples without "
                             f"replacement from {int((w > 0).sum())} nonzero weights")
        self.weights = w
        super().__init__(range(len(w)), replacement=replacement, num_samples=num_samples,
                         generator=generator)

    def indices_for_seed(self, seed):
        rng = np.random.Generator(np.random.PCG64(seed))
        p = self.weights / self.weights.sum()
        return rng.choice(len(p), size=self.num_samples, replace=self.replacement,
                          p=p).astype(np.int64)

    def chunks_for_seed(self, seed):
        return iter((self.indices_for_seed(seed),))
