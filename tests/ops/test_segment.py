"""Segment reductions (glassnet/ops/segment.py): the grouping of an index, its sums and extremes
against NumPy's unbuffered ufunc.at, with far more slots than entries (a sparse tensor's
flattened size), and the cache that reuses a grouping."""

from __future__ import annotations

import numpy as np

from glassnet.ops import segment as S


def test_sum_and_extreme_over_many_empty_slots(rng):
    index = rng.integers(0, 10_000, 50)
    values = rng.standard_normal((50, 3))
    seg = S.Segments(index, 10_000)
    ref = np.zeros((10_000, 3))
    np.add.at(ref, index, values)
    np.testing.assert_allclose(seg.sum(values), ref)
    top = np.full((10_000, 3), -np.inf)
    np.maximum.at(top, index, values)
    top[np.isinf(top)] = 0  # slots without entries are 0, as in PyTorch Geometric
    np.testing.assert_allclose(seg.extreme(values, "max"), top)
    np.testing.assert_array_equal(seg.counts, np.bincount(index, minlength=10_000))
    empty = S.Segments(np.zeros(0, np.int64), 4)
    assert empty.sum(np.zeros((0, 2))).shape == (4, 2) and empty.counts.tolist() == [0] * 4


def test_segments_are_cached_by_value(rng):
    index = rng.integers(0, 6, 20)
    a = S.segments(index, 6)
    assert S.segments(index.copy(), 6) is a
    assert S.segments(index, 7) is not a
