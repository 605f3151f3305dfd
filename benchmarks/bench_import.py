"""``import glassnet`` against ``import torch``: wall time and peak resident memory.

Each import runs in a fresh interpreter (a subprocess), which measures the time from the
``import`` statement to its end and the process's peak RSS (``VmHWM``) afterwards. The two
alternate, several rounds, and the medians are reported; ``import numpy`` alone is shown as the
floor that glassnet builds on.

Run: ``python -m benchmarks.bench_import [--quick]``.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

from .bench_memory import PEAK_RSS_CODE
from .harness import Result

_CODE = """
import json, resource, sys, time
""" + PEAK_RSS_CODE + """
t = time.perf_counter()
import {module}
dt = time.perf_counter() - t
print(json.dumps({{"s": dt, "rss_mib": peak_rss_mib()}}))
"""


def measure(module):
    """(seconds, peak RSS in MiB) of ``import module`` in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", _CODE.format(module=module)], check=True,
                         capture_output=True, text=True).stdout
    d = json.loads(out.strip().splitlines()[-1])
    return d["s"], d["rss_mib"]


def run(quick=False, rounds=None):
    rounds = rounds or (3 if quick else 7)
    mods = ("numpy", "glassnet", "torch")
    times = {m: [] for m in mods}
    rss = {m: [] for m in mods}
    for r in range(rounds):
        for m in (mods if r % 2 == 0 else mods[::-1]):
            s, mib = measure(m)
            times[m].append(s)
            rss[m].append(mib)
    med = {m: statistics.median(times[m]) for m in mods}
    mem = {m: statistics.median(rss[m]) for m in mods}
    ratios = [a / b for a, b in zip(times["glassnet"], times["torch"])]
    res = Result("import glassnet vs import torch (time)", med["glassnet"], med["torch"],
                 statistics.median(ratios), min(ratios), max(ratios),
                 notes=f"target <= 0.3 s; import numpy alone {med['numpy'] * 1e3:.0f} ms")
    res.extra.update(abs_target_s=0.3, numpy_s=med["numpy"], min_s=min(times["glassnet"]))
    mres = Result("import glassnet vs import torch (peak RSS, MiB)", mem["glassnet"],
                  mem["torch"], mem["glassnet"] / mem["torch"],
                  min(rss["glassnet"]) / max(rss["torch"]), max(rss["glassnet"]) / min(rss["torch"]),
                  notes=f"target <= 60 MiB; python + numpy alone {mem['numpy']:.0f} MiB")
    mres.extra.update(abs_target_mib=60, unit="MiB", numpy_mib=mem["numpy"])
    print("\n## Import\n")
    print("| module | import time (median) | min-max | peak RSS |\n|---|---|---|---|")
    for m in mods:
        print(f"| {m} | {med[m] * 1e3:.0f} ms | {min(times[m]) * 1e3:.0f}-"
              f"{max(times[m]) * 1e3:.0f} ms | {mem[m]:.1f} MiB |")
    return [res, mres]


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
