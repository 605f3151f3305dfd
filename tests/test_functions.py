"""The functional forms and creation functions of glassnet/functions.py against PyTorch:
``gn.exp(x)``, ``gn.atan2(a, b)``, ``gn.reshape(x, ...)``, ``gn.max(x, dim)``..., the
one-argument ``where``, and the seeded random creation functions (rand, randn, randint,
randperm, normal)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import check_parity, distinct, positive, randn

import glassnet as gn

# PyTorch warns when var/std has no degrees of freedom; glassnet returns the same NaN quietly.
pytestmark = pytest.mark.filterwarnings("ignore:.*degrees of freedom:UserWarning")


def test_where_one_argument_is_nonzero():
    c = np.array([[True, False], [False, True]])
    got = gn.where(gn.tensor(c))
    exp = torch.where(torch.tensor(c))
    assert len(got) == len(exp)
    for g, e in zip(got, exp):
        np.testing.assert_array_equal(g.numpy(), e.numpy())


def test_elementwise_functional_forms(rng):
    x = positive(rng, (2, 3))
    for name in ["exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "neg",
                 "square", "rsqrt", "log1p", "expm1", "reciprocal", "erf"]:
        check_parity(getattr(gn, name), getattr(torch, name), [x])
    y = randn(rng, (3,))
    for name in ["add", "sub", "mul", "div", "pow", "maximum", "minimum"]:
        check_parity(getattr(gn, name), getattr(torch, name), [x, y + 3.0])


@pytest.mark.parametrize("name", ["atan2", "hypot", "fmod", "remainder", "logaddexp", "xlogy",
                                  "float_power", "copysign", "heaviside", "fmax", "isclose",
                                  "logical_and", "logical_xor", "bitwise_and", "bitwise_xor",
                                  "gcd", "lcm", "bitwise_left_shift", "ldexp", "nextafter",
                                  "remainder_int", "fmod_int", "floor_divide"])
def test_functional_forms_match_torch(name, rng):
    """torch.<name>(a, b) on ints, floats and bools: values and result dtypes."""
    ai = rng.integers(-6, 7, (2, 5))
    bi = rng.integers(1, 5, (2, 5)) * rng.choice([-1, 1], (2, 5))
    af, bf = rng.uniform(-3, 3, (2, 5)).astype(np.float32), rng.uniform(0.5, 2, (5,)).astype(np.float32)
    cases = {
        "atan2": (af, bf), "hypot": (af, bf), "fmod": (af, bf), "remainder": (af, -bf),
        "logaddexp": (af, bf), "xlogy": (af, bf), "float_power": (np.abs(af), bf),
        "copysign": (af, -bf), "heaviside": (np.round(af), bf), "fmax": (af, bf),
        "isclose": (af, af + 1e-6), "logical_and": (ai > 0, bi > 0), "logical_xor": (ai, bi),
        "bitwise_and": (ai, bi), "bitwise_xor": (ai > 0, bi > 0), "gcd": (ai, bi),
        "lcm": (ai, bi), "bitwise_left_shift": (np.abs(ai), np.abs(bi)), "ldexp": (af, bi[0]),
        "nextafter": (af, bf), "remainder_int": (ai, bi), "fmod_int": (ai, bi),
        "floor_divide": (ai, bi)}
    a, b = cases[name]
    fname = name.replace("_int", "")
    ga = getattr(gn, fname)(gn.tensor(a), gn.tensor(b))
    ta = getattr(torch, fname)(torch.tensor(a), torch.tensor(b))
    assert str(ga.dtype) == str(ta.dtype).replace("torch.", ""), (ga.dtype, ta.dtype)
    np.testing.assert_allclose(ga.numpy().astype(np.float64), ta.numpy().astype(np.float64),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["logical_not", "bitwise_not", "signbit", "sgn", "isposinf",
                                  "isneginf", "isreal", "fix", "positive", "exp2", "polygamma1"])
def test_unary_functional_forms(name):
    x = [-2.5, -0.0, 0.0, 1.5, float("inf"), float("-inf")]
    xi = [-3, 0, 2, 7]
    src = xi if name in ("bitwise_not",) else x
    if name == "polygamma1":
        g, t = gn.polygamma(1, gn.tensor([0.5, 1.0, 3.0])), torch.polygamma(1, torch.tensor([0.5, 1.0, 3.0]))
    else:
        g, t = getattr(gn, name)(gn.tensor(src)), getattr(torch, name)(torch.tensor(src))
    assert str(g.dtype) == str(t.dtype).replace("torch.", "")
    np.testing.assert_allclose(g.numpy().astype(np.float64), t.numpy().astype(np.float64),
                               rtol=1e-5)


def test_functional_shape_forms(rng):
    x = randn(rng, (2, 3, 4))
    pairs = [
        (lambda t: gn.reshape(t, (6, 4)), lambda t: torch.reshape(t, (6, 4))),
        (lambda t: gn.transpose(t, 0, 1), lambda t: torch.transpose(t, 0, 1)),
        (lambda t: gn.permute(t, (2, 1, 0)), lambda t: torch.permute(t, (2, 1, 0))),
        (lambda t: gn.flatten(t, 1), lambda t: torch.flatten(t, 1)),
        (lambda t: gn.squeeze(gn.unsqueeze(t, 1), 1), lambda t: torch.squeeze(torch.unsqueeze(t, 1), 1)),
        (lambda t: gn.flip(t, (0,)), lambda t: torch.flip(t, (0,))),
        (lambda t: gn.split(t, 2, 2), lambda t: torch.split(t, 2, 2)),
        (lambda t: gn.chunk(t, 2, 2), lambda t: torch.chunk(t, 2, 2)),
    ]
    for g, t in pairs:
        check_parity(g, t, [x])


def test_functional_reductions(rng):
    x = distinct(rng, (3, 4))
    for name in ["sum", "mean", "var", "std", "prod", "amax", "amin"]:
        check_parity(lambda t, n=name: getattr(gn, n)(t, 1), lambda t, n=name: getattr(torch, n)(t, 1),
                     [x])
    check_parity(lambda t: gn.logsumexp(t, 1), lambda t: torch.logsumexp(t, 1), [x])
    check_parity(lambda t: gn.max(t, 1), lambda t: torch.max(t, 1), [x])
    check_parity(lambda t: gn.argmax(t, 1), lambda t: torch.argmax(t, 1), [x])
    check_parity(lambda t: gn.topk(t, 2), lambda t: torch.topk(t, 2), [x])


# ----------------------------------------------------------------------------- randomness
def test_manual_seed_makes_every_random_op_reproducible():
    def draw():
        return [gn.rand(3).tolist(), gn.randn(2, 2).tolist(), gn.randint(0, 10, (4,)).tolist(),
                gn.randn_like(gn.zeros(2)).tolist(), gn.rand_like(gn.zeros(2)).tolist(),
                gn.randperm(5).tolist()]

    gn.manual_seed(42)
    a = draw()
    gn.manual_seed(42)
    b = draw()
    gn.manual_seed(43)
    c = draw()
    assert a == b and a != c


def test_random_creation_dtypes_and_ranges():
    gn.manual_seed(0)
    r = gn.rand(1000)
    assert r.dtype == gn.float32 and 0 <= r.min().item() and r.max().item() < 1
    n = gn.randn(10_000, dtype=gn.float64)
    assert n.dtype == gn.float64 and abs(n.mean().item()) < 0.05 and abs(n.std().item() - 1) < 0.05
    i = gn.randint(3, 7, (1000,))
    assert i.dtype == gn.int64 and i.min().item() == 3 and i.max().item() == 6
    assert gn.randint(5, size=(2, 3)).shape == (2, 3)
    j = gn.randint(4, (50,))  # two positionals read as (high, size), as in PyTorch
    assert j.shape == (50,) and 0 <= j.min().item() and j.max().item() <= 3
    assert gn.randn(2, 3, requires_grad=True).requires_grad
    assert gn.randn_like(gn.zeros(2, dtype=gn.float64)).dtype == gn.float64
    assert gn.randn((2, 3)).shape == (2, 3)


def test_normal_forms():
    m = gn.full((4000,), 3.0, dtype=gn.float64)
    a = gn.normal(m, 0.5)
    assert a.shape == (4000,) and a.dtype == gn.float64 and abs(a.mean().item() - 3) < 0.05
    assert abs(a.std().item() - 0.5) < 0.05
    b = gn.normal(0.0, gn.full((2, 3), 2.0))
    assert b.shape == (2, 3) and not b.requires_grad
    assert gn.normal(gn.zeros(3, 1), gn.ones(1, 2)).shape == (3, 2)
    assert gn.normal(1.0, 2.0, size=(5,)).shape == (5,)
    assert gn.normal(1.0, 2.0, (2, 2), generator=gn.Generator(1)).shape == (2, 2)
    with pytest.raises(TypeError, match="size"):
        gn.normal(1.0, 2.0)


@pytest.mark.parametrize("name,args,bad", [
    ("zeros", (-1,), -1), ("ones", (2, -1), -1), ("empty", (-1,), -1),
    ("full", ((-1,), 1.0), -1), ("randn", (2, -3), -3), ("rand", (-1,), -1),
    ("randint", (0, 5, (-2,)), -2),
])
def test_creation_rejects_a_negative_size_as_pytorch(name, args, bad):
    with pytest.raises(RuntimeError):  # the exception type PyTorch raises
        getattr(torch, name)(*args)
    with pytest.raises(RuntimeError, match=rf"{name}: size must be non-negative .*negative "
                                           rf"dimension {bad}"):
        getattr(gn, name)(*args)
    assert gn.zeros(2, 0).shape == (2, 0)  # an empty dimension stays allowed


def test_random_like_draws_take_pytorchs_keywords():
    x = gn.zeros(2, 3)
    for f in (gn.rand_like, gn.randn_like):
        r = f(x, dtype=gn.float64, device="cpu", requires_grad=True)
        assert r.dtype == gn.float64 and r.requires_grad and tuple(r.shape) == (2, 3)
    r = gn.randint_like(x, 2, 10, device="cpu")
    assert r.dtype == x.dtype and float(r.min()) >= 2 and float(r.max()) < 10
    r = gn.normal(0.0, 1.0, (4,), device="cpu", requires_grad=True)
    assert r.requires_grad and tuple(r.shape) == (4,)


def test_size_keyword_and_frombuffer():
    """``zeros(size=...)`` and the other creation functions' keyword form, and frombuffer
    sharing the buffer's memory, as in PyTorch."""
    for name in ("zeros", "ones", "empty", "rand", "randn"):
        assert tuple(getattr(gn, name)(size=(2, 3)).shape) == tuple(
            getattr(torch, name)(size=(2, 3)).shape) == (2, 3)
        assert tuple(getattr(gn, name)(size=[4]).shape) == (4,)
    assert gn.zeros(size=(2,), dtype=gn.int64).dtype == gn.int64
    with pytest.raises(TypeError, match="zeros\\(\\) got multiple values for argument 'size'"):
        gn.zeros(2, size=(3,))
    buf = bytearray(np.arange(6, dtype=np.int16).tobytes())
    g = gn.frombuffer(buf, dtype=gn.int16, count=3, offset=2)
    t = torch.frombuffer(bytearray(buf), dtype=torch.int16, count=3, offset=2)
    assert g.tolist() == t.tolist() == [1, 2, 3]
    g[0] = 40
    assert np.frombuffer(buf, dtype=np.int16)[1] == 40  # the memory is shared
    f = gn.frombuffer(np.arange(3, dtype=np.float32).tobytes(), dtype=gn.float32,
                      requires_grad=True)
    assert f.requires_grad and f.tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("args", [(1, 4), (0, 1, 0.25), (1, 4, 2), (1.5, 3.7, 0.5), (4, 1, -1)])
