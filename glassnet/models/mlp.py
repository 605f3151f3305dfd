"""Multi-layer perceptrons: the fully connected network of the lectures.

.. math:: h^{(k)} = g(W^{(k)} h^{(k-1)} + b^{(k)}), \\qquad f(x) = W^{(L+1)} h^{(L)} + b^{(L+1)}

Each hidden layer is an affine map followed by a non-linearity ``g``; without ``g`` the whole
stack would collapse into one affine map. The last layer gives the logits; softmax and the
cross-entropy loss live in the loss function. Course material: 004 "Multi-Layer Perceptron",
001 "layers and non-linearities", universal approximation (Cybenko 1989, Hornik 1991).
"""

from __future__ import annotations

import itertools

from glassnet import nn

from .registry import register

__all__ = ["MLP", "activation_layer"]

_ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "leaky_relu": "LeakyReLU",
                "elu": "ELU", "gelu": "GELU", "silu": "SiLU", "identity": "Identity"}


def activation_layer(name):
    """A fresh activation Module from its name ('relu', 'tanh', 'sigmoid', ...)."""
    if isinstance(name, nn.Module):
        return name
    key = str(name).lower().replace("-", "_")
    if key not in _ACTIVATIONS or not hasattr(nn, _ACTIVATIONS[key]):
        raise ValueError(f"activation: unknown activation {name!r}; expected one of "
                         f"{', '.join(k for k, v in _ACTIVATIONS.items() if hasattr(nn, v))}")
    return getattr(nn, _ACTIVATIONS[key])()


class MLP(nn.Sequential):
    """A multi-layer perceptron: ``MLP([784, 500, 150, 10])``.

    ``sizes`` lists the width of every layer, input first and output last; each hidden layer is
    ``Linear -> [BatchNorm1d] -> activation -> [Dropout]``, the last one a plain ``Linear``
    (logits). The input is flattened first, so images ``(N, 1, 28, 28)`` go in directly.

    Dropout (Srivastava et al., 2014) and batch normalisation (Ioffe and Szegedy, 2015) are the
    regularisers of 004 "Dropout" / "Batch normalisation".

    Parameters: ``sum(n_in * n_out + n_out)`` over the layers, plus ``2 * width`` per batch-norm
    layer; ``MLP([784, 500, 150, 10])`` has 469,160.

    Shape:
        - Input: ``(N, *)`` with ``prod(*) == sizes[0]``
        - Output: ``(N, sizes[-1])``
    """

    def __init__(self, sizes, activation="relu", dropout=0.0, batch_norm=False):
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"MLP: sizes must list at least an input and an output width, all "
                             f">= 1, got {sizes}")
        layers = [nn.Flatten()]
        for n_in, n_out in itertools.pairwise(sizes[:-1]):
            layers.append(nn.Linear(n_in, n_out))
            if batch_norm:
                layers.append(nn.BatchNorm1d(n_out))
            layers.append(activation_layer(activation))
            if dropout:
                layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(sizes[-2], sizes[-1]))
        super().__init__(*layers)
        self.sizes = sizes


@register("mlp", "MLP: input-500-150-classes fully connected, ReLU (--model-arg hidden=[...])",
          kind="flat")
def mlp(in_features=784, num_classes=10, hidden=(500, 150), activation="relu", dropout=0.0,
        batch_norm=False):
    if isinstance(hidden, str):
        hidden = [int(h) for h in hidden.split(",") if h.strip()]
    return MLP([in_features, *hidden, num_classes], activation, dropout, batch_norm)
