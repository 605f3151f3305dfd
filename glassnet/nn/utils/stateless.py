"""Calling a module with other tensors in place of its parameters and buffers.

``functional_call(module, {"fc.weight": w, ...}, args)`` runs ``module(*args)`` as if the named
parameters and buffers were the given tensors, then puts the module's own back. The module is
used as a pure function of its weights: gradients flow to the tensors passed in, which is what
meta-learning (MAML's inner-loop weights), per-sample gradients and model ensembles need.
"""

from __future__ import annotations

from ...tensor import Tensor

__all__ = ["functional_call"]


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with the named parameters and buffers replaced.

    Args:
        module: the Module to call.
        parameter_and_buffer_dicts: a dict ``{dotted name: Tensor}`` (or a tuple of such dicts,
            whose keys must not overlap), as ``named_parameters()`` names them.
        args: a single argument or a tuple of positional arguments.
        kwargs: keyword arguments.
        tie_weights: a parameter shared under two names (tied embeddings) takes the given
            tensor under both when only one name is given (default True).
        strict: every parameter and buffer must be given, and no other name (default False).
    """
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, dict):
        dicts = (dicts,)
    given = {}
    for d in dicts:
        for k, v in d.items():
            if k in given:
                raise ValueError(f"functional_call: {k!r} appears in more than one of the "
                                 f"dicts given")
            given[k] = v
    slots = _slots(module)
    if strict:
        missing = sorted(set(slots) - set(given))
        unexpected = sorted(set(given) - set(slots))
        if missing or unexpected:
            raise RuntimeError(f"functional_call: with strict=True the dicts must name every "
                               f"parameter and buffer; missing {missing}, unexpected "
                               f"{unexpected}")
    if tie_weights:  # names of one shared tensor follow the one that was given
        by_id = {}
        for name, (owner, kind, attr) in slots.items():
            if name in given:
                by_id[id(getattr(owner, kind)[attr])] = given[name]
        for name, (owner, kind, attr) in slots.items():
            t = getattr(owner, kind)[attr]
            if name not in given and t is not None and id(t) in by_id:
                given[name] = by_id[id(t)]
    saved = []
    try:
        for name, value in given.items():
            if name in slots:
                owner, kind, attr = slots[name]
                table = getattr(owner, kind)
                saved.append((table, attr, table[attr]))
                table[attr] = value
            else:  # a plain attribute (not a registered parameter or buffer)
                owner, attr = _owner(module, name)
                saved.append((owner, attr, owner.__dict__.get(attr, _MISSING)))
                owner.__dict__[attr] = value
        if args is None:
            args = ()
        elif not isinstance(args, tuple):
            args = (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for table, attr, old in reversed(saved):
            if isinstance(table, dict):
                table[attr] = old
            elif old is _MISSING:
                table.__dict__.pop(attr, None)
            else:
                table.__dict__[attr] = old


_MISSING = object()


def _slots(module):
    """{dotted name: (owning module, "_parameters" or "_buffers", attribute)} for every
    parameter and buffer, shared ones under each of their names."""
    out = {}

    def visit(m, prefix, seen):
        if id(m) in seen:
            return
        seen.add(id(m))
        for kind in ("_parameters", "_buffers"):
            for k, t in getattr(m, kind).items():
                if t is None or isinstance(t, Tensor):
                    out[prefix + k] = (m, kind, k)
        for k, child in m._modules.items():
            if child is not None:
                visit(child, prefix + k + ".", seen)

    visit(module, "", set())
    return out


def _owner(module, name):
    *path, attr = name.split(".")
    for p in path:
        module = getattr(module, p)
    return module, attr
