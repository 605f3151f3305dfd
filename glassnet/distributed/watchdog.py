"""Failing loudly under MPI: an error on one rank ends the whole job; a hung collective times out.

An MPI job of K processes hangs forever in two situations unless something ends it:

1. **An uncaught exception on one rank.** That rank prints its traceback and exits, while the
   others wait inside their next collective for a partner that never comes. So
   ``init_process_group`` installs a ``sys.excepthook`` that prints the traceback (through the
   hook it replaces) and then calls ``MPI.COMM_WORLD.Abort(1)``, which ends every rank:
   ``mpiexec`` exits with a non-zero status about a second later. ``destroy_process_group``
   puts the previous hook back.
2. **A rank that stops calling collectives** (stuck in a loop, deadlocked, waiting on input, or
   calling a different collective than the others). Each collective runs under a watchdog, as
   PyTorch's process groups do: a collective that has not completed ``timeout`` after it began
   (``init_process_group(timeout=timedelta(...))``, default 30 minutes as in PyTorch) is
   reported on stderr as a ``DistBackendError`` naming the collective, the rank and the Python
   stack of the waiting call, and the job is aborted. A blocked MPI call cannot be interrupted
   from Python, so the watchdog, a daemon thread waking at most once a second, does the
   reporting and the abort (the NCCL backend of PyTorch does the same).

A rank killed by a signal (``kill -9``, the out-of-memory killer) needs nothing from glassnet:
the MPI launcher sees the process die and ends the others. A rank that leaves through
``sys.exit`` or the end of the script while the others still wait is not an exception; the
others' watchdog ends the job when their collective times out.

Both are installed only in a world of more than one process: a single process has no one to
wait for, and its errors already end it.
"""

from __future__ import annotations

import datetime
import sys
import threading
import time
import traceback

__all__ = ["DistBackendError", "DistError", "default_pg_timeout", "watch"]

default_pg_timeout = datetime.timedelta(minutes=30)  # torch.distributed.default_pg_timeout
_GRACE_S = 0.25  # between a report and the abort, for the launcher to forward the report


class DistError(RuntimeError):
    """An error in glassnet.distributed (``torch.distributed.DistError``)."""


class DistBackendError(DistError):
    """The communication backend failed, e.g. a collective timed out
    (``torch.distributed.DistBackendError``)."""


def timeout_seconds(timeout, what="init_process_group") -> float:
    """Seconds of a ``timedelta`` timeout (None: the default of 30 minutes)."""
    if timeout is None:
        timeout = default_pg_timeout
    if not isinstance(timeout, datetime.timedelta):
        raise TypeError(f"{what}: expected timeout argument to be of type datetime.timedelta, got "
                        f"{type(timeout).__name__}")
    seconds = timeout.total_seconds()
    if seconds <= 0:
        raise ValueError(f"{what}: timeout must be positive, got {timeout}")
    return seconds


class _Null:
    """The guard when no watchdog runs (a world of one process, or no process group)."""

    __slots__ = ()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_NULL = _Null()


class _Guard:
    """Marks the calling thread as waiting in collective ``name`` until ``__exit__``."""

    __slots__ = ("dog", "entry", "key", "previous")

    def __init__(self, dog, name, seconds):
        self.dog, self.entry = dog, (name, seconds)

    def __enter__(self):
        self.key = threading.get_ident()
        name, seconds = self.entry
        self.previous = self.dog.active.get(self.key)
        self.dog.active[self.key] = (name, time.monotonic() + seconds, seconds)
        return self

    def __exit__(self, *exc):
        if self.previous is None:
            self.dog.active.pop(self.key, None)
        else:
            self.dog.active[self.key] = self.previous
        return False


class _Watchdog:
    """The daemon thread that aborts the job when a guarded collective outlives its timeout,
    and the excepthook that aborts it on an uncaught exception."""

    def __init__(self, abort, rank, size, seconds):
        self.abort, self.rank, self.size = abort, rank, size
        self.active = {}  # thread id -> (collective, deadline, timeout in seconds)
        self.period = min(1.0, max(0.05, seconds / 10))
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="glassnet-distributed-watchdog",
                                       daemon=True)
        self.previous_hook = sys.excepthook

    def start(self):
        sys.excepthook = self.excepthook
        self.thread.start()

    def close(self):
        self.stop.set()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(timeout=5)
        if sys.excepthook == self.excepthook:
            sys.excepthook = self.previous_hook

    def excepthook(self, exc_type, exc, tb):
        try:
            self.previous_hook(exc_type, exc, tb)
            sys.stderr.write(f"glassnet.distributed: uncaught {exc_type.__name__} on rank "
                             f"{self.rank} of {self.size}: aborting the whole MPI job\n")
            sys.stderr.flush()
            sys.stdout.flush()
            time.sleep(_GRACE_S)
        finally:
            self.abort(1)

    def _run(self):
        while not self.stop.wait(self.period):
            now = time.monotonic()
            for key, (name, deadline, seconds) in list(self.active.items()):
                if now > deadline:
                    self._expire(key, name, seconds)
                    return

    def _expire(self, key, name, seconds):
        frame = sys._current_frames().get(key)
        stack = "".join(traceback.format_stack(frame)) if frame is not None else ""
        waited = datetime.timedelta(seconds=round(seconds, 3))
        try:
            sys.stderr.write(
                f"Traceback of the waiting call (most recent call last):\n{stack}"
                f"glassnet.distributed.DistBackendError: rank {self.rank} of {self.size}: "
                f"{name} did not complete within the timeout of {waited}: a rank of the group "
                "never joined it (it stopped calling collectives, is stuck, or called a "
                "different collective); aborting the whole MPI job. The timeout is "
                "init_process_group(timeout=datetime.timedelta(...)).\n")
            sys.stderr.flush()
            sys.stdout.flush()
            time.sleep(_GRACE_S)
        finally:
            self.abort(1)


_dog: _Watchdog | None = None


def start(abort, rank, size, seconds):
    """Install the excepthook and start the watchdog (``init_process_group``)."""
    global _dog
    stop()
    _dog = _Watchdog(abort, rank, size, seconds)
    _dog.start()


def stop():
    """Stop the watchdog and restore the previous excepthook (``destroy_process_group``)."""
    global _dog
    if _dog is not None:
        _dog.close()
        _dog = None


def watch(name, seconds):
    """Context manager around a blocking collective: the job aborts if it outlives ``seconds``.

    A no-op (one global lookup) when no watchdog runs.
    """
    dog = _dog
    return _NULL if dog is None else _Guard(dog, name, seconds)
