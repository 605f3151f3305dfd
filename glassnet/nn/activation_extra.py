"""Shrinkage and randomised leaky ReLU layers (``F.hardshrink``, ``F.softshrink``, ``F.rrelu``)."""

from __future__ import annotations

from . import functional as F
from .module import Module

__all__ = ["Hardshrink", "Softshrink", "RReLU"]


class Hardshrink(Module):
    """x where |x| > lambd, else 0. Shape: any -> same."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.hardshrink(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """x - lambd sign(x) where |x| > lambd, else 0. Shape: any -> same."""

    def forward(self, input):
        return F.softshrink(input, self.lambd)


class RReLU(Module):
    """Randomised leaky ReLU: a random slope in [lower, upper] per element while training, the
    mean slope (lower + upper) / 2 in evaluation (``model.eval()``). Shape: any -> same."""

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace
                                                            else "")
