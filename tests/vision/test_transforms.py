"""torchvision.transforms' path (v1, v2, functional): glassnet.data's transforms, in the pipelines
torchvision programs write, checked against references in PIL, NumPy and torch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassnet as gn
from glassnet.data import transforms as data_transforms
from glassnet.vision import transforms as T
from glassnet.vision.transforms import functional as F
from glassnet.vision.transforms import v2

Image = pytest.importorskip("PIL.Image")
RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, (13, 17, 3), dtype=np.uint8)
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)

V1 = ["Compose", "ToTensor", "PILToTensor", "ToPILImage", "ConvertImageDtype", "Normalize",
      "Resize", "CenterCrop", "Pad", "Lambda", "RandomApply", "RandomChoice", "RandomOrder",
      "RandomCrop", "RandomHorizontalFlip", "RandomVerticalFlip", "RandomResizedCrop",
      "FiveCrop", "TenCrop", "ColorJitter", "RandomRotation", "RandomAffine", "Grayscale",
      "RandomGrayscale", "RandomErasing", "GaussianBlur", "InterpolationMode", "RandomInvert",
      "RandomPosterize", "RandomSolarize"]
FUNCTIONAL = ["to_tensor", "pil_to_tensor", "to_pil_image", "convert_image_dtype", "normalize",
              "resize", "crop", "center_crop", "resized_crop", "pad", "hflip", "vflip", "rotate",
              "five_crop", "ten_crop", "rgb_to_grayscale", "to_grayscale", "adjust_brightness",
              "adjust_contrast", "adjust_saturation", "adjust_gamma", "gaussian_blur", "invert",
              "posterize", "solarize", "get_dimensions", "get_image_size",
              "get_image_num_channels"]


@pytest.mark.parametrize("name", V1)
def test_v1_and_v2_names_are_glassnet_data_transforms(name):
    assert getattr(T, name) is getattr(data_transforms, name)
    assert getattr(v2, name) is getattr(data_transforms, name)


def test_v2_extras_and_functional_names():
    for name in ("ToImage", "ToDtype", "ToPureTensor"):
        assert getattr(v2, name) is getattr(data_transforms, name)
    for name in FUNCTIONAL:
        assert callable(getattr(F, name)) and getattr(v2.functional, name) is getattr(F, name)
    assert v2.functional.horizontal_flip is F.hflip
    assert callable(v2.functional.to_image) and callable(v2.functional.to_dtype)


def _reference_pipeline(img):
    """Resize(10) + CenterCrop(8) + ToTensor + Normalize, written with Pillow, NumPy, torch."""
    w, h = img.size
    new = (int(10 * w / h), 10) if h <= w else (10, int(10 * h / w))
    a = np.asarray(img.resize(new, Image.BILINEAR))
    top, left = round((a.shape[0] - 8) / 2), round((a.shape[1] - 8) / 2)
    a = a[top:top + 8, left:left + 8]
    t = torch.from_numpy(a.transpose(2, 0, 1).copy()).float().div(255)
    return ((t - torch.tensor(MEAN)[:, None, None]) / torch.tensor(STD)[:, None, None]).numpy()


def test_a_torchvision_pil_pipeline_gives_the_reference():
    pipe = T.Compose([T.Resize(10), T.CenterCrop(8), T.ToTensor(), T.Normalize(MEAN, STD)])
    img = Image.fromarray(RGB)
    out = pipe(img)
    assert isinstance(out, gn.Tensor) and tuple(out.shape) == (3, 8, 8)
    np.testing.assert_allclose(out.numpy(), _reference_pipeline(img), rtol=1e-6, atol=1e-6)


def test_a_v2_tensor_pipeline_gives_the_reference():
    pipe = v2.Compose([v2.ToImage(), v2.Resize((9, 11), antialias=True), v2.CenterCrop(8),
                       v2.ToDtype(gn.float32, scale=True), v2.Normalize(MEAN, STD)])
    out = pipe(Image.fromarray(RGB))
    t = torch.from_numpy(RGB.transpose(2, 0, 1).copy())[None].float()
    t = torch.round(TF.interpolate(t, size=(9, 11), mode="bilinear", antialias=True))[0]
    t = t[:, 0:8, 2:10].to(torch.uint8).to(torch.float32).mul_(1 / 255)  # round(0.5)=0, round(1.5)=2
    ref = (t - torch.tensor(MEAN)[:, None, None]) / torch.tensor(STD)[:, None, None]
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-5, atol=1e-5)


def test_tensor_transforms_take_batches():
    x = gn.rand(4, 3, 12, 14)
    out = T.Normalize(MEAN, STD)(x)
    ref = (torch.tensor(x.numpy()) - torch.tensor(MEAN)[:, None, None]) / \
        torch.tensor(STD)[:, None, None]
    assert isinstance(out, gn.Tensor)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    assert tuple(T.Resize((6, 7))(x).shape) == (4, 3, 6, 7)
    assert tuple(T.CenterCrop(5)(x).shape) == (4, 3, 5, 5)
    assert tuple(T.Grayscale()(x).shape) == (4, 1, 12, 14)
    assert tuple(T.Pad(2)(x).shape) == (4, 3, 16, 18)
    assert tuple(T.RandomResizedCrop(5)(x).shape) == (4, 3, 5, 5)
    assert tuple(T.GaussianBlur(3)(x).shape) == (4, 3, 12, 14)


def test_random_apply_choice_order():
    img = gn.rand(3, 4, 4)
    flip = T.RandomHorizontalFlip(1.0)
    assert T.RandomApply([flip], p=0.0)(img) is img
    np.testing.assert_array_equal(T.RandomApply([flip], p=1.0)(img).numpy(),
                                  img.numpy()[..., ::-1])
    np.testing.assert_array_equal(T.RandomChoice([T.Lambda(lambda v: v * 0), flip],
                                                 p=[0.0, 1.0])(img).numpy(), img.numpy()[..., ::-1])
    order = []
    pipe = T.RandomOrder([T.Lambda(lambda v, k=k: order.append(k) or v) for k in range(4)])
    gn.manual_seed(3)
    pipe(img)
    first = list(order)
    gn.manual_seed(3)
    order.clear()
    pipe(img)
    assert sorted(first) == [0, 1, 2, 3] and order == first
    assert not T.RandomApply([flip]).supports_batch


def test_functional_round_trip_and_lambda_errors():
    img = Image.fromarray(RGB)
    t = F.pil_to_tensor(img)
    assert np.array_equal(np.asarray(F.to_pil_image(t)), RGB)
    assert F.get_image_size(img) == [17, 13] and F.get_dimensions(t) == [3, 13, 17]
    assert np.array_equal(np.asarray(F.hflip(img)), RGB[:, ::-1])
    with pytest.raises(TypeError, match="lambd should be callable"):
        T.Lambda(3)
    with pytest.raises(TypeError, match="PIL image"):
        T.Normalize(MEAN, STD)(img)
