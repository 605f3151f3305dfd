"""nn.utils.prune against torch.nn.utils.prune: the same code runs under both libraries on a LeNet
with the same seeded weights (the flow of PyTorch's pruning tutorial). Deterministic methods
must give the same masks; random ones the same counts (the random streams differ)."""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest
import torch
import torch.nn.utils.prune as tprune
from nn_helpers import copy_state

import glassnet as gn
import glassnet.nn.utils.prune as gprune
from glassnet.autograd import gradcheck
from glassnet.func import functional_call
from glassnet.nn.utils import prune as gprune_attr

LIBS = {"torch": (torch, tprune), "glassnet": (gn, gprune)}


def lenet(lib):
    nn, F = lib.nn, lib.nn.functional

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 3)
            self.conv2 = nn.Conv2d(6, 16, 3)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = x.view(-1, int(x.nelement() / x.shape[0]))
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    return LeNet()


def pair():
    torch.manual_seed(0)
    t = lenet(torch)
    g = lenet(gn)
    copy_state(t, g)
    return {"torch": t, "glassnet": g}


def run(fn):
    """``fn(lib, prune, model)`` on a fresh seeded LeNet under each library."""
    models = pair()
    out = {name: fn(*LIBS[name], models[name]) for name in LIBS}
    return models, out


def arr(x):
    return x.detach().numpy() if isinstance(x, torch.Tensor) else x.detach()._data


def same_state(models, exact_keys=None):
    t, g = models["torch"].state_dict(), models["glassnet"].state_dict()
    assert list(g) == list(t)
    for k in exact_keys if exact_keys is not None else t:
        np.testing.assert_array_equal(arr(g[k]), arr(t[k]), err_msg=k)


def forward_backward(models, keys=None):
    """Same input: equal outputs, and equal gradients of every parameter."""
    x = np.random.default_rng(0).standard_normal((2, 1, 28, 28)).astype(np.float32)
    yt = models["torch"](torch.tensor(x))
    yg = models["glassnet"](gn.tensor(x))
    np.testing.assert_allclose(arr(yg), arr(yt), rtol=1e-4, atol=1e-5)
    yt.square().sum().backward()
    yg.square().sum().backward()
    tp = dict(models["torch"].named_parameters())
    gp = dict(models["glassnet"].named_parameters())
    assert list(gp) == list(tp)
    for k in keys or tp:
        np.testing.assert_allclose(arr(gp[k].grad), arr(tp[k].grad), rtol=1e-4, atol=1e-5,
                                   err_msg=k)
    return tp, gp


def test_import_paths():
    assert gprune is gprune_attr is gn.nn.utils.prune
    public = {n for n in dir(tprune) if not n.startswith("_")
              and getattr(getattr(tprune, n), "__module__", "") == tprune.__name__}
    assert len(public) == 17
    assert public <= set(dir(gprune)), public - set(dir(gprune))


def test_l1_unstructured_reparametrises_like_torch():
    def fn(lib, prune, m):
        assert not prune.is_pruned(m)
        out = prune.l1_unstructured(m.conv1, name="weight", amount=0.3)
        assert out is m.conv1
        assert prune.is_pruned(m)
        c = m.conv1
        return ([n for n, _ in c.named_parameters()], [n for n, _ in c.named_buffers()],
                [type(h).__name__ for h in c._forward_pre_hooks.values()],
                type(c.weight_orig).__name__, c.weight.requires_grad, c.weight.grad_fn is None,
                int(c.weight_mask.sum()), list(m.state_dict()))

    models, out = run(fn)
    assert out["glassnet"] == out["torch"]
    assert out["torch"][:4] == (["bias", "weight_orig"], ["weight_mask"], ["L1Unstructured"],
                                "Parameter")
    assert out["torch"][6] == 54 - round(0.3 * 54)
    same_state(models)
    np.testing.assert_array_equal(arr(models["glassnet"].conv1.weight),
                                  arr(models["torch"].conv1.weight))
    _, gp = forward_backward(models)
    # pruned entries get no gradient
    assert not arr(gp["conv1.weight_orig"].grad)[arr(models["glassnet"].conv1.weight_mask) == 0
                                                 ].any()


