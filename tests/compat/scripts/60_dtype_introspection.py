"""Code that inspects dtypes as objects: dtype.is_floating_point / is_signed / is_complex /
itemsize to decide which state_dict entries to cast (a mixed-precision export), and dtypes
printed in a log line and used as dict keys."""
import json

import torch
import torch.nn as nn

model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
sd = model.state_dict()
res = {"flags": {k: [v.dtype.is_floating_point, v.dtype.is_signed, v.dtype.is_complex,
                     v.dtype.itemsize] for k, v in sd.items()}}
half = {k: (v.half() if v.dtype.is_floating_point else v) for k, v in sd.items()}
res["half_sizes"] = {k: v.element_size() for k, v in half.items()}
res["log"] = [f"{k}: {tuple(v.shape)} {v.dtype}" for k, v in sd.items()]
names = {torch.float32: "fp32", torch.int64: "i64", torch.float16: "fp16"}
res["names"] = [names[v.dtype] for v in half.values()]
res["str"] = [str(torch.float32), str(torch.long), repr(torch.bool)]
print(json.dumps(res))
