"""ONNX export: ``glassnet.onnx.export(model, args, f, ...)`` with ``torch.onnx.export``'s
arguments.

The model is run once on ``args`` while every primitive op it executes is recorded
(onnx_trace.py); each record becomes ONNX nodes (its Function's ``to_onnx``, or the tables of
onnx_ops*.py for the primitive tensor ops); parameters and buffers become
initializers named as in ``state_dict``. ``dynamic_axes`` marks axes (usually the batch) as
symbolic, and a second run with those axes doubled tells which shape constants follow them
(onnx_dynamic.py). The graph is exported in the mode PyTorch would use: ``training=EVAL``
(the default) puts the model in eval mode for the trace (dropout off, batch norm with running
statistics) and restores each module's mode afterwards.
"""

from __future__ import annotations

import enum
import inspect
import io
import os

import numpy as np

from ..tensor import Tensor
from . import onnx_ops, onnx_ops_reduce, onnx_ops_shape  # noqa: F401  (converters of glassnet/ops)
from .onnx_dynamic import merge
from .onnx_errors import OnnxExporterError, require_onnx
from .onnx_graph import Graph, to_numpy
from .onnx_trace import run_traced, traced_input

DEFAULT_OPSET = 17
MIN_OPSET = 13


class TrainingMode(enum.IntEnum):
    """The mode a model is exported in (as ``torch.onnx.TrainingMode``)."""

    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


# ----------------------------------------------------------------------------- arguments
def _split_args(args, kwargs):
    if isinstance(args, (Tensor, np.ndarray)):
        args = (args,)
    args = tuple(args) if isinstance(args, (tuple, list)) else (args,)
    kwargs = dict(kwargs or {})
    if args and isinstance(args[-1], dict):  # PyTorch's (x, {"name": value}) convention
        kwargs.update(args[-1])
        args = args[:-1]
    args = tuple(Tensor(a) if isinstance(a, np.ndarray) else a for a in args)
    return args, kwargs


def _flatten(obj, out):
    if isinstance(obj, Tensor):
        out.append(obj)
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            _flatten(obj=o, out=out)
    elif isinstance(obj, dict):
        for o in obj.values():
            _flatten(obj=o, out=out)
    return out