def test_deprecated_range_includes_the_end_as_pytorch(args):
    with pytest.warns(UserWarning, match="deprecated"):
        ours = gn.range(*args)
    with pytest.warns(UserWarning):
        theirs = torch.range(*args)
    assert ours.tolist() == theirs.tolist() and str(ours.dtype) == "float32"
    with pytest.warns(UserWarning):
        assert gn.range(1, 3, dtype=gn.int64).tolist() == [1, 2, 3]


def test_linspace_is_pytorchs_to_the_bit():
    """Both halves counted from their own end with PyTorch's rounding, in float32 and float64
    (the bin edges of histogramdd are built from it)."""
    import glassnet as gn

    rng = np.random.default_rng(0)
    for _ in range(200):
        a, b = rng.uniform(-10, 10, 2)
        n = int(rng.integers(1, 40))
        for name in ("float32", "float64"):
            g = gn.linspace(a, b, n, dtype=getattr(gn, name)).numpy()
            t = torch.linspace(a, b, n, dtype=getattr(torch, name)).numpy()
            np.testing.assert_array_equal(g, t) if name == "float32" else \
                np.testing.assert_allclose(g, t, rtol=1e-15, atol=1e-15)
    for a, b, n in ((5, -3, 7), (2, 2, 4), (0, 1, 0)):
        np.testing.assert_array_equal(gn.linspace(a, b, n).numpy(), torch.linspace(a, b, n).numpy())
