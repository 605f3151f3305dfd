"""torchvision.models' weights enums: torchvision's names, members, files and facts; the
preprocessing of ``transforms()`` against the same steps written with torch ops; loading
through ``weights=`` from a hub folder; ``get_weight``, ``get_model``, ``list_models``.

The lists below were recorded from torchvision 0.28's source (models/resnet.py, vgg.py,
alexnet.py, mobilenetv2.py, squeezenet.py), so the test needs no torchvision install.
"""

from __future__ import annotations

import copy
import math
import os

import numpy as np
import pytest
import torch
import torch.nn.functional as tF

import glassnet as gn
from glassnet.vision import models
from glassnet.vision.models import WeightsEnum

# enum -> (members, the member DEFAULT is, {member: file stem of the url})
TORCHVISION = {
    "ResNet18_Weights": ("IMAGENET1K_V1", {"IMAGENET1K_V1": "resnet18-f37072fd"}),
    "ResNet34_Weights": ("IMAGENET1K_V1", {"IMAGENET1K_V1": "resnet34-b627a593"}),
    "ResNet50_Weights": ("IMAGENET1K_V2", {"IMAGENET1K_V1": "resnet50-0676ba61",
                                           "IMAGENET1K_V2": "resnet50-11ad3fa6"}),
    "ResNet101_Weights": ("IMAGENET1K_V2", {"IMAGENET1K_V1": "resnet101-63fe2227",
                                            "IMAGENET1K_V2": "resnet101-cd907fc2"}),
    "ResNet152_Weights": ("IMAGENET1K_V2", {"IMAGENET1K_V1": "resnet152-394f9c45",
                                            "IMAGENET1K_V2": "resnet152-f82ba261"}),
    "VGG11_Weights": ("IMAGENET1K_V1", {"IMAGENET1K_V1": "vgg11-8a719046"}),
    "VGG11_BN_Weights": ("IMAGENET1K_V1", {"IMAGENET1K_V1": "vgg11_bn-6002323d"}),
    "VGG13_Weights": ("IMAGENET1K_V1", {"IMAGENET1K_V1": "vgg13-19584684"}),
    "VGG13_BN_Weights": ("IMAGENET1K_V1", {"IMAGENET1K_V1": "vgg13_bn-abd245e5"}),
    "VGG16_Weights": ("IMAGENET1K_V1", {
        "IMAGENET1K_V1": "vgg16-397923af",
        "IMAGENET1K_FEATURES": "vgg16_features-amdegroot-88682ab5"}),
    "VGG16_BN_Weights": ("IMAGENET1K_V1", {"IMAGENET1K_V1": "vgg16_bn-6c64b313"}),
    "VGG19_Weights": ("IMAGENET1K_V1", {"IMAGENET1K_V1": "vgg19-dcbb9e9d"}),
    "VGG19_BN_Weights": ("IMAGENET1K_V1", {"IMAGENET1K_V1": "vgg19_bn-c79401a0"}),
    "AlexNet_Weights": ("IMAGENET1K_V1", {"IMAGENET1K_V1": "alexnet-owt-7be5be79"}),
    "MobileNet_V2_Weights": ("IMAGENET1K_V2", {"IMAGENET1K_V1": "mobilenet_v2-b0353104",
                                               "IMAGENET1K_V2": "mobilenet_v2-7ebf99e0"}),
    "SqueezeNet1_0_Weights": ("IMAGENET1K_V1", {"IMAGENET1K_V1": "squeezenet1_0-b66bff10"}),
    "SqueezeNet1_1_Weights": ("IMAGENET1K_V1", {"IMAGENET1K_V1": "squeezenet1_1-b8a52dc0"}),
}
# enum -> (builder, num_params, min_size, top-1 of IMAGENET1K_V1), torchvision's meta
FACTS = {
    "ResNet18_Weights": ("resnet18", 11689512, (1, 1), 69.758),
    "ResNet50_Weights": ("resnet50", 25557032, (1, 1), 76.130),
    "VGG16_BN_Weights": ("vgg16_bn", 138365992, (32, 32), 73.360),
    "AlexNet_Weights": ("alexnet", 61100840, (63, 63), 56.522),
    "MobileNet_V2_Weights": ("mobilenet_v2", 3504872, (1, 1), 71.878),
    "SqueezeNet1_0_Weights": ("squeezenet1_0", 1248424, (21, 21), 58.092),
    "SqueezeNet1_1_Weights": ("squeezenet1_1", 1235496, (17, 17), 58.178),
}
# the V2 weights are evaluated on the image resized to 232, the others to 256
RESIZE_232 = {"ResNet50_Weights.IMAGENET1K_V2", "ResNet101_Weights.IMAGENET1K_V2",
              "ResNet152_Weights.IMAGENET1K_V2", "MobileNet_V2_Weights.IMAGENET1K_V2"}
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def _all_weights():
    return [w for name in TORCHVISION for w in getattr(models, name)]


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """An empty hub folder of our own: ``<tmp>/hub/checkpoints``."""
    monkeypatch.setenv("GLASSNET_HOME", str(tmp_path))
    folder = tmp_path / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    return folder


