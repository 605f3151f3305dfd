"""Autograd misuse: backward of a non-scalar without a gradient, backward twice through a freed
graph, gradients of tensors that do not require them or were not used, in-place updates of a
leaf that requires grad or of a tensor backward still needs, gradients of the wrong shape.
Each raises PyTorch's exception type with a message saying what went wrong."""

import pytest

from ._catalogue import accepts_like_torch, case, gap, raises_like_torch


def _leaf(t, n=3):
    return t.linspace(0.5, 1.5, n).requires_grad_()


def _backward_non_scalar(t):
    (_leaf(t) * 2).backward()


def _backward_twice(t):
    y = (_leaf(t) ** 2).sum()
    y.backward()
    y.backward()


def _grad_twice(t):
    x = _leaf(t)
    y = (x.exp()).sum()
    t.autograd.grad(y, x)
    t.autograd.grad(y, x)


def _grad_of_constant(t):
    x, c = _leaf(t), t.ones(3)
    return t.autograd.grad((x * c).sum(), c)


def _grad_unused(t):
    x, z = _leaf(t), _leaf(t)
    return t.autograd.grad((x * 2).sum(), [x, z])


def _grad_non_scalar(t):
    x = _leaf(t)
    return t.autograd.grad(x * 2, x)


def _backward_no_grad_fn(t):
    t.ones(3).sum().backward()


def _leaf_inplace(t):
    _leaf(t).add_(1.0)


def _leaf_setitem(t):
    x = _leaf(t)
    x[0] = 0.0


def _saved_modified(t):
    x = _leaf(t)
    y = x.exp()  # exp saves its output
    y.add_(1.0)
    y.sum().backward()


def _saved_input_modified(t):
    x = _leaf(t)
    a = x * 1.0
    b = a * a  # mul saves both inputs
    a.mul_(2.0)
    b.sum().backward()


def _gradient_wrong_shape(t):
    y = _leaf(t) * 2
    y.backward(t.ones(4))


def _numpy_requires_grad(t):
    return _leaf(t).numpy()


def _requires_grad_non_leaf(t):
    (_leaf(t) * 2).requires_grad_(False)


def _assign_grad_wrong_shape(t):
    x = _leaf(t)
    x.grad = t.ones(4)


def _backward_in_no_grad(t):
    x = _leaf(t)
    with t.no_grad():
        y = (x * 2).sum()
    y.backward()


CASES = [
    case("backward-non-scalar", _backward_non_scalar, r"scalar"),
    case("backward-twice", _backward_twice, r"second time|retain_graph"),
    case("grad-twice", _grad_twice, r"second time|retain_graph"),
    case("grad-of-constant", _grad_of_constant, r"does not require grad"),
    case("grad-unused-input", _grad_unused, r"allow_unused|not.*used"),
    case("grad-non-scalar", _grad_non_scalar, r"scalar"),
    case("backward-no-grad-fn", _backward_no_grad_fn, r"require grad|grad_fn"),
    case("backward-made-in-no-grad", _backward_in_no_grad, r"require grad|grad_fn"),
    case("inplace-on-leaf", _leaf_inplace, r"leaf", r"in-place|inplace"),
    case("setitem-on-leaf", _leaf_setitem, r"leaf", r"in-place|inplace"),
    case("saved-output-modified", _saved_modified, r"modified|inplace|in-place",
         r"version|exp"),
    case("saved-input-modified", _saved_input_modified, r"modified|inplace|in-place",
         r"version|mul"),
    case("gradient-wrong-shape", _gradient_wrong_shape, r"shape|size", r"\b4\b|\[4\]",
         r"\b3\b|\[3\]"),
    case("numpy-of-requires-grad", _numpy_requires_grad, r"numpy", r"detach"),
    case("requires-grad-of-non-leaf", _requires_grad_non_leaf, r"leaf"),
    gap("assign-grad-wrong-shape", _assign_grad_wrong_shape,
        "Tensor.grad is a plain attribute in glassnet: an assignment is not checked"),
]


def _retain_graph_twice(t):
    x = _leaf(t)
    y = (x ** 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    return x.grad


def _inplace_on_leaf_in_no_grad(t):
    x = _leaf(t)
    with t.no_grad():
        x.add_(1.0)
    return x


def _modified_but_not_saved(t):
    x = _leaf(t)
    y = x + 1.0  # add saves nothing
    y.mul_(3.0)
    y.sum().backward()
    return x.grad


ACCEPTED = [
    pytest.param(_retain_graph_twice, id="retain-graph-then-backward"),
    pytest.param(_inplace_on_leaf_in_no_grad, id="inplace-on-leaf-in-no-grad"),
    pytest.param(_modified_but_not_saved, id="modified-but-not-saved"),
]


@pytest.mark.parametrize("call, patterns", CASES)
def test_wrong_call_raises_like_pytorch(call, patterns):
    raises_like_torch(call, patterns)


@pytest.mark.parametrize("call", ACCEPTED)
def test_call_pytorch_accepts_gives_its_result(call):
    accepts_like_torch(call)
