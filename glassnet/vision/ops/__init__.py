"""``torchvision.ops``: box operations (``boxes``) and the conv-norm-activation block (``misc``).

=============================  ==============================================================
``box_convert``                between ``"xyxy"``, ``"xywh"`` and ``"cxcywh"``
``box_area``                   areas of boxes
``box_iou``                    pairwise IoU, ``(N, 4), (M, 4) -> (N, M)``
``generalized_box_iou``        pairwise GIoU (Rezatofighi et al. 2019)
``distance_box_iou``           pairwise DIoU (Zheng et al. 2020)
``complete_box_iou``           pairwise CIoU (Zheng et al. 2020)
``clip_boxes_to_image``        clamp boxes into an image of ``(height, width)``
``remove_small_boxes``         indices of the boxes at least ``min_size`` wide and high
``nms``, ``batched_nms``       non-maximum suppression (per category for ``batched_nms``)
``Conv2dNormActivation``       ``Conv2d -> BatchNorm2d -> ReLU`` as one ``nn.Sequential``
=============================  ==============================================================

The box functions are differentiable (glassnet tensor operations); the suppressions return int64
indices sorted by decreasing score.
"""

from glassnet.vision.ops import boxes, misc
from glassnet.vision.ops.boxes import (
    batched_nms,
    box_area,
    box_convert,
    box_iou,
    clip_boxes_to_image,
    complete_box_iou,
    distance_box_iou,
    generalized_box_iou,
    nms,
    remove_small_boxes,
)
from glassnet.vision.ops.misc import Conv2dNormActivation

__all__ = ["Conv2dNormActivation", "batched_nms", "box_area", "box_convert", "box_iou", "boxes",
           "clip_boxes_to_image", "complete_box_iou", "distance_box_iou", "generalized_box_iou",
           "misc", "nms", "remove_small_boxes"]
