"""The Tensor class (glassnet/tensor/tensor.py): conversions (to, float, long...), shape
properties, item/numpy/tolist, the Python protocol (len, bool, iteration, format), clone and
contiguous, ``.data`` assignment and the legacy ``Tensor(...)`` constructor."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn


# ----------------------------------------------------------------------------- conversions
def test_conversions():
    x = gn.tensor([1.7, -1.7])
    assert x.long().dtype == gn.int64 and x.long().tolist() == [1, -1]
    assert x.double().dtype == gn.float64
    assert gn.tensor([1, 2]).float().dtype == gn.float32
    assert x.to(gn.float64).dtype == gn.float64
    assert x.to("cpu") is x and x.to(gn.float32) is x
    assert x.to(dtype=gn.int64).dtype == gn.int64
    assert x.to(gn.zeros(1, dtype=gn.float64)).dtype == gn.float64
    assert x.bool().tolist() == [True, True]
    assert x.int().dtype == gn.int32 and x.half().dtype == gn.float16
    assert x.type_as(gn.tensor([1])).dtype == gn.int64
    assert x.view(gn.float32) is x


def test_to_is_differentiable():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * 3).sum().backward()
    assert x.grad.dtype == gn.float32
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_shape_properties_and_len():
    x = gn.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert x.ndim == 3 and x.dim() == 3 and len(x) == 2 and x.numel() == 24
    assert gn.zeros(()).ndim == 0
    with pytest.raises(TypeError, match="len"):
        len(gn.tensor(1.0))
    assert gn.zeros(2).element_size() == 4 and gn.zeros(2, dtype=gn.float64).element_size() == 8


def test_item_numpy_tolist():
    x = gn.tensor([[1.5, 2.0]])
    assert x[0, 1].item() == 2.0 and isinstance(x[0, 1].item(), float)
    assert gn.tensor([3]).item() == 3 and isinstance(gn.tensor([3]).item(), int)
    assert x.tolist() == [[1.5, 2.0]]
    assert gn.tensor(2.5).tolist() == 2.5
    n = x.numpy()
    assert isinstance(n, np.ndarray) and n.dtype == np.float32
    with pytest.raises(RuntimeError, match="item"):
        x.item()
    r = gn.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        r.numpy()
    assert r.detach().numpy().tolist() == [1.0]
    assert np.asarray(gn.tensor([1, 2])).tolist() == [1, 2]


def test_python_protocol():
    assert bool(gn.tensor([1.0])) and not bool(gn.tensor(0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(gn.ones(2))
    assert float(gn.tensor(2.5)) == 2.5 and int(gn.tensor(3.7)) == 3
    assert [1, 2, 3][gn.tensor(1)] == 2
    rows = list(gn.tensor([[1, 2], [3, 4]]))
    assert len(rows) == 2 and rows[1].tolist() == [3, 4]
    assert f"{gn.tensor(0.12345):.2f}" == "0.12"
    t = gn.ones(2)
    assert {t: 1}[t] == 1  # tensors hash by identity


# ----------------------------------------------------------------------------- misc methods
def test_clone_contiguous_and_views():
    x = gn.arange(6).reshape(2, 3).float()
    c = x.clone()
    c._data[0, 0] = 9
    assert x[0, 0].item() == 0
    t = x.T
    assert not t.is_contiguous() and t.contiguous().is_contiguous()
    assert x.is_floating_point() and not gn.tensor([1]).is_floating_point()


def test_data_assignment_like_pytorch():
    import glassnet.nn as nn

    m = nn.Linear(3, 2)
    m.weight.data = gn.ones(2, 3)  # a Tensor: its array is shared
    m.bias.data = [1.0, 2.0]
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    np.testing.assert_array_equal(m(gn.ones(1, 3)).detach().numpy(), [[4.0, 5.0]])


def test_legacy_tensor_constructor():
    assert gn.Tensor([1, 2]).dtype == gn.float32 and gn.Tensor([1, 2]).tolist() == [1.0, 2.0]
    assert gn.Tensor(2, 3).shape == torch.Tensor(2, 3).shape and gn.Tensor(2, 3).dtype == gn.float32
    assert gn.Tensor().shape == (0,) and gn.Tensor(gn.Size([4, 1])).shape == (4, 1)
    assert gn.Tensor([[True]]).tolist() == torch.Tensor([[True]]).tolist()
    a = np.arange(3)
    assert gn.Tensor(a).dtype == np.int64  # arrays are wrapped as they are
    p = gn.nn.Parameter(gn.ones(2))
    assert p.requires_grad and p.dtype == gn.float32


def test_format_numeric_idioms():
    for v in [3, 2.5, True]:
        assert f"{gn.tensor(v)}" == f"{torch.tensor(v)}"
    loss = gn.tensor(0.25, requires_grad=True) * 2
    assert f"loss {loss}" == f"loss {torch.tensor(0.25, requires_grad=True) * 2}" == "loss 0.5"
    assert f"{gn.tensor(2.5):>8.2f}" == f"{torch.tensor(2.5):>8.2f}"
    assert f"{gn.tensor([1, 2])}" == "tensor([1, 2])"
    assert f"{gn.nn.Parameter(gn.tensor(2.0))}".startswith("Parameter containing:")


# ----------------------------------------------------------------------------- to(): every form
def test_to_positional_flags_other_tensor_and_memory_formats():
    x = gn.tensor([1.5, -2.0], requires_grad=True)
    t = torch.tensor([1.5, -2.0], requires_grad=True)
    cases = [
        lambda L, v: v.to("cpu", L.float64),
        lambda L, v: v.to("cpu", L.float64, False, True),
        lambda L, v: v.to(L.int32, False, True),
        lambda L, v: v.to(None, L.float64),
        lambda L, v: v.to(L.zeros(1, dtype=L.float64)),
        lambda L, v: v.to(L.zeros(1, dtype=L.int64), False, True),
        lambda L, v: v.to(device="cpu", dtype=L.float64, non_blocking=True, copy=True),
        lambda L, v: v.to(L.float32, memory_format=L.preserve_format),
        lambda L, v: v.float(memory_format=L.contiguous_format),
        lambda L, v: v.contiguous(memory_format=L.channels_last) if v.ndim == 4 else v.clone(
            memory_format=L.preserve_format),
    ]
    for case in cases:
        g, r = case(gn, x), case(torch, t)
        assert str(g.dtype) == str(r.dtype).replace("torch.", "")
        np.testing.assert_array_equal(g.detach().numpy(), r.detach().numpy())
        assert g.requires_grad == r.requires_grad
    assert x.to(gn.float32, copy=True) is not x and x.to(gn.float32) is x
    assert x.to("cpu", gn.float32, False, False) is x
    g = x.to("cpu", gn.float64, False, True)
    g.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="to"):
        x.to(gn.float32, False, True, True)
    assert repr(gn.channels_last) == "glassnet.channels_last"
    assert isinstance(gn.preserve_format, gn.memory_format)


def test_pin_memory_returns_the_tensor_on_the_cpu():
    import torch

    x = gn.arange(3.0)
    assert x.pin_memory() is x and not x.is_pinned()
    assert not torch.arange(3.0).is_pinned()
