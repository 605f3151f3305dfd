"""Objects as a JSON graph plus arrays (glassnet/io/object_graph.py): the graph is plain JSON,
storage names follow the path to each array, shared arrays are stored once, and a malformed
graph is a CheckpointError when loading, never another exception."""

from __future__ import annotations

import json

import numpy as np
import pytest

import glassnet as gn
import glassnet.io as gio
from glassnet import nn
from glassnet.io import object_graph, safe_globals
from glassnet.io import tensor_file as tfmod


def _decode(graph, arrays, weights_only=True):
    def resolve(m, q):
        return safe_globals.resolve(m, q, weights_only)

    return object_graph.Decoder(arrays, resolve, lambda a, loc: a).load(graph)


def test_the_graph_is_json_and_storage_names_follow_the_path():
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    graph, arrays = object_graph.encode({"model": model, "sd": model.state_dict()})
    graph = json.loads(json.dumps(graph, allow_nan=False))
    # the model's arrays are stored under its module path; the state dict's entries share them
    assert sorted(arrays) == ["obj/model/0/bias", "obj/model/0/weight", "obj/model/1/bias",
                              "obj/model/1/num_batches_tracked", "obj/model/1/running_mean",
                              "obj/model/1/running_var", "obj/model/1/weight"]
    back = _decode(graph, arrays)
    assert np.shares_memory(back["sd"]["0.weight"].numpy(), back["model"][0].weight.detach().numpy())
    assert object_graph.globals_in(graph) == [
        ("glassnet.nn.modules.container", "Sequential"), ("glassnet.nn.modules.linear", "Linear"),
        ("glassnet.nn.parameter", "Parameter"),
        ("glassnet.nn.modules.batchnorm", "BatchNorm1d")]


def test_complex128_is_stored_as_float64_pairs():
    a = np.array([[1 + 2j, 3 - 4j]])
    graph, arrays = object_graph.encode(a)
    assert graph["complex128"] and arrays["obj"].dtype == np.float64
    assert arrays["obj"].shape == (1, 2, 2)
    back = _decode(graph, arrays)
    assert back.dtype == np.complex128 and np.array_equal(back, a)


def test_big_endian_and_non_contiguous_arrays():
    a = np.arange(12, dtype=">i4").reshape(3, 4)[:, ::2]
    back = _decode(*object_graph.encode(a))
    assert back.dtype == np.int32 and np.array_equal(back, a)


def _forged(tmp_path, graph, arrays=None):
    text = graph if isinstance(graph, str) else json.dumps(graph)
    data, _ = tfmod.encode(arrays or {"obj/w": np.ones(2, np.float32)}, {
        "glassnet_object": '{"version": 2, "object": ' + text + "}"})
    p = tmp_path / "forged.pt"
    p.write_bytes(bytes(data))
    return p


LINEAR = ["glassnet.nn.modules.linear", "Linear"]
MALFORMED = [
    {"$": "ref", "id": 3},
    {"$": "nope"},
    {"no kind": 1},
    [1, 2],
    {"$": "tensor", "id": 0, "data": "obj/missing", "device": "cpu", "requires_grad": False},
    {"$": "tensor", "id": 0, "data": "obj/w", "device": "tpu", "requires_grad": False},
    {"$": "tensor", "id": 0, "data": "obj/w", "device": "cpu", "requires_grad": 1},
    {"$": "tensor", "id": 0, "data": "obj/w", "device": "cpu", "requires_grad": False,
     "class": LINEAR},
    {"$": "tensor", "id": "x", "data": "obj/w", "device": "cpu", "requires_grad": False},
    {"$": "list", "id": 0, "items": [{"$": "list", "id": 0, "items": []}]},
    {"$": "object", "id": 0, "class": LINEAR, "state": 5},
    {"$": "object", "id": 0, "class": "glassnet.nn.Linear"},
    {"$": "object", "id": 0, "class": ["glassnet.nn.modules.linear", "NoSuchLayer"]},
    {"$": "object", "id": 0, "class": ["glassnet.no_such_module", "X"]},
    {"$": "dict", "id": 0, "items": [[{"$": "list", "id": 1, "items": []}, 1]]},
    {"$": "dict", "id": 0, "items": [[1]]},
    {"$": "scalar", "dtype": "U3", "v": 1},
    {"$": "scalar", "dtype": "float32", "v": "text"},
    {"$": "dtype", "name": "object"},
    {"$": "float", "v": "1e5"},
    {"$": "size", "items": [1.5]},
    {"$": "bytes", "data": "obj/w"},
    {"$": "enum", "class": LINEAR, "value": 1},
    {"$": "namedtuple", "id": 0, "class": LINEAR, "items": []},
    {"$": "ndarray", "id": 0, "data": "obj/w", "device": "cpu", "complex128": True},
    {"$": "range", "items": ["a"]},
    {"$": "sparse", "id": 0, "layout": "sparse_coo", "size": [2], "coalesced": False,
     "requires_grad": False, "device": "cpu", "indices": {"data": "obj/w"},
     "values": {"data": "obj/w"}},
    {"$": "sparse", "id": 0, "layout": "sparse_bsr", "size": [2], "coalesced": False,
     "requires_grad": False, "device": "cpu", "values": {"data": "obj/w"}},
    {"$": "sparse", "id": 0, "layout": "sparse_csr", "size": [1, 2], "coalesced": True,
     "requires_grad": False, "device": "cpu", "crow_indices": {"data": "obj/i"},
     "col_indices": {"data": "obj/i"}, "values": {"data": "obj/w"}},
    {"$": "list", "id": 0, "items": [{"$": "list", "id": 1, "items": []}] * 2},
]


