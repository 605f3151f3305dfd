"""parameters_to_vector and vector_to_parameters against torch.nn.utils."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from nn_helpers import GRAD_SHAPES, grad_pairs

import glassnet as gn
from glassnet.nn import utils as gutils


def test_parameters_to_vector_and_back():
    gp, tp = grad_pairs(np.float32)
    v = gutils.parameters_to_vector(gp)
    tv = torch.nn.utils.parameters_to_vector(tp)
    np.testing.assert_array_equal(v._data, tv.detach().numpy())
    assert v.shape == (sum(int(np.prod(s)) for s in GRAD_SHAPES),) and v.requires_grad
    for p in gp:
        p.grad = None
    # differentiable: d(sum(v * c)) / d p = c reshaped
    c = np.arange(v.shape[0], dtype=np.float32)
    (v * gn.tensor(c)).sum().backward()
    off = 0
    for p in gp:
        n = p.numel()
        np.testing.assert_array_equal(p.grad._data, c[off:off + n].reshape(p.shape))
        off += n
    arrays = [p._data for p in gp]
    gutils.vector_to_parameters(gn.tensor(-c), gp)
    assert all(a is p._data for a, p in zip(arrays, gp))  # in place: references stay valid
    np.testing.assert_array_equal(gutils.parameters_to_vector(gp)._data, -c)
    with pytest.raises(TypeError, match="expected vec to be a Tensor"):
        gutils.vector_to_parameters(c, gp)
    with pytest.raises(ValueError, match="elements in all"):
        gutils.vector_to_parameters(gn.tensor(c[:-1]), gp)
