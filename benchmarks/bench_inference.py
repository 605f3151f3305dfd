"""Batch-1 inference latency: one image through LeNet-5 and through ResNet-20, eval mode, no_grad.

This is the latency a deployed classifier sees per request. At batch 1 the arithmetic is tiny
(0.4 MFLOP for LeNet-5), so the time is the framework's per-op overhead: Python dispatch,
argument checks and memory allocation.

Run: ``python -m benchmarks.bench_inference [--quick]``.
"""

from __future__ import annotations

import sys

import numpy as np

from .harness import compare, print_table
from .twins import cifar_like, fashion_mnist, pair


def latency_benchmark(name, x, blocks=7, target=0.75):
    import torch

    import glassnet as gn

    g, t = pair(name)
    g.eval()
    t.eval()
    gx, tx = gn.tensor(x), torch.from_numpy(x.copy())

    def run_gn():
        with gn.no_grad():
            return g(gx)

    def run_torch():
        with torch.no_grad():
            return t(tx)

    yg, yt = run_gn().numpy(), run_torch().numpy()
    if not np.allclose(yg, yt, rtol=1e-3, atol=1e-4):
        raise AssertionError(f"{name} inference: outputs differ by {np.abs(yg - yt).max()}")
    return compare(f"{name} inference, batch 1", run_gn, run_torch, blocks=blocks,
                   min_time=0.2, target=target, notes="eval mode, no_grad")


def run(quick=False):
    blocks = 3 if quick else 7
    x, _, _ = fashion_mnist()
    res = [latency_benchmark("lenet5", x[:1], blocks),
           latency_benchmark("resnet20", cifar_like(1)[0], blocks)]
    print_table(res, "Batch-1 inference latency")
    return res


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
