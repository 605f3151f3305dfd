"""From McCulloch-Pitts gates (1943) to Rosenblatt's perceptron (1958), and where it stops.

    python examples/02_perceptron.py
"""

import numpy as np

from glassnet.models import McCullochPitts, Perceptron

# 1943: a neuron as a logic gate - weights and threshold chosen by hand
for gate in ("and", "or", "nand", "not"):
    inputs, outputs = McCullochPitts.gate(gate).truth_table()
    table = ", ".join(f"{tuple(int(v) for v in x)}->{int(o)}" for x, o in zip(inputs, outputs))
    print(f"McCulloch-Pitts {gate.upper():4s}: {table}")

# 1958: the same unit, but the weights are learned with w += lr (y - y_hat) x
X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
for name, y in (("AND", [0, 0, 0, 1]), ("OR", [0, 1, 1, 1]), ("XOR", [0, 1, 1, 0])):
    p = Perceptron(2).fit(X, np.array(y), epochs=100)
    print(f"perceptron on {name}: converged={p.converged} after {len(p.history)} epochs, "
          f"accuracy {p.score(X, y):.2f}, w={p.weight.detach().numpy()}, "
          f"b={float(p.bias.detach().numpy()):.1f}, mistakes in last epochs {p.history[-3:]}")
