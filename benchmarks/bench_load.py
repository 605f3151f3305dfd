"""LeNet-5 training on a busy machine: samples per second with and without competing work.

A machine is rarely glassnet's alone. This benchmark trains LeNet-5 (batch 64, SGD with
momentum, random Fashion-MNIST-sized data) for a few seconds in a fresh process for each setting, first on the
quiet machine and then while ``2 x CPUs`` other processes spin on the CPUs (on 2 cores: a load
of about 5), and reports samples per second:

- glassnet with its default threads: its own kernels follow the CPUs that are free
  (backend.threads_now), BLAS runs on one thread;
- glassnet after ``set_num_threads("auto")``: BLAS follows the free CPUs too;
- glassnet with the thread count fixed at the CPU count (what the default was before it
  adapted, and what ``set_num_threads(os.cpu_count())`` still gives);
- glassnet with one thread;
- PyTorch with its default threads.

Each setting runs ``--rounds`` times, alternating, and the median is reported with the range.

Run: ``python -m benchmarks.bench_load [--quick] [--rounds N] [--competitors K]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import time

from .harness import Result

_CODE = r"""
import json, sys, time
import numpy as np
lib, threads, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
batches = 8
rng = np.random.default_rng(0)
xs = rng.standard_normal((batches, 64, 1, 28, 28)).astype(np.float32)
ys = rng.integers(0, 10, (batches, 64))
if lib == "torch":
    import torch as t
    from torch import nn
    if threads:
        t.set_num_threads(threads)
    def net():
        return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                             nn.Linear(84, 10))
else:
    import glassnet as t
    from glassnet.models import get
    if threads:
        t.set_num_threads("auto" if threads == -2 else threads)
    def net():
        return get("lenet5", num_classes=10)
t.manual_seed(0)
model = net()
opt = t.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
lossf = t.nn.CrossEntropyLoss()
X = [t.tensor(x) for x in xs]
Y = [t.tensor(y) for y in ys]
step = 0
def run(k):
    global step
    for _ in range(k):
        i = step % batches
        step += 1
        opt.zero_grad()
        lossf(model(X[i]), Y[i]).backward()
        opt.step()
run(3)
t0 = time.perf_counter()
done = 0
while done < 3 or time.perf_counter() - t0 < seconds:  # at least 3 steps, about `seconds`
    run(1)
    done += 1
print(json.dumps({"samples_per_s": 64 * done / (time.perf_counter() - t0)}))
"""

SETTINGS = (("glassnet, default threads (kernels adaptive, BLAS on one thread)", "glassnet", 0),
            ("glassnet, set_num_threads('auto') (BLAS adaptive too)", "glassnet", -2),
            ("glassnet, threads fixed at the CPU count", "glassnet", -1),
            ("glassnet, 1 thread", "glassnet", 1),
            ("PyTorch, default threads", "torch", 0))


def _spin(stop):
    while not stop.is_set():
        for _ in range(100_000):
            pass


def _measure(lib, threads, seconds):
    threads = os.cpu_count() if threads == -1 else threads
    env = dict(os.environ)
    for v in ("GLASSNET_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
              "MKL_NUM_THREADS"):
        env.pop(v, None)
    out = subprocess.run([sys.executable, "-c", _CODE, lib, str(threads), str(seconds)],
                         check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])["samples_per_s"]


def measure(competitors, rounds, seconds):
    """{setting: [samples/s per round]} with ``competitors`` spinning processes running."""
    stop = mp.Event()
    procs = [mp.Process(target=_spin, args=(stop,), daemon=True) for _ in range(competitors)]
    for p in procs:
        p.start()
    try:
        if procs:
            time.sleep(1.0)  # let the load settle
        rates = {name: [] for name, _, _ in SETTINGS}
        for r in range(rounds):
            order = SETTINGS if r % 2 == 0 else SETTINGS[::-1]
            for name, lib, threads in order:
                rates[name].append(_measure(lib, threads, seconds))
        return rates, os.getloadavg()[0]
    finally:
        stop.set()
        for p in procs:
            p.join(timeout=5)


def run(quick=False, rounds=None, competitors=None):
    rounds = rounds or (3 if quick else 5)
    competitors = 2 * os.cpu_count() if competitors is None else competitors
    seconds = 2.0 if quick else 5.0
    quiet, load_q = measure(0, rounds, seconds)
    busy, load_b = measure(competitors, rounds, seconds)
    print(f"\n## LeNet-5 training on a busy machine (samples/s, batch 64; median of {rounds}, "
          f"range)\n")
    print(f"| setting | quiet (load {load_q:.1f}) | {competitors} competing processes (load "
          f"{load_b:.1f}) | busy / quiet |")
    print("| --- | --- | --- | --- |")
    res = []
    torch_name = SETTINGS[-1][0]
    for name, _, _ in SETTINGS:
        q, b = statistics.median(quiet[name]), statistics.median(busy[name])
        print(f"| {name} | {q:,.0f} ({min(quiet[name]):,.0f}-{max(quiet[name]):,.0f}) | "
              f"{b:,.0f} ({min(busy[name]):,.0f}-{max(busy[name]):,.0f}) | {b / q:.2f} |",
              flush=True)
        if name != torch_name:
            for label, mine, ref in (("quiet", quiet, quiet), ("busy", busy, busy)):
                m, t = statistics.median(mine[name]), statistics.median(ref[torch_name])
                ratios = [tt / mm for mm, tt in zip(mine[name], ref[torch_name])]
                res.append(Result(f"LeNet-5 training, {label} machine: {name}", 1 / m, 1 / t,
                                  t / m, min(ratios), max(ratios),
                                  notes=f"seconds per sample; {competitors} competitors "
                                        f"when busy"))
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--competitors", type=int, default=None,
                    help="spinning processes (default: 2 x the CPU count)")
    args = ap.parse_args(argv)
    run(args.quick, args.rounds, args.competitors)


if __name__ == "__main__":
    main()
