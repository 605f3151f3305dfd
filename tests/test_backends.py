"""``glassnet.backends`` (glassnet/backends.py): the switches device-agnostic code touches
(cudnn, mps, cuda.matmul) and the ``glassnet.cuda`` queries next to them."""

from __future__ import annotations

import glassnet as gn


def test_backends_and_cuda_queries():
    assert gn.backends.mps.is_available() is False
    assert gn.backends.cudnn.is_available() == gn.cuda.is_available()
    old = gn.backends.cudnn.benchmark
    gn.backends.cudnn.benchmark = True
    assert gn.backends.cudnn.benchmark is True
    gn.backends.cudnn.benchmark = old
    gn.backends.cuda.matmul.allow_tf32 = False
    if not gn.cuda.is_available():
        assert gn.cuda.device_count() == 0 and gn.cuda.memory_allocated() == 0
        gn.cuda.empty_cache()
