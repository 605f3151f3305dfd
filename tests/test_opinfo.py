"""PyTorch's own operator database (OpInfo) against glassnet, for a fixed list of operators that
agree on every sample (forward values and gradients): ``benchmarks/opinfo.py`` runs the whole
database and writes ``benchmarks/OPINFO.md``; this keeps the ones listed here agreeing.
Skipped when torch's testing helpers (which need ``expecttest``) are not installed."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("expecttest")

from benchmarks import opinfo

# A few operators of each family, chosen to be quick (about 20 s in all, most of it loading
# PyTorch's database); each must pass every sample.
PASSING = [
    # pointwise and arithmetic
    "add", "sub", "mul", "div.no_rounding_mode", "pow", "abs", "exp", "log1p", "sigmoid",
    "atan2", "clamp", "where", "lerp", "frexp", "nextafter", "polygamma.polygamma_n_2",
    "digamma", "erfinv", "xlogy", "special.i1e",
    # reductions and scans
    "sum", "mean", "amax", "std", "logsumexp", "cumsum", "cummax", "quantile", "diff", "cov",
    "median",
    # masked reductions and normalisations (torch.masked)
    "masked.sum", "masked.amax", "masked.mean", "masked.var", "masked.softmax",
    "masked.logaddexp", "masked.cumprod",
    # shape and indexing
    "reshape", "permute", "flip", "movedim", "gather", "scatter", "scatter_add",
    "scatter_reduce.prod", "scatter_reduce.amax", "index_select", "index_add", "index_copy",
    "take_along_dim", "masked_fill", "masked_scatter", "nonzero", "unfold", "tensordot",
    "index_reduce.prod", "index_reduce.amax", "as_strided.partial_views", "as_strided_scatter",
    "histogramdd", "logcumsumexp",
    # conversions
    "to", "float", "bool", "contiguous",
    # linear algebra
    "matmul", "__rmatmul__", "linalg.svd", "linalg.qr", "linalg.matrix_norm", "linalg.det",
    "linalg.solve", "linalg.cholesky", "linalg.lu_factor", "lu_unpack",
    "linalg.householder_product", "linalg.ldl_factor",
    # nn.functional
    "softmax", "log_softmax", "nn.functional.softmin", "nn.functional.relu",
    "nn.functional.gelu", "nn.functional.conv2d", "nn.functional.avg_pool2d",
    "nn.functional.pad.reflect", "nn.functional.pad.circular", "nn.functional.pad.replicate",
    "nn.functional.interpolate.bilinear", "nn.functional.layer_norm",
    "nn.functional.cross_entropy", "nn.functional.prelu", "nn.functional.multi_margin_loss",
    "nn.functional.scaled_dot_product_attention", "nn.functional.grid_sample",
    "nn.functional.fractional_max_pool3d", "nn.functional.linear_cross_entropy",
    "native_layer_norm", "native_batch_norm", "svd_lowrank",
    # sparse CSR inputs
    "sparse.sampled_addmm", "sparse.mm.reduce",
]


@pytest.fixture(scope="module")
def database():
    tr, ops = opinfo.load(PASSING)
    return tr, {opinfo.full_name(op): op for op in ops}


@pytest.mark.parametrize("name", PASSING)
def test_opinfo_operator_agrees_with_pytorch(database, name):
    tr, ops = database
    assert name in ops, f"{name} is no longer a float32 CPU OpInfo of this PyTorch"
    result = opinfo.run_op(ops[name], tr)
    assert result["status"] == "pass", (
        f"{name}: {result['status']} ({result['passed']}/{result['total']} samples agree); "
        f"first problem: {result['problem']}")


# Complex numbers and FFT: float32 samples, and complex64 samples (``--dtype complex64``).
COMPLEX_PASSING = {
    "float32": ["fft.fft", "fft.rfft", "fft.irfftn", "fft.hfft2", "fft.fftshift", "polar",
                "complex", "view_as_complex", "angle", "stft", "linalg.eig"],
    "complex64": ["fft.ifft", "fft.fftn", "fft.irfft", "fft.hfftn", "view_as_real", "conj",
                  "real", "imag", "abs", "sgn", "angle", "linalg.eigvals"],
}


@pytest.mark.parametrize("dtype,name", [(d, n) for d, ns in COMPLEX_PASSING.items() for n in ns])
def test_complex_and_fft_operators_agree_with_pytorch(dtype, name):
    tr, ops = opinfo.load([name], dtype)
    (op,) = [op for op in ops if opinfo.full_name(op) == name]
    result = opinfo.run_op(op, tr)
    assert result["status"] == "pass", (
        f"{name} ({dtype}): {result['status']} ({result['passed']}/{result['total']} samples "
        f"agree); first problem: {result['problem']}")


def test_partial_views_keep_their_storage():
    """A sample that is a view of part of a larger buffer reaches glassnet as the same view of a
    copy of the whole buffer (what as_strided addresses)."""
    import torch

    tr, _ = opinfo.load([])
    base = torch.arange(20.0)
    for view in (base[5:15], base.reshape(4, 5)[1:, ::2], base.reshape(4, 5).t()):
        g = tr.value(view, {})
        assert g.storage_offset() == view.storage_offset()
        assert g.stride() == view.stride()
        np.testing.assert_array_equal(g.numpy(), view.numpy())


def test_known_wrong_pytorch_gradients_are_recognised():
    _, ops = opinfo.load(["as_strided_scatter", "add"])
    wrong = {opinfo.full_name(op): opinfo.torch_grad_known_wrong(op) for op in ops}
    assert wrong == {"as_strided_scatter": True, "add": False}


def test_every_exclusion_names_a_database_entry_glassnet_lacks():
    """The exclusion list stays true: each entry is an OpInfo of this PyTorch, and glassnet
    indeed does not provide it (an operator that exists is run, not excluded)."""
    from torch.testing._internal.common_methods_invocations import op_db

    names = {opinfo.full_name(op) for op in op_db}
    assert set(opinfo.EXCLUDED) <= names, sorted(set(opinfo.EXCLUDED) - names)
    tr, ops = opinfo.load(list(opinfo.EXCLUDED))
    for op in ops:
        result = opinfo.run_op(op, tr)
        assert result["status"] == "excluded", (opinfo.full_name(op), result["status"])
        assert result["problem"] == opinfo.EXCLUDED[opinfo.full_name(op)]
    assert opinfo.private("_softmax_backward_data") and not opinfo.private("softmax")
