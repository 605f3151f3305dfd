"""An LSTM training step: sequence 35, batch 32, input 64, hidden 128, glassnet against PyTorch.

Run: python benchmarks/bench_lstm.py [--blocks 9] [--threads N] [--profile]

One step = zero_grad, ``nn.LSTM`` over the whole sequence, ``nn.Linear`` on the last output,
``nn.CrossEntropyLoss``, backward, and an in-place SGD update under no_grad, written identically
for both libraries from the same weights and batch. Also timed: the same step for a GRU, a
two-layer bidirectional LSTM, and the LSTM's forward alone under no_grad. Blocks alternate between
the libraries in one process (``harness.py``); printed are the median times and the ratio
glassnet / PyTorch (PyTorch runs its CPU kernels: the per-step cell is ATen's fused LSTM cell).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.harness import compare, print_table

SEQ, BATCH, INPUT, HIDDEN, CLASSES = 35, 32, 64, 128, 10
LR = 0.01


class Net:
    """The recurrent layer and the linear head of one library (kept as two plain modules)."""

    def __init__(self, lib, cell="LSTM", num_layers=1, bidirectional=False):
        nn = lib.nn
        self.rnn = getattr(nn, cell)(INPUT, HIDDEN, num_layers=num_layers,
                                     bidirectional=bidirectional)
        self.fc = nn.Linear(HIDDEN * (2 if bidirectional else 1), CLASSES)

    def params(self):
        return list(self.rnn.parameters()) + list(self.fc.parameters())

    def state(self):
        return {**{f"rnn.{k}": v for k, v in self.rnn.state_dict().items()},
                **{f"fc.{k}": v for k, v in self.fc.state_dict().items()}}

    def __call__(self, x):
        out, _ = self.rnn(x)
        return self.fc(out[-1])


def make_step(lib, net, x, y):
    criterion = lib.nn.CrossEntropyLoss()
    params = net.params()
    glassnet = lib.__name__ == "glassnet"

    def step():
        for p in params:
            p.grad = None
        loss = criterion(net(x), y)
        loss.backward()
        with lib.no_grad():
            for p in params:
                p.data -= LR * (p.grad.data if glassnet else p.grad)
        return loss

    return step


def make_forward(lib, net, x):
    def fwd():
        with lib.no_grad():
            return net(x)

    return fwd


def setup(cell="LSTM", num_layers=1, bidirectional=False, seed=0):
    import torch

    import glassnet as gn

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((SEQ, BATCH, INPUT)).astype(np.float32)
    y = rng.integers(0, CLASSES, BATCH)
    tnet = Net(torch, cell, num_layers, bidirectional)
    gnet = Net(gn, cell, num_layers, bidirectional)
    state = {k: v.detach().numpy().copy() for k, v in tnet.state().items()}
    gnet.rnn.load_state_dict({k[4:]: v for k, v in state.items() if k.startswith("rnn.")})
    gnet.fc.load_state_dict({k[3:]: v for k, v in state.items() if k.startswith("fc.")})
    gx, tx = gn.tensor(x), torch.tensor(x)
    gstep = make_step(gn, gnet, gx, gn.tensor(y))
    tstep = make_step(torch, tnet, tx, torch.tensor(y))
    # the same first step gives the same loss
    lg, lt = gstep().item(), tstep().item()
    assert abs(lg - lt) < 1e-4 * max(1.0, abs(lt)), (lg, lt)
    return gstep, tstep, make_forward(gn, gnet, gx), make_forward(torch, tnet, tx)


def flops(num_gates=4, layers=1, directions=1):
    """Multiply-adds of the matrix products: input and recurrent projections, x3 for training."""
    per_dir = [SEQ * BATCH * num_gates * HIDDEN * (INPUT if k == 0 else HIDDEN * directions)
               + SEQ * BATCH * num_gates * HIDDEN * HIDDEN for k in range(layers)]
    return 2 * 3 * directions * sum(per_dir)


def run(blocks=9, quick=False):
    blocks = 5 if quick else blocks
    shape = f"seq {SEQ}, batch {BATCH}, {INPUT}->{HIDDEN}"
    results = []
    gstep, tstep, gfwd, tfwd = setup("LSTM")
    results.append(compare(f"LSTM train step ({shape})", gstep, tstep, blocks=blocks,
                           flops=flops(4), target=1.5))
    results.append(compare(f"LSTM forward, no_grad ({shape})", gfwd, tfwd, blocks=blocks,
                           flops=flops(4) / 3))
    if not quick:
        gstep, tstep, _, _ = setup("GRU")
        results.append(compare(f"GRU train step ({shape})", gstep, tstep, blocks=blocks,
                               flops=flops(3)))
        gstep, tstep, _, _ = setup("LSTM", num_layers=2, bidirectional=True)
        results.append(compare(f"LSTM 2 layers bidirectional train step ({shape})", gstep,
                               tstep, blocks=blocks, flops=flops(4, 2, 2)))
    print_table(results, "Recurrent training step (nn.LSTM / nn.GRU, Linear head, "
                         "CrossEntropyLoss, SGD)")
    for r in results:
        print(f"{r.name}: glassnet {r.gn_s * 1e3:.3f} ms, PyTorch {r.torch_s * 1e3:.3f} ms, "
              f"ratio {r.ratio:.2f}")
    return results


def profile(steps=100):
    gstep, _, _, _ = setup("LSTM")
    pr = cProfile.Profile()
    pr.enable()
    for _ in range(steps):
        gstep()
    pr.disable()
    pstats.Stats(pr).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--blocks", type=int, default=9)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--threads", type=int, default=None)
    a = ap.parse_args()
    if a.threads:
        import torch
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(a.threads)
        threadpool_limits(a.threads)
    if a.profile:
        profile()
    else:
        run(a.blocks, a.quick)