def test_random_unstructured_counts():
    def fn(lib, prune, m):
        prune.random_unstructured(m.conv1, name="weight", amount=0.3)
        prune.random_unstructured(m.fc3, name="bias", amount=4)
        prune.random_unstructured(m.fc3, name="bias", amount=0.5)  # half of the 6 left
        w = m.conv1.weight
        assert ((w == 0) == (m.conv1.weight_mask == 0)).all()
        return int(m.conv1.weight_mask.sum()), int(m.fc3.bias_mask.sum()), list(m.state_dict())

    _, out = run(fn)
    assert out["glassnet"] == out["torch"] == (38, 3, out["torch"][2])


@pytest.mark.parametrize("n,dim,amount", [(2, 0, 0.5), (1, 1, 2), (float("inf"), -1, 1),
                                          (float("-inf"), 0, 0.34)])
def test_ln_structured_matches_torch(n, dim, amount):
    def fn(lib, prune, m):
        prune.ln_structured(m.conv2, name="weight", amount=amount, n=n, dim=dim)
        prune.ln_structured(m.fc1, name="weight", amount=amount, n=n, dim=dim)

    models, _ = run(fn)
    same_state(models)
    forward_backward(models)


def test_random_structured_counts():
    def fn(lib, prune, m):
        prune.random_structured(m.conv2, "weight", amount=0.25, dim=0)
        prune.random_structured(m.conv2, "weight", amount=3, dim=0)
        w = m.conv2.weight
        zero_filters = int((w.abs().sum(dim=(1, 2, 3)) == 0).sum())
        return zero_filters, int(m.conv2.weight_mask.sum()), len(m.conv2._forward_pre_hooks)

    _, out = run(fn)
    assert out["glassnet"] == out["torch"] == (7, 9 * 6 * 9, 1)


def test_iterative_pruning_builds_a_container():
    def fn(lib, prune, m):
        prune.l1_unstructured(m.conv1, name="weight", amount=0.3)
        prune.ln_structured(m.conv1, name="weight", amount=0.5, n=2, dim=0)
        prune.l1_unstructured(m.conv1, name="weight", amount=5)  # 5 of those still unpruned
        hooks = list(m.conv1._forward_pre_hooks.values())
        assert len(hooks) == 1 and isinstance(hooks[0], prune.PruningContainer)
        return ([type(h).__name__ for h in hooks[0]], len(hooks[0]), hooks[0]._tensor_name,
                int(m.conv1.weight_mask.sum()))

    models, out = run(fn)
    assert out["glassnet"] == out["torch"]
    assert out["torch"][0] == ["L1Unstructured", "LnStructured", "L1Unstructured"]
    same_state(models)
    forward_backward(models)


def test_global_unstructured_matches_torch():
    def fn(lib, prune, m):
        params = ((m.conv1, "weight"), (m.conv2, "weight"), (m.fc1, "weight"),
                  (m.fc2, "weight"), (m.fc3, "weight"))
        prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=0.2)
        zeros = [int((mod.weight == 0).sum()) for mod, _ in params]
        hooks = [type(h).__name__ for mod, _ in params for h in mod._forward_pre_hooks.values()]
        # a second global round acts on what is left, on top of an earlier local pruning
        prune.l1_unstructured(m.fc3, "bias", amount=2)
        prune.global_unstructured(list(params) + [(m.fc3, "bias")],
                                  pruning_method=prune.L1Unstructured, amount=100)
        return zeros, hooks, [type(h).__name__ for h in m.fc1._forward_pre_hooks.values()]

    models, out = run(fn)
    assert out["glassnet"] == out["torch"]
    zeros = out["torch"][0]
    assert sum(zeros) == round(0.2 * (54 + 864 + 48000 + 10080 + 840))
    assert out["torch"][1] == ["CustomFromMask"] * 5
    assert out["torch"][2] == ["PruningContainer"]
    same_state(models)
    forward_backward(models)


