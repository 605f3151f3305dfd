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


def test_backend_submodules_import_as_in_pytorch():
    """``import torch.backends.cudnn as cudnn`` (as the official examples write it) and
    ``torch.backends.mps``: the same objects as the attributes."""
    import importlib

    import glassnet as gn

    for name in ("cudnn", "mps", "cuda", "mkldnn", "opt_einsum", "openmp", "mkl"):
        assert importlib.import_module(f"glassnet.backends.{name}") is getattr(gn.backends, name)
    import glassnet.backends.cudnn as cudnn

    old = cudnn.benchmark
    try:
        cudnn.benchmark = True
        assert gn.backends.cudnn.benchmark is True
    finally:
        cudnn.benchmark = old
