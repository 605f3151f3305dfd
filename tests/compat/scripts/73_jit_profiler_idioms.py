"""Decorations and instrumentation that production model code carries: functions compiled with
@torch.jit.script, torch.jit.is_scripting() branches, @torch.jit.ignore helpers, a module
traced with torch.jit.trace and called again, torch.jit.annotate; regions labelled with
torch.profiler.record_function (also as a decorator) inside a profiled loop with a schedule,
and the counts that key_averages reports for them."""
import json

import numpy as np
import torch
from torch import nn
from torch.profiler import ProfilerActivity, profile, record_function, schedule


@torch.jit.script
def fused_gelu(x):
    return x * 0.5 * (1.0 + torch.erf(x / 1.41421356237))


class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(4, 3)

    @torch.jit.ignore
    def describe(self) -> str:
        return "head with " + str(self.proj.out_features) + " outputs"

    def forward(self, x):
        if torch.jit.is_scripting():
            return self.proj(x)
        return torch.log_softmax(self.proj(fused_gelu(x)), dim=-1)


rng = np.random.default_rng(73)
head = Head()
with torch.no_grad():
    head.proj.weight.copy_(torch.from_numpy(rng.standard_normal((3, 4)).astype(np.float32)))
    head.proj.bias.zero_()
x = torch.from_numpy(rng.standard_normal((2, 4)).astype(np.float32))
traced = torch.jit.trace(head, (x,))
sizes = torch.jit.annotate(list[int], [])
sizes.append(int(x.shape[0]))
res = {"gelu": fused_gelu(torch.tensor([-1.0, 0.0, 2.0])).tolist(),
       "eager": head(x).tolist(), "traced": traced(x * 2).tolist(),
       "describe": head.describe(), "scripting": torch.jit.is_scripting(), "sizes": sizes}


@record_function("loss_fn")
def loss_fn(out):
    return -out[:, 0].mean()


opt = torch.optim.SGD(head.parameters(), lr=0.1)
ready = []
with profile(activities=[ProfilerActivity.CPU], schedule=schedule(wait=1, warmup=1, active=2),
             on_trace_ready=lambda p: ready.append(p.step_num)) as prof:
    for step in range(5):
        with record_function("forward"):
            out = head(x)
        loss = loss_fn(out)
        with record_function("backward"):
            opt.zero_grad()
            loss.backward()
        opt.step()
        prof.step()
counts = {e.key: e.count for e in prof.key_averages()
          if e.key in ("forward", "backward", "loss_fn") or e.key.startswith("ProfilerStep")}
res["profiled"] = [sorted(counts.items()), ready, loss.item()]
print(json.dumps(res))
