"""The whole benchmark suite (``make bench``): glassnet against PyTorch, and RESULTS.md.

Runs every benchmark in ``benchmarks/`` on identical work in one process (alternating blocks, see
``harness.py``), prints each table as it completes, and writes ``benchmarks/RESULTS.md`` with the
machine, the versions, the load average, every table, the issue's targets with their status,
and the scaling plot (``benchmarks/scaling.png``, when matplotlib is available).

    python -m benchmarks.run                  # everything (about 10 minutes on 2 cores)
    python -m benchmarks.run --quick          # fewer blocks and shorter runs, a rough picture
    python -m benchmarks.run --only lenet,resnet --no-write
    python -m benchmarks.run --threads 1      # one thread for both libraries

Sections: engine, conv, mlp, optim, lenet, resnet, lstm, inference, import, memory; then, in a
second process with one thread per library: lenet, resnet, mlp, optim, inference, profile
and scaling (the curves' shape is what counts there, and one thread keeps it clean).
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
SECTIONS = ("engine", "conv", "mlp", "optim", "lenet", "resnet", "lstm", "inference", "import",
            "memory")
# the comparisons repeated with one thread per library (in a subprocess: thread pools are sized
# when first used), which a busy machine distorts far less than two threads each
SINGLE_THREAD = ("lenet", "resnet", "mlp", "optim", "inference", "profile", "scaling")
SINGLE_PEAK: dict = {}  # the matmul peak measured by the one-thread process
SINGLE_TEXTS: list = []  # (section, printed text) from the one-thread process
SINGLE_SCALING: dict = {}  # the scaling curves, measured by the one-thread process


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
    if name == "lenet_step":
        from . import bench_lenet
        res = [bench_lenet.step_benchmark(b, 3 if quick else 7) for b in (64, 256)]
        harness.print_table(res, "LeNet-5 training step")
        return res
    if name == "profile":
        from . import bench_profile
        return bench_profile.run(quick=quick)
    if name == "lstm":
        from . import bench_lstm
        return bench_lstm.run(quick=True)  # the LSTM step and forward; GRU etc. on request
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


def single_thread_results(quick):
    """The SINGLE_THREAD sections in a subprocess with one thread for each library."""
    import json
    import subprocess
    import tempfile

    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               GLASSNET_NUM_THREADS="1")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "r.json")
        cmd = [sys.executable, "-m", "benchmarks.run", "--threads", "1", "--no-write",
               "--only", ",".join(SINGLE_THREAD), "--json", path] + (["--quick"] if quick else [])
        subprocess.run(cmd, check=True, env=env, cwd=os.path.dirname(HERE))
        with open(path) as f:
            data = json.load(f)
        SINGLE_PEAK.update(data["peak"])
        SINGLE_TEXTS[:] = [tuple(t) for t in data["texts"]]
        SINGLE_SCALING.update(data.get("scaling") or {})
        return [Result(**d) for d in data["results"]]


# ------------------------------------------------------------------ targets
def _find(results, prefix):
    return next((r for r in results if r.name.startswith(prefix)), None)


def targets(results, scaling, single=()):
    """(target, measured, ok, measured with one thread each, ok) rows for the issue's targets."""
    rows = []

    def ratio_row(label, prefix, limit):
        r = _find(results, prefix)
        r1 = _find(single, prefix)
        one = ("-", None) if r1 is None else (
            (f"{r1.ratio:.2f} ({r1.ratio_min:.2f}-{r1.ratio_max:.2f}); "
            f"{harness._fmt(r1.gn_s)} vs {harness._fmt(r1.torch_s)}"), r1.ratio <= limit)
        if r is None:
            rows.append((label, "not run", None) + one)
        else:
            rows.append((label, (f"{r.ratio:.2f} ({r.ratio_min:.2f}-{r.ratio_max:.2f}); "
                         f"{harness._fmt(r.gn_s)} vs {harness._fmt(r.torch_s)}"),
                         r.ratio <= limit) + one)

    def plain(label, measured, ok):
        rows.append((label, measured, ok, "-", None))

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
    r = _find(results, "LSTM train step")
    if r is not None:
        plain("LSTM training step (no target in the issue; informational)",
              f"{r.ratio:.2f} ({r.ratio_min:.2f}-{r.ratio_max:.2f}); "
              f"{harness._fmt(r.gn_s)} vs {harness._fmt(r.torch_s)}", None)
    r = _find(results, "import glassnet vs import torch (time)")
    plain("`import glassnet` <= 0.3 s", "not run" if r is None else
          f"{r.gn_s:.3f} s (torch {r.torch_s:.2f} s)", None if r is None else r.gn_s <= 0.3)
    r = _find(results, "import glassnet vs import torch (peak RSS")
    plain("`import glassnet` <= 60 MiB peak RSS", "not run" if r is None else
          f"{r.gn_s:.1f} MiB (torch {r.torch_s:.0f} MiB)", None if r is None else r.gn_s <= 60)
    r = _find(results, "peak RSS of a LeNet-5")
    plain("Peak RSS of a LeNet-5 epoch <= PyTorch's", "not run" if r is None else
          f"{r.gn_s:.0f} MiB vs {r.torch_s:.0f} MiB (ratio {r.ratio:.2f})",
          None if r is None else r.ratio <= 1.0)
    def peak_share(r, peak):
        if r is None or not peak:
            return "not run", None
        pct = 100 * r.gflops / peak
        return ((f"{r.gflops:.1f} GFLOP/s = {pct:.0f}% of {peak:.0f} "
                f"(PyTorch {100 * r.torch_gflops / peak:.0f}%)"), pct >= 25)

    for b in (64, 256):
        prefix = f"LeNet-5 train step, batch {b}"
        rows.append((f"LeNet-5 step (batch {b}) at >= 25% of matmul peak",)
                    + peak_share(_find(results, prefix), harness.PEAK.get("gflops"))
                    + (peak_share(_find(single, prefix), SINGLE_PEAK.get("gflops"))
                       if single else ("-", None)))
    if scaling:  # measured with one thread each (see SINGLE_THREAD)
        b = scaling.get("batch") or []
        if b:
            big = [g for bb, g, _, _ in b if bb >= 64]
            tb = [t for bb, _, t, _ in b if bb >= 64]
            rows.append(("glassnet time per sample flat for batch 64-512 (max/min <= 1.3)", "-",
                         None, f"{max(big) / min(big):.2f} (PyTorch {max(tb) / min(tb):.2f})",
                         max(big) / min(big) <= 1.3))
        d = scaling.get("depth") or []
        if d:
            per = [g for _, g, _, _ in d]
            tper = [t for _, _, t, _ in d]
            rows.append(("glassnet time per layer flat for resnet20-110 (max/min <= 1.3)", "-",
                         None, f"{max(per) / min(per):.2f} (PyTorch {max(tper) / min(tper):.2f})",
                         max(per) / min(per) <= 1.3))
    return rows


