"""The graph walk both engines share (glassnet/autograd/graph.py): no recursion limit, and
the checks on the root of backward and on a graph that was already freed."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn


def test_deep_graph_has_no_recursion_limit():
    x = gn.tensor([1.0, -2.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    del y  # deleting a very deep graph must not overflow the C stack either


# ----------------------------------------------------------------------------- retain_graph
def test_second_backward_without_retain_graph_is_a_clear_error():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


# ----------------------------------------------------------------------------- errors
def test_backward_on_a_non_scalar_says_what_to_pass():
    y = gn.ones(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\).*gradient="):
        y.backward()


def test_backward_gradient_of_the_wrong_shape():
    y = gn.ones(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\)"):
        y.backward(gn.ones(3))


def test_backward_without_requires_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        gn.ones(2).sum().backward()
