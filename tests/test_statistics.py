"""Searching and counting (glassnet/statistics.py) against PyTorch: searchsorted, bucketize,
histogram and isin."""

from __future__ import annotations

import numpy as np
import pytest
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


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("density", [False, True])
def test_histogramdd(weighted, density):
    """Counts (or summed weights, or a density) over equal bins from the data's range, given
    ranges or given edges, with PyTorch's float32 edges; points on the last edge count, points
    outside do not."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, (40, 3)).astype(np.float32)
    x[0] = [2.0, -1.0, 0.5]  # exactly on edges
    x[1, 0] = 5.0  # outside the given ranges and edges
    w = rng.uniform(0.1, 2, 40).astype(np.float32) if weighted else None
    kw = lambda lib: {"weight": None if w is None else lib.tensor(w), "density": density}
    edges = [np.array([-2, -0.5, 0.3, 2], np.float32), np.array([-1.5, 1.5], np.float32),
             np.array([0.0, 0.5, 1.0], np.float32)]
    for bins, rng_ in (([2, 3, 4], None), (3, [-1.0, 1.0, -2.0, 2.0, 0.0, 0.0]),
                       ("edges", None)):
        def run(lib, bins=bins, rng_=rng_):
            b = [lib.tensor(e) for e in edges] if bins == "edges" else bins
            extra = {} if rng_ is None else {"range": rng_}
            return lib.histogramdd(lib.tensor(x), b, **extra, **kw(lib))
        g, t = run(gn), run(torch)
        np.testing.assert_allclose(g.hist.numpy(), t.hist.numpy(), rtol=1e-6)
        assert len(g.bin_edges) == len(t.bin_edges) == 3
        for ge, te in zip(g.bin_edges, t.bin_edges):
            np.testing.assert_array_equal(ge.numpy(), te.numpy())


def test_histogramdd_batched_points_empty_input_and_unsorted_edges():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 5, 2)).astype(np.float32)  # points along all leading dims
    edges = [rng.standard_normal(3).astype(np.float32) for _ in range(2)]  # unsorted
    for bins in (4, [gn.tensor(e) for e in edges]):
        tb = bins if isinstance(bins, int) else [torch.tensor(e) for e in edges]
        g, t = gn.histogramdd(gn.tensor(x), bins), torch.histogramdd(torch.tensor(x), tb)
        np.testing.assert_array_equal(g.hist.numpy(), t.hist.numpy())
    e = np.zeros((0, 2), np.float32)
    g, t = gn.histogramdd(gn.tensor(e), [2, 3]), torch.histogramdd(torch.tensor(e), [2, 3])
    np.testing.assert_array_equal(g.hist.numpy(), t.hist.numpy())
    np.testing.assert_array_equal(g.bin_edges[1].numpy(), t.bin_edges[1].numpy())
    with pytest.raises(RuntimeError, match="min should not exceed max"):
        gn.histogramdd(gn.tensor(x), 2, range=[1.0, 0.0, 0.0, 1.0])
    with pytest.raises(RuntimeError, match="size of bins must be equal"):
        gn.histogramdd(gn.tensor(x), [2, 2, 2])
    nan = x.copy()
    nan[0, 0, 0] = np.nan
    with pytest.raises(RuntimeError, match="is not finite"):
        gn.histogramdd(gn.tensor(nan), 2)
    h = gn.histogramdd(gn.tensor(nan), 2, range=[-1.0, 1.0, -1.0, 1.0]).hist
    np.testing.assert_array_equal(  # a NaN point is not counted
        h.numpy(), torch.histogramdd(torch.tensor(nan), 2, range=[-1.0, 1.0, -1.0, 1.0]).hist)
