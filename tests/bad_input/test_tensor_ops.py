"""Wrong calls on tensors: shapes that do not broadcast, matrix products that do not fit,
dimensions and indices out of range, views of the wrong size, bitwise ops on floats, negative
sizes. Each raises PyTorch's exception type with a message naming the op and the values."""

import pytest

from ._catalogue import accepts_like_torch, case, gap, raises_like_torch


def _x(t, *shape):
    return t.arange(1, 1 + _numel(shape), dtype=t.float32).reshape(shape)


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _noncontiguous_view(t):
    return _x(t, 2, 3).t().view(6)


def _setitem_out_of_range(t):
    x = _x(t, 3)
    x[3] = 1.0


def _masked_fill_wrong_shape(t):
    return _x(t, 2, 3).masked_fill(t.tensor([True, False]), 0.0)


CASES = [
    # broadcasting
    case("add-2x3-4x5", lambda t: _x(t, 2, 3) + _x(t, 4, 5), r"add", r"\b3\b", r"\b5\b"),
    case("mul-3-4", lambda t: _x(t, 3) * _x(t, 4), r"mul", r"\b3\b", r"\b4\b"),
    case("sub-2x3x4-3x3", lambda t: _x(t, 2, 3, 4) - _x(t, 3, 3), r"sub", r"\b4\b", r"\b3\b"),
    case("div-2x3-2", lambda t: _x(t, 2, 3) / _x(t, 2), r"div", r"\b3\b", r"\b2\b"),
    case("pow-2x3-3x2", lambda t: _x(t, 2, 3) ** _x(t, 3, 2), r"pow", r"\b3\b", r"\b2\b"),
    case("maximum-3-4", lambda t: t.maximum(_x(t, 3), _x(t, 4)), r"maximum", r"\b3\b", r"\b4\b"),
    case("where-mismatch", lambda t: t.where(_x(t, 2, 3) > 2, _x(t, 3, 2), 0.0),
         r"where", r"\b3\b", r"\b2\b"),
    case("eq-3-4", lambda t: _x(t, 3) == _x(t, 4), r"\b3\b", r"\b4\b"),
    case("iadd-broadcast-grows", lambda t: _x(t, 3).add_(_x(t, 2, 3)), r"add", r"\[3\]|\(3,\)",
         r"\[2, 3\]|\(2, 3\)"),
    case("expand-2x3-to-3x4", lambda t: _x(t, 2, 3).expand(3, 4), r"expand", r"\b3\b", r"\b4\b"),
    # matrix products
    case("matmul-2x3-4x5", lambda t: _x(t, 2, 3) @ _x(t, 4, 5), r"mat", r"2x3|\(2, 3\)",
         r"4x5|\(4, 5\)"),
    case("matmul-1d-3-4", lambda t: t.matmul(_x(t, 3), _x(t, 4)), r"\b3\b", r"\b4\b"),
    case("matmul-batch-2-3", lambda t: _x(t, 2, 3, 4) @ _x(t, 3, 4, 5), r"\b2\b", r"\b3\b"),
    case("mm-3d", lambda t: t.mm(_x(t, 2, 3, 4), _x(t, 4, 5)), r"mm", r"matri",
         r"2, 3, 4"),
    case("mm-2x3-4x5", lambda t: t.mm(_x(t, 2, 3), _x(t, 4, 5)), r"mm", r"2x3|\(2, 3\)",
         r"4x5|\(4, 5\)"),
    case("bmm-batch", lambda t: t.bmm(_x(t, 2, 3, 4), _x(t, 3, 4, 5)), r"bmm|batch", r"\b2\b",
         r"\b3\b"),
    case("bmm-2d", lambda t: t.bmm(_x(t, 3, 4), _x(t, 4, 5)), r"bmm", r"batch1", r"3, 4"),
    case("mv-mismatch", lambda t: t.mv(_x(t, 2, 3), _x(t, 4)), r"mv|vec|mat", r"\b3\b|2x3",
         r"\b4\b"),
    case("dot-mismatch", lambda t: t.dot(_x(t, 3), _x(t, 4)), r"dot", r"\b3\b", r"\b4\b"),
    case("dot-2d", lambda t: t.dot(_x(t, 2, 2), _x(t, 2, 2)), r"dot|1D", r"2"),
    case("outer-2d", lambda t: t.outer(_x(t, 2, 2), _x(t, 2)), r"outer|1D|vector", r"2"),
    case("linalg-inv-nonsquare", lambda t: t.linalg.inv(_x(t, 2, 3)), r"inv|square",
         r"2 by 3|2x3|\(2, 3\)"),
    # dimensions out of range
    case("sum-dim-2-of-2d", lambda t: _x(t, 2, 3).sum(dim=2), r"sum", r"dim 2",
         r"-2 <= dim < 2"),
    case("mean-dim-minus-3", lambda t: _x(t, 2, 3).mean(dim=-3), r"dim", r"-3"),
    case("softmax-dim-5", lambda t: _x(t, 2, 3).softmax(dim=5), r"dim", r"\b5\b"),
    case("argmax-dim-2", lambda t: _x(t, 4).argmax(dim=2), r"dim", r"\b2\b"),
    case("transpose-0-3", lambda t: _x(t, 2, 3).transpose(0, 3), r"dim", r"\b3\b"),
    case("permute-too-few", lambda t: _x(t, 2, 3, 4).permute(0, 1), r"permute|dim", r"\b3\b",
         r"\b2\b"),
    case("permute-repeated", lambda t: _x(t, 2, 3).permute(0, 0), r"permute|dim", r"0"),
    case("squeeze-dim-3", lambda t: _x(t, 2, 3).squeeze(3), r"dim", r"\b3\b"),
    case("unsqueeze-dim-4", lambda t: _x(t, 2, 3).unsqueeze(4), r"dim", r"\b4\b"),
    case("flatten-start-after-end", lambda t: _x(t, 2, 3, 4).flatten(2, 0), r"flatten|start",
         r"\b2\b", r"\b0\b"),
    case("cat-dim-2-of-2d", lambda t: t.cat([_x(t, 2, 3), _x(t, 2, 3)], dim=2), r"dim",
         r"\b2\b"),
    case("cumsum-dim-1-of-1d", lambda t: _x(t, 3).cumsum(dim=1), r"dim", r"\b1\b"),
    case("topk-k-too-big", lambda t: _x(t, 3).topk(5), r"k|topk", r"\b5\b|range"),
    case("narrow-too-long", lambda t: _x(t, 2, 3).narrow(0, 0, 5), r"narrow|start|length",
         r"\b5\b", r"\b2\b"),
    case("chunk-zero", lambda t: _x(t, 4).chunk(0), r"chunk", r"\b0\b"),
    case("repeat-too-few-dims", lambda t: _x(t, 2, 3).repeat(2), r"repeat", r"dim"),
    # views and reshapes
    case("view-4x4-of-6", lambda t: _x(t, 2, 3).view(4, 4), r"shape|view", r"4, 4", r"\b6\b"),
    case("reshape-5-minus1-of-6", lambda t: _x(t, 2, 3).reshape(5, -1), r"shape", r"5, -1",
         r"\b6\b"),
    case("view-two-minus1", lambda t: _x(t, 2, 3).view(-1, -1), r"one dimension|infer"),
    case("unflatten-wrong-product", lambda t: _x(t, 2, 3).unflatten(1, (2, 2)),
         r"unflatten|sizes", r"\b3\b", r"2, 2"),
    case("item-of-6", lambda t: _x(t, 2, 3).item(), r"\b6\b", r"scalar|element"),
    # joining
    case("cat-mismatch", lambda t: t.cat([_x(t, 2, 3), _x(t, 2, 4)], dim=0), r"size|cat",
         r"\b3\b", r"\b4\b"),
    case("cat-empty-list", lambda t: t.cat([], dim=0), r"cat|empty|non-empty"),
    case("cat-ndim-mismatch", lambda t: t.cat([_x(t, 2, 3), _x(t, 3)], dim=0),
         r"cat|dim|size", r"\b2\b|\b1\b"),
    case("stack-mismatch", lambda t: t.stack([_x(t, 2, 3), _x(t, 3, 2)]), r"stack",
         r"\[2, 3\]|\(2, 3\)", r"\[3, 2\]|\(3, 2\)"),
    # indices out of range
    case("getitem-5-of-3", lambda t: _x(t, 3)[5], r"index", r"\b5\b", r"\b3\b"),
    case("getitem-col-4-of-3", lambda t: _x(t, 2, 3)[:, 4], r"index", r"\b4\b", r"\b3\b"),
    case("getitem-minus-4-of-3", lambda t: _x(t, 3)[-4], r"index", r"-4", r"\b3\b"),
    case("getitem-too-many", lambda t: _x(t, 2, 3)[0, 0, 0], r"indices|index", r"\b2\b"),
    case("getitem-tensor-index", lambda t: _x(t, 3)[t.tensor([0, 7])], r"index", r"\b7\b",
         r"\b3\b"),
    case("getitem-float-index", lambda t: _x(t, 3)[t.tensor([0.5])], r"ind",
         r"long|int|bool"),
    case("getitem-mask-shape", lambda t: _x(t, 2, 3)[t.tensor([True, False, True])],
         r"mask", r"size 3", r"2, 3"),
    case("setitem-3-of-3", _setitem_out_of_range, r"index", r"\b3\b"),
    case("gather-out-of-range", lambda t: _x(t, 2, 3).gather(1, t.tensor([[0, 5], [1, 2]])),
         r"index|gather", r"\b5\b", r"\b3\b"),
    case("index-select-out-of-range", lambda t: _x(t, 3).index_select(0, t.tensor([4])),
         r"index", r"range|\b4\b"),
    case("scatter-out-of-range",
         lambda t: t.zeros(3).scatter(0, t.tensor([1, 9]), t.ones(2)), r"index|scatter",
         r"\b9\b"),
    case("masked-fill-shape", _masked_fill_wrong_shape, r"masked_fill", r"\(2,\)", r"2, 3"),
    # dtypes
    case("bitwise-and-float", lambda t: t.bitwise_and(_x(t, 3), _x(t, 3)), r"bitwise_and",
         r"float"),
    case("bitwise-or-float", lambda t: _x(t, 3) | _x(t, 3), r"bitwise_or|or", r"float"),
    case("bitwise-xor-float", lambda t: _x(t, 3) ^ _x(t, 3), r"bitwise_xor|xor", r"float"),
    case("invert-float", lambda t: ~_x(t, 3), r"invert|~", r"float"),
    case("bitwise-not-float", lambda t: _x(t, 3).bitwise_not(), r"bitwise_not", r"float"),
    case("bitwise-and-int-float", lambda t: t.arange(3) & 1.5, r"bitwise_and", r"float"),
    case("lshift-float", lambda t: _x(t, 3) << 1, r"shift", r"float"),
    case("mean-of-long", lambda t: t.arange(4).mean(), r"mean", r"long|int64"),
    case("requires-grad-long", lambda t: t.arange(4).requires_grad_(), r"floating|grad",
         r"long|int|float"),
    case("tensor-long-requires-grad", lambda t: t.tensor([1, 2], requires_grad=True),
         r"floating|grad"),
    case("floor-divide-int-by-zero", lambda t: t.arange(3) // 0, r"zero|division"),
    # negative and zero sizes
    case("zeros-minus-1", lambda t: t.zeros(-1), r"negative|size", r"-1"),
    case("ones-2-minus-3", lambda t: t.ones(2, -3), r"negative|size", r"-3"),
    case("empty-minus-2", lambda t: t.empty(-2), r"negative|size", r"-2"),
    case("randn-minus-1", lambda t: t.randn(-1), r"negative|size", r"-1"),
    case("full-minus-1", lambda t: t.full((-1,), 0.0), r"negative|size", r"-1"),
    case("eye-minus-1", lambda t: t.eye(-1), r"\bn\b|negative", r"-1"),
    case("new-zeros-minus-4", lambda t: _x(t, 2).new_zeros(-4), r"negative|size", r"-4"),
    case("arange-step-0", lambda t: t.arange(0, 10, 0), r"step", r"zero|0"),
    case("arange-wrong-sign", lambda t: t.arange(10, 0, 1), r"bound|step|sign"),
    case("linspace-minus-1", lambda t: t.linspace(0, 1, -1), r"steps", r"-1|negative"),
    gap("view-noncontiguous", _noncontiguous_view,
        "glassnet's view reshapes any layout (it copies where PyTorch would need .reshape)"),
    case("randint-empty-range", lambda t: t.randint(5, 5, (2,)), r"from|to|range|low|high",
         r"\b5\b"),
]

ACCEPTED = [
    pytest.param(lambda t: _x(t, 2, 3)[5:9], id="slice-past-the-end"),
    pytest.param(lambda t: _x(t, 2, 3).squeeze(0), id="squeeze-non-1-dim"),
    pytest.param(lambda t: t.cat([_x(t, 2, 3), _x(t, 0)]), id="cat-legacy-empty"),
    pytest.param(lambda t: t.cat([_x(t, 2, 3), _x(t, 2, 3).double()]), id="cat-promotes"),
    pytest.param(lambda t: _x(t, 2, 3).clamp(min=5, max=2), id="clamp-min-above-max"),
    pytest.param(lambda t: t.zeros(0, 3).sum(0), id="sum-of-empty"),
    pytest.param(lambda t: _x(t, 2, 3).narrow(1, -2, 2), id="narrow-negative-start"),
    pytest.param(lambda t: _x(t, 3, 1) + _x(t, 4), id="broadcast-3x1-4"),
]


@pytest.mark.parametrize("call, patterns", CASES)
def test_wrong_call_raises_like_pytorch(call, patterns):
    raises_like_torch(call, patterns)


@pytest.mark.parametrize("call", ACCEPTED)
def test_call_pytorch_accepts_gives_its_result(call):
    accepts_like_torch(call)
