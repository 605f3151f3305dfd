"""``torch.multiprocessing``: Python's ``multiprocessing`` plus ``spawn`` and shared tensors.

Everything in the standard library's ``multiprocessing`` is here under the same names
(``Process``, ``Queue``, ``Pipe``, ``Pool``, ``set_start_method``, ``cpu_count``...).

Tensors and modules move into shared memory with ``tensor.share_memory_()`` and
``module.share_memory()``. A process started afterwards with the ``fork`` start method (Linux's
default) sees the same memory: the parameters of one model, updated in place by optimisers in
several processes at once, as in Hogwild! training (Niu et al., 2011)::

    model.share_memory()
    workers = [mp.Process(target=train, args=(model,)) for _ in range(4)]

With ``spawn`` or ``forkserver`` a tensor passed to a child is a pickled copy, not shared.

``spawn(fn, args, nprocs)`` starts ``nprocs`` processes running ``fn(i, *args)`` with
``i = 0 .. nprocs-1`` (one per rank, as a distributed job does), waits for them, and raises
``ProcessRaisedException`` naming the rank if one of them failed.
"""

from __future__ import annotations

import multiprocessing as _mp
import traceback as _traceback
from multiprocessing import *
from multiprocessing import __all__ as _mp_all

__all__ = [*_mp_all, "ProcessContext",  # noqa: PLE0604 - the standard library's names "ProcessExitedException", "ProcessRaisedException",
           "get_all_sharing_strategies", "get_sharing_strategy", "set_sharing_strategy",
           "spawn", "start_processes"]

_STRATEGY = ["file_descriptor"]


def get_all_sharing_strategies():
    """The ways shared tensors may reach other processes; here always shared mappings."""
    return {"file_descriptor", "file_system"}


def get_sharing_strategy():
    return _STRATEGY[0]


def set_sharing_strategy(new_strategy):
    if new_strategy not in get_all_sharing_strategies():
        raise ValueError(f"set_sharing_strategy: expected one of "
                         f"{sorted(get_all_sharing_strategies())}, got {new_strategy!r}")
    _STRATEGY[0] = new_strategy


class ProcessRaisedException(Exception):
    """A process started by ``spawn`` raised; ``error_index`` is its rank, ``pid`` its id."""

    def __init__(self, msg, error_index, error_pid):
        super().__init__(msg)
        self.error_index = error_index
        self.pid = error_pid


class ProcessExitedException(ProcessRaisedException):
    """A process started by ``spawn`` exited with a non-zero status (``exit_code``)."""

    def __init__(self, msg, error_index, error_pid, exit_code, signal_name=None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code = exit_code
        self.signal_name = signal_name


def _wrap(fn, i, args, error_queue):
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass
    except Exception:  # noqa: BLE001 - any failure of the child is reported to the parent
        error_queue.put(_traceback.format_exc())
        raise SystemExit(1) from None


class ProcessContext:
    """The processes of one ``spawn``: ``join()`` waits for them and re-raises a failure."""

    def __init__(self, processes, error_queues):
        self.processes = processes
        self.error_queues = error_queues

    def pids(self):
        return [p.pid for p in self.processes]

    def join(self, timeout=None):
        """Wait for every process; True once all have exited successfully. The first failure
        stops the others and raises with the child's traceback."""
        for i, p in enumerate(self.processes):
            p.join(timeout)
            if p.exitcode is None:
                return False
            if p.exitcode != 0:
                for q in self.processes:
                    if q.is_alive():
                        q.terminate()
                tb = "" if self.error_queues[i].empty() else self.error_queues[i].get()
                if tb:
                    raise ProcessRaisedException(
                        f"\n\n-- Process {i} terminated with the following error:\n{tb}", i, p.pid)
                raise ProcessExitedException(
                    f"process {i} terminated with exit code {p.exitcode}", i, p.pid, p.exitcode)
        return True


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Start ``nprocs`` processes running ``fn(i, *args)`` with the given start method;
    join them (``join=True``) or return their ``ProcessContext``."""
    ctx = _mp.get_context(start_method)
    processes, queues = [], []
    for i in range(nprocs):
        q = ctx.SimpleQueue()
        p = ctx.Process(target=_wrap, args=(fn, i, args, q), daemon=daemon)
        p.start()
        processes.append(p)
        queues.append(q)
    context = ProcessContext(processes, queues)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """``start_processes`` with the ``spawn`` start method (each child a fresh interpreter):
    ``fn`` and ``args`` must be picklable, ``fn`` defined at module level."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)
