"""Nested training state as arrays plus a JSON skeleton (glassnet/io/state.py): the round
trip, and the refusal of objects naming their path."""

from __future__ import annotations

import json

import pytest
from checkpoint_helpers import assert_same, optim_sd

import glassnet.io as gio


def test_flatten_state_round_trip():
    st = optim_sd()
    skel, tensors = gio.flatten_state(st, "optimizer")
    json.dumps(skel)  # the skeleton is plain JSON
    assert set(tensors) == {"optimizer/state/0/exp_avg", "optimizer/state/0/exp_avg_sq"}
    assert_same(st, gio.unflatten_state(json.loads(json.dumps(skel)), tensors))


def test_flatten_state_refuses_objects_naming_the_path():
    with pytest.raises(TypeError, match=r"state/param_groups/0/fn.*no pickle"):
        gio.flatten_state({"param_groups": [{"fn": lambda x: x}]})
