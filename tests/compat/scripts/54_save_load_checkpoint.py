"""Checkpointing as tutorials do it: torch.save of a dict holding the epoch, model and optimizer
state_dicts, the loss and a list; torch.load with map_location and weights_only; restoring into a
fresh model/optimizer/scheduler and continuing; saving a bare tensor and a list of tensors;
strict=False loads of a checkpoint from a slightly different model."""
import json
import os
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

# compat: rtol=1e-3 atol=1e-4
rng = np.random.default_rng(54)
X = torch.from_numpy(rng.standard_normal((12, 4)).astype(np.float32))
Y = torch.from_numpy(rng.integers(0, 3, 12))


def make_model():
    m = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, tuple(p.shape)).astype(np.float32)))
    return m


def train_steps(model, opt, sched, n):
    losses = []
    for _ in range(n):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(X), Y)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    return losses


model = make_model()
opt = optim.Adam(model.parameters(), lr=0.01)
sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
res = {"first": train_steps(model, opt, sched, 3)}
tmp = tempfile.mkdtemp()
path = os.path.join(tmp, "ckpt.pt")
torch.save({"epoch": 3, "model_state_dict": model.state_dict(),
            "optimizer_state_dict": opt.state_dict(), "scheduler": sched.state_dict(),
            "loss": res["first"][-1], "history": res["first"], "name": "mlp"}, path)
reference = train_steps(model, opt, sched, 3)

ckpt = torch.load(path, map_location="cpu")
res["ckpt_keys"] = sorted(ckpt.keys())
res["ckpt_meta"] = [ckpt["epoch"], ckpt["name"], ckpt["history"], ckpt["loss"]]
res["sd_keys"] = list(ckpt["model_state_dict"].keys())
res["bn_tracked"] = ckpt["model_state_dict"]["1.num_batches_tracked"].item()
model2 = make_model()
model2.load_state_dict(ckpt["model_state_dict"])
opt2 = optim.Adam(model2.parameters(), lr=0.01)
opt2.load_state_dict(ckpt["optimizer_state_dict"])
sched2 = optim.lr_scheduler.StepLR(opt2, step_size=2, gamma=0.5)
sched2.load_state_dict(ckpt["scheduler"])
resumed = train_steps(model2, opt2, sched2, 3)
res["resumed"] = resumed
res["resume_matches"] = np.allclose(resumed, reference, rtol=1e-4)
res["lr_after"] = [opt2.param_groups[0]["lr"], sched2.get_last_lr()]

# model-only save, weights_only load, bare tensors and lists of tensors
wpath = os.path.join(tmp, "weights.pth")
torch.save(model2.state_dict(), wpath)
sd = torch.load(wpath, weights_only=True)
model3 = make_model()
model3.load_state_dict(sd)
model2.eval()
model3.eval()
with torch.no_grad():
    res["same_outputs"] = torch.equal(model2(X), model3(X))
tpath = os.path.join(tmp, "t.pt")
torch.save(torch.arange(6).view(2, 3), tpath)
t = torch.load(tpath)
res["bare_tensor"] = [t.tolist(), t.dtype == torch.int64]
torch.save([torch.ones(2), torch.zeros(1, dtype=torch.float64)], tpath)
lst = torch.load(tpath)
res["tensor_list"] = [[x.tolist() for x in lst], lst[1].dtype == torch.float64]
# transfer into a model with a different head: strict=False and filtering by shape
bigger = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 5))
own = bigger.state_dict()
compatible = {k: v for k, v in sd.items() if k in own and v.shape == own[k].shape}
result = bigger.load_state_dict(compatible, strict=False)
res["transfer"] = [sorted(compatible.keys()), sorted(result.missing_keys),
                   result.unexpected_keys, torch.equal(bigger[0].weight, model3[0].weight)]
print(json.dumps(res))
