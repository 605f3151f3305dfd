"""Graph layers: GCNConv against D^-1/2 (A + I) D^-1/2 X W^T + b computed densely with NumPy, and
its gradients against the same dense formula in PyTorch (including the gradient with respect to
the edge weights, which flows through the degrees); permutation equivariance; a custom
MessagePassing layer; state_dict names and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import TOL, assert_close, gradcheck
from nn_helpers import random_graph

import glassnet as gn
from glassnet import nn


def dense_gcn_matrix(ei, n, w=None, improved=False, normalize=True, self_loops=True):
    """Â with Â[i, j] the weight of edge j -> i, self loops as gcn_norm adds them."""
    w = np.ones(ei.shape[1]) if w is None else np.asarray(w, dtype=np.float64)
    A = np.zeros((n, n))
    np.add.at(A, (ei[1], ei[0]), w)
    if self_loops:
        has = np.zeros(n, bool)
        has[ei[0][ei[0] == ei[1]]] = True
        A[np.arange(n), np.arange(n)] += np.where(has, 0.0, 2.0 if improved else 1.0)
    if not normalize:
        return A
    d = A.sum(1)
    dis = np.where(d > 0, 1 / np.sqrt(np.where(d > 0, d, 1)), 0)
    return dis[:, None] * A * dis[None, :]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("undirected,self_loops,weighted,improved", [
    (True, 0, False, False), (False, 0, False, False), (True, 3, True, False),
    (False, 2, True, True)])
def test_gcnconv_matches_dense_formula(dtype, undirected, self_loops, weighted, improved, rng):
    n = 9
    ei = random_graph(rng, n, undirected=undirected, self_loops=self_loops)
    w = rng.uniform(0.5, 2.0, ei.shape[1]) if weighted else None
    x = rng.standard_normal((n, 5))
    conv = nn.GCNConv(5, 4, improved=improved).to(dtype)
    conv.bias._data[...] = rng.standard_normal(4)
    out = conv(gn.tensor(x, dtype=dtype), gn.tensor(ei),
               None if w is None else gn.tensor(w, dtype=dtype))
    assert out.dtype == np.dtype(dtype) and out.shape == (n, 4)
    W, b = conv.lin.weight._data.astype(np.float64), conv.bias._data.astype(np.float64)
    ref = dense_gcn_matrix(ei, n, w, improved) @ x @ W.T + b
    rtol, atol = TOL[np.dtype(dtype)]
    assert_close(out, ref, rtol, atol)


def test_gcnconv_without_normalisation_is_plain_sum(rng):
    ei = random_graph(rng, 6, undirected=False)
    x = rng.standard_normal((6, 3))
    conv = nn.GCNConv(3, 2, normalize=False).double()
    ref = dense_gcn_matrix(ei, 6, normalize=False, self_loops=False) @ x @ conv.lin.weight._data.T
    assert_close(conv(gn.tensor(x), gn.tensor(ei)), ref, 1e-12, 1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gcnconv_gradients_match_torch_dense(dtype, rng):
    """x, lin.weight, bias and edge_weight gradients against the dense formula in PyTorch."""
    n = 8
    ei = random_graph(rng, n, undirected=False, self_loops=2)
    x, w = rng.standard_normal((n, 4)), rng.uniform(0.5, 2.0, ei.shape[1])
    conv = nn.GCNConv(4, 3).to(dtype)
    conv.bias._data[...] = rng.standard_normal(3)
    gx, gw = gn.tensor(x, dtype=dtype, requires_grad=True), gn.tensor(w, dtype=dtype,
                                                                      requires_grad=True)
    out = conv(gx, gn.tensor(ei), gw)

    td = torch.float64 if dtype == np.float64 else torch.float32
    tx, tw = torch.tensor(x, dtype=td, requires_grad=True), torch.tensor(w, dtype=td,
                                                                         requires_grad=True)
    W = torch.tensor(conv.lin.weight._data, requires_grad=True)
    b = torch.tensor(conv.bias._data, requires_grad=True)
    A = torch.zeros(n, n, dtype=td).index_put((torch.tensor(ei[1]), torch.tensor(ei[0])), tw,
                                              accumulate=True)
    has = torch.zeros(n, dtype=torch.bool)
    has[torch.tensor(ei[0][ei[0] == ei[1]])] = True
    A = A + torch.diag((~has).to(td))
    dis = A.sum(1) ** -0.5
    tout = dis[:, None] * A * dis[None, :] @ (tx @ W.T) + b
    rtol, atol = TOL[np.dtype(dtype)]
    assert_close(out, tout, rtol, atol, "output")
    u = rng.standard_normal(tuple(tout.shape))
    tout.backward(torch.tensor(u, dtype=td))
    out.backward(gn.tensor(u, dtype=dtype))
    for a, t, what in ((gx.grad, tx.grad, "x"), (gw.grad, tw.grad, "edge_weight"),
                       (conv.lin.weight.grad, W.grad, "lin.weight"), (conv.bias.grad, b.grad,
                                                                      "bias")):
        assert a.dtype == np.dtype(dtype)
        assert_close(a, t, rtol, atol, f"gradient of {what}")


def test_gcnconv_gradcheck(rng):
    ei = random_graph(rng, 6, undirected=False, self_loops=1)
    conv = nn.GCNConv(3, 2).double()
    gradcheck(lambda x, w: conv(x, gn.tensor(ei), w),
              [rng.standard_normal((6, 3)), rng.uniform(0.5, 2, ei.shape[1])])


def _layers():
    return [nn.GCNConv(4, 3), nn.GraphConv(4, 3), nn.GraphConv(4, 3, aggr="mean"),
            nn.GraphConv(4, 3, aggr="max"), nn.SAGEConv(4, 3), nn.SAGEConv(4, 3, aggr="max",
                                                                          normalize=True)]


@pytest.mark.parametrize("k", range(6))
def test_permutation_equivariance(k, rng):
    """Renumbering the nodes renumbers the outputs: f(P x, P edges) = P f(x, edges)."""
    layer = _layers()[k].double()
    n = 10
    ei = random_graph(rng, n, undirected=False, self_loops=2)
    x = rng.standard_normal((n, 4))
    perm = rng.permutation(n)          # new node a is old node perm[a]
    inv = np.argsort(perm)
    out = layer(gn.tensor(x), gn.tensor(ei)).detach().numpy()
    out_p = layer(gn.tensor(x[perm]), gn.tensor(inv[ei])).detach().numpy()
    assert_close(out_p, out[perm], 1e-12, 1e-12)


class EdgeDiffMax(nn.MessagePassing):
    """A custom layer: x'_i = max_j (x_j - x_i) * w_e, using x_i, x_j, a pass-through kwarg and
    the target ``index``."""

    def __init__(self):
        super().__init__(aggr="max")

    def forward(self, x, edge_index, scale):
        return self.propagate(edge_index, x=x, scale=scale)

    def message(self, x_i, x_j, scale, index):
        assert index.shape == (x_i.shape[0],)
        return (x_j - x_i) * scale


def test_message_passing_subclass(rng):
    ei = random_graph(rng, 7, undirected=False)
    x = rng.standard_normal((7, 2))
    out = EdgeDiffMax()(gn.tensor(x), gn.tensor(ei), 2.0).numpy()
    ref = np.zeros((7, 2))
    for i in range(7):
        src = ei[0][ei[1] == i]
        if src.size:
            ref[i] = ((x[src] - x[i]) * 2.0).max(0)
    assert_close(out, ref, 1e-12, 1e-12)
    assert repr(EdgeDiffMax()) == "EdgeDiffMax(aggr='max')"


def test_state_dict_names_and_errors():
    assert list(nn.GCNConv(3, 2).state_dict()) == ["bias", "lin.weight"]
    assert list(nn.GraphConv(3, 2).state_dict()) == ["lin_rel.weight", "lin_rel.bias",
                                                     "lin_root.weight"]
    assert list(nn.SAGEConv(3, 2).state_dict()) == ["lin_l.weight", "lin_l.bias", "lin_r.weight"]
    conv = nn.GCNConv(3, 2)
    with pytest.raises(RuntimeError, match="x has 4 features .* in_channels is 3"):
        conv(gn.randn(5, 4), gn.tensor([[0, 1], [1, 2]]))
    with pytest.raises(ValueError, match=r"edge_index must be an integer tensor of shape \(2, E\)"):
        conv(gn.randn(5, 3), gn.tensor([0, 1, 2]))
    with pytest.raises(IndexError, match="gather: index 7 is out of range for 5 nodes"):
        conv(gn.randn(5, 3), gn.tensor([[0, 7], [1, 2]]))
    with pytest.raises(ValueError, match="aggr must be"):
        nn.GraphConv(3, 2, aggr="median")
