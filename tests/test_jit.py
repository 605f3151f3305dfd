"""glassnet.jit: TorchScript's decorators and queries for code that runs eagerly."""

from __future__ import annotations

import typing

import glassnet as gn


def test_script_trace_and_decorators_run_eagerly():
    @gn.jit.script
    def double(x):
        return x * 2

    @gn.jit.ignore
    def helper(x):
        return x + 1

    @gn.jit.unused(drop=True) if False else gn.jit.unused
    def unused(x):
        return x

    lin = gn.nn.Linear(2, 2)
    assert gn.jit.script(lin) is lin
    calls = []
    traced = gn.jit.trace(lambda x: calls.append(x) or x, gn.ones(2))
    assert len(calls) == 1 and traced(gn.zeros(1)).tolist() == [0.0]
    assert double(gn.ones(2)).tolist() == [2.0, 2.0] and helper(1) == 2 and unused(3) == 3
    assert gn.jit.export(helper) is helper and gn.jit.ignore(drop=True)(helper) is helper
    assert not gn.jit.is_scripting() and not gn.jit.is_tracing()
    assert gn.jit.annotate(list[int], []) == []
    assert gn.jit.Final is typing.Final
    assert gn.jit.wait(gn.jit.fork(lambda a: a + 1, 1)) == 2
    assert gn.jit.trace_module(lin, {"forward": gn.ones(1, 2)}) is lin
