"""LeNet-5 on Fashion-MNIST: one training step, and a training epoch with the data pipeline.

Both frameworks train the same network (``glassnet.models.LeNet5(variant='modern')``: ReLU and
max pooling, and its PyTorch twin from ``twins.py`` with glassnet's weights copied in) with
cross-entropy and SGD (lr 0.01, momentum 0.9) on the same Fashion-MNIST images.

* **step**: zero_grad, forward, loss, backward, optimiser step on one fixed batch.
* **epoch**: the same step fed by each framework's own DataLoader (shuffled, num_workers=0) over
  a TensorDataset of the same arrays. A call times ``steps`` steps from a fresh iterator; the
  reported time is scaled to a whole epoch (60,000 images), which keeps ``make bench`` short.

Run: ``python -m benchmarks.bench_lenet [--quick]``.
"""

from __future__ import annotations

import math
import sys
import time

from .harness import compare, print_table
from .twins import fashion_mnist, pair, train_flops

LR, MOMENTUM = 0.01, 0.9


def make_step(lib, model, opt, crit):
    """The idiomatic training step, written once for both frameworks."""

    def step(x, y):
        opt.zero_grad()
        loss = crit(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def setup():
    """(glassnet step, torch step, glassnet model): same weights, optimiser and loss."""
    import torch

    import glassnet as gn

    g, t = pair("lenet5")
    g.train()
    t.train()
    gstep = make_step(gn, g, gn.optim.SGD(g.parameters(), lr=LR, momentum=MOMENTUM),
                      gn.nn.CrossEntropyLoss())
    tstep = make_step(torch, t, torch.optim.SGD(t.parameters(), lr=LR, momentum=MOMENTUM),
                      torch.nn.CrossEntropyLoss())
    return gstep, tstep, g


def step_benchmark(batch, blocks=7, target=1.0):
    import torch

    import glassnet as gn

    x, y, note = fashion_mnist()
    gstep, tstep, g = setup()
    xb, yb = x[:batch], y[:batch]
    gx, gy = gn.tensor(xb), gn.tensor(yb)
    tx, ty = torch.from_numpy(xb.copy()), torch.from_numpy(yb.copy())
    # identical work: the first step's losses agree
    lg, lt = gstep(gx, gy).item(), tstep(tx, ty).item()
    if abs(lg - lt) > 1e-4 * max(1.0, abs(lt)):
        raise AssertionError(f"LeNet-5 step: losses differ (glassnet {lg}, PyTorch {lt})")
    flops = train_flops(g, gn.tensor(xb))
    return compare(f"LeNet-5 train step, batch {batch}", lambda: gstep(gx, gy),
                   lambda: tstep(tx, ty), blocks=blocks, min_time=0.3, flops=flops,
                   target=target, notes=note)


def epoch_benchmark(batch, steps=200, blocks=5, target=1.0, call_s=4.0):
    """A shuffled epoch through each framework's DataLoader, timed over ``steps`` steps."""
    import torch
    import torch.utils.data as tdata

    import glassnet as gn
    from glassnet.data import DataLoader, TensorDataset

    x, y, note = fashion_mnist()
    gstep, tstep, _ = setup()
    gn.manual_seed(0)
    torch.manual_seed(0)
    gloader = DataLoader(TensorDataset(gn.from_numpy(x), gn.from_numpy(y)), batch_size=batch,
                         shuffle=True, num_workers=0)
    tloader = tdata.DataLoader(tdata.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                               batch_size=batch, shuffle=True, num_workers=0)
    n_batches = math.ceil(len(x) / batch)

    def run(loader, step, k):
        def go():
            for i, (xb, yb) in enumerate(loader):
                step(xb, yb)
                if i + 1 == k:
                    break
        return go

    # warm up both, and size the timed part so that one call lasts about call_s at most
    t = []
    for loader, step in ((gloader, gstep), (tloader, tstep)):
        run(loader, step, 5)()
        t0 = time.perf_counter()
        run(loader, step, 10)()
        t.append((time.perf_counter() - t0) / 10)
    steps = max(20, min(steps, n_batches, int(call_s / max(t))))
    scale = n_batches / steps
    return compare(f"LeNet-5 epoch (DataLoader), batch {batch}", run(gloader, gstep, steps),
                   run(tloader, tstep, steps), blocks=blocks, reps=1, warmup=0, target=target,
                   scale=scale,
                   notes=(f"{steps} of {n_batches} steps timed, scaled to the epoch" +
                          (f"; {note}" if note else "")))


def run(quick=False):
    blocks = 3 if quick else 7
    res = [step_benchmark(64, blocks), step_benchmark(256, blocks)]
    res += [epoch_benchmark(64, 200, 3), epoch_benchmark(256, 100, 3)]
    print_table(res, "LeNet-5 on Fashion-MNIST (SGD momentum 0.9)")
    return res


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
