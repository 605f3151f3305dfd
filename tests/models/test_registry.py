"""The model registry (glassnet/models/registry.py): names with descriptions, lookups with
suggestions, and models built to fit a dataset (sequence models included)."""

from __future__ import annotations

import pytest

import glassnet as gn
from glassnet import models, nn
from glassnet.models import LeNet5


def test_available_lists_every_family_with_descriptions():
    names = models.available()
    for n in ("mlp", "lenet5", "lenet5-classic", "alexnet", "vgg11", "googlenet", "resnet20",
              "resnet110", "plain56", "fashion-cnn", "autoencoder", "conv-autoencoder",
              "perceptron", "mcculloch-pitts"):
        assert n in names and names[n] and "\n" not in names[n]


def test_get_and_unknown_names():
    assert isinstance(models.get("lenet5-classic"), LeNet5)
    assert models.get("lenet5").variant == "modern"
    assert models.get("ResNet_20").depth == 20
    with pytest.raises(KeyError, match="Did you mean .*resnet20.*Available models: .*lenet5"):
        models.get("resnet21")


def test_build_for_fits_models_to_datasets():
    m = models.build_for("mlp", (1, 8, 8), 10)
    assert m.sizes == [64, 500, 150, 10]
    m = models.build_for("lenet5", (3, 32, 32), 100)
    assert m.classifier[-1].out_features == 100 and m.features[0].in_channels == 3
    assert models.build_for("resnet20", (1, 28, 28), 10).conv1.in_channels == 1
    with pytest.raises(ValueError, match=r"lenet5.*28 <= H = W <= 32.*\(1, 8, 8\)"):
        models.build_for("lenet5", (1, 8, 8), 10)
    with pytest.raises(ValueError, match="square images"):
        models.build_for("resnet20", (40,), 10)
    with pytest.raises(ValueError, match="own rule"):
        models.check_input("perceptron", (2,))


def test_registry_builds_sequence_models_for_datasets():
    m = models.build_for("lstm", (1, 28, 28), 10)
    assert m.rnn.input_size == 28 and m.fc.out_features == 10
    with gn.no_grad():
        assert m(gn.randn(3, 1, 28, 28)).shape == (3, 10)
        assert models.build_for("gru", (40,), 10)(gn.randn(2, 40)).shape == (2, 10)
        bi = models.build_for("bilstm", (3, 8, 8), 4)
        assert bi.rnn.input_size == 24 and bi(gn.randn(2, 3, 8, 8)).shape == (2, 4)
        assert models.build_for("lstm", (7, 5), 3)(gn.randn(2, 7, 5)).shape == (2, 3)
    for name in ("lstm", "bilstm", "gru", "char-rnn", "gcn", "graph-classifier"):
        assert name in models.available()
    with pytest.raises(ValueError, match="graph network"):
        models.check_input("gcn", (1, 28, 28))
    with pytest.raises(ValueError, match="language model"):
        models.build_for("char-rnn", (10,), 2)
    assert isinstance(models.get("gcn"), models.GCN)
    assert isinstance(models.get("char-rnn").rnn, nn.LSTM)