# ----------------------------------------------------------------------------- the enums
def test_enum_names_members_and_urls_are_torchvisions():
    for name, (default, files) in TORCHVISION.items():
        enum = getattr(models, name)
        assert issubclass(enum, WeightsEnum) and enum.__name__ == name
        assert list(enum.__members__) == [*files, "DEFAULT"], name
        assert [w.name for w in enum] == list(files)  # DEFAULT is an alias, not a member
        assert enum.DEFAULT is enum[default] and enum["DEFAULT"] is enum[default]
        for member, stem in files.items():
            assert enum[member].url == f"https://download.pytorch.org/models/{stem}.pth"
            assert repr(enum[member]) == f"{name}.{member}"
    assert models.resnet.ResNet50_Weights is models.ResNet50_Weights
    assert models.vgg.VGG16_Weights is models.VGG16_Weights
    assert models.squeezenet.SqueezeNet1_1_Weights is models.SqueezeNet1_1_Weights


def test_meta_facts():
    for name, (builder, num_params, min_size, top1) in FACTS.items():
        meta = getattr(models, name).IMAGENET1K_V1.meta
        assert meta["num_params"] == num_params and meta["min_size"] == min_size
        assert meta["_metrics"]["ImageNet-1K"]["acc@1"] == top1
        assert isinstance(meta["_ops"], float) and isinstance(meta["_file_size"], float)
    categories = models.ResNet18_Weights.DEFAULT.meta["categories"]
    assert len(categories) == len(set(categories)) == 1000
    assert categories[:3] == ["tench", "goldfish", "great white shark"]
    assert categories[-1] == "toilet tissue"
    assert all(w.meta["categories"] is categories for w in _all_weights()
               if w is not models.VGG16_Weights.IMAGENET1K_FEATURES)
    from glassnet.vision.models._meta import _IMAGENET_CATEGORIES

    assert _IMAGENET_CATEGORIES is categories
    features = models.VGG16_Weights.IMAGENET1K_FEATURES.meta
    assert features["categories"] is None
    assert math.isnan(features["_metrics"]["ImageNet-1K"]["acc@1"])
    assert models.ResNet50_Weights.IMAGENET1K_V2.meta["_metrics"]["ImageNet-1K"] == \
        {"acc@1": 80.858, "acc@5": 95.434}


@pytest.mark.parametrize("name, build", [("MobileNet_V2_Weights", "mobilenet_v2"),
                                         ("SqueezeNet1_0_Weights", "squeezenet1_0"),
                                         ("SqueezeNet1_1_Weights", "squeezenet1_1"),
                                         ("ResNet18_Weights", "resnet18")])
def test_num_params_is_the_models_parameter_count(name, build):
    model = getattr(models, build)()  # under half a second each
    count = sum(p.numel() for p in model.parameters())
    assert all(w.meta["num_params"] == count for w in getattr(models, name))


def test_members_survive_copies_and_verify():
    w = models.ResNet50_Weights.IMAGENET1K_V2
    assert copy.deepcopy(w) is w and copy.copy(w) is w
    assert models.ResNet50_Weights.verify("IMAGENET1K_V2") is w
    assert models.ResNet50_Weights.verify("ResNet50_Weights.DEFAULT") is w
    assert models.ResNet50_Weights.verify(None) is None
    with pytest.raises(KeyError, match="IMAGENET1K_V3"):
        models.ResNet50_Weights.verify("IMAGENET1K_V3")
    with pytest.raises(TypeError, match="expected ResNet18_Weights but received ResNet50_Weights"):
        models.resnet18(weights=w)