def test_importance_scores():
    rng = np.random.default_rng(1)
    s_conv = rng.standard_normal((6, 1, 3, 3)).astype(np.float32)
    s_fc = rng.standard_normal((10, 84)).astype(np.float32)

    def fn(lib, prune, m):
        prune.l1_unstructured(m.conv1, "weight", amount=20, importance_scores=lib.tensor(s_conv))
        prune.global_unstructured([(m.conv1, "bias"), (m.fc3, "weight")],
                                  pruning_method=prune.L1Unstructured,
                                  importance_scores={(m.fc3, "weight"): lib.tensor(s_fc)},
                                  amount=0.1)

    models, _ = run(fn)
    same_state(models)
    expected = np.ones(54, np.float32)
    expected[np.argsort(np.abs(s_conv).ravel(), kind="stable")[:20]] = 0
    np.testing.assert_array_equal(arr(models["glassnet"].conv1.weight_mask).ravel(), expected)


def test_remove_makes_it_permanent():
    def fn(lib, prune, m):
        prune.l1_unstructured(m.conv1, "weight", amount=0.3)
        prune.ln_structured(m.conv1, "weight", amount=2, n=2, dim=0)
        prune.l1_unstructured(m.fc2, "bias", amount=3)
        orig = m.conv1.weight_orig
        assert prune.remove(m.conv1, "weight") is m.conv1
        assert m.conv1.weight is orig  # the same Parameter, now holding orig * mask
        prune.remove(m.fc2, "bias")
        assert not prune.is_pruned(m)
        with pytest.raises(ValueError, match="has to be pruned before pruning can be removed"):
            prune.remove(m.conv1, "weight")
        c = m.conv1
        return ([n for n, _ in c.named_parameters()], list(c.named_buffers()),
                len(c._forward_pre_hooks), type(c.weight).__name__,
                int((m.fc2.bias == 0).sum()), list(m.state_dict()))

    models, out = run(fn)
    assert out["glassnet"] == out["torch"]
    assert out["torch"][:4] == (["bias", "weight"], [], 0, "Parameter")
    same_state(models, ["conv1.weight", "conv1.bias", "fc1.weight"])
    forward_backward(models, ["conv1.weight", "conv1.bias", "fc1.weight"])


