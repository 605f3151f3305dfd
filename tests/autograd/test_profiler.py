"""glassnet.autograd.profiler: record_function regions (nested, as decorators, per thread),
self and total times, key_averages and its table, and the Chrome trace export."""

from __future__ import annotations

import json
import time

import pytest

from glassnet.autograd.profiler import profile, record_function


def test_nested_regions_times_and_table(tmp_path):
    @record_function("leaf")
    def leaf():
        time.sleep(0.002)

    with profile(record_shapes=True) as prof, record_function("outer"):
        leaf()
        leaf()
    with record_function("not recorded"):
        pass
    events = {e.name: e for e in prof.events()}
    assert set(events) == {"outer", "leaf"}
    outer = events["outer"]
    assert len(outer.cpu_children) == 2
    assert outer.cpu_time_total >= sum(c.cpu_time_total for c in outer.cpu_children) >= 4000
    assert outer.self_cpu_time_total == pytest.approx(
        outer.cpu_time_total - sum(c.cpu_time_total for c in outer.cpu_children))
    avg = {e.key: e for e in prof.key_averages()}
    assert avg["leaf"].count == 2 and avg["outer"].count == 1
    assert avg["leaf"].cpu_time == pytest.approx(avg["leaf"].cpu_time_total / 2)
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=1)
    assert "leaf" in table and "outer" not in table and "Self CPU time total" in table
    with pytest.raises(AttributeError, match="table: cannot sort by"):
        prof.key_averages().table(sort_by="flops_per_watt")
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    trace = json.loads(path.read_text())["traceEvents"]
    assert sorted(e["name"] for e in trace) == ["leaf", "leaf", "outer"]


def test_disabled_profile_records_nothing():
    with profile(enabled=False) as prof, record_function("x"):
        pass
    assert len(prof.events()) == 0
