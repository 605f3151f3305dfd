"""Dtypes as PyTorch names them (glassnet/tensor/dtypes.py): Size, finfo/iinfo, the
promotion queries, and the legacy typed tensor classes with their type names."""

from __future__ import annotations

import torch

import glassnet as gn


def test_size_dtype_and_limits():
    x = gn.zeros(2, 3)
    assert isinstance(x.shape, gn.Size) and isinstance(x.size(), tuple)
    assert x.shape == (2, 3) and x.size() == torch.zeros(2, 3).size()
    assert x.shape.numel() == 6 and isinstance(x.shape[1:], gn.Size) and x.shape[-1] == 3
    assert repr(x.shape) == "glassnet.Size([2, 3])" and x.size(1) == 3
    assert isinstance(x.shape + (4,), gn.Size) and gn.Size([2, 3]) == torch.Size([2, 3])
    assert isinstance(x.dtype, gn.dtype) and x.dtype == gn.float32 and x.dtype is gn.float32
    assert gn.tensor([1, 2]).dtype is gn.int64 and gn.tensor([1.0]).dtype is gn.float32
    assert gn.tensor([True]).dtype is gn.bool
    for d in ("float16", "float32", "float64"):
        g, t = gn.finfo(getattr(gn, d)), torch.finfo(getattr(torch, d))
        assert (g.eps, g.max, g.min, g.tiny, g.bits, g.resolution) == (
            t.eps, t.max, t.min, t.tiny, t.bits, t.resolution)
    assert gn.finfo().eps == torch.finfo().eps
    for d in ("uint8", "int8", "int16", "int32", "int64"):
        g, t = gn.iinfo(getattr(gn, d)), torch.iinfo(getattr(torch, d))
        assert (g.min, g.max, g.bits) == (t.min, t.max, t.bits)
    pairs = [("float32", "int64"), ("int32", "int64"), ("bool", "int8"), ("float16", "float64"),
             ("uint8", "int8"), ("bool", "bool")]
    for a, b in pairs:
        assert str(gn.promote_types(getattr(gn, a), getattr(gn, b))) == \
            str(torch.promote_types(getattr(torch, a), getattr(torch, b))).replace("torch.", "")
    for a, b in [(gn.tensor([1, 2]), 2.5), (gn.tensor([1.0]), gn.tensor(2.0, dtype=gn.float64)),
                 (gn.tensor([1], dtype=gn.int32), 5), (3, 4.0), (True, 2)]:
        ta = torch.tensor(a.numpy()) if isinstance(a, gn.Tensor) else a
        tb = torch.tensor(b.numpy()) if isinstance(b, gn.Tensor) else b
        assert str(gn.result_type(a, b)) == str(torch.result_type(ta, tb)).replace("torch.", "")
    assert gn.can_cast(gn.int64, gn.float32) and not gn.can_cast(gn.float32, gn.int64)


def test_legacy_tensor_types_and_type_names():
    assert gn.FloatTensor([1, 2]).dtype is gn.float32 and gn.LongTensor([1.7]).tolist() == [1]
    assert gn.FloatTensor(2, 3).shape == (2, 3)
    assert isinstance(gn.zeros(2, dtype=gn.int64), gn.LongTensor)
    assert not isinstance(gn.zeros(2), gn.LongTensor)
    x = gn.zeros(2)
    assert x.type() == "glassnet.FloatTensor" and x.type("torch.DoubleTensor").dtype is gn.float64
    assert x.type(gn.int32).dtype is gn.int32 and x.short().dtype is gn.int16
    assert x.byte().dtype is gn.uint8 and x.char().dtype is gn.int8
