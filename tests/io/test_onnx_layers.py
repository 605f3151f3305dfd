"""ONNX export of single layers over a grid of options, each exported with a dynamic batch and
run by onnxruntime against glassnet (traced batch 2, then batch 5)."""

from __future__ import annotations

import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx_helpers import roundtrip

import glassnet as gn
from glassnet import nn

CONV = {
    "conv1d": (lambda: nn.Conv1d(3, 4, 3, stride=2, padding=1, dilation=2), (2, 3, 11)),
    "conv2d_groups_same": (lambda: nn.Conv2d(4, 6, 3, groups=2, padding="same", bias=False),
                           (2, 4, 7, 7)),
    "conv2d_reflect": (lambda: nn.Conv2d(3, 4, 3, padding=2, padding_mode="reflect"),
                       (2, 3, 8, 8)),
    "conv2d_circular": (lambda: nn.Conv2d(3, 4, 3, padding=1, padding_mode="circular"),
                        (2, 3, 8, 8)),
    "conv2d_replicate": (lambda: nn.Conv2d(3, 4, (3, 2), padding=(1, 2), stride=(2, 1),
                                           padding_mode="replicate"), (2, 3, 8, 8)),
    "conv2d_depthwise": (lambda: nn.Conv2d(4, 4, 3, groups=4, dilation=2), (2, 4, 9, 9)),
    "conv3d": (lambda: nn.Conv3d(2, 3, 3, stride=(1, 2, 1), padding=1), (2, 2, 5, 6, 5)),
    "convT1d": (lambda: nn.ConvTranspose1d(3, 2, 3, stride=2, padding=1, output_padding=1),
                (2, 3, 5)),
    "convT2d": (lambda: nn.ConvTranspose2d(4, 4, 3, stride=2, padding=1, output_padding=1,
                                           groups=2), (2, 4, 5, 5)),
    "convT2d_dilated": (lambda: nn.ConvTranspose2d(2, 3, 3, dilation=2, bias=False),
                        (2, 2, 4, 4)),
    "convT3d": (lambda: nn.ConvTranspose3d(2, 2, 2, stride=2), (2, 2, 3, 3, 3)),
}

POOL = {
    "maxpool1d_ceil": (lambda: nn.MaxPool1d(3, stride=2, padding=1, ceil_mode=True), (2, 3, 10)),
    "maxpool2d_ceil": (lambda: nn.MaxPool2d(3, stride=2, ceil_mode=True), (2, 3, 8, 8)),
    "maxpool2d_2x2": (lambda: nn.MaxPool2d(2), (2, 3, 8, 8)),
    "maxpool2d_dilated": (lambda: nn.MaxPool2d(2, stride=1, dilation=2, padding=1),
                          (2, 3, 8, 8)),
    "maxpool3d": (lambda: nn.MaxPool3d(2), (2, 2, 4, 4, 4)),
    "avgpool1d_no_pad_count": (lambda: nn.AvgPool1d(3, stride=2, padding=1,
                                                    count_include_pad=False), (2, 3, 10)),
    "avgpool2d_ceil": (lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True),
                       (2, 3, 8, 8)),
    "avgpool2d_ceil_no_pad_count": (lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True,
                                                         count_include_pad=False), (2, 3, 8, 8)),
    "avgpool2d_divisor": (lambda: nn.AvgPool2d(2, divisor_override=3), (2, 3, 8, 8)),
    "avgpool3d": (lambda: nn.AvgPool3d(2, stride=1), (2, 2, 4, 4, 4)),
    "adaptive_avg_global": (lambda: nn.AdaptiveAvgPool2d(1), (2, 3, 5, 7)),
    "adaptive_avg_uneven": (lambda: nn.AdaptiveAvgPool2d((3, 2)), (2, 3, 7, 8)),
    "adaptive_avg_even": (lambda: nn.AdaptiveAvgPool2d((2, 4)), (2, 3, 6, 8)),
    "adaptive_avg1d": (lambda: nn.AdaptiveAvgPool1d(3), (2, 3, 7)),
    "adaptive_max_global": (lambda: nn.AdaptiveMaxPool2d(1), (2, 3, 6, 8)),
    "adaptive_max_even": (lambda: nn.AdaptiveMaxPool2d((3, 2)), (2, 3, 6, 8)),
}

