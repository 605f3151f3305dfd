"""The MLP training step of the lectures: 784-500-150-10, ReLU, cross-entropy, plain SGD.

Run: python benchmarks/bench_mlp.py [--batches 64 256] [--blocks 9] [--threads N] [--profile]

One step = zero_grad, forward through nn.Linear / nn.ReLU, nn.CrossEntropyLoss, backward, and an
in-place SGD update ``p.data -= lr * p.grad`` under no_grad, written identically for glassnet and
PyTorch. Both models start from the same weights and see the same batch. PyTorch keeps its default
thread count. Blocks of steps alternate between the two libraries in one process (see
``harness.py``); printed are the median time per step and the ratio glassnet / PyTorch.

``--threads N`` limits both libraries to N threads (PyTorch's intra-op pool and NumPy's BLAS,
through threadpoolctl), which is steadier on a busy machine; without it both keep their defaults.
``--profile`` runs cProfile over glassnet's steps and prints where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.harness import compare, print_table  # noqa: E402

SIZES = (784, 500, 150, 10)
LR = 0.01


def build(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(SIZES[0], SIZES[1]), nn.ReLU(),
                         nn.Linear(SIZES[1], SIZES[2]), nn.ReLU(),
                         nn.Linear(SIZES[2], SIZES[3]))


def make_step(lib, model, x, y):
    criterion = lib.nn.CrossEntropyLoss()
    params = list(model.parameters())

    if lib.__name__ == "glassnet":
        def update():
            for p in params:
                p.data -= LR * p.grad.data
    else:
        def update():
            for p in params:
                p.data -= LR * p.grad

    def step():
        model.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        with lib.no_grad():
            update()
        return loss

    return step


def setup(batch, seed=0):
    import torch

    import glassnet as gn

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], batch)
    tm = build(torch)
    gm = build(gn)
    gm.load_state_dict({k: v.detach().numpy().copy() for k, v in tm.state_dict().items()})
    gstep = make_step(gn, gm, gn.tensor(x), gn.tensor(y))
    tstep = make_step(torch, tm, torch.tensor(x), torch.tensor(y))
    # the same first step gives the same loss
    lg, lt = gstep().item(), tstep().item()
    assert abs(lg - lt) < 1e-4 * max(1.0, abs(lt)), (lg, lt)
    return gstep, tstep


def flops(batch):
    macs = sum(a * b for a, b in zip(SIZES[:-1], SIZES[1:]))
    return 6 * batch * macs  # forward 2, backward 4 flops per multiply-accumulate


def run(batches=(64, 256), blocks=9):
    results = []
    for b in batches:
        gstep, tstep = setup(b)
        results.append(compare(f"MLP 784-500-150-10 train step, batch {b}", gstep, tstep,
                               blocks=blocks, flops=flops(b), target=1.0))
    print_table(results, "MLP training step (nn.Linear, ReLU, CrossEntropyLoss, SGD)")
    for r in results:
        print(f"{r.name}: glassnet {r.gn_s * 1e3:.3f} ms, PyTorch {r.torch_s * 1e3:.3f} ms, "
              f"ratio {r.ratio:.2f}")
    return results


def profile(batch=64, steps=300):
    gstep, _ = setup(batch)
    pr = cProfile.Profile()
    pr.enable()
    for _ in range(steps):
        gstep()
    pr.disable()
    pstats.Stats(pr).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batches", type=int, nargs="+", default=[64, 256])
    ap.add_argument("--blocks", type=int, default=9)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--threads", type=int, default=None)
    a = ap.parse_args()
    if a.threads:
        import torch
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(a.threads)
        threadpool_limits(a.threads)
    if a.profile:
        for b in a.batches:
            profile(b)
    else:
        run(a.batches, a.blocks)
