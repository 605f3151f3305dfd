"""The degradation problem (He et al. 2016, figure 6), small enough for a laptop CPU.

Deeper plain networks train *worse* than shallow ones; with shortcuts, deeper trains better.
This trains plain-20, plain-56, resnet20 and resnet56 for a few epochs on a Fashion-MNIST
subset and prints each one's final training loss and test accuracy. The full comparison:

    glassnet train --model plain56 --dataset fashion-mnist --epochs 10 --scheduler cosine ...

    python examples/04_resnet_depth.py [train_samples] [epochs]
"""

import sys

import glassnet as gn
from glassnet import nn, optim
from glassnet.data import DataLoader, Subset, datasets
from glassnet.data.transforms import Normalize
from glassnet.models import get
from glassnet.train import Trainer

n_train = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
norm = Normalize((0.2860,), (0.3530,))
train = Subset(datasets.get("fashion-mnist", train=True, transform=norm), range(n_train))
test = Subset(datasets.get("fashion-mnist", train=False, transform=norm), range(1000))

for name in ("plain20", "plain56", "resnet20", "resnet56"):
    gn.manual_seed(0)
    model = get(name, in_channels=1)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    trainer = Trainer(model, opt, nn.CrossEntropyLoss(), run_dir=False, progress=False)
    history = trainer.fit(DataLoader(train, batch_size=128, shuffle=True), epochs=epochs)
    acc = trainer.evaluate(DataLoader(test, batch_size=256))["accuracy"]
    print(f"{name:9s} train loss per epoch {[round(v, 3) for v in history['loss']]}, "
          f"test accuracy {acc:.3f}")
