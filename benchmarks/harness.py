"""Timing harness: glassnet and PyTorch on identical work, in one process, alternating blocks.

Each benchmark gives two callables that do the same work. The harness warms both up, then runs
``blocks`` rounds; in each round it times ``reps`` calls of glassnet, then of PyTorch (order
alternating between rounds), so machine noise hits both. It reports medians per call, the ratio
glassnet/PyTorch (median of the per-block ratios, with their min-max) and, when the work's
floating-point operation count is given, the achieved GFLOP/s.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import dataclass, field


@dataclass
class Result:
    name: str
    gn_s: float
    torch_s: float
    ratio: float
    ratio_min: float
    ratio_max: float
    flops: float | None = None
    target: float | None = None
    notes: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def gflops(self):
        return None if not self.flops else self.flops / self.gn_s / 1e9

    @property
    def torch_gflops(self):
        return None if not self.flops else self.flops / self.torch_s / 1e9

    def row(self) -> str:
        gf = f"{self.gflops:.1f} / {self.torch_gflops:.1f}" if self.flops else "-"
        if self.flops and PEAK.get("gflops"):
            gf += f" ({100 * self.gflops / PEAK['gflops']:.0f}% of peak)"
        tgt = f"<= {self.target:g}" if self.target is not None else "-"
        ok = "" if self.target is None else (" ok" if self.ratio <= self.target else " MISS")
        return (f"| {self.name} | {_fmt(self.gn_s)} | {_fmt(self.torch_s)} | **{self.ratio:.2f}** "
                f"({self.ratio_min:.2f}-{self.ratio_max:.2f}) | {tgt}{ok} | {gf} |")


# seconds one comparison may take at most (see ``compare``); progress lines go to stderr
DEFAULT_BUDGET_S = 40.0
PROGRESS = True

# this machine's float32 matmul peak, measured by ``matmul_peak`` (used for "% of peak")
PEAK: dict = {}


def _fmt(s):
    if s >= 1:
        return f"{s:.2f} s"
    return f"{s * 1e6:.1f} us" if s < 1e-3 else f"{s * 1e3:.2f} ms"


def _time(fn, reps):
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / reps


def compare(name, gn_fn, torch_fn, *, blocks=7, reps=None, min_time=0.2, warmup=2, flops=None,
            target=None, notes="", scale=1.0, budget_s=None) -> Result:
    """Time ``gn_fn`` against ``torch_fn`` and return a Result (see the module docstring).

    ``scale`` multiplies the per-call times (e.g. steps per epoch / steps per call, to report a
    whole epoch from a timed part of it); the ratio does not depend on it. ``budget_s`` (default
    ``DEFAULT_BUDGET_S``) caps the benchmark's time on a slow or busy machine: fewer blocks
    (never under 3) and calls per block when the warm-up shows the full run would not fit.
    """
    t_start = time.perf_counter()
    times, blocks, reps = run_blocks({"gn": gn_fn, "torch": torch_fn}, blocks=blocks, reps=reps,
                                     min_time=min_time, warmup=warmup, budget_s=budget_s)
    g, tt = times["gn"], times["torch"]
    ratios = [a / c for a, c in zip(g, tt)]
    r = Result(name, statistics.median(g) * scale, statistics.median(tt) * scale,
               statistics.median(ratios), min(ratios), max(ratios), flops, target, notes)
    r.extra["blocks"], r.extra["reps"] = blocks, reps
    if PROGRESS:
        print(f"  .. {name}: {blocks} blocks x {reps} calls, ratio {r.ratio:.2f}, "
              f"{time.perf_counter() - t_start:.0f} s", file=sys.stderr, flush=True)
    return r


def run_blocks(fns, *, blocks=7, reps=None, min_time=0.2, warmup=2, budget_s=None,
               before=None):
    """Time several callables that do the same work, in rounds; the core of ``compare``.

    ``fns`` maps a label to a callable. Each is called ``warmup`` times first; then every one of
    ``blocks`` rounds times ``reps`` calls of each, the order turning by one place each round
    (two callables simply alternate), so that machine noise hits all of them alike. ``reps``
    defaults to enough calls for the slowest callable's block to last about ``min_time``;
    ``budget_s`` caps the whole run as in ``compare``. ``before`` may map a label to a callable
    run, untimed, before each of that label's blocks (e.g. to set a thread count).

    Returns ``(times, blocks, reps)``: ``times`` maps each label to its seconds per call, one
    entry per round.
    """
    names = list(fns)
    before = before or {}

    def timed(k, n):
        if k in before:
            before[k]()
        return _time(fns[k], n)

    w = dict.fromkeys(names, 0.0)
    for _ in range(warmup):
        for k in names:
            w[k] = timed(k, 1)
    if warmup == 0 and reps is None:
        w = {k: timed(k, 1) for k in names}
    if reps is None:  # enough calls for a block to last about min_time
        reps = max(1, int(min_time / max(*w.values(), 1e-7)))
    budget = DEFAULT_BUDGET_S if budget_s is None else budget_s
    per_round = sum(w.values())
    if budget and reps * per_round * blocks > budget:
        reps = max(1, min(reps, int(budget / 3 / max(per_round, 1e-7))))
        blocks = max(3, min(blocks, int(budget / max(reps * per_round, 1e-7))))
    times = {k: [] for k in names}
    for b in range(blocks):
        turn = b % len(names)
        for k in names[turn:] + names[:turn]:
            times[k].append(timed(k, reps))
    return times, blocks, reps


HEADER = ("| benchmark | glassnet | PyTorch | ratio gn/torch (min-max) | target | GFLOP/s gn / torch |\n"
          "|---|---|---|---|---|---|")


def print_table(results, title=None):
    if title:
        print(f"\n## {title}\n")
    print(HEADER)
    for r in results:
        print(r.row(), flush=True)


def matmul_peak(n=2048, reps=10):
    """Best float32 matmul rate (GFLOP/s) of NumPy's BLAS and of PyTorch on n x n matrices."""
    import numpy as np
    import torch

    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    ta = torch.from_numpy(a)
    best = {"numpy": 0.0, "torch": 0.0}
    for _ in range(reps):  # alternate, keep the best: the peak is what the machine can do
        for lib, f in (("numpy", lambda: a @ a), ("torch", lambda: ta @ ta)):
            t = _time(f, 1)
            best[lib] = max(best[lib], 2 * n ** 3 / t / 1e9)
    PEAK["gflops"] = max(best.values())
    PEAK.update(best)
    return best


def machine_info() -> dict:
    """CPU, cores, SIMD, versions, BLAS and threads: what RESULTS.md records with the numbers."""
    import os
    import platform

    import numpy as np

    info = {"python": platform.python_version(), "numpy": np.__version__,
            "cpus": os.cpu_count(), "loadavg": os.getloadavg()}
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
        for line in text.splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        flags = next((ln for ln in text.splitlines() if ln.startswith("flags")), "")
        info["simd"] = " ".join(f for f in ("avx2", "fma", "avx512f", "avx512_bf16",
                                            "amx_tile") if f" {f}" in flags)
    except OSError:
        info["cpu"] = platform.processor()
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        info["torch"] = None
    try:
        from threadpoolctl import threadpool_info

        blas = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        if blas:
            info["blas"] = (f"{blas[0].get('internal_api')} {blas[0].get('version')} "
                            f"({blas[0].get('architecture')}, {blas[0].get('num_threads')} "
                            "threads)")
    except ImportError:
        pass
    import glassnet

    info["glassnet"] = getattr(glassnet, "__version__", "?")
    return info
