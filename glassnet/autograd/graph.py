"""The walk over the graph that both backward engines share (Kahn's algorithm, no recursion).

A node may run only after every node that feeds gradient into it has run, so that the gradient it
sees is already the sum over all paths. ``dependencies`` counts, for every node reachable from
the roots, the edges that point into it; ``order`` then lists the nodes so that each comes after
every node with an edge into it (Kahn's algorithm: a node is ready once its count has dropped to
zero; ready nodes are taken last in, first out, so a chain is walked depth first). The engines
then run the nodes in that order.

Edges are ``(node, output_nr)`` for an op's output, ``(leaf tensor, None)`` for a leaf and None
for an input that needs no gradient; only the first kind leads to further nodes.
"""

from __future__ import annotations


def dependencies(root_nodes):
    """{node: number of edges into it} for every node reachable from ``root_nodes``."""
    deps = {}
    stack = []
    for n in root_nodes:
        if n not in deps:
            deps[n] = 0
            stack.append(n)
    while stack:
        node = stack.pop()
        for e in node.next_edges:
            if e is None or e[1] is None:
                continue
            nxt = e[0]
            d = deps.get(nxt)
            if d is None:
                deps[nxt] = 1
                stack.append(nxt)
            else:
                deps[nxt] = d + 1
    return deps


def order(deps):
    """The nodes of ``deps`` in dependency order (the counts are used up: copy them first to
    keep them). Edges to nodes outside ``deps`` are ignored, so a pruned part of the graph can
    be ordered too."""
    ready = [n for n, d in deps.items() if d == 0]
    out = []
    while ready:
        node = ready.pop()
        out.append(node)
        for e in node.next_edges:
            if e is None or e[1] is None:
                continue
            nxt = e[0]
            d = deps.get(nxt)
            if d is None:
                continue
            deps[nxt] = d - 1
            if d == 1:
                ready.append(nxt)
    return out


def check_root(t, g):
    """The checks on one (output, gradient) pair that backward starts from (both engines):
    the output is in a graph, and the gradient is implicit only for a scalar output, else of the
    output's shape (``g`` is checked for its shape once it is an array or a Tensor)."""
    if not t.requires_grad:
        raise RuntimeError(
            "backward: element 0 of tensors does not require grad and does not have a grad_fn "
            "(did you forget requires_grad=True, or compute it under no_grad()?)")
    if g is None:
        if t._data.size != 1:
            raise RuntimeError(
                f"backward: grad can be implicitly created only for scalar outputs, but the "
                f"output has shape {tuple(t.shape)}; pass gradient= a tensor of that shape "
                "(e.g. y.backward(gn.ones_like(y))) or reduce it first (y.sum().backward())")
    elif hasattr(g, "shape") and tuple(g.shape) != tuple(t._data.shape):
        raise RuntimeError(f"backward: gradient has shape {tuple(g.shape)} but the output has "
                           f"shape {tuple(t._data.shape)}")


def freed_error(node):
    return RuntimeError(
        f"{node.name()}: trying to backward through the graph a second time (the saved arrays "
        "were freed after the first backward). Pass retain_graph=True to the first backward() "
        "if you need to backpropagate twice.")
