"""Checkpointing: torch.save / torch.load of a dict with epoch, model and optimizer state dicts."""
import json
import os
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim


def dtype_name(dt):
    names = {torch.float16: "float16", torch.float32: "float32", torch.float64: "float64",
             torch.int32: "int32", torch.int64: "int64", torch.uint8: "uint8", torch.bool: "bool"}
    return names[dt]

# compat: rtol=1e-3 atol=1e-5
rng = np.random.default_rng(12)
X = torch.from_numpy(rng.standard_normal((32, 5)).astype(np.float32))
Y = torch.from_numpy(rng.standard_normal((32, 1)).astype(np.float32))
init = {"0.weight": rng.standard_normal((8, 5)).astype(np.float32) * 0.3,
        "0.bias": np.zeros(8, np.float32),
        "2.weight": rng.standard_normal((1, 8)).astype(np.float32) * 0.3,
        "2.bias": np.zeros(1, np.float32)}


def make():
    model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 1))
    model.load_state_dict({k: torch.from_numpy(v) for k, v in init.items()})
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    scheduler = optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    return model, optimizer, scheduler


def train_epoch(model, optimizer):
    total = 0.0
    for xb, yb in zip(X.split(8), Y.split(8)):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total


# straight through: 6 epochs
model, optimizer, scheduler = make()
straight = []
for epoch in range(6):
    straight.append(train_epoch(model, optimizer))
    scheduler.step()

# 3 epochs, checkpoint, fresh objects, load, 3 more epochs
model, optimizer, scheduler = make()
resumed = []
for epoch in range(3):
    resumed.append(train_epoch(model, optimizer))
    scheduler.step()
path = os.path.join(tempfile.mkdtemp(), "checkpoint.pt")
torch.save({"epoch": epoch, "model_state_dict": model.state_dict(),
            "optimizer_state_dict": optimizer.state_dict(),
            "scheduler_state_dict": scheduler.state_dict(), "loss": resumed[-1]}, path)
del model, optimizer, scheduler

model, optimizer, scheduler = make()
checkpoint = torch.load(path)
model.load_state_dict(checkpoint["model_state_dict"])
optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
scheduler.load_state_dict(checkpoint["scheduler_state_dict"])
start_epoch = checkpoint["epoch"] + 1
model.train()
for epoch in range(start_epoch, 6):
    resumed.append(train_epoch(model, optimizer))
    scheduler.step()

opt_sd = optimizer.state_dict()
res = {"straight": straight, "resumed": resumed, "start_epoch": start_epoch,
       "saved_loss": checkpoint["loss"], "ckpt_keys": sorted(checkpoint),
       "opt_sd_keys": sorted(opt_sd), "param_ids": opt_sd["param_groups"][0]["params"],
       "momentum_keys": sorted(opt_sd["state"][0]),
       "lr": optimizer.param_groups[0]["lr"]}

# saving just the weights, then loading into a model in eval mode
torch.save(model.state_dict(), path)
model2 = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 1))
model2.load_state_dict(torch.load(path, weights_only=True))
model2.eval()
with torch.no_grad():
    res["same_predictions"] = torch.equal(model2(X), model(X))
# tensors and plain containers round-trip too
torch.save({"t": torch.arange(4), "lst": [torch.ones(2), 3], "s": "text"}, path)
obj = torch.load(path)
res["roundtrip"] = [obj["t"].tolist(), obj["lst"][0].tolist(), obj["lst"][1], obj["s"],
                    dtype_name(obj["t"].dtype)]
print(json.dumps(res))
