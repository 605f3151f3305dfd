"""``glassnet.onnx``: export a model to ONNX, with ``torch.onnx``'s names.

    import glassnet as torch

    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    torch.onnx.export(model, (torch.randn(2, 4),), "model.onnx", input_names=["x"],
                      output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})

The model is traced: run once on ``args`` while every op it executes is recorded, and each op
becomes ONNX nodes (parameters and buffers become initializers named as in ``state_dict``).
Like PyTorch's tracer, the graph follows the run it saw: Python control flow is fixed by the
traced inputs, and values computed outside glassnet's ops (``x.shape[0]`` used as a number, a
NumPy computation) are constants. The ``onnx`` package is imported only when ``export`` is
called (``pip install glassnet[onnx]``); importing this module does not need it.

Supported: linear layers, convolutions (1-3 d, every option, transposed too), max/average
pooling (ceil_mode, count_include_pad, divisor_override), adaptive pooling, batch/layer/group/
instance norm, the activations, softmax/log-softmax, dropout, embedding, padding (all modes),
interpolate (every mode), reshapes, permutes, slicing, concatenation, reductions and the
pointwise maths, and LSTM/GRU/RNN layers. An op without a conversion raises
``glassnet.onnx.errors.UnsupportedOperatorError`` naming the op and the module that ran it.
"""

from glassnet.io.onnx_errors import OnnxExporterError
from glassnet.io.onnx_export import ONNXProgram, TrainingMode, export
from glassnet.io.onnx_trace import is_tracing as _is_tracing
from glassnet.onnx import errors


class OperatorExportTypes:
    """Accepted for compatibility: glassnet always exports standard ONNX operators."""

    ONNX = 0
    ONNX_ATEN = 1
    ONNX_ATEN_FALLBACK = 2
    ONNX_FALLTHROUGH = 3


def is_in_onnx_export() -> bool:
    """True while ``glassnet.onnx.export`` is tracing a model (as ``torch.onnx``'s)."""
    return _is_tracing()


__all__ = [
    "ONNXProgram",
    "OnnxExporterError",
    "OperatorExportTypes",
    "TrainingMode",
    "errors",
    "export",
    "is_in_onnx_export",
]
