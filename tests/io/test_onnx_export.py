"""ONNX export of whole models: the zoo run by onnxruntime against glassnet, dynamic batch,
names, files, modes, constant folding, errors. Single layers are in test_onnx_layers.py."""

from __future__ import annotations

import io
import pathlib
import sys

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import onnx
from onnx_helpers import check_and_session, export_bytes, reference, roundtrip

import glassnet as gn
import glassnet.nn.functional as F
from glassnet import (
    models,
    nn,
)

ZOO = [("mlp", (2, 1, 28, 28)), ("lenet5", (2, 1, 28, 28)), ("lenet5-classic", (2, 1, 28, 28)),
       ("alexnet", (2, 1, 28, 28)), ("vgg11", (2, 1, 32, 32)), ("googlenet", (2, 1, 28, 28)),
       ("resnet20", (2, 3, 32, 32)), ("plain20", (2, 3, 32, 32)),
       ("autoencoder", (2, 1, 28, 28)), ("conv-autoencoder", (2, 1, 28, 28)),
       ("fashion-cnn", (2, 1, 28, 28))]


def _randomize_stats(model):
    """Non-trivial running statistics, so batch norm's export is really tested."""
    rng = np.random.default_rng(0)
    for m in model.modules():
        rm, rv = getattr(m, "running_mean", None), getattr(m, "running_var", None)
        if rm is not None and rv is not None:
            rm._data[...] = rng.normal(0, 0.1, rm.shape)
            rv._data[...] = rng.uniform(0.5, 1.5, rv.shape)


@pytest.mark.parametrize("name,shape", ZOO, ids=[z[0] for z in ZOO])
def test_zoo_model_matches_onnxruntime_with_dynamic_batch(name, shape):
    gn.manual_seed(0)
    model = models.get(name)
    _randomize_stats(model)
    roundtrip(model, shape, batches=(5,))


def test_names_initializers_and_symbolic_batch():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                          nn.Linear(4 * 6 * 6, 3))
    data = roundtrip(model, (2, 1, 8, 8))
    m = onnx.load_from_string(data)
    inits = {i.name for i in m.graph.initializer}
    assert {"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
            "4.weight", "4.bias"} <= inits
    assert [i.name for i in m.graph.input] == ["x"]
    assert [o.name for o in m.graph.output] == ["y"]
    dims = m.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and [d.dim_value for d in dims[1:]] == [1, 8, 8]
    assert m.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert m.opset_import[0].version == 17
    assert [n.op_type for n in m.graph.node] == ["Conv", "BatchNormalization", "Relu",
                                                 "Reshape", "Gemm"]


def test_path_str_path_and_file_object(tmp_path):
    model = nn.Linear(3, 2)
    x = gn.randn(4, 3)
    gn.onnx.export(model, (x,), str(tmp_path / "a.onnx"))
    gn.onnx.export(model, x, tmp_path / "b.onnx")
    with open(tmp_path / "c.onnx", "wb") as fh:
        gn.onnx.export(model, (x,), fh)
    blobs = [(tmp_path / n).read_bytes() for n in ("a.onnx", "b.onnx", "c.onnx")]
    assert blobs[0] == blobs[1] == blobs[2]
    sess = check_and_session(blobs[0])
    np.testing.assert_allclose(sess.run(None, {"input": x.numpy()})[0], reference(model, x),
                               rtol=1e-5, atol=1e-6)


class _Cumulative(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def forward(self, x):
        return self.fc(x).cumprod(1)


def test_unsupported_operator_names_op_and_module():
    model = nn.Sequential(nn.ReLU(), _Cumulative())
    with pytest.raises(gn.onnx.errors.UnsupportedOperatorError, match=r"Cumprod.*module '1'"):
        export_bytes(model, (gn.randn(2, 3),))
    assert issubclass(gn.onnx.errors.UnsupportedOperatorError, gn.onnx.OnnxExporterError)


def test_missing_onnx_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install glassnet\[onnx\]"):
        gn.onnx.export(nn.Linear(2, 2), (gn.randn(1, 2),), io.BytesIO())


def test_is_in_onnx_export_and_mode_restored():
    seen = []

    class Probe(nn.Module):
        def forward(self, x):
            seen.append((gn.onnx.is_in_onnx_export(), self.training))
            return x * 2

    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5), Probe())
    model.train()
    x = gn.randn(2, 3)
    data = export_bytes(model, (x,))
    assert seen == [(True, False)] and not gn.onnx.is_in_onnx_export()
    assert all(m.training for m in model.modules())  # PyTorch restores the mode after export
    model.eval()
    got = check_and_session(data).run(None, {"input": x.numpy()})[0]
    np.testing.assert_allclose(got, reference(model, x), rtol=1e-5, atol=1e-6)


def test_training_mode_exports_batch_statistics():
    model = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3))
    x = gn.randn(4, 2, 5, 5)
    data = export_bytes(model, (x,), training=gn.onnx.TrainingMode.TRAINING)
    model.train()
    with gn.no_grad():
        ref = model(x).numpy()
    got = check_and_session(data).run(None, {"input": x.numpy()})[0]
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-5)


