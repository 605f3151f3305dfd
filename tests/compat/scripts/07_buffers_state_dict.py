"""register_buffer, state_dict, load_state_dict (strict and not), persistent buffers."""
import json

import numpy as np
import torch
import torch.nn as nn


def dtype_name(dt):
    names = {torch.float16: "float16", torch.float32: "float32", torch.float64: "float64",
             torch.int32: "int32", torch.int64: "int64", torch.uint8: "uint8", torch.bool: "bool"}
    return names[dt]


class Normalizer(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.register_buffer("mean", torch.zeros(n))
        self.register_buffer("count", torch.tensor(0))
        self.register_buffer("scratch", torch.ones(n), persistent=False)
        self.linear = nn.Linear(n, 2)

    def forward(self, x):
        if self.training:
            with torch.no_grad():
                self.count += 1
                self.mean.mul_(0.9).add_(0.1 * x.mean(0))
        return self.linear(x - self.mean)


rng = np.random.default_rng(7)
m = Normalizer(3)
with torch.no_grad():
    m.linear.weight.copy_(torch.from_numpy(rng.standard_normal((2, 3)).astype(np.float32)))
    m.linear.bias.copy_(torch.tensor([0.1, -0.2]))
x = torch.from_numpy(rng.standard_normal((4, 3)).astype(np.float32))
for _ in range(3):
    out = m(x)
res = {}
res["buffers"] = [n for n, _ in m.named_buffers()]
res["sd_keys"] = list(m.state_dict().keys())
res["sd_count"] = m.state_dict()["count"].item()
res["mean"] = m.mean.tolist()
res["params_not_buffers"] = [n for n, _ in m.named_parameters()]
res["out"] = out.tolist()

# copy into a fresh model with strict loading
m2 = Normalizer(3)
missing = m2.load_state_dict(m.state_dict())
res["strict_result"] = [list(missing.missing_keys), list(missing.unexpected_keys)]
m2.eval()
m.eval()
res["same_out"] = torch.allclose(m(x), m2(x))

# strict=False reports missing and unexpected keys
sd = m.state_dict()
del sd["linear.bias"]
sd["extra.weight"] = torch.zeros(1)
result = m2.load_state_dict(sd, strict=False)
res["nonstrict"] = [sorted(result.missing_keys), sorted(result.unexpected_keys)]
try:
    m2.load_state_dict(sd)
    res["strict_raises"] = False
except RuntimeError:
    res["strict_raises"] = True

# wrong shape fails even when not strict
bad = m.state_dict()
bad["linear.weight"] = torch.zeros(5, 5)
try:
    m2.load_state_dict(bad, strict=False)
    res["shape_raises"] = False
except RuntimeError:
    res["shape_raises"] = True

# state_dict values are detached and share storage with the parameters
sd = m.state_dict()
res["sd_requires_grad"] = sd["linear.weight"].requires_grad
sd["linear.weight"].zero_()
res["shares_storage"] = m.linear.weight.abs().sum().item()

# loading into a submodule and a plain-dict round trip through NumPy
arrays = {k: v.numpy().copy() for k, v in m2.state_dict().items()}
m3 = Normalizer(3)
m3.load_state_dict({k: torch.from_numpy(v) for k, v in arrays.items()})
m3.linear.load_state_dict({"weight": torch.ones(2, 3), "bias": torch.zeros(2)})
m3.eval()
res["m3_out"] = m3(x).tolist()
res["buffer_dtype"] = [dtype_name(m3.count.dtype), dtype_name(m3.mean.dtype)]
print(json.dumps(res))
