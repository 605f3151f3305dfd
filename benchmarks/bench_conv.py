"""Convolution and max pooling, forward + backward, against PyTorch on LeNet-5 and ResNet shapes.

Shapes: LeNet-5 on 28x28 MNIST at batch 64 (conv 1->6 k5 pad 2, conv 6->16 k5 on 14x14) and a
CIFAR-style ResNet at batch 128 (3x3 convolutions, 16 channels at 32x32, 32 at 16x16, 64 at
8x8, and the strided 16->32 transition), plus 2x2 max pooling. Each timed call runs the forward
pass and the backward pass for the input, the weight and the bias.

Run: ``python -m benchmarks.bench_conv`` (add ``--quick`` for fewer blocks, ``--threads N`` to
run both libraries on N threads; by default each uses its own default, here both use every
core). On a machine busy with other work, ``--threads 1`` gives the more trustworthy ratio:
multi-threaded runs are then dominated by threads waiting for a core.

``python -m benchmarks.bench_conv --winograd`` (one thread for both libraries) times ResNet-20's
stride-1 3x3 layers, forward + backward at batch 128, with glassnet's two algorithms
(``glassnet.backends.conv_algorithm`` = "winograd" and "im2col") and PyTorch, and measures each
algorithm's float32 error against a float64 reference.
"""

from __future__ import annotations

import sys

import numpy as np

from .harness import compare, print_table

# (name, batch, in, out, size, kernel, stride, padding, target ratio)
CONVS = [
    ("LeNet conv1 1->6 k5 p2 28x28, batch 64", 64, 1, 6, 28, 5, 1, 2, 1.0),
    ("LeNet conv2 6->16 k5 14x14, batch 64", 64, 6, 16, 14, 5, 1, 0, 1.0),
    ("ResNet 16->16 3x3 32x32, batch 128", 128, 16, 16, 32, 3, 1, 1, 1.5),
    ("ResNet 32->32 3x3 16x16, batch 128", 128, 32, 32, 16, 3, 1, 1, 1.5),
    ("ResNet 64->64 3x3 8x8, batch 128", 128, 64, 64, 8, 3, 1, 1, 1.5),
    ("ResNet 16->32 3x3 s2 32x32, batch 128", 128, 16, 32, 32, 3, 2, 1, 1.5),
]
# (name, shape, target)
POOLS = [
    ("max-pool 2x2 LeNet (64, 6, 28, 28)", (64, 6, 28, 28), 1.0),
    ("max-pool 2x2 LeNet (64, 16, 10, 10)", (64, 16, 10, 10), 1.0),
    ("max-pool 2x2 (128, 16, 32, 32)", (128, 16, 32, 32), 1.0),
]


def conv_benchmark(name, n, cin, cout, size, k, s, p, target, blocks=7):
    import torch

    import glassnet as gn
    import glassnet.nn.functional as F

    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, cin, size, size)).astype(np.float32)
    w = (rng.standard_normal((cout, cin, k, k)) * 0.1).astype(np.float32)
    b = rng.standard_normal(cout).astype(np.float32)
    out = (size + 2 * p - k) // s + 1
    g = rng.standard_normal((n, cout, out, out)).astype(np.float32)
    gx, gw, gb = (gn.tensor(a, requires_grad=True) for a in (x, w, b))
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    gg, tg = gn.tensor(g), torch.tensor(g)

    def run_gn():
        gx.grad = gw.grad = gb.grad = None
        F.conv2d(gx, gw, gb, stride=s, padding=p).backward(gg)

    def run_torch():
        tx.grad = tw.grad = tb.grad = None
        torch.nn.functional.conv2d(tx, tw, tb, stride=s, padding=p).backward(tg)

    flops = 3 * 2 * n * cout * out * out * cin * k * k  # forward, input grad, weight grad
    return compare(name + " fwd+bwd", run_gn, run_torch, blocks=blocks, flops=flops,
                   target=target)


def pool_benchmark(name, shape, target, blocks=7):
    import torch

    import glassnet as gn
    import glassnet.nn.functional as F

    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    g = rng.standard_normal(shape[:2] + (shape[2] // 2, shape[3] // 2)).astype(np.float32)
    gx, tx = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gg, tg = gn.tensor(g), torch.tensor(g)

    def run_gn():
        gx.grad = None
        F.max_pool2d(gx, 2).backward(gg)

    def run_torch():
        tx.grad = None
        torch.nn.functional.max_pool2d(tx, 2).backward(tg)

    return compare(name + " fwd+bwd", run_gn, run_torch, blocks=blocks, target=target)


# ResNet-20's stride-1 3x3 convolutions: (name, channels, size)
WINOGRAD_LAYERS = [("ResNet 16->16 3x3 32x32", 16, 32), ("ResNet 32->32 3x3 16x16", 32, 16),
                   ("ResNet 64->64 3x3 8x8", 64, 8)]


def winograd_benchmark(name, c, size, n=128, blocks=5):
    """Forward + backward of one layer: Winograd / im2col, Winograd / PyTorch, im2col / PyTorch
    (three alternating-block comparisons)."""
    import torch

    import glassnet as gn
    import glassnet.nn.functional as F

    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, size, size)).astype(np.float32)
    w = (rng.standard_normal((c, c, 3, 3)) / np.sqrt(9 * c)).astype(np.float32)
    b = rng.standard_normal(c).astype(np.float32)
    g = rng.standard_normal((n, c, size, size)).astype(np.float32)
    gx, gw, gb = (gn.tensor(a, requires_grad=True) for a in (x, w, b))
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    gg, tg = gn.tensor(g), torch.tensor(g)

    def run_gn(algorithm):
        def step():
            gn.backends.conv_algorithm = algorithm
            gx.grad = gw.grad = gb.grad = None
            F.conv2d(gx, gw, gb, padding=1).backward(gg)
        return step

    def run_torch():
        tx.grad = tw.grad = tb.grad = None
        torch.nn.functional.conv2d(tx, tw, tb, padding=1).backward(tg)

    wino, im2col = run_gn("winograd"), run_gn("im2col")
    try:
        return (compare(name + ": winograd / im2col", wino, im2col, blocks=blocks),
                compare(name + ": winograd / PyTorch", wino, run_torch, blocks=blocks),
                compare(name + ": im2col / PyTorch", im2col, run_torch, blocks=blocks))
    finally:
        gn.backends.conv_algorithm = "auto"


