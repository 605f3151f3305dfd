"""``torch.autograd.profiler``: time the labelled regions of a program.

``record_function(name)`` marks a region (a ``with`` block or a decorated function); while a
``profile()`` is active, each pass through a region is recorded as an event with its wall-clock
start and end. Regions nest: an event's *self* time is its total time minus the time of the
regions directly inside it. ``prof.key_averages().table()`` sums the events per name::

    with profile() as prof:
        with record_function("forward"):
            out = model(x)
        with record_function("backward"):
            out.sum().backward()
    print(prof.key_averages().table(sort_by="cpu_time_total"))

glassnet records only the regions the program labels (and ``ProfilerStep#n`` for the steps of
``glassnet.profiler.profile``), not every operator as PyTorch does; times are wall-clock
microseconds on the CPU. Outside a ``profile`` a region costs one list lookup.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time

__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg", "profile", "record_function"]

_ACTIVE: list = []  # the profiles recording now (innermost last)


class FunctionEvent:
    """One pass through a region: ``name``, start and end (microseconds since the profile
    began), the thread, and the total and self times."""

    def __init__(self, name, start_us, thread, input_shapes=None):
        self.name = self.key = name
        self.start_us = start_us
        self.end_us = start_us
        self.thread = thread
        self.input_shapes = input_shapes or []
        self.cpu_children = []
        self.count = 1

    @property
    def cpu_time_total(self):
        return self.end_us - self.start_us

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def cpu_time(self):
        return self.cpu_time_total

    def __repr__(self):
        return (f"<FunctionEvent name={self.name!r} cpu_time_total={self.cpu_time_total:.1f}us "
                f"self_cpu_time_total={self.self_cpu_time_total:.1f}us>")


class FunctionEventAvg:
    """The events of one name summed: ``count``, ``cpu_time_total``, ``self_cpu_time_total``
    and ``cpu_time`` (the mean per call), all in microseconds."""

    def __init__(self, key, input_shapes=None):
        self.key = key
        self.input_shapes = input_shapes
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0

    def add(self, event):
        self.count += event.count
        self.cpu_time_total += event.cpu_time_total
        self.self_cpu_time_total += event.self_cpu_time_total
        return self

    @property
    def cpu_time(self):
        return self.cpu_time_total / self.count if self.count else 0.0

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key!r} count={self.count} "
                f"cpu_time_total={self.cpu_time_total:.1f}us>")


class EventList(list):
    """A list of events with PyTorch's summaries: ``key_averages``, ``table``,
    ``total_average`` and ``export_chrome_trace``."""

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0):
        """One ``FunctionEventAvg`` per region name (and input shapes, if asked)."""
        groups = {}
        for e in self:
            key = (e.key, str(e.input_shapes)) if group_by_input_shape else e.key
            if key not in groups:
                groups[key] = FunctionEventAvg(e.key, e.input_shapes if group_by_input_shape
                                               else None)
            groups[key].add(e)
        return EventList(groups.values())

    def total_average(self):
        total = FunctionEventAvg("Total")
        for e in self:
            total.add(e)
        return total

    @property
    def self_cpu_time_total(self):
        return sum(e.self_cpu_time_total for e in self)

    def table(self, sort_by=None, row_limit=100, max_name_column_width=55, header=None,
              top_level_events_only=False, **kwargs):
        """A text table, one row per entry, sorted by ``sort_by`` (``"cpu_time_total"``,
        ``"self_cpu_time_total"``, ``"cpu_time"`` or ``"count"``; largest first)."""
        rows = list(self)
        if sort_by is not None:
            key = sort_by.replace("cuda", "cpu").replace("device", "cpu")
            if not rows or not hasattr(rows[0], key):
                raise AttributeError(f"table: cannot sort by {sort_by!r}; use cpu_time_total, "
                                     f"self_cpu_time_total, cpu_time or count")
            rows.sort(key=lambda e: getattr(e, key), reverse=True)
        if row_limit is not None and row_limit >= 0:
            rows = rows[:row_limit]
        self_total = self.self_cpu_time_total or 1.0
        w = max([len("Name")] + [min(len(e.key), max_name_column_width) for e in rows])
        cols = ["Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg",
                "# of Calls"]
        line = "-" * (w + 2) + "  " + "  ".join("-" * 13 for _ in cols)
        out = [line, f"{'Name':>{w + 2}}  " + "  ".join(f"{c:>13}" for c in cols), line]
        for e in rows:
            out.append(f"{e.key[:w]:>{w + 2}}  "
                       f"{100 * e.self_cpu_time_total / self_total:>12.2f}%  "
                       f"{_fmt(e.self_cpu_time_total):>13}  "
                       f"{100 * e.cpu_time_total / self_total:>12.2f}%  "
                       f"{_fmt(e.cpu_time_total):>13}  {_fmt(e.cpu_time):>13}  {e.count:>13}")
        out += [line, f"Self CPU time total: {_fmt(self.self_cpu_time_total)}"]
        return "\n".join(out) + "\n"

    def export_chrome_trace(self, path):
        """Write the events in the Chrome trace format (open in chrome://tracing or Perfetto)."""
        trace = [{"name": e.name, "ph": "X", "ts": e.start_us, "dur": e.cpu_time_total,
                  "pid": 0, "tid": e.thread, "cat": "cpu_op",
                  "args": {"Input Dims": e.input_shapes}} for e in self
                 if isinstance(e, FunctionEvent)]
        with open(path, "w") as f:
            json.dump({"traceEvents": trace, "displayTimeUnit": "ms"}, f)

    def __str__(self):
        return self.table()


def _fmt(us):
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


class profile:
    """Record the ``record_function`` regions run inside the ``with`` block.

    Args:
        enabled: record (default True); False makes the block a no-op.
        record_shapes: keep the shapes of the tensors a region was given (its ``args``).
        use_cuda, use_device, profile_memory, with_stack, with_flops, with_modules, use_kineto,
            use_cpu, experimental_config, acc_events: accepted for PyTorch compatibility; only
            CPU wall time is measured.
    """

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False,
                 with_flops=False, profile_memory=False, with_stack=False, with_modules=False,
                 use_kineto=False, use_cpu=True, experimental_config=None, acc_events=False,
                 custom_trace_id_callback=None):
        self.enabled = enabled
        self.record_shapes = record_shapes
        self._events = EventList()
        self._stacks = {}
        self._t0 = None

    def __enter__(self):
        if self.enabled:
            self._t0 = time.perf_counter()
            _ACTIVE.append(self)
        return self

    def __exit__(self, *exc):
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        return False

    def _now(self):
        return (time.perf_counter() - self._t0) * 1e6

    def _open(self, name, args):
        tid = threading.get_ident()
        shapes = ([list(getattr(a, "shape", ())) for a in args]
                  if self.record_shapes and args else None)
        ev = FunctionEvent(name, self._now(), tid, shapes)
        stack = self._stacks.setdefault(tid, [])
        if stack:
            stack[-1].cpu_children.append(ev)
        stack.append(ev)
        return ev

    def _close(self, ev):
        ev.end_us = self._now()
        stack = self._stacks.get(ev.thread, [])
        if ev in stack:
            del stack[stack.index(ev):]
        self._events.append(ev)

    def events(self):
        """Every recorded event, in the order they ended."""
        return self._events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0):
        return self._events.key_averages(group_by_input_shape, group_by_stack_n)

    def table(self, *args, **kwargs):
        return self._events.table(*args, **kwargs)

    def total_average(self):
        return self._events.total_average()

    @property
    def self_cpu_time_total(self):
        return self._events.self_cpu_time_total

    def export_chrome_trace(self, path):
        self._events.export_chrome_trace(path)


class record_function(contextlib.ContextDecorator):
    """Label a region of the program for the active profilers: ``with record_function(name):``
    or ``@record_function(name)`` on a function. ``args`` (tensors) give the recorded input
    shapes when the profile has ``record_shapes=True``."""

    def __init__(self, name, args=None):
        self.name = name
        self.args = args if isinstance(args, (tuple, list)) else (() if args is None else (args,))
        self._open = []

    def __enter__(self):
        self._open.append([(p, p._open(self.name, self.args)) for p in _ACTIVE])
        return self

    def __exit__(self, *exc):
        for p, ev in self._open.pop() if self._open else ():
            p._close(ev)
        return False
