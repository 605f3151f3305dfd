"""Template matching: normalised cross-correlation against a direct loop and against conv2d."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from glassnet.analysis import match_template, normalized_cross_correlation


def _direct(image, template):
    h, w = template.shape
    t = template - template.mean()
    out = np.zeros((image.shape[0] - h + 1, image.shape[1] - w + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            win = image[i:i + h, j:j + w] - image[i:i + h, j:j + w].mean()
            out[i, j] = (win * t).sum() / np.sqrt((win * win).sum() * (t * t).sum())
    return out


@pytest.mark.parametrize("shape,tshape", [((12, 11), (4, 3)), ((7, 9), (7, 1)), ((5, 5), (5, 5))])
def test_matches_the_definition(shape, tshape):
    rng = np.random.default_rng(0)
    image, template = rng.random(shape), rng.random(tshape)
    np.testing.assert_allclose(normalized_cross_correlation(image, template),
                               _direct(image, template), atol=1e-12)


def test_numerator_is_the_correlation_torch_conv2d_computes():
    # with a zero-mean template the numerator is conv2d (a correlation) of the raw image
    rng = np.random.default_rng(1)
    image, template = rng.random((10, 13)), rng.random((3, 4))
    t = template - template.mean()
    num = torch.nn.functional.conv2d(torch.from_numpy(image)[None, None],
                                     torch.from_numpy(t)[None, None])[0, 0].numpy()
    h, w = t.shape
    win_std = np.array([[image[i:i + h, j:j + w].std() for j in range(num.shape[1])]
                        for i in range(num.shape[0])])
    ncc = normalized_cross_correlation(image, template)
    np.testing.assert_allclose(ncc * win_std * np.sqrt(h * w) * np.linalg.norm(t), num,
                               atol=1e-12)


def test_invariant_to_brightness_and_contrast_and_finds_the_template():
    rng = np.random.default_rng(2)
    scenes = rng.random((3, 20, 20)) * 0.3
    template = rng.random((5, 6))
    where = [(0, 0), (7, 3), (15, 14)]
    for k, (r, c) in enumerate(where):
        scenes[k, r:r + 5, c:c + 6] = (k + 0.5) * template - 0.2 * k  # a x + b, a > 0
    rows, cols, scores = match_template(scenes, template)
    assert list(zip(rows.tolist(), cols.tolist())) == where
    np.testing.assert_allclose(scores, 1.0, atol=1e-12)
    # one template per image gives the same maps as one call per image
    per = rng.random((3, 5, 6))
    both = normalized_cross_correlation(scenes, per)
    for k in range(3):
        np.testing.assert_allclose(both[k], normalized_cross_correlation(scenes[k], per[k]),
                                   atol=1e-12)


def test_flat_windows_score_zero_and_bad_shapes_raise():
    image = np.zeros((6, 6))
    image[3:, 3:] = np.arange(9).reshape(3, 3)
    ncc = normalized_cross_correlation(image, np.arange(4.0).reshape(2, 2))
    assert ncc[0, 0] == 0 and np.all(np.abs(ncc) <= 1)
    with pytest.raises(ValueError, match="does not fit"):
        normalized_cross_correlation(np.zeros((3, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="normalized_cross_correlation: expected"):
        normalized_cross_correlation(np.zeros((2, 5, 5)), np.zeros((3, 2, 2)))
