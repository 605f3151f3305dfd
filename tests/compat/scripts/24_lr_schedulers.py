"""Learning-rate schedulers: the lr sequence each produces over a few epochs."""
import json

import torch
import torch.nn as nn
import torch.optim as optim
from torch.optim.lr_scheduler import (CosineAnnealingLR, ExponentialLR, LambdaLR, MultiStepLR,
                                      OneCycleLR, ReduceLROnPlateau, StepLR)

res = {}


def trace(make, n=10, metric=None):
    model = nn.Linear(2, 1)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = make(opt)
    lrs = []
    for epoch in range(n):
        opt.zero_grad()
        model(torch.ones(1, 2)).sum().backward()
        opt.step()
        if metric is None:
            sched.step()
        else:
            sched.step(metric[epoch])
        lrs.append(opt.param_groups[0]["lr"])
    return lrs


res["step"] = trace(lambda o: StepLR(o, step_size=3, gamma=0.1))
res["multistep"] = trace(lambda o: MultiStepLR(o, milestones=[2, 5], gamma=0.5))
res["exp"] = trace(lambda o: ExponentialLR(o, gamma=0.9))
res["cosine"] = trace(lambda o: CosineAnnealingLR(o, T_max=4))
res["lambda"] = trace(lambda o: LambdaLR(o, lr_lambda=lambda epoch: 0.95 ** epoch))
res["warmup"] = trace(lambda o: LambdaLR(o, lambda e: min(1.0, (e + 1) / 3)))
res["plateau"] = trace(lambda o: ReduceLROnPlateau(o, mode="min", factor=0.5, patience=1),
                       metric=[1.0, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8])
res["onecycle"] = trace(lambda o: OneCycleLR(o, max_lr=1.0, total_steps=11))
res["cosine_restarts"] = trace(lambda o: optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=3))
res["linear"] = trace(lambda o: optim.lr_scheduler.LinearLR(o, start_factor=0.25, total_iters=4))
res["sequential"] = trace(lambda o: optim.lr_scheduler.SequentialLR(
    o, [optim.lr_scheduler.LinearLR(o, 0.1, total_iters=3), ExponentialLR(o, 0.5)],
    milestones=[3]))

model = nn.Linear(2, 1)
opt = optim.Adam(model.parameters(), lr=0.01)
sched = StepLR(opt, step_size=2)
res["initial_lr"] = [opt.param_groups[0]["initial_lr"], sched.get_last_lr(), sched.last_epoch]
opt.step()
sched.step()
sd = sched.state_dict()
res["sched_sd"] = [sd["last_epoch"], sd["step_size"], sd["base_lrs"]]
print(json.dumps(res))