@pytest.mark.parametrize("graph", MALFORMED, ids=[str(i) for i in range(len(MALFORMED))])
def test_a_malformed_graph_is_a_checkpoint_error(tmp_path, graph):
    p = _forged(tmp_path, graph, {"obj/w": np.ones(2, np.float32),
                                  "obj/i": np.array([0, 5], np.int64)})
    with pytest.raises(gio.CheckpointError, match="forged.pt"):
        gn.load(p, weights_only=False)


def test_a_deep_graph_is_a_checkpoint_error(tmp_path):
    n = 5000
    graph = "".join(f'{{"$": "list", "id": {i}, "items": [' for i in range(n)) + "1" + "]}" * n
    with pytest.raises(gio.CheckpointError, match="forged.pt"):
        gn.load(_forged(tmp_path, graph))


def test_what_cannot_be_found_by_name_is_refused_when_saving():
    class Local(nn.Module):
        pass

    with pytest.raises(TypeError, match=r"Local at 'obj/0'.*inside a function"):
        object_graph.encode([Local()])
    shadowed = type("Sequential", (), {"__module__": "glassnet.nn"})  # not what that name is
    with pytest.raises(TypeError, match=r"it is not the object named glassnet\.nn\.Sequential"):
        object_graph.encode({"x": shadowed()})
    with pytest.raises(TypeError, match=r"ufunc at 'obj/f'.*built-in type"):
        object_graph.encode({"f": np.tanh})


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
def test_sparse_tensors_and_sparse_parameters_round_trip(tmp_path):
    a = np.array([[0.0, 2.0, 0.0], [1.0, 0.0, 3.0]])
    model = nn.Module()
    model.adj = nn.Parameter(gn.tensor(a).to_sparse_csr())
    obj = {"coo": gn.tensor(a).to_sparse(), "csr": gn.tensor(a, dtype=gn.float32).to_sparse_csr(),
           "uncoalesced": gn.sparse_coo_tensor([[0, 0], [1, 1]], [1.0, 2.0], (2, 2)),
           "leaf": gn.tensor(a).to_sparse_csr().requires_grad_(), "model": model,
           "sd": model.state_dict()}
    graph, arrays = object_graph.encode(obj)
    json.dumps(graph, allow_nan=False)
    assert sorted(k for k in arrays if k.startswith("obj/csr")) == [
        "obj/csr/col_indices", "obj/csr/crow_indices", "obj/csr/values"]
    gn.save(obj, tmp_path / "sparse.pt")
    back = gn.load(tmp_path / "sparse.pt")
    for key in ("coo", "csr", "uncoalesced", "leaf"):
        assert back[key].layout is obj[key].layout and back[key].dtype == obj[key].dtype
        np.testing.assert_array_equal(back[key].detach().to_dense().numpy(),
                                      obj[key].detach().to_dense().numpy())
    assert not back["uncoalesced"].is_coalesced() and back["coo"].is_coalesced()
    assert back["leaf"].requires_grad and back["leaf"].is_leaf
    adj = back["model"].adj
    assert isinstance(adj, nn.Parameter) and adj.layout is gn.sparse_csr and adj.requires_grad
    assert [n for n, _ in back["model"].named_parameters()] == ["adj"]
    assert np.shares_memory(back["sd"]["adj"].values().numpy(), adj.detach().values().numpy())
