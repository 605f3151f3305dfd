"""Wrong calls on losses: class labels out of range or of a float dtype, batch sizes that
differ, prediction and target shapes that do not broadcast, probabilities outside [0, 1] given
to binary cross-entropy, unknown reductions. Each raises PyTorch's exception type with a
message naming the loss or argument and the value that came."""

import pytest

from ._catalogue import accepts_like_torch, case, gap, raises_like_torch

# PyTorch and glassnet both warn about some of these calls before they fail or succeed.
pytestmark = pytest.mark.filterwarnings("ignore:.*target size:UserWarning",
                                        "ignore:Initializing zero-element:UserWarning")


def _logits(t, n=4, c=10):
    return t.linspace(-1, 1, n * c).reshape(n, c)


def _p(t, *values):
    return t.tensor(list(values))



def _f(t):
    return t.nn.functional


CASES = [
    # cross-entropy and nll
    case("ce-label-10-of-10", lambda t: _f(t).cross_entropy(_logits(t), t.tensor([0, 1, 2, 10])),
         r"target|label|class", r"\b10\b"),
    case("ce-label-negative", lambda t: _f(t).cross_entropy(_logits(t), t.tensor([0, 1, -2, 3])),
         r"target|label|class", r"-2"),
    case("ce-float-labels", lambda t: _f(t).cross_entropy(_logits(t), t.tensor([0.0, 1, 2, 3])),
         r"long|int64|dtype|scalar type", r"float"),
    case("ce-batch-mismatch", lambda t: _f(t).cross_entropy(_logits(t), t.tensor([0, 1, 2])),
         r"batch_size|batch", r"\b4\b", r"\b3\b"),
    case("ce-weight-size", lambda t: _f(t).cross_entropy(_logits(t), t.tensor([0, 1, 2, 3]),
                                                         weight=t.ones(3)),
         r"weight", r"\b10\b", r"\b3\b"),
    case("ce-reduction", lambda t: _f(t).cross_entropy(_logits(t), t.tensor([0, 1, 2, 3]),
                                                       reduction="average"),
         r"reduction|valid", r"average"),
    case("ce-label-smoothing", lambda t: t.nn.CrossEntropyLoss(label_smoothing=1.5)(
        _logits(t), t.tensor([0, 1, 2, 3])), r"label_smoothing", r"1.5"),
    case("ce-prob-target-shape", lambda t: _f(t).cross_entropy(_logits(t), t.ones(4, 9) / 9),
         r"target|shape|size", r"\b9\b|4, 9"),
    case("ce-2d-labels-for-2d-input", lambda t: _f(t).cross_entropy(_logits(t),
                                                                    t.zeros(4, 1).long()),
         r"target|size|shape", r"4, 1|\b1\b"),
    case("nll-label-out-of-range", lambda t: _f(t).nll_loss(_logits(t, 3, 5), t.tensor([0, 5, 1])),
         r"target|label|class", r"\b5\b"),
    case("nll-float-labels", lambda t: _f(t).nll_loss(_logits(t, 3, 5), t.tensor([0.0, 1, 2])),
         r"long|int64|dtype|scalar type", r"float"),
    case("nll-batch-mismatch", lambda t: _f(t).nll_loss(_logits(t, 3, 5), t.tensor([0, 1])),
         r"batch_size|batch", r"\b3\b", r"\b2\b"),
    case("ce-module-label-out-of-range", lambda t: t.nn.CrossEntropyLoss()(
        _logits(t, 2, 3), t.tensor([3, 0])), r"target|label|class", r"\b3\b"),
    # regression losses
    case("mse-shapes", lambda t: _f(t).mse_loss(t.ones(3, 4), t.ones(4, 3)), r"mse|size|shape",
         r"\b4\b", r"\b3\b"),
    case("l1-shapes", lambda t: _f(t).l1_loss(t.ones(5), t.ones(3)), r"l1|size|shape", r"\b5\b",
         r"\b3\b"),
    case("smooth-l1-shapes", lambda t: _f(t).smooth_l1_loss(t.ones(2, 3), t.ones(2, 4)),
         r"smooth_l1|size|shape", r"\b3\b", r"\b4\b"),
    case("huber-shapes", lambda t: _f(t).huber_loss(t.ones(2, 3), t.ones(3, 2)),
         r"huber|size|shape", r"\b3\b", r"\b2\b"),
    case("mse-module-reduction", lambda t: t.nn.MSELoss(reduction="avg")(t.ones(2), t.ones(2)),
         r"reduction|valid", r"avg"),
    # binary cross-entropy
    case("bce-input-above-1", lambda t: _f(t).binary_cross_entropy(_p(t, 0.5, 1.5), _p(t, 0., 1.)),
         r"input|binary_cross_entropy", r"between 0 and 1|\[0, 1\]", r"1.5"),
    case("bce-input-negative", lambda t: _f(t).binary_cross_entropy(_p(t, -0.1, 0.5),
                                                                    _p(t, 0., 1.)),
         r"input|binary_cross_entropy", r"between 0 and 1|\[0, 1\]"),
    case("bce-target-above-1", lambda t: _f(t).binary_cross_entropy(_p(t, 0.2, 0.7),
                                                                    _p(t, 2.0, 0.0)),
         r"target", r"between 0 and 1", r"\b2\b"),
    case("bce-module-target-negative", lambda t: t.nn.BCELoss()(_p(t, 0.2, 0.7), _p(t, 1., -1.)),
         r"target", r"between 0 and 1", r"-1"),
    gap("ce-int32-labels", lambda t: _f(t).cross_entropy(_logits(t, 3, 4),
                                                         t.tensor([0, 1, 2]).int()),
        "glassnet accepts any integer dtype for class labels; PyTorch only int64 and uint8"),
    case("bce-shapes", lambda t: _f(t).binary_cross_entropy(t.full((4,), 0.5), t.ones(3)),
         r"target|size", r"\b3\b", r"\b4\b"),
    case("bce-logits-shapes", lambda t: _f(t).binary_cross_entropy_with_logits(t.ones(4),
                                                                               t.ones(3)),
         r"target|size", r"\b3\b", r"\b4\b"),
    case("bce-module-2d-vs-1d", lambda t: t.nn.BCELoss()(t.full((4, 1), 0.5), t.ones(4)),
         r"target|size", r"4, 1|\b4\b"),
    case("kl-div-shapes", lambda t: _f(t).kl_div(t.zeros(2, 3), t.ones(2, 4) / 4,
                                                 reduction="batchmean"),
         r"kl_div", r"2, 3", r"2, 4"),
]

ACCEPTED = [
    # PyTorch computes these without complaint: glassnet gives the same numbers.
    pytest.param(lambda t: _f(t).binary_cross_entropy(_p(t, 0.0, 1.0), _p(t, 1.0, 0.0)),
                 id="bce-input-at-0-and-1"),
    pytest.param(lambda t: _f(t).mse_loss(t.ones(3, 1), t.zeros(3)), id="mse-broadcasts"),
    pytest.param(lambda t: _f(t).cross_entropy(_logits(t, 3, 4), t.tensor([0, -100, 2])),
                 id="ce-ignore-index"),
    pytest.param(lambda t: _f(t).cross_entropy(_logits(t, 3, 4), t.tensor([0, 1, 2]).byte()),
                 id="ce-uint8-labels"),
]


@pytest.mark.parametrize("call, patterns", CASES)
def test_wrong_call_raises_like_pytorch(call, patterns):
    raises_like_torch(call, patterns)


@pytest.mark.parametrize("call", ACCEPTED)
@pytest.mark.filterwarnings("ignore:Using a target size")
def test_call_pytorch_accepts_gives_its_result(call):
    accepts_like_torch(call)
