"""Autoencoders (glassnet/models/autoencoder.py): the code size, and the noise of the
denoising variant."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.models import Autoencoder, ConvAutoencoder


def test_autoencoder_code_and_denoising_noise():
    ae = Autoencoder((64, 16, 4))
    x = gn.rand(5, 64)
    assert tuple(ae.encode(x).shape) == (5, 4)
    y = ae(x).detach().numpy()
    assert y.shape == (5, 64) and (y >= 0).all() and (y <= 1).all()  # sigmoid output
    dae = ConvAutoencoder(1, denoising=True, noise_std=0.5)
    x = gn.rand(2, 1, 28, 28)
    assert tuple(dae.encode(x).shape) == (2, 32, 7, 7)
    dae.train()
    a, b = dae(x).detach().numpy(), dae(x).detach().numpy()
    assert not np.allclose(a, b)  # fresh noise on every training pass
    dae.eval()
    np.testing.assert_array_equal(dae(x).detach().numpy(), dae(x).detach().numpy())  # no noise in evaluation
    with pytest.raises(ValueError, match="divisible by 4"):
        dae(gn.rand(1, 1, 30, 30))
