"""The data the lab's experiments train on: seeded subsets of Fashion-MNIST as arrays.

The experiments need small, repeatable training sets (a claim about overfitting needs a small
training set; a quick run needs a small one anyway). ``fashion_mnist(n_train, n_test, rng)`` is
``glassnet.lab.common.image_subset`` for Fashion-MNIST, which keeps each split in memory after
the first call, so several experiments in one process read the files once.
"""

from __future__ import annotations

from glassnet.lab.common import image_subset

__all__ = ["fashion_mnist"]


def fashion_mnist(n_train, n_test, rng):
    """``(x_train, y_train, x_test, y_test)``: ``n_train`` random training images and ``n_test``
    random test images of Fashion-MNIST (None: all of them), drawn with the NumPy generator
    ``rng``.

    Shape:
        - x: ``(N, 1, 28, 28)`` float32 in [0, 1]
        - y: ``(N,)`` int64 class labels 0..9
    """
    return image_subset("fashion-mnist", n_train, n_test, rng)
