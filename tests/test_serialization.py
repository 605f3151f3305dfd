"""glassnet.save / glassnet.load: torch.save-style checkpoints without pickle.

State dicts and checkpoint dicts; whole objects (a user's nn.Module subclass with tied weights,
an optimiser) rebuilt only from allowed classes, with PyTorch's weights_only rules and
safe-globals functions; map_location; files from before whole objects; PyTorch files refused.
"""

from __future__ import annotations

import enum
import io
import math
import os
import pickle
from collections import OrderedDict, defaultdict, namedtuple

import numpy as np
import pytest

import glassnet as gn
import glassnet.serialization as gs
from glassnet import nn
from glassnet.io import object_graph
from glassnet.io import tensor_file as tfmod
from glassnet.io.state import flatten_state


def _model():
    gn.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))


def _train_step(model, opt):
    x = gn.randn(8, 3)
    loss = model(x).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


def test_checkpoint_round_trip(tmp_path):
    model = _model()
    opt = gn.optim.Adam(model.parameters(), lr=0.01)
    loss = _train_step(model, opt)
    ckpt = {"epoch": 3, "model_state_dict": model.state_dict(),
            "optimizer_state_dict": opt.state_dict(), "loss": loss,
            "extras": (1, 2.5, None, True, "name", [gn.arange(3)], {7: "seven"}),
            "nan": float("nan"), "inf": -math.inf, "np": np.float32(1.5)}
    path = tmp_path / "ckpt.pt"
    gn.save(ckpt, path)
    back = gn.load(path)
    assert back["epoch"] == 3 and back["loss"] == loss
    assert back["extras"][:5] == (1, 2.5, None, True, "name")
    assert isinstance(back["extras"], tuple) and back["extras"][6] == {7: "seven"}
    assert back["extras"][5][0].tolist() == [0, 1, 2] and back["extras"][5][0].dtype is gn.int64
    assert math.isnan(back["nan"]) and back["inf"] == -math.inf
    assert back["np"] == np.float32(1.5) and back["np"].dtype == np.float32
    sd = back["model_state_dict"]
    assert list(sd) == list(model.state_dict())
    for k, v in model.state_dict().items():
        assert type(sd[k]) is gn.Tensor and not sd[k].requires_grad
        assert sd[k].dtype == v.dtype and np.array_equal(sd[k].numpy(), v.detach().numpy())
    st = back["optimizer_state_dict"]["state"]
    assert set(st) == set(opt.state_dict()["state"]) and all(isinstance(k, int) for k in st)
    assert back["optimizer_state_dict"]["param_groups"][0]["betas"] == (0.9, 0.999)

    # resuming gives exactly the run that never stopped
    model2 = _model()
    model2.load_state_dict(back["model_state_dict"])
    opt2 = gn.optim.Adam(model2.parameters(), lr=0.01)
    opt2.load_state_dict(back["optimizer_state_dict"])
    gn.manual_seed(5)
    a = _train_step(model, opt)
    gn.manual_seed(5)
    b = _train_step(model2, opt2)
    assert a == b


def test_state_dict_to_file_object_and_map_location():
    model = _model()
    buf = io.BytesIO()
    gn.save(model.state_dict(), buf)
    buf.seek(0)
    sd = gn.load(buf, map_location="cpu", weights_only=True)
    fresh = _model()
    fresh.load_state_dict(sd)
    buf.seek(0)
    sd2 = gn.load(buf, map_location=lambda storage, loc: storage)
    assert sd2.keys() == sd.keys()
    buf.seek(0)
    assert gn.load(buf, map_location={"cuda:0": "cpu"}).keys() == sd.keys()


@pytest.mark.parametrize("obj", [gn.tensor([[1.5, 2.0]]), gn.tensor(3), gn.zeros(0, 2),
                                 gn.tensor([True, False]), gn.ones(2, dtype=gn.float16),
                                 [gn.ones(2), gn.ones(2)], {"a": {"b": gn.ones(1)}}, 5, None])
