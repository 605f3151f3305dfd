"""PyTorch's own operator database (OpInfo) against glassnet, for a fixed list of operators that
agree on every sample (forward values and gradients): ``benchmarks/opinfo.py`` runs the whole
database and writes ``benchmarks/OPINFO.md``; this keeps the ones listed here agreeing.
Skipped when torch's testing helpers (which need ``expecttest``) are not installed."""

from __future__ import annotations

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
    # conversions
    "to", "float", "bool", "contiguous",
    # linear algebra
    "matmul", "__rmatmul__", "linalg.svd", "linalg.qr", "linalg.matrix_norm", "linalg.det",
    "linalg.solve", "linalg.cholesky",
    # nn.functional
    "softmax", "log_softmax", "nn.functional.softmin", "nn.functional.relu",
    "nn.functional.gelu", "nn.functional.conv2d", "nn.functional.avg_pool2d",
    "nn.functional.pad.reflect", "nn.functional.pad.circular", "nn.functional.pad.replicate",
    "nn.functional.interpolate.bilinear", "nn.functional.layer_norm",
    "nn.functional.cross_entropy", "nn.functional.prelu", "nn.functional.multi_margin_loss",
    "nn.functional.scaled_dot_product_attention",
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