# ----------------------------------------------------------------------------- transforms()
def _torch_preset(img, crop, resize):
    """torchvision's ImageClassification preset written with torch ops: shorter side to
    ``resize`` (bilinear, antialias), round back for uint8, central crop, [0, 1], normalise."""
    x = torch.from_numpy(img)
    h, w = x.shape[-2:]
    size = (resize, int(resize * w / h)) if h <= w else (int(resize * h / w), resize)
    y = tF.interpolate(x.reshape(-1, *x.shape[-3:]).float(), size=size, mode="bilinear",
                       align_corners=False, antialias=True).reshape(*x.shape[:-2], *size)
    if x.dtype == torch.uint8:
        y = y.round().clamp(0, 255) / 255
    top, left = round((size[0] - crop) / 2.0), round((size[1] - crop) / 2.0)
    y = y[..., top:top + crop, left:left + crop]
    return ((y - torch.tensor(MEAN)[:, None, None]) / torch.tensor(STD)[:, None, None]).numpy()


@pytest.mark.parametrize("weights", ["ResNet18_Weights.IMAGENET1K_V1",
                                     "ResNet50_Weights.IMAGENET1K_V2",
                                     "MobileNet_V2_Weights.DEFAULT"])
def test_transforms_match_the_preset_written_with_torch_ops(weights):
    w = models.get_weight(weights.replace("DEFAULT", "IMAGENET1K_V2"))
    preset = w.transforms()
    resize = 232 if weights.replace("DEFAULT", "IMAGENET1K_V2") in RESIZE_232 else 256
    assert preset.crop_size == [224] and preset.resize_size == [resize]
    assert preset.mean == list(MEAN) and preset.std == list(STD)
    rng = np.random.default_rng(0)
    floats = rng.random((3, 260, 300), dtype=np.float32)
    out = preset(gn.tensor(floats))
    assert isinstance(out, gn.Tensor) and out.dtype == gn.float32
    assert tuple(out.shape) == (3, 224, 224)
    np.testing.assert_allclose(out.numpy(), _torch_preset(floats, 224, resize), rtol=1e-4,
                               atol=1e-5)
    batch = rng.random((2, 3, 300, 250), dtype=np.float32)  # an array batch, taller than wide
    out = preset(batch)
    assert isinstance(out, gn.Tensor) and tuple(out.shape) == (2, 3, 224, 224)
    np.testing.assert_allclose(out.numpy(), _torch_preset(batch, 224, resize), rtol=1e-4,
                               atol=1e-5)


def test_transforms_of_a_uint8_image_round_after_the_resize():
    preset = models.ResNet18_Weights.DEFAULT.transforms()
    img = np.random.default_rng(1).integers(0, 256, (3, 240, 320), dtype=np.uint8)
    ours = preset(gn.tensor(img)).numpy()
    theirs = _torch_preset(img, 224, 256)
    # a resized value within float rounding of k + 0.5 may round either way: one level apart
    step = 1 / 255 / min(STD)
    diff = np.abs(ours - theirs)
    assert diff.max() <= step + 1e-5 and (diff > 1e-5).mean() < 1e-3


def test_transforms_of_the_vgg16_feature_weights():
    preset = models.VGG16_Weights.IMAGENET1K_FEATURES.transforms()
    assert preset.mean == [0.48235, 0.45882, 0.40784]
    np.testing.assert_allclose(preset.std, [1 / 255] * 3)
    out = preset(gn.full((3, 256, 256), 0.5))
    np.testing.assert_allclose(out.numpy()[:, 0, 0], (0.5 - np.array(preset.mean)) * 255,
                               rtol=1e-5)
    from glassnet.vision.transforms._presets import ImageClassification

    assert type(preset) is ImageClassification