def test_values_round_trip(obj):
    buf = io.BytesIO()
    gn.save(obj, buf)
    buf.seek(0)
    back = gn.load(buf)
    if isinstance(obj, gn.Tensor):
        assert back.dtype == obj.dtype and back.shape == obj.shape
        assert np.array_equal(back.numpy(), obj.numpy())
    elif isinstance(obj, list):
        assert all(np.array_equal(x.numpy(), y.numpy()) for x, y in zip(back, obj))
    elif isinstance(obj, dict):
        assert back["a"]["b"].tolist() == [1.0]
    else:
        assert back == obj


def test_parameter_stays_a_parameter_as_in_torch_and_is_written_atomically(tmp_path):
    torch = pytest.importorskip("torch")
    p = nn.Parameter(gn.ones(2))
    p.grad = gn.ones(2)
    path = tmp_path / "p.pt"
    gn.save({"w": p, "t": gn.ones(2, requires_grad=True), "d": p.detach()}, str(path))
    back = gn.load(str(path))
    tp = torch.nn.Parameter(torch.ones(2))
    tp.grad = torch.ones(2)
    buf = io.BytesIO()
    torch.save({"w": tp, "t": torch.ones(2, requires_grad=True), "d": tp.detach()}, buf)
    buf.seek(0)
    ref = torch.load(buf)
    for k, cls in [("w", nn.Parameter), ("t", gn.Tensor), ("d", gn.Tensor)]:
        assert type(back[k]) is cls and back[k].is_leaf and back[k].grad is None
        assert back[k].requires_grad == ref[k].requires_grad and ref[k].grad is None
    back["d"].add_(1.0)  # a detached tensor and its parameter still share memory, as in torch
    assert back["w"].tolist() == [2.0, 2.0]
    assert [f for f in os.listdir(tmp_path) if f.endswith(".tmp")] == []


def test_refuses_what_it_cannot_represent():
    class Thing:
        pass

    with pytest.raises(TypeError, match=r"Thing at 'obj/model'.*inside a function"):
        gn.save({"model": Thing()}, io.BytesIO())
    with pytest.raises(TypeError, match=r"function \S*<lambda> at 'obj/0': a lambda"):
        gn.save([lambda: 1], io.BytesIO())
    with pytest.raises(TypeError, match=r"Generator at 'obj/rng'.*built-in type"):
        gn.save({"rng": np.random.default_rng(0)}, io.BytesIO())
    with pytest.raises(TypeError, match=r"bound method"):
        gn.save({"f": _model().forward}, io.BytesIO())
    with pytest.raises(TypeError, match=r"object at 'obj/0'"):
        gn.save([np.array([object()])], io.BytesIO())


def test_keys_that_look_like_paths_are_kept_apart():
    buf = io.BytesIO()
    gn.save({"a/b": gn.ones(1), "a": {"b": gn.zeros(1)}}, buf)
    buf.seek(0)
    back = gn.load(buf)
    assert back["a/b"].tolist() == [1.0] and back["a"]["b"].tolist() == [0.0]


