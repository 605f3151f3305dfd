"""Restricted Boltzmann machines and layer-wise pre-training (glassnet/models/rbm.py)."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import models
from glassnet.models import RBM, Autoencoder, pretrain_autoencoder


def _bars(rng, n=200, size=6):
    # each image: a random set of vertical bars (a classic RBM test set)
    on = rng.random((n, size)) < 0.3
    return np.repeat(on[:, None, :], size, 1).reshape(n, -1).astype(np.float32)


def test_cd1_lowers_the_reconstruction_error():
    rng = np.random.default_rng(0)
    v = _bars(rng)
    rbm = models.get("rbm", n_visible=36, n_hidden=12)
    errors = rbm.fit(v, epochs=30, batch_size=20, generator=rng)
    assert errors[-1] < 0.5 * errors[0]
    h = rbm.transform(v)
    assert h.shape == (200, 12) and h.dtype == np.float32 and 0 <= h.min() and h.max() <= 1
    assert rbm(gn.tensor(v)).shape == (200, 12)
    assert not any(p.requires_grad for p in rbm.parameters())


def test_gaussian_hidden_units_are_linear():
    rbm = RBM(4, 3, hidden="gaussian")
    rbm.weight._data[...] = np.arange(12, dtype=np.float32).reshape(3, 4)
    rbm.hidden_bias._data[...] = [1, 2, 3]
    v = np.ones((1, 4), np.float32)
    np.testing.assert_allclose(rbm.transform(v), [[7, 24, 41]])
    with pytest.raises(ValueError, match="hidden"):
        RBM(4, 3, hidden="softmax")
    with pytest.raises(ValueError, match=r"expected data of shape \(N, 4\)"):
        rbm.fit(np.zeros((2, 5)))


def test_pretrain_unrolls_the_stack_into_an_autoencoder():
    rng = np.random.default_rng(1)
    v = _bars(rng, 100)
    history = []
    ae = pretrain_autoencoder(v, (36, 16, 8, 4), epochs=3, batch_size=20, generator=rng,
                              history=history)
    assert isinstance(ae, Autoencoder) and len(history) == 3
    enc = [m for m in ae.encoder if isinstance(m, gn.nn.Linear)]
    dec = [m for m in ae.decoder if isinstance(m, gn.nn.Linear)]
    for e, d in zip(enc, reversed(dec)):  # decoder weights are the encoder's, transposed
        np.testing.assert_array_equal(d.weight.detach().numpy(), e.weight.detach().numpy().T)
    with gn.no_grad():
        out = ae(gn.tensor(v))
    assert out.shape == (100, 36) and ae.encode(gn.tensor(v)).shape == (100, 4)
    # the unrolled network already reconstructs better than random weights do
    gn.manual_seed(0)
    with gn.no_grad():
        rand = Autoencoder((36, 16, 8, 4), activation="sigmoid")(gn.tensor(v)).numpy()
    assert ((out.numpy() - v) ** 2).sum() < ((rand - v) ** 2).sum()
