"""DataLoader: mini-batches of a Dataset, as glassnet Tensors, with PyTorch's names.

One epoch of mini-batch SGD (the lectures' recipe): shuffle the training set once, then
take consecutive batches of ``batch_size`` samples from the permutation; the last batch is
smaller unless ``drop_last``. ``shuffle=True`` does exactly that with a ``RandomSampler``.

How a batch is assembled:

* array-backed datasets (``TensorDataset``, the image datasets, anything with
  ``get_batch(indices)`` or ``arrays``) gather a whole batch with one fancy index per array
  and apply transforms to the whole batch at once: no Python loop over samples;
* any other dataset is read one ``dataset[i]`` at a time and stacked by ``collate_fn``
  (``default_collate``).

Batches come out as glassnet Tensors: floating arrays as float32 (float64 stays float64),
integer arrays (class labels) as int64, bool as bool. A tuple sample gives a list of
Tensors (``for x, y in loader``), as in PyTorch.

``prefetch=N`` prepares up to N batches ahead in a background thread. ``state_dict()`` /
``load_state_dict()`` capture the epoch's permutation (its seed) and the position within
it, so a resumed run yields exactly the remaining batches and then identical later epochs.

Reproducible randomness (PyTorch's scheme: a base seed per epoch, drawn in the main
thread, from which the data-side randomness is derived). When an epoch starts, after the
sampler has drawn its permutation, the loader draws one 64-bit *base seed* from its
``generator`` (glassnet's default generator unless one is given). Batch ``b`` of the epoch
is then built under ``glassnet.random.thread_generator(batch_generator(base_seed, b))``:
every draw that dataset code, transforms and augmentation make from the default generator
while building it comes from a generator seeded by ``SeedSequence([base_seed, b])``. So

* ``glassnet.manual_seed(s)`` fixes the shuffle and every augmentation;
* a batch is the same whichever thread builds it and however far ahead it is prepared:
  ``prefetch`` and ``num_workers`` do not change the batches;
* the background thread never draws from the default generator, so the model's own draws
  (dropout, initialisation) in the main thread are the same with or without prefetching.

``state_dict()`` records the base seed, so a resumed epoch rebuilds its remaining batches
with the same augmentation. Draws from an explicit ``generator=`` given to a transform, and
from NumPy's global ``np.random`` functions, are outside this scheme.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import weakref
from collections.abc import Mapping

import numpy as np

from glassnet import backend
from glassnet.data.dataset import IterableDataset, _is_tensor, _raw, batch_getter
from glassnet.data.sampler import BatchSampler, RandomSampler, SequentialSampler
from glassnet.random import thread_generator


class _SeededOnFirstUse(backend.Generator):
    """A Generator whose seed is worked out at its first use (``np`` or ``_seed`` looked up),
    so a batch that draws nothing costs nothing."""

    def __init__(self, base_seed, batch):
        self._key = (int(base_seed), int(batch))

    def __getattr__(self, name):  # only reached while np/_seed are not set yet
        if name not in ("np", "_seed"):
            raise AttributeError(name)
        state = np.random.SeedSequence(self._key).generate_state(1, np.uint64)
        self.manual_seed(int(state[0]) >> 1)  # a 63-bit seed, like Generator()'s own
        return getattr(self, name)


def batch_generator(base_seed, batch):
    """The generator that batch number ``batch`` of an epoch with ``base_seed`` draws from:
    a ``glassnet.backend.Generator`` seeded from ``numpy.random.SeedSequence([base_seed,
    batch])``, so neighbouring batches get independent, well-mixed streams."""
    return _SeededOnFirstUse(base_seed, batch)


def _convert_array(a, as_numpy=False):
    """The batch dtype rule: floats -> float32 (float64 kept), integers -> int64, bool kept."""
    a = np.asarray(a)
    if a.dtype.kind == "f" and a.dtype != np.float64:
        a = a.astype(np.float32)
    elif a.dtype.kind in "iu":
        a = a.astype(np.int64, copy=False)
    elif a.dtype.kind not in "fb":
        raise TypeError(f"DataLoader: cannot make a batch of dtype {a.dtype} (shape {a.shape})")
    if as_numpy:
        return a
    from glassnet.tensor import Tensor

    return Tensor(a)


def convert_batch(batch, as_numpy=False):
    """Turn a batch of arrays (an array, a tuple/list or a dict of them) into Tensors."""
    if isinstance(batch, np.ndarray):
        return _convert_array(batch, as_numpy)
    if isinstance(batch, Mapping):
        return {k: convert_batch(v, as_numpy) for k, v in batch.items()}
    if isinstance(batch, (tuple, list)):
        return [convert_batch(v, as_numpy) for v in batch]
    if _is_tensor(batch):
        return batch
    return _convert_array(batch, as_numpy)


def default_convert(sample):
    """PyTorch's ``default_convert``: NumPy arrays (in tuples, lists, dicts) become Tensors of
    the same dtype; Tensors, numbers and strings stay as they are. The DataLoader applies it to
    each sample when batching is off (``batch_size=None``)."""
    if isinstance(sample, np.ndarray) and sample.dtype.kind in "biufc":
        from glassnet.tensor import Tensor

        return Tensor._make(sample, False)
    if isinstance(sample, Mapping):
        return {k: default_convert(v) for k, v in sample.items()}
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(default_convert(v) for v in sample))
    if isinstance(sample, (tuple, list)):
        return type(sample)(default_convert(v) for v in sample)
    return sample


def get_worker_info():
    """Information about the current loader worker process: None, since glassnet builds every
    batch in the main process (so code that shards data per worker takes its single-process
    path)."""


def _stack(samples):
    return np.stack([_raw(s) for s in samples])


def _exact(a, as_numpy):
    """A collated array as a Tensor of the same dtype (PyTorch's default_collate keeps it)."""
    if a.dtype.kind not in "biufc":
        raise TypeError(f"default_collate: cannot make a batch of dtype {a.dtype} "
                        f"(shape {a.shape})")
    if as_numpy:
        return a
    from glassnet.tensor import Tensor

    return Tensor._make(a, False)


def default_collate(batch, as_numpy=False):
    """Stack a list of samples into a batch (PyTorch's ``default_collate``).

    Arrays/Tensors are stacked along a new first axis, keeping their dtype (uint8 images stay
    uint8); NumPy scalars keep theirs too; Python ints become an int64 Tensor, Python floats a
    float64 one and bools a bool one, as in PyTorch. Tuples and lists are collated position by
    position (returning a list), dicts key by key, namedtuples field by field; strings are
    returned as a list.
    """
    if len(batch) == 0:
        raise ValueError("default_collate: expected a non-empty list of samples, got an empty one")
    elem = batch[0]
    if isinstance(elem, np.ndarray) or _is_tensor(elem):
        return _exact(_stack(batch), as_numpy)
    if isinstance(elem, np.generic):
        return _exact(np.array(batch, dtype=elem.dtype), as_numpy)
    if isinstance(elem, bool):
        return _exact(np.array(batch, dtype=bool), as_numpy)
    if isinstance(elem, int):
        return _exact(np.array(batch, dtype=np.int64), as_numpy)
    if isinstance(elem, float):
        return _exact(np.array(batch, dtype=np.float64), as_numpy)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, Mapping):
        return {k: default_collate([d[k] for d in batch], as_numpy) for k in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple
        return type(elem)(*(default_collate(list(col), as_numpy) for col in zip(*batch)))
    if isinstance(elem, (tuple, list)):
        n = len(elem)
        if any(len(s) != n for s in batch):
            raise ValueError(
                f"default_collate: every sample must have the same length; the first has {n}, "
                f"lengths seen: {sorted({len(s) for s in batch})}"
            )
        return [default_collate(list(col), as_numpy) for col in zip(*batch)]
    raise TypeError(
        f"default_collate: samples must be arrays, Tensors, numbers, strings, dicts or "
        f"sequences of those; got {type(elem).__name__}"
    )


_END = object()


class _Failure:
    def __init__(self, exc):
        self.exc = exc


def _put(q, stop, item):
    while not stop.is_set():
        try:
            q.put(item, timeout=0.05)
            return True
        except queue.Full:
            continue
    return False


def _produce(make_batch, batches, base_seed, first, q, stop):
    """The prefetch thread: build batches in order and queue them; stop when asked.

    Batch ``first + k`` of the epoch is built with its own generator (``batch_generator``), so
    what this thread draws does not depend on when it runs. It holds no reference to the
    iterator, so an abandoned iterator is collected at once and its ``__del__`` stops this
    thread."""
    try:
        for k, idx in enumerate(batches):
            if not _put(q, stop, (len(idx), make_batch(idx, base_seed, first + k))):
                return
    except BaseException as exc:  # noqa: BLE001 - handed to the consumer, re-raised there
        _put(q, stop, _Failure(exc))
        return
    _put(q, stop, _END)


class _LazyBatches:
    """The batches of an epoch whose indices come as a stream of arrays (a sampler's
    ``epoch_chunks``), cut into ``batch_size`` pieces as they are read: the same batches as
    cutting the whole epoch's index array, without ever holding it. ``skip`` indices at the
    start are dropped (a resumed epoch). Read once, in order."""

    def __init__(self, chunks, total, batch_size, drop_last, skip=0):
        self.chunks, self.b, self.drop_last, self.skip = chunks, batch_size, drop_last, skip
        left = max(total - skip, 0)
        self.n = left // batch_size if drop_last else -(-left // batch_size)

    def __len__(self):
        return self.n

    def __iter__(self):
        skip, b, done = self.skip, self.b, 0
        pending = []
        have = 0
        for chunk in self.chunks:
            if skip:
                cut = min(skip, len(chunk))
                chunk, skip = chunk[cut:], skip - cut
            if not len(chunk):
                continue
            pending.append(chunk)
            have += len(chunk)
            while have >= b and done < self.n:
                flat = np.concatenate(pending) if len(pending) > 1 else pending[0]
                yield flat[:b]
                done += 1
                rest = flat[b:]
                pending, have = ([rest] if len(rest) else []), len(rest)
            if done >= self.n:
                return
        if pending and done < self.n:  # the short last batch (kept unless drop_last)
            yield np.concatenate(pending)


class _LoaderIter:
    """One epoch's iterator; counts the batches it hands out for ``DataLoader.state_dict``."""

    def __init__(self, loader, batches, start_batch, start_sample, base_seed):
        self.loader = loader
        self._batches = iter(batches)
        self._next = 0
        self._n = len(batches)
        self._first, self._base_seed = start_batch, base_seed
        loader._pos_batches, loader._pos_samples = start_batch, start_sample
        self._thread = None
        if loader.prefetch > 0 and self._n > 0:
            self._queue = queue.Queue(maxsize=loader.prefetch)
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=_produce,
                name="glassnet-prefetch",
                daemon=True,
                args=(loader._make_batch, batches, base_seed, start_batch, self._queue,
                      self._stop),
            )
            self._thread.start()

    def __iter__(self):
        return self

    def __len__(self):
        return self._n - self._next

    def __next__(self):
        if self._next >= self._n:
            self.close()
            raise StopIteration
        if self._thread is None:
            idx = next(self._batches)
            size = len(idx)
            item = self.loader._make_batch(idx, self._base_seed, self._first + self._next)
        else:  # the prefetch thread reads the batches; it queues (size, batch)
            got = self._queue.get()
            if isinstance(got, _Failure):
                self.close()
                raise got.exc
            size, item = got
        self._next += 1
        if self.loader._current is not None and self.loader._current() is self:
            self.loader._pos_batches += 1
            self.loader._pos_samples += size
        return item

    def close(self):
        """Stop the prefetch thread (if any) and wait for it; safe to call twice."""
        if self._thread is not None:
            self._stop.set()
            try:
                while True:
                    self._queue.get_nowait()
            except queue.Empty:
                pass
            self._thread.join(timeout=5)
            self._thread = None

    def __del__(self):
        with contextlib.suppress(
            Exception
        ):  # interpreter shutdown may have torn down queue/threading
            self.close()


