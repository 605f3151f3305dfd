"""Scaling curves: training time per sample against batch size, and per layer against depth.

* **batch**: a LeNet-5 training step at batch 1 to 512; time per sample should fall while the
  fixed per-step overhead is amortised, then stay flat (not grow: a growing curve means the
  working set has fallen out of cache or memory traffic grows faster than the arithmetic).
* **depth**: a ResNet training step (batch 32) at depth 20, 32, 44, 56 and 110; time per layer
  should be flat: the cost of a network is the sum of its layers.
* **threads** (``thread_scaling``, section "threads" of ``run.py``): the speed-up of a training
  step from one thread to two, LeNet-5 (batch 64, 256) and resnet20 (batch 128), glassnet and
  PyTorch measured in one run.

Printed as tables; ``plot`` saves both curves as a PNG when matplotlib is available.

Run: ``python -m benchmarks.bench_scaling [--quick] [--threads]`` (``--threads``: only the
thread scaling).
"""

from __future__ import annotations

import statistics
import sys

from .harness import compare, run_blocks

BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
DEPTHS = (20, 32, 44, 56, 110)
THREAD_WORKLOADS = (("lenet5", 64), ("lenet5", 256), ("resnet20", 128))


def batch_curve(batches=BATCHES, blocks=3):
    import torch

    import glassnet as gn

    from .bench_lenet import setup
    from .twins import fashion_mnist

    x, y, _ = fashion_mnist()
    rows = []
    for b in batches:
        gstep, tstep, _ = setup()
        gx, gy = gn.tensor(x[:b]), gn.tensor(y[:b])
        tx, ty = torch.from_numpy(x[:b].copy()), torch.from_numpy(y[:b].copy())
        r = compare(f"LeNet-5 step, batch {b}", lambda f=gstep, a=gx, c=gy: f(a, c),
                    lambda f=tstep, a=tx, c=ty: f(a, c), blocks=blocks, min_time=0.15, warmup=2,
                    budget_s=15)
        rows.append((b, r.gn_s / b, r.torch_s / b, r.ratio))
    return rows


def depth_curve(depths=DEPTHS, batch=32, blocks=3):
    from .bench_resnet import setup

    rows = []
    for d in depths:
        gfn, tfn, _ = setup(d, batch)
        r = compare(f"resnet{d} step, batch {batch}", gfn, tfn, blocks=blocks, reps=1,
                    warmup=1, budget_s=30)
        rows.append((d, r.gn_s / d, r.torch_s / d, r.ratio))
    return rows


