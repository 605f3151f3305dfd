import numpy as np
import pytest

import glassnet as gn
from glassnet.data import transforms as T

RANDOM = [
    lambda g: T.RandomCrop(8, padding=2, generator=g),
    lambda g: T.RandomHorizontalFlip(0.5, generator=g),
    lambda g: T.RandomVerticalFlip(0.5, generator=g),
    lambda g: T.RandomRotation(30, generator=g),
    lambda g: T.RandomAffine(20, translate=(0.2, 0.1), scale=(0.8, 1.2), shear=10, generator=g),
    lambda g: T.ElasticDeformation(8.0, 2.0, generator=g),
    lambda g: T.ColorJitter(0.4, 0.4, 0.4, generator=g),
    lambda g: T.GaussianNoise(0.1, generator=g),
    lambda g: T.RandomErasing(1.0, generator=g),
]


def images(n=6, c=3, h=8, w=8, seed=0):
    return np.random.default_rng(seed).random((n, c, h, w)).astype(np.float32)


@pytest.mark.parametrize("make", RANDOM)
def test_single_and_batch_shapes_dtype_and_seeded_determinism(make):
    x = images()
    a = make(gn.backend.Generator(3))(x)
    b = make(gn.backend.Generator(3))(x)
    assert a.shape == x.shape and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    single = make(gn.backend.Generator(3))(x[0])
    assert single.shape == x[0].shape and single.dtype == np.float32
    c = make(gn.backend.Generator(4))(x)
    assert not np.array_equal(a, c) or isinstance(make(None), T.RandomHorizontalFlip)
    gn.manual_seed(8)
    d = make(None)(x)
    gn.manual_seed(8)
    np.testing.assert_array_equal(d, make(None)(x))


@pytest.mark.parametrize("make", RANDOM)
def test_per_sample_parameters_differ_within_a_batch(make):
    x = np.repeat(images(1), 16, axis=0)
    out = make(gn.backend.Generator(0))(x)
    assert any(not np.array_equal(out[0], out[i]) for i in range(1, 16))


def test_identities():
    x = images()
    np.testing.assert_array_equal(T.RandomCrop(8, padding=0)(x), x)
    flip = T.RandomHorizontalFlip(1.0)
    np.testing.assert_array_equal(flip(x), x[..., ::-1])
    np.testing.assert_array_equal(flip(flip(x)), x)
    np.testing.assert_array_equal(T.RandomVerticalFlip(0.0)(x), x)
    np.testing.assert_allclose(T.RandomRotation(0)(x), x, atol=1e-6)
    np.testing.assert_allclose(
        T.RandomAffine(0, translate=(0, 0), scale=(1, 1), shear=0)(x), x, atol=1e-6
    )
    np.testing.assert_allclose(T.ElasticDeformation(alpha=0.0, sigma=3.0)(x), x, atol=1e-6)
    np.testing.assert_array_equal(T.RandomErasing(p=0.0)(x), x)
    np.testing.assert_allclose(T.ColorJitter(0, 0, 0)(x), x, atol=1e-6)
    np.testing.assert_array_equal(T.GaussianNoise(0.0)(x), x)


def test_crop_with_padding_is_a_shift_with_zero_border():
    x = np.ones((50, 1, 6, 6), dtype=np.float32)
    out = T.RandomCrop(6, padding=2, generator=gn.backend.Generator(1))(x)
    assert out.shape == x.shape
    zeros = (out == 0).sum(axis=(1, 2, 3))
    assert zeros.max() > 0 and zeros.min() >= 0 and (out[zeros == 0] == 1).all()
    small = T.RandomCrop((3, 4))(x)
    assert small.shape == (50, 1, 3, 4)
    with pytest.raises(ValueError, match="larger"):
        T.RandomCrop(9)(x)


def test_rotation_by_90_degrees_is_rot90():
    x = images(2, 1, 5, 5)
    out = T.RandomRotation((90, 90))(x)
    np.testing.assert_allclose(out, np.rot90(x, axes=(2, 3)), atol=1e-6)


def test_erasing_blanks_a_rectangle():
    x = np.ones((20, 1, 16, 16), dtype=np.float32)
    out = T.RandomErasing(p=1.0, value=0.0, generator=gn.backend.Generator(0))(x)
    for img in out[:, 0]:
        rows, cols = np.nonzero(img == 0)
        assert len(rows) > 0
        assert len(rows) == (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)
    rand = T.RandomErasing(p=1.0, value="random")(x)
    assert rand.shape == x.shape


