"""The graph as PyTorch shows it: ``grad_fn.next_functions``, ``name()``, ``metadata`` and the
``AccumulateGrad`` nodes at leaves, so code that walks the graph from a loss runs unchanged.

Walks of the same graph in glassnet and in PyTorch visit the same node names in the same order
where glassnet's op names are PyTorch's (elementwise arithmetic, exp/log/tanh/sigmoid, sum,
mean, softmax, cat, stack, where...); the names that differ are listed in
docs/tensors-and-autograd.md.
"""

from __future__ import annotations

import numpy as np
import torch

import glassnet as gn
from glassnet.autograd.graph import AccumulateGrad, Node


def _walk(fn, out, seen, depth=0):
    """A torchviz-style walk: each node once, leaves through ``variable``, depth first."""
    if fn in seen:
        out.append(("  " * depth) + "(seen) " + fn.name())
        return out
    seen.add(fn)
    label = type(fn).__name__
    if hasattr(fn, "variable"):
        label += f"[{tuple(fn.variable.shape)}]"
    out.append(("  " * depth) + label)
    for nxt, nr in fn.next_functions:
        if nxt is not None:
            out.append(("  " * depth) + f" -> output {nr}")
            _walk(nxt, out, seen, depth + 1)
    return out


def _graph(lib):
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    w = lib.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    c = lib.tensor(rng.standard_normal((3, 4)))  # needs no gradient: (None, 0)
    y = (x * w + x.exp() - c) / 2
    z = lib.cat([y.tanh(), (w * c).sigmoid()], 0)
    s = lib.stack([z, lib.where(z > 0, z, -z)]).softmax(-1)
    loss = s.sum() + (y ** 2).mean() - (x * x).sum().neg()
    return loss, x, w


def test_a_walk_visits_the_same_nodes_as_in_pytorch():
    ours = _walk(_graph(gn)[0].grad_fn, [], set())
    theirs = _walk(_graph(torch)[0].grad_fn, [], set())
    assert ours == theirs
    assert len(ours) > 30


def test_next_functions_pairs_leaves_and_inputs_without_grad():
    for lib in (gn, torch):
        x = lib.ones(2, requires_grad=True)
        c = lib.ones(2)
        y = x * c
        (acc, nr), (none, nr2) = y.grad_fn.next_functions
        assert type(acc).__name__ == "AccumulateGrad" and acc.variable is x and nr == 0
        assert acc.next_functions == () and acc.name() == "torch::autograd::AccumulateGrad"
        assert none is None and nr2 == 0
        z = (y + 1) * y  # an intermediate twice: the same node both times
        (a, _), (b, _) = z.grad_fn.next_functions
        assert a.next_functions[0][0] is b
        sq = x * x  # a leaf twice: one AccumulateGrad while it is held
        assert sq.grad_fn.next_functions[0][0] is sq.grad_fn.next_functions[1][0]
        if lib is gn:
            assert isinstance(acc, AccumulateGrad) and isinstance(y.grad_fn, Node)


def test_name_metadata_and_repr_as_in_pytorch():
    for lib in (gn, torch):
        x = lib.ones(3, requires_grad=True)
        y = x * 2
        assert y.grad_fn.name() == type(y.grad_fn).__name__ == "MulBackward0"
        y.grad_fn.metadata["tag"] = 1
        assert y.grad_fn.metadata == {"tag": 1}
        assert (x + 1).grad_fn.metadata == {}
        assert "grad_fn=<MulBackward0>" in repr(y)
        assert x.grad_fn is None and y.detach().grad_fn is None


def test_private_op_names_lose_their_underscore():
    y = gn.nn.functional.relu(gn.ones(2, requires_grad=True))
    assert y.grad_fn.name() == "ReLUBackward0"  # PyTorch: ReluBackward0


def _two_outputs(lib):
    class Split2(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, ga, gb):
            return ga * 2 + gb * 3

    x = lib.ones(2, requires_grad=True)
    a, b = Split2.apply(x)
    return x, (b * 1 + a).grad_fn


def test_output_numbers_of_a_multi_output_function_and_custom_names():
    for lib in (gn, torch):
        x, fn = _two_outputs(lib)
        (mul, _), (split_a, nr_a) = fn.next_functions
        split_b, nr_b = mul.next_functions[0]
        assert split_a is split_b and (nr_a, nr_b) == (0, 1)
        assert type(split_a).__name__ == "Split2Backward"
        assert split_a.next_functions[0][0].variable is x


def test_the_graph_survives_backward():
    for lib in (gn, torch):
        x = lib.ones(2, requires_grad=True)
        loss = (x.exp() * 3).sum()
        loss.backward()
        # glassnet also lists (None, 0) for an op's non-tensor arguments (sum's dim, keepdim)
        assert [n.name() for n, _ in loss.grad_fn.next_functions if n] == ["MulBackward0"]
        exp = loss.grad_fn.next_functions[0][0].next_functions[0][0]
        assert exp.name() == "ExpBackward0" and exp.next_functions[0][0].variable is x
