"""``glassnet.accelerator`` (glassnet/accelerator.py): the device-agnostic GPU queries, against
PyTorch's ``torch.accelerator`` on the same machine, and the paths taken when a GPU is there
(exercised with CuPy's answers stood in for)."""

from __future__ import annotations

import pytest
import torch

import glassnet as gn
import glassnet.accelerator
from glassnet import accelerator, backend, cuda


def test_importable_both_ways():
    assert gn.accelerator is glassnet.accelerator is accelerator


def test_the_device_idiom_of_pytorch_examples():
    device = gn.accelerator.current_accelerator().type if gn.accelerator.is_available() \
        else "cpu"
    assert device == ("cuda" if gn.cuda.is_available() else "cpu")
    x = gn.ones(2, device=device)
    assert x.device.type == device


@pytest.mark.skipif(backend.cuda_is_available(), reason="the machine has a GPU")
def test_without_a_gpu_answers_as_torch_cpu_build():
    assert accelerator.is_available() is False == torch.accelerator.is_available()
    assert accelerator.current_accelerator() is None
    assert accelerator.current_accelerator(check_available=True) is None
    assert accelerator.device_count() == 0 == torch.accelerator.device_count()
    for name, args in (("current_device_index", ()), ("set_device_index", (0,)),
                       ("synchronize", ()), ("empty_cache", ()), ("memory_allocated", ())):
        with pytest.raises(RuntimeError) as theirs:
            getattr(torch.accelerator, name)(*args)
        with pytest.raises(RuntimeError) as ours:
            getattr(accelerator, name)(*args)
        assert str(ours.value) == str(theirs.value), name
    with pytest.raises(RuntimeError, match="none is available"), accelerator.device_index(0):
        pass
    with accelerator.device_index(None):  # None changes nothing, also without a GPU
        pass


def test_other_backends_are_not_available():
    assert gn.backends.mps.is_available() is False
    assert gn.backends.mps.is_built() is False
    assert gn.backends.cudnn.is_available() == gn.cuda.is_available()


@pytest.fixture
def two_gpus(monkeypatch):
    """CuPy's answers for a machine with two GPUs, GPU 0 current."""
    current = [0]
    monkeypatch.setattr(backend, "cuda_is_available", lambda: True)
    monkeypatch.setattr(cuda, "device_count", lambda: 2)
    monkeypatch.setattr(cuda, "current_device", lambda: current[0])
    monkeypatch.setattr(cuda, "set_device", lambda i: current.__setitem__(0, i))
    return current


def test_with_gpus_reports_cuda(two_gpus):
    assert accelerator.is_available()
    dev = accelerator.current_accelerator()
    assert dev.type == "cuda" and dev == gn.device("cuda:0") and dev.index == 0
    assert accelerator.device_count() == 2
    accelerator.set_device_index(1)
    assert accelerator.current_device_index() == 1 == accelerator.current_device_idx()
    accelerator.set_device_index("cuda:0")
    assert accelerator.current_device_index() == 0
    with accelerator.device_index(1):
        assert accelerator.current_device_index() == 1
    assert accelerator.current_device_index() == 0
    accelerator.set_device_idx(gn.device("cuda:1"))
    assert two_gpus == [1]


def test_with_gpus_rejects_bad_indices(two_gpus):
    with pytest.raises(RuntimeError, match="out of range"):
        accelerator.set_device_index(2)
    with pytest.raises(ValueError, match="not the accelerator's device type"):
        accelerator.set_device_index("cpu")
    with pytest.raises(TypeError, match="device index"):
        accelerator.set_device_index(1.5)
