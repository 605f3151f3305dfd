"""Sparse COO against sparse CSR on a graph convolution: forward and backward, milliseconds.

A random graph (``--nodes`` nodes, ``--edges`` directed edges plus self loops, Kipf & Welling's
normalisation) and ``--features`` features. Measured, each the best of ``--repeat`` runs after
one warm-up, with SciPy's kernels (glassnet's default when SciPy is installed) and with the
NumPy fallback:

- ``propagate``: A_hat @ H and its backward (H and A_hat's values require grad), A_hat built
  once, as COO (the edges as they come) and as CSR;
- ``build``: turning (edge_index, weights) into the matrix, as COO (``sparse_coo_tensor``) and as
  CSR (``sparse_coo_tensor(...).to_sparse_csr()``, which sorts the edges);
- ``GCNConv``: the layer's forward and backward (it builds A_hat from ``edge_index`` on every
  call), as it is (COO) and with the matrix converted to CSR;
- PyTorch's ``torch.sparse.mm`` on its COO and CSR tensors, for reference.

Run: ``python -m benchmarks.bench_sparse [--nodes 10000] [--edges 100000] [--features 64]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def _best(fn, repeat):
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000 * min(times)


def graph(nodes, edges, seed=0):
    """Random directed edges plus self loops, normalised D^-1/2 (A + I) D^-1/2 as in GCNConv:
    (edge_index (2, E), weights (E,) float32)."""
    rng = np.random.default_rng(seed)
    src, dst = rng.integers(0, nodes, edges), rng.integers(0, nodes, edges)
    loops = np.arange(nodes)
    src, dst = np.concatenate([src, loops]), np.concatenate([dst, loops])
    deg = np.bincount(dst, minlength=nodes).astype(np.float32)
    w = (deg[src] ** -0.5) * (deg[dst] ** -0.5)
    return np.stack([dst, src]).astype(np.int64), w.astype(np.float32)


def run_glassnet(args, scipy):
    from glassnet.ops import sparse as SP

    found = SP._scipy_sparse
    if not scipy:
        SP._scipy_sparse = lambda: None
    try:
        return _glassnet(args)
    finally:
        SP._scipy_sparse = found


def _glassnet(args):
    import glassnet as gn
    from glassnet.nn.modules import graph as graph_layers

    gn.manual_seed(0)
    ind, w = graph(args.nodes, args.edges)
    rng = np.random.default_rng(1)
    h = gn.tensor(rng.standard_normal((args.nodes, args.features)).astype(np.float32),
                  requires_grad=True)
    weights = gn.tensor(w, requires_grad=True)
    n = args.nodes
    # Leaves, as GCNConv builds the matrix: COO as the edges come, CSR sorted by row.
    coo = gn.sparse_coo_tensor(ind, w, (n, n), requires_grad=True)
    csr = coo.detach().to_sparse_csr().requires_grad_()
    res = {}

    def prop(a):
        def step():
            h.grad = a.grad = None
            gn.sparse.mm(a, h).sum().backward()
        return step

    res["propagate COO"] = _best(prop(coo), args.repeat)
    res["propagate CSR"] = _best(prop(csr), args.repeat)
    res["build COO"] = _best(lambda: gn.sparse_coo_tensor(ind, weights, (n, n)), args.repeat)
    res["build CSR"] = _best(lambda: gn.sparse_coo_tensor(ind, weights, (n, n)).to_sparse_csr(),
                             args.repeat)

    layer = gn.nn.GCNConv(args.features, args.features)
    x = gn.tensor(rng.standard_normal((n, args.features)).astype(np.float32),
                  requires_grad=True)
    edge_index = gn.tensor(ind[::-1].copy())  # (source, target) rows, as PyG

    def conv():
        x.grad = None
        layer.zero_grad()
        layer(x, edge_index).sum().backward()

    res["GCNConv COO"] = _best(conv, args.repeat)
    original = graph_layers._propagation_matrix
    graph_layers._propagation_matrix = lambda *a: original(*a).to_sparse_csr()
    try:
        res["GCNConv CSR"] = _best(conv, args.repeat)
    finally:
        graph_layers._propagation_matrix = original
    return res


def run_torch(args):
    import torch

    torch.set_num_threads(1)
    ind, w = graph(args.nodes, args.edges)
    rng = np.random.default_rng(1)
    n = args.nodes
    h = torch.tensor(rng.standard_normal((n, args.features)).astype(np.float32),
                     requires_grad=True)
    weights = torch.tensor(w, requires_grad=True)
    coo = torch.sparse_coo_tensor(torch.tensor(ind), weights, (n, n)).coalesce().detach()
    csr = coo.to_sparse_csr()
    res = {}
    for name, a in (("COO", coo.requires_grad_()), ("CSR", csr.requires_grad_())):
        def step(a=a):
            h.grad = a.grad = None
            torch.sparse.mm(a, h).sum().backward()
        res[f"propagate {name}"] = _best(step, args.repeat)
    return res


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nodes", type=int, default=10_000)
    p.add_argument("--edges", type=int, default=100_000)
    p.add_argument("--features", type=int, default=64)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args(argv)
    import glassnet as gn

    gn.set_num_threads(1)
    print(f"graph: {args.nodes} nodes, {args.edges} edges + {args.nodes} self loops, "
          f"{args.features} features; best of {args.repeat}, ms, one thread")
    rows = {"glassnet + SciPy": run_glassnet(args, True)}
    rows["glassnet, NumPy only"] = run_glassnet(args, False)
    try:
        rows["PyTorch"] = run_torch(args)
    except ImportError:
        pass
    keys = list(rows["glassnet + SciPy"])
    print(f"{'':22s}" + "".join(f"{k:>16s}" for k in keys))
    for name, r in rows.items():
        print(f"{name:22s}" + "".join(f"{r[k]:16.1f}" if k in r else f"{'':16s}" for k in keys))


if __name__ == "__main__":
    main()