def test_corrupt_and_missing_files(tmp_path):
    path = tmp_path / "model.pt"
    gn.save({"w": gn.ones(100)}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(RuntimeError, match="model.pt"):
        gn.load(path)
    path.write_bytes(b"not a checkpoint at all")
    with pytest.raises(RuntimeError, match="model.pt"):
        gn.load(path)
    with pytest.raises(FileNotFoundError, match="nope.pt"):
        gn.load(tmp_path / "nope.pt")


def test_reads_glassnet_io_weight_files(tmp_path):
    model = _model()
    path = gn.io.save(model.state_dict(), tmp_path / "w.safetensors")
    sd = gn.load(path)
    _model().load_state_dict(sd)
    assert list(sd) == list(model.state_dict())


# ----------------------------------------------------------------------------- whole objects
def scaled_tanh(x):
    return gn.tanh(x) * 2


Pair = namedtuple("Pair", ["left", "right"])


class Colour(enum.Enum):
    RED = 1
    BLUE = 2


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(width, width)
        self.norm = nn.LayerNorm(width)

    def forward(self, x):
        return x + self.norm(self.fc(x)).relu()


class TiedNet(nn.Module):
    """Submodules (one a user class, nested in a ModuleList), buffers, a function attribute and
    an output layer tied to the embedding."""

    def __init__(self, vocab=7, width=6):
        super().__init__()
        self.embed = nn.Embedding(vocab, width)
        self.blocks = nn.ModuleList([Block(width), Block(width)])
        self.bn = nn.BatchNorm1d(width)
        self.out = nn.Linear(width, vocab, bias=False)
        self.out.weight = self.embed.weight            # tied weights
        self.register_buffer("scale", gn.full((width,), 0.5))
        self.register_buffer("scratch", gn.zeros(2), persistent=False)
        self.act = nn.functional.gelu
        self.config = {"vocab": vocab, "widths": (width, width), 3: None}

    def forward(self, tokens):
        h = self.act(self.embed(tokens)) * self.scale
        for block in self.blocks:
            h = block(h)
        return self.out(self.bn(h))


def _tied_net():
    gn.manual_seed(0)
    model = TiedNet()
    opt = gn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    tokens = gn.tensor([1, 4, 2, 6, 0])
    for _ in range(2):  # momentum buffers and batch-norm statistics away from their start
        opt.zero_grad()
        nn.functional.cross_entropy(model(tokens), gn.tensor([0, 1, 2, 3, 4])).backward()
        opt.step()
    return model, opt, tokens


@pytest.fixture(autouse=True)
def _no_safe_globals_left_behind():
    gs.clear_safe_globals()
    yield
    gs.clear_safe_globals()


def _saved(obj) -> io.BytesIO:
    buf = io.BytesIO()
    gn.save(obj, buf)
    buf.seek(0)
    return buf


def test_user_module_round_trip_same_outputs_and_tied_weights(tmp_path):
    model, _, tokens = _tied_net()
    path = tmp_path / "model.pt"
    gn.save(model, path)
    with gs.safe_globals([TiedNet, Block]):
        back = gn.load(path)
    assert type(back) is TiedNet and type(back.blocks[0]) is Block
    assert back.out.weight is back.embed.weight and type(back.out.weight) is nn.Parameter
    assert [n for n, _ in back.named_parameters()] == [n for n, _ in model.named_parameters()]
    assert all(p.requires_grad and p.is_leaf for p in back.parameters())
    assert list(back.state_dict()) == list(model.state_dict())  # "scratch" stays non-persistent
    assert back.act is nn.functional.gelu and back.config == model.config
    assert back.training and back.bn.num_batches_tracked.item() == 2
    for mode in ("train", "eval"):
        getattr(model, mode)()
        getattr(back, mode)()
        assert np.array_equal(model(tokens).detach().numpy(), back(tokens).detach().numpy())
    # the loaded model trains: one step on each gives the same weights
    for m in (model, back):
        m.train()
        m.zero_grad()
        m(tokens).sum().backward()
        with gn.no_grad():
            for p in m.parameters():
                p -= 0.1 * p.grad
    for (name, a), b in zip(model.state_dict().items(), back.state_dict().values()):
        assert np.array_equal(a.numpy(), b.numpy()), name


def test_unknown_class_is_refused_until_allowed():
    model, _, tokens = _tied_net()
    buf = _saved(model)
    with pytest.raises(pickle.UnpicklingError, match=r"test_serialization\.TiedNet") as err:
        gn.load(buf)
    msg = str(err.value)
    assert isinstance(err.value, gs.CheckpointError) and isinstance(err.value, RuntimeError)
    assert "Weights only load failed" in msg and "<BytesIO>" in msg
    assert "glassnet.serialization.add_safe_globals([test_serialization.TiedNet])" in msg
    assert "weights_only=False" in msg
    buf.seek(0)
    assert gs.get_unsafe_globals_in_checkpoint(buf) == ["test_serialization.TiedNet",
                                                        "test_serialization.Block"]
    # allowed for one block only
    buf.seek(0)
    with gs.safe_globals([TiedNet, Block]):
        assert gs.get_safe_globals() == [TiedNet, Block]
        assert type(gn.load(buf)) is TiedNet
    assert gs.get_safe_globals() == []
    # allowed for the process, then forgotten
    gs.add_safe_globals([TiedNet])
    buf.seek(0)
    with pytest.raises(gs.WeightsOnlyError, match=r"GLOBAL test_serialization\.Block"):
        gn.load(buf)  # each class is allowed by name: Block is still unknown
    gs.add_safe_globals([(Block, "test_serialization.Block")])
    buf.seek(0)
    assert type(gn.load(buf, weights_only=True)) is TiedNet
    gs.clear_safe_globals()
    buf.seek(0)
    with pytest.raises(gs.WeightsOnlyError):
        gn.load(buf)
    # weights_only=False: any importable class, still without pickle
    buf.seek(0)
    back = gn.load(buf, weights_only=False)
    back.eval()
    model.eval()
    assert np.array_equal(model(tokens).detach().numpy(), back(tokens).detach().numpy())


def test_torch_refuses_the_same_files_with_the_same_error_type():
    torch = pytest.importorskip("torch")

    class_buf = io.BytesIO()
    torch.save(torch.nn.Sequential(torch.nn.Linear(2, 2)), class_buf)
    class_buf.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="add_safe_globals"):
        torch.load(class_buf)  # torch refuses even its own layers; glassnet trusts its own
    with pytest.raises(pickle.UnpicklingError, match="add_safe_globals"):
        gn.load(_saved({"f": scaled_tanh}))
    assert type(gn.load(_saved(nn.Sequential(nn.Linear(2, 2))))) is nn.Sequential


