"""Schedulers a course compares: ReduceLROnPlateau (mode max, cooldown, min_lr, threshold modes),
OneCycleLR with momentum cycling and linear annealing, CosineAnnealingWarmRestarts, LinearLR,
ConstantLR, PolynomialLR, CyclicLR, SequentialLR and ChainedScheduler, LambdaLR per group,
MultiplicativeLR, and warm-up by hand."""
import json

import torch
import torch.nn as nn
import torch.optim as optim
from torch.optim import lr_scheduler as S

res = {}


def run(name, make_opt, make_sched, n=12, metrics=None, per_step=False):
    model = nn.Linear(2, 1)
    opt = make_opt(model.parameters())
    sched = make_sched(opt)
    lrs, moms = [], []
    for i in range(n):
        opt.zero_grad()
        model(torch.ones(1, 2)).sum().backward()
        opt.step()
        if metrics is not None:
            sched.step(metrics[i])
        else:
            sched.step()
        lrs.append([g["lr"] for g in opt.param_groups])
        g0 = opt.param_groups[0]
        moms.append(g0["betas"][0] if "betas" in g0 else g0.get("momentum", 0.0))
    res[name] = [lrs, moms]


sgd = lambda p: optim.SGD(p, lr=0.1, momentum=0.9)  # noqa: E731
acc = [0.5, 0.6, 0.6, 0.6, 0.61, 0.6, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7]
run("plateau_max", sgd, lambda o: S.ReduceLROnPlateau(o, mode="max", factor=0.5, patience=1,
                                                      cooldown=1, min_lr=0.02), metrics=acc)
run("plateau_abs", sgd, lambda o: S.ReduceLROnPlateau(o, threshold=0.05, threshold_mode="abs",
                                                      patience=0),
    metrics=[1.0, 0.97, 0.9, 0.89, 0.88, 0.8, 0.79, 0.7, 0.69, 0.69, 0.5, 0.5])
run("onecycle", sgd, lambda o: S.OneCycleLR(o, max_lr=1.0, total_steps=12, pct_start=0.25,
                                            anneal_strategy="linear"))
run("onecycle_adam", lambda p: optim.Adam(p, lr=0.01),
    lambda o: S.OneCycleLR(o, max_lr=0.1, epochs=3, steps_per_epoch=4, div_factor=10,
                           final_div_factor=100, three_phase=True))
run("warm_restarts", sgd, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2,
                                                                  eta_min=0.001))
run("linear", sgd, lambda o: S.LinearLR(o, start_factor=0.25, total_iters=4))
run("constant", sgd, lambda o: S.ConstantLR(o, factor=0.5, total_iters=3))
run("poly", sgd, lambda o: S.PolynomialLR(o, total_iters=8, power=2.0))
run("cyclic", sgd, lambda o: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3,
                                        mode="triangular2"))
run("sequential", sgd, lambda o: S.SequentialLR(
    o, schedulers=[S.LinearLR(o, start_factor=0.1, total_iters=3),
                   S.ExponentialLR(o, gamma=0.8)], milestones=[3]))
run("chained", sgd, lambda o: S.ChainedScheduler([S.ConstantLR(o, factor=0.5, total_iters=4),
                                                  S.ExponentialLR(o, gamma=0.9)]))
run("multiplicative", sgd, lambda o: S.MultiplicativeLR(o, lambda e: 0.95))
run("lambda_groups", lambda p: optim.SGD([{"params": [next(p)]}, {"params": [next(p)],
                                                                    "lr": 1.0}], lr=0.1),
    lambda o: S.LambdaLR(o, lr_lambda=[lambda e: 1 / (e + 1), lambda e: 0.5 ** e]))
run("cosine_eta", sgd, lambda o: S.CosineAnnealingLR(o, T_max=5, eta_min=0.01))
run("step", lambda p: optim.Adam(p, lr=0.01), lambda o: S.StepLR(o, step_size=4, gamma=0.3))


# warm-up then cosine, written by hand with LambdaLR as many repos do
def warmup_cosine(step, warmup=3, total=12):
    import math
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))


run("warmup_cosine", sgd, lambda o: S.LambdaLR(o, warmup_cosine))
model = nn.Linear(2, 1)
opt = optim.SGD(model.parameters(), lr=0.1)
sched = S.StepLR(opt, step_size=2)
res["initial"] = [sched.get_last_lr(), sched.last_epoch, opt.param_groups[0]["initial_lr"],
                  sched.base_lrs]
print(json.dumps(res))
