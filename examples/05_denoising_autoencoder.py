"""A denoising convolutional autoencoder (Vincent et al. 2008) on Fashion-MNIST.

The network sees noisy images in training and is asked for the clean ones; its decoder
upsamples with transposed convolutions. Prints the reconstruction error of noisy test
images before and after training.

    python examples/05_denoising_autoencoder.py [train_samples] [epochs]
"""

import sys

import glassnet as gn
from glassnet import nn, optim
from glassnet.data import DataLoader, Subset, datasets
from glassnet.models import ConvAutoencoder

n_train = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
gn.manual_seed(0)
train = Subset(datasets.get("fashion-mnist", train=True), range(n_train))
test_x, _ = datasets.get("fashion-mnist", train=False).get_batch(list(range(500)))
test_x = gn.tensor(test_x)
noisy = (test_x + 0.3 * gn.randn_like(test_x)).clamp(0, 1)

model = ConvAutoencoder(1, denoising=True, noise_std=0.3)
opt = optim.Adam(model.parameters(), lr=2e-3)
mse = nn.MSELoss()


def test_error():
    model.eval()
    with gn.no_grad():
        return mse(model(noisy), test_x).item()


print(f"before training: MSE(denoised, clean) = {test_error():.4f}, "
      f"MSE(noisy, clean) = {mse(noisy, test_x).item():.4f}")
for epoch in range(epochs):
    model.train()
    for x, _ in DataLoader(train, batch_size=64, shuffle=True):
        opt.zero_grad()
        loss = mse(model(x), x)  # noise is added inside the model in training mode
        loss.backward()
        opt.step()
    print(f"epoch {epoch + 1}: train loss {loss.item():.4f}, test MSE {test_error():.4f}")
