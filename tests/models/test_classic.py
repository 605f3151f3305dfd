"""McCulloch-Pitts gates and Rosenblatt's perceptron: truth tables, convergence, XOR's failure."""

import numpy as np
import pytest

import glassnet as gn
from glassnet.models import McCullochPitts, Perceptron, get

X2 = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)


@pytest.mark.parametrize("gate, expected", [
    ("and", [0, 0, 0, 1]), ("or", [0, 1, 1, 1]), ("nand", [1, 1, 1, 0]), ("nor", [1, 0, 0, 0]),
])
def test_mcculloch_pitts_two_input_gates(gate, expected):
    unit = McCullochPitts.gate(gate)
    inputs, outputs = unit.truth_table()
    np.testing.assert_array_equal(inputs, X2)
    np.testing.assert_array_equal(outputs, expected)
    assert outputs.dtype == np.float32
    assert list(unit.parameters()) == []  # nothing to learn


def test_mcculloch_pitts_not_and_custom_threshold():
    inputs, outputs = McCullochPitts.gate("NOT").truth_table()
    np.testing.assert_array_equal(inputs[:, 0], [0, 1])
    np.testing.assert_array_equal(outputs, [1, 0])
    majority = McCullochPitts([1, 1, 1], threshold=2)  # fires when two of three inputs are on
    _, out = majority.truth_table()
    np.testing.assert_array_equal(out, [0, 0, 0, 1, 0, 1, 1, 1])
    assert get("mcculloch-pitts", gate="or")(gn.tensor(X2)).tolist() == [0, 1, 1, 1]


def test_mcculloch_pitts_errors():
    with pytest.raises(ValueError, match="unknown gate 'xor'"):
        McCullochPitts.gate("xor")
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 2\)"):
        McCullochPitts.gate("and")(gn.zeros(4, 3))


@pytest.mark.parametrize("gate, y", [("and", [0, 0, 0, 1]), ("or", [0, 1, 1, 1]),
                                     ("nand", [1, 1, 1, 0])])
def test_perceptron_converges_on_linearly_separable_gates(gate, y):
    p = Perceptron(2, lr=1.0).fit(X2, np.array(y), epochs=50)
    assert p.converged and p.history[-1] == 0
    assert p.score(X2, y) == 1.0
    np.testing.assert_array_equal(p(X2).numpy(), y)


def test_perceptron_fails_on_xor():
    y = np.array([0, 1, 1, 0])
    p = Perceptron(2).fit(X2, y, epochs=200, shuffle=True)
    assert not p.converged
    assert min(p.history) > 0  # a mistake in every single epoch
    assert p.score(X2, y) <= 0.75  # no line gets all four right


def test_perceptron_rule_single_step():
    # one mistake on x = (1, 1) with target 1 from zero weights: w = 0 + (1 - 1[0 >= 0]) x = 0
    # (0 >= 0 predicts 1); with target 0 it moves w and b by -x and -1
    p = Perceptron(2, lr=0.5).fit(np.array([[1.0, 1.0]]), np.array([0]), epochs=1)
    np.testing.assert_allclose(p.weight.numpy(), [-0.5, -0.5])
    np.testing.assert_allclose(p.bias.numpy(), -0.5)
    assert p.history == [1]


def test_perceptron_separable_cloud_and_errors():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5)).astype(np.float32)
    w = rng.normal(size=5)
    y = (X @ w + 0.3 > 0).astype(np.float32)
    p = Perceptron(5).fit(X, y, epochs=500)
    assert p.converged and p.score(X, y) == 1.0
    assert sum(int(t.numel()) for t in p.parameters()) == 6
    with pytest.raises(ValueError, match="labels y must be 0 or 1"):
        Perceptron(2).fit(X2, np.array([0, 2, 1, 0]))
    with pytest.raises(ValueError, match=r"expected X of shape \(N, 3\)"):
        Perceptron(3).fit(X2, np.array([0, 1, 1, 0]))
