"""Optimiser step time: glassnet vs torch.optim on the same 1M float32 parameters.

Run: python benchmarks/bench_optim.py [--numel 1000000] [--blocks 7] [--reps 20] [--threads N]

``--threads 1`` compares one core against one core; add ``--cpu-time`` to time the CPU each step
uses, which stays steady when other processes share the machine.

Both libraries update the same parameter shapes (a few tensors summing to ``--numel``) with
fixed gradients; blocks of ``--reps`` steps alternate between the two in one process, and the
medians of the per-step times are compared. PyTorch runs with its default implementation choice
(``foreach=None``: on the CPU that is its single-tensor loop) and, for reference, with
``foreach=True``. Printed: median milliseconds per step and the ratio glassnet / PyTorch.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import glassnet as gn
import glassnet.optim as goptim

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None


def _shapes(numel):
    # a conv-net-like mix: one big matrix, a couple of medium ones, small biases
    big, mid, small = int(numel * 0.6), int(numel * 0.25), int(numel * 0.1)
    rest = numel - big - mid - small - 1000
    return [(big,), (mid // 250, 250), (small,), (rest,), (1000,)]


def _params(numel, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in _shapes(numel)]
    grads = [rng.standard_normal(s).astype(np.float32) for s in _shapes(numel)]
    return arrays, grads


def _gn_setup(cls, kw, arrays, grads):
    ps = [gn.tensor(a.copy(), requires_grad=True) for a in arrays]
    for p, g in zip(ps, grads):
        p.grad = gn.tensor(g)
    return cls(ps, **kw)


def _torch_setup(cls, kw, arrays, grads):
    ps = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    for p, g in zip(ps, grads):
        p.grad = torch.tensor(g)
    return cls(ps, **kw)


def _block(opt, reps, clock=time.perf_counter):
    times = []
    for _ in range(reps):
        t0 = clock()
        opt.step()
        times.append(clock() - t0)
    return times


def compare(label, gn_opt, torch_opts, blocks, reps, clock=time.perf_counter):
    for o in [gn_opt, *torch_opts.values()]:
        _block(o, 3)  # warm-up: state allocation, thread pools
    gt = []
    tt = {k: [] for k in torch_opts}
    for _ in range(blocks):
        gt += _block(gn_opt, reps, clock)
        for k, o in torch_opts.items():
            tt[k] += _block(o, reps, clock)
    g_ms = statistics.median(gt) * 1e3
    print(f"{label}")
    print(f"  glassnet                 {g_ms:8.3f} ms/step")
    for k, ts in tt.items():
        t_ms = statistics.median(ts) * 1e3
        print(f"  torch {k:<18} {t_ms:8.3f} ms/step   ratio glassnet/torch = {g_ms / t_ms:.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--numel", type=int, default=1_000_000)
    ap.add_argument("--blocks", type=int, default=7)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--threads", type=int, default=None,
                    help="threads for both libraries (default: each library's own default)")
    ap.add_argument("--cpu-time", action="store_true",
                    help="with --threads 1, time the CPU the step uses rather than the wall clock "
                         "(steadier when other processes share the machine)")
    args = ap.parse_args()
    if torch is None:
        print("PyTorch is not installed: nothing to compare against")
        return
    clock = time.perf_counter
    if args.threads:
        torch.set_num_threads(args.threads)
        gn.set_num_threads(args.threads)
        if args.threads == 1 and args.cpu_time:
            clock = time.thread_time  # all work runs on this thread: its CPU time
    if args.cpu_time and clock is time.perf_counter:
        print("--cpu-time needs --threads 1; timing wall-clock instead")
    arrays, grads = _params(args.numel)
    print(f"{args.numel:,} float32 parameters in {len(arrays)} tensors; "
          f"{os.cpu_count()} CPUs, torch {torch.__version__} with "
          f"{torch.get_num_threads()} threads, glassnet {gn.get_num_threads()} threads, "
          f"numpy {np.__version__}")
    cases = [
        ("Adam (lr=1e-3)", "Adam", {"lr": 1e-3}),
        ("AdamW (lr=1e-3, weight_decay=1e-2)", "AdamW", {"lr": 1e-3, "weight_decay": 1e-2}),
        ("SGD (lr=1e-2, momentum=0.9)", "SGD", {"lr": 1e-2, "momentum": 0.9}),
        ("SGD (lr=1e-2, momentum=0.9, nesterov, weight_decay=5e-4)", "SGD",
         {"lr": 1e-2, "momentum": 0.9, "nesterov": True, "weight_decay": 5e-4}),
    ]
    for label, name, kw in cases:
        g = _gn_setup(getattr(goptim, name), kw, arrays, grads)
        t = {"default": _torch_setup(getattr(torch.optim, name), kw, arrays, grads),
             "foreach=True": _torch_setup(getattr(torch.optim, name), dict(kw, foreach=True),
                                          arrays, grads)}
        compare(label, g, t, args.blocks, args.reps, clock)


if __name__ == "__main__":
    main()
