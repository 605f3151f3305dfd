"""Engine overhead: a chain of small elementwise ops with backward, and a 2-layer MLP step.

Both are written against the bare Tensor API (no nn, no optim), so they measure the cost of
Function.apply, the Tensor wrappers and the backward engine against PyTorch's dispatcher.
"""

from __future__ import annotations

import numpy as np

from .harness import compare, print_table


def chain_benchmark(n_ops=60, shape=(16, 16)):
    import torch

    import glassnet as gn

    x0 = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    gx = gn.tensor(x0, requires_grad=True)
    tx = torch.tensor(x0, requires_grad=True)

    def body(x):
        y = x
        for i in range(n_ops // 4):
            y = y * 1.01
            y = y + x
            y = y.tanh()
            y = y - 0.5
        return y.sum()

    def run_gn():
        gx.grad = None
        body(gx).backward()

    def run_torch():
        tx.grad = None
        body(tx).backward()

    # ops counted: forward ops + sum; backward visits each once
    r = compare(f"elementwise chain ({n_ops} ops, {shape[0]}x{shape[1]}) fwd+bwd", run_gn,
                run_torch, target=2.0, notes="per-op overhead")
    r.extra["per_op_us_gn"] = r.gn_s / (n_ops + 1) * 1e6
    r.extra["per_op_us_torch"] = r.torch_s / (n_ops + 1) * 1e6
    return r


def mlp_benchmark(batch=64, hidden=128, lr=0.1):
    """A 784-hidden-10 MLP step with hand-written softmax cross-entropy and plain SGD."""
    import torch

    import glassnet as gn

    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, 784)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    Y = np.eye(10, dtype=np.float32)[y]
    W1 = (rng.standard_normal((784, hidden)) * 0.05).astype(np.float32)
    W2 = (rng.standard_normal((hidden, 10)) * 0.05).astype(np.float32)
    b1 = np.zeros(hidden, np.float32)
    b2 = np.zeros(10, np.float32)

    def make(lib, arrs):
        return [lib.tensor(a.copy(), requires_grad=True) for a in arrs]

    gparams = make(gn, [W1, b1, W2, b2])
    tparams = make(torch, [W1, b1, W2, b2])
    gX, gY = gn.tensor(X), gn.tensor(Y)
    tX, tY = torch.tensor(X), torch.tensor(Y)

    def step(lib, params, Xt, Yt):
        w1, c1, w2, c2 = params
        h = (Xt @ w1 + c1).relu()
        z = h @ w2 + c2
        loss = -((z - z.logsumexp(dim=1, keepdim=True)) * Yt).sum(dim=1).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with lib.no_grad():
            for p in params:
                p -= lr * p.grad

    r = compare(f"MLP 784-{hidden}-10 step, batch {batch} (Tensor API)",
                lambda: step(gn, gparams, gX, gY), lambda: step(torch, tparams, tX, tY),
                target=1.0, flops=6 * batch * (784 * hidden + hidden * 10))
    return r


def run():
    res = [chain_benchmark(), mlp_benchmark(64), mlp_benchmark(256)]
    print_table(res, "Engine overhead")
    c = res[0].extra
    print(f"\nper op: glassnet {c['per_op_us_gn']:.1f} us, PyTorch {c['per_op_us_torch']:.1f} us")
    return res


if __name__ == "__main__":
    run()