def _default_input_names(model, n):
    fwd = getattr(model, "forward", model)
    try:
        params = [p.name for p in inspect.signature(fwd).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    names = params[:n] if len(params) >= n else []
    return names or [f"input_{i}" for i in range(n)]


def _normalize_dynamic(dynamic_axes, known):
    out = {}
    for key, axes in (dynamic_axes or {}).items():
        if key not in known:
            raise ValueError(f"onnx.export: dynamic_axes names {key!r}, which is neither an "
                             f"input nor an output name (names: {sorted(known)})")
        if isinstance(axes, dict):
            out[key] = {int(a): str(v) for a, v in axes.items()}
        else:
            out[key] = {int(a): f"{key}_dynamic_axes_{i + 1}" for i, a in enumerate(axes)}
    return out


def _dynamic_shapes(dynamic_shapes, input_names):
    """torch.export-style ``dynamic_shapes`` (per argument: {axis: name or Dim}) as
    dynamic_axes."""
    items = dynamic_shapes.items() if isinstance(dynamic_shapes, dict) else \
        zip(input_names, dynamic_shapes)
    out = {}
    for key, spec in items:
        if spec:
            out[key] = {int(a): (v if isinstance(v, str) else
                                 getattr(v, "__name__", f"{key}_dim{a}"))
                        for a, v in spec.items()}
    return out


# ----------------------------------------------------------------------------- modes
def _set_mode(model, training):
    """Put the model in the export mode; returns a function that restores every module."""
    mods = list(model.modules()) if hasattr(model, "modules") else []
    saved = [(m, m.training) for m in mods]
    if training == TrainingMode.EVAL and hasattr(model, "train"):
        model.train(False)
    elif training == TrainingMode.TRAINING and hasattr(model, "train"):
        model.train(True)

    def restore():
        for m, mode in saved:
            m.training = mode

    return restore


# ----------------------------------------------------------------------------- tracing
def _build(model, args, kwargs, names, opset, params, export_params, fold):
    """Trace the model on ``args`` and convert every record; returns (graph, outputs)."""
    traced = [traced_input(a) if isinstance(a, Tensor) else a for a in args]
    result, records = run_traced(model, traced, kwargs)
    outputs = _flatten(result, [])
    if not outputs:
        raise OnnxExporterError("onnx.export: the model returned no Tensor to export")
    g = Graph(opset, params, export_params, fold)
    k = 0
    for a in traced:
        if isinstance(a, Tensor):
            g.add_input(a, names[k])
            k += 1
    for rec in records:
        g.convert(rec)
    out_names = [g.value(o) for o in outputs]
    return g, outputs, out_names


def _param_map(model):
    params = {}
    for getter in ("named_parameters", "named_buffers"):
        fn = getattr(model, getter, None)
        if fn is None:
            continue
        for name, t in fn():
            if t is None:
                continue
            params.setdefault(id(t), (name, t))
            params.setdefault(id(t._data), (name, t))
    return params


def _doubled(args, input_names, dyn):
    """The inputs with every dynamic axis twice as long (the second trace)."""
    out = []
    k = 0
    for a in args:
        if not isinstance(a, Tensor):
            out.append(a)
            continue
        arr = a._data
        for axis in dyn.get(input_names[k], {}):
            arr = np.concatenate([arr, arr], axis=axis) if hasattr(arr, "shape") else arr
        out.append(Tensor._make(arr, False))
        k += 1
    return out


# ----------------------------------------------------------------------------- assembly
def _value_info(onnx, name, shape, dtype, dims):
    from onnx import helper

    elem = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    shp = [dims.get(i, s) for i, s in enumerate(shape)]
    return helper.make_tensor_value_info(name, elem, shp)


def _prune(nodes, origins, outputs):
    """Drop the nodes no output depends on (values computed by the model but not returned)."""
    needed = set(outputs)
    keep = []
    for node, origin in zip(reversed(nodes), reversed(origins)):
        if any(o in needed for o in node.output):
            keep.append(node)
            needed.update(i for i in node.input if i)
    return keep[::-1], needed


def _assemble(onnx, g, in_tensors, input_names, outputs, out_names, output_names, dyn, dyn_out,
              opset, keep_initializers_as_inputs):
    from onnx import helper, numpy_helper

    # outputs: rename the producing node's output, or add an Identity
    renames = {}
    produced = {o for n in g.nodes for o in n.output}
    final = []
    for i, (t, v) in enumerate(zip(outputs, out_names)):
        want = output_names[i] if i < len(output_names) else None
        if want is None:
            want = v if v in produced and v not in renames.values() and v not in final \
                else g.fresh("output" if len(outputs) == 1 else f"output_{i}")
        if v in produced and v not in renames and want not in produced:
            renames[v] = want
        elif v != want or want in final:
            g.nodes.append(helper.make_node("Identity", [renames.get(v, v)], [want],
                                            name=g.fresh("/Identity")))
            g.origins.append("output")
        final.append(want)
    for node in g.nodes:
        for j, name in enumerate(node.input):
            if name in renames:
                node.input[j] = renames[name]
        for j, name in enumerate(node.output):
            if name in renames:
                node.output[j] = renames[name]
    nodes, needed = _prune(g.prelude + g.nodes, [""] * len(g.prelude) + g.origins, final)
    needed.update(final)
    inits = [numpy_helper.from_array(np.asarray(a), name) for name, a in g.inits.items()
             if name in needed]
    inits += [numpy_helper.from_array(np.asarray(a), name) for name, a, _, _ in g.consts
              if name in needed]
    inputs = []
    for name, t in zip(input_names, in_tensors):
        inputs.append(_value_info(onnx, name, t.shape, t._data.dtype, dyn.get(name, {})))
    for name in g.param_inputs:
        shape, dtype = g.meta[name]
        inputs.append(_value_info(onnx, name, shape, dtype, {}))
    if keep_initializers_as_inputs:
        for init in inits:
            inputs.append(helper.make_tensor_value_info(init.name, init.data_type,
                                                        list(init.dims)))
    outs = []
    for name, t, auto in zip(final, outputs, dyn_out):
        dims = {**auto, **dyn.get(name, {})}
        outs.append(_value_info(onnx, name, t.shape, t._data.dtype, dims))
    graph = helper.make_graph(nodes, "main_graph", inputs, outs, inits)
    opsets = [helper.make_opsetid("", opset)]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="glassnet",
                              producer_version=_version())
    model.ir_version = helper.find_min_ir_version_for(opsets)
    return model


def _version():
    try:
        from .. import __version__
        return str(__version__)
    except ImportError:  # pragma: no cover
        return "0"


