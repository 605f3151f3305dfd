"""XOR: the function one neuron cannot learn and a two-layer network learns in a second.

Minsky and Papert (1969): a single linear threshold unit separates the plane with one line,
and no line puts (0,1), (1,0) on one side and (0,0), (1,1) on the other. One hidden layer bends
the boundary (course material 004, "1969" and "Multi-Layer Perceptron").

    python examples/01_xor_mlp.py
"""

import glassnet as gn
from glassnet import nn, optim
from glassnet.models import MLP

gn.manual_seed(0)
X = gn.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
y = gn.tensor([0, 1, 1, 0])

for hidden in ([], [8]):  # no hidden layer (a linear model), then one hidden layer of 8 units
    model = MLP([2, *hidden, 2], activation="tanh")
    opt = optim.Adam(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    for step in range(500):
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        opt.step()
    with gn.no_grad():
        pred = model(X).argmax(dim=1)
    acc = (pred == y).float().mean().item()
    print(f"MLP {[2, *hidden, 2]}: loss {loss.item():.4f}, predictions {pred.tolist()}, "
          f"accuracy {acc:.2f}")