class DataLoader:
    """Iterate over ``dataset`` in mini-batches (PyTorch's ``torch.utils.data.DataLoader``;
    ``glassnet.utils.data.DataLoader`` is this class).

    Args:
        dataset: a Dataset (``__getitem__``/``__len__``; ideally ``get_batch``), or an
            ``IterableDataset`` stream, which is batched in stream order (no shuffle, sampler
            or batch_sampler).
        batch_size: samples per batch (default 1); None turns batching off. May be changed
            between epochs, e.g. for a batch-size schedule; the new value applies from the next
            ``iter(loader)``.
        shuffle: a fresh random permutation every epoch (``RandomSampler``).
        sampler: a custom index order (excludes ``shuffle``).
        batch_sampler: yields whole batches of indices (excludes batch_size/shuffle/sampler/
            drop_last).
        num_workers: ``num_workers > 0`` turns on a prefetch thread of ``2 * num_workers``
            batches when ``prefetch`` is 0 (batches are built in this process, with the same
            per-batch generators, so they are the same as with ``num_workers=0``).
        collate_fn: turn a list of samples into a batch; forces the per-sample path.
        drop_last: drop the last, smaller batch.
        generator: ``glassnet.backend.Generator`` for the shuffle and each epoch's base seed
            of the data-side randomness (default: glassnet's default generator).
        prefetch: batches prepared ahead in a background thread (0: none); the batches are
            the same for every value.
        as_numpy: give NumPy arrays instead of Tensors.

    ``pin_memory``, ``timeout``, ``worker_init_fn``, ``multiprocessing_context``,
    ``persistent_workers``, ``prefetch_factor``, ``pin_memory_device`` and ``in_order`` are
    accepted for PyTorch compatibility and change nothing.
    """

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle=None,
        sampler=None,
        batch_sampler=None,
        num_workers=0,
        collate_fn=None,
        pin_memory=False,
        drop_last=False,
        timeout=0,
        worker_init_fn=None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch=0,
        as_numpy=False,
        **unused,
    ):
        for k in unused:
            if k not in ("persistent_workers", "prefetch_factor", "pin_memory_device",
                         "in_order"):
                raise TypeError(f"DataLoader: unexpected keyword argument {k!r}")
        self._stream = isinstance(dataset, IterableDataset)
        if self._stream and (shuffle or sampler is not None or batch_sampler is not None):
            raise ValueError("DataLoader: an IterableDataset cannot be shuffled or used with "
                             "a sampler or batch_sampler (it has no indices)")
        if batch_sampler is not None and (
            batch_size != 1 or shuffle or sampler is not None or drop_last
        ):
            raise ValueError(
                "DataLoader: batch_sampler is mutually exclusive with batch_size, shuffle, "
                "sampler and drop_last"
            )
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler is mutually exclusive with shuffle=True")
        if batch_sampler is None and batch_size is not None and (
            int(batch_size) != batch_size or batch_size <= 0
        ):
            raise ValueError(
                f"DataLoader: batch_size must be a positive integer or None, got {batch_size!r}"
            )
        if batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None (no batching) is mutually exclusive "
                             "with drop_last")
        if int(prefetch) < 0:
            raise ValueError(f"DataLoader: prefetch must be >= 0, got {prefetch!r}")
        if num_workers < 0:
            raise ValueError(f"DataLoader: num_workers option should be non-negative, got "
                             f"{num_workers!r}; use num_workers=0 to load in the main thread")
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout option should be non-negative, got {timeout!r}")
        self.dataset = dataset
        self.batch_size = (None if batch_sampler is not None or batch_size is None
                           else int(batch_size))
        self._unbatched = batch_sampler is None and batch_size is None
        self.drop_last = bool(drop_last)
        self.generator = generator
        if sampler is None and not self._stream:
            sampler = (
                RandomSampler(dataset, generator=generator)
                if shuffle
                else SequentialSampler(dataset)
            )
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.collate_fn = collate_fn
        self.prefetch = int(prefetch) or (2 * int(num_workers) if num_workers else 0)
        self.num_workers = int(num_workers)
        self.as_numpy = bool(as_numpy)
        self._get_batch = batch_getter(dataset) if collate_fn is None and not self._stream \
            else None
        self.epoch = 0  # epochs started
        self._pos_batches = 0
        self._pos_samples = 0
        self._in_epoch = False
        self._resume = None
        self._current = None
        self.base_seed = None  # this epoch's seed of the data-side randomness
        self._resume_base_seed = None

    def _iter_stream(self):
        """An IterableDataset's batches: consecutive samples of the stream, collated."""
        if self.batch_size is None:  # batching off: each sample converted on its own
            for sample in self.dataset:
                yield self.collate_fn(sample) if self.collate_fn else default_convert(sample)
            return
        collate = self.collate_fn or (lambda b: default_collate(b, self.as_numpy))
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield collate(batch)
                batch = []
        if batch and not self.drop_last:
            yield collate(batch)

    # ------------------------------------------------------------------ batches
    def _make_batch(self, idx, base_seed, batch):
        """Batch number ``batch`` of the epoch, from the indices ``idx``; the default generator
        stands for ``batch_generator(base_seed, batch)`` in this thread meanwhile."""
        with thread_generator(batch_generator(base_seed, batch)):
            return self._build_batch(idx)

    def _build_batch(self, idx):
        if self._unbatched:  # batch_size=None: one sample, its arrays turned into Tensors
            sample = self.dataset[int(idx[0])]
            return self.collate_fn(sample) if self.collate_fn is not None else default_convert(sample)
        idx = np.asarray(idx, dtype=np.int64)
        if self._get_batch is not None:
            return convert_batch(self._get_batch(idx), self.as_numpy)
        samples = [self.dataset[int(i)] for i in idx]
        if self.collate_fn is not None:
            return self.collate_fn(samples)
        return default_collate(samples, self.as_numpy)

    def _epoch_batches(self, skip_batches, skip_samples):
        if self.batch_sampler is not None:
            batches = [np.asarray(b, dtype=np.int64) for b in self.batch_sampler]
            return batches[skip_batches:]
        if hasattr(self.sampler, "epoch_chunks") and not self._unbatched:
            # drawn block by block as the epoch goes: an epoch of 1e10 samples costs no memory
            return _LazyBatches(self.sampler.epoch_chunks(), len(self.sampler), self.batch_size,
                                self.drop_last, skip_samples)
        if hasattr(self.sampler, "epoch_indices"):
            idx = self.sampler.epoch_indices()
        else:
            idx = np.fromiter(iter(self.sampler), dtype=np.int64)
        idx = np.asarray(idx, dtype=np.int64)[skip_samples:]
        if self._unbatched:
            return [idx[i:i + 1] for i in range(len(idx))]
        return BatchSampler(self.sampler, self.batch_size, self.drop_last).batches(idx)

    def __iter__(self):
        if self._stream:
            self.epoch += 1
            return self._iter_stream()
        skip_b = skip_s = 0
        base_seed = None
        if self._resume is not None:
            skip_b, skip_s = self._resume
            base_seed, self._resume, self._resume_base_seed = self._resume_base_seed, None, None
        else:
            self.epoch += 1
        old = self._current() if self._current is not None else None
        if old is not None:
            old.close()
        batches = self._epoch_batches(skip_b, skip_s)
        if base_seed is None:  # drawn here, in the thread that iterates, after the shuffle
            base_seed = int(backend.rng(self.generator).integers(0, 2**63 - 1))
        self.base_seed = base_seed
        it = _LoaderIter(self, batches, skip_b, skip_s, base_seed)
        self._current = weakref.ref(it)
        self._in_epoch = True
        return it

    def __len__(self):
        if self._stream:  # TypeError when the stream has no length, as in PyTorch
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.sampler)
        if self._unbatched:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    # ------------------------------------------------------------------ resuming
    def _epoch_total(self):
        """Samples the current epoch hands out (a full last batch is the end even with drop_last)."""
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.sampler)
        return (n // self.batch_size) * self.batch_size if self.drop_last else n

    def state_dict(self) -> dict:
        """Where the loader stands: epoch, batches/samples already handed out, the sampler's
        state (its epoch seed: the permutation), the epoch's base seed (its augmentation),
        the state of a ``generator`` given to the loader, and the batch size. JSON-safe."""
        if self._stream:
            raise TypeError("DataLoader.state_dict: an IterableDataset stream has no position "
                            "to save")
        if self.batch_sampler is not None:
            done = self._in_epoch and self._pos_batches >= len(self.batch_sampler)
        else:
            done = self._in_epoch and self._pos_samples >= self._epoch_total()
        sampler = (
            self.batch_sampler.sampler
            if self.batch_sampler is not None and hasattr(self.batch_sampler, "sampler")
            else self.sampler
        )
        st = sampler.state_dict() if hasattr(sampler, "state_dict") else None
        return {
            "epoch": self.epoch,
            "batches_yielded": self._pos_batches,
            "samples_yielded": self._pos_samples,
            "in_epoch": bool(self._in_epoch and not done),
            "batch_size": self.batch_size,
            "sampler": st,
            "base_seed": self.base_seed,
            "generator": self.generator.get_state() if self.generator is not None else None,
        }

    def load_state_dict(self, state: dict) -> None:
        """Resume: the next ``iter(loader)`` yields the rest of the saved epoch (same permutation,
        same batches if the batch size is unchanged), later epochs continue as the original run.

        With glassnet's default generator, restore its state too (``glassnet.set_rng_state``,
        saved by a checkpoint at the same moment); a generator given to the loader is
        restored here. Nothing is drawn: the resumed epoch reuses the saved permutation and
        base seed, so its remaining batches, augmentation included, are those of the
        uninterrupted run.
        """
        for k in ("epoch", "batches_yielded", "samples_yielded", "in_epoch"):
            if k not in state:
                raise KeyError(
                    f"DataLoader.load_state_dict: state has no {k!r} entry (keys: {sorted(state)})"
                )
        resume = bool(state["in_epoch"])
        sampler = (
            self.batch_sampler.sampler
            if self.batch_sampler is not None and hasattr(self.batch_sampler, "sampler")
            else self.sampler
        )
        if state.get("sampler") is not None and hasattr(sampler, "load_state_dict"):
            sampler.load_state_dict(state["sampler"], resume_epoch=resume)
        if state.get("generator") is not None and self.generator is not None:
            self.generator.set_state(state["generator"])
        if state.get("batch_size") is not None and self.batch_sampler is None:
            self.batch_size = int(state["batch_size"])
        self.epoch = int(state["epoch"])
        self._in_epoch = False
        self._pos_batches = int(state["batches_yielded"]) if resume else 0
        self._pos_samples = int(state["samples_yielded"]) if resume else 0
        self._resume = (self._pos_batches, self._pos_samples) if resume else None
        self.base_seed = state.get("base_seed")
        self._resume_base_seed = self.base_seed if resume else None
