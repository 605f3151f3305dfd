"""Nested tuples, lists and dicts of tensors ("pytrees") taken apart and put back together,
for the function transforms (``glassnet.vmap``, ``glassnet.func``) that accept them."""

from __future__ import annotations

from .tensor import Tensor

__all__ = ["flatten", "flatten_like"]


def flatten(tree):
    """(leaves, rebuild): the tensors of a nested tuple/list/dict and a function that puts new
    leaves back into the same structure; anything else is kept as it is."""
    if isinstance(tree, Tensor):
        return [tree], lambda leaves: leaves[0]
    if isinstance(tree, (tuple, list, dict)):
        keys = list(tree.keys()) if isinstance(tree, dict) else range(len(tree))
        parts = [flatten(tree[k]) for k in keys]
        sizes = [len(p[0]) for p in parts]

        def rebuild(leaves):
            out, i = [], 0
            for (_, r), n in zip(parts, sizes):
                out.append(r(leaves[i:i + n]))
                i += n
            if isinstance(tree, dict):
                return type(tree)(zip(keys, out))
            return type(tree)(out) if not hasattr(tree, "_fields") else type(tree)(*out)

        return [leaf for p in parts for leaf in p[0]], rebuild
    return [], lambda leaves: tree


def flatten_like(d, arg):
    """A structure ``d`` that matches ``arg`` (or has one value for a whole branch), flattened
    in the order ``flatten`` gives ``arg``'s leaves."""
    if isinstance(arg, Tensor):
        return [d]
    if isinstance(arg, (tuple, list, dict)):
        keys = list(arg.keys()) if isinstance(arg, dict) else range(len(arg))
        out = []
        for k in keys:
            out += flatten_like(d[k] if isinstance(d, (tuple, list, dict)) else d, arg[k])
        return out
    return []
