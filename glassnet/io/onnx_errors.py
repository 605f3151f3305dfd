"""Errors raised by ONNX export (``glassnet.onnx.errors``, as ``torch.onnx.errors``)."""

from __future__ import annotations


class OnnxExporterError(RuntimeError):
    """An ONNX export failed."""


class UnsupportedOperatorError(OnnxExporterError):
    """The model runs an operator that has no ONNX conversion; the message names the operator
    and the module that ran it."""


class CheckerError(OnnxExporterError):
    """The exported model did not pass ``onnx.checker``."""


def require_onnx():
    """Import ``onnx``, or raise an ImportError that says how to install it."""
    try:
        import onnx
    except ImportError as e:  # pragma: no cover - exercised only without onnx
        raise ImportError("onnx.export needs the 'onnx' package, which is not installed; "
                          "install it with `pip install glassnet[onnx]` (or `pip install "
                          "onnx`)") from e
    return onnx
