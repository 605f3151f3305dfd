"""The whole benchmark suite (``make bench``): glassnet against PyTorch, and RESULTS.md.

Runs every benchmark in ``benchmarks/`` on identical work in one process (alternating blocks, see
``harness.py``), prints each table as it completes, and writes ``benchmarks/RESULTS.md`` with the
machine, the versions, the load average, every table, the issue's targets with their status,
and the scaling plot (``benchmarks/scaling.png``, when matplotlib is available).

    python -m benchmarks.run                  # everything (about 10 minutes on 2 cores)
    python -m benchmarks.run --quick          # fewer blocks and shorter runs, a rough picture
    python -m benchmarks.run --only lenet,resnet --no-write
    python -m benchmarks.run --threads 1      # one thread for both libraries

Sections: engine, conv, mlp, optim, lenet, resnet, inference, import, memory, scaling.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from contextlib import redirect_stdout

from . import harness
from .harness import HEADER, Result

HERE = os.path.dirname(os.path.abspath(__file__))
SECTIONS = ("engine", "conv", "mlp", "optim", "lenet", "resnet", "inference", "import",
            "memory", "scaling")
LSTM_NOTE = ("LSTM training step: skipped: glassnet has no sequence models yet "
             "(the benchmark joins the suite when they land).")


class _Tee(io.TextIOBase):
    """Write to the console and keep a copy (the section's text for RESULTS.md)."""

    def __init__(self, console):
        self.console, self.buf = console, io.StringIO()

    def write(self, s):
        self.console.write(s)
        self.console.flush()
        self.buf.write(s)
        return len(s)


# ------------------------------------------------------------------ sections
def optim_results(quick=False):
    """Adam (and SGD with momentum) on 1M float32 parameters, through the harness."""
    from . import bench_optim as bo

    arrays, grads = bo._params(1_000_000)
    res = []
    for label, name, kw, target in (("Adam step, 1M parameters (lr 1e-3)", "Adam", {"lr": 1e-3},
                                     1.0),
                                    ("SGD momentum step, 1M parameters", "SGD",
                                     {"lr": 1e-2, "momentum": 0.9}, 1.0)):
        g = bo._gn_setup(getattr(bo.goptim, name), kw, arrays, grads)
        t = bo._torch_setup(getattr(bo.torch.optim, name), kw, arrays, grads)
        res.append(harness.compare(label, g.step, t.step, blocks=5 if quick else 9,
                                   min_time=0.2, target=target,
                                   notes="PyTorch default (foreach=None)"))
    harness.print_table(res, "Optimiser step (1M float32 parameters in 5 tensors)")
    return res


def run_section(name, quick, png):
    if name == "engine":
        from . import bench_engine
        return bench_engine.run()
    if name == "conv":
        from . import bench_conv
        return bench_conv.run(quick=quick)
    if name == "mlp":
        from . import bench_mlp
        return bench_mlp.run((64, 256), blocks=5 if quick else 9)
    if name == "optim":
        return optim_results(quick)
    if name == "lenet":
        from . import bench_lenet
        return bench_lenet.run(quick=quick)
    if name == "resnet":
        from . import bench_resnet
        return bench_resnet.run(quick=quick)
    if name == "inference":
        from . import bench_inference
        return bench_inference.run(quick=quick)
    if name == "import":
        from . import bench_import
        return bench_import.run(quick=quick)
    if name == "memory":
        from . import bench_memory
        return bench_memory.run(quick=quick)
    if name == "scaling":
        from . import bench_scaling
        brows, drows = bench_scaling.run(quick=quick, png=png)
        return {"batch": brows, "depth": drows}
    raise ValueError(f"unknown section {name!r}; choose from {', '.join(SECTIONS)}")


# ------------------------------------------------------------------ targets
def _find(results, prefix):
    return next((r for r in results if r.name.startswith(prefix)), None)


def targets(results, scaling):
    """(target, measured, ok) rows for the issue's targets, in its order."""
    rows = []

    def ratio_row(label, prefix, limit):
        r = _find(results, prefix)
        if r is None:
            rows.append((label, "not run", None))
        else:
            rows.append((label, f"{r.ratio:.2f} ({r.ratio_min:.2f}-{r.ratio_max:.2f}); "
                         f"{harness._fmt(r.gn_s)} vs {harness._fmt(r.torch_s)}",
                         r.ratio <= limit))

    for b in (64, 256):
        ratio_row(f"LeNet-5 training step, batch {b}: ratio <= 1.0",
                  f"LeNet-5 train step, batch {b}", 1.0)
    for b in (64, 256):
        ratio_row(f"LeNet-5 epoch with data pipeline, batch {b}: ratio <= 1.0",
                  f"LeNet-5 epoch (DataLoader), batch {b}", 1.0)
    for b in (64, 256):
        ratio_row(f"MLP 784-500-150-10 training step, batch {b}: ratio <= 1.0",
                  f"MLP 784-500-150-10 train step, batch {b}", 1.0)
    ratio_row("Adam step, 1M parameters: ratio <= 1.0", "Adam step", 1.0)
    ratio_row("resnet20 training step, batch 128: ratio <= 1.3", "resnet20 train step", 1.3)
    ratio_row("LeNet-5 inference latency, batch 1: ratio <= 0.75", "lenet5 inference", 0.75)
    ratio_row("resnet20 inference latency, batch 1: ratio <= 0.75", "resnet20 inference", 0.75)
    r = _find(results, "import glassnet vs import torch (time)")
    rows.append(("`import glassnet` <= 0.3 s", "not run" if r is None else
                 f"{r.gn_s:.3f} s (torch {r.torch_s:.2f} s)",
                 None if r is None else r.gn_s <= 0.3))
    r = _find(results, "import glassnet vs import torch (peak RSS")
    rows.append(("`import glassnet` <= 60 MiB peak RSS", "not run" if r is None else
                 f"{r.gn_s:.1f} MiB (torch {r.torch_s:.0f} MiB)",
                 None if r is None else r.gn_s <= 60))
    r = _find(results, "peak RSS of a LeNet-5")
    rows.append(("Peak RSS of a LeNet-5 epoch <= PyTorch's", "not run" if r is None else
                 f"{r.gn_s:.0f} MiB vs {r.torch_s:.0f} MiB (ratio {r.ratio:.2f})",
                 None if r is None else r.ratio <= 1.0))
    peak = harness.PEAK.get("gflops")
    for b in (64, 256):
        r = _find(results, f"LeNet-5 train step, batch {b}")
        if r is None or not peak:
            rows.append((f"LeNet-5 step (batch {b}) at >= 25% of matmul peak", "not run", None))
        else:
            pct = 100 * r.gflops / peak
            rows.append((f"LeNet-5 step (batch {b}) at >= 25% of matmul peak",
                         f"{r.gflops:.1f} GFLOP/s = {pct:.0f}% of {peak:.0f} "
                         f"(PyTorch {100 * r.torch_gflops / peak:.0f}%)", pct >= 25))
    if scaling:
        b = scaling.get("batch") or []
        if b:
            big = [g for bb, g, _, _ in b if bb >= 64]
            rows.append(("time per sample flat for batch 64-512 (max/min <= 1.3)",
                         f"{max(big) / min(big):.2f}", max(big) / min(big) <= 1.3))
        d = scaling.get("depth") or []
        if d:
            per = [g for _, g, _, _ in d]
            rows.append(("time per layer flat for resnet20-110 (max/min <= 1.3)",
                         f"{max(per) / min(per):.2f}", max(per) / min(per) <= 1.3))
    return rows


# ------------------------------------------------------------------ RESULTS.md
def summary_text(results, rows):
    """The short performance section proposed for the README."""
    def r(prefix):
        return _find(results, prefix)

    parts = []
    for label, prefix in (("LeNet-5 training step, batch 64", "LeNet-5 train step, batch 64"),
                          ("LeNet-5 training step, batch 256", "LeNet-5 train step, batch 256"),
                          ("LeNet-5 epoch with data loading, batch 64",
                           "LeNet-5 epoch (DataLoader), batch 64"),
                          ("MLP 784-500-150-10 step, batch 64",
                           "MLP 784-500-150-10 train step, batch 64"),
                          ("resnet20 training step, batch 128", "resnet20 train step"),
                          ("Adam step, 1M parameters", "Adam step"),
                          ("LeNet-5 inference, batch 1", "lenet5 inference")):
        x = r(prefix)
        if x is not None:
            parts.append(f"| {label} | {harness._fmt(x.gn_s)} | {harness._fmt(x.torch_s)} | "
                         f"{x.ratio:.2f} |")
    imp = r("import glassnet vs import torch (time)")
    mem = r("import glassnet vs import torch (peak RSS")
    met = sum(1 for _, _, ok in rows if ok)
    total = sum(1 for _, _, ok in rows if ok is not None)
    lines = ["## Performance", "",
             "glassnet is plain NumPy, and on the CPU it trains the course's networks at "
             "PyTorch's speed or faster. Measured with `make bench` (glassnet and PyTorch "
             "2.13 in one process on identical work, alternating blocks; ratio = glassnet / "
             "PyTorch time, lower is better; details and the machine in "
             "[benchmarks/RESULTS.md](benchmarks/RESULTS.md)):", "",
             "| workload | glassnet | PyTorch | ratio |", "|---|---|---|---|", *parts, ""]
    if imp is not None and mem is not None:
        lines.append(f"`import glassnet` takes {imp.gn_s:.2f} s and {mem.gn_s:.0f} MiB "
                     f"(`import torch`: {imp.torch_s:.1f} s, {mem.torch_s:.0f} MiB).")
    lines.append(f"{met} of {total} performance targets met on the last run.")
    return "\n".join(lines)


def write_results(path, info, sections_text, results, rows, scaling, png_ok, elapsed, load0,
                  args):
    peak = harness.PEAK
    out = ["# glassnet vs PyTorch: benchmark results", "",
           "Generated by `make bench` (`python -m benchmarks.run`). Every number is a median "
           "over alternating blocks in one process; ratio = glassnet / PyTorch (lower is "
           "better) with its min-max over blocks.", "",
           "## Summary for README", "", summary_text(results, rows), "",
           "## Machine", "",
           f"- CPU: {info.get('cpu', '?')}, {info.get('cpus')} logical cores, SIMD: "
           f"{info.get('simd', '?')}",
           f"- Python {info['python']}, NumPy {info['numpy']} on {info.get('blas', '?')}; "
           f"PyTorch {info.get('torch')} ({info.get('torch_threads')} threads); glassnet "
           f"{info.get('glassnet')}",
           f"- float32 matmul peak (2048x2048, best of 5): NumPy {peak.get('numpy', 0):.0f} "
           f"GFLOP/s, PyTorch {peak.get('torch', 0):.0f} GFLOP/s",
           f"- threads: {'library defaults' if not args.threads else args.threads}",
           f"- load average (1, 5, 15 min) at start {tuple(round(v, 2) for v in load0)}, at end "
           f"{tuple(round(v, 2) for v in os.getloadavg())}: the machine was shared, so "
           "min-max ranges are wide where the load was high",
           f"- run took {elapsed / 60:.1f} min{' (--quick)' if args.quick else ''}", "",
           "## Targets", "", "| target | measured | status |", "|---|---|---|"]
    for label, measured, ok in rows:
        out.append(f"| {label} | {measured} | "
                   f"{'-' if ok is None else ('met' if ok else '**missed**')} |")
    out += ["", "## All comparisons", "", HEADER]
    out += [r.row() for r in results if r.torch_s and "RSS" not in r.name
            and "import" not in r.name]
    out += ["", f"- {LSTM_NOTE}"]
    for r in results:
        if r.notes:
            out.append(f"- {r.name}: {r.notes}")
    out += ["", "## Section output", ""]
    for name, text in sections_text:
        out += [f"<details><summary>{name}</summary>", "", text.strip(), "", "</details>", ""]
    if png_ok:
        out += ["## Scaling plot", "", "![scaling curves](scaling.png)", ""]
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


# ------------------------------------------------------------------ main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer blocks, shorter runs")
    ap.add_argument("--only", default="", help=f"comma-separated sections ({','.join(SECTIONS)})")
    ap.add_argument("--threads", type=int, default=None,
                    help="threads for both libraries (default: each library's own)")
    ap.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    args = ap.parse_args(argv)
    sections = [s for s in args.only.split(",") if s] or list(SECTIONS)
    for s in sections:
        if s not in SECTIONS:
            ap.error(f"unknown section {s!r}; choose from {', '.join(SECTIONS)}")

    load0 = os.getloadavg()
    t_start = time.perf_counter()
    if args.threads:
        import torch
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(args.threads)
        threadpool_limits(args.threads)
        from glassnet.optim._elementwise import set_num_threads

        set_num_threads(args.threads)
    info = harness.machine_info()
    peak = harness.matmul_peak()
    print(f"# glassnet vs PyTorch on {info.get('cpu')} ({info.get('cpus')} cores); float32 "
          f"matmul peak: NumPy {peak['numpy']:.0f}, PyTorch {peak['torch']:.0f} GFLOP/s; "
          f"load average {load0[0]:.2f}", flush=True)
    png = os.path.join(HERE, "scaling.png") if "scaling" in sections else None
    results, texts, scaling = [], [], None
    for name in sections:
        t0 = time.perf_counter()
        tee = _Tee(sys.stdout)
        with redirect_stdout(tee):
            out = run_section(name, args.quick, png)
        if name == "scaling":
            scaling = out
        else:
            results += list(out)
        texts.append((name, tee.buf.getvalue()))
        print(f"[{name}: {time.perf_counter() - t0:.0f} s, load {os.getloadavg()[0]:.2f}]",
              flush=True)
    rows = targets(results, scaling)
    print("\n## Targets\n")
    for label, measured, ok in rows:
        print(f"- {label}: {measured} -> {'-' if ok is None else ('met' if ok else 'MISSED')}")
    print(f"- {LSTM_NOTE}")
    elapsed = time.perf_counter() - t_start
    if not args.no_write and not args.only:
        png_ok = png is not None and os.path.exists(png)
        write_results(args.out, info, texts, results, rows, scaling, png_ok, elapsed, load0,
                      args)
        print(f"\nwrote {args.out} ({elapsed / 60:.1f} min)")
    elif args.only and not args.no_write:
        print("\n(--only: RESULTS.md not written; it needs every section)")
    return results


if __name__ == "__main__":
    main()