def test_to_tensor_layouts():
    hw = np.full((4, 5), 255, dtype=np.uint8)
    assert T.ToTensor()(hw).shape == (1, 4, 5) and T.ToTensor()(hw).max() == 1.0
    hwc = np.zeros((4, 5, 3), dtype=np.uint8)
    hwc[..., 1] = 51
    out = T.ToTensor()(hwc)
    assert out.shape == (3, 4, 5) and out.dtype == np.float32
    np.testing.assert_allclose(out[1], 0.2, rtol=1e-6)  # 51 / 255, rounded to float32
    # torchvision's rules: a 3-D array is (H, W, C); float arrays are transposed, not scaled
    assert T.ToTensor()(np.zeros((7, 4, 5), np.uint8)).shape == (5, 7, 4)
    f = np.random.default_rng(0).random((4, 5, 2)).astype(np.float32)
    np.testing.assert_array_equal(T.ToTensor()(f).numpy(), f.transpose(2, 0, 1))
    with pytest.raises(ValueError, match="2/3 dimensional"):
        T.ToTensor()(np.zeros((7, 4, 5, 3), np.uint8))


def test_normalize_math_single_and_batch():
    x = images(4, 3, 2, 2)
    mean, std = [0.1, 0.2, 0.3], [0.5, 0.25, 2.0]
    out = T.Normalize(mean, std)(x)
    ref = (x - np.array(mean).reshape(1, 3, 1, 1)) / np.array(std).reshape(1, 3, 1, 1)
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(T.Normalize(mean, std)(x[1]), ref[1], rtol=1e-5, atol=1e-6)
    assert out.dtype == np.float32
    np.testing.assert_allclose(T.Normalize(0.5, 0.5)(np.ones(3, np.float32)), 1.0)
    with pytest.raises(ValueError, match="3 channel statistics"):
        T.Normalize(mean, std)(images(2, 1, 2, 2))


def test_standardize_fit_per_channel_feature_and_from_dataset():
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(100, 2, 3, 3)) * np.array([2.0, 5.0]).reshape(1, 2, 1, 1) + 3).astype(
        np.float32
    )
    st = T.Standardize().fit(x, chunk=7)
    out = st(x)
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), 1, atol=1e-4)
    assert st(x[0]).shape == (2, 3, 3)
    tab = rng.normal(size=(50, 4)) * [1, 2, 3, 0] + [1, 2, 3, 4]
    out = T.Standardize().fit(tab)(tab)
    np.testing.assert_allclose(out[:, :3].mean(0), 0, atol=1e-9)
    np.testing.assert_allclose(out[:, 3], 0)  # a constant feature is centred, not blown up
    from glassnet.data import TensorDataset

    st2 = T.Standardize(per="global").fit(TensorDataset(x, np.zeros(100)))
    np.testing.assert_allclose(st2.mean, x.astype(np.float64).mean(), rtol=1e-6)
    st3 = T.Standardize()
    st3.load_state_dict(st.state_dict())
    np.testing.assert_allclose(st3(x), st(x))
    with pytest.raises(RuntimeError, match="fit"):
        T.Standardize()(x)


def test_compose_and_supports_batch():
    c = T.Compose([T.RandomHorizontalFlip(1.0), T.Normalize(0.5, 0.5)])
    x = images(2, 1, 3, 3)
    np.testing.assert_allclose(c(x), (x[..., ::-1] - 0.5) / 0.5)
    assert c.supports_batch
    assert not T.Compose([lambda v: v]).supports_batch
    out = T.apply_transform(T.Lambda(lambda img: img * 2), x)
    np.testing.assert_allclose(out, 2 * x)


def test_transforms_from_spec():
    pipe = T.transforms_from_spec(
        "crop,flip,rotate,affine,elastic,noise,erase,jitter", "fashion-mnist"
    )
    assert len(pipe.transforms) == 8 and pipe.supports_batch
    x = images(4, 1, 28, 28)
    assert pipe(x).shape == x.shape
    assert T.transforms_from_spec("crop=2", "cifar10").transforms[0].padding == (2, 2, 2, 2)
    assert T.transforms_from_spec("", "mnist").transforms == []
    with pytest.raises(ValueError, match="unknown augmentation 'spin'"):
        T.transforms_from_spec("spin", "mnist")
    with pytest.raises(ValueError, match="needs images"):
        T.transforms_from_spec("crop", "mnist1d")
    assert len(T.transforms_from_spec("noise", "mnist1d").transforms) == 1


def test_transform_rejects_wrong_rank():
    with pytest.raises(ValueError, match=r"RandomRotation: expected an image \(C, H, W\)"):
        T.RandomRotation(10)(np.zeros((4, 4)))
