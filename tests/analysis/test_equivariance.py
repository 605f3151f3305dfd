"""Rotations (glassnet/analysis/equivariance.py): a rotation-symmetric kernel commutes with
quarter turns; the rotations and disk masks that test equivariance."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.analysis import (
    disk_mask,
    equivariance_error,
    invariance_error,
    rot90,
    rotate,
    rotation_deviation,
)


def test_rotation_symmetric_kernel_commutes_with_quarter_turns():
    conv = nn.Conv2d(1, 1, 3, padding=1, bias=False)
    conv.weight._data[...] = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], np.float32) / 16
    x = gn.randn(3, 1, 9, 9)
    for k in range(4):
        turn = lambda t, k=k: rot90(t, k)
        assert equivariance_error(conv, x, turn, turn) < 1e-6
    np.testing.assert_array_less(rotation_deviation(conv, x, [90, 180, 270], "equivariance"),
                                 1e-6)
    sobel = nn.Conv2d(1, 1, 3, padding=1, bias=False)
    sobel.weight._data[...] = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32)
    assert equivariance_error(sobel, x, rot90, rot90) > 0.5  # an oriented filter is not
    assert invariance_error(lambda t: t.sum(dim=(1, 2, 3)), x, rot90) < 1e-6


def test_rotations_and_masks():
    x = np.random.default_rng(0).standard_normal((2, 1, 7, 7)).astype(np.float32)
    np.testing.assert_array_equal(rot90(x), np.rot90(x, 1, (-2, -1)))
    np.testing.assert_array_equal(rot90(gn.tensor(x), 3).numpy(), np.rot90(x, 3, (-2, -1)))
    # the bilinear warp agrees with the exact quarter turn (same direction)
    from glassnet.data.warp import rotate as warp_rotate
    np.testing.assert_allclose(warp_rotate(x, 90.0), rotate(x, 90), atol=1e-5)
    r45 = rotate(gn.tensor(x), 45)
    assert isinstance(r45, gn.Tensor) and r45.shape == (2, 1, 7, 7)
    m = disk_mask(7)
    assert m[3, 3] and m[3, 0] and not m[0, 0] and m.sum() == 37
    # rotating the inscribed disc about its centre and back changes it only by interpolation
    smooth = gn.tensor(np.ones((1, 1, 21, 21), np.float32))
    dev = rotation_deviation(nn.Identity(), smooth, [30], mode="equivariance")
    assert dev[0] < 0.02
    with pytest.raises(ValueError, match="multiples of 90"):
        rotation_deviation(nn.Identity(), gn.randn(1, 1, 4, 5, 5), [30], "equivariance",
                           group_dim=2)
