"""torchvision.transforms' path: glassnet.data.transforms' objects, in a typical pipeline."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from glassnet.data import transforms as data_transforms
from glassnet.vision import transforms as T

NAMES = ["Compose", "ToTensor", "Normalize", "RandomCrop", "CenterCrop", "RandomHorizontalFlip",
         "RandomVerticalFlip", "RandomRotation", "RandomAffine", "ColorJitter", "RandomErasing",
         "Lambda"]


@pytest.mark.parametrize("name", NAMES)
def test_the_same_classes_as_glassnet_data_transforms(name):
    assert getattr(T, name) is getattr(data_transforms, name)


def test_to_tensor_and_normalize_on_an_hwc_uint8_image_as_torchvision():
    img = np.random.default_rng(0).integers(0, 256, (5, 6, 3), dtype=np.uint8)
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    out = T.Compose([T.ToTensor(), T.Normalize(mean, std)])(img)
    # torchvision: ToTensor = permute to (C, H, W) and / 255; Normalize = (x - mean) / std
    ref = torch.tensor(img).permute(2, 0, 1).float().div(255)
    ref = (ref - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None, None]
    np.testing.assert_allclose(np.asarray(out), ref.numpy(), rtol=1e-5, atol=1e-6)


def test_to_tensor_reads_a_pil_image():
    pil = pytest.importorskip("PIL.Image")
    img = np.random.default_rng(1).integers(0, 256, (4, 7), dtype=np.uint8)
    out = T.ToTensor()(pil.fromarray(img))
    np.testing.assert_allclose(np.asarray(out), img[None] / np.float32(255), rtol=1e-6)


def test_crop_and_flip_keep_shapes():
    x = np.random.default_rng(2).random((3, 32, 32), dtype=np.float32)
    pipe = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.CenterCrop(28)])
    assert np.asarray(pipe(x)).shape == (3, 28, 28)
