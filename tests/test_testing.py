"""``glassnet.testing`` (glassnet/testing.py): assert_close's default tolerances and
messages, and make_tensor."""

from __future__ import annotations

import pytest
import torch

import glassnet as gn


# ----------------------------------------------------------------------------- testing
def test_assert_close_defaults_and_messages():
    gn.testing.assert_close(gn.tensor([1.0, 2.0]), gn.tensor([1.0, 2.0 + 1e-6]))
    gn.testing.assert_close(1.0, 1.0 + 1e-8)
    gn.testing.assert_close({"a": [gn.tensor([1]), (2, "x")]}, {"a": [gn.tensor([1]), (2, "x")]})
    gn.testing.assert_close(gn.tensor([float("nan")]), gn.tensor([float("nan")]), equal_nan=True)
    a, b = [1.0, 2.0, 3.0], [1.0, 2.5, 3.0]
    with pytest.raises(AssertionError) as g:
        gn.testing.assert_close(gn.tensor(a), gn.tensor(b))
    with pytest.raises(AssertionError) as t:
        torch.testing.assert_close(torch.tensor(a), torch.tensor(b))
    assert str(g.value) == str(t.value)
    with pytest.raises(AssertionError) as g:
        gn.testing.assert_close(1.0, 1.5)
    with pytest.raises(AssertionError) as t:
        torch.testing.assert_close(1.0, 1.5)
    assert str(g.value) == str(t.value)
    with pytest.raises(AssertionError, match="dtype"):
        gn.testing.assert_close(gn.tensor([1.0]), gn.tensor([1.0], dtype=gn.float64))
    with pytest.raises(AssertionError, match="shape"):
        gn.testing.assert_close(gn.zeros(2), gn.zeros(3))
    gn.testing.assert_close(gn.tensor([1.0]), gn.tensor([1.1]), rtol=0.2, atol=0)
    with pytest.raises(AssertionError):
        gn.testing.assert_close(gn.tensor([1, 2]), gn.tensor([1, 3]))
    with pytest.raises(ValueError):
        gn.testing.assert_close(gn.tensor([1.0]), gn.tensor([1.0]), rtol=1e-3)
    m = gn.testing.make_tensor(2, 3, dtype=gn.float32, low=0, high=1)
    assert m.shape == (2, 3) and 0 <= m.min().item() and m.max().item() < 1


def test_deprecated_assert_allclose_uses_the_old_tolerances():
    for lib in (torch, gn):
        with pytest.warns(FutureWarning):
            lib.testing.assert_allclose(lib.tensor([1.0, 2.0]), [1.00005, 2.0])  # rtol 1e-4
        with pytest.warns(FutureWarning):
            lib.testing.assert_allclose(lib.tensor([float("nan")]), [float("nan")])
        with pytest.warns(FutureWarning), pytest.raises(AssertionError):
            lib.testing.assert_allclose(lib.tensor([1.0]), [1.01])