def test_optimizer_objects_round_trip_and_resume_exactly():
    model, opt, tokens = _tied_net()
    with gs.safe_globals([TiedNet, Block]):
        back = gn.load(_saved({"model": model, "optimizer": opt, "epoch": 2}))
    m2, o2 = back["model"], back["optimizer"]
    assert type(o2) is gn.optim.SGD and back["epoch"] == 2
    assert o2.param_groups[0]["params"][0] is m2.embed.weight  # shared with the model
    assert o2.state_dict()["param_groups"] == opt.state_dict()["param_groups"]
    assert all(p in o2.state for p in m2.parameters())
    for m, o in ((model, opt), (m2, o2)):
        o.zero_grad()
        m(tokens).pow(2).mean().backward()
        o.step()
    for a, b in zip(model.parameters(), m2.parameters()):
        assert np.array_equal(a.detach().numpy(), b.detach().numpy())
    # a scheduler refers to its optimiser, which refers to the parameters
    sched = gn.optim.lr_scheduler.MultiStepLR(opt, milestones=[3, 5], gamma=0.5)
    back = gn.load(_saved([opt, sched]))
    assert back[1].optimizer is back[0] and back[1].milestones == sched.milestones


@pytest.mark.parametrize("obj", [
    {"od": OrderedDict(b=1, a=[2, (3,)]), "dd": defaultdict(list, {1: [gn.ones(1)]}),
     "set": {1, "x", (2, 3)}, "fs": frozenset({4}), "pair": Pair(gn.zeros(2), [None])},
    [1 + 2j, b"\x00bytes", bytearray(b"ba"), np.float32(-0.0), np.complex128(1 - 1j),
     np.int16(-3), np.bool_(True), slice(1, None, 2), range(0, 9, 3), Ellipsis],
    (gn.float64, gn.int8, gn.device("cpu"), gn.Size([2, 3]), gn.zeros(2, 3).shape, 2 ** 80),
    {"c128": np.array([1 + 2j, -3j]), "c64": np.array([[1j]], dtype=np.complex64),
     "u8": gn.tensor([255], dtype=gn.uint8), "f16": gn.ones(3, dtype=gn.float16), "np": np.arange(6.0).reshape(2, 3),
     "npview": np.arange(10)[::3], "empty": gn.zeros(0, 4), "scalar": gn.tensor(2.5)},
    {"fn": nn.functional.relu, "cls": nn.Linear, "builtin": dict, "flt": float("-inf")},
])
def test_containers_and_values_round_trip(obj):
    with gs.safe_globals([Pair]):
        back = gn.load(_saved(obj))
    assert _same(obj, back)


