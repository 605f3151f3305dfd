"""Timing harness: glassnet and PyTorch on identical work, in one process, alternating blocks.

Each benchmark gives two callables that do the same work. The harness warms both up, then runs
``blocks`` rounds; in each round it times ``reps`` calls of glassnet, then of PyTorch (order
alternating between rounds), so machine noise hits both. It reports medians per call, the ratio
glassnet/PyTorch (median of the per-block ratios, with their min-max) and, when the work's
floating-point operation count is given, the achieved GFLOP/s.
"""

from __future__ import annotations

import statistics
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
        tgt = f"<= {self.target:g}" if self.target is not None else "-"
        ok = "" if self.target is None else (" ok" if self.ratio <= self.target else " MISS")
        return (f"| {self.name} | {_fmt(self.gn_s)} | {_fmt(self.torch_s)} | **{self.ratio:.2f}** "
                f"({self.ratio_min:.2f}-{self.ratio_max:.2f}) | {tgt}{ok} | {gf} |")


def _fmt(s):
    return f"{s * 1e6:.1f} us" if s < 1e-3 else f"{s * 1e3:.2f} ms"


def _time(fn, reps):
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / reps


def compare(name, gn_fn, torch_fn, *, blocks=7, reps=None, min_time=0.2, warmup=2, flops=None,
            target=None, notes="") -> Result:
    """Time ``gn_fn`` against ``torch_fn`` and return a Result (see the module docstring)."""
    for _ in range(warmup):
        gn_fn()
        torch_fn()
    if reps is None:  # enough calls for a block to last about min_time
        t = max(_time(gn_fn, 1), _time(torch_fn, 1), 1e-7)
        reps = max(1, int(min_time / t))
    g, tt, ratios = [], [], []
    for b in range(blocks):
        if b % 2 == 0:
            a = _time(gn_fn, reps)
            c = _time(torch_fn, reps)
        else:
            c = _time(torch_fn, reps)
            a = _time(gn_fn, reps)
        g.append(a)
        tt.append(c)
        ratios.append(a / c)
    return Result(name, statistics.median(g), statistics.median(tt), statistics.median(ratios),
                  min(ratios), max(ratios), flops, target, notes)


HEADER = ("| benchmark | glassnet | PyTorch | ratio gn/torch (min-max) | target | GFLOP/s gn / torch |\n"
          "|---|---|---|---|---|---|")


def print_table(results, title=None):
    if title:
        print(f"\n## {title}\n")
    print(HEADER)
    for r in results:
        print(r.row(), flush=True)
