"""The walk over the graph that both backward engines share (Kahn's algorithm, no recursion).

A node may run only after every node that feeds gradient into it has run, so that the gradient it
sees is already the sum over all paths. ``dependencies`` counts, for every node reachable from
the roots, the edges that point into it; ``order`` then lists the nodes so that each comes after
every node with an edge into it (Kahn's algorithm: a node is ready once its count has dropped to
zero; ready nodes are taken last in, first out, so a chain is walked depth first). The engines
then run the nodes in that order.

Edges are ``(node, output_nr)`` for an op's output, ``(leaf tensor, None)`` for a leaf and None
for an input that needs no gradient; only the first kind leads to further nodes.

``Node`` is what a ``grad_fn`` shows to code that walks the graph, as PyTorch's
``torch.autograd.graph.Node``: ``name()`` (``"MulBackward0"``), ``next_functions`` (one
``(node, output_nr)`` pair per input: the node that made it, an ``AccumulateGrad`` whose
``variable`` is the leaf, or ``(None, 0)`` for an input that needs no gradient) and
``metadata``, a dict that belongs to the node.
"""

from __future__ import annotations

import weakref


class Node:
    """A node of the backward graph, as PyTorch's ``torch.autograd.graph.Node``.

    Walking the graph from a loss, e.g. to print it::

        def walk(fn, depth=0):
            print("  " * depth + fn.name())
            for nxt, _ in fn.next_functions:
                if nxt is not None:
                    walk(nxt, depth + 1)

        walk(loss.grad_fn)
    """

    next_edges = ()

    def name(self) -> str:
        """The node's class name: ``"MulBackward0"`` for glassnet's ``Mul`` op, ``"MyFnBackward"``
        for a user's ``MyFn(Function)``, as PyTorch names them."""
        return type(self).__name__

    @property
    def next_functions(self):
        """``((node, output_nr), ...)``, one pair per input of the op: the node that computed the
        input, ``(AccumulateGrad, 0)`` for a leaf that requires grad, ``(None, 0)`` otherwise."""
        out = []
        for e in self.next_edges:
            if e is None:
                out.append((None, 0))
            elif e[1] is None:
                out.append((AccumulateGrad.of(e[0]), 0))
            else:
                out.append(e)
        return tuple(out)

    @property
    def metadata(self) -> dict:
        """A dict stored on the node, free for the user (PyTorch's ``Node.metadata``)."""
        d = self.__dict__.get("_metadata")
        if d is None:
            d = self.__dict__["_metadata"] = {}
        return d


class AccumulateGrad(Node):
    """The node at a leaf: its gradient is accumulated into ``variable.grad``.

    One per leaf while anything holds it (the leaf keeps a weak reference), so a walk that
    meets a leaf twice meets the same node, as in PyTorch.
    """

    def __init__(self, variable):
        self.variable = variable

    @classmethod
    def of(cls, leaf):
        ref = leaf.__dict__.get("_grad_accumulator")
        node = ref() if ref is not None else None
        if node is None:
            node = cls(leaf)
            leaf.__dict__["_grad_accumulator"] = weakref.ref(node)
        return node

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"  # PyTorch's exact name, which walkers test for

    def __repr__(self):
        return "<AccumulateGrad>"


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
        if t._data.dtype.kind == "c":
            raise RuntimeError(
                "backward: grad can be implicitly created only for real scalar outputs, but the "
                f"output has dtype {t._data.dtype}; reduce it to a real number first (e.g. "
                "z.abs().sum()) or pass gradient=")
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
        f"{node.op_name()}: trying to backward through the graph a second time (the saved arrays "
        "were freed after the first backward). Pass retain_graph=True to the first backward() "
        "if you need to backpropagate twice.")