def winograd_precision(c, size, n=128):
    """max |error| / max |reference| of float32 y, dx and dW against PyTorch in float64, for
    im2col, Winograd F(2x2, 3x3) and F(4x4, 3x3)."""
    import torch

    import glassnet as gn
    import glassnet.nn.functional as F
    from glassnet.nn.functional import winograd

    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, c, size, size))
    w = rng.standard_normal((c, c, 3, 3)) / np.sqrt(9 * c)
    g = rng.standard_normal((n, c, size, size))
    tx, tw = (torch.tensor(a, requires_grad=True) for a in (x, w))
    torch.nn.functional.conv2d(tx, tw, padding=1).backward(torch.tensor(g))
    ref = [torch.nn.functional.conv2d(tx, tw, padding=1).detach().numpy(), tx.grad.numpy(),
           tw.grad.numpy()]
    out = {}
    tile = winograd.TILE
    try:
        for label, algorithm, m in (("im2col", "im2col", 4), ("F(2x2)", "winograd", 2),
                                    ("F(4x4)", "winograd", 4)):
            gn.backends.conv_algorithm, winograd.TILE = algorithm, m
            gx, gw = (gn.tensor(a.astype(np.float32), requires_grad=True) for a in (x, w))
            y = F.conv2d(gx, gw, padding=1)
            y.backward(gn.tensor(g.astype(np.float32)))
            got = [y.detach().numpy(), gx.grad.numpy(), gw.grad.numpy()]
            out[label] = [float(np.abs(a - r).max() / np.abs(r).max()) for a, r in zip(got, ref)]
    finally:
        gn.backends.conv_algorithm, winograd.TILE = "auto", tile
    return out


def run_winograd(quick=False):
    """The Winograd section: timings (one thread) and precision, as two tables."""
    blocks = 3 if quick else 9
    print("\n## Winograd F(4x4, 3x3) vs im2col vs PyTorch, forward + backward, batch 128, "
          "one thread\n")
    print("| layer | winograd | im2col | PyTorch | winograd / im2col (min-max) "
          "| winograd / PyTorch | im2col / PyTorch |\n|---|---|---|---|---|---|---|")
    res = []
    for name, c, size in WINOGRAD_LAYERS:
        wi, wt, it = winograd_benchmark(name, c, size, blocks=blocks)
        res += [wi, wt, it]
        print(f"| {name} | {wi.gn_s * 1e3:.1f} ms | {wi.torch_s * 1e3:.1f} ms "
              f"| {wt.torch_s * 1e3:.1f} ms | **{wi.ratio:.2f}** ({wi.ratio_min:.2f}-"
              f"{wi.ratio_max:.2f}) | {wt.ratio:.2f} ({wt.ratio_min:.2f}-{wt.ratio_max:.2f}) "
              f"| {it.ratio:.2f} ({it.ratio_min:.2f}-{it.ratio_max:.2f}) |", flush=True)
    print("\n## float32 error against float64 (max |error| / max |reference|), batch 128\n")
    print("| layer | im2col y / dx / dW | F(2x2) y / dx / dW | F(4x4) y / dx / dW |\n"
          "|---|---|---|---|")
    for name, c, size in WINOGRAD_LAYERS:
        p = winograd_precision(c, size)
        cells = " | ".join(" / ".join(f"{e:.1e}" for e in p[k])
                           for k in ("im2col", "F(2x2)", "F(4x4)"))
        print(f"| {name} | {cells} |", flush=True)
    return res


def run(quick=False):
    blocks = 3 if quick else 7
    res = [conv_benchmark(*c, blocks=blocks) for c in CONVS]
    res += [pool_benchmark(*p, blocks=blocks) for p in POOLS]
    print_table(res, "Convolution and pooling (forward + backward)")
    return res


def set_threads(n):
    """Run PyTorch, glassnet's kernels and the BLAS under NumPy on n threads."""
    import torch

    import glassnet as gn

    torch.set_num_threads(n)
    gn.set_num_threads(n)


if __name__ == "__main__":
    if "--winograd" in sys.argv:
        set_threads(1)
        run_winograd(quick="--quick" in sys.argv)
        sys.exit()
    if "--threads" in sys.argv:
        set_threads(int(sys.argv[sys.argv.index("--threads") + 1]))
    run(quick="--quick" in sys.argv)
