"""``glassnet.cuda`` (glassnet/cuda.py) without a GPU: no devices, nothing to do."""

from __future__ import annotations

import pytest

import glassnet as gn


def test_cuda_namespace():
    assert gn.cuda.is_available() in (True, False)
    if not gn.cuda.is_available():
        assert gn.cuda.device_count() == 0


def test_memory_statistics_without_a_gpu_are_pytorch_s_zeros():
    import torch

    if gn.cuda.is_available():
        pytest.skip("a GPU is present")
    assert gn.cuda.max_memory_allocated() == torch.cuda.max_memory_allocated() == 0
    assert gn.cuda.max_memory_reserved() == torch.cuda.max_memory_reserved() == 0
    assert gn.cuda.memory_stats() == dict(torch.cuda.memory_stats()) == {}
    gn.cuda.reset_peak_memory_stats()  # PyTorch's CPU build has no such call; glassnet's is a no-op
    assert gn.cuda.max_memory_allocated() == 0
    event = gn.cuda.Event(enable_timing=True)
    with pytest.raises(RuntimeError, match="no GPU"):
        event.record()


@pytest.mark.gpu
def test_peak_memory_follows_allocations_on_the_gpu():
    if not gn.cuda.is_available():
        pytest.skip("no GPU")
    gn.cuda.reset_peak_memory_stats()
    base = gn.cuda.memory_allocated()
    x = gn.zeros(1 << 20, device="cuda")  # 4 MiB
    del x
    assert gn.cuda.max_memory_allocated() >= base + (4 << 20)
    start, end = gn.cuda.Event(enable_timing=True), gn.cuda.Event(enable_timing=True)
    start.record()
    gn.ones(1000, device="cuda").sum()
    end.record()
    end.synchronize()
    assert start.elapsed_time(end) >= 0
