"""Helpers of the ONNX export tests: export a model, check it, run it with onnxruntime."""

from __future__ import annotations

import io

import numpy as np

import glassnet as gn


def export_bytes(model, args, **kw):
    """``glassnet.onnx.export`` into memory; returns the serialized model."""
    f = io.BytesIO()
    gn.onnx.export(model, args, f, **kw)
    return f.getvalue()


def check_and_session(data):
    """``onnx.checker`` (with shape inference) and an onnxruntime CPU session of ``data``."""
    import onnx
    import onnxruntime as ort

    onnx.checker.check_model(onnx.load_from_string(data), full_check=True)
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"])


def reference(model, *xs):
    with gn.no_grad():
        y = model(*xs)
    y = y[0] if isinstance(y, (tuple, list)) else y
    return y.numpy()


def roundtrip(model, shape, batches=(5,), rtol=1e-4, atol=1e-5, make=None, **kw):
    """Export ``model`` (eval mode) traced at ``shape`` with a dynamic batch axis, then compare
    onnxruntime with glassnet at the traced batch and at each of ``batches``."""
    make = make or (lambda s: gn.randn(*s))
    model.eval()
    data = export_bytes(model, (make(shape),), input_names=["x"], output_names=["y"],
                        dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, **kw)
    sess = check_and_session(data)
    for b in (shape[0],) + tuple(batches):
        x = make((b,) + tuple(shape[1:]))
        got = sess.run(None, {"x": x.numpy()})[0]
        np.testing.assert_allclose(got, reference(model, x), rtol=rtol, atol=atol)
    return data
