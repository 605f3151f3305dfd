"""``import glassnet as torch`` (glassnet/_torch_namespace.py): PyTorch's everyday
top-level names exist, and the odds and ends among them (clone, is_nonzero, compile,
scalar_tensor, asarray, allclose, rsub...) behave as PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn


def test_everyday_names_exist():
    names = ["save", "load", "utils", "tril", "triu", "outer", "clone", "detach", "diag", "trace",
             "addmm", "baddbmm", "take_along_dim", "broadcast_to", "repeat_interleave", "tile",
             "meshgrid", "nan_to_num", "bincount", "histc", "cdist", "atan2", "hypot", "fmod",
             "remainder", "le", "lt", "ge", "gt", "eq", "ne", "logical_and", "logical_or",
             "logical_not", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor",
             "bitwise_not", "set_printoptions", "std_mean", "var_mean", "median", "mode",
             "kthvalue", "cummax", "cummin", "diff", "kron", "cross", "block_diag",
             "cartesian_prod", "combinations", "tensordot", "inner", "dstack", "column_stack",
             "searchsorted", "bucketize", "dtype", "Size", "promote_types", "result_type", "finfo",
             "iinfo", "linalg", "testing", "special", "cumprod", "logcumsumexp", "quantile",
             "nanmean", "nansum", "isin", "isclose", "allclose", "erfinv", "lgamma", "digamma",
             "pi", "inf", "nan", "compile", "no_grad", "inference_mode", "FloatTensor",
             "LongTensor", "get_num_threads", "set_num_threads", "use_deterministic_algorithms",
             "conv2d", "dropout", "layer_norm"]
    missing = [n for n in names if not hasattr(gn, n)]
    assert not missing, missing
    tensor_methods = ["item", "tolist", "numpy", "size", "dim", "view_as", "type_as", "new_zeros",
                      "new_ones", "new_full", "new_tensor", "new_empty", "masked_fill_",
                      "scatter_", "scatter_add_", "index_add_", "index_fill_", "index_copy_",
                      "clamp_", "uniform_", "normal_", "fill_", "zero_", "copy_", "add_", "mul_",
                      "float", "double", "long", "int", "bool", "half", "to", "cpu",
                      "is_contiguous", "contiguous", "stride", "storage_offset", "element_size",
                      "nelement", "ndimension", "apply_", "register_hook", "retain_grad",
                      "requires_grad_", "T", "mT", "H", "mH", "unfold", "expand", "expand_as",
                      "repeat", "all", "any", "argsort", "sort", "topk", "kthvalue", "median",
                      "chunk", "split", "unbind", "norm", "lerp", "addcmul", "addcdiv", "sign",
                      "sgn", "nbytes", "itemsize", "is_cpu", "retains_grad", "output_nr",
                      "get_device", "bernoulli_", "exponential_"]
    missing = [n for n in tensor_methods if not hasattr(gn.Tensor, n)]
    assert not missing, missing


def test_misc_top_level():
    x = gn.tensor([[1.0, 2.0]], requires_grad=True)
    assert gn.clone(x).requires_grad and not gn.detach(x).requires_grad
    assert gn.is_nonzero(gn.tensor([3])) and not gn.is_complex(x)
    assert gn.compile(lambda v: v + 1)(1) == 2
    assert gn.get_num_threads() >= 1
    assert gn.scalar_tensor(3).dtype is gn.float32 and gn.asarray(np.ones(2)).dtype is gn.float64
    arr = np.ones(3, np.float32)
    assert gn.asarray(arr)._data is arr
    assert gn.allclose(gn.tensor([1.0, 2.0]), gn.tensor([1.0, 2.0 + 1e-9]))
    assert gn.equal(gn.tensor([1, 2]), gn.tensor([1, 2]))
    assert gn.rsub(gn.tensor([1.0]), 5).tolist() == [4.0]
    y = gn.tensor([1.0, 2.0, 3.0])
    assert y.stride() == (1,) and y[::2].stride() == (2,) and y[1:].storage_offset() == 1
    assert gn.tensor([[1, 2], [3, 4]]).t().stride() == (1, 2)


COPIES = {
    "alias_copy": lambda L, x: L.alias_copy(x),
    "as_strided_copy": lambda L, x: L.as_strided_copy(x, (2, 2), (1, 2)),
    "diagonal_copy": lambda L, x: L.diagonal_copy(x, 1),
    "expand_copy": lambda L, x: L.expand_copy(x[:1], (3, 4)),
    "permute_copy": lambda L, x: L.permute_copy(x, (1, 0)),
    "squeeze_copy": lambda L, x: L.squeeze_copy(x[:1]),
    "t_copy": lambda L, x: L.t_copy(x),
    "transpose_copy": lambda L, x: L.transpose_copy(x, 0, 1),
    "unbind_copy": lambda L, x: L.unbind_copy(x, 1),
    "unfold_copy": lambda L, x: L.unfold_copy(x, 1, 2, 1),
    "unsqueeze_copy": lambda L, x: L.unsqueeze_copy(x, 1),
    "view_copy": lambda L, x: L.view_copy(x, (4, 3)),
    "split_with_sizes_copy": lambda L, x: L.split_with_sizes_copy(x, [1, 3], 1),
    "fill": lambda L, x: L.fill(x, 2.5),
    "fill_tensor": lambda L, x: L.fill(x, x[0, 0] * 3),
    "constant_pad_nd": lambda L, x: L.constant_pad_nd(x, (1, -1, 2, 0), 0.5),
    "rdiv": lambda L, x: x.__rdiv__(2.0),
}


@pytest.mark.parametrize("name", sorted(COPIES))
def test_view_copies_and_fill(name):
    """torch.<view>_copy returns new memory with the view's values and gradient."""
    import torch
    from helpers import check_parity, gradcheck

    x = np.random.default_rng(0).standard_normal((3, 4))
    check_parity(lambda t: COPIES[name](gn, t), lambda t: COPIES[name](torch, t), [x])
    gradcheck(lambda t: COPIES[name](gn, t), [x])
    if name.endswith("_copy") and name not in ("unbind_copy", "split_with_sizes_copy"):
        src = gn.tensor(x)
        out = COPIES[name](gn, src)
        out.view(-1)[0] = 123.0 if out.is_contiguous() else out.view(-1)[0]
        assert src.numpy().max() < 100  # a copy: writing to it leaves the input alone


def test_assert():
    gn._assert(True, "never")
    with pytest.raises(AssertionError, match="shape mismatch"):
        gn._assert(gn.tensor(False), "shape mismatch")


@pytest.mark.parametrize("nd", [2, 3])
def test_grid_sampler_takes_pytorch_s_integer_modes(nd):
    import torch

    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, 2) + (4,) * nd).astype(np.float32)
    grid = rng.uniform(-1.2, 1.2, size=(1,) + (3,) * nd + (nd,)).astype(np.float32)
    fn = f"grid_sampler_{nd}d"
    for mode in (0, 1):
        for pad in (0, 1, 2):
            ours = getattr(gn, fn)(gn.tensor(x), gn.tensor(grid), mode, pad, False)
            theirs = getattr(torch, fn)(torch.tensor(x), torch.tensor(grid), mode, pad, False)
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)
            generic = gn.grid_sampler(gn.tensor(x), gn.tensor(grid), mode, pad, False)
            np.testing.assert_array_equal(generic.numpy(), ours.numpy())
    with pytest.raises(RuntimeError, match="interpolation_mode"):
        gn.grid_sampler(gn.tensor(x), gn.tensor(grid), 7, 0, False)
