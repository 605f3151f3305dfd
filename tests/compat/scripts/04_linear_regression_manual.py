"""Linear regression with hand-written parameter updates (the 'autograd from scratch' notebook)."""
import json

import numpy as np
import torch

# compat: rtol=1e-3 atol=1e-5
np.random.seed(42)
X_np = np.random.rand(100, 3).astype(np.float32)
true_w = np.array([[2.0], [-3.4], [1.5]], dtype=np.float32)
y_np = X_np @ true_w + 4.2 + 0.01 * np.random.randn(100, 1).astype(np.float32)

X = torch.from_numpy(X_np)
y = torch.from_numpy(y_np)
w = torch.zeros(3, 1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr = 0.1
losses = []
for epoch in range(200):
    y_hat = X @ w + b
    loss = ((y_hat - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
    losses.append(loss.item())

# the same model through nn.Linear and a mini-batch loop with torch.randperm-free batching
model = torch.nn.Linear(3, 1)
with torch.no_grad():
    model.weight.fill_(0.0)
    model.bias.fill_(0.0)
loss_fn = torch.nn.MSELoss()
for epoch in range(20):
    for i in range(0, 100, 25):
        xb, yb = X[i:i + 25], y[i:i + 25]
        loss = loss_fn(model(xb), yb)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= 0.1 * param.grad

res = {"losses": losses[::20] + [losses[-1]], "w": w.detach().view(-1).tolist(), "b": b.item(),
       "nn_w": model.weight.detach().numpy().ravel().tolist(), "nn_b": model.bias.item(),
       "final_mse": loss_fn(model(X), y).item(), "w_requires_grad": w.requires_grad}
print(json.dumps(res))
