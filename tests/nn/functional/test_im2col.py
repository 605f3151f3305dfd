"""im2col's argument helper: ``ntuple`` and its errors."""

from __future__ import annotations

import pytest
import torch

from glassnet.nn.functional.im2col import ntuple


def test_ntuple_expands_and_checks_the_minimum():
    assert ntuple(2, 3, "conv3d", "stride", minimum=1) == (2, 2, 2)
    assert ntuple([0, 1], 2, "conv2d", "padding", minimum=0) == (0, 1)
    with pytest.raises(RuntimeError, match=r"conv2d: stride must be positive, got \(1, 0\)"):
        ntuple((1, 0), 2, "conv2d", "stride", minimum=1)
    with pytest.raises(RuntimeError, match="max_pool2d: padding must be non-negative, got -1"):
        ntuple(-1, 2, "max_pool2d", "padding", minimum=0)
    with pytest.raises(RuntimeError, match="fold: output_size must be >= 2, got 1"):
        ntuple(1, 2, "fold", "output_size", minimum=2)
    # PyTorch raises RuntimeError for these too
    with pytest.raises(RuntimeError):
        torch.nn.functional.max_pool2d(torch.zeros(1, 1, 4, 4), 2, stride=0)
