"""The model registry and ``summary``."""

import pytest

from glassnet import models
from glassnet.models import LeNet5, summary


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


def test_summary_of_lenet5():
    s = summary(LeNet5("classic"), (1, 28, 28))
    assert s.total_params == s.trainable_params == 61_706
    assert s.output_shape == (1, 10)
    rows = {name: (shape, p, macs) for name, _, shape, p, macs in s.rows}
    assert rows["features.0"] == ((1, 6, 28, 28), 156, 6 * 28 * 28 * 25)
    assert rows["features.3"] == ((1, 16, 10, 10), 2_416, 16 * 10 * 10 * 6 * 25)
    assert rows["features.6"] == ((1, 120, 1, 1), 48_120, 120 * 400)
    assert s.total_macs == 117_600 + 240_000 + 48_000 + 10_080 + 840
    text = str(s)
    assert "features.0 (Conv2d)" in text and "Total params: 61,706" in text


def test_summary_counts_transposed_convolution_and_buffers():
    s = summary(models.ConvAutoencoder(1), (1, 28, 28))
    rows = {name: (shape, macs) for name, _, shape, _, macs in s.rows}
    assert rows["decoder.0"] == ((1, 16, 14, 14), 32 * 7 * 7 * 16 * 9)
    s = summary(models.resnet20(in_channels=1), (1, 28, 28))
    assert s.total_params == 269_434 and s.output_shape == (1, 10)
    assert any(r[1] == "ShortcutA" for r in s.rows)
