"""Vanishing gradients, measured: a deep sigmoid MLP starves its first layer, a ReLU one does not.

Setup: a 10-layer MLP (32 -> 64 x 9 -> 10), width 64, batch 128 of N(0, 1) inputs, random labels,
cross-entropy loss. Sigmoid layers keep PyTorch's default Linear initialisation; ReLU layers use
Kaiming-normal weights (gain sqrt(2)) and zero biases.

Measured ratio first-layer / last-layer gradient norm over seeds 0-5:

    weight gradients ||dL/dW||:  sigmoid 1.6e-8 .. 3.7e-8    ReLU 0.10 .. 0.34
    output gradients ||dL/da||:  sigmoid 1.9e-8 .. 2.5e-8    ReLU 0.34 .. 0.58

The thresholds below sit between those ranges with a wide margin: sigmoid < 1e-4 (each sigmoid
layer scales the gradient by at most 1/4, and in practice by about 0.15), ReLU > 0.05 for weight
gradients and > 0.2 for output gradients.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as tnn

import glassnet as gn
import glassnet.nn as nn
from glassnet.analysis import activation_stds, gradient_norms, gradient_ratio


def build(act, depth=10, width=64, din=32, dout=10):
    layers, d = [], din
    for _ in range(depth - 1):
        lin = nn.Linear(d, width)
        if act == "relu":
            nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
            nn.init.zeros_(lin.bias)
        layers += [lin, nn.ReLU() if act == "relu" else nn.Sigmoid()]
        d = width
    layers.append(nn.Linear(d, dout))
    return nn.Sequential(*layers)


@pytest.fixture
def batch():
    gn.manual_seed(0)
    return gn.randn(128, 32), gn.randint(0, 10, (128,))


def test_sigmoid_gradients_vanish_relu_gradients_do_not(batch):
    x, y = batch
    sig = gradient_norms(build("sigmoid"), nn.CrossEntropyLoss(), x, y)
    relu = gradient_norms(build("relu"), nn.CrossEntropyLoss(), x, y)
    assert len(sig) == len(relu) == 10
    assert gradient_ratio(sig) < 1e-4
    assert gradient_ratio(relu) > 0.05
    # with sigmoid every layer gets less gradient than the one above it
    vals = list(sig.values())
    assert all(a < b for a, b in zip(vals[:-2], vals[1:-1]))


def test_output_gradients_read_by_hooks(batch):
    x, y = batch
    sig = gradient_norms(build("sigmoid"), nn.CrossEntropyLoss(), x, y, kind="output",
                         layers=[nn.Linear])
    relu = gradient_norms(build("relu"), nn.CrossEntropyLoss(), x, y, kind="output",
                          layers=nn.Linear)
    assert list(sig) == [str(2 * i) for i in range(10)]  # forward order of the Linear layers
    assert gradient_ratio(sig) < 1e-4
    assert gradient_ratio(relu) > 0.2


def test_gradient_norms_match_pytorch(batch):
    x, y = batch
    g = build("sigmoid", depth=4)
    t = tnn.Sequential(*[tnn.Linear(32 if i == 0 else 64, 64 if i < 3 else 10) if k == 0
                         else tnn.Sigmoid() for i in range(4) for k in range(2)][:-1])
    t.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in g.state_dict().items()})
    norms = gradient_norms(g, nn.CrossEntropyLoss(), x, y)
    tnn.CrossEntropyLoss()(t(torch.from_numpy(x.numpy())), torch.from_numpy(y.numpy())).backward()
    ref = [m.weight.grad.norm().item() for m in t if isinstance(m, tnn.Linear)]
    np.testing.assert_allclose(list(norms.values()), ref, rtol=1e-4)
    # hooks are removed afterwards, and the .grads hold this batch's gradients
    assert all(not m._forward_hooks for m in g.modules())
    with pytest.raises(ValueError, match="kind"):
        gradient_norms(g, nn.CrossEntropyLoss(), x, y, kind="bias")


def test_activation_stds_shrink_with_small_weights_and_match_pytorch(batch):
    x, _ = batch
    g = build("sigmoid", depth=4)
    t = tnn.Sequential(*[tnn.Linear(32 if i == 0 else 64, 64 if i < 3 else 10) if k == 0
                         else tnn.Sigmoid() for i in range(4) for k in range(2)][:-1])
    t.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in g.state_dict().items()})
    stds = activation_stds(g, x, layers=nn.Linear)
    ref, h = [], torch.from_numpy(x.numpy())
    with torch.no_grad():
        for m in t:
            h = m(h)
            if isinstance(m, tnn.Linear):
                ref.append(h.std(unbiased=False).item())
    assert list(stds) == ["0", "2", "4", "6"]
    np.testing.assert_allclose(list(stds.values()), ref, rtol=1e-4)
    assert all(not m._forward_hooks for m in g.modules())
    # weights N(0, 0.01^2) in a tanh net: each layer scales the spread by about 0.01 sqrt(64)
    small = nn.Sequential(*[m for _ in range(4) for m in (nn.Linear(64, 64), nn.Tanh())])
    for m in small.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.01)
            nn.init.zeros_(m.bias)
    s = list(activation_stds(small, gn.randn(256, 64)).values())
    assert len(s) == 8 and s[-1] / s[1] < 0.08 ** 3 * 2
