"""Dtype juggling from forum answers: .long()/.float()/.double()/.to()/.type(), integer and
true division, rounding modes, type promotion with Python scalars, bool masks as numbers,
and the dtypes reductions return."""
import json

import torch


def facts(t):
    return [t.is_floating_point(), t.element_size(), t.tolist()]


res = {}
x = torch.tensor([[1.7, -2.2, 3.5], [0.4, -0.6, 9.9]])
res["casts"] = [facts(x.long()), facts(x.int()), facts(x.double()), facts(x.half().float()),
                facts(x.to(torch.float64)), facts(x.to(dtype=torch.int16)), facts(x.bool()),
                facts(x.type(torch.int64)), facts(x.to(torch.long).float()), facts(x.short()),
                x.type(torch.float64).dtype == torch.float64, x.to(x).dtype == torch.float32,
                facts(x.byte().to(torch.int32))]
ints = torch.tensor([7, -7, 9, 10])
res["division"] = [facts(ints / 2), facts(ints // 2), facts(ints % 3), facts(torch.div(ints, 2)),
                   facts(torch.div(ints, 2, rounding_mode="floor")),
                   facts(torch.div(ints, 2, rounding_mode="trunc")),
                   facts(torch.remainder(ints, -3)), facts(torch.fmod(ints, 3)),
                   facts(torch.floor_divide(ints, 4)), facts(ints.true_divide(4)),
                   facts(torch.tensor([7.5, -7.5]) // 2), facts(torch.tensor([7.5, -7.5]) % 2)]
res["promotion"] = [facts(ints * 1.5), facts(ints + True), facts(ints * 2),
                    facts(torch.tensor([1, 2], dtype=torch.int32) + torch.tensor([1, 2])),
                    facts(torch.tensor([1, 2], dtype=torch.int32) * 2.5),
                    facts(torch.tensor([1.0, 2.0]) + torch.tensor([1, 2])),
                    facts(torch.tensor([1.0], dtype=torch.float64) + torch.tensor([1.0])),
                    facts(torch.tensor(2.0, dtype=torch.float64) * torch.tensor([1.0, 3.0])),
                    facts(torch.tensor([True, False]) + torch.tensor([True, True])),
                    facts(torch.tensor([3], dtype=torch.uint8) - 5),
                    facts(ints ** 2), facts(2 ** ints.abs()), facts(ints.float() ** 0.5)]
mask = x > 0
res["bool_masks"] = [facts(mask), facts(mask.sum()), facts(mask.float().mean()),
                     facts(mask.long().sum(dim=1)), facts(mask.any(dim=0)), facts(mask.all(dim=1)),
                     facts(~mask), facts(mask & (x < 5)), facts(mask | (x < -2)), facts(mask ^ True),
                     facts(mask.int() * 3), facts(torch.logical_not(mask)),
                     facts(torch.count_nonzero(mask, dim=0))]
res["reductions"] = [facts(ints.sum()), facts(ints.prod()), facts(ints.max()), facts(ints.cumsum(0)),
                     facts(ints.float().mean()), facts(ints.sum(dtype=torch.float64)),
                     facts(torch.mean(ints.double())), facts(ints.argmax()), facts(ints.abs()),
                     facts(torch.tensor([1, 2, 3], dtype=torch.int32).sum())]
res["rounding"] = [facts(x.round()), facts(x.floor()), facts(x.ceil()), facts(x.trunc()),
                   facts(x.frac()), facts(torch.round(torch.tensor([0.5, 1.5, 2.5, -0.5]))),
                   facts(torch.round(x, decimals=1)), facts(x.sign()), facts(x.clamp(-1, 1)),
                   facts(ints.clamp(min=0)), facts(x.clamp(min=0.5))]
res["where"] = [facts(torch.where(x > 1, x, torch.zeros_like(x))), facts(torch.where(mask, 1, 0)),
                facts(torch.where(mask, x, 0.0)), facts(torch.where(ints > 0, ints, -1)),
                facts(torch.where(mask)[1])]
res["compare"] = [torch.equal(ints, ints.clone()), torch.allclose(x, x + 1e-9),
                  facts(torch.isclose(x, x.round(), atol=0.3)), facts(ints.eq(7)), facts(ints.ne(7)),
                  facts(torch.maximum(ints, torch.tensor(0))), facts(torch.minimum(x, x.flip(1)))]
res["is_tensor"] = [torch.is_tensor(x), torch.is_tensor(3), torch.is_floating_point(ints),
                    torch.numel(x), x.element_size() * x.numel(), x.nelement()]
print(json.dumps(res))
