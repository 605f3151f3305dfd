"""Grad modes and anomaly mode (glassnet/autograd/grad_mode.py): no_grad, enable_grad and
set_grad_enabled as context managers and decorators, and detect_anomaly naming the op and the
line of forward."""

from __future__ import annotations

import re

import numpy as np
import pytest

import glassnet as gn


# ----------------------------------------------------------------------------- grad modes
def test_no_grad_and_enable_grad():
    x = gn.tensor([1.0], requires_grad=True)
    with gn.no_grad():
        y = x * 2
        assert not gn.is_grad_enabled()
        with gn.enable_grad():
            z = x * 2
            assert gn.is_grad_enabled()
        w = x * 2
    assert gn.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None
    assert not w.requires_grad


def test_no_grad_as_decorator_and_set_grad_enabled():
    x = gn.tensor([1.0], requires_grad=True)

    @gn.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    with gn.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    with gn.set_grad_enabled(True):
        assert (x * 2).requires_grad


def test_no_grad_restores_mode_after_an_exception():
    with pytest.raises(ValueError), gn.no_grad():
        raise ValueError
    assert gn.is_grad_enabled()


# ----------------------------------------------------------------------------- anomaly mode
def test_detect_anomaly_names_the_op_and_the_line_in_forward():
    x = gn.tensor([1.0, -1.0], requires_grad=True)
    with pytest.raises(RuntimeError) as info, np.errstate(invalid="ignore"), \
            gn.autograd.detect_anomaly():
        x.sqrt()  # the line that creates the NaN
    msg = str(info.value)
    assert "Sqrt" in msg and "NaN" in msg and "forward" in msg
    assert "test_grad_mode.py" in msg and "x.sqrt()" in msg


def test_detect_anomaly_in_backward():
    x = gn.tensor([0.0, 1.0], requires_grad=True)
    with pytest.raises(RuntimeError) as info, np.errstate(divide="ignore"), \
            gn.autograd.detect_anomaly():
        y = x.sqrt()
        (y * 2).sum().backward()
    msg = str(info.value)
    assert re.search(r"Sqrt produced (Inf|NaN) in its backward", msg)
    assert "y = x.sqrt()" in msg


def test_detect_anomaly_off_by_default_and_restored():
    assert not gn.autograd.is_anomaly_enabled()
    with gn.autograd.detect_anomaly():
        assert gn.autograd.is_anomaly_enabled()
        (gn.tensor([1.0], requires_grad=True) * 2).sum().backward()  # finite: no error
    assert not gn.autograd.is_anomaly_enabled()
    with np.errstate(divide="ignore"):
        gn.tensor([0.0]).log()  # NaN/Inf allowed outside anomaly mode
