"""The whole benchmark suite (``make bench``): glassnet against PyTorch, and RESULTS.md.

Runs every benchmark in ``benchmarks/`` on identical work in one process (alternating blocks, see
``harness.py``), prints each table as it completes, and writes ``benchmarks/RESULTS.md`` with the
machine, the versions, the load average, every table, the issue's targets with their status,
and the scaling plot (``benchmarks/scaling.png``, when matplotlib is available).

    python -m benchmarks.run                  # everything (about 10 minutes on 2 cores, and
                                              # peers, most of it tinygrad compiling, 15 more)
    python -m benchmarks.run --quick          # fewer blocks and shorter runs, a rough picture
    python -m benchmarks.run --only lenet,resnet --no-write
    python -m benchmarks.run --threads 1      # one thread for both libraries

Sections: engine, conv, mlp, optim, lenet, resnet, lstm, inference, import, memory, load (LeNet-5
with and without competing processes), threads (speed-up from one to two threads) and peers
(JAX, tinygrad and Chainer beside both, each with default threads and one thread); then, in a
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

from . import harness, report
from .harness import Result

HERE = os.path.dirname(os.path.abspath(__file__))
SECTIONS = ("engine", "conv", "mlp", "optim", "lenet", "resnet", "lstm", "inference", "import",
            "memory", "load", "threads", "peers")
# the comparisons repeated with one thread per library (in a subprocess: thread pools are sized
# when first used), which a busy machine distorts far less than two threads each
SINGLE_THREAD = ("lenet", "resnet", "mlp", "optim", "inference", "profile", "scaling")


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
    if name == "load":
        from . import bench_load
        return bench_load.run(quick=quick)
    if name == "threads":
        from . import bench_scaling
        bench_scaling.thread_scaling(quick=quick)
        return []
    if name == "peers":  # its own tables (JAX, tinygrad... are not rows of glassnet vs PyTorch)
        from . import bench_peers
        bench_peers.run(quick=quick)
        return []
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
        report.SINGLE_PEAK.update(data["peak"])
        report.SINGLE_TEXTS[:] = [tuple(t) for t in data["texts"]]
        report.SINGLE_SCALING.update(data.get("scaling") or {})
        return [Result(**d) for d in data["results"]]


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
        import glassnet

        glassnet.set_num_threads(args.threads)  # glassnet's kernels and NumPy's BLAS
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
    scaling = scaling or report.SINGLE_SCALING
    rows = report.targets(results, scaling, single)
    print("\n## Targets (default threads | one thread each)\n")
    for label, measured, ok, measured1, ok1 in rows:
        print(f"- {label}: {measured} -> {report.status(ok)} | {measured1} -> "
              f"{report.status(ok1)}")
    elapsed = time.perf_counter() - t_start
    if not args.no_write and not args.only:
        png_ok = os.path.exists(png)
        report.write_results(args.out, info, texts, results, rows, single, png_ok, elapsed,
                             load0, args)
        print(f"\nwrote {args.out} ({elapsed / 60:.1f} min)")
    elif args.only and not args.no_write:
        print("\n(--only: RESULTS.md not written; it needs every section)")
    return results


if __name__ == "__main__":
    main()
