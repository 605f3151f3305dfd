"""glassnet.mps answers as PyTorch does on a machine without a Metal GPU."""

import torch

import glassnet as gn


def test_mps_queries_match_pytorch_without_metal():
    assert gn.mps.is_available() is False and torch.backends.mps.is_available() is False
    assert gn.mps.device_count() == torch.mps.device_count() == 0
    assert gn.backends.mps.is_available() is False
    gn.mps.synchronize()
    gn.mps.empty_cache()
    assert gn.mps.current_allocated_memory() == 0


def test_mps_manual_seed_seeds_the_one_generator():
    gn.mps.manual_seed(3)
    a = gn.rand(4)
    gn.manual_seed(3)
    assert gn.equal(a, gn.rand(4))


def test_the_official_device_choice_idiom_picks_the_cpu():
    # the device choice of pytorch/examples' mnist before torch.accelerator
    for lib in (torch, gn):
        use_cuda, use_mps = lib.cuda.is_available(), lib.backends.mps.is_available()
        device = lib.device("cuda" if use_cuda else "mps" if use_mps else "cpu")
        assert str(device) == "cpu"
