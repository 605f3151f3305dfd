"""The convolution kernels run large batches in cache-sized chunks with reused scratch buffers, and
in threads: forced into tiny chunks, they still give PyTorch's outputs and gradients."""

from __future__ import annotations

import numpy as np
import pytest
from nn_helpers import conv_config, run_conv, run_convt, valid_transposed

import glassnet as gn


@pytest.mark.parametrize("chunk_bytes", [1, 3000])
def test_conv_in_batch_chunks(monkeypatch, chunk_bytes):
    # Large batches run in cache-sized chunks with reused scratch buffers; force tiny chunks.
    from glassnet.nn.functional import conv_kernels
    monkeypatch.setattr(conv_kernels, "CHUNK_BYTES", chunk_bytes)
    monkeypatch.setattr(conv_kernels, "MIN_PARALLEL_BYTES", 0)  # threads too, where possible
    monkeypatch.setitem(gn.backend._threads, "n", 2)
    r = np.random.default_rng(chunk_bytes)
    for i in range(30):
        cfg = dict(conv_config(r), batch=3, unbatched=False)
        dtype = np.float32 if i % 2 == 0 else np.float64
        run_conv(cfg, dtype, r)
        run_conv(cfg, dtype, r)  # same shapes again: scratch buffers are reused
        cfg = dict(conv_config(r, transposed=True), batch=3, unbatched=False)
        if valid_transposed(cfg):
            run_convt(cfg, dtype, r)
