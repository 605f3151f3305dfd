"""``torchvision.ops.boxes``: box formats, areas, pairwise IoU and its variants, clipping, and
non-maximum suppression.

A box is four numbers along the last axis. ``xyxy`` gives two corners ``(x1, y1, x2, y2)`` with
``x1 < x2`` and ``y1 < y2`` (the format every function here reads unless it takes ``fmt``),
``xywh`` the top-left corner and the size ``(x1, y1, w, h)``, ``cxcywh`` the centre and the size.

The IoU family is written with glassnet's tensor operations, so gradients flow through it (a
detector's box-regression losses, ``1 - generalized_box_iou``, are built from them); where two
boxes only touch or one is empty the gradient is that of ``clamp(min=0)``, as in PyTorch.
``nms`` and ``batched_nms`` choose boxes and return indices: they have no gradient.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet import backend
from glassnet.functions import maximum, minimum, stack, where
from glassnet.tensor import Tensor
from glassnet.tensor import tensor as _tensor

__all__ = ["batched_nms", "box_area", "box_convert", "box_iou", "clip_boxes_to_image",
           "complete_box_iou", "distance_box_iou", "generalized_box_iou", "nms",
           "remove_small_boxes"]

_AXIS_ALIGNED = ("xyxy", "xywh", "cxcywh")
_ROTATED = ("xywhr", "cxcywhr", "xyxyxyxy")


def _upcast(t):
    """Half precision to float32 and small integers to int32, so products do not overflow."""
    if t.is_floating_point():
        return t if t.dtype in (backend.float32, backend.float64) else t.float()
    return t if t.dtype in (backend.int32, backend.int64) else t.int()


def _check_boxes(op, name, boxes):
    if not isinstance(boxes, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(boxes).__name__}")
    if boxes.dim() < 1 or boxes.shape[-1] != 4:
        raise ValueError(f"{op}: {name} must have shape (..., 4), got {tuple(boxes.shape)}")


# ----------------------------------------------------------------------------- formats
def box_convert(boxes, in_fmt, out_fmt):
    """Convert boxes between ``"xyxy"``, ``"xywh"`` and ``"cxcywh"``.

    ``xyxy -> xywh``: ``(x1, y1, x2 - x1, y2 - y1)``; ``xyxy -> cxcywh``: ``((x1 + x2) / 2,
    (y1 + y2) / 2, x2 - x1, y2 - y1)``; the inverses, and the two others through ``xyxy``.
    The same format in and out gives a copy. Differentiable.

    Shape:
        - Input: ``(..., 4)``
        - Output: ``(..., 4)``
    """
    known = _AXIS_ALIGNED + _ROTATED
    if in_fmt not in known or out_fmt not in known:
        raise ValueError(f"box_convert: unsupported bounding box conversion for given in_fmt "
                         f"{in_fmt!r} and out_fmt {out_fmt!r}; formats: {', '.join(known)}")
    if in_fmt in _ROTATED or out_fmt in _ROTATED:
        raise NotImplementedError(f"box_convert: rotated box formats ({in_fmt!r} -> "
                                  f"{out_fmt!r}) are not supported; use {_AXIS_ALIGNED}")
    _check_boxes("box_convert", "boxes", boxes)
    if in_fmt == out_fmt:
        return boxes.clone()
    a, b, c, d = boxes.unbind(-1)
    if in_fmt == "xywh":
        x1, y1, x2, y2 = a, b, a + c, b + d
    elif in_fmt == "cxcywh":
        x1, y1, x2, y2 = a - 0.5 * c, b - 0.5 * d, a + 0.5 * c, b + 0.5 * d
    else:
        x1, y1, x2, y2 = a, b, c, d
    if out_fmt == "xyxy":
        out = (x1, y1, x2, y2)
    elif out_fmt == "xywh":
        out = (x1, y1, x2 - x1, y2 - y1)
    else:
        out = ((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1)
    return stack(out, dim=-1)


def box_area(boxes, fmt="xyxy"):
    """Areas: ``(x2 - x1) * (y2 - y1)`` for ``xyxy``, ``w * h`` for ``xywh`` and ``cxcywh``.
    Half precision is computed in float32, small integer types in int32.

    Shape:
        - Input: ``(..., 4)``
        - Output: ``(...)``
    """
    if fmt not in _AXIS_ALIGNED:
        raise ValueError(f"box_area: unsupported box format {fmt!r}; expected one of "
                         f"{_AXIS_ALIGNED}")
    _check_boxes("box_area", "boxes", boxes)
    boxes = _upcast(boxes)
    if fmt == "xyxy":
        return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
    return boxes[..., 2] * boxes[..., 3]


# ----------------------------------------------------------------------------- overlap
def _corners(boxes, fmt):
    """Top-left and bottom-right corners ``(..., 2)`` of boxes in ``fmt``."""
    if fmt == "xyxy":
        return boxes[..., :2], boxes[..., 2:]
    if fmt == "xywh":
        return boxes[..., :2], boxes[..., :2] + boxes[..., 2:]
    return boxes[..., :2] - boxes[..., 2:] / 2, boxes[..., :2] + boxes[..., 2:] / 2


def _inter_union(boxes1, boxes2, fmt="xyxy"):
    """Pairwise intersection and union areas ``(..., N, M)``: the intersection's corners are the
    larger top-left and the smaller bottom-right corner, its sides ``clamp(min=0)``."""
    area1, area2 = box_area(boxes1, fmt), box_area(boxes2, fmt)
    lt1, rb1 = _corners(boxes1, fmt)
    lt2, rb2 = _corners(boxes2, fmt)
    lt = maximum(lt1[..., :, None, :], lt2[..., None, :, :])
    rb = minimum(rb1[..., :, None, :], rb2[..., None, :, :])
    wh = _upcast(rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter, area1[..., :, None] + area2[..., None, :] - inter


def _enclosing_wh(boxes1, boxes2):
    """Width and height ``(..., N, M, 2)`` of the smallest box around each pair (``xyxy``)."""
    lt = minimum(boxes1[..., :, None, :2], boxes2[..., None, :, :2])
    rb = maximum(boxes1[..., :, None, 2:], boxes2[..., None, :, 2:])
    return _upcast(rb - lt).clamp(min=0)


def box_iou(boxes1, boxes2, fmt="xyxy"):
    """Pairwise intersection over union (Jaccard index): ``IoU[i, j] = |A_i n B_j| /
    |A_i u B_j|``, in [0, 1]; 0/0 (two empty boxes) gives NaN, as in torchvision.

    ``fmt`` is ``"xyxy"``, ``"xywh"`` or ``"cxcywh"``. Differentiable.

    Shape:
        - boxes1: ``(..., N, 4)``, boxes2: ``(..., M, 4)``
        - Output: ``(..., N, M)``
    """
    if fmt in _ROTATED:
        raise NotImplementedError(f"box_iou: rotated boxes ({fmt!r}) are not supported; "
                                  f"formats: {_AXIS_ALIGNED}")
    if fmt not in _AXIS_ALIGNED:
        raise ValueError(f"box_iou: unsupported format {fmt!r}; supported axis-aligned "
                         f"formats: {_AXIS_ALIGNED}")
    _check_boxes("box_iou", "boxes1", boxes1)
    _check_boxes("box_iou", "boxes2", boxes2)
    inter, union = _inter_union(boxes1, boxes2, fmt)
    return inter / union


def generalized_box_iou(boxes1, boxes2):
    """Pairwise generalized IoU (Rezatofighi et al. 2019): ``IoU - (|C| - |A u B|) / |C|``, C
    the smallest box enclosing A and B; in [-1, 1], and informative (non-zero gradient) even
    when the boxes do not overlap. ``xyxy`` boxes. Differentiable.

    Shape:
        - boxes1: ``(..., N, 4)``, boxes2: ``(..., M, 4)``
        - Output: ``(..., N, M)``
    """
    _check_boxes("generalized_box_iou", "boxes1", boxes1)
    _check_boxes("generalized_box_iou", "boxes2", boxes2)
    inter, union = _inter_union(boxes1, boxes2)
    whi = _enclosing_wh(boxes1, boxes2)
    hull = whi[..., 0] * whi[..., 1]
    return inter / union - (hull - union) / hull


def _diou_iou(boxes1, boxes2, eps):
    """Distance IoU and IoU: ``IoU - rho^2 / (c^2 + eps)``, rho the distance between the
    centres, c the diagonal of the enclosing box."""
    inter, union = _inter_union(boxes1, boxes2)
    iou = inter / union
    whi = _enclosing_wh(boxes1, boxes2)
    diagonal2 = whi[..., 0] ** 2 + whi[..., 1] ** 2 + eps
    cx1, cy1 = (boxes1[..., 0] + boxes1[..., 2]) / 2, (boxes1[..., 1] + boxes1[..., 3]) / 2
    cx2, cy2 = (boxes2[..., 0] + boxes2[..., 2]) / 2, (boxes2[..., 1] + boxes2[..., 3]) / 2
    rho2 = (_upcast(cx1[..., :, None] - cx2[..., None, :]) ** 2
            + _upcast(cy1[..., :, None] - cy2[..., None, :]) ** 2)
    return iou - rho2 / diagonal2, iou


def distance_box_iou(boxes1, boxes2, eps=1e-7):
    """Pairwise distance IoU (Zheng et al. 2020): ``IoU - rho^2 / c^2``, rho the distance
    between the box centres, c the diagonal of the smallest enclosing box (``eps`` keeps c^2
    from 0). ``xyxy`` boxes. Differentiable.

    Shape:
        - boxes1: ``(..., N, 4)``, boxes2: ``(..., M, 4)``
        - Output: ``(..., N, M)``
    """
    _check_boxes("distance_box_iou", "boxes1", boxes1)
    _check_boxes("distance_box_iou", "boxes2", boxes2)
    return _diou_iou(_upcast(boxes1), _upcast(boxes2), eps)[0]


def complete_box_iou(boxes1, boxes2, eps=1e-7):
    """Pairwise complete IoU (Zheng et al. 2020): ``DIoU - alpha v``, with the aspect-ratio
    term ``v = 4 / pi^2 (atan(w1 / h1) - atan(w2 / h2))^2`` and ``alpha = v / (1 - IoU + v +
    eps)`` treated as a constant in the gradient (as torchvision computes it under no_grad).
    ``xyxy`` boxes.

    Shape:
        - boxes1: ``(..., N, 4)``, boxes2: ``(..., M, 4)``
        - Output: ``(..., N, M)``
    """
    _check_boxes("complete_box_iou", "boxes1", boxes1)
    _check_boxes("complete_box_iou", "boxes2", boxes2)
    boxes1, boxes2 = _upcast(boxes1), _upcast(boxes2)
    diou, iou = _diou_iou(boxes1, boxes2, eps)
    w1 = (boxes1[..., 2] - boxes1[..., 0])[..., :, None]
    h1 = (boxes1[..., 3] - boxes1[..., 1])[..., :, None]
    w2 = (boxes2[..., 2] - boxes2[..., 0])[..., None, :]
    h2 = (boxes2[..., 3] - boxes2[..., 1])[..., None, :]
    v = (4 / math.pi ** 2) * ((w1 / h1).atan() - (w2 / h2).atan()) ** 2
    alpha = (v / (1 - iou + v + eps)).detach()
    return diou - alpha * v


# ----------------------------------------------------------------------------- cleaning
def clip_boxes_to_image(boxes, size):
    """Clip ``xyxy`` boxes to an image of ``size = (height, width)``: x into [0, width], y into
    [0, height]. Differentiable (the gradient of ``clamp``).

    Shape:
        - Input: ``(..., 4)``
        - Output: ``(..., 4)``
    """
    _check_boxes("clip_boxes_to_image", "boxes", boxes)
    height, width = size
    xs = boxes[..., 0::2].clamp(min=0, max=width)
    ys = boxes[..., 1::2].clamp(min=0, max=height)
    return stack((xs, ys), dim=boxes.dim()).reshape(boxes.shape)


def remove_small_boxes(boxes, min_size):
    """Indices (int64, increasing) of the ``xyxy`` boxes whose width and height are both at
    least ``min_size``.

    Shape:
        - Input: ``(N, 4)``
        - Output: ``(K,)``
    """
    _check_boxes("remove_small_boxes", "boxes", boxes)
    ws, hs = boxes[..., 2] - boxes[..., 0], boxes[..., 3] - boxes[..., 1]
    return where((ws >= min_size) & (hs >= min_size))[0]


# ----------------------------------------------------------------------------- suppression
def _check_nms(op, boxes, scores):
    if not isinstance(boxes, Tensor) or not isinstance(scores, Tensor):
        raise TypeError(f"{op}: boxes and scores must be Tensors, got "
                        f"{type(boxes).__name__} and {type(scores).__name__}")
    if boxes.dim() != 2 or boxes.shape[1] != 4:
        raise RuntimeError(f"{op}: boxes should be a 2d tensor of shape (N, 4), got shape "
                           f"{tuple(boxes.shape)}")
    if scores.dim() != 1 or scores.shape[0] != boxes.shape[0]:
        raise RuntimeError(f"{op}: scores should be a 1d tensor with one score per box "
                           f"({boxes.shape[0]}), got shape {tuple(scores.shape)}")
    if not boxes.is_floating_point() or boxes.dtype != scores.dtype:
        raise RuntimeError(f"{op}: boxes and scores should have the same floating dtype, got "
                           f"{boxes.dtype} and {scores.dtype}")


def _greedy_nms(boxes, scores, iou_threshold, classes=None):
    """Greedy suppression on arrays: visit boxes by decreasing score (ties: lower index first),
    keep each one not yet suppressed and suppress every later box (of its class, if
    ``classes``) whose IoU with it exceeds the threshold. The IoU is computed in the boxes'
    dtype in the order torchvision's CPU kernel uses, then compared in float64."""
    order = np.argsort(-scores, kind="stable")
    x1, y1, x2, y2 = (np.ascontiguousarray(boxes[:, k]) for k in range(4))
    areas = (x2 - x1) * (y2 - y1)
    zero = boxes.dtype.type(0)
    suppressed = np.zeros(len(order), dtype=bool)
    keep = []
    for pos, i in enumerate(order):
        if suppressed[i]:
            continue
        keep.append(i)
        rest = order[pos + 1:]
        rest = rest[~suppressed[rest]]
        if classes is not None:
            rest = rest[classes[rest] == classes[i]]
        w = np.maximum(zero, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]))
        h = np.maximum(zero, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]))
        inter = w * h
        iou = inter / (areas[i] + areas[rest] - inter)
        suppressed[rest[iou.astype(np.float64) > iou_threshold]] = True
    return np.asarray(keep, dtype=np.int64)