# ------------------------------------------------------------------ RESULTS.md
SUMMARY_ROWS = (("LeNet-5 training step, batch 64", "LeNet-5 train step, batch 64"),
                ("LeNet-5 training step, batch 256", "LeNet-5 train step, batch 256"),
                ("LeNet-5 epoch with data loading, batch 64",
                 "LeNet-5 epoch (DataLoader), batch 64"),
                ("MLP 784-500-150-10 step, batch 64", "MLP 784-500-150-10 train step, batch 64"),
                ("resnet20 training step, batch 128", "resnet20 train step"),
                ("LSTM training step (seq 35, batch 32)", "LSTM train step"),
                ("Adam step, 1M parameters", "Adam step"),
                ("LeNet-5 inference, batch 1", "lenet5 inference"),
                ("resnet20 inference, batch 1", "resnet20 inference"))


def _status(ok):
    return "-" if ok is None else ("met" if ok else "**missed**")


def summary_text(results, rows, single, info):
    """The short performance section proposed for the README."""
    parts = []
    for label, prefix in SUMMARY_ROWS:
        x, x1 = _find(results, prefix), _find(single, prefix)
        if x is None:
            continue
        one = "-" if x1 is None else (f"{harness._fmt(x1.gn_s)} vs {harness._fmt(x1.torch_s)}: "
                                      f"**{x1.ratio:.2f}**")
        parts.append(f"| {label} | {harness._fmt(x.gn_s)} vs {harness._fmt(x.torch_s)}: "
                     f"**{x.ratio:.2f}** | {one} |")
    imp = _find(results, "import glassnet vs import torch (time)")
    mem = _find(results, "import glassnet vs import torch (peak RSS")
    rss = _find(results, "peak RSS of a LeNet-5")
    met = sum(1 for r in rows if r[2])
    total = sum(1 for r in rows if r[2] is not None)
    met1 = sum(1 for r in rows if r[4])
    total1 = sum(1 for r in rows if r[4] is not None)
    lines = ["## Performance", "",
             ("glassnet runs on NumPy alone; `make bench` times it against PyTorch "
              f"{info.get('torch')} on the CPU on identical work (same networks and weights, "
              "same data, same optimiser) in one process, alternating blocks so that machine "
              "noise hits both. Ratio = glassnet time / PyTorch time, lower is better; the "
              "machine, the load and every table are in "
              "[benchmarks/RESULTS.md](benchmarks/RESULTS.md)."), "",
             "| workload | glassnet vs PyTorch, default threads | one thread each |",
             "|---|---|---|", *parts, ""]
    if imp is not None and mem is not None:
        lines.append(f"`import glassnet` takes {imp.gn_s:.2f} s and {mem.gn_s:.0f} MiB of "
                     f"memory (`import torch`: {imp.torch_s:.1f} s, {mem.torch_s:.0f} MiB)"
                     + (f"; a whole LeNet-5 training epoch peaks at {rss.gn_s:.0f} MiB "
                        f"(PyTorch {rss.torch_s:.0f} MiB)." if rss is not None else "."))
    lines += ["", (f"Targets met on the last run: {met} of {total} with each library's default "
              f"threads, {met1} of {total1} of the timed ones with one thread each (see the "
              "targets table in RESULTS.md for the misses and their profiles).")]
    load = info.get("loadavg") or (0.0,)
    if load[0] > 0.5 * (info.get("cpus") or 1):
        lines += ["", (f"This run shared its {info.get('cpus')} cores with other work (load "
                       f"average {load[0]:.1f} at the start). Under such load a library's thread "
                       "pool waits for its threads to be scheduled, PyTorch's OpenMP pool far "
                       "more than glassnet's, so the default-threads column says more about the "
                       "load than about the libraries; the one-thread column is the like-for-"
                       "like comparison.")]
    return "\n".join(lines)


