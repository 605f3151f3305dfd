"""Optimizer, the base class of every update rule (glassnet/optim/optimizer.py): updates in
place outside the graph, the closure, zero_grad, the errors that name the optimizer and the
argument, repr and hooks, PyTorch's compatibility flags, and state_dict: PyTorch's layout, a
safetensors + JSON round trip, exact resumption, and loading PyTorch's state."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

import glassnet as gn
import glassnet.optim as goptim

from ._util import _assert_params_close, grad_fn, groups_of, init_arrays, make_pair, set_grads

# ----------------------------------------------------------------------------- state_dict
RESUME = [
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True}),
    ("Adadelta", {"rho": 0.8}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adamax", {"lr": 0.05, "weight_decay": 0.01}),
    ("NAdam", {"lr": 0.05, "decoupled_weight_decay": True, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.05, "betas": (0.8, 0.9)}),
    ("Rprop", {"lr": 0.05}),
    ("ASGD", {"lr": 0.05, "t0": 4}),
    ("Adafactor", {"lr": 0.05, "weight_decay": 0.01}),
    ("SparseAdam", {"lr": 0.05}),
]
GROUPS = [([0, 2], {"lr": 0.02}), ([1, 3], {})]


def save_to_bytes(sd):
    """What a checkpoint does: state arrays to safetensors, everything else to JSON."""
    tensors, meta = {}, {"state": {}, "param_groups": sd["param_groups"]}
    for idx, st in sd["state"].items():
        entry = {}
        for k, v in st.items():
            if isinstance(v, gn.Tensor):
                tensors[f"{idx}.{k}"] = v._data
                entry[k] = {"tensor": f"{idx}.{k}"}
            else:
                assert isinstance(v, (int, float)), (k, type(v))
                entry[k] = v
        meta["state"][idx] = entry
    return st_save(tensors), json.dumps(meta)


def load_from_bytes(blob, text):
    tensors = st_load(blob)
    meta = json.loads(text)
    for entry in meta["state"].values():
        for k, v in entry.items():
            if isinstance(v, dict):
                entry[k] = tensors[v["tensor"]]
    return meta


def _grads_for(params, t):
    for p, g in zip(params, grad_fn([p._data for p in params], t)):
        p.grad = gn.tensor(g)


@pytest.mark.parametrize("name,kw", RESUME, ids=[f"{n}-{i}" for i, (n, _) in enumerate(RESUME)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_resume_is_bit_for_bit(name, kw, dtype):
    cls = getattr(goptim, name)
    params = [gn.tensor(a, requires_grad=True) for a in init_arrays(dtype)]
    opt = cls(groups_of(params, GROUPS), **kw)
    for t in range(7):
        _grads_for(params, t)
        opt.step()
    opt.param_groups[0]["lr"] *= 0.5  # a scheduler's change must survive too
    blob, text = save_to_bytes(opt.state_dict())

    params2 = [gn.tensor(p._data.copy(), requires_grad=True) for p in params]
    opt2 = cls(groups_of(params2, GROUPS), **kw)
    opt2.load_state_dict(load_from_bytes(blob, text))
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    for t in range(7, 20):
        _grads_for(params, t)
        _grads_for(params2, t)
        opt.step()
        opt2.step()
    for a, b in zip(params, params2):
        np.testing.assert_array_equal(a._data, b._data)
        assert b._data.dtype == dtype
    for st in opt2.state.values():
        for v in st.values():
            if isinstance(v, gn.Tensor) and v.ndim > 0:  # 0-d scalars keep PyTorch's dtype
                assert v._data.dtype == dtype


def test_loaded_state_shares_tensors_that_need_no_cast():
    p = gn.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    opt = goptim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = gn.ones(3)
    opt.step()
    sd = opt.state_dict()
    q = gn.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    opt2 = goptim.SGD([q], lr=0.1, momentum=0.9)
    opt2.load_state_dict(sd)
    # PyTorch casts with ``value.to(param.dtype, param.device)``, a no-op returning the same
    # tensor: two optimizers loaded from one live state dict share their buffers
    assert opt2.state[q]["momentum_buffer"] is sd["state"][0]["momentum_buffer"]
    r = gn.tensor(np.ones(3), requires_grad=True)  # float64: a cast, hence a copy
    opt3 = goptim.SGD([r], lr=0.1, momentum=0.9)
    opt3.load_state_dict(sd)
    assert opt3.state[r]["momentum_buffer"]._data.dtype == np.float64
    # state_dict() itself returns references, as PyTorch's does; deepcopy makes a snapshot
    snap = copy.deepcopy(opt.state_dict())
    opt.step()
    assert not np.array_equal(snap["state"][0]["momentum_buffer"]._data,
                              opt.state[p]["momentum_buffer"]._data)


def test_layout_matches_torch():
    arrays = init_arrays()
    gp, tp = make_pair(arrays)
    groups = [([0, 1], {"amsgrad": True}), ([2, 3], {"lr": 0.1})]
    gopt = goptim.Adam(groups_of(gp, groups), lr=0.05)
    topt = torch.optim.Adam(groups_of(tp, groups), lr=0.05)
    for t in range(3):
        set_grads(gp, tp, t, skip=(3,))
        gopt.step()
        topt.step()
    gsd, tsd = gopt.state_dict(), topt.state_dict()
    assert list(gsd) == list(tsd) == ["state", "param_groups"]
    assert sorted(gsd["state"]) == sorted(tsd["state"]) == [0, 1, 2]
    for k in tsd["state"]:
        assert list(gsd["state"][k]) == list(tsd["state"][k])
    assert [g["params"] for g in gsd["param_groups"]] == [[0, 1], [2, 3]]
    assert set(gsd["param_groups"][0]) == set(tsd["param_groups"][0])


def test_loads_a_torch_state_dict():
    """A PyTorch optimiser's state (torch tensors, tensor steps) continues in glassnet."""
    arrays = init_arrays()
    gp, tp = make_pair(arrays)
    topt = torch.optim.RMSprop(tp, lr=0.01, momentum=0.9, centered=True, foreach=False)
    for t in range(5):
        set_grads(gp, tp, t)
        topt.step()
    for a, b in zip(gp, tp):
        a._data[...] = b.detach().numpy()
    gopt = goptim.RMSprop(gp, lr=0.01, momentum=0.9, centered=True)
    gopt.load_state_dict(topt.state_dict())
    assert gopt.state[gp[0]]["step"] == 5
    for t in range(5, 15):
        set_grads(gp, tp, t)
        gopt.step()
        topt.step()
    for a, b in zip(gp, tp):
        np.testing.assert_allclose(a._data, b.detach().numpy(), rtol=1e-6, atol=1e-9)


