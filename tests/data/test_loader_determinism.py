"""One seed, one run: the DataLoader's batches (shuffle and augmentation) and a training run
that also draws dropout masks are bit-identical whatever ``prefetch`` and ``num_workers`` are,
and a mid-epoch resume continues with exactly the batches of the uninterrupted run."""

import json
import threading

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.data import DataLoader, Dataset
from glassnet.data import transforms as T
from glassnet.data.datasets.base import ArrayDataset
from glassnet.data.loader import batch_generator
from glassnet.random import thread_generator

from ._util import arr

SETTINGS = [(0, 0), (2, 0), (4, 0), (0, 2), (2, 2), (4, 2)]  # (prefetch, num_workers)


def augment():
    return T.Compose([
        T.RandomCrop(8, padding=2),
        T.RandomHorizontalFlip(),
        T.RandomAffine(10, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=5),
        T.ElasticDeformation(alpha=2.0, sigma=2.0, p=0.5),
        T.ColorJitter(0.2, 0.2),
        T.GaussianNoise(0.05),
        T.RandomErasing(0.5),
    ])


def images(n=40):
    rs = np.random.default_rng(0)
    return rs.integers(0, 256, (n, 8, 8), dtype=np.uint8), rs.integers(0, 3, n)


class PerSample(Dataset):
    """PyTorch-style: one sample per ``__getitem__``, its transform and an extra draw from the
    default generator (``gn.rand``) inside; no batched access."""

    def __init__(self, n=40):
        self.x, self.y = images(n)
        self.transform = augment()

    def __getitem__(self, i):
        x = self.transform(self.x[i][None].astype(np.float32) / 255)
        return x + gn.rand(1).numpy().astype(np.float32) * 0.01, int(self.y[i])

    def __len__(self):
        return len(self.y)


def dataset(kind):
    if kind == "batched":  # the whole batch through one transform call
        return ArrayDataset(*images(), transform=augment())
    return PerSample()


def loader(kind, prefetch=0, num_workers=0, generator=None):
    return DataLoader(dataset(kind), batch_size=6, shuffle=True, prefetch=prefetch,
                      num_workers=num_workers, generator=generator)


def stream(dl, epochs=2):
    return [[arr(t).copy() for t in batch] for _ in range(epochs) for batch in dl]


def assert_same(a, b):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        for s, t in zip(u, v):
            np.testing.assert_array_equal(s, t)


@pytest.mark.parametrize("kind", ["batched", "per-sample"])
def test_batches_identical_for_every_prefetch_and_num_workers(kind):
    gn.manual_seed(7)
    ref = stream(loader(kind))
    ref_state = gn.get_rng_state()
    plain = ArrayDataset(*images()).inputs(np.arange(6))
    assert not np.array_equal(ref[0][0], plain)  # the augmentation did something
    for prefetch, workers in SETTINGS[1:]:
        gn.manual_seed(7)
        assert_same(stream(loader(kind, prefetch, workers)), ref)
        assert gn.get_rng_state() == ref_state  # the default generator moved the same way
    gn.manual_seed(8)
    other = stream(loader(kind, 2))
    assert not np.array_equal(other[0][0], ref[0][0])


def test_background_thread_leaves_the_default_generator_alone():
    gn.manual_seed(3)
    dl = loader("per-sample", prefetch=4)
    it = iter(dl)  # the thread starts building batches (drawing augmentation) now
    state = gn.get_rng_state()
    for _ in it:
        assert gn.get_rng_state() == state


def train(prefetch, num_workers):
    gn.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(32, 3))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    dl = loader("batched", prefetch, num_workers)
    for _ in range(2):
        for x, y in dl:
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
    return [p.detach().numpy().copy() for p in model.parameters()]


def test_training_with_dropout_and_augmentation_is_bit_identical():
    ref = train(0, 0)
    for prefetch, workers in SETTINGS[1:]:
        for a, b in zip(train(prefetch, workers), ref):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("explicit_generator", [False, True])
@pytest.mark.parametrize("stop_at", [0, 3, 6])
def test_mid_epoch_resume_gives_the_remaining_batches(explicit_generator, stop_at):
    def make(prefetch):
        g = gn.backend.Generator(11) if explicit_generator else None
        return loader("batched", prefetch=prefetch, generator=g)

    gn.manual_seed(5)
    full = stream(make(0), epochs=3)  # 3 epochs of 7 batches

    gn.manual_seed(5)
    first = make(2)
    it = iter(first)
    seen = [[arr(t).copy() for t in next(it)] for _ in range(stop_at)]
    state = json.loads(json.dumps(first.state_dict()))  # JSON-safe
    rng_state = gn.get_rng_state()
    del it

    gn.manual_seed(999)  # a fresh process: different global state until restored
    resumed = make(4)
    gn.set_rng_state(rng_state)
    resumed.load_state_dict(state)
    assert_same(seen + stream(resumed, epochs=1), full[:7])
    assert_same(stream(resumed, epochs=2), full[7:])


def test_transforms_outside_a_loader_follow_manual_seed():
    x = ArrayDataset(*images()).inputs(np.arange(4))
    t = augment()
    gn.manual_seed(1)
    a = t(x)
    gn.manual_seed(1)
    before = gn.get_rng_state()
    b = t(x)
    assert gn.get_rng_state() != before  # drawn from the default generator
    np.testing.assert_array_equal(a, b)
    gn.manual_seed(2)
    assert not np.array_equal(t(x), a)
    # an explicit generator is used as given
    c = T.RandomHorizontalFlip(generator=gn.backend.Generator(4))(x)
    d = T.RandomHorizontalFlip(generator=gn.backend.Generator(4))(x)
    np.testing.assert_array_equal(c, d)


def test_thread_generator_replaces_the_default_in_its_thread_only():
    x = ArrayDataset(*images()).inputs(np.arange(4))
    t = augment()
    gn.manual_seed(0)
    state = gn.get_rng_state()
    with thread_generator(batch_generator(123, 4)):
        a = t(x)
        with thread_generator(None):  # nested: the default generator again
            gn.rand(2)
        moved = gn.get_rng_state()
        seen = []
        th = threading.Thread(target=lambda: seen.append(gn.rand(1)))  # another thread
        th.start()
        th.join()
    assert moved != state and gn.get_rng_state() != moved
    with thread_generator(batch_generator(123, 4)):
        np.testing.assert_array_equal(t(x), a)
    with pytest.raises(TypeError, match="thread_generator"), \
            thread_generator(np.random.default_rng(0)):
        pass
