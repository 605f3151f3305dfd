"""Shared helpers for the checkpoint and tensor-file tests (tests/io): small model and
optimiser states, a deep comparison, and byte-level damage to a file on disk."""

from __future__ import annotations

import json
import struct

import numpy as np

import glassnet as gn


def model_sd():
    return {"fc.weight": gn.tensor(np.arange(6, dtype=np.float32).reshape(2, 3)),
            "fc.bias": gn.tensor(np.array([0.5, -1.5], dtype=np.float32)),
            "bn.num_batches_tracked": gn.tensor(np.array(7, dtype=np.int64)),
            "emb.weight": gn.tensor(np.ones((3, 2), dtype=np.float64))}


def optim_sd():
    return {"state": {0: {"step": 3, "exp_avg": gn.tensor(np.full(3, 0.25, np.float32)),
                          "exp_avg_sq": np.arange(3, dtype=np.float32)},
                      1: {"step": 3, "momentum_buffer": None}},
            "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-8, "amsgrad": False,
                              "params": [0, 1], "initial_lr": float("inf"), "nan": float("nan"),
                              "f32": np.float32(1.25), "i64": np.int64(-4)}]}


def assert_same(a, b):
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b)
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif hasattr(a, "shape"):
        xa, xb = np.asarray(a), np.asarray(b)
        assert xa.dtype == xb.dtype and xa.shape == xb.shape and np.array_equal(xa, xb)
        assert type(a).__name__ == type(b).__name__
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b and type(a) is type(b)


def fc_sd():
    return {"fc.weight": gn.tensor(np.arange(12, dtype=np.float32).reshape(4, 3)),
            "fc.bias": gn.tensor(np.array([0.5, -1.5, 2.0, 3.0], dtype=np.float32))}


def flip_file(path, pos, bit=0):
    data = bytearray(path.read_bytes())
    data[pos] ^= 1 << bit
    path.write_bytes(bytes(data))


def tensor_span(path, name):
    """Absolute byte range of tensor ``name`` in a safetensors file."""
    data = path.read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    b, e = json.loads(data[8:8 + n])[name]["data_offsets"]
    return 8 + n + b, 8 + n + e