def test_load_errors():
    p, q = (gn.tensor(np.ones(2, dtype=np.float32), requires_grad=True) for _ in range(2))
    opt = goptim.SGD([p, q], lr=0.1)
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="parameter groups"):
        goptim.SGD([{"params": [p]}, {"params": [q]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="doesn't match the size"):
        goptim.SGD([p], lr=0.1).load_state_dict(sd)


def test_adagrad_state_exists_before_first_step_like_torch():
    arrays = init_arrays()
    gp, tp = make_pair(arrays)
    gsd = goptim.Adagrad(gp, initial_accumulator_value=0.25).state_dict()
    tsd = torch.optim.Adagrad(tp, initial_accumulator_value=0.25).state_dict()
    assert sorted(gsd["state"]) == sorted(tsd["state"])
    np.testing.assert_array_equal(gsd["state"][0]["sum"]._data, tsd["state"][0]["sum"].numpy())
    assert gsd["state"][0]["step"] == 0


# --------------------------------------------------------------------- stepping, hooks, errors
def test_updates_in_place_and_outside_graph():
    arrays = init_arrays(np.float32)
    gp, _ = make_pair(arrays)
    ids = [id(p._data) for p in gp]
    views = [p._data for p in gp]
    opt = goptim.Adam(gp, lr=0.1)
    for p in gp:
        p.grad = gn.ones_like(p)
    opt.step()
    assert [id(p._data) for p in gp] == ids
    for v, p, a in zip(views, gp, arrays):
        assert v is p._data and not np.allclose(v, a)
        assert p.grad_fn is None and p.requires_grad
    # the user's gradient arrays are never modified
    for p in gp:
        np.testing.assert_array_equal(p.grad._data, 1.0)


def test_closure_is_called_with_grad_enabled():
    p = gn.tensor(np.array([1.0, -2.0], dtype=np.float32), requires_grad=True)
    opt = goptim.SGD([p], lr=0.1)
    seen = []

    def closure():
        opt.zero_grad()
        seen.append(gn.is_grad_enabled())
        loss = (p * p).sum()
        loss.backward()
        return loss

    with gn.no_grad():
        loss = opt.step(closure)
    assert seen == [True]
    assert float(loss.item()) == pytest.approx(5.0)
    np.testing.assert_allclose(p._data, [0.8, -1.6], rtol=1e-6)


def test_zero_grad():
    p = gn.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    opt = goptim.SGD([p], lr=0.1)
    p.grad = gn.ones(3)
    g = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is g and np.all(g._data == 0)
    opt.zero_grad()
    assert p.grad is None


def test_errors_name_the_optimizer_and_argument():
    p = gn.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    with pytest.raises(ValueError, match="Adam: Invalid learning rate"):
        goptim.Adam([p], lr=-1)
    with pytest.raises(ValueError, match="beta parameter at index 1"):
        goptim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Nesterov"):
        goptim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        goptim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        goptim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        goptim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        goptim.SGD([p * 2], lr=0.1)
    with pytest.raises(NotImplementedError, match="differentiable"):
        goptim.Adam([p], differentiable=True)


def test_repr_and_hooks():
    p = gn.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    opt = goptim.SGD([p], lr=0.1, momentum=0.9)
    r = repr(opt)
    assert r.startswith("SGD (") and "Parameter Group 0" in r and "momentum: 0.9" in r
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
    p.grad = gn.ones(2)
    opt.step()
    h1.remove()
    opt.step()
    assert calls == ["pre", "post", "post"]


def test_named_parameters_and_subclass_step_hooks_run_once():
    p = gn.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    q = gn.tensor(np.ones(3, dtype=np.float32), requires_grad=True)

    class Clipped(goptim.SGD):
        def step(self, closure=None):
            for group in self.param_groups:
                for t in group["params"]:
                    t.grad._data.clip(-0.5, 0.5, out=t.grad._data)
            return super().step(closure)

    opt = Clipped([("w", p), ("b", q)], lr=1.0)
    assert opt.param_groups[0]["param_names"] == ["w", "b"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]
    calls = []
    opt.register_step_post_hook(lambda o, a, k: calls.append(1))
    p.grad, q.grad = gn.ones(2) * 3, gn.ones(3) * -3
    opt.step()
    assert calls == [1]
    np.testing.assert_allclose(p._data, 0.5)
    np.testing.assert_allclose(q._data, 1.5)


def test_torch_nadam_and_asgd_state_continue_in_glassnet():
    """A PyTorch state (0-d tensor mu_product, eta, mu) loads and the run goes on identically."""
    for name, kw in [("NAdam", {"lr": 0.05}), ("ASGD", {"lr": 0.05, "t0": 3})]:
        gp, tp = make_pair(init_arrays())
        topt = getattr(torch.optim, name)(tp, foreach=False, **kw)
        for t in range(5):
            set_grads(gp, tp, t)
            topt.step()
        for a, b in zip(gp, tp):
            a._data[...] = b.detach().numpy()
        gopt = getattr(goptim, name)(gp, **kw)
        gopt.load_state_dict(topt.state_dict())
        for t in range(5, 15):
            set_grads(gp, tp, t)
            gopt.step()
            topt.step()
        _assert_params_close(gp, tp, rtol=1e-6, atol=1e-9)


def test_scalar_state_in_default_dtype_like_torch():
    p = gn.tensor(np.ones(3), requires_grad=True)          # float64 parameter
    opt = goptim.NAdam([p])
    p.grad = gn.ones(3, dtype=gn.float64)
    opt.step()
    assert opt.state[p]["mu_product"]._data.dtype == np.float32
    assert opt.state[p]["exp_avg"]._data.dtype == np.float64


def test_compat_flags_accepted_and_zero_grad_default():
    p = gn.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    for cls in (goptim.Adamax, goptim.NAdam, goptim.RAdam, goptim.Rprop, goptim.ASGD):
        opt = cls([p], lr=0.01, foreach=True, capturable=True)
        assert opt.param_groups[0]["lr"] == 0.01
        p.grad = gn.ones(2)
        opt.step()
        opt.zero_grad()
        assert p.grad is None
        with pytest.raises(NotImplementedError, match="differentiable"):
            cls([p], differentiable=True)
    goptim.Adafactor([p], foreach=False, maximize=True)


@pytest.mark.parametrize("make,match", [
    (lambda p: goptim.Adamax([p], lr=-1), "Adamax: Invalid learning rate"),
    (lambda p: goptim.NAdam([p], betas=(1.0, 0.9)), "Invalid beta parameter at index 0"),
    (lambda p: goptim.NAdam([p], momentum_decay=-1), "Invalid momentum_decay value"),
    (lambda p: goptim.RAdam([p], eps=-1), "Invalid epsilon value"),
    (lambda p: goptim.Rprop([p], etas=(1.5, 1.2)), "Invalid eta values"),
    (lambda p: goptim.ASGD([p], weight_decay=-1), "Invalid weight_decay value"),
    (lambda p: goptim.SparseAdam([p], lr=0.0), "Invalid learning rate"),
    (lambda p: goptim.Adafactor([p], beta2_decay=0.5), "beta2_decay should be <= 0"),
    (lambda p: goptim.Adafactor([p], d=0.5), "Clipping threshold d should be >= 1"),
])
def test_variant_errors_name_the_optimizer_and_argument(make, match):
    p = gn.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    with pytest.raises(ValueError, match=match):
        make(p)


@pytest.mark.parametrize("cls,kwargs,key", [
    (goptim.Adam, {}, "exp_avg"),
    (goptim.SGD, {"momentum": 0.9}, "momentum_buffer"),
    (goptim.RMSprop, {}, "square_avg"),
])
def test_load_state_dict_checks_state_shapes(cls, kwargs, key):
    # stricter than PyTorch, which fails only at the next step: the mismatch is named at load
    rng = np.random.default_rng(0)
    p = gn.tensor(rng.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    q = gn.tensor(rng.standard_normal((2, 4)).astype(np.float32), requires_grad=True)
    opt = cls([p], lr=0.1, **kwargs)
    p.grad = gn.ones(2, 3)
    opt.step()
    same = cls([gn.tensor(np.zeros((2, 3), np.float32), requires_grad=True)], lr=0.1, **kwargs)
    same.load_state_dict(opt.state_dict())  # matching shapes load as before
    other = cls([q], lr=0.1, **kwargs)
    with pytest.raises(ValueError, match=rf"{cls.__name__}.load_state_dict: parameter 0, state "
                                         rf"'{key}': expected the parameter's shape \(2, 4\), "
                                         rf"got \(2, 3\)"):
        other.load_state_dict(opt.state_dict())
