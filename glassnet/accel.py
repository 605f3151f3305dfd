"""Compiled CPU kernels: the few passes over memory that NumPy cannot fuse (optional numba).

A NumPy expression such as ``(x - mean) * k + b`` makes one pass over memory per operator and
writes a temporary each time; on the large activations of a convolutional network (8 MiB per
layer in ResNet-20) such element-wise work is bound by memory, not arithmetic, so the number of
passes is its cost. A compiled loop does the whole expression in one pass. glassnet compiles a
handful of them with numba where it is installed (the ``accel`` extra, which ``make run`` and
``make test`` install):

* batch normalisation in training: the statistics and the normalisation, and in backward the
  two sums and the input gradient, each in one pass (nn/functional/batch_normalization.py);
* col2im for stride-1 convolutions: all kernel offsets added into each (sample, channel) plane
  while it is in cache (nn/functional/im2col.py);
* the input, output and gradient transforms of Winograd's F(2x2, 3x3), a few additions per
  element each (nn/functional/winograd.py), which make F(2x2) faster than im2col on ResNet's
  16- and 32-channel layers;
* 2x2 max pooling, each direction in one pass (nn/functional/maxpool2x2.py);
* ReLU: the output and its mask in one pass, and dy * mask (nn/functional/piecewise_linear.py).

Each kernel sits in the file of its op, next to the NumPy code it replaces, which stays the
reference: the tests run both and compare them. The kernels are serial loops compiled with
``nogil=True``; an op shares its work among threads as before (``backend.parallel_slices``,
over fixed parts of the batch), so results do not depend on the thread count either way.

``glassnet.backends.cpu_kernels`` chooses: "compiled" (the default; it takes effect where numba
imports) or "numpy". Arrays of fewer than MIN_ELEMENTS elements always take the NumPy path. numba is
imported, and a kernel compiled, on first use, never at ``import glassnet``; compiled code is
cached on disk (numba's ``cache=True``), so later processes only load it (measured: about 0.5 s
to import numba, then about 1 s for its first call in a process; a kernel compiles in 0.5-1.5 s
the first time it meets a dtype).
"""

from __future__ import annotations

import functools
import threading

import numpy as np

from . import backends

__all__ = ["available", "kernel"]

# numba's floating-point freedoms for the kernels: reassociation (vectorised sums) and fused
# multiply-add, but not "no NaNs" or "no infinities", so a NaN in the input still propagates.
FASTMATH = frozenset({"reassoc", "contract", "nsz"})

# Smaller arrays take the NumPy path: there a compiled loop gains microseconds, and the first
# compiled call of a process costs about a second (numba's import and start-up), which a
# learner's small example should not pay.
MIN_ELEMENTS = 1 << 15

_state = {"numba": None}
_lock = threading.RLock()


def _numba():
    """The numba module, or False when it cannot be imported (imported once, on first use)."""
    mod = _state["numba"]
    if mod is None:
        with _lock:
            mod = _state["numba"]
            if mod is None:
                try:
                    import numba as mod
                except Exception:  # noqa: BLE001 - absent or broken: the NumPy kernels run
                    mod = False
                _state["numba"] = mod
    return mod


def available(*arrays, size=None) -> bool:
    """Whether compiled kernels run for these arrays: NumPy float32/float64 arrays, the first
    of at least MIN_ELEMENTS elements (or ``size``, the elements of the data the kernels will
    run over, where it is not among the arrays), numba importable, and
    ``glassnet.backends.cpu_kernels`` set to "compiled"."""
    mode = backends.cpu_kernels
    if mode == "numpy":
        return False
    if mode != "compiled":
        raise ValueError("glassnet.backends.cpu_kernels must be 'compiled' or 'numpy', "
                         f"got {mode!r}")
    for a in arrays:
        if not isinstance(a, np.ndarray) or a.dtype not in (np.float32, np.float64):
            return False
    if (arrays[0].size if size is None else size) < MIN_ELEMENTS:
        return False
    return bool(_numba())


class _Kernel:
    """A Python function compiled by numba on its first call (``kernel``)."""

    def __init__(self, fn):
        self.fn = fn
        self.compiled = None
        functools.update_wrapper(self, fn)

    def __call__(self, *args):
        c = self.compiled
        if c is None:
            with _lock:
                if self.compiled is None:
                    nb = _numba()
                    if not nb:
                        raise RuntimeError(f"{self.fn.__name__}: numba is not installed "
                                           "(pip install glassnet[accel])")
                    opts = {"nogil": True, "fastmath": set(FASTMATH), "error_model": "numpy"}
                    try:
                        self.compiled = nb.njit(cache=True, **opts)(self.fn)
                    except RuntimeError:  # no writable cache folder: compile in memory only
                        self.compiled = nb.njit(**opts)(self.fn)
                c = self.compiled
        return c(*args)


def kernel(fn) -> _Kernel:
    """Decorator: ``fn`` (a plain loop over NumPy arrays) compiled by numba when first called.

    The undecorated function stays reachable as ``kernel.fn``: the same loop, run by Python."""
    return _Kernel(fn)
