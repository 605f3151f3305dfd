"""The update kernels' threading (glassnet/optim/_elementwise.py): a large parameter split
across threads is updated exactly as in one call."""

from __future__ import annotations

import numpy as np

import glassnet as gn
import glassnet.optim as goptim


def test_large_parameters_split_across_threads_match_one_call(monkeypatch):
    """The chunked multi-threaded update equals the single-call update exactly."""
    from glassnet.optim import _elementwise as O

    monkeypatch.setitem(gn.backend._threads, "n", 2)

    n = O._MIN_PARALLEL + 12345
    start = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    results = []
    for parallel in (True, False):
        p = gn.tensor(start.copy(), requires_grad=True)
        old = O._MIN_PARALLEL
        O._MIN_PARALLEL = old if parallel else 1 << 62
        try:
            opt = goptim.Adam([p], lr=0.01, amsgrad=True, weight_decay=0.1, maximize=True)
            for t in range(3):
                p.grad = gn.tensor(np.sin(np.arange(n, dtype=np.float32) * (t + 1)))
                opt.step()
        finally:
            O._MIN_PARALLEL = old
        results.append(p._data.copy())
    np.testing.assert_array_equal(results[0], results[1])
