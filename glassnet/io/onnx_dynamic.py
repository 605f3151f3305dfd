"""Dynamic axes: make the traced graph run for other sizes of the axes the user marked.

A trace sees one size of every axis, so shape constants (a Reshape's target, an Expand's
shape, a Slice's end) hold the traced batch size. To learn which entries follow the marked
axes, the model is traced a second time with those axes doubled, and the two graphs are
compared constant by constant:

* a Reshape target entry that changed and equals the input's size on the same axis in both
  runs becomes 0 ("copy that axis"); one other changed entry becomes -1 ("whatever is left");
* an Expand entry that changed where the input already has that size becomes 1 (keep it);
* a Slice end that changed and is the axis' full size becomes "to the end".

* a constant filled with one value (``zeros(x.shape[0], ...)``) whose shape changed becomes
  ConstantOfShape of a shape read from a graph input's matching axis.

Anything else that changed (a node attribute, a constant of another kind) cannot follow the
axis: the export keeps the traced value and warns, naming the op, as PyTorch's tracer does.
"""

from __future__ import annotations

import warnings

import numpy as np

from .onnx_graph import INT64_MAX


def _warn(origin, what):
    warnings.warn(f"{origin}: {what}; the exported graph is only correct for the traced size "
                  "of the dynamic axes", stacklevel=4)


def _resolve_reshape(a, b, info_a, info_b):
    out = a.copy()
    changed = [i for i in range(len(a)) if a[i] != b[i]]
    rest = []
    for i in changed:
        if i < len(info_a) and info_a[i] == a[i] and info_b[i] == b[i]:
            out[i] = 0
        else:
            rest.append(i)
    if len(rest) > 1:
        return None
    for i in rest:
        out[i] = -1
    return out


def _resolve_expand(a, b, info_a, info_b):
    out = a.copy()
    off = len(a) - len(info_a)
    for i in range(len(a)):
        if a[i] != b[i]:
            j = i - off
            if j < 0 or info_a[j] != a[i] or info_b[j] != b[i]:
                return None
            out[i] = 1
    return out


def _resolve_slice_ends(a, b, info_a, info_b):
    (shape_a, axes), (shape_b, _) = info_a, info_b
    out = a.copy()
    for k, ax in enumerate(axes):
        if a[k] != b[k]:
            if a[k] == shape_a[ax] and b[k] == shape_b[ax]:
                out[k] = INT64_MAX
            else:
                return None
    return out


_RESOLVE = {"reshape": _resolve_reshape, "expand": _resolve_expand,
            "slice_ends": _resolve_slice_ends}


def _same_array(x, y):
    return x.shape == y.shape and x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True)


def _uniform(x):
    return x.size > 0 and bool(np.all(x == x.flat[0]))


def _dynamic_fill(ga, gb, name, a, b):
    """Replace constant ``name`` (one repeated value) by ConstantOfShape(shape from inputs)."""
    from onnx import helper, numpy_helper

    if a.ndim != b.ndim or not (_uniform(a) and _uniform(b)) or a.flat[0] != b.flat[0]:
        return False
    parts = []
    for i, (sa, sb) in enumerate(zip(a.shape, b.shape)):
        if sa == sb:
            parts.append(np.asarray([sa], np.int64))
            continue
        src = next(((n, j) for n in ga.inputs for j, (da, db) in
                    enumerate(zip(ga.meta[n][0], gb.meta[n][0])) if (da, db) == (sa, sb)), None)
        if src is None:
            return False
        parts.append(src)
    pieces = []
    for p in parts:
        if isinstance(p, tuple):
            shp = ga.fresh(f"{name}_shape")
            ga.prelude.append(helper.make_node("Shape", [p[0]], [shp], name=ga.fresh("/Shape"),
                                               start=p[1], end=p[1] + 1))
            pieces.append(shp)
        else:
            pieces.append(ga.ints(p))
    shape = ga.fresh(f"{name}_dims")
    ga.prelude.append(helper.make_node("Concat", pieces, [shape], name=ga.fresh("/Concat"),
                                       axis=0))
    fill = numpy_helper.from_array(np.asarray([a.flat[0]], dtype=a.dtype), "value")
    ga.prelude.append(helper.make_node("ConstantOfShape", [shape], [name],
                                       name=ga.fresh("/ConstantOfShape"), value=fill))
    return True


def merge(ga, gb):
    """Fix graph ``ga``'s shape constants using ``gb`` (the same model traced with the dynamic
    axes doubled). Returns False when the two runs built different graphs."""
    if len(ga.nodes) != len(gb.nodes) or len(ga.consts) != len(gb.consts) or any(
            na.op_type != nb.op_type or list(na.input) != list(nb.input)
            for na, nb in zip(ga.nodes, gb.nodes)):
        warnings.warn("onnx.export: the model runs different operations when the dynamic "
                      "axes change size (control flow on shapes); the exported graph follows "
                      "the traced run and is only correct for its sizes", stacklevel=3)
        return False
    origin_of = {}
    for node, origin in zip(ga.nodes, ga.origins):
        for name in node.input:
            origin_of.setdefault(name, origin)
    for na, nb, origin in zip(ga.nodes, gb.nodes, ga.origins):
        if [a.SerializeToString() for a in na.attribute] != \
                [b.SerializeToString() for b in nb.attribute]:
            _warn(origin, f"the attributes of its {na.op_type} node depend on the size of a "
                          "dynamic axis")
    dropped = set()
    for ca, cb in zip(list(ga.consts), gb.consts):
        name, a, kind, info_a = ca
        _, b, _, info_b = cb
        if _same_array(a, b):
            continue
        origin = origin_of.get(name, "onnx.export")
        fix = _RESOLVE.get(kind)
        new = fix(a, b, info_a, info_b) if fix is not None and a.shape == b.shape else None
        if new is not None:
            ca[1] = new.astype(a.dtype)
        elif kind is None and _dynamic_fill(ga, gb, name, a, b):
            dropped.add(name)
        else:
            _warn(origin, "a constant it uses depends on the size of a dynamic axis")
    ga.consts = [c for c in ga.consts if c[0] not in dropped]
    return True