def test_export_params_false_makes_parameters_inputs():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x = gn.randn(2, 3)
    data = export_bytes(model, (x,), export_params=False, input_names=["x"])
    m = onnx.load_from_string(data)
    assert not m.graph.initializer
    names = [i.name for i in m.graph.input]
    assert names == ["x", "0.weight", "0.bias", "2.weight", "2.bias"]
    feeds = {"x": x.numpy(), **{k: v.numpy() for k, v in model.state_dict().items()}}
    got = check_and_session(data).run(None, feeds)[0]
    np.testing.assert_allclose(got, reference(model.eval(), x), rtol=1e-5, atol=1e-6)


class _Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(gn.randn(4, 3))

    def forward(self, x):
        return x @ self.w.t() + (self.w * 2).sum()


@pytest.mark.parametrize("fold", [True, False])
def test_constant_folding(fold):
    model = _Tied()
    x = gn.randn(2, 3)
    data = export_bytes(model, (x,), do_constant_folding=fold)
    ops = [n.op_type for n in onnx.load_from_string(data).graph.node]
    assert ("Transpose" in ops) != fold
    sess = check_and_session(data)
    assert sess.get_inputs()[0].name == "x"  # forward's argument name, as PyTorch's default
    got = sess.run(None, {"x": x.numpy()})[0]
    np.testing.assert_allclose(got, reference(model, x), rtol=1e-5, atol=1e-5)


class _Masks(nn.Module):
    """Masks from comparisons and in-place updates must follow the input, not be baked in."""

    def forward(self, x):
        y = x.clone()
        y += 1
        F.relu(y, inplace=True)
        z = gn.where(x > 0.5, x, -x) + (x <= 0).float() * 3
        return y * z.masked_fill(x.abs() > 1.5, 0.0)


def test_comparisons_and_inplace_updates_stay_in_the_graph():
    roundtrip(_Masks(), (3, 4), batches=(6,))


class _TwoInTwoOut(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 2)

    def forward(self, x, y, scale=1.0):
        return self.a(x) * scale, gn.cat([x, y], dim=1).softmax(-1)


def test_several_inputs_outputs_and_kwargs():
    model = _TwoInTwoOut()
    x, y = gn.randn(2, 3), gn.randn(2, 5)
    data = export_bytes(model, (x, y, {"scale": 3.0}), output_names=["p", "q"],
                        dynamic_axes={"x": [0], "y": [0], "p": [0], "q": [0]})
    sess = check_and_session(data)
    assert [i.name for i in sess.get_inputs()] == ["x", "y"]
    x5, y5 = gn.randn(5, 3), gn.randn(5, 5)
    p, q = sess.run(None, {"x": x5.numpy(), "y": y5.numpy()})
    with gn.no_grad():
        rp, rq = model(x5, y5, scale=3.0)
    np.testing.assert_allclose(p, rp.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(q, rq.numpy(), rtol=1e-5, atol=1e-6)


def test_dynamo_program_and_dynamic_shapes(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.GELU())
    prog = gn.onnx.export(model, (gn.randn(2, 3),), dynamo=True,
                          dynamic_shapes={"input": {0: "batch"}})
    x = gn.randn(7, 3)
    np.testing.assert_allclose(prog(x)[0].numpy(), reference(model, x), rtol=1e-5, atol=1e-6)
    prog.save(tmp_path / "m.onnx")
    check_and_session((tmp_path / "m.onnx").read_bytes())
    assert gn.onnx.export(model, (x,), io.BytesIO(), dynamo=False) is None


@pytest.mark.parametrize("opset", [13, 17, 18, 20])
def test_opset_versions(opset):
    model = nn.Sequential(nn.Linear(4, 6), nn.LayerNorm(6), nn.GELU(approximate="tanh"),
                          nn.Mish(), nn.Unflatten(1, (2, 3)), nn.Upsample(scale_factor=2))
    data = roundtrip(model, (2, 4), opset_version=opset)
    assert onnx.load_from_string(data).opset_import[0].version == opset


def test_bad_opset_and_dynamic_axes_names():
    with pytest.raises(ValueError, match="opset_version"):
        export_bytes(nn.ReLU(), (gn.randn(2),), opset_version=7)
    with pytest.raises(ValueError, match="dynamic_axes names 'z'"):
        export_bytes(nn.ReLU(), (gn.randn(2),), dynamic_axes={"z": [0]})


class _FixedView(nn.Module):
    def forward(self, x):
        return x.view(2, 3)


def test_shape_that_cannot_follow_the_batch_warns():
    with pytest.warns(UserWarning, match="only correct for the traced"):
        data = export_bytes(_FixedView(), (gn.randn(2, 3),), input_names=["x"],
                            dynamic_axes={"x": [0]})
    check_and_session(data)


def test_export_to_pathlib_verbose(tmp_path, capsys):
    gn.onnx.export(nn.Sigmoid(), (gn.randn(2, 2),), pathlib.Path(tmp_path) / "s.onnx",
                   verbose=True)
    assert "Sigmoid" in capsys.readouterr().out
