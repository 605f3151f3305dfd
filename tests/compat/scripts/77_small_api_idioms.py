"""Small API corners that real programs lean on: creation functions with size= as a keyword,
torch.frombuffer over raw bytes (a binary header read without NumPy), torch._assert as a
traceable assert, torch.version's fields, picking an attention kernel with
torch.nn.attention.sdpa_kernel, type aliases from torch.nn.common_types in a layer's
signature, torch.nn.utils.stateless.functional_call, and the handle class in
torch.utils.hooks."""
import json
import struct

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.nn.common_types import _size_2_t
from torch.nn.utils.stateless import functional_call
from torch.utils.hooks import RemovableHandle

res = {"sizes": [list(torch.zeros(size=(2, 3)).shape), list(torch.ones(size=[4]).shape),
                 list(torch.empty(size=(1, 2, 2)).shape), list(torch.rand(size=(3,)).shape),
                 torch.zeros(size=(2,), dtype=torch.long).dtype == torch.long]}

header = struct.pack("<4sII", b"GNET", 3, 2) + struct.pack("<6f", *[0.5 * i for i in range(6)])
magic = bytes(torch.frombuffer(bytearray(header), dtype=torch.uint8, count=4).tolist())
rows, cols = torch.frombuffer(bytearray(header), dtype=torch.int32, count=2, offset=4).tolist()
values = torch.frombuffer(bytearray(header), dtype=torch.float32, offset=12).view(rows, cols)
res["frombuffer"] = [magic.decode(), rows, cols, values.tolist()]


def checked_mean(x):
    torch._assert(x.dim() == 2, "expected a matrix")
    return x.mean(0)


res["assert"] = checked_mean(values).tolist()
try:
    checked_mean(values[0])
except AssertionError as exc:
    res["assert_error"] = str(exc)
res["version"] = [isinstance(torch.version.__version__, str),
                  torch.version.cuda is None or isinstance(torch.version.cuda, str)]

q = torch.linspace(-1, 1, 24).view(1, 2, 4, 3)
with sdpa_kernel([SDPBackend.MATH]):
    a = F.scaled_dot_product_attention(q, q.flip(-1), q, is_causal=True)
b = F.scaled_dot_product_attention(q, q.flip(-1), q, is_causal=True)
res["sdpa"] = [a.sum().item(), (a - b).abs().max().item()]


class Pool(nn.Module):
    def __init__(self, kernel_size: _size_2_t = 2):
        super().__init__()
        self.kernel_size = kernel_size

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size)


res["pool"] = Pool((2, 1))(torch.arange(16.0).view(1, 1, 4, 4)).tolist()
lin = nn.Linear(3, 1)
out = functional_call(lin, {"weight": torch.ones(1, 3), "bias": torch.zeros(1)},
                      (torch.tensor([[1.0, 2.0, 3.0]]),))
handle = lin.register_forward_pre_hook(lambda m, inp: None)
res["misc"] = [out.tolist(), isinstance(handle, RemovableHandle)]
handle.remove()
print(json.dumps(res))
