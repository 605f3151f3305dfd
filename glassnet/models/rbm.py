"""Restricted Boltzmann machines and the greedy layer-wise pre-training of deep autoencoders.

Hinton and Salakhutdinov (Science 2006) made deep autoencoders trainable by starting them near
a good solution: train a stack of RBMs one layer at a time, each on the hidden activities of the
one below, then unroll the stack into an encoder and a mirrored decoder (the decoder uses the
transposed weights) and fine-tune the whole network with backpropagation. Course material: 004
"2006 Breakthrough: Hinton and Salakhutdinov ... build the model in a layer-by-layer fashion
using unsupervised learning".

An RBM has visible units v and hidden units h joined by weights W (no connections within a
layer), with energy ``E(v, h) = -b_v . v - b_h . h - h . W v``; given one layer the units of
the other are independent: ``p(h = 1 | v) = sigmoid(W v + b_h)``,
``p(v = 1 | h) = sigmoid(W^T h + b_v)``. Contrastive divergence (CD-1, Hinton 2002) follows the
approximate log-likelihood gradient ``<v h>_data - <v h>_reconstruction``: one Gibbs step from
the data gives the reconstruction. No backpropagation is involved.
"""

from __future__ import annotations

import numpy as np

from glassnet import nn
from glassnet.autograd import no_grad
from glassnet.tensor import Tensor

from .autoencoder import Autoencoder
from .registry import register

__all__ = ["RBM", "pretrain_autoencoder"]


def _sigmoid(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))  # overflow-free logistic


class RBM(nn.Module):
    """A restricted Boltzmann machine ``RBM(n_visible, n_hidden, hidden='binary')``.

    ``hidden='binary'``: logistic hidden units, sampled as 0/1 in CD; ``'gaussian'``: linear
    hidden units with unit-variance Gaussian noise (the code layer of Hinton and Salakhutdinov's
    autoencoders). Visible units are logistic; their probabilities, not samples, are used in the
    reconstruction (as in the paper, for real-valued pixels in [0, 1]).

    ``fit(v, epochs, ...)`` trains by CD-1 with momentum and weight decay; ``transform(v)``
    gives the hidden probabilities (or means), the next RBM's data.

    Parameters: ``n_visible * n_hidden + n_visible + n_hidden`` (``weight`` (n_hidden,
    n_visible), ``visible_bias``, ``hidden_bias``; set by CD, not by gradients).

    Shape: v (N, n_visible) -> ``transform`` (N, n_hidden).
    """

    def __init__(self, n_visible, n_hidden, hidden="binary"):
        super().__init__()
        if hidden not in ("binary", "gaussian"):
            raise ValueError(f"RBM: hidden must be 'binary' or 'gaussian', got {hidden!r}")
        self.n_visible, self.n_hidden, self.hidden = int(n_visible), int(n_hidden), hidden
        self.weight = nn.Parameter(Tensor(np.zeros((self.n_hidden, self.n_visible),
                                                   np.float32)), False)
        self.visible_bias = nn.Parameter(Tensor(np.zeros(self.n_visible, np.float32)), False)
        self.hidden_bias = nn.Parameter(Tensor(np.zeros(self.n_hidden, np.float32)), False)

    @property
    def in_features(self):
        return self.n_visible

    def _hidden(self, v):
        a = v @ self.weight._data.T + self.hidden_bias._data
        return a if self.hidden == "gaussian" else _sigmoid(a)

    def _visible(self, h):
        return _sigmoid(h @ self.weight._data + self.visible_bias._data)

    def transform(self, v):
        """Hidden probabilities (binary) or means (Gaussian) given visible data, NumPy float32."""
        return self._hidden(np.asarray(v, np.float32)).astype(np.float32)

    def forward(self, v):
        with no_grad():
            return Tensor(self.transform(v._data if isinstance(v, Tensor) else v))

    def fit(self, v, epochs=10, batch_size=100, lr=None, momentum=(0.5, 0.9), weight_decay=2e-4,
            generator=None):
        """CD-1 on data ``v`` (N, n_visible) in [0, 1]; returns the reconstruction error
        (mean squared error per visible unit) of each epoch.

        ``lr`` defaults to 0.1 for binary and 0.001 for Gaussian hidden units (the paper's);
        ``momentum`` (first 5 epochs, later epochs); weights start as N(0, 0.1^2)."""
        rng = generator if isinstance(generator, np.random.Generator) else \
            np.random.default_rng(generator)
        v = np.asarray(v, np.float32)
        if v.ndim != 2 or v.shape[1] != self.n_visible:
            raise ValueError(f"RBM.fit: expected data of shape (N, {self.n_visible}), got "
                             f"{v.shape}")
        lr = (0.1 if self.hidden == "binary" else 1e-3) if lr is None else float(lr)
        w, bv, bh = self.weight._data, self.visible_bias._data, self.hidden_bias._data
        w[...] = 0.1 * rng.standard_normal(w.shape)
        bv[...] = 0.0
        bh[...] = 0.0
        dw, dbv, dbh = np.zeros_like(w), np.zeros_like(bv), np.zeros_like(bh)
        errors = []
        for epoch in range(int(epochs)):
            mom = momentum[0] if epoch < 5 else momentum[1]
            order = rng.permutation(len(v))
            err = 0.0
            for i in range(0, len(v), batch_size):
                v0 = v[order[i:i + batch_size]]
                h0 = self._hidden(v0)
                if self.hidden == "binary":
                    hs = (rng.random(h0.shape) < h0).astype(np.float32)
                else:
                    hs = h0 + rng.standard_normal(h0.shape).astype(np.float32)
                v1 = self._visible(hs)
                h1 = self._hidden(v1)
                n = len(v0)
                dw = mom * dw + lr * ((h0.T @ v0 - h1.T @ v1) / n - weight_decay * w)
                dbv = mom * dbv + lr * (v0 - v1).mean(0)
                dbh = mom * dbh + lr * (h0 - h1).mean(0)
                w += dw
                bv += dbv
                bh += dbh
                err += float(((v0 - v1) ** 2).sum())
            errors.append(err / v.size)
        return errors

    def extra_repr(self):
        return f"n_visible={self.n_visible}, n_hidden={self.n_hidden}, hidden={self.hidden!r}"


