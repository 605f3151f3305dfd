"""glassnet.profiler against torch.profiler: the schedule's actions step by step, the steps
recorded and handed to on_trace_ready, and tensorboard_trace_handler's trace files."""

from __future__ import annotations

import json

import torch.profiler as tp

import glassnet as gn
from glassnet.profiler import (
    ProfilerAction,
    ProfilerActivity,
    profile,
    record_function,
    schedule,
    tensorboard_trace_handler,
)


def test_schedule_matches_torch():
    for kw in ({"wait": 1, "warmup": 1, "active": 2, "repeat": 2},
               {"wait": 0, "warmup": 1, "active": 1, "skip_first": 2},
               {"wait": 2, "warmup": 1, "active": 3}):
        ours, theirs = schedule(**kw), tp.schedule(**kw)
        assert [ours(i).name for i in range(20)] == [theirs(i).name for i in range(20)], kw


def test_steps_cycles_and_trace_handler(tmp_path):
    cycles = []
    handler = tensorboard_trace_handler(str(tmp_path), worker_name="w")

    def ready(p):
        cycles.append(sorted(e.name for e in p.events() if e.name.startswith("Profiler")))
        handler(p)

    lin = gn.nn.Linear(3, 3)
    with profile(activities=[ProfilerActivity.CPU],
                 schedule=schedule(wait=1, warmup=1, active=2, repeat=2),
                 on_trace_ready=ready) as prof:
        for _ in range(10):
            with record_function("body"):
                lin(gn.ones(2, 3)).sum().backward()
            prof.step()
    assert cycles == [["ProfilerStep#2", "ProfilerStep#3"], ["ProfilerStep#6", "ProfilerStep#7"]]
    files = sorted(tmp_path.glob("w.*.pt.trace.json"))
    assert len(files) == 2
    names = {e["name"] for e in json.loads(files[0].read_text())["traceEvents"]}
    assert names == {"ProfilerStep#2", "ProfilerStep#3", "body"}
    assert ProfilerAction.RECORD_AND_SAVE.name == "RECORD_AND_SAVE"


def test_without_schedule_everything_is_recorded_once():
    seen = []
    with profile(on_trace_ready=lambda p: seen.append(len(p.events()))) as prof, \
            record_function("a"):
        pass
    assert seen == [1] and [e.key for e in prof.key_averages()] == ["a"]
    assert gn.profiler.record_function is gn.autograd.profiler.record_function