def _same(a, b):
    if isinstance(a, gn.Tensor):
        return (type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
                and a.requires_grad == b.requires_grad and np.array_equal(a.numpy(), b.numpy()))
    if isinstance(a, np.ndarray):
        return type(b) is np.ndarray and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, np.generic):
        return type(a) is type(b) and a == b and np.signbit(a.real) == np.signbit(b.real)
    if isinstance(a, dict):
        return (type(a) is type(b) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
                and getattr(a, "default_factory", None) is getattr(b, "default_factory", None))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return type(a) is type(b) and a == b


def test_shared_references_and_cycles_stay_shared():
    inner = [gn.ones(2)]
    t = gn.arange(3.0)
    obj = {"a": inner, "b": inner, "t": (t, t), "view": t.detach()}
    obj["self"] = obj
    back = gn.load(_saved(obj))
    assert back["a"] is back["b"] and back["self"] is back
    assert back["t"][0] is back["t"][1]
    back["view"].add_(1.0)  # t.detach() shares t's memory, and still does after loading
    assert back["t"][0].tolist() == [1.0, 2.0, 3.0]
    model = nn.Sequential(nn.Linear(2, 2))
    model.me = model  # a module that refers to itself
    back = gn.load(_saved(model))
    assert back.me is back


def test_user_classes_functions_namedtuples_enums_need_allowing():
    for obj, allow in [(scaled_tanh, scaled_tanh), (Pair(1, 2), Pair), (Colour.BLUE, Colour)]:
        buf = _saved({"x": obj})
        with pytest.raises(gs.WeightsOnlyError, match=allow.__qualname__):
            gn.load(buf)
        buf.seek(0)
        with gs.safe_globals([allow]):
            assert gn.load(buf)["x"] == obj
        buf.seek(0)
        assert gn.load(buf, weights_only=False)["x"] == obj


class Slotted:
    __slots__ = ("a", "b")


class WithState:
    def __init__(self):
        self.kept, self.cache = 1, [2]

    def __getstate__(self):
        return {"kept": self.kept}

    def __setstate__(self, state):
        self.__dict__.update(state, cache=["rebuilt"])


def test_getstate_setstate_and_slots_are_honoured_without_init():
    s = Slotted()
    s.a, s.b = gn.ones(1), "b"
    back = gn.load(_saved([s, WithState()]), weights_only=False)
    assert type(back[0]) is Slotted and back[0].b == "b" and back[0].a.tolist() == [1.0]
    assert back[1].__dict__ == {"kept": 1, "cache": ["rebuilt"]}


def test_a_forged_name_cannot_reach_past_glassnet(tmp_path):
    """A name under glassnet must be what glassnet defines under it: a module's imports (os,
    numpy) and glassnet's functions that write files are not rebuilt by default."""
    for name in (["glassnet.serialization", "os.system"], ["glassnet.backend", "np.load"],
                 ["glassnet.io.atomic", "atomic_write_bytes"], ["builtins", "eval"]):
        graph = {"$": "dict", "id": 0, "items": [["f", {"$": "global", "name": name}]]}
        p = _write_graph(tmp_path / "forged.pt", graph, {})
        with pytest.raises(gs.WeightsOnlyError, match="Unsupported global"):
            gn.load(p)


def _write_graph(path, graph, arrays, version=2):
    import json

    data, _ = tfmod.encode(arrays, {"glassnet_object": json.dumps(
        {"version": version, "object": graph})})
    path.write_bytes(bytes(data))
    return path


