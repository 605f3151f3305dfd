"""Gradient accumulation over micro-batches, zero_grad(set_to_none), every optimiser."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

# compat: rtol=1e-3 atol=1e-5
rng = np.random.default_rng(27)
X = torch.from_numpy(rng.standard_normal((16, 4)).astype(np.float32))
Y = torch.from_numpy(rng.standard_normal((16, 2)).astype(np.float32))
W0 = rng.standard_normal((2, 4)).astype(np.float32) * 0.5


def fresh():
    m = nn.Linear(4, 2)
    with torch.no_grad():
        m.weight.copy_(torch.from_numpy(W0))
        m.bias.fill_(0.1)
    return m


res = {}
# accumulating 4 micro-batches of 4 (loss / 4) equals one batch of 16
m1, m2 = fresh(), fresh()
nn.MSELoss()(m1(X), Y).backward()
for xb, yb in zip(X.chunk(4), Y.chunk(4)):
    (nn.MSELoss()(m2(xb), yb) / 4).backward()
res["accum_equal"] = torch.allclose(m1.weight.grad, m2.weight.grad, atol=1e-6)
res["accum_grad"] = m2.weight.grad.tolist()

opt = optim.SGD(m2.parameters(), lr=0.1)
opt.zero_grad()
res["set_to_none"] = m2.weight.grad is None
opt.zero_grad(set_to_none=False)
res["zero_kept"] = m2.weight.grad is None
nn.MSELoss()(m2(X), Y).backward()
opt.zero_grad(set_to_none=False)
res["zeros"] = m2.weight.grad.abs().sum().item()


def train(make_opt, steps=6, accum=2):
    m = fresh()
    opt = make_opt(m.parameters())
    losses = []
    opt.zero_grad()
    for step in range(steps * accum):
        i = step % 4
        loss = nn.functional.mse_loss(m(X[4 * i:4 * i + 4]), Y[4 * i:4 * i + 4]) / accum
        loss.backward()
        if (step + 1) % accum == 0:
            opt.step()
            opt.zero_grad()
            losses.append(nn.functional.mse_loss(m(X), Y).item())
    return losses + m.weight.detach().view(-1).tolist()


res["sgd_wd"] = train(lambda p: optim.SGD(p, lr=0.1, weight_decay=0.01))
res["sgd_nesterov"] = train(lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True,
                                                dampening=0))
res["adam"] = train(lambda p: optim.Adam(p, lr=0.05))
res["adam_amsgrad"] = train(lambda p: optim.Adam(p, lr=0.05, amsgrad=True, weight_decay=0.1))
res["adamw"] = train(lambda p: optim.AdamW(p, lr=0.05, weight_decay=0.1))
res["rmsprop"] = train(lambda p: optim.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.5))
res["rmsprop_centered"] = train(lambda p: optim.RMSprop(p, lr=0.01, centered=True))
res["adagrad"] = train(lambda p: optim.Adagrad(p, lr=0.1, lr_decay=0.01))
res["adadelta"] = train(lambda p: optim.Adadelta(p, lr=1.0))
res["sgd_maximize"] = train(lambda p: optim.SGD(p, lr=0.01, maximize=True), steps=2)

# closure-style step returns the loss
m = fresh()
opt = optim.SGD(m.parameters(), lr=0.1)


def closure():
    opt.zero_grad()
    loss = nn.functional.mse_loss(m(X), Y)
    loss.backward()
    return loss


res["closure_loss"] = float(opt.step(closure))
res["defaults"] = [opt.defaults["lr"], opt.defaults["momentum"], opt.defaults["weight_decay"]]
print(json.dumps(res))
