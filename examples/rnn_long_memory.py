"""Memory across time: a plain RNN against a GRU and an LSTM on the adding problem.

The adding problem (Hochreiter & Schmidhuber 1997, the LSTM paper): every step carries a random
value in [0, 1) and a marker bit; exactly two steps are marked, one in each half of the
sequence, and the target is the sum of their two values. Predicting the mean (1.0) gives a
mean squared error of 1/6 = 0.167; anything clearly below needs the network to find the first
marked value and carry it to the end, through T/2 or more steps.

Backpropagation through time multiplies one Jacobian per step, so in a plain (Elman) RNN the
gradient reaching the early steps shrinks geometrically: it *vanishes*, and the early value never
gets learned. The LSTM updates its cell state additively, c_t = f * c_{t-1} + i * g, so that
gradient is scaled only by the forget gates, which start open here (forget-gate bias 1,
Jozefowicz et al. 2015); the GRU's h' = (1 - z) n + z h does the same with its update gate
(lectures 002 "Recurrent Neural Networks", 004 on the LSTM).

The script measures ||dL/dx_t|| at initialisation (first step against last), then trains each
network and prints its test error.

    python examples/rnn_long_memory.py [--steps 1500] [--length 30]
"""

import argparse
import time

import numpy as np

import glassnet as gn
from glassnet import nn, optim


class Adder(nn.Module):
    def __init__(self, cell, hidden=32):
        super().__init__()
        self.rnn = getattr(nn, cell)(2, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, 1)
        if cell == "LSTM":  # open forget gates: block f (rows H..2H) of the biases
            with gn.no_grad():
                self.rnn.bias_ih_l0.data[hidden:2 * hidden] = 1.0
                self.rnn.bias_hh_l0.data[hidden:2 * hidden] = 0.0

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out[:, -1])


def batch(rng, n, length):
    """(values, markers) of shape (n, T, 2) and the targets (n, 1)."""
    x = np.zeros((n, length, 2), dtype=np.float32)
    x[:, :, 0] = rng.random((n, length))
    rows = np.arange(n)
    first, second = rng.integers(0, length // 2, n), rng.integers(length // 2, length, n)
    x[rows, first, 1] = x[rows, second, 1] = 1
    y = x[rows, first, 0] + x[rows, second, 0]
    return gn.tensor(x), gn.tensor(y[:, None])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--length", type=int, default=30)
    a = ap.parse_args()
    loss_fn = nn.MSELoss()
    print(f"adding problem, T = {a.length}; predicting the mean scores MSE 0.167\n")
    for cell in ("RNN", "GRU", "LSTM"):
        gn.manual_seed(0)
        rng = np.random.default_rng(0)
        model = Adder(cell)
        x, y = batch(rng, 256, a.length)
        x.requires_grad_(True)
        loss_fn(model(x), y).backward()
        g = np.linalg.norm(x.grad.numpy(), axis=2).mean(0)    # ||dL/dx_t|| per step t
        print(f"{cell:4s} at init: ||dL/dx_0|| / ||dL/dx_T-1|| = {g[0] / g[-1]:.1e}")
        opt = optim.Adam(model.parameters(), lr=0.005)
        t0 = time.perf_counter()
        for _ in range(a.steps):
            x, y = batch(rng, 32, a.length)
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
        x, y = batch(rng, 1000, a.length)
        with gn.no_grad():
            mse = loss_fn(model(x), y).item()
        print(f"{cell:4s} after {a.steps} steps ({time.perf_counter() - t0:.1f} s): "
              f"test MSE {mse:.4f}\n")


if __name__ == "__main__":
    main()
