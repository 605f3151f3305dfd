"""Device-agnostic code: torch.device, .to(device), cuda checks, cudnn flags, seeding,
.cpu().numpy()."""
import json

import numpy as np
import torch
import torch.nn as nn


def dtype_name(dt):
    names = {torch.float16: "float16", torch.float32: "float32", torch.float64: "float64",
             torch.int32: "int32", torch.int64: "int64", torch.uint8: "uint8", torch.bool: "bool"}
    return names[dt]

torch.backends.cudnn.benchmark = True
torch.backends.cudnn.deterministic = False
torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
use_mps = torch.backends.mps.is_available()
res = {"device_type": device.type, "device_str": str(device),
       "cuda_count": torch.cuda.device_count() if torch.cuda.is_available() else 0,
       "mps": use_mps, "cudnn_benchmark": torch.backends.cudnn.benchmark,
       "cudnn_flag_set": torch.backends.cudnn.deterministic is False}

model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.copy_(torch.linspace(-1, 1, p.numel()).view(p.shape) * (i + 1))
model = model.to(device)
x = torch.arange(6, dtype=torch.float32).view(2, 3).to(device)
y = torch.tensor([1, 0], device=device)
res["param_device"] = next(model.parameters()).device.type
res["x_device"] = [x.device.type, y.device.type, x.is_cuda]
out = model(x)
res["out"] = out.detach().cpu().numpy().tolist()
res["loss"] = nn.CrossEntropyLoss()(out, y).item()

# .to with dtype, .to(other_tensor), .cpu(), .double(), .type()
d = x.to(torch.float64)
res["to_dtype"] = [dtype_name(d.dtype), dtype_name(x.to(device, torch.float16).dtype),
                   dtype_name(x.long().to(x).dtype), dtype_name(x.cpu().dtype),
                   dtype_name(x.double().dtype), dtype_name(x.type(torch.int32).dtype)]
res["device_eq"] = [torch.device("cpu") == torch.device("cpu"), torch.device("cpu").type]
res["tensor_device_kw"] = torch.zeros(2, device="cpu").device.type
res["cpu_numpy"] = isinstance(out.detach().cpu().numpy(), np.ndarray)
m2 = nn.Linear(2, 2).to("cpu").float()
res["module_to_str"] = dtype_name(m2.weight.dtype)
m3 = nn.Linear(2, 2).double()
res["module_double"] = [dtype_name(m3.weight.dtype), 
                     dtype_name(m3(torch.ones(1, 2, dtype=torch.float64)).dtype)]
res["half"] = dtype_name(nn.Linear(2, 2).half().weight.dtype)

# seeding reproduces the same random numbers
torch.manual_seed(123)
a = torch.rand(3)
torch.manual_seed(123)
b = torch.rand(3)
res["seed_repro"] = torch.equal(a, b)
torch.cuda.manual_seed_all(0)
res["rand_range"] = bool(((a >= 0) & (a < 1)).all())
res["randn_shape"] = list(torch.randn(2, 3, device=device).shape)
ri = torch.randint(0, 5, (100,))
res["randint"] = bool(((ri >= 0) & (ri < 5)).all())
perm = torch.randperm(10)
res["randperm"] = sorted(perm.tolist()) == list(range(10))
print(json.dumps(res))
