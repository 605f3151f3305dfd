"""A custom torch.autograd.Function with ctx.save_for_backward, as in the PyTorch tutorial."""
import json

import numpy as np
import torch


class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


class MyReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


class ScaledMul(torch.autograd.Function):
    """Two tensor inputs and a non-tensor argument; returns None for the constant."""

    @staticmethod
    def forward(ctx, a, b, scale):
        ctx.save_for_backward(a, b)
        ctx.scale = scale
        return a * b * scale

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_a = grad_output * b * ctx.scale
        if ctx.needs_input_grad[1]:
            grad_b = grad_output * a * ctx.scale
        return grad_a, grad_b, None


res = {}
dtype = torch.float
x = torch.linspace(-np.pi, np.pi, 200, dtype=dtype)
y = torch.sin(x)
a = torch.full((), 0.0, dtype=dtype, requires_grad=True)
b = torch.full((), -1.0, dtype=dtype, requires_grad=True)
c = torch.full((), 0.0, dtype=dtype, requires_grad=True)
d = torch.full((), 0.3, dtype=dtype, requires_grad=True)
learning_rate = 5e-6
P3 = LegendrePolynomial3.apply
losses = []
for t in range(60):
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    losses.append(loss.item())
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None
res["legendre_losses"] = losses[::10] + [losses[-1]]
res["coeffs"] = [a.item(), b.item(), c.item(), d.item()]

v = torch.tensor([-1.0, 0.5, 2.0, -0.1], requires_grad=True)
out = MyReLU.apply(v)
(out * torch.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
res["relu"] = [out.tolist(), v.grad.tolist(), type(out.grad_fn).__name__.endswith("Backward")]

p = torch.tensor([1.0, 2.0], requires_grad=True)
q = torch.tensor([3.0, 4.0])
r = ScaledMul.apply(p, q, 0.5)
r.sum().backward()
res["scaled"] = [r.tolist(), p.grad.tolist(), q.grad is None]

# float64 gradcheck of the custom function
torch.manual_seed(0)
inp = torch.randn(5, dtype=torch.double, requires_grad=True)
res["gradcheck"] = bool(torch.autograd.gradcheck(LegendrePolynomial3.apply, (inp,), eps=1e-6,
                                                 atol=1e-4))
print(json.dumps(res))
