"""ResNet-20 (CIFAR form, option-A shortcuts, batch norm) training step at batch 128.

Both frameworks train ``glassnet.models.resnet20`` and its PyTorch twin (``twins.py``, same
weights) with cross-entropy and SGD (lr 0.1, momentum 0.9) on one fixed batch of random
3x32x32 images: the time of a step does not depend on the pixel values, so CIFAR-10 itself is
not needed.

Run: ``python -m benchmarks.bench_resnet [--quick]``.
"""

from __future__ import annotations

import sys

from .bench_lenet import make_step
from .harness import compare, print_table
from .twins import cifar_like, pair, train_flops


def setup(depth=20, batch=128, lr=0.1):
    """(glassnet step, torch step, flops of one step) on the same batch and weights."""
    import torch

    import glassnet as gn

    g, t = pair(f"resnet{depth}")
    g.train()
    t.train()
    x, y = cifar_like(batch)
    gx, gy = gn.tensor(x), gn.tensor(y)
    tx, ty = torch.from_numpy(x.copy()), torch.from_numpy(y.copy())
    gstep = make_step(gn, g, gn.optim.SGD(g.parameters(), lr=lr, momentum=0.9),
                      gn.nn.CrossEntropyLoss())
    tstep = make_step(torch, t, torch.optim.SGD(t.parameters(), lr=lr, momentum=0.9),
                      torch.nn.CrossEntropyLoss())
    flops = train_flops(g, gn.tensor(x))
    lg, lt = gstep(gx, gy).item(), tstep(tx, ty).item()
    if abs(lg - lt) > 1e-3 * max(1.0, abs(lt)):
        raise AssertionError(f"resnet{depth} step: losses differ (glassnet {lg}, PyTorch {lt})")
    return (lambda: gstep(gx, gy)), (lambda: tstep(tx, ty)), flops


def step_benchmark(depth=20, batch=128, blocks=5, target=1.2):
    gfn, tfn, flops = setup(depth, batch)
    return compare(f"resnet{depth} train step, batch {batch}", gfn, tfn, blocks=blocks,
                   reps=1, warmup=1, flops=flops, target=target,
                   notes="random 3x32x32 inputs")


def run(quick=False):
    res = [step_benchmark(20, 128, blocks=3 if quick else 5)]
    print_table(res, "ResNet-20 training step (SGD momentum 0.9)")
    return res


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
