"""Hogwild!-style training as in the MNIST Hogwild example and A3C: a model moved into shared
memory with share_memory(), worker processes started with torch.multiprocessing (fork) that
each run optimiser steps on the shared parameters, and the parent seeing their updates; a
result passed back through a Queue. The loss is linear in the weights, so its gradient does
not depend on the order in which the workers' steps interleave."""
import json

import numpy as np
import torch
import torch.multiprocessing as mp
from torch import nn


def worker(rank, model, queue):
    torch.manual_seed(rank)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.full((4, 3), float(rank + 1))
    for _ in range(3):
        opt.zero_grad()
        model(x).sum().backward()
        opt.step()
    queue.put((rank, float(x.sum())))


if __name__ == "__main__":
    ctx = mp.get_context("fork")
    model = nn.Linear(3, 2)
    with torch.no_grad():
        model.weight.copy_(torch.from_numpy(np.arange(6, dtype=np.float32).reshape(2, 3)))
        model.bias.zero_()
    model.share_memory()
    queue = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(rank, model, queue)) for rank in range(2)]
    for p in procs:
        p.start()
    got = sorted(queue.get(timeout=60) for _ in procs)
    for p in procs:
        p.join()
    res = {"exitcodes": [p.exitcode for p in procs], "from_workers": got,
           "weight": model.weight.detach().tolist(), "bias": model.bias.detach().tolist(),
           "shared": [p.is_shared() for p in model.parameters()],
           "cpus": mp.cpu_count() > 0}
    print(json.dumps(res))