# ----------------------------------------------------------------------------- loading
def test_missing_file_names_the_path_and_the_recipe(hub):
    path = os.path.join(str(hub), "squeezenet1_1-b8a52dc0.safetensors")
    with pytest.raises(FileNotFoundError) as info:
        models.squeezenet1_1(weights=models.SqueezeNet1_1_Weights.DEFAULT)
    message = str(info.value)
    assert path in message and models.SqueezeNet1_1_Weights.DEFAULT.url in message
    assert f"safetensors.torch.save_file(torch.load('squeezenet1_1-b8a52dc0.pth'), '{path}')" \
        in message


def test_weights_load_from_the_hub_folder(hub):
    source = models.squeezenet1_1()
    path = hub / "squeezenet1_1-b8a52dc0.safetensors"
    gn.io.save(source.state_dict(), str(path))
    for weights in (models.SqueezeNet1_1_Weights.IMAGENET1K_V1, "DEFAULT",
                    "SqueezeNet1_1_Weights.IMAGENET1K_V1"):
        model = models.squeezenet1_1(weights=weights)
        for (k, a), (k2, b) in zip(source.state_dict().items(), model.state_dict().items()):
            assert k == k2 and np.array_equal(a.numpy(), b.numpy()), k
    model = models.get_model("squeezenet1_1", weights="DEFAULT", dropout=0.1)
    assert model.classifier[0].p == 0.1 and model.num_classes == 1000
    sd = models.SqueezeNet1_1_Weights.DEFAULT.get_state_dict(progress=False)
    assert list(sd) == list(source.state_dict())
    with pytest.raises(ValueError, match="'num_classes' expected value 1000 but got 10"):
        models.squeezenet1_1(weights="DEFAULT", num_classes=10)
    with pytest.warns(UserWarning, match="pretrained"):
        legacy = models.squeezenet1_1(pretrained=True)
    assert np.array_equal(legacy.classifier[1].weight.detach().numpy(),
                          source.classifier[1].weight.detach().numpy())


def test_a_file_for_another_architecture_fails_strict_loading(hub):
    gn.io.save(models.squeezenet1_0().state_dict(), str(hub / "squeezenet1_1-b8a52dc0.safetensors"))
    with pytest.raises(RuntimeError, match="size mismatch|Missing|Unexpected"):
        models.squeezenet1_1(weights="DEFAULT")


# ----------------------------------------------------------------------------- the registry
def test_list_models_get_model_and_get_weight():
    names = models.list_models()
    assert names == sorted(["alexnet", "mobilenet_v2", "resnet18", "resnet34", "resnet50",
                            "resnet101", "resnet152", "squeezenet1_0", "squeezenet1_1",
                            "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn",
                            "vgg19", "vgg19_bn"])
    assert models.list_models(module=models) == names
    assert models.list_models(module=models.resnet) == ["resnet101", "resnet152", "resnet18",
                                                        "resnet34", "resnet50"]
    assert models.list_models(include="vgg1?") == ["vgg11", "vgg13", "vgg16", "vgg19"]
    assert models.list_models(include=["alex*", "squeeze*"], exclude="*1_0") == \
        ["alexnet", "squeezenet1_1"]
    model = models.get_model("squeezenet1_0", weights=None, num_classes=10)
    assert isinstance(model, models.SqueezeNet) and model.classifier[1].out_channels == 10
    assert models.get_model_builder("ResNet18") is models.resnet18
    with pytest.raises(ValueError, match="Unknown model resnet19"):
        models.get_model("resnet19")
    assert models.get_model_weights("resnet50") is models.ResNet50_Weights
    assert models.get_model_weights(models.vgg16) is models.VGG16_Weights
    assert models.get_weight("ResNet50_Weights.IMAGENET1K_V2") is \
        models.ResNet50_Weights.IMAGENET1K_V2
    assert models.get_weight("MobileNet_V2_Weights.DEFAULT") is \
        models.MobileNet_V2_Weights.IMAGENET1K_V2
    with pytest.raises(ValueError, match="Invalid weight name"):
        models.get_weight("IMAGENET1K_V1")
    with pytest.raises(ValueError, match="'ViT_B_16_Weights'"):
        models.get_weight("ViT_B_16_Weights.IMAGENET1K_V1")
    with pytest.raises(KeyError):
        models.get_weight("ResNet18_Weights.IMAGENET1K_V2")
