"""nn.init: kaiming_normal_(mode='fan_out', nonlinearity='relu'), xavier, constants, the ResNet
recipe. Random draws differ between libraries, so only their statistics and bounds are compared."""
import json
import math

import torch
import torch.nn as nn

torch.manual_seed(0)
res = {}


class ResNetish(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(16, 64, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(64)
        self.fc = nn.Linear(256, 400)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)


m = ResNetish()
std = m.conv.weight.std().item()
expected = math.sqrt(2.0 / (64 * 9))
res["kaiming_fan_out_std_ok"] = abs(std - expected) / expected < 0.05
bound = math.sqrt(6.0 / (256 + 400))
res["xavier_bound_ok"] = m.fc.weight.abs().max().item() <= bound + 1e-7
res["xavier_spread_ok"] = m.fc.weight.abs().max().item() > 0.95 * bound
res["bn_const"] = [m.bn.weight.sum().item(), m.bn.bias.sum().item(), m.fc.bias.abs().sum().item()]

w = torch.empty(300, 200)
nn.init.kaiming_uniform_(w, a=math.sqrt(5))
res["default_linear_bound_ok"] = w.abs().max().item() <= 1 / math.sqrt(200) + 1e-7
nn.init.kaiming_normal_(w)  # fan_in, leaky_relu with a=0
res["kaiming_fan_in_ok"] = abs(w.std().item() - math.sqrt(2 / 200)) < 0.05 * math.sqrt(2 / 200)
nn.init.xavier_normal_(w, gain=nn.init.calculate_gain("tanh"))
res["xavier_normal_ok"] = abs(w.std().item() - (5 / 3) * math.sqrt(2 / 500)) < 0.004
nn.init.normal_(w, mean=1.0, std=0.02)
res["normal_ok"] = [abs(w.mean().item() - 1.0) < 0.002, abs(w.std().item() - 0.02) < 0.001]
nn.init.uniform_(w, -0.1, 0.1)
res["uniform_ok"] = [w.min().item() >= -0.1, w.max().item() <= 0.1]
nn.init.trunc_normal_(w, std=0.5, a=-1.0, b=1.0)
res["trunc_ok"] = w.abs().max().item() <= 1.0
nn.init.orthogonal_(w)
res["orthogonal_ok"] = torch.allclose(w.t() @ w, torch.eye(200), atol=1e-4)
nn.init.eye_(w)
res["eye"] = [w.sum().item(), w[0, 0].item()]
nn.init.ones_(w)
res["ones"] = w.mean().item()
res["gains"] = [nn.init.calculate_gain("relu"), nn.init.calculate_gain("leaky_relu", 0.2),
                nn.init.calculate_gain("tanh"), nn.init.calculate_gain("sigmoid"),
                nn.init.calculate_gain("selu"), nn.init.calculate_gain("linear")]
with torch.no_grad():
    m.fc.weight.normal_(0, 0.01)
    m.fc.bias.fill_(0.5)
res["inplace_methods_ok"] = [abs(m.fc.weight.std().item() - 0.01) < 0.001,
                             m.fc.bias.mean().item()]
res["init_returns_tensor"] = nn.init.zeros_(torch.empty(2)).tolist()
res["requires_grad_kept"] = m.fc.weight.requires_grad
# the default initialisation of nn.Linear is kaiming_uniform(a=sqrt(5)): bound 1/sqrt(fan_in)
lin = nn.Linear(50, 300)
res["linear_default_ok"] = [lin.weight.abs().max().item() <= 1 / math.sqrt(50) + 1e-7,
                            lin.bias.abs().max().item() <= 1 / math.sqrt(50) + 1e-7,
                            lin.weight.abs().max().item() > 0.9 / math.sqrt(50)]
conv = nn.Conv2d(4, 8, 3)
res["conv_default_ok"] = conv.weight.abs().max().item() <= 1 / math.sqrt(36) + 1e-7
print(json.dumps(res))
