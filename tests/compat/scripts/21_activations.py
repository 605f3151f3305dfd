"""Activations as modules and as functions, with their gradients (incl. at the kinks)."""
import json

import torch
import torch.nn as nn
import torch.nn.functional as F

x0 = torch.tensor([-3.0, -1.0, -0.25, 0.0, 0.25, 1.0, 3.0])
res = {}


def run(name, fn):
    x = x0.clone().requires_grad_(True)
    y = fn(x)
    y.backward(torch.linspace(0.5, 1.5, y.numel()).view(y.shape))
    res[name] = [y.tolist(), x.grad.tolist()]


run("relu", F.relu)
run("relu_mod", nn.ReLU())
run("relu6", nn.ReLU6())
run("leaky", lambda x: F.leaky_relu(x, negative_slope=0.1))
run("leaky_mod", nn.LeakyReLU(0.2))
run("elu", nn.ELU(alpha=1.5))
run("selu", nn.SELU())
run("celu", nn.CELU(0.7))
run("gelu", F.gelu)
run("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"))
run("silu", nn.SiLU())
run("mish", F.mish)
run("softplus", nn.Softplus(beta=2, threshold=5))
run("softsign", F.softsign)
run("sigmoid", torch.sigmoid)
run("sigmoid_mod", nn.Sigmoid())
run("tanh", nn.Tanh())
run("hardtanh", nn.Hardtanh(-0.5, 0.5))
run("hardsigmoid", F.hardsigmoid)
run("hardswish", nn.Hardswish())
run("logsigmoid", F.logsigmoid)
run("tanhshrink", nn.Tanhshrink())
run("softshrink", nn.Softshrink(0.5))
run("hardshrink", nn.Hardshrink(0.5))
run("threshold", nn.Threshold(0.1, 20.0))
run("prelu", nn.PReLU(init=0.3))
run("softmax", lambda x: F.softmax(x.view(1, 7), dim=1))
run("softmax_mod", lambda x: nn.Softmax(dim=-1)(x))
run("log_softmax", lambda x: F.log_softmax(x, dim=0))
run("softmin", lambda x: F.softmin(x, dim=0))
run("glu", lambda x: F.glu(x[:6], dim=0))
run("normalize", lambda x: F.normalize(x.view(1, 7), p=2, dim=1))
# in-place activations on non-leaf tensors
x = x0.clone().requires_grad_(True)
h = x * 2
F.relu(h, inplace=True)
h.sum().backward()
res["relu_inplace"] = [h.tolist(), x.grad.tolist()]
y = x0.clone()
nn.ReLU(inplace=True)(y)
res["relu_inplace_mod"] = y.tolist()
res["repr"] = [repr(nn.ReLU()), repr(nn.LeakyReLU(0.2)), repr(nn.Softmax(dim=1))]
res["tensor_methods"] = [x0.relu().tolist(), x0.sigmoid().sum().item(), x0.softmax(0).sum().item(),
                         x0.tanh().tolist()]
print(json.dumps(res))
