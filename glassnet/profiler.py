"""``torch.profiler``: profile a training loop step by step.

``profile`` is ``glassnet.autograd.profiler.profile`` with PyTorch's step API: ``prof.step()``
at the end of every iteration marks a ``ProfilerStep#n`` region, ``schedule(wait=, warmup=,
active=, repeat=)`` chooses the steps that are recorded, and ``on_trace_ready`` (for instance
``tensorboard_trace_handler(dir)``, which writes a Chrome trace) is called at the end of each
recorded cycle::

    with profile(activities=[ProfilerActivity.CPU],
                 schedule=schedule(wait=1, warmup=1, active=2),
                 on_trace_ready=tensorboard_trace_handler("./log")) as prof:
        for x, y in loader:
            with record_function("train_step"):
                train_step(x, y)
            prof.step()

As in ``glassnet.autograd.profiler``, what is timed is the labelled regions (wall-clock CPU
microseconds), not every operator; ``activities`` other than CPU are accepted and ignored.
"""

from __future__ import annotations

import enum
import os
import socket
import time

from .autograd.profiler import _ACTIVE, EventList, record_function
from .autograd.profiler import profile as _profile

__all__ = ["ProfilerAction", "ProfilerActivity", "profile", "record_function", "schedule",
           "supported_activities", "tensorboard_trace_handler"]


class ProfilerActivity(enum.Enum):
    """What a profile would record: only ``CPU`` time is measured in glassnet."""

    CPU = 0
    CUDA = 1
    MPS = 2
    XPU = 3
    MTIA = 4
    PrivateUse1 = 5


class ProfilerAction(enum.Enum):
    """What the profiler does at a step, as a schedule returns it."""

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def supported_activities():
    return {ProfilerActivity.CPU}


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """A schedule: after ``skip_first`` steps, cycles of ``wait`` idle steps, ``warmup`` steps
    and ``active`` recorded steps (the last one ``RECORD_AND_SAVE``), ``repeat`` times (0:
    forever)."""
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise ValueError(f"schedule: invalid arguments wait={wait}, warmup={warmup}, "
                         f"active={active}, repeat={repeat}, skip_first={skip_first}")
    cycle = wait + warmup + active

    def action(step):
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if repeat and step // cycle >= repeat:
            return ProfilerAction.NONE
        k = step % cycle
        if k < wait:
            return ProfilerAction.NONE
        if k < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if k < cycle - 1 else ProfilerAction.RECORD_AND_SAVE

    return action


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False):
    """An ``on_trace_ready`` that writes each recorded cycle to
    ``dir_name/<worker>.<time>.pt.trace.json`` (Chrome trace format)."""
    def handler(prof):
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        path = os.path.join(dir_name, f"{worker}.{time.time_ns()}.pt.trace.json")
        prof.export_chrome_trace(path)

    return handler


class profile(_profile):
    """A profile with steps: see the module docstring. Without a ``schedule`` every step is
    recorded; ``on_trace_ready`` is then called when the profile stops."""

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None,
                 record_shapes=False, profile_memory=False, with_stack=False, with_flops=False,
                 with_modules=False, experimental_config=None, execution_trace_observer=None,
                 acc_events=False, use_cuda=None, custom_trace_id_callback=None):
        super().__init__(record_shapes=record_shapes)
        self.activities = set(activities) if activities else supported_activities()
        self.schedule = schedule
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self._step_region = None
        self._stepping = False

    def _action(self, step):
        return self.schedule(step) if self.schedule is not None else ProfilerAction.RECORD

    def _recording(self, action):
        return action in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)

    def _begin_step(self):
        if self._recording(self._action(self.step_num)):
            if self not in _ACTIVE:
                _ACTIVE.append(self)
            if not self._stepping:  # as in PyTorch, steps are labelled once step() is used
                return
            self._step_region = record_function(f"ProfilerStep#{self.step_num}")
            self._step_region.__enter__()

    def _end_step(self):
        if self._step_region is not None:
            self._step_region.__exit__(None, None, None)
            self._step_region = None

    def start(self):
        self._t0 = time.perf_counter()
        self._begin_step()

    def stop(self):
        self._end_step()
        recorded = self in _ACTIVE
        if recorded:
            _ACTIVE.remove(self)
        if recorded and self.on_trace_ready is not None and self._events:
            self.on_trace_ready(self)

    def step(self):
        """End the current step and begin the next one."""
        self._stepping = True
        self._end_step()
        prev = self._action(self.step_num)
        self.step_num += 1
        if prev == ProfilerAction.RECORD_AND_SAVE or not self._recording(self._action(
                self.step_num)):
            if self in _ACTIVE:
                _ACTIVE.remove(self)
            if prev == ProfilerAction.RECORD_AND_SAVE and self.on_trace_ready is not None:
                self.on_trace_ready(self)
        if self._recording(self._action(self.step_num)) and not self._recording(prev) or \
                prev == ProfilerAction.RECORD_AND_SAVE:
            self._events = EventList()  # a new cycle starts with no events
            self._stacks = {}
        self._begin_step()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False
