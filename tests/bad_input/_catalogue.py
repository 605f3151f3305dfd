"""The bad-input catalogue's one check: a wrong call raises in glassnet what it raises in PyTorch.

Each case is a function of the library (``torch`` or ``glassnet``) that makes one wrong call.
The same call runs on both: glassnet must raise PyTorch's exception type (or a subclass), and
its message must name the op or argument and show the value that came (the case's patterns,
searched case-insensitively), and must not be NumPy's own message passed through. Where PyTorch
accepts the call, glassnet must accept it too and return the same numbers.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")

# Messages that come straight from NumPy, which a user of glassnet should never see.
NUMPY_LOOK = re.compile(
    r"operands could not be broadcast|cannot reshape array|out of bounds for axis"
    r"|axis -?\d+ is out of bounds for array|not aligned|matmul: Input operand"
    r"|ufunc .|setting an array element with a sequence|too many indices for array"
    r"|zero-size array|array of sample points|object too deep")


def case(name, call, *patterns):
    """One entry: ``call(lib)`` makes the wrong call; every regex in ``patterns`` must occur in
    glassnet's message."""
    return pytest.param(call, patterns, id=name)


def gap(name, call, reason):
    """A wrong call that PyTorch refuses and glassnet still accepts: a strict xfail, so the
    catalogue says what is left and notices when it is closed."""
    return pytest.param(call, (), id=name, marks=pytest.mark.xfail(strict=True, reason=reason))


def raises_like_torch(call, patterns):
    with pytest.raises(Exception) as ref:
        call(torch)
    with pytest.raises(Exception) as got:
        call(gn)
    expected, came = type(ref.value), got.value
    message = str(came)
    assert isinstance(came, expected), (
        f"PyTorch raises {expected.__name__}({ref.value}); glassnet raised "
        f"{type(came).__name__}({message})")
    assert not NUMPY_LOOK.search(message), f"a NumPy message reached the user: {message}"
    for p in patterns:
        assert re.search(p, message, re.IGNORECASE | re.DOTALL), \
            f"glassnet's message {message!r} lacks {p!r}"


def as_numpy(x):
    if isinstance(x, (tuple, list)):
        return [as_numpy(v) for v in x]
    if hasattr(x, "detach"):
        x = x.detach()
    if hasattr(x, "numpy"):
        return x.numpy()
    return np.asarray(x)


def accepts_like_torch(call):
    """PyTorch returns a result: glassnet returns the same numbers (and shape)."""
    ref, got = as_numpy(call(torch)), as_numpy(call(gn))
    if isinstance(ref, list):
        assert len(ref) == len(got)
        for r, g in zip(ref, got):
            np.testing.assert_allclose(g, r, rtol=1e-5, atol=1e-6)
            assert np.shape(g) == np.shape(r)
    else:
        assert np.shape(got) == np.shape(ref)
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