OTHER = {
    "batchnorm1d": (lambda: nn.BatchNorm1d(5), (2, 5)),
    "batchnorm3d": (lambda: nn.BatchNorm3d(2, affine=False), (2, 2, 3, 3, 3)),
    "layernorm": (lambda: nn.LayerNorm([4, 5]), (2, 3, 4, 5)),
    "groupnorm": (lambda: nn.GroupNorm(2, 4), (2, 4, 3, 3)),
    "instancenorm": (lambda: nn.InstanceNorm2d(3, affine=True), (2, 3, 5, 5)),
    "upsample_nearest": (lambda: nn.Upsample(scale_factor=2), (2, 3, 4, 5)),
    "upsample_nearest_size": (lambda: nn.Upsample(size=(7, 9)), (2, 3, 4, 5)),
    "upsample_bilinear": (lambda: nn.Upsample(scale_factor=2, mode="bilinear"), (2, 3, 4, 5)),
    "upsample_bilinear_corners": (lambda: nn.Upsample(size=(7, 9), mode="bilinear",
                                                      align_corners=True), (2, 3, 4, 5)),
    "upsample_bicubic": (lambda: nn.Upsample(size=(7, 9), mode="bicubic"), (2, 3, 4, 5)),
    "constant_pad": (lambda: nn.ConstantPad2d((1, 2, 0, 1), 0.5), (2, 3, 4, 5)),
    "zero_pad": (lambda: nn.ZeroPad2d(2), (2, 3, 4, 5)),
    "reflection_pad": (lambda: nn.ReflectionPad1d((2, 1)), (2, 3, 5)),
    "replication_pad": (lambda: nn.ReplicationPad2d(1), (2, 3, 4, 4)),
    "flatten": (lambda: nn.Flatten(), (2, 3, 4, 5)),
    "dropout_eval": (lambda: nn.Sequential(nn.Dropout(0.5), nn.Linear(4, 3)), (2, 4)),
    "identity": (lambda: nn.Sequential(nn.Identity(), nn.Linear(4, 3)), (2, 4)),
    "linear_3d": (lambda: nn.Linear(4, 3), (2, 5, 4)),
    "softmax": (lambda: nn.Softmax(dim=1), (2, 5)),
    "log_softmax": (lambda: nn.LogSoftmax(dim=-1), (2, 3, 5)),
    "prelu": (lambda: nn.PReLU(3), (2, 3, 4)),
    "lstm_2_layers": (lambda: nn.LSTM(4, 5, num_layers=2, batch_first=True), (2, 6, 4)),
    "lstm_bidirectional": (lambda: nn.LSTM(4, 5, bidirectional=True), (6, 2, 4)),
    "gru": (lambda: nn.GRU(4, 5, batch_first=True), (2, 6, 4)),
    "rnn_relu": (lambda: nn.RNN(4, 5, nonlinearity="relu", batch_first=True), (2, 6, 4)),
}

ACTIVATIONS = ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "ELU", "SELU", "CELU", "GELU", "Softplus",
               "Hardtanh", "ReLU6", "SiLU", "Mish", "Hardswish", "Hardsigmoid", "Softsign",
               "Tanhshrink", "Hardshrink", "Softshrink", "LogSigmoid"]
for _a in ACTIVATIONS:
    OTHER[_a.lower()] = (lambda a=_a: getattr(nn, a)(), (2, 3, 4))
OTHER["gelu_tanh"] = (lambda: nn.GELU(approximate="tanh"), (2, 3, 4))
OTHER["softplus_beta"] = (lambda: nn.Softplus(beta=2, threshold=1), (2, 3, 4))
OTHER["threshold"] = (lambda: nn.Threshold(0.1, 20.0), (2, 3, 4))
OTHER["leaky_relu_slope"] = (lambda: nn.LeakyReLU(0.2), (2, 3, 4))
OTHER["elu_alpha"] = (lambda: nn.ELU(alpha=0.5), (2, 3, 4))

