"""The two oldest units: McCulloch and Pitts' threshold neuron and Rosenblatt's perceptron.

Both compute a step of a weighted sum, ``y = 1 if w . x + b >= 0 else 0``; they differ in where
the weights come from. A McCulloch-Pitts neuron (1943) has weights and a threshold fixed by hand, so
that one unit *is* a logic gate. A perceptron (Rosenblatt, 1958) *learns* its weights with the
error-driven rule ``w += lr (y - y_hat) x``, which converges whenever the two classes can be split
by a hyperplane (Novikoff, 1962) and can never get XOR right, since no line separates XOR's ones
from its zeros (Minsky and Papert, 1969). Course material: 004 "Prehistory of Deep Learning".
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from glassnet import nn
from glassnet.autograd import no_grad
from glassnet.tensor import Tensor

from .registry import register

__all__ = ["McCullochPitts", "Perceptron"]


def _array(x, dtype=np.float32):
    return np.asarray(x._data if isinstance(x, Tensor) else x, dtype=dtype)


class McCullochPitts(nn.Module):
    """A threshold unit with fixed weights (McCulloch and Pitts, 1943).

    .. math:: y = \\mathbb{1}[\\sum_i w_i x_i \\ge \\theta]

    It sums binary inputs and outputs 1 when the weighted sum reaches the threshold ``theta``.
    Nothing is learned: the weights are buffers, and the right choice of weights and threshold
    makes the unit a logic gate (``McCullochPitts.gate('and')``):

    ====== ========= =========
    gate   weights   threshold
    ====== ========= =========
    and    (1, 1)    2
    or     (1, 1)    1
    nand   (-1, -1)  -1
    nor    (-1, -1)  0
    not    (-1,)     0
    ====== ========= =========

    Parameters: 0 (learnable).

    Shape:
        - Input: ``(N, n_inputs)`` of zeros and ones
        - Output: ``(N,)`` of zeros and ones, float32
    """

    GATES: ClassVar[dict] = {"and": ((1, 1), 2), "or": ((1, 1), 1), "nand": ((-1, -1), -1),
             "nor": ((-1, -1), 0), "not": ((-1,), 0)}

    def __init__(self, weights, threshold):
        super().__init__()
        self.register_buffer("weight", Tensor(np.asarray(weights, dtype=np.float32)))
        self.threshold = float(threshold)

    @classmethod
    def gate(cls, name):
        """The unit computing the logic gate ``name`` (and, or, nand, nor, not)."""
        key = str(name).lower()
        if key not in cls.GATES:
            raise ValueError(f"McCullochPitts.gate: unknown gate {name!r}; "
                             f"expected one of {', '.join(cls.GATES)}")
        w, t = cls.GATES[key]
        return cls(w, t)

    @property
    def n_inputs(self):
        return int(self.weight.shape[0])

    def forward(self, x):
        x = x if isinstance(x, Tensor) else Tensor(_array(x))
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            raise ValueError(f"McCullochPitts: expected input of shape (N, {self.n_inputs}), "
                             f"got {tuple(x.shape)}")
        s = (x.float() * self.weight).sum(dim=1)
        return (s >= self.threshold).float()

    def truth_table(self):
        """``(inputs, outputs)`` over all 2**n binary inputs, as NumPy arrays."""
        n = self.n_inputs
        inputs = np.array([[(i >> (n - 1 - k)) & 1 for k in range(n)] for i in range(2 ** n)],
                          dtype=np.float32)
        return inputs, self(Tensor(inputs)).numpy()

    def extra_repr(self):
        return f"weights={self.weight.numpy().tolist()}, threshold={self.threshold:g}"


class Perceptron(nn.Module):
    """Rosenblatt's perceptron (1958): a learned linear threshold unit for two classes.

    .. math:: \\hat y = \\mathbb{1}[w^\\top x + b \\ge 0], \\qquad
              w \\leftarrow w + \\eta (y - \\hat y) x, \\quad b \\leftarrow b + \\eta (y - \\hat y)

    ``fit(X, y, epochs)`` visits the samples in order (shuffled each epoch if ``shuffle``) and
    applies the rule, which changes the weights only on mistakes. If the data are linearly
    separable this stops after finitely many mistakes (perceptron convergence theorem); on XOR it
    never does, which ``fit`` reports in ``converged`` and ``history`` (mistakes per epoch).

    Parameters: ``in_features + 1`` (the weights and the bias).

    Shape:
        - Input: ``(N, in_features)``; labels ``y`` in {0, 1}
        - Output: ``(N,)`` of zeros and ones
    """

    def __init__(self, in_features, lr=1.0):
        super().__init__()
        self.in_features = int(in_features)
        self.lr = float(lr)
        # learned by the perceptron rule, not by gradients: no autograd bookkeeping
        self.weight = nn.Parameter(Tensor(np.zeros(self.in_features, np.float32)), False)
        self.bias = nn.Parameter(Tensor(np.zeros((), np.float32)), False)
        self.converged = False
        self.history = []

    def forward(self, x):
        x = x if isinstance(x, Tensor) else Tensor(_array(x))
        return ((x @ self.weight + self.bias) >= 0).float()

    def fit(self, X, y, epochs=100, shuffle=False, seed=0):
        """Train with the perceptron rule; returns ``self`` (``converged``, ``history`` set)."""
        X, y = _array(X), _array(y).reshape(-1)
        if X.ndim != 2 or X.shape[1] != self.in_features or len(X) != len(y):
            raise ValueError(f"Perceptron.fit: expected X of shape (N, {self.in_features}) and y "
                             f"of shape (N,), got {X.shape} and {y.shape}")
        if not np.isin(y, (0.0, 1.0)).all():
            raise ValueError("Perceptron.fit: labels y must be 0 or 1")
        gen = np.random.default_rng(seed)
        w, b = self.weight._data, self.bias._data  # updated in place
        self.history, self.converged = [], False
        with no_grad():
            for _ in range(int(epochs)):
                order = gen.permutation(len(X)) if shuffle else range(len(X))
                mistakes = 0
                for i in order:
                    y_hat = np.float32(X[i] @ w + b >= 0)
                    err = y[i] - y_hat  # +1, 0 or -1: move the plane towards a missed sample
                    if err:
                        w += self.lr * err * X[i]
                        b += self.lr * err
                        mistakes += 1
                self.history.append(mistakes)
                if mistakes == 0:
                    self.converged = True
                    break
        return self

    def score(self, X, y):
        """Accuracy of the current weights on ``(X, y)``."""
        return float((self(X).numpy() == _array(y).reshape(-1)).mean())

    def extra_repr(self):
        return f"in_features={self.in_features}, lr={self.lr:g}"


@register("perceptron", "Perceptron: Rosenblatt 1958, a learned linear threshold unit",
          kind="classic")
def perceptron(in_features=2, lr=1.0):
    return Perceptron(in_features, lr)


@register("mcculloch-pitts", "McCulloch-Pitts neuron: 1943 threshold logic gate (and/or/not/nand)",
          kind="classic")
def mcculloch_pitts(gate="and"):
    return McCullochPitts.gate(gate)
