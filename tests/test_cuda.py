"""``glassnet.cuda`` (glassnet/cuda.py) without a GPU: no devices, nothing to do."""

from __future__ import annotations

import glassnet as gn


def test_cuda_namespace():
    assert gn.cuda.is_available() in (True, False)
    if not gn.cuda.is_available():
        assert gn.cuda.device_count() == 0