def thread_scaling(workloads=THREAD_WORKLOADS, threads=(1, 2), quick=False):
    """Speed-up of a training step from ``threads[0]`` to ``threads[1]`` threads, for glassnet
    and PyTorch in one run; prints a table and returns its rows.

    Four callables per workload (each library on each thread count) are timed in rotating
    rounds (``harness.run_blocks``), so machine noise hits all four; the thread count is set,
    untimed, before each block: ``glassnet.set_num_threads`` (its kernels and NumPy's BLAS) and
    ``torch.set_num_threads``. Afterwards glassnet is back on its default setting and PyTorch on
    the count it had. Speed-up = median over rounds of (time on the first count / time on the
    second).
    """
    import os

    import torch

    import glassnet as gn

    from .bench_lenet import setup as lenet_setup
    from .bench_resnet import setup as resnet_setup
    from .twins import fashion_mnist

    torch_before = torch.get_num_threads()
    load0 = os.getloadavg()[0]
    rows = []
    try:
        for model, batch in workloads:
            if model == "lenet5":
                gstep, tstep, _ = lenet_setup()
                x, y, _ = fashion_mnist()
                gx, gy = gn.tensor(x[:batch]), gn.tensor(y[:batch])
                tx, ty = torch.from_numpy(x[:batch].copy()), torch.from_numpy(y[:batch].copy())
                gfn = lambda f=gstep, a=gx, c=gy: f(a, c)
                tfn = lambda f=tstep, a=tx, c=ty: f(a, c)
            else:
                gfn, tfn, _ = resnet_setup(int(model[6:]), batch)
            fns, before = {}, {}
            for n in threads:
                fns["glassnet", n], before["glassnet", n] = gfn, (lambda n=n: gn.set_num_threads(n))
                fns["torch", n], before["torch", n] = tfn, (lambda n=n: torch.set_num_threads(n))
            times, _, _ = run_blocks(fns, blocks=3 if quick else 5, min_time=0.3, warmup=1,
                                     budget_s=30 if quick else 60, before=before)
            med = {k: statistics.median(v) for k, v in times.items()}
            speed = {lib: statistics.median(a / b for a, b in zip(times[lib, threads[0]],
                                                                  times[lib, threads[1]]))
                     for lib in ("glassnet", "torch")}
            rows.append((model, batch, med, speed))
    finally:
        gn.set_num_threads(None)
        torch.set_num_threads(torch_before)
    a, b = threads
    print(f"\n## Thread scaling: a training step on {a} and on {b} threads (load average "
          f"{load0:.1f} at the start, {os.cpu_count()} CPUs)\n")
    print(f"| workload | glassnet, {a} | glassnet, {b} | speed-up | PyTorch, {a} | PyTorch, {b} "
          "| speed-up |\n|---|---|---|---|---|---|---|")
    for model, batch, med, speed in rows:
        name = "LeNet-5" if model == "lenet5" else model
        print(f"| {name}, batch {batch} | {med['glassnet', a] * 1e3:.2f} ms | "
              f"{med['glassnet', b] * 1e3:.2f} ms | **{speed['glassnet']:.2f}** | "
              f"{med['torch', a] * 1e3:.2f} ms | {med['torch', b] * 1e3:.2f} ms | "
              f"**{speed['torch']:.2f}** |")
    return rows


def print_curves(brows, drows, depth_batch=32):
    print("\n## Scaling: LeNet-5 training step, time per sample against batch size\n")
    print("| batch | glassnet us/sample | PyTorch us/sample | ratio |\n|---|---|---|---|")
    for b, g, t, r in brows:
        print(f"| {b} | {g * 1e6:.1f} | {t * 1e6:.1f} | {r:.2f} |")
    print(f"\n## Scaling: ResNet training step (batch {depth_batch}), time per layer against "
          "depth\n")
    print("| depth | glassnet ms/layer | PyTorch ms/layer | ratio |\n|---|---|---|---|")
    for d, g, t, r in drows:
        print(f"| {d} | {g * 1e3:.2f} | {t * 1e3:.2f} | {r:.2f} |")


def plot(brows, drows, path, depth_batch=32):
    """Save both curves to ``path`` (PNG); returns False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    bs = [r[0] for r in brows]
    a.loglog(bs, [r[1] * 1e6 for r in brows], "o-", label="glassnet")
    a.loglog(bs, [r[2] * 1e6 for r in brows], "s-", label="PyTorch")
    a.set_xlabel("batch size")
    a.set_ylabel("us per sample")
    a.set_title("LeNet-5 training step")
    a.set_xticks(bs, [str(v) for v in bs])
    a.legend()
    a.grid(True, which="both", alpha=0.3)
    ds = [r[0] for r in drows]
    b.plot(ds, [r[1] * 1e3 for r in drows], "o-", label="glassnet")
    b.plot(ds, [r[2] * 1e3 for r in drows], "s-", label="PyTorch")
    b.set_xlabel("depth (layers)")
    b.set_ylabel("ms per layer")
    b.set_ylim(bottom=0)
    b.set_title(f"ResNet training step, batch {depth_batch}")
    b.legend()
    b.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def run(quick=False, png=None):
    brows = batch_curve(BATCHES if not quick else (1, 8, 64, 512), blocks=3)
    drows = depth_curve(DEPTHS if not quick else (20, 56), blocks=3 if not quick else 1)
    print_curves(brows, drows)
    if png:
        plot(brows, drows, png)
    return brows, drows


if __name__ == "__main__":
    if "--threads" in sys.argv:
        thread_scaling(quick="--quick" in sys.argv)
    else:
        run(quick="--quick" in sys.argv, png="scaling.png" if "--png" in sys.argv else None)
