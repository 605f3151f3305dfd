"""LeNet-5 (glassnet/models/lenet.py): the layers of the 1998 paper."""

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet.autograd import gradcheck
from glassnet.models import LeNet5, count_parameters, get
from glassnet.models.lenet import (
    PartialConv2d,
    RBFOutput,
    ScaledTanh,
    Subsampling,
    c3_connection_table,
    digit_bitmaps,
)


def test_lenet5_layers_follow_1998():
    classic, modern = LeNet5("classic"), LeNet5("modern")
    kinds = [type(m).__name__ for m in classic.features]
    assert kinds == ["Conv2d", "Tanh", "AvgPool2d", "Conv2d", "Tanh", "AvgPool2d", "Conv2d",
                     "Tanh"]
    assert [type(m).__name__ for m in modern.features][1:3] == ["ReLU", "MaxPool2d"]
    assert classic.features[0].padding in (2, (2, 2))  # 28x28 seen as 32x32
    assert LeNet5(input_size=32).features[0].padding in (0, (0, 0))
    with pytest.raises(ValueError, match="input_size"):
        LeNet5(input_size=24)
    with pytest.raises(ValueError, match="variant"):
        LeNet5("fancy")


def test_lenet5_1998_has_the_papers_layers_and_60000_parameters():
    m = get("lenet5-1998")
    assert m.variant == "1998" and count_parameters(m) == 60_000
    per_layer = [sum(p.numel() for p in layer.parameters()) for layer in
                 (m.features[0], m.features[2], m.features[4], m.features[6], m.features[8],
                  m.classifier[1])]
    assert per_layer == [156, 12, 1_516, 32, 48_120, 10_164]  # C1 S2 C3 S4 C5 F6
    with gn.no_grad():
        out = m(gn.randn(2, 1, 28, 28))
    assert out.shape == (2, 10) and (out.numpy() <= 0).all()  # minus squared distances
    w = m.features[8].weight.detach().numpy()
    assert np.abs(w).max() <= 2.4 / 400  # U(-2.4 / F_in, 2.4 / F_in), F_in = 16 * 25
    assert LeNet5("1998", prototypes="random", num_classes=12).classifier[-1].centres.shape \
        == (12, 84)
    with pytest.raises(ValueError, match="prototypes='random'"):
        LeNet5("1998", num_classes=12)
    with pytest.raises(ValueError, match="prototypes"):
        LeNet5("1998", prototypes="ascii")


def test_c3_table_is_table_one():
    t = c3_connection_table()
    assert t.shape == (6, 16) and t.sum() == 60
    assert list(t.sum(0)) == [3] * 6 + [4] * 9 + [6]
    assert list(np.nonzero(t[:, 12])[0]) == [0, 1, 3, 4] and t[:, 4].tolist() == [
        True, False, False, False, True, True]
    b = digit_bitmaps()
    assert b.shape == (10, 12, 7) and set(np.unique(b)) == {-1.0, 1.0}
    assert len({row.tobytes() for row in b}) == 10


def test_lenet_1998_layers_match_torch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 9, 9))
    conv = PartialConv2d(c3_connection_table(), 3).double()
    with gn.no_grad():
        conv.weight.copy_(gn.tensor(rng.standard_normal((60, 3, 3))))
        conv.bias.copy_(gn.tensor(rng.standard_normal(16)))
    dense = conv.dense_weight().detach().numpy()
    assert (dense[~c3_connection_table().T] == 0).all()
    xg = gn.tensor(x, requires_grad=True)
    out = conv(xg)
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(dense, requires_grad=True)
    ref = torch.nn.functional.conv2d(xt, wt, torch.tensor(conv.bias.detach().numpy()))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10)
    g = rng.standard_normal(ref.shape)
    out.backward(gn.tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-10)
    mask = c3_connection_table().T  # gradients reach exactly the 60 used kernels
    np.testing.assert_allclose(conv.weight.grad.numpy(), wt.grad.numpy()[mask], rtol=1e-10)

    centres = np.where(rng.random((4, 5)) < 0.5, -1.0, 1.0)
    f = rng.standard_normal((3, 5))
    rbf = RBFOutput(centres).double()
    fg, ft = gn.tensor(f, requires_grad=True), torch.tensor(f, requires_grad=True)
    a = rbf(fg)
    b = -((ft[:, None] - torch.tensor(centres)[None]) ** 2).sum(2)
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)
    a.sum().backward()
    b.sum().backward()
    np.testing.assert_allclose(fg.grad.numpy(), ft.grad.numpy(), rtol=1e-12)

    s = Subsampling(3).double()
    with gn.no_grad():
        s.weight.copy_(gn.tensor([0.5, -1.0, 2.0]))
        s.bias.copy_(gn.tensor([0.1, 0.2, 0.3]))
    z = rng.standard_normal((2, 3, 4, 4))
    ref = torch.nn.functional.avg_pool2d(torch.tensor(z), 2) * 4 * \
        torch.tensor([0.5, -1.0, 2.0])[:, None, None] + torch.tensor([0.1, 0.2, 0.3])[:, None,
                                                                                   None]
    np.testing.assert_allclose(s(gn.tensor(z)).detach().numpy(), ref.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ScaledTanh()(gn.tensor(np.array([1.0, -1.0]))).numpy(),
                               [1.0, -1.0], atol=2e-4)  # f(+-1) = +-1, the paper's choice
    assert gradcheck(lambda t: s(t), (gn.tensor(z, requires_grad=True),))
    assert gradcheck(lambda t: conv(t), (gn.tensor(x[:1, :, :6, :6], requires_grad=True),))
