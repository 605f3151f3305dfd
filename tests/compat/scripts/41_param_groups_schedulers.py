"""Training with optimizer parameter groups (different lr and weight decay per group, a group added
later), zero_grad(set_to_none=False), clip_grad_norm_, schedulers stepped per epoch with
get_last_lr(), the optimizer's and scheduler's state_dict, and resuming from them."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from torch.optim import lr_scheduler

# compat: rtol=1e-3 atol=1e-4
rng = np.random.default_rng(41)
X = torch.from_numpy(rng.standard_normal((16, 3)).astype(np.float32))
Y = (X @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.3).squeeze(1)


def make():
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, tuple(p.shape)).astype(np.float32)))
    return m


res = {}
model = make()
opt = optim.SGD([{"params": model[0].parameters(), "lr": 0.05},
                 {"params": model[2].weight, "lr": 0.2, "weight_decay": 1e-2}],
                lr=0.1, momentum=0.9, nesterov=True)
opt.add_param_group({"params": [model[2].bias], "lr": 0.01, "momentum": 0.0})
res["groups"] = [[g["lr"], g["momentum"], g["weight_decay"], g["nesterov"], len(g["params"])]
                 for g in opt.param_groups]
sched = lr_scheduler.MultiStepLR(opt, milestones=[2, 4], gamma=0.5)
log = []
for epoch in range(6):
    opt.zero_grad(set_to_none=False)
    loss = nn.functional.mse_loss(model(X).squeeze(-1), Y)
    loss.backward()
    norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    opt.step()
    sched.step()
    log.append([loss.item(), norm.item(), sched.get_last_lr()])
res["log"] = log
res["grads_zeroed"] = [p.grad is not None for p in model.parameters()]
opt.zero_grad()
res["grads_none"] = [p.grad is None for p in model.parameters()]
sd = opt.state_dict()
res["opt_state"] = [sorted(sd.keys()), len(sd["state"]), sorted(sd["state"][0].keys()),
                    [g["params"] for g in sd["param_groups"]], sd["param_groups"][0]["lr"],
                    sd["param_groups"][0]["initial_lr"]]
res["sched_state"] = [sched.state_dict()["last_epoch"], sched.state_dict()["_last_lr"]]

# resume: a new model/optimizer/scheduler from the saved states continues identically
model2 = make()
model2.load_state_dict(model.state_dict())
opt2 = optim.SGD([{"params": model2[0].parameters(), "lr": 0.05},
                  {"params": model2[2].weight, "lr": 0.2, "weight_decay": 1e-2}],
                 lr=0.1, momentum=0.9, nesterov=True)
opt2.add_param_group({"params": [model2[2].bias], "lr": 0.01, "momentum": 0.0})
opt2.load_state_dict(opt.state_dict())
sched2 = lr_scheduler.MultiStepLR(opt2, milestones=[2, 4], gamma=0.5)
sched2.load_state_dict(sched.state_dict())
for m, o in ((model, opt), (model2, opt2)):
    o.zero_grad()
    nn.functional.mse_loss(m(X).squeeze(-1), Y).backward()
    o.step()
res["resumed_equal"] = all(torch.allclose(a, b) for a, b in zip(model.parameters(),
                                                                 model2.parameters()))
res["resumed_lrs"] = [g["lr"] for g in opt2.param_groups]

# Adam with per-group betas and AdamW decoupled decay, lr changed by hand mid-run
model3 = make()
adam = optim.AdamW([{"params": model3[0].parameters()},
                    {"params": model3[2].parameters(), "lr": 3e-3, "betas": (0.8, 0.99)}],
                   lr=1e-2, weight_decay=0.05, amsgrad=True)
trace = []
for step in range(5):
    adam.zero_grad()
    loss = ((model3(X).squeeze(-1) - Y) ** 2).mean()
    loss.backward()
    adam.step()
    if step == 2:
        for g in adam.param_groups:
            g["lr"] *= 0.1
    trace.append(loss.item())
res["adamw"] = [trace, [g["lr"] for g in adam.param_groups], adam.param_groups[1]["betas"],
                adam.state[model3[0].weight]["step"].item()
                if torch.is_tensor(adam.state[model3[0].weight]["step"])
                else adam.state[model3[0].weight]["step"],
                sorted(adam.state[model3[0].weight].keys())]
print(json.dumps(res))
