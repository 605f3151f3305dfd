"""Wrong calls on data loading, optimisers and state dicts: batch sizes of zero or less,
samplers that contradict other options, indices past a dataset's end, learning rates, betas and
momenta out of range, empty or overlapping parameter lists, state dicts with missing,
unexpected or wrongly shaped entries. Each raises PyTorch's exception type with a message
naming the argument and the value that came."""

import pytest

from ._catalogue import accepts_like_torch, case, raises_like_torch


def _ds(t, n=6):
    return t.utils.data.TensorDataset(t.arange(n, dtype=t.float32), t.arange(n))


def _params(t):
    return t.nn.Linear(2, 2).parameters()


def _overlapping_groups(t):
    lin = t.nn.Linear(2, 2)
    return t.optim.SGD([{"params": [lin.weight]}, {"params": [lin.weight, lin.bias]}], lr=0.1)


def _add_group_overlap(t):
    lin = t.nn.Linear(2, 2)
    opt = t.optim.SGD([lin.weight], lr=0.1)
    opt.add_param_group({"params": [lin.weight]})


def _optimizer_state_groups(t):
    a, b = t.nn.Linear(2, 2), t.nn.Linear(2, 2)
    one = t.optim.SGD(a.parameters(), lr=0.1)
    two = t.optim.SGD([{"params": [b.weight]}, {"params": [b.bias]}], lr=0.1)
    one.load_state_dict(two.state_dict())


def _load(t, state, strict=True, model=None):
    model = model or t.nn.Linear(4, 3)
    return model.load_state_dict(state, strict=strict)


def _state(t, **extra):
    s = {"weight": t.zeros(3, 4), "bias": t.zeros(3)}
    s.update(extra)
    return s


def _missing_key(t):
    s = _state(t)
    del s["bias"]
    return _load(t, s)


def _nested_missing(t):
    model = t.nn.Sequential(t.nn.Linear(4, 3), t.nn.ReLU(), t.nn.Linear(3, 2))
    s = model.state_dict()
    del s["2.weight"]
    return model.load_state_dict(s)


def _missing_non_strict(t):
    s = _state(t)
    del s["bias"]
    r = _load(t, s, strict=False)
    return [len(r.missing_keys), len(r.unexpected_keys)]


def _dataloader_batches(t, **kw):
    return [b[0] for b in t.utils.data.DataLoader(_ds(t, 5), **kw)]


