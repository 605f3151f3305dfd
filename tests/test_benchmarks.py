"""The benchmark harness and report (benchmarks/): fast checks, no real timing runs."""

import argparse

import pytest

from benchmarks import harness, report
from benchmarks.harness import Result, compare


def test_compare_alternates_and_reports_ratio():
    calls = []
    r = compare("toy", lambda: calls.append("g"), lambda: calls.append("t"), blocks=4, reps=2,
                warmup=1, target=1.0, flops=1e6)
    assert r.extra == {"blocks": 4, "reps": 2}
    assert calls.count("g") == calls.count("t") == 1 + 4 * 2
    assert r.ratio_min <= r.ratio <= r.ratio_max
    assert r.gflops > 0 and "toy" in r.row()


def test_compare_scale_multiplies_times_not_ratio():
    r1 = compare("a", lambda: None, lambda: None, blocks=3, reps=1, warmup=0)
    r2 = compare("a", lambda: None, lambda: None, blocks=3, reps=1, warmup=0, scale=1000.0)
    assert r2.gn_s > r1.gn_s * 10


def test_targets_and_results_file(tmp_path):
    res = [Result("LeNet-5 train step, batch 64", 0.010, 0.008, 1.25, 1.1, 1.4, 1.45e8, 1.0),
           Result("Adam step, 1M parameters", 0.002, 0.0025, 0.8, 0.7, 0.9, target=1.0),
           Result("import glassnet vs import torch (time)", 0.17, 1.3, 0.13, 0.1, 0.2),
           Result("import glassnet vs import torch (peak RSS, MiB)", 35, 218, 0.16, 0.1, 0.2),
           Result("peak RSS of a LeNet-5 epoch, batch 64 (MiB)", 250, 505, 0.5, 0.5, 0.5)]
    harness.PEAK["gflops"] = 100.0
    rows = report.targets(res, {"batch": [(64, 2e-4, 1e-4, 2.0), (512, 1e-4, 1e-4, 1.0)]},
                          res[:1])
    by = {r[0]: r for r in rows}
    assert by["LeNet-5 training step, batch 64: ratio <= 1.0"][2] is False
    assert by["Adam step, 1M parameters: ratio <= 1.0"][2] is True
    assert by["`import glassnet` <= 0.3 s"][2] is True
    assert by["glassnet time per sample flat for batch 64-512 (max/min <= 1.3)"][4] is False
    out = tmp_path / "RESULTS.md"
    info = {"python": "3", "numpy": "2", "cpus": 2, "loadavg": (0.1, 0.1, 0.1)}
    report.write_results(str(out), info, [("lenet", "| table |")], res, rows, res[:1], False,
                         60.0, (0.1, 0.1, 0.1), argparse.Namespace(threads=None, quick=False))
    text = out.read_text()
    assert text.index("## Summary for README") < text.index("## Targets")
    assert "**missed**" in text and "1.25" in text


@pytest.mark.parametrize("s,unit", [(5e-6, "us"), (5e-3, "ms"), (2.5, "s")])
def test_time_format(s, unit):
    assert harness._fmt(s).endswith(" " + unit)


@pytest.mark.filterwarnings("ignore:Sparse")
def test_sparse_benchmark_runs_on_a_tiny_graph(capsys, monkeypatch):
    import torch

    import glassnet as gn
    from benchmarks import bench_sparse

    # the benchmark pins both libraries to one thread; the test session keeps its setting
    monkeypatch.setattr(gn, "set_num_threads", lambda n: None)
    monkeypatch.setattr(torch, "set_num_threads", lambda n: None)

    ind, w = bench_sparse.graph(30, 100)
    assert ind.shape == (2, 130) and w.shape == (130,)
    bench_sparse.main(["--nodes", "30", "--edges", "100", "--features", "4", "--repeat", "1"])
    out = capsys.readouterr().out
    assert "propagate CSR" in out and "GCNConv COO" in out and "glassnet, NumPy only" in out
