"""Primitive differentiable Functions, one file per family: arithmetic, pointwise, special,
reduce, scan, shape, linalg, decomp, softmax."""