def test_map_location_moves_tensors_inside_objects(tmp_path):
    model, opt, _ = _tied_net()
    seen = []
    back = gn.load(_saved({"m": model, "o": opt}), weights_only=False,
                   map_location=lambda t, loc: seen.append(loc))  # None: the default place
    assert set(seen) == {"cpu"} and back["m"].out.weight is back["m"].embed.weight
    for loc in ("cpu", gn.device("cpu"), {"cuda:0": "cpu"}):
        back = gn.load(_saved(model), weights_only=False, map_location=loc)
        assert back.out.weight is back.embed.weight and back.embed.weight.device == gn.device("cpu")
    # a tensor saved on a GPU, loaded where there is none
    graph, arrays = object_graph.encode({"w": nn.Parameter(gn.ones(2))})
    graph["items"][0][1]["device"] = "cuda:0"
    p = _write_graph(tmp_path / "gpu.pt", graph, arrays)
    if not gn.cuda.is_available():
        with pytest.raises(RuntimeError, match=r"saved on cuda:0.*map_location='cpu'"):
            gn.load(p)
    got = []
    w = gn.load(p, map_location=lambda t, loc: got.append(loc) or t)["w"]
    assert got == ["cuda:0"] and type(w) is nn.Parameter
    for loc in ("cpu", {"cuda:0": "cpu"}, {"cuda": "cpu"}):
        assert gn.load(p, map_location=loc)["w"].device == gn.device("cpu")


def test_files_from_before_whole_objects_still_load(tmp_path):
    """Version 1 files (nested containers of tensors, as glassnet.save wrote them before)."""
    import json

    model = _model()
    ckpt = {"epoch": 1, "model": model.state_dict(), "opt": {0: {"betas": (0.9, 0.99)}},
            "np": np.float32(1.5)}
    skeleton, arrays = flatten_state(ckpt, "obj")
    data, _ = tfmod.encode(arrays, {"glassnet_object": json.dumps({"version": 1,
                                                                   "object": skeleton})})
    p = tmp_path / "old.pt"
    p.write_bytes(bytes(data))
    back = gn.load(p, map_location="cpu")
    assert back["epoch"] == 1 and back["opt"] == {0: {"betas": (0.9, 0.99)}}
    assert back["np"].dtype == np.float32
    _model().load_state_dict(back["model"])
    for k, v in model.state_dict().items():
        assert type(back["model"][k]) is gn.Tensor and np.array_equal(back["model"][k].numpy(),
                                                                      v.numpy())
    p2 = _write_graph(tmp_path / "future.pt", 5, {}, version=9)
    with pytest.raises(gs.CheckpointError, match="version 9"):
        gn.load(p2)


def test_a_torch_whole_model_file_gets_the_conversion_recipe(tmp_path):
    torch = pytest.importorskip("torch")
    p = tmp_path / "model.pt"
    torch.save(torch.nn.Sequential(torch.nn.Linear(3, 2)), p)
    with pytest.raises(gs.CheckpointError, match=r"model\.pt: this is a PyTorch file.*never "
                                                 r"unpickles"):
        gn.load(p, weights_only=False)


def test_whole_objects_without_the_safetensors_package(monkeypatch):
    monkeypatch.setattr(tfmod, "safetensors_available", lambda: False)
    model, opt, tokens = _tied_net()
    buf = _saved({"model": model, "opt": opt, "np": np.arange(3), "b": b"raw"})
    assert buf.getvalue()[:2] == b"PK"  # the .npz fallback
    calls = []
    with gs.safe_globals([TiedNet, Block]):
        back = gn.load(buf, map_location=lambda t, loc: calls.append(loc))
    model.eval()
    back["model"].eval()
    assert np.array_equal(model(tokens).detach().numpy(), back["model"](tokens).detach().numpy())
    assert back["opt"].param_groups[0]["params"][0] is back["model"].embed.weight
    assert back["b"] == b"raw" and type(back["np"]) is np.ndarray
    # once per stored tensor (a tied weight is one), never for the NumPy array
    n_tensors = len(list(model.parameters())) + len(list(model.buffers())) + len(opt.state)
    assert len(calls) == n_tensors == 27
