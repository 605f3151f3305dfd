"""Elementwise update kernels: the effective gradient, and running a kernel across threads.

Every update rule in ``glassnet.optim`` is elementwise: element i of the new parameter depends
only on element i of the parameter, its gradient and its state. A kernel is a function of
same-shape arrays that updates some of them in place with ufuncs (``out=`` arguments, no
temporaries); ``run_elementwise`` may cut the arrays into chunks and run the chunks on several
threads, which gives exactly the same result as one call.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend

# Every update rule here is elementwise: element i of the new parameter depends only on element i
# of the parameter, gradient and state. A large parameter can therefore be cut into contiguous
# chunks and updated chunk by chunk. NumPy releases the GIL inside its loops, so the chunks run on
# several cores at once (``glassnet.backend.get_num_threads()`` of them), and each chunk's
# temporaries stay in cache between the ufunc passes.
_CHUNK = 1 << 17            # elements per chunk (512 KiB of float32)
_MIN_PARALLEL = 1 << 18     # below this many elements one call is cheaper than a thread hand-off


def _splittable(arrays):
    for a in arrays:
        if a is not None and not (isinstance(a, np.ndarray) and a.flags.c_contiguous):
            return False
    return True


def run_elementwise(kernel, arrays, **scalars):
    """Call ``kernel(*arrays, **scalars)``, splitting large contiguous NumPy arrays across threads.

    ``arrays`` are same-shape arrays (or None) that the kernel reads and updates in place with
    elementwise ufuncs only; the result is identical to one call on the whole arrays.
    """
    size = arrays[0].size
    threads = backend.get_num_threads()
    if size < _MIN_PARALLEL or threads == 1 or not _splittable(arrays):
        kernel(*arrays, **scalars)
        return
    flat = [None if a is None else a.reshape(-1) for a in arrays]
    bounds = list(range(0, size, _CHUNK)) + [size]
    nthreads = min(threads, len(bounds) - 1)

    # thread k takes chunks k, k + n, k + 2n, ...: equal work, and neighbouring chunks in flight
    def work(k):
        for j in range(k, len(bounds) - 1, nthreads):
            lo, hi = bounds[j], bounds[j + 1]
            kernel(*[None if a is None else a[lo:hi] for a in flat], **scalars)

    backend.parallel_map(work, range(nthreads))


def effective_grad(g, p, weight_decay, maximize, out):
    """The gradient a rule uses: ``(-g if maximize else g) + weight_decay * p``.

    This is L2 regularisation folded into the gradient (the lectures' loss + lambda/2 ||w||^2 has
    gradient g + lambda w). Returns ``g`` itself when nothing changes, else writes into ``out``.
    """
    if weight_decay != 0:
        backend.array_module(p).multiply(p, weight_decay, out=out)
        if maximize:
            out -= g
        else:
            out += g
        return out
    if maximize:
        backend.array_module(g).negative(g, out=out)
        return out
    return g