CASES = {**CONV, **POOL, **OTHER}


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer_matches_onnxruntime(name):
    gn.manual_seed(0)
    make, shape = CASES[name]
    roundtrip(make(), shape)


@pytest.mark.parametrize("opset", [13, 17])
def test_embedding_gathers_integer_input(opset):
    gn.manual_seed(0)
    model = nn.Sequential(nn.Embedding(10, 4), nn.Flatten(), nn.Linear(12, 2))
    roundtrip(model, (2, 3), make=lambda s: gn.randint(0, 10, s), opset_version=opset)


# ------------------------------------------------- conversions reached only through small paths
class _Lambda(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


@pytest.mark.parametrize("p", [1, 2, 3, 0, float("inf"), float("-inf")])
def test_vector_norm_exports(p):
    gn.manual_seed(0)
    roundtrip(_Lambda(lambda x: gn.linalg.vector_norm(x, ord=p, dim=1, keepdim=True)),
              (2, 4, 3))


def test_cosine_similarity_exports():
    # its norms go through a clamp that passes the gradient through (recorded, exported as Max)
    gn.manual_seed(0)
    other = gn.randn(1, 6)
    # (its expand of ``other`` to the batch is a traced constant: the traced batch only)
    roundtrip(_Lambda(lambda x: nn.functional.cosine_similarity(x, other.expand(x.shape[0], 6),
                                                                dim=1)), (2, 6), batches=(),
              make=lambda s: gn.randn(*s) * gn.tensor([[1e-9, 1, 1, 0, 0, 0]]))


def test_hooked_module_exports():
    # a full backward hook wraps the module's inputs and outputs in identity nodes
    gn.manual_seed(0)
    lin = nn.Linear(5, 3)
    lin.register_full_backward_hook(lambda m, gi, go: None)
    lin.register_forward_hook(lambda m, i, o: o * 2)
    roundtrip(nn.Sequential(lin, nn.ReLU()), (2, 5))


@pytest.mark.parametrize("norm", [1, 2, 3.5])
def test_lp_pool_exports(norm):
    gn.manual_seed(0)
    roundtrip(nn.LPPool2d(norm, 2), (2, 3, 6, 6), make=lambda s: gn.rand(*s) + 0.1)


def test_contiguous_after_transpose_exports():
    gn.manual_seed(0)
    roundtrip(_Lambda(lambda x: x.transpose(1, 2).contiguous().reshape(x.shape[0], -1)),
              (2, 3, 4))


def test_dropout_in_training_mode_exports():
    """Exported in training mode, dropout becomes ONNX Dropout with its own random mask:
    every output is 0 or x / (1 - p), and about p of them are 0."""
    import numpy as np
    from onnx_helpers import check_and_session, export_bytes

    gn.manual_seed(0)
    model = nn.Dropout(0.25)
    model.train()
    x = gn.rand(4, 500) + 1.0
    sess = check_and_session(export_bytes(model, (x,), input_names=["x"], output_names=["y"],
                                          training=gn.onnx.TrainingMode.TRAINING))
    y = sess.run(None, {"x": x.numpy()})[0]
    kept = y != 0
    np.testing.assert_allclose(y[kept], x.numpy()[kept] / 0.75, rtol=1e-6)
    assert 0.2 < 1 - kept.mean() < 0.3


def test_channel_dropout_in_training_mode_is_a_clear_export_error():
    from onnx_helpers import export_bytes

    model = nn.Dropout2d(0.5)
    model.train()
    with pytest.raises(gn.onnx.errors.UnsupportedOperatorError, match="channel-wise or alpha dropout"):
        export_bytes(model, (gn.rand(2, 3, 4, 4),), training=gn.onnx.TrainingMode.TRAINING)
