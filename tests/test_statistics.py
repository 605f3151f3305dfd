"""Searching and counting (glassnet/statistics.py) against PyTorch: searchsorted, bucketize,
histogram and isin."""

from __future__ import annotations

import numpy as np
import torch

import glassnet as gn


def test_searching_and_counting():
    seq = [1.0, 3.0, 3.0, 5.0, 7.0]
    vals = [[0.0, 3.0, 6.0], [7.0, 8.0, 3.5]]
    for right in (False, True):
        np.testing.assert_array_equal(
            gn.searchsorted(gn.tensor(seq), gn.tensor(vals), right=right).numpy(),
            torch.searchsorted(torch.tensor(seq), torch.tensor(vals), right=right).numpy())
        np.testing.assert_array_equal(
            gn.bucketize(gn.tensor(vals), gn.tensor(seq), right=right).numpy(),
            torch.bucketize(torch.tensor(vals), torch.tensor(seq), right=right).numpy())
    rows = [[1.0, 2.0, 3.0], [0.0, 5.0, 9.0]]
    g = gn.searchsorted(gn.tensor(rows), gn.tensor([[2.5], [9.0]]), side="right", out_int32=True)
    t = torch.searchsorted(torch.tensor(rows), torch.tensor([[2.5], [9.0]]), side="right",
                           out_int32=True)
    np.testing.assert_array_equal(g.numpy(), t.numpy())
    assert g.dtype is gn.int32
    h, e = gn.histogram(gn.tensor([1.0, 2.0, 1.0, 4.0]), bins=3)
    th, te = torch.histogram(torch.tensor([1.0, 2.0, 1.0, 4.0]), bins=3)
    np.testing.assert_allclose(h.numpy(), th.numpy())
    np.testing.assert_allclose(e.numpy(), te.numpy())
    np.testing.assert_array_equal(gn.isin(gn.tensor([1, 2, 3, 4]), gn.tensor([2, 4])).numpy(),
                                  torch.isin(torch.tensor([1, 2, 3, 4]), torch.tensor([2, 4])).numpy())
    assert gn.broadcast_shapes((3, 1), (1, 4), (4,)) == torch.broadcast_shapes((3, 1), (1, 4), (4,))
    coords = gn.unravel_index(gn.tensor([5, 7]), (2, 4))
    tcoords = torch.unravel_index(torch.tensor([5, 7]), (2, 4))
    assert [c.tolist() for c in coords] == [c.tolist() for c in tcoords]


def test_cov_of_one_variable_and_searchsorted_of_empty_rows():
    x = np.random.default_rng(0).standard_normal((1, 6))
    g, t = gn.cov(gn.tensor(x)), torch.cov(torch.tensor(x))
    assert tuple(g.shape) == tuple(t.shape) == ()
    np.testing.assert_allclose(g.numpy(), t.numpy())
    np.testing.assert_allclose(gn.corrcoef(gn.tensor(x)).numpy(), torch.corrcoef(torch.tensor(x)))
    for shape in [(0, 0), (2, 0), (0, 3, 0)]:
        e = np.zeros(shape)
        assert tuple(gn.searchsorted(gn.tensor(e), gn.tensor(e)).shape) == shape
