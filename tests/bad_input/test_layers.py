"""Wrong calls on layers: inputs of the wrong shape or channel count, and constructor
arguments that cannot work (zero or negative sizes, groups that do not divide the channels,
unknown padding modes). Each raises PyTorch's exception type with a message naming the layer or
argument and the value that came."""

import pytest

from ._catalogue import accepts_like_torch, case, raises_like_torch

# PyTorch and glassnet both warn about some of these calls before they fail or succeed.
pytestmark = pytest.mark.filterwarnings("ignore:.*target size:UserWarning",
                                        "ignore:Initializing zero-element:UserWarning")


def _x(t, *shape):
    return t.ones(*shape)


def _lstm_bad_h0(t):
    lstm = t.nn.LSTM(4, 8)
    h = t.zeros(1, 3, 8)
    return lstm(t.ones(5, 2, 4), (h, h))


def _batchnorm_one_sample(t):
    return t.nn.BatchNorm1d(3).train()(t.ones(1, 3))


CASES = [
    # Linear
    case("linear-in-features", lambda t: t.nn.Linear(4, 3)(_x(t, 2, 5)), r"mat|linear",
         r"2x5|\b5\b", r"\b4\b"),
    case("linear-negative-out", lambda t: t.nn.Linear(4, -3), r"negative|features", r"-3"),
    case("linear-negative-in", lambda t: t.nn.Linear(-4, 3), r"negative|features", r"-4"),
    case("bilinear-in2", lambda t: t.nn.Bilinear(3, 4, 2)(_x(t, 5, 3), _x(t, 5, 3)),
         r"bilinear|input2|size", r"\b4\b", r"\b3\b"),
    # convolutions
    case("conv2d-channels", lambda t: t.nn.Conv2d(3, 6, 3)(_x(t, 1, 1, 8, 8)), r"conv|channel",
         r"\b3\b", r"\b1\b"),
    case("conv2d-2d-input", lambda t: t.nn.Conv2d(1, 6, 3)(_x(t, 8, 8)), r"conv2d",
         r"3D|4D|3-D|4-D", r"\[8, 8\]|\(8, 8\)"),
    case("conv1d-4d-input", lambda t: t.nn.Conv1d(1, 2, 3)(_x(t, 1, 1, 8, 8)), r"conv1d",
         r"2D|3D|2-D|3-D", r"8, 8"),
    case("conv3d-channels", lambda t: t.nn.Conv3d(2, 4, 3)(_x(t, 1, 3, 4, 4, 4)), r"conv|channel",
         r"\b2\b", r"\b3\b"),
    case("conv2d-kernel-bigger", lambda t: t.nn.Conv2d(1, 1, 5)(_x(t, 1, 1, 3, 3)),
         r"kernel", r"\b5\b|5 x 5", r"\b3\b|3 x 3"),
    case("conv2d-groups-in", lambda t: t.nn.Conv2d(4, 6, 3, groups=3), r"in_channels",
         r"groups"),
    case("conv2d-groups-out", lambda t: t.nn.Conv2d(3, 4, 3, groups=3), r"out_channels",
         r"groups"),
    case("conv2d-groups-zero", lambda t: t.nn.Conv2d(3, 3, 3, groups=0), r"groups",
         r"positive|0"),
    case("conv2d-padding-mode", lambda t: t.nn.Conv2d(1, 1, 3, padding_mode="mirror"),
         r"padding_mode", r"mirror"),
    case("conv2d-padding-string", lambda t: t.nn.Conv2d(1, 1, 3, padding="full"), r"padding",
         r"full"),
    case("conv2d-same-strided", lambda t: t.nn.Conv2d(1, 1, 3, padding="same", stride=2),
         r"same", r"stride"),
    case("conv2d-stride-zero", lambda t: t.nn.Conv2d(1, 1, 3, stride=0)(_x(t, 1, 1, 8, 8)),
         r"stride", r"0|positive"),
    case("conv2d-negative-out", lambda t: t.nn.Conv2d(1, -2, 3), r"negative|out_channels",
         r"-2"),
    case("conv-transpose2d-channels",
         lambda t: t.nn.ConvTranspose2d(4, 2, 3)(_x(t, 1, 3, 5, 5)), r"conv|channel", r"\b4\b",
         r"\b3\b"),
    case("fconv2d-weight-channels",
         lambda t: t.nn.functional.conv2d(_x(t, 1, 2, 5, 5), _x(t, 4, 3, 3, 3)),
         r"conv|channel", r"\b3\b", r"\b2\b"),
    # normalisation
    case("batchnorm1d-features", lambda t: t.nn.BatchNorm1d(4)(_x(t, 2, 5)),
         r"running_mean|features|channel|batch_norm", r"\b5\b", r"\b4\b"),
    case("batchnorm2d-3d-input", lambda t: t.nn.BatchNorm2d(3)(_x(t, 2, 3, 4)), r"4D|4-D",
         r"3D|3-D"),
    case("batchnorm-one-sample", _batchnorm_one_sample, r"more than 1 value", r"1, 3"),
    case("batchnorm2d-negative", lambda t: t.nn.BatchNorm2d(-1), r"negative|features", r"-1"),
    case("layernorm-shape", lambda t: t.nn.LayerNorm(4)(_x(t, 2, 5)), r"normalized_shape",
         r"\b4\b", r"2, 5"),
    case("groupnorm-divides", lambda t: t.nn.GroupNorm(3, 4), r"num_channels|num_groups",
         r"divisible"),
    case("groupnorm-input-channels", lambda t: t.nn.GroupNorm(2, 4)(_x(t, 2, 6, 3)),
         r"channel|group|weight|size", r"\b6\b|\b4\b"),
    # recurrent
    case("lstm-input-size", lambda t: t.nn.LSTM(4, 8)(_x(t, 5, 2, 3)), r"input_size|input.size",
         r"\b4\b", r"\b3\b"),
    case("lstm-4d-input", lambda t: t.nn.LSTM(4, 8)(_x(t, 5, 2, 3, 4)), r"LSTM", r"2D|3D",
         r"4D|4-D"),
    case("lstm-hidden-zero", lambda t: t.nn.LSTM(4, 0), r"hidden_size", r"zero|0"),
    case("lstm-layers-zero", lambda t: t.nn.LSTM(4, 8, num_layers=0), r"num_layers",
         r"zero|\b1\b|\b0\b"),
    case("lstm-dropout", lambda t: t.nn.LSTM(4, 8, dropout=1.5), r"dropout", r"1.5|\[0, 1\]"),
    case("lstm-h0-shape", _lstm_bad_h0, r"hidden|h0|hx", r"1, 3, 8", r"1, 2, 8"),
    case("gru-input-size", lambda t: t.nn.GRU(4, 8, batch_first=True)(_x(t, 2, 5, 6)),
         r"input_size|input.size", r"\b4\b", r"\b6\b"),
    case("rnn-nonlinearity", lambda t: t.nn.RNN(4, 8, nonlinearity="sigmoid"),
         r"nonlinearity", r"sigmoid"),
    case("lstmcell-input", lambda t: t.nn.LSTMCell(4, 8)(_x(t, 2, 3)), r"input", r"\b4\b",
         r"\b3\b"),
    # embedding
    case("embedding-index-10-of-10", lambda t: t.nn.Embedding(10, 3)(t.tensor([1, 10])),
         r"index|embedding", r"range|\b10\b"),
    case("embedding-negative-index", lambda t: t.nn.Embedding(10, 3)(t.tensor([-1])),
         r"index|embedding", r"range|-1"),
    case("embedding-float-index", lambda t: t.nn.Embedding(10, 3)(t.tensor([1.0])),
         r"indices|embedding", r"long|int", r"float"),
    case("embedding-padding-idx", lambda t: t.nn.Embedding(10, 3, padding_idx=10),
         r"padding_idx", r"num_embeddings|10"),
    case("embedding-negative-size", lambda t: t.nn.Embedding(-1, 3), r"negative|num_embed",
         r"-1"),
    # pooling, dropout, resizing
    case("maxpool2d-too-small", lambda t: t.nn.MaxPool2d(4)(_x(t, 1, 1, 3, 3)), r"output|size",
         r"3|small"),
    case("maxpool2d-padding", lambda t: t.nn.MaxPool2d(2, padding=2)(_x(t, 1, 1, 8, 8)),
         r"pad", r"half|kernel"),
    case("avgpool2d-padding", lambda t: t.nn.AvgPool2d(2, padding=2)(_x(t, 1, 1, 8, 8)),
         r"pad", r"half|kernel"),
    case("dropout-p", lambda t: t.nn.Dropout(p=1.5), r"dropout|p", r"1.5"),
    case("dropout2d-p", lambda t: t.nn.Dropout2d(p=-0.1), r"dropout|p", r"-0.1"),
    case("interpolate-size-and-scale",
         lambda t: t.nn.functional.interpolate(_x(t, 1, 1, 4, 4), size=8, scale_factor=2),
         r"size", r"scale_factor"),
    case("pad-mode", lambda t: t.nn.functional.pad(_x(t, 1, 1, 4, 4), (1, 1), mode="mirror"),
         r"mode|pad", r"mirror"),
    case("sequential-index", lambda t: t.nn.Sequential(t.nn.ReLU())[3], r"index", r"\b3\b"),
    case("flatten-then-linear", lambda t: t.nn.Sequential(t.nn.Flatten(), t.nn.Linear(10, 2))(
        _x(t, 2, 3, 4)), r"mat|linear", r"12", r"10"),
]

ACCEPTED = [
    pytest.param(lambda t: t.nn.Linear(0, 2)(_x(t, 3, 0)), id="linear-zero-in-features"),
    pytest.param(lambda t: t.nn.functional.conv2d(t.arange(9.0).reshape(1, 3, 3),
                                                  t.ones(2, 1, 3, 3), padding=1),
                 id="conv2d-unbatched"),
    pytest.param(lambda t: t.nn.Dropout(p=1.0)(_x(t, 4)), id="dropout-p-1"),
    pytest.param(lambda t: t.nn.BatchNorm1d(3).eval()(_x(t, 1, 3)), id="batchnorm-eval-one"),
    pytest.param(lambda t: t.nn.functional.embedding(t.tensor([1, 0]), _x(t, 3, 2)),
                 id="embedding-functional"),
]


@pytest.mark.parametrize("call, patterns", CASES)
def test_wrong_call_raises_like_pytorch(call, patterns):
    raises_like_torch(call, patterns)


@pytest.mark.parametrize("call", ACCEPTED)
def test_call_pytorch_accepts_gives_its_result(call):
    accepts_like_torch(call)