CASES = [
    # data
    case("loader-batch-size-0", lambda t: t.utils.data.DataLoader(_ds(t), batch_size=0),
         r"batch_size", r"\b0\b"),
    case("loader-batch-size-negative", lambda t: t.utils.data.DataLoader(_ds(t), batch_size=-8),
         r"batch_size", r"-8"),
    case("loader-batch-size-float", lambda t: t.utils.data.DataLoader(_ds(t), batch_size=2.5),
         r"batch_size", r"2.5"),
    case("loader-sampler-and-shuffle", lambda t: t.utils.data.DataLoader(
        _ds(t), shuffle=True, sampler=t.utils.data.SequentialSampler(_ds(t))),
         r"sampler", r"shuffle"),
    case("loader-batch-sampler-and-batch-size", lambda t: t.utils.data.DataLoader(
        _ds(t), batch_size=4, batch_sampler=t.utils.data.BatchSampler(
            t.utils.data.SequentialSampler(_ds(t)), 2, False)),
         r"batch_sampler", r"batch_size"),
    case("loader-workers-negative", lambda t: t.utils.data.DataLoader(_ds(t), num_workers=-1),
         r"num_workers", r"negative|-1"),
    case("loader-timeout-negative", lambda t: t.utils.data.DataLoader(_ds(t), timeout=-1),
         r"timeout", r"negative|-1"),
    case("batch-sampler-size-0", lambda t: t.utils.data.BatchSampler(range(4), 0, False),
         r"batch_size", r"\b0\b"),
    case("batch-sampler-drop-last", lambda t: t.utils.data.BatchSampler(range(4), 2, "yes"),
         r"drop_last", r"yes"),
    case("random-sampler-num-samples", lambda t: t.utils.data.RandomSampler(_ds(t),
                                                                            num_samples=0),
         r"num_samples", r"\b0\b"),
    case("random-sampler-replacement", lambda t: t.utils.data.RandomSampler(_ds(t),
                                                                            replacement=1),
         r"replacement", r"\b1\b"),
    case("weighted-sampler-num-samples", lambda t: t.utils.data.WeightedRandomSampler(
        [0.5, 0.5], num_samples=-1), r"num_samples", r"-1"),
    case("tensor-dataset-sizes", lambda t: t.utils.data.TensorDataset(t.ones(3), t.ones(4)),
         r"size|mismatch|tensor", r"\b3\b|\b4\b"),
    case("tensor-dataset-index", lambda t: _ds(t)[6], r"index", r"\b6\b"),
    case("subset-index", lambda t: t.utils.data.Subset(_ds(t), [0, 9])[1], r"index", r"\b9\b"),
    case("random-split-lengths", lambda t: t.utils.data.random_split(_ds(t), [2, 2]),
         r"length|sum", r"\b6\b|\b4\b|input"),
    case("concat-dataset-index", lambda t: t.utils.data.ConcatDataset([_ds(t), _ds(t)])[12],
         r"index|range", r"12|length"),
    # optimisers
    case("sgd-lr-negative", lambda t: t.optim.SGD(_params(t), lr=-1.0), r"learning rate|lr",
         r"-1"),
    case("sgd-momentum-negative", lambda t: t.optim.SGD(_params(t), lr=0.1, momentum=-0.5),
         r"momentum", r"-0.5"),
    case("sgd-weight-decay-negative", lambda t: t.optim.SGD(_params(t), lr=0.1,
                                                            weight_decay=-1e-4),
         r"weight_decay", r"-0.0001"),
    case("sgd-nesterov-no-momentum", lambda t: t.optim.SGD(_params(t), lr=0.1, nesterov=True),
         r"nesterov", r"momentum"),
    case("adam-beta1", lambda t: t.optim.Adam(_params(t), betas=(1.0, 0.999)),
         r"beta", r"1.0"),
    case("adam-beta2-negative", lambda t: t.optim.Adam(_params(t), betas=(0.9, -0.1)),
         r"beta", r"-0.1"),
    case("adam-eps-negative", lambda t: t.optim.Adam(_params(t), eps=-1e-8), r"eps", r"-1e-08"),
    case("adam-lr-negative", lambda t: t.optim.Adam(_params(t), lr=-0.001), r"learning rate|lr",
         r"-0.001"),
    case("adamw-beta1", lambda t: t.optim.AdamW(_params(t), betas=(1.5, 0.999)), r"beta",
         r"1.5"),
    case("rmsprop-alpha", lambda t: t.optim.RMSprop(_params(t), alpha=-0.9), r"alpha", r"-0.9"),
    case("rmsprop-momentum", lambda t: t.optim.RMSprop(_params(t), momentum=-0.1), r"momentum",
         r"-0.1"),
    case("adagrad-lr-decay", lambda t: t.optim.Adagrad(_params(t), lr_decay=-1.0), r"lr_decay",
         r"-1"),
    case("adadelta-rho", lambda t: t.optim.Adadelta(_params(t), rho=1.5), r"rho", r"1.5"),
    case("sgd-empty-params", lambda t: t.optim.SGD([], lr=0.1), r"empty", r"param"),
    case("adam-empty-generator", lambda t: t.optim.Adam(iter([])), r"empty", r"param"),
    case("sgd-tensor-not-iterable", lambda t: t.optim.SGD(t.nn.Linear(2, 2).weight, lr=0.1),
         r"params|iterable", r"Tensor"),
    case("sgd-groups-overlap", _overlapping_groups, r"more than one parameter group"),
    case("add-param-group-overlap", _add_group_overlap, r"more than one parameter group"),
    case("optimizer-state-groups", _optimizer_state_groups, r"parameter groups", r"\b2\b",
         r"\b1\b"),
    # state dicts
    case("state-dict-missing-key", _missing_key, r"Missing key", r"bias"),
    case("state-dict-nested-missing", _nested_missing, r"Missing key", r"2\.weight"),
    case("state-dict-unexpected-key", lambda t: _load(t, _state(t, extra=t.ones(1))),
         r"Unexpected key", r"extra"),
    case("state-dict-wrong-shape", lambda t: _load(t, _state(t, weight=t.zeros(3, 5))),
         r"size mismatch|shape", r"weight", r"3, 5", r"3, 4"),
    case("state-dict-wrong-shape-non-strict",
         lambda t: _load(t, _state(t, bias=t.zeros(4)), strict=False), r"size mismatch|shape",
         r"bias", r"\[4\]|\(4,\)", r"\[3\]|\(3,\)"),
    case("state-dict-not-a-dict", lambda t: _load(t, [("weight", t.zeros(3, 4))]),
         r"state_dict|dict", r"list"),
]

ACCEPTED = [
    pytest.param(_missing_non_strict, id="state-dict-missing-non-strict"),
    pytest.param(lambda t: _dataloader_batches(t, batch_size=2), id="loader-last-short-batch"),
    pytest.param(lambda t: _dataloader_batches(t, batch_size=10), id="loader-batch-above-len"),
    pytest.param(lambda t: _dataloader_batches(t, batch_size=2, drop_last=True),
                 id="loader-drop-last"),
    pytest.param(lambda t: _ds(t)[-1][0], id="tensor-dataset-negative-index"),
    pytest.param(lambda t: [len(s) for s in t.utils.data.random_split(_ds(t), [0.5, 0.5])],
                 id="random-split-fractions"),
    pytest.param(lambda t: t.optim.SGD(_params(t), lr=0.0).param_groups[0]["lr"],
                 id="sgd-lr-zero"),
]


@pytest.mark.parametrize("call, patterns", CASES)
def test_wrong_call_raises_like_pytorch(call, patterns):
    raises_like_torch(call, patterns)


@pytest.mark.parametrize("call", ACCEPTED)
def test_call_pytorch_accepts_gives_its_result(call):
    accepts_like_torch(call)


def test_a_missing_data_folder_is_named(tmp_path, monkeypatch):
    """No PyTorch equivalent here (torchvision's datasets): glassnet's own error names the
    folder that was given and every folder it searched."""
    from glassnet.data.datasets import MNIST, DatasetNotFoundError

    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("HOME", str(tmp_path))
    missing = tmp_path / "no-such-folder"
    with pytest.raises(DatasetNotFoundError) as e:
        MNIST(root=str(missing), download=False)
    assert isinstance(e.value, FileNotFoundError)
    assert "MNIST" in str(e.value) and str(missing) in str(e.value)
    assert "train-images-idx3-ubyte" in str(e.value)
