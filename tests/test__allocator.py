"""glassnet._allocator: malloc thresholds raised at import (glibc), reversible, and harmless."""

import sys

import numpy as np
import pytest

import glassnet as gn
from glassnet import _allocator, backend


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_tuned_at_import_and_reversible():
    if _allocator._libc() is None:
        pytest.skip("not glibc")
    assert _allocator.is_tuned()
    assert backend.tune_allocator(False)
    assert not _allocator.is_tuned()
    assert backend.tune_allocator(True)
    assert _allocator.is_tuned()


def test_large_arrays_still_correct_after_reuse():
    # blocks freed and reallocated from the heap hold whatever was there: results must not care
    for _ in range(3):
        a = gn.ones(4 * 2**20 // 4)
        assert float(a.sum()) == a.numel()
        z = gn.zeros(3, 2**20)
        assert not np.any(z.numpy())