def pretrain_autoencoder(x, sizes=(784, 1000, 500, 250, 30), epochs=10, batch_size=100,
                         generator=None, history=None):
    """Greedy layer-wise pre-training (Hinton and Salakhutdinov 2006): an RBM per layer of
    ``sizes``, each trained by CD-1 on the hidden probabilities of the one below (the last one
    with linear, Gaussian hidden units: the code), then unrolled into an ``Autoencoder(sizes,
    activation='sigmoid')`` whose encoder takes the RBMs' weights and hidden biases and whose
    decoder takes the transposed weights and visible biases. Fine-tune the result with
    backpropagation. ``history``: a list that receives each RBM's per-epoch errors.

    Shape: x (N, sizes[0]) in [0, 1].
    """
    rng = generator if isinstance(generator, np.random.Generator) else \
        np.random.default_rng(generator)
    data = np.asarray(x._data if isinstance(x, Tensor) else x, np.float32)
    data = data.reshape(len(data), -1)
    sizes = [int(s) for s in sizes]
    rbms = []
    for i in range(len(sizes) - 1):
        rbm = RBM(sizes[i], sizes[i + 1], "gaussian" if i == len(sizes) - 2 else "binary")
        errors = rbm.fit(data, epochs, batch_size, generator=rng)
        if history is not None:
            history.append(errors)
        data = rbm.transform(data)
        rbms.append(rbm)
    ae = Autoencoder(sizes, activation="sigmoid")
    enc = [m for m in ae.encoder if isinstance(m, nn.Linear)]
    dec = [m for m in ae.decoder if isinstance(m, nn.Linear)]
    with no_grad():
        for rbm, e, d in zip(rbms, enc, reversed(dec)):
            e.weight._data[...] = rbm.weight._data
            e.bias._data[...] = rbm.hidden_bias._data
            d.weight._data[...] = rbm.weight._data.T
            d.bias._data[...] = rbm.visible_bias._data
    return ae


@register("rbm", "RBM: restricted Boltzmann machine trained by contrastive divergence (CD-1)",
          kind="classic")
def rbm(n_visible=784, n_hidden=500, hidden="binary"):
    return RBM(n_visible, n_hidden, hidden)
