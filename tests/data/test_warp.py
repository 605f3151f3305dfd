import numpy as np
import pytest

from glassnet.data import warp


def test_grid_sample_and_affine_grid_match_pytorch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(0)
    x = rng.random((3, 2, 7, 9)).astype(np.float32)
    theta = (rng.normal(size=(3, 2, 3)) * 0.5 + np.array([[1, 0, 0], [0, 1, 0]])).astype(np.float32)
    for ac in (False, True):
        grid = warp.affine_grid(theta, x.shape, align_corners=ac)
        ref_grid = F.affine_grid(torch.tensor(theta), x.shape, align_corners=ac).numpy()
        np.testing.assert_allclose(grid, ref_grid, atol=1e-5)
        for pm in ("zeros", "border"):
            for mode in ("bilinear", "nearest"):
                out = warp.grid_sample(x, ref_grid, mode=mode, padding_mode=pm, align_corners=ac)
                ref = F.grid_sample(
                    torch.tensor(x),
                    torch.tensor(ref_grid),
                    mode=mode,
                    padding_mode=pm,
                    align_corners=ac,
                ).numpy()
                np.testing.assert_allclose(out, ref, atol=1e-5)


def test_rotate_identity_and_quarter_turns():
    x = np.random.default_rng(1).random((2, 3, 6, 6)).astype(np.float32)
    np.testing.assert_array_equal(warp.rotate(x, 0.0), x)
    np.testing.assert_allclose(warp.rotate(x, 90.0), np.rot90(x, axes=(2, 3)), atol=1e-6)
    np.testing.assert_allclose(
        warp.rotate(x, [180.0, -90.0])[0], np.rot90(x[0], 2, axes=(1, 2)), atol=1e-6
    )
    np.testing.assert_allclose(
        warp.rotate(x, [180.0, -90.0])[1], np.rot90(x[1], -1, axes=(1, 2)), atol=1e-6
    )


def test_integer_translation_shifts_pixels():
    x = np.arange(25, dtype=np.float32).reshape(1, 1, 5, 5)
    m = warp.affine_matrices((5, 5), translate=(1.0, 2.0))  # content moves right 1, down 2
    out = warp.warp_affine(x, m)
    np.testing.assert_array_equal(out[0, 0, 2:, 1:], x[0, 0, :3, :4])
    assert (out[0, 0, :2] == 0).all() and (out[0, 0, :, 0] == 0).all()


def test_gaussian_blur_matches_scipy():
    ndi = pytest.importorskip("scipy.ndimage")
    u = np.random.default_rng(2).random((3, 20, 17))
    for sigma in (0.7, 3.0, 9.0):
        np.testing.assert_allclose(
            warp.gaussian_blur(u, sigma), ndi.gaussian_filter(u, (0, sigma, sigma)), atol=1e-12
        )


def test_elastic_deform_is_smooth_bounded_and_seeded():
    x = np.random.default_rng(3).random((4, 1, 28, 28)).astype(np.float32)
    a = warp.elastic_deform(x, 34.0, 4.0, np.random.default_rng(0))
    b = warp.elastic_deform(x, 34.0, 4.0, np.random.default_rng(0))
    np.testing.assert_array_equal(a, b)
    assert a.shape == x.shape and not np.allclose(a, x)
    dy, _ = warp.elastic_displacement((4, 28, 28), 34.0, 4.0, np.random.default_rng(0))
    assert np.abs(dy).max() < 10 and np.abs(np.diff(dy, axis=-1)).max() < 1.0  # smooth field
    np.testing.assert_allclose(warp.elastic_deform(x[0], 0.0, 4.0), x[0], atol=1e-7)
    zero = (np.zeros((28, 28)), np.zeros((28, 28)))
    np.testing.assert_array_equal(warp.elastic_deform(x, 1, 1, displacement=zero), x)


def test_errors_name_function_and_shape():
    with pytest.raises(ValueError, match=r"grid_sample: expected images of shape \(N, C, H, W\)"):
        warp.grid_sample(np.zeros((2, 2)), np.zeros((1, 2, 2, 2)))
    with pytest.raises(ValueError, match="affine_grid: expected theta"):
        warp.affine_grid(np.zeros((1, 3, 3)), (1, 1, 2, 2))
