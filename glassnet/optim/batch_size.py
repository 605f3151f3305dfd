"""BatchSizeScheduler: small batches first, larger batches later.

The lectures' "varying batch sizes" (mini-batch training): *use a small batch size when the
network starts training; increase it when the network gets better and needs a clearer gradient*.
Mini-batch SGD, ``W <- W - eta * sum_{i in B} dL_i/dW``, estimates the full gradient from a
batch of ``B`` samples; the estimate is unbiased and its noise shrinks like ``1 / sqrt(B)``.
Early in training that noise is useful: small batches take many cheap, noisy steps that explore
the loss surface and escape sharp regions. Later, the noise is what keeps SGD bouncing around a
minimum instead of settling in it, and larger batches average it away (and use the hardware
better). The lectures add that it is a good idea not much used in practice; this class makes it
a one-line experiment.

Decaying the learning rate and growing the batch size are two ways to lower that noise: the
scale of SGD's noise is roughly ``lr * N / B`` (N the data set size), so multiplying ``B`` by
``k`` does what dividing ``lr`` by ``k`` does, with ``k`` times fewer parameter updates (Smith,
Kindermans, Ying & Le, 2018, "Don't decay the learning rate, increase the batch size"). Swap a
``MultiStepLR(optimizer, milestones, gamma=0.2)`` for
``BatchSizeScheduler(loader, factor=5, milestones=milestones)`` to try it.
"""

from __future__ import annotations

from bisect import bisect_right


class BatchSizeScheduler:
    """Change a DataLoader's ``batch_size`` between epochs, like an LR scheduler changes ``lr``.

    Call ``step()`` once at the end of every epoch (the new size applies to the next pass over
    the loader). The schedule is one of:

    * ``schedule={epoch: batch_size, ...}``: from each listed epoch on, use that size (before the
      first listed epoch, the loader's own ``batch_size``);
    * ``schedule=callable``: ``batch_size = schedule(epoch)``;
    * ``factor=k, step_size=s``: multiply the size by ``k`` every ``s`` epochs (geometric growth);
    * ``factor=k, milestones=[e1, e2, ...]``: multiply by ``k`` at each milestone epoch.

    ``max_batch_size`` caps the result (e.g. at the data set size or what memory allows).

    Args:
        loader: a ``glassnet.data.DataLoader`` (or anything with a settable ``batch_size``).
        schedule: dict of milestones or a function of the epoch (see above).
        factor: growth factor for the geometric forms.
        step_size: epochs between growths (with ``factor``; default 1).
        milestones: epochs at which to grow (with ``factor``; instead of ``step_size``).
        max_batch_size: upper bound on the batch size.
        last_epoch: the last epoch completed (-1 for a fresh schedule).

    Example::

        loader = DataLoader(train_set, batch_size=32, shuffle=True)
        bss = BatchSizeScheduler(loader, factor=2, step_size=10, max_batch_size=1024)
        for epoch in range(60):
            train_one_epoch(model, loader, optimizer)
            bss.step()          # 32 for epochs 0-9, 64 for 10-19, ... 1024 from epoch 50
    """

    def __init__(self, loader, schedule=None, *, factor=None, step_size=1, milestones=None,
                 max_batch_size=None, last_epoch=-1):
        if getattr(loader, "batch_size", None) is None:
            raise ValueError("BatchSizeScheduler: the loader has no batch_size to change (a "
                             "DataLoader built with a batch_sampler fixes its batches)")
        if (schedule is None) == (factor is None):
            raise ValueError("BatchSizeScheduler: give exactly one of `schedule` (a dict of "
                             "epoch -> batch size, or a function of the epoch) and `factor`")
        if factor is not None and factor <= 0:
            raise ValueError(f"BatchSizeScheduler: factor must be positive, got {factor}")
        if step_size is None or int(step_size) != step_size or step_size <= 0:
            raise ValueError(f"BatchSizeScheduler: step_size must be a positive integer, got "
                             f"{step_size!r}")
        self.loader = loader
        self.base_batch_size = int(loader.batch_size)
        self.factor = factor
        self.step_size = int(step_size)
        self.milestones = sorted(int(m) for m in milestones) if milestones is not None else None
        self.max_batch_size = max_batch_size
        if isinstance(schedule, dict):
            self.schedule = {int(k): int(v) for k, v in schedule.items()}
        else:
            if schedule is not None and not callable(schedule):
                raise TypeError("BatchSizeScheduler: schedule must be a dict or a callable, got "
                                f"{type(schedule).__name__}")
            self.schedule = schedule
        self.last_epoch = last_epoch
        self.step()

    def batch_size_at(self, epoch: int) -> int:
        """The batch size this schedule gives for ``epoch`` (0-based)."""
        if isinstance(self.schedule, dict):
            keys = sorted(self.schedule)
            i = bisect_right(keys, epoch)
            bs = self.base_batch_size if i == 0 else self.schedule[keys[i - 1]]
        elif self.schedule is not None:
            bs = self.schedule(epoch)
        else:
            n = bisect_right(self.milestones, epoch) if self.milestones is not None \
                else epoch // self.step_size
            bs = self.base_batch_size * self.factor ** n
        bs = round(bs)
        if self.max_batch_size is not None:
            bs = min(bs, int(self.max_batch_size))
        if bs <= 0:
            raise ValueError(f"BatchSizeScheduler: the schedule gave batch size {bs} for epoch "
                             f"{epoch}; it must be a positive integer")
        return bs

    def step(self) -> None:
        """Advance one epoch and set the loader's batch size for it."""
        self.last_epoch += 1
        bs = self.batch_size_at(max(self.last_epoch, 0))
        self.loader.batch_size = bs
        self._last_batch_size = bs

    def get_last_batch_size(self) -> int:
        return self._last_batch_size

    def state_dict(self) -> dict:
        """JSON-safe state; a function schedule is not saved (pass it again when rebuilding)."""
        sd = {k: v for k, v in self.__dict__.items() if k not in ("loader", "schedule")}
        if isinstance(self.schedule, dict):
            sd["schedule"] = {str(k): v for k, v in self.schedule.items()}
        return sd

    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = dict(state_dict)
        sched = state_dict.pop("schedule", None)
        self.__dict__.update(state_dict)
        if sched is not None:
            self.schedule = {int(k): int(v) for k, v in sched.items()}
        self.loader.batch_size = self._last_batch_size
