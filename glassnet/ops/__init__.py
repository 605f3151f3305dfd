"""Primitive differentiable Functions, one file per family (elementwise, reduce, shape, linalg)."""