def test_training_keeps_pruned_weights_zero():
    x = np.random.default_rng(2).standard_normal((4, 1, 28, 28)).astype(np.float32)

    def fn(lib, prune, m):
        prune.ln_structured(m.conv2, "weight", amount=0.5, n=2, dim=0)
        for _ in range(2):  # plain SGD: the optimiser trains weight_orig
            m.zero_grad()
            m(lib.tensor(x)).square().mean().backward()
            for p in m.parameters():
                p.data.add_(p.grad, alpha=-0.1)
        y = m(lib.tensor(x))
        return arr(y), arr(m.conv2.weight), arr(m.conv2.weight_orig)

    _, out = run(fn)
    for a, b in zip(out["glassnet"], out["torch"]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert (np.abs(out["glassnet"][1]).sum(axis=(1, 2, 3)) == 0).sum() == 8


def test_identity_custom_from_mask_and_load_state_dict():
    def fn(lib, prune, m):
        prune.identity(m.fc3, "bias")
        prune.custom_from_mask(m.fc3, "bias", mask=lib.tensor([0, 1, 0, 1, 1, 1, 1, 1, 1, 0]))
        prune.custom_from_mask(m.fc2, "weight", mask=lib.tensor(
            np.random.default_rng(3).integers(0, 2, (84, 120))))
        return arr(m.fc3.bias_mask).tolist(), m.fc3.bias_mask.dtype == lib.float32

    models, out = run(fn)
    assert out["glassnet"] == out["torch"]
    assert out["torch"][0] == [0, 1, 0, 1, 1, 1, 1, 1, 1, 0]
    same_state(models)
    # a pruned model's state_dict loads into another model pruned the same way
    g2 = lenet(gn)
    gprune.identity(g2.fc3, "bias")
    gprune.identity(g2.fc2, "weight")
    g2.load_state_dict(models["glassnet"].state_dict())
    x = gn.randn(1, 1, 28, 28)
    np.testing.assert_array_equal(arr(g2(x)), arr(models["glassnet"](x)))


def every_other(prune):
    """The tutorial's custom method: prune every other entry still unpruned."""

    class FooBarPruningMethod(prune.BasePruningMethod):
        PRUNING_TYPE = "unstructured"

        def compute_mask(self, t, default_mask):
            mask = default_mask.clone()
            mask.view(-1)[::2] = 0
            return mask

    return FooBarPruningMethod


def test_custom_method_and_prune():
    def fn(lib, prune, m):
        cls = every_other(prune)
        cls.apply(m.fc3, "bias")
        cls.apply(m.fc3, "bias")  # every other of the five left
        t = lib.tensor(np.arange(1.0, 7.0, dtype=np.float32).reshape(2, 3))
        pruned = prune.L1Unstructured(amount=2).prune(t)
        with_mask = prune.L1Unstructured(amount=1).prune(t, default_mask=lib.tensor(
            [[0.0, 1, 1], [1, 1, 1]]))
        return arr(m.fc3.bias_mask).tolist(), arr(pruned).tolist(), arr(with_mask).tolist()

    _, out = run(fn)
    assert out["glassnet"] == out["torch"]
    assert out["torch"] == ([0, 0, 0, 1, 0, 0, 0, 1, 0, 0], [[0, 0, 3], [4, 5, 6]],
                            [[0, 2, 3], [4, 5, 6]])


def empty_container(prune):
    c = prune.PruningContainer()
    c._tensor_name = "weight"
    return c


def named(method, name):
    method._tensor_name = name
    return method


def words(err):
    """An error's message without the printed module or container and the library's name."""
    msg = re.split(r" (?:of module|to PruningContainer) ", str(err))[0]
    return re.sub(r"\b(torch|glassnet)\.", "", msg)


@pytest.mark.parametrize("call,exc", [
    (lambda p, m: p.l1_unstructured(m.fc3, "weight", amount=-1), ValueError),
    (lambda p, m: p.l1_unstructured(m.fc3, "weight", amount=1.5), ValueError),
    (lambda p, m: p.random_unstructured(m.fc3, "weight", amount="3"), TypeError),
    (lambda p, m: p.l1_unstructured(m.fc3, "bias", amount=11), ValueError),
    (lambda p, m: p.ln_structured(m.fc3, "bias", amount=1, n=2, dim=0), ValueError),
    (lambda p, m: p.random_structured(m.conv1, "weight", amount=1, dim=4), IndexError),
    (lambda p, m: p.global_unstructured([(m.fc3, "weight")], p.RandomStructured, amount=1),
     TypeError),
    (lambda p, m: p.global_unstructured([(m.fc3, "weight")], p.L1Unstructured,
                                        importance_scores=[], amount=1), TypeError),
    (lambda p, m: p.global_unstructured(3, p.L1Unstructured, amount=1), TypeError),
    (lambda p, m: p.remove(m.fc3, "weight"), ValueError),
    (lambda p, m: empty_container(p).add_pruning_method(3), TypeError),
    (lambda p, m: empty_container(p).add_pruning_method(named(p.Identity(), "bias")),
     ValueError),
])
def test_errors_match_torch(call, exc):
    models, msgs = pair(), {}
    for name, (_, prune) in LIBS.items():
        m = models[name]
        with pytest.raises(exc) as info:
            call(prune, m)
        msgs[name] = words(info.value)
    assert msgs["glassnet"] == msgs["torch"]
    # a failed prune leaves the module as it was
    assert [n for n, _ in models["glassnet"].fc3.named_parameters()] == ["weight", "bias"]
    assert not gprune.is_pruned(models["glassnet"])


def test_gradcheck_and_deepcopy():
    gn.manual_seed(0)
    m = gn.nn.Linear(4, 3).double()
    gprune.l1_unstructured(m, "weight", amount=5)
    x = gn.randn(2, 4, dtype=gn.float64, requires_grad=True)
    w = m.weight_orig.detach().clone().requires_grad_()
    assert gradcheck(lambda x, w: functional_call(m, {"weight_orig": w}, (x,)), (x, w))
    twin = copy.deepcopy(m)
    assert isinstance(next(iter(twin._forward_pre_hooks.values())), gprune.L1Unstructured)
    np.testing.assert_array_equal(arr(twin(x)), arr(m(x)))


def test_importance_scores_shape_is_checked():
    for lib, prune in LIBS.values():
        m = lib.nn.Linear(3, 2)
        with pytest.raises(AssertionError, match="importance_scores should have the same shape"):
            prune.l1_unstructured(m, "weight", amount=1, importance_scores=lib.ones(3))
        assert not prune.is_pruned(m) and "weight" in dict(m.named_parameters())
