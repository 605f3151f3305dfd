"""End to end: a 2-layer MLP written directly against the Tensor API (no nn, no optim) and trained
with plain SGD learns XOR and the 8x8 digits. This exercises matmul, broadcasting, relu/tanh,
logsumexp, gather, reductions, backward, no_grad and in-place parameter updates together."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn


def _init(fan_in, fan_out):
    """PyTorch's Linear initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as leaf tensors."""
    bound = 1.0 / np.sqrt(fan_in)
    w = (gn.rand(fan_in, fan_out) * 2 - 1) * bound
    b = (gn.rand(fan_out) * 2 - 1) * bound
    return w.requires_grad_(), b.requires_grad_()


def _cross_entropy(logits, y):
    """mean_i [ log sum_j exp(z_ij) - z_{i, y_i} ]."""
    picked = logits.gather(1, y.unsqueeze(1)).squeeze(1)
    return (logits.logsumexp(1) - picked).mean()


def _sgd_step(params, lr):
    with gn.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None


def test_mlp_learns_xor():
    gn.manual_seed(0)
    x = gn.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = gn.tensor([[0.0], [1.0], [1.0], [0.0]])
    w1, b1 = _init(2, 8)
    w2, b2 = _init(8, 1)
    params = [w1, b1, w2, b2]
    for _ in range(500):
        h = (x @ w1 + b1).tanh()
        out = (h @ w2 + b2).sigmoid()
        loss = ((out - y) ** 2).mean()
        loss.backward()
        _sgd_step(params, 2.0)
    assert loss.item() < 0.02
    with gn.no_grad():
        pred = ((x @ w1 + b1).tanh() @ w2 + b2).sigmoid() > 0.5
    assert pred.float().tolist() == y.tolist()


def _load_digits():
    """scikit-learn's 8x8 digits (1797 images, 10 classes), read from the file that
    ``sklearn.datasets.load_digits`` reads (importing scikit-learn itself takes seconds)."""
    import importlib.util
    import os

    spec = importlib.util.find_spec("sklearn")
    if spec is None:
        pytest.skip("scikit-learn is not installed")
    path = os.path.join(os.path.dirname(spec.origin), "datasets", "data", "digits.csv.gz")
    if os.path.exists(path):
        data = np.loadtxt(path, delimiter=",")
        return data[:, :-1].astype(np.float32), data[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits
    d = load_digits()
    return d.data.astype(np.float32), d.target.astype(np.int64)


def test_mlp_learns_digits():
    X, Y = _load_digits()
    perm = np.random.default_rng(0).permutation(len(X))
    n_test = len(X) // 4
    test, train = perm[:n_test], perm[n_test:]
    # Standardise with training statistics (+1 keeps constant border pixels finite).
    X = (X - X[train].mean(0)) / (X[train].std(0) + 1.0)
    Xtr, Ytr = gn.tensor(X[train]), gn.tensor(Y[train])
    Xte, Yte = gn.tensor(X[test]), gn.tensor(Y[test])

    gn.manual_seed(0)
    w1, b1 = _init(64, 64)
    w2, b2 = _init(64, 10)
    params = [w1, b1, w2, b2]
    batch, lr = 32, 0.1
    for epoch in range(10):
        order = gn.randperm(len(train)).numpy()
        for i in range(0, len(order), batch):
            idx = gn.tensor(order[i:i + batch])
            xb, yb = Xtr[idx], Ytr[idx]
            logits = (xb @ w1 + b1).relu() @ w2 + b2
            loss = _cross_entropy(logits, yb)
            loss.backward()
            _sgd_step(params, lr)
    with gn.no_grad():
        pred = ((Xte @ w1 + b1).relu() @ w2 + b2).argmax(1)
    acc = (pred == Yte).float().mean().item()
    assert acc >= 0.95, f"test accuracy {acc:.3f}"
