"""Graph maths: scatter reductions against PyTorch's ``scatter_reduce`` with ``include_self=False``
(what PyTorch Geometric uses), gather, self loops, degrees, dense adjacency, global pools, with
float64 gradient checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import TOL, assert_close, gradcheck
from nn_helpers import random_graph

import glassnet as gn
from glassnet import nn
from glassnet.nn.functional import graph as G


@pytest.mark.parametrize("reduce,torch_reduce", [("sum", "sum"), ("mean", "mean"),
                                                 ("max", "amax"), ("min", "amin")])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scatter_matches_torch_scatter_reduce(reduce, torch_reduce, dtype, rng):
    E, n = 30, 9                       # nodes 7 and 8 receive nothing
    idx = rng.integers(0, 7, E)
    src = np.round(rng.standard_normal((E, 3)), 1)  # rounded: ties for max / min
    gs = gn.tensor(src, dtype=dtype, requires_grad=True)
    ts = torch.tensor(src.astype(dtype), requires_grad=True)
    out = G.scatter(gs, gn.tensor(idx), 0, n, reduce)
    tout = torch.zeros(n, 3, dtype=ts.dtype).scatter_reduce(
        0, torch.tensor(idx)[:, None].expand(E, 3), ts, torch_reduce, include_self=False)
    rtol, atol = TOL[np.dtype(dtype)]
    assert_close(out, tout, rtol, atol)
    u = rng.standard_normal((n, 3))
    out.backward(gn.tensor(u, dtype=dtype))
    tout.backward(torch.tensor(u, dtype=ts.dtype))
    assert_close(gs.grad, ts.grad, rtol, atol, "gradient")


def test_scatter_other_dims_and_gather_gradcheck(rng):
    idx = rng.integers(0, 4, 6)
    x = rng.standard_normal((2, 6, 3))
    out = G.scatter(gn.tensor(x), idx, dim=1, dim_size=5)
    ref = np.zeros((2, 5, 3))
    for e, i in enumerate(idx):
        ref[:, i] += x[:, e]
    assert_close(out, ref, 1e-12, 1e-12)
    gradcheck(lambda s: G.scatter(s, idx, 1, 5, "mean"), [x])
    gradcheck(lambda s: G.gather(s, idx, 0), [rng.standard_normal((4, 3))])
    gradcheck(lambda s: G.scatter(s, idx, -2, 4, "max"), [rng.standard_normal((6, 2))])


def test_cached_grouping_sees_in_place_changes(rng):
    ei = random_graph(rng, 6)
    x = gn.tensor(rng.standard_normal((6, 2)))
    a = G.scatter(x[ei[0]], ei[1], 0, 6).numpy()
    ei[1] = (ei[1] + 1) % 6                     # same array, new targets
    b = G.scatter(x[ei[0]], ei[1], 0, 6).numpy()
    ref = np.zeros((6, 2))
    np.add.at(ref, ei[1], x.numpy()[ei[0]])
    assert_close(b, ref, 1e-12, 1e-12)
    assert not np.allclose(a, b)


def test_self_loops_degree_undirected_and_dense_adj():
    ei = np.array([[0, 1, 2, 2], [1, 2, 2, 0]])
    w = gn.tensor([1.0, 2.0, 5.0, 3.0])
    e2, w2 = G.add_remaining_self_loops(ei, w, fill_value=1.0, num_nodes=4)
    assert e2.numpy().tolist() == [[0, 1, 2, 0, 1, 2, 3], [1, 2, 0, 0, 1, 2, 3]]
    assert w2.numpy().tolist() == [1.0, 2.0, 3.0, 1.0, 1.0, 5.0, 1.0]   # node 2 keeps weight 5
    e3, w3 = G.add_self_loops(ei, w, num_nodes=3)
    assert e3.shape == (2, 7) and w3.numpy().tolist()[-3:] == [1.0, 1.0, 1.0]
    e4, w4 = G.remove_self_loops(ei, w)
    assert e4.numpy().tolist() == [[0, 1, 2], [1, 2, 0]] and w4.numpy().tolist() == [1, 2, 3]
    assert G.degree(ei[1], 4).numpy().tolist() == [1.0, 1.0, 2.0, 0.0]
    assert G.to_undirected(np.array([[0, 1], [1, 2]])).numpy().tolist() == \
        [[0, 1, 1, 2], [1, 0, 2, 1]]
    adj = G.to_dense_adj(ei).numpy()
    assert adj.shape == (1, 3, 3) and adj[0, 2, 2] == 1 and adj[0, 0, 1] == 1 and adj.sum() == 4


def test_global_pools(rng):
    x = rng.standard_normal((7, 3))
    batch = np.array([0, 0, 1, 1, 1, 2, 2])
    for fn, red in ((nn.global_add_pool, np.sum), (nn.global_mean_pool, np.mean),
                    (nn.global_max_pool, np.max)):
        out = fn(gn.tensor(x), gn.tensor(batch))
        ref = np.stack([red(x[batch == g], axis=0) for g in range(3)])
        assert_close(out, ref, 1e-12, 1e-12)
        assert_close(fn(gn.tensor(x)), red(x, axis=0, keepdims=True), 1e-12, 1e-12)
    gradcheck(lambda v: nn.global_mean_pool(v, batch), [x])


def test_stochastic_blockmodel_graph_is_undirected_without_loops():
    ei = G.stochastic_blockmodel_graph([5, 5], [[0.9, 0.05], [0.05, 0.9]]).numpy()
    assert (ei[0] != ei[1]).all()
    pairs = set(map(tuple, ei.T))
    assert all((b, a) in pairs for a, b in pairs)
