"""torchvision.ops' box functions (glassnet/vision/ops/boxes.py): values against the same
formulas written with torch operations, gradients against torch autograd and finite differences,
and non-maximum suppression against a greedy reference (decreasing score, ties by index)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import glassnet as gn
import glassnet.vision as torchvision
from glassnet.autograd import gradcheck

ops = torchvision.ops


def _boxes(rng, n, dtype=np.float64, lead=()):
    """Random ``xyxy`` boxes: corners in [0, 10), sides in [0.5, 5.5)."""
    xy = rng.uniform(0, 10, (*lead, n, 2))
    wh = rng.uniform(0.5, 5.5, (*lead, n, 2))
    return np.concatenate([xy, xy + wh], -1).astype(dtype)


# ----------------------------------------------------------------------------- references
def _t_area(b):
    return (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])


def _t_inter_union(b1, b2):
    lt = torch.maximum(b1[..., :, None, :2], b2[..., None, :, :2])
    rb = torch.minimum(b1[..., :, None, 2:], b2[..., None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter, _t_area(b1)[..., :, None] + _t_area(b2)[..., None, :] - inter


def _t_iou(b1, b2):
    inter, union = _t_inter_union(b1, b2)
    return inter / union


def _t_hull(b1, b2):
    lt = torch.minimum(b1[..., :, None, :2], b2[..., None, :, :2])
    rb = torch.maximum(b1[..., :, None, 2:], b2[..., None, :, 2:])
    return (rb - lt).clamp(min=0)


def _t_giou(b1, b2):
    inter, union = _t_inter_union(b1, b2)
    wh = _t_hull(b1, b2)
    hull = wh[..., 0] * wh[..., 1]
    return inter / union - (hull - union) / hull


def _t_diou(b1, b2, eps=1e-7):
    wh = _t_hull(b1, b2)
    c2 = wh[..., 0] ** 2 + wh[..., 1] ** 2 + eps
    c1x, c1y = (b1[..., 0] + b1[..., 2]) / 2, (b1[..., 1] + b1[..., 3]) / 2
    c2x, c2y = (b2[..., 0] + b2[..., 2]) / 2, (b2[..., 1] + b2[..., 3]) / 2
    rho2 = (c1x[..., :, None] - c2x[..., None, :]) ** 2 + (c1y[..., :, None] - c2y[..., None, :]) ** 2
    return _t_iou(b1, b2) - rho2 / c2


def _t_ciou(b1, b2, eps=1e-7):
    iou = _t_iou(b1, b2)
    w1, h1 = (b1[..., 2] - b1[..., 0])[..., :, None], (b1[..., 3] - b1[..., 1])[..., :, None]
    w2, h2 = (b2[..., 2] - b2[..., 0])[..., None, :], (b2[..., 3] - b2[..., 1])[..., None, :]
    v = (4 / math.pi ** 2) * (torch.atan(w1 / h1) - torch.atan(w2 / h2)) ** 2
    with torch.no_grad():
        alpha = v / (1 - iou + v + eps)
    return _t_diou(b1, b2, eps) - alpha * v


def _t_nms(boxes, scores, thr, classes=None):
    """Greedy NMS in torch: by decreasing score (stable sort), suppress IoU > thr."""
    order = torch.sort(scores, descending=True, stable=True)[1]
    iou = _t_iou(boxes, boxes)
    removed = torch.zeros(len(scores), dtype=torch.bool)
    keep = []
    for i in order.tolist():
        if removed[i]:
            continue
        keep.append(i)
        hit = iou[i] > thr
        if classes is not None:
            hit &= classes == classes[i]
        removed |= hit
    return torch.tensor(keep, dtype=torch.int64)


# ----------------------------------------------------------------------------- formats
@pytest.mark.parametrize("in_fmt", ["xyxy", "xywh", "cxcywh"])
@pytest.mark.parametrize("out_fmt", ["xyxy", "xywh", "cxcywh"])
def test_box_convert_matches_the_formulas_and_round_trips(in_fmt, out_fmt):
    b = _boxes(np.random.default_rng(0), 5, lead=(2,))
    x1, y1, x2, y2 = np.moveaxis(b, -1, 0)
    as_fmt = {"xyxy": b, "xywh": np.stack([x1, y1, x2 - x1, y2 - y1], -1),
              "cxcywh": np.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], -1)}
    out = ops.box_convert(gn.tensor(as_fmt[in_fmt]), in_fmt, out_fmt)
    np.testing.assert_allclose(out.numpy(), as_fmt[out_fmt], rtol=1e-12, atol=1e-12)
    back = ops.box_convert(out, out_fmt, in_fmt)
    np.testing.assert_allclose(back.numpy(), as_fmt[in_fmt], rtol=1e-12, atol=1e-12)


def test_box_convert_gradient_and_errors():
    x = gn.tensor(_boxes(np.random.default_rng(1), 3), requires_grad=True)
    assert gradcheck(lambda b: ops.box_convert(b, "cxcywh", "xywh"), (x,), eps=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="in_fmt 'xyz'"):
        ops.box_convert(x, "xyz", "xyxy")
    with pytest.raises(NotImplementedError, match="rotated"):
        ops.box_convert(x, "xyxy", "cxcywhr")
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 4\).*\(3, 3\)"):
        ops.box_convert(gn.zeros(3, 3), "xyxy", "xywh")


def test_box_area_formats_and_dtypes():
    b = _boxes(np.random.default_rng(2), 6).astype(np.float32)
    expected = _t_area(torch.tensor(b)).numpy()
    np.testing.assert_allclose(ops.box_area(gn.tensor(b)).numpy(), expected, rtol=1e-6)
    for fmt in ("xywh", "cxcywh"):
        conv = ops.box_convert(gn.tensor(b), "xyxy", fmt)
        np.testing.assert_allclose(ops.box_area(conv, fmt=fmt).numpy(), expected, rtol=1e-5)
    ints = gn.tensor([[0, 0, 300, 200]], dtype=gn.int16)  # 60000 overflows int16
    area = ops.box_area(ints)
    assert area.dtype == gn.int32 and int(area[0]) == 60000
    assert ops.box_area(gn.tensor(b).half()).dtype == gn.float32
    with pytest.raises(ValueError, match="box_area: unsupported box format 'yxyx'"):
        ops.box_area(gn.tensor(b), fmt="yxyx")


# ----------------------------------------------------------------------------- overlap
PAIRWISE = [(ops.box_iou, _t_iou), (ops.generalized_box_iou, _t_giou),
            (ops.distance_box_iou, _t_diou), (ops.complete_box_iou, _t_ciou)]


@pytest.mark.parametrize("ours,theirs", PAIRWISE, ids=lambda f: getattr(f, "__name__", ""))
@pytest.mark.parametrize("lead", [(), (2,)])
def test_pairwise_ious_and_gradients_match_pytorch(ours, theirs, lead):
    rng = np.random.default_rng(3)
    b1, b2 = _boxes(rng, 5, np.float32, lead), _boxes(rng, 4, np.float32, lead)
    t1, t2 = torch.tensor(b1, requires_grad=True), torch.tensor(b2, requires_grad=True)
    g1, g2 = gn.tensor(b1, requires_grad=True), gn.tensor(b2, requires_grad=True)
    ty, gy = theirs(t1, t2), ours(g1, g2)
    assert tuple(gy.shape) == (*lead, 5, 4) and gy.dtype == gn.float32
    np.testing.assert_allclose(gy.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    w = rng.standard_normal(tuple(ty.shape)).astype(np.float32)
    (ty * torch.tensor(w)).sum().backward()
    (gy * gn.tensor(w)).sum().backward()
    np.testing.assert_allclose(g1.grad.numpy(), t1.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(g2.grad.numpy(), t2.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("fn", [ops.box_iou, ops.generalized_box_iou, ops.distance_box_iou],
                         ids=lambda f: f.__name__)
def test_pairwise_ious_against_finite_differences(fn):
    rng = np.random.default_rng(4)
    b1 = gn.tensor(_boxes(rng, 3), requires_grad=True)
    b2 = gn.tensor(_boxes(rng, 4), requires_grad=True)
    assert gradcheck(fn, (b1, b2), eps=1e-6, atol=1e-6)


def test_box_iou_formats_and_special_cases():
    rng = np.random.default_rng(5)
    b1, b2 = _boxes(rng, 3), _boxes(rng, 2)
    expected = ops.box_iou(gn.tensor(b1), gn.tensor(b2)).numpy()
    for fmt in ("xywh", "cxcywh"):
        c1, c2 = (ops.box_convert(gn.tensor(b), "xyxy", fmt) for b in (b1, b2))
        np.testing.assert_allclose(ops.box_iou(c1, c2, fmt=fmt).numpy(), expected, rtol=1e-12)
    same = ops.box_iou(gn.tensor(b1), gn.tensor(b1)).numpy()
    np.testing.assert_allclose(np.diag(same), 1.0)
    far = gn.tensor([[0.0, 0, 1, 1]]), gn.tensor([[2.0, 0, 3, 1]])
    assert float(ops.box_iou(*far)[0, 0]) == 0
    assert float(ops.generalized_box_iou(*far)[0, 0]) == pytest.approx(-1 / 3)
    assert tuple(ops.box_iou(gn.zeros(0, 4), gn.tensor(b2)).shape) == (0, 2)
    with pytest.raises(NotImplementedError, match="rotated"):
        ops.box_iou(gn.tensor(b1), gn.tensor(b2), fmt="xywhr")
    with pytest.raises(ValueError, match="box_iou: unsupported format 'xy'"):
        ops.box_iou(gn.tensor(b1), gn.tensor(b2), fmt="xy")


# ----------------------------------------------------------------------------- cleaning
def test_clip_boxes_to_image_forward_and_gradient():
    b = np.random.default_rng(6).uniform(-5, 15, (2, 3, 4))
    tb, gb = torch.tensor(b, requires_grad=True), gn.tensor(b, requires_grad=True)
    ref = torch.stack((tb[..., 0::2].clamp(0, 10), tb[..., 1::2].clamp(0, 8)), 3).reshape(b.shape)
    out = ops.clip_boxes_to_image(gb, (8, 10))
    np.testing.assert_array_equal(out.detach().numpy(), ref.detach().numpy())
    w = np.random.default_rng(7).standard_normal(b.shape)
    (ref * torch.tensor(w)).sum().backward()
    (out * gn.tensor(w)).sum().backward()
    np.testing.assert_array_equal(gb.grad.numpy(), tb.grad.numpy())


def test_remove_small_boxes():
    b = gn.tensor([[0.0, 0, 1, 1], [0, 0, 0.5, 3], [2, 2, 5, 3], [1, 1, 1.9, 4]])
    keep = ops.remove_small_boxes(b, 1.0)
    assert keep.dtype == gn.int64 and keep.tolist() == [0, 2]
    assert ops.remove_small_boxes(b, 0.5).tolist() == [0, 1, 2, 3]


# ----------------------------------------------------------------------------- suppression
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("thr", [0.0, 0.3, 0.5, 0.8])
def test_nms_matches_a_greedy_reference(dtype, thr):
    rng = np.random.default_rng(8)
    b = _boxes(rng, 60, dtype)
    s = rng.uniform(0, 1, 60).astype(dtype)
    keep = ops.nms(gn.tensor(b), gn.tensor(s), thr)
    assert keep.dtype == gn.int64
    expected = _t_nms(torch.tensor(b), torch.tensor(s), thr)
    assert keep.tolist() == expected.tolist()
    assert np.all(np.diff(s[keep.numpy()]) <= 0)  # by decreasing score


def test_nms_ties_strict_threshold_and_empty():
    b = gn.tensor([[0.0, 0, 2, 2], [0, 0, 2, 2], [0, 0, 2, 1], [5, 5, 6, 6]])
    s = gn.tensor([0.5, 0.5, 0.9, 0.5])
    # equal scores: the lower index first; IoU of boxes 0/1 with box 2 is exactly 0.5
    assert ops.nms(b, s, 0.5).tolist() == [2, 0, 3]
    assert ops.nms(b, s, 0.49).tolist() == [2, 3]
    assert ops.nms(b, gn.tensor([0.5, 0.6, 0.9, 0.5]), 0.6).tolist() == [2, 1, 3]
    empty = ops.nms(gn.zeros(0, 4), gn.zeros(0), 0.5)
    assert empty.dtype == gn.int64 and tuple(empty.shape) == (0,)


def test_nms_errors():
    b, s = gn.zeros(3, 4), gn.zeros(3)
    with pytest.raises(RuntimeError, match=r"nms: boxes should be .*\(3, 5\)"):
        ops.nms(gn.zeros(3, 5), s, 0.5)
    with pytest.raises(RuntimeError, match=r"nms: scores should be .*\(2,\)"):
        ops.nms(b, gn.zeros(2), 0.5)
    with pytest.raises(RuntimeError, match="same floating dtype"):
        ops.nms(b, s.double(), 0.5)
    with pytest.raises(RuntimeError, match="same floating dtype"):
        ops.nms(b.long(), s.long(), 0.5)
    with pytest.raises(RuntimeError, match="batched_nms: idxs"):
        ops.batched_nms(b, s, gn.zeros(2, dtype=gn.int64), 0.5)


@pytest.mark.parametrize("thr", [0.2, 0.5])
def test_batched_nms_suppresses_only_within_a_category(thr):
    rng = np.random.default_rng(9)
    b = _boxes(rng, 50, np.float32)
    s = rng.uniform(0, 1, 50).astype(np.float32)
    c = rng.integers(0, 3, 50)
    keep = ops.batched_nms(gn.tensor(b), gn.tensor(s), gn.tensor(c), thr)
    expected = _t_nms(torch.tensor(b), torch.tensor(s), thr, classes=torch.tensor(c))
    assert keep.dtype == gn.int64 and keep.tolist() == expected.tolist()
    per_class = sorted(i for k in range(3) for i in np.flatnonzero(c == k)[
        ops.nms(gn.tensor(b[c == k]), gn.tensor(s[c == k]), thr).numpy()])
    assert sorted(keep.tolist()) == per_class
    assert len(keep) > len(ops.nms(gn.tensor(b), gn.tensor(s), thr))
    assert ops.batched_nms(gn.zeros(0, 4), gn.zeros(0), gn.zeros(0, dtype=gn.int64),
                           0.5).tolist() == []
