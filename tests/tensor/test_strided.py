"""as_strided and as_strided_scatter (glassnet/tensor/strided.py) against PyTorch: views of a
larger storage (offsets counted from the start of the buffer, elements outside the view read
as constants), transposed views, overlapping windows, and the scatter's gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import check_parity, gradcheck

import glassnet as gn


def _pair(values, start, stop):
    """The same view values[start:stop] of a fresh buffer in both frameworks, requiring grad
    (a leaf view, as in PyTorch's OpInfo samples)."""
    t = torch.tensor(values)[start:stop].requires_grad_()
    g = gn.tensor(values)[start:stop].requires_grad_()
    return g, t


@pytest.mark.parametrize("offset", [None, 0, 3, 10, 14])
def test_as_strided_of_a_partial_view_addresses_the_whole_storage(offset, rng):
    values = rng.standard_normal(20)
    g, t = _pair(values, 5, 15)
    assert g.storage_offset() == t.storage_offset() == 5
    kw = {} if offset is None else {"storage_offset": offset}
    go, to = g.as_strided((2, 3), (1, 2), **kw), t.as_strided((2, 3), (1, 2), **kw)
    np.testing.assert_array_equal(go.detach().numpy(), to.detach().numpy())
    w = rng.standard_normal((2, 3))
    (go * gn.tensor(w)).sum().backward()
    (to * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy())  # outside elements: no gradient


def test_as_strided_of_a_view_sends_gradient_to_the_base_only_through_the_view(rng):
    values = rng.standard_normal(20)
    gb, tb = gn.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    go = gb[5:15].as_strided((2, 2), (1, 2), 3)
    to = tb[5:15].as_strided((2, 2), (1, 2), 3)
    np.testing.assert_array_equal(go.detach().numpy(), to.detach().numpy())
    go.sum().backward()
    to.sum().backward()
    np.testing.assert_array_equal(gb.grad.numpy(), tb.grad.numpy())


def test_as_strided_of_a_transposed_view_and_its_own_geometry(rng):
    a = rng.standard_normal((3, 4))
    g, t = gn.tensor(a).t(), torch.tensor(a).t()
    assert g.stride() == t.stride()
    np.testing.assert_array_equal(g.as_strided((2, 5), (5, 1)).numpy(),
                                  t.as_strided((2, 5), (5, 1)).numpy())
    same = g.as_strided(tuple(g.shape), g.stride(), g.storage_offset())
    np.testing.assert_array_equal(same.numpy(), g.numpy())  # a view's own geometry is itself


def test_as_strided_overlapping_windows_and_float64_gradcheck(rng):
    x = rng.standard_normal(12)
    f = lambda a: a.as_strided((4, 4), (2, 1), 1)  # sliding windows of 4, step 2
    check_parity(f, f, [x], dtype=np.float64)
    check_parity(f, f, [x], dtype=np.float32)
    gradcheck(f, [x])


def test_as_strided_out_of_bounds_raises():
    with pytest.raises(RuntimeError, match="as_strided.*storage"):
        gn.arange(6.0).as_strided((2, 3), (3, 1), 1)
    with pytest.raises(RuntimeError, match="as_strided"):
        gn.arange(6.0).as_strided((2, 3), (3,))


CASES = [((1,), (), (), 0), ((1,), (1,), (1,), 0), ((3, 3), (2, 2), (1, 2), 0),
         ((3, 3), (2, 2), (1, 2), 1), ((3, 3), (2, 2), (2, 1), 0),
         ((16,), (2, 2, 2, 2), (8, 4, 2, 1), 0), ((16,), (2, 1, 1, 2), (1, 2, 4, 8), 0)]


@pytest.mark.parametrize("shape,size,stride,offset", CASES)
def test_as_strided_scatter(shape, size, stride, offset, rng):
    x, src = rng.standard_normal(shape), rng.standard_normal(size)
    out = gn.as_strided_scatter(gn.tensor(x), gn.tensor(src), size, stride, offset)
    ref = torch.as_strided_scatter(torch.tensor(x), torch.tensor(src), size, stride, offset)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    # The gradient of src is PyTorch's; PyTorch's gradient of the input is known to be wrong
    # (its own gradcheck of this op is an expected failure), so it is checked by differences.
    check_parity(lambda a, s: a.as_strided_scatter(s, size, stride, offset),
                 lambda a, s: a.as_strided_scatter(s, size, stride, offset), [x, src],
                 dtype=np.float64, grad_inputs=[1])
    gradcheck(lambda a, s: a.as_strided_scatter(s, size, stride, offset), [x, src])


def test_as_strided_scatter_input_gradient_is_zero_where_overwritten():
    x = gn.zeros(3, 3, requires_grad=True)
    x.as_strided_scatter(gn.ones(2, 2), (2, 2), (1, 2), 0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy().reshape(-1), [0, 0, 0, 0, 1, 1, 1, 1, 1])


def test_as_strided_scatter_errors():
    with pytest.raises(RuntimeError, match="expected src to have a size equal"):
        gn.zeros(3, 3).as_strided_scatter(gn.ones(3), (2, 2), (1, 2))
    with pytest.raises(RuntimeError, match="as_strided_scatter.*storage"):
        gn.zeros(3, 3).as_strided_scatter(gn.ones(2, 2), (2, 2), (3, 3), 3)
