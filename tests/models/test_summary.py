"""``summary`` (glassnet/models/summary.py): the layer table of LeNet-5, and parameters,
buffers and mult-adds of a transposed convolution."""

from glassnet import models
from glassnet.models import LeNet5, summary


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