def write_results(path, info, sections_text, results, rows, single, png_ok, elapsed, load0,
                  args):
    peak = harness.PEAK
    out = ["# glassnet vs PyTorch: benchmark results", "",
           ("Generated by `make bench` (`python -m benchmarks.run`). Every number is a median "
            "over alternating blocks in one process; ratio = glassnet / PyTorch (lower is "
            "better) with its min-max over blocks. The comparisons are run twice: with each "
            "library's default threads, and (in a second process) with one thread each, which "
            "a busy machine distorts far less."), "",
           "## Summary for README", "", summary_text(results, rows, single, info), "",
           "## Machine", "",
           (f"- CPU: {info.get('cpu', '?')}, {info.get('cpus')} logical cores, SIMD: "
            f"{info.get('simd', '?')}"),
           (f"- Python {info['python']}, NumPy {info['numpy']} on {info.get('blas', '?')}; "
            f"PyTorch {info.get('torch')} ({info.get('torch_threads')} threads); glassnet "
            f"{info.get('glassnet')}"),
           (f"- float32 matmul peak (2048x2048, best of 10): NumPy {peak.get('numpy', 0):.0f} "
            f"GFLOP/s, PyTorch {peak.get('torch', 0):.0f} GFLOP/s with default threads"
            + (f"; {SINGLE_PEAK.get('numpy', 0):.0f} and {SINGLE_PEAK.get('torch', 0):.0f} "
               "with one thread" if SINGLE_PEAK else "")
            + " (a busy machine lowers these; the share of peak is taken against them)"),
           f"- threads: {'library defaults' if not args.threads else args.threads}",
           (f"- load average (1, 5, 15 min) at start {tuple(round(v, 2) for v in load0)}, at "
            f"end {tuple(round(v, 2) for v in os.getloadavg())} on "
            f"{info.get('cpus')} cores: other work shared the machine, so the min-max ranges "
            "are wide where the load was high"),
           ("- glassnet raises glibc's malloc thresholds when imported (glassnet/_allocator.py) "
            "so that training steps reuse freed memory instead of page-faulting; PyTorch in "
            "the same process gets the same allocator, so the comparison is like for like"),
           f"- run took {elapsed / 60:.1f} min{' (--quick)' if args.quick else ''}", "",
           "## Targets", "",
           "| target | default threads | status | one thread each | status |",
           "|---|---|---|---|---|"]
    for label, measured, ok, measured1, ok1 in rows:
        out.append(f"| {label} | {measured} | {_status(ok)} | {measured1} | {_status(ok1)} |")
    out += ["", "## All comparisons, default threads", "", HEADER]
    out += [r.row() for r in results if r.torch_s and "RSS" not in r.name
            and "import" not in r.name]
    if single:
        out += ["", "## All comparisons, one thread each", "", HEADER]
        out += [r.row() for r in single]
    out += ["", "Notes:", ""]
    for r in results:
        if r.notes:
            out.append(f"- {r.name}: {r.notes}")
    profile = [t for n, t in SINGLE_TEXTS if n == "profile"]
    if profile:
        out += ["", profile[0].strip().replace("## Profiles", "## Profiles", 1), "",
                ("PyTorch's per-op times are self CPU times from torch.profiler and include "
                 "its overhead; glassnet's are the wall time inside each Function's forward or "
                 "backward."), ""]
    out += ["", "## Section output", ""]
    for name, text in sections_text + [(f"{n} (one thread each)", t) for n, t in SINGLE_TEXTS
                                       if n != "profile"]:
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
    ap.add_argument("--no-single", action="store_true",
                    help="skip the second pass with one thread per library")
    ap.add_argument("--no-write", action="store_true", help="do not write RESULTS.md")
    ap.add_argument("--json", default=None, help="also write the results as JSON here")
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    args = ap.parse_args(argv)
    sections = [s for s in args.only.split(",") if s] or list(SECTIONS)
    for s in sections:
        if s not in SECTIONS and s not in SINGLE_THREAD and s != "lenet_step":
            ap.error(f"unknown section {s!r}; choose from {', '.join(SECTIONS)}")

    load0 = os.getloadavg()
    t_start = time.perf_counter()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
        try:  # NumPy's BLAS (the environment variables set for a subprocess do the same)
            from threadpoolctl import threadpool_limits

            threadpool_limits(args.threads)
        except ImportError:
            pass
        from glassnet.optim._elementwise import set_num_threads

        set_num_threads(args.threads)
    info = harness.machine_info()
    peak = harness.matmul_peak()
    print(f"# glassnet vs PyTorch on {info.get('cpu')} ({info.get('cpus')} cores, "
          f"{args.threads or 'default'} threads); float32 matmul peak: NumPy "
          f"{peak['numpy']:.0f}, PyTorch {peak['torch']:.0f} GFLOP/s; load average "
          f"{load0[0]:.2f}", flush=True)
    png = os.path.join(HERE, "scaling.png")
    results, texts, scaling = [], [], None
    for name in sections:
        t0 = time.perf_counter()
        tee = _Tee(sys.stdout)
        try:
            with redirect_stdout(tee):
                out = run_section(name, args.quick, png)
        except Exception as e:  # noqa: BLE001 - one broken section must not lose the rest
            print(f"[{name}: FAILED: {type(e).__name__}: {e}]", flush=True)
            texts.append((name, tee.buf.getvalue() + f"\nFAILED: {type(e).__name__}: {e}\n"))
            continue
        if name == "scaling":
            scaling = out
        else:
            results += list(out)
        texts.append((name, tee.buf.getvalue()))
        print(f"[{name}: {time.perf_counter() - t0:.0f} s, load {os.getloadavg()[0]:.2f}]",
              flush=True)
    if args.json:
        import dataclasses
        import json

        with open(args.json, "w") as f:
            json.dump({"peak": harness.PEAK, "texts": texts, "scaling": scaling,
                       "results": [dataclasses.asdict(r) for r in results]}, f)
    single = []
    if not args.no_single and not args.only and not args.threads:
        print("\n# The same comparisons with one thread per library (a second process)\n",
              flush=True)
        t0 = time.perf_counter()
        try:
            single = single_thread_results(args.quick)
        except Exception as e:  # noqa: BLE001
            print(f"[single-thread pass FAILED: {type(e).__name__}: {e}]", flush=True)
        print(f"[one thread each: {time.perf_counter() - t0:.0f} s]", flush=True)
    scaling = scaling or SINGLE_SCALING
    rows = targets(results, scaling, single)
    print("\n## Targets (default threads | one thread each)\n")
    for label, measured, ok, measured1, ok1 in rows:
        print(f"- {label}: {measured} -> {_status(ok)} | {measured1} -> {_status(ok1)}")
    elapsed = time.perf_counter() - t_start
    if not args.no_write and not args.only:
        png_ok = os.path.exists(png)
        write_results(args.out, info, texts, results, rows, single, png_ok, elapsed, load0,
                      args)
        print(f"\nwrote {args.out} ({elapsed / 60:.1f} min)")
    elif args.only and not args.no_write:
        print("\n(--only: RESULTS.md not written; it needs every section)")
    return results


if __name__ == "__main__":
    main()