# ----------------------------------------------------------------------------- export
def export(model, args=(), f=None, *, kwargs=None, verbose=None, input_names=None,
           output_names=None, opset_version=None, dynamo=True, external_data=True,
           dynamic_shapes=None, custom_translation_table=None, report=False, optimize=True,
           verify=False, profile=False, dump_exported_program=False, artifacts_dir=".",
           export_params=True, keep_initializers_as_inputs=False, dynamic_axes=None,
           training=TrainingMode.EVAL, operator_export_type=None, do_constant_folding=True,
           custom_opsets=None, export_modules_as_functions=False, autograd_inlining=True,
           fallback=False):
    """Export ``model`` to ONNX by tracing it on ``args``; see ``glassnet.onnx.export``."""
    onnx = require_onnx()
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if not MIN_OPSET <= opset <= onnx.defs.onnx_opset_version():
        raise ValueError(f"onnx.export: opset_version must be between {MIN_OPSET} and "
                         f"{onnx.defs.onnx_opset_version()}, got {opset_version}")
    args, kwargs = _split_args(args, kwargs)
    in_tensors = [a for a in args if isinstance(a, Tensor)]
    names = list(input_names or [])
    defaults = _default_input_names(model, len(args))
    positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    names += [defaults[i] if i < len(defaults) else f"input_{i}" for i in positions[len(names):]]
    names = names[:len(in_tensors)]
    if dynamic_shapes is not None and dynamic_axes is None:
        dynamic_axes = _dynamic_shapes(dynamic_shapes, names)
    output_names = list(output_names or [])
    dyn = _normalize_dynamic(dynamic_axes, set(names) | set(output_names))
    params = _param_map(model)
    fold = bool(do_constant_folding) and export_params
    restore = _set_mode(model, TrainingMode(int(training)))
    try:
        g, outputs, out_names = _build(model, args, kwargs, names, opset, params,
                                       export_params, fold)
        dyn_out = [{} for _ in outputs]
        if any(n in dyn for n in names):
            try:
                gb, outs_b, _ = _build(model, _doubled(args, names, dyn), kwargs, names, opset,
                                       params, export_params, fold)
            except Exception as e:  # noqa: BLE001  (the model cannot run at the other size)
                import warnings
                warnings.warn(f"onnx.export: the model could not run with the dynamic axes "
                              f"resized ({type(e).__name__}: {e}); the exported graph is only "
                              "correct for the traced sizes", stacklevel=2)
            else:
                if merge(g, gb) and len(outs_b) == len(outputs):
                    for i, (ta, tb) in enumerate(zip(outputs, outs_b)):
                        nm = output_names[i] if i < len(output_names) else f"output_{i}"
                        dyn_out[i] = {ax: f"{nm}_dim_{ax}" for ax, (sa, sb) in
                                      enumerate(zip(ta.shape, tb.shape)) if sa != sb}
    finally:
        restore()
    model_proto = _assemble(onnx, g, in_tensors, names, outputs, out_names, output_names, dyn,
                            dyn_out, opset, keep_initializers_as_inputs)
    if verbose:
        print(onnx.printer.to_text(model_proto.graph))
    if f is not None:
        data = model_proto.SerializeToString()
        if isinstance(f, (str, os.PathLike)):
            with open(f, "wb") as fh:
                fh.write(data)
        elif hasattr(f, "write"):
            f.write(data)
        else:
            raise TypeError(f"onnx.export: f must be a path or a binary file object, got "
                            f"{type(f).__name__}")
    return ONNXProgram(model_proto) if dynamo else None


class ONNXProgram:
    """The exported model (``torch.onnx.ONNXProgram``'s basic interface): ``model_proto``,
    ``save(path)`` and calling it on Tensors through onnxruntime."""

    def __init__(self, model_proto):
        self.model_proto = model_proto
        self._session = None

    def save(self, destination, **kwargs):
        data = self.model_proto.SerializeToString()
        if isinstance(destination, (str, os.PathLike)):
            with open(destination, "wb") as fh:
                fh.write(data)
        else:
            destination.write(data)

    def optimize(self):
        return self

    def __call__(self, *args, **kwargs):
        import onnxruntime as ort

        if self._session is None:
            buf = io.BytesIO()
            self.save(buf)
            self._session = ort.InferenceSession(buf.getvalue(),
                                                 providers=["CPUExecutionProvider"])
        feeds = {i.name: to_numpy(a) for i, a in zip(self._session.get_inputs(), args)}
        feeds.update({k: to_numpy(v) for k, v in kwargs.items()})
        return [Tensor(o) for o in self._session.run(None, feeds)]
