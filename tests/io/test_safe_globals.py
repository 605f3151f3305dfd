"""What weights_only loading may rebuild (glassnet/io/safe_globals.py): PyTorch's
add_safe_globals / get_safe_globals / clear_safe_globals / safe_globals, checked against
torch.serialization's behaviour, and the rules for names under glassnet."""

from __future__ import annotations

import pickle
from collections import OrderedDict

import numpy as np
import pytest

import glassnet.serialization as gs
from glassnet import nn
from glassnet.io import safe_globals as sg


class Mine:
    pass


def mine_fn(x):
    return x


@pytest.fixture(autouse=True)
def _clean():
    gs.clear_safe_globals()
    yield
    gs.clear_safe_globals()


def test_the_registry_behaves_like_torch_serialization():
    torch = pytest.importorskip("torch")
    ts = torch.serialization
    before = ts.get_safe_globals()
    try:
        for api in (ts, gs):
            api.add_safe_globals([Mine, (mine_fn, "elsewhere.mine_fn")])
            listed = api.get_safe_globals()
            assert Mine in listed and (mine_fn, "elsewhere.mine_fn") in listed
            with api.safe_globals([OrderedDict]):
                assert OrderedDict in api.get_safe_globals()
            assert OrderedDict not in api.get_safe_globals() and Mine in api.get_safe_globals()
            with pytest.raises(KeyError), api.safe_globals([int]):
                raise KeyError("the block's exception propagates and the list is restored")
            assert int not in api.get_safe_globals()
            api.clear_safe_globals()
            assert api.get_safe_globals() == []
    finally:
        ts.clear_safe_globals()
        ts.add_safe_globals(before)


def test_rules():
    assert sg.is_allowed("glassnet.nn.modules.linear", "Linear")
    assert sg.is_allowed("glassnet.nn.functional.activation", "gelu") or \
        sg.is_allowed(nn.functional.gelu.__module__, nn.functional.gelu.__qualname__)
    assert sg.is_allowed("collections", "OrderedDict") and sg.is_allowed("builtins", "dict")
    assert sg.is_allowed("numpy", "float32")
    assert not sg.is_allowed(__name__, "Mine")
    assert not sg.is_allowed("glassnet.io.atomic", "atomic_write_bytes")  # writes files
    assert sg.is_allowed("glassnet.io.tensor_file", "CheckpointError")    # a class is data
    assert not sg.is_allowed("glassnet.serialization", "os.path.join")    # an import, not glassnet's
    assert not sg.is_allowed("glassnet.backend", "np.load")
    assert not sg.is_allowed("builtins", "eval") and not sg.is_allowed("os", "system")
    gs.add_safe_globals([Mine, (mine_fn, "elsewhere.mine_fn")])
    assert sg.resolve(__name__, "Mine") is Mine
    assert sg.resolve("elsewhere", "mine_fn") is mine_fn  # found without importing 'elsewhere'
    assert sg.resolve("numpy", "int8") is np.int8


def test_the_refusal_is_an_unpickling_error_naming_the_fix():
    with pytest.raises(pickle.UnpicklingError) as err:
        sg.resolve(__name__, "Mine")
    assert isinstance(err.value, gs.CheckpointError)
    assert f"add_safe_globals([{__name__}.Mine])" in str(err.value)
    assert sg.resolve(__name__, "Mine", weights_only=False) is Mine
    with pytest.raises(gs.CheckpointError, match="cannot be imported"):
        sg.resolve("no_such_module_here", "X", weights_only=False)
    with pytest.raises(gs.CheckpointError, match="has no 'Gone'"):
        sg.resolve(__name__, "Gone", weights_only=False)


def test_bad_arguments():
    with pytest.raises(TypeError, match="expected a list"):
        gs.add_safe_globals(Mine)
    with pytest.raises(TypeError, match="has no module and name"):
        gs.add_safe_globals([3])
    with pytest.raises(TypeError, match="tuple entry"):
        gs.add_safe_globals([(Mine,)])
