"""Errors of ONNX export, as ``torch.onnx.errors``."""

from glassnet.io.onnx_errors import CheckerError, OnnxExporterError, UnsupportedOperatorError

__all__ = ["CheckerError", "OnnxExporterError", "UnsupportedOperatorError"]
