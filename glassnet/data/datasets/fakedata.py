"""``FakeData``: random images with random labels, for trying a pipeline without any files.

Sample ``i`` is drawn from its own generator, ``numpy.random.default_rng(i + random_offset)``:
uniform uint8 pixels of ``image_size`` ``(C, H, W)`` and a label in ``[0, num_classes)``. So a
sample is the same every time it is read, in any order, and reading one draws nothing from
glassnet's default generator. It reaches ``transform`` as a PIL image ('L' for one channel,
'RGB' for three, as torchvision's ``FakeData``), or as a uint8 Tensor ``(C, H, W)`` without
Pillow. The pixels are not torchvision's (which come from ``torch.randn``).
"""

from __future__ import annotations

import numpy as np

from glassnet.data.datasets.vision import VisionDataset
from glassnet.data.kinds import array_to_pil, as_tensor, pil_available

__all__ = ["FakeData"]


class FakeData(VisionDataset):
    """``size`` random images of ``image_size`` ``(C, H, W)`` in ``num_classes`` classes."""

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        super().__init__(transform=transform, target_transform=target_transform)
        image_size = tuple(int(v) for v in image_size)
        if len(image_size) != 3 or min(image_size) <= 0:
            raise ValueError(f"FakeData: image_size must be (C, H, W) with positive sizes, got "
                             f"{image_size}")
        if int(size) < 0 or int(num_classes) <= 0:
            raise ValueError(f"FakeData: need size >= 0 and num_classes > 0, got size={size}, "
                             f"num_classes={num_classes}")
        self.size, self.num_classes = int(size), int(num_classes)
        self.image_size, self.random_offset = image_size, int(random_offset)

    def __getitem__(self, index):
        index = int(index)
        if index >= len(self) or index < -len(self):
            raise IndexError(f"FakeData index {index} out of range for {len(self)} samples")
        index %= len(self)
        rng = np.random.default_rng(index + self.random_offset)
        pixels = rng.integers(0, 256, self.image_size, dtype=np.uint8)
        target = int(rng.integers(0, self.num_classes))
        img = array_to_pil(pixels) if pil_available() and self.image_size[0] in (1, 3, 4) \
            else as_tensor(pixels)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return self.size