def _kept(boxes, keep):
    return _tensor(keep, dtype=backend.int64, device=boxes.device)


def nms(boxes, scores, iou_threshold):
    """Non-maximum suppression: indices of the boxes kept, int64, by decreasing score.

    Visits the boxes from the highest score down; each box not yet removed is kept, and every
    lower-scoring box whose IoU with it is greater than ``iou_threshold`` is removed. Boxes
    with equal scores are visited in index order (a stable sort); torchvision leaves that
    order unspecified. ``xyxy`` boxes with ``x1 < x2``, ``y1 < y2``; no gradient.

    Shape:
        - boxes: ``(N, 4)``, scores: ``(N,)``
        - Output: ``(K,)`` int64
    """
    _check_nms("nms", boxes, scores)
    if boxes.numel() == 0:
        return _kept(boxes, np.zeros(0, dtype=np.int64))
    b, s = backend.to_numpy(boxes.detach()._data), backend.to_numpy(scores.detach()._data)
    return _kept(boxes, _greedy_nms(b, s, float(iou_threshold)))


def batched_nms(boxes, scores, idxs, iou_threshold):
    """Non-maximum suppression within each category: a box only removes boxes with the same
    ``idxs`` value. Returns the kept indices, int64, by decreasing score (ties in index order),
    as ``nms``. No gradient.

    Shape:
        - boxes: ``(N, 4)``, scores: ``(N,)``, idxs: ``(N,)`` integers
        - Output: ``(K,)`` int64
    """
    _check_nms("batched_nms", boxes, scores)
    if not isinstance(idxs, Tensor) or idxs.dim() != 1 or idxs.shape[0] != boxes.shape[0]:
        shape = tuple(idxs.shape) if isinstance(idxs, Tensor) else type(idxs).__name__
        raise RuntimeError(f"batched_nms: idxs should be a 1d tensor with one category per box "
                           f"({boxes.shape[0]}), got {shape}")
    if boxes.numel() == 0:
        return _kept(boxes, np.zeros(0, dtype=np.int64))
    b, s = backend.to_numpy(boxes.detach()._data), backend.to_numpy(scores.detach()._data)
    c = backend.to_numpy(idxs.detach()._data)
    return _kept(boxes, _greedy_nms(b, s, float(iou_threshold), classes=c))
