"""Harmonic Network layers (Worrall et al. 2017): parity with a PyTorch complex-number reference
written from the definition, float64 gradients, exact quarter turns, and the rotation-order law
on exactly rotated images."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import check_parity, gradcheck

import glassnet as gn
from glassnet import nn
from glassnet.analysis import BlobScene, rot90
from glassnet.autograd import gradcheck as full_gradcheck
from glassnet.nn.functional import harmonic as H


# ----------------------------------------------------------------------------- references
def torch_harmonic_conv(x, weight, phase, basis, in_orders, out_orders, stride, padding):
    """Reference from the definition, with complex tensors: W_m = exp(i beta_m) sum_j R_mj B_mj
    and y_mo = sum_mi conv2d(x_mi, W_{mo - mi})."""
    weight_orders = sorted({mo - mi for mo in out_orders for mi in in_orders})
    b = torch.complex(basis[:, 0], basis[:, 1])                        # (D, J, k, k)
    w = torch.einsum("djoi,djpq->doipq", weight.to(b.dtype), b)
    if phase is not None:
        w = w * torch.exp(1j * phase.to(b.dtype))[..., None, None]
    if x.ndim == 4:
        xs = {0: x.to(b.dtype)}
    else:
        xs = {m: torch.complex(x[:, :, k, 0], x[:, :, k, 1]) for k, m in enumerate(in_orders)}
    outs = []
    for mo in out_orders:
        y = sum(torch.nn.functional.conv2d(xs[mi], w[weight_orders.index(mo - mi)], None,
                                           stride, padding) for mi in in_orders)
        outs.append(torch.stack([y.real, y.imag], 2))
    return torch.stack(outs, 2)                                       # (N, O, M, 2, H, W)


def torch_magnitude(x, eps):
    return (x * x).sum(3).clamp_min(eps).sqrt()


def turn_phase(y, orders, degrees):
    """Multiply order m of a harmonic map (N, C, M, 2, H, W) by exp(i m theta) (NumPy)."""
    t = np.deg2rad(degrees) * np.asarray(orders, dtype=np.float64)[None, None, :, None, None]
    re, im = y[:, :, :, 0], y[:, :, :, 1]
    return np.stack([re * np.cos(t) - im * np.sin(t), re * np.sin(t) + im * np.cos(t)], 3)


def _conv_case(rng, real_input, in_orders, out_orders, c_in=2, c_out=3, k=3, size=7):
    weight_orders = sorted({mo - mi for mo in out_orders for mi in in_orders})
    n_rings = (k + 1) // 2
    basis = np.stack([H.harmonic_basis(k, m, n_rings) for m in weight_orders])
    shape = (2, c_in, size, size) if real_input else (2, c_in, len(in_orders), 2, size, size)
    x = rng.standard_normal(shape)
    w = rng.standard_normal((len(weight_orders), n_rings, c_out, c_in))
    p = rng.uniform(0, 2 * np.pi, (len(weight_orders), c_out, c_in))
    return x, w, p, basis, weight_orders


# ----------------------------------------------------------------------------- the basis
@pytest.mark.parametrize("k,m", [(3, 0), (5, 1), (5, 2), (7, -1), (7, 3)])
def test_basis_is_a_circular_harmonic(k, m):
    b = H.harmonic_basis(k, m)
    assert b.shape == (2, (k + 1) // 2, k, k)
    z = b[0] + 1j * b[1]
    np.testing.assert_allclose((np.abs(z) ** 2).sum((1, 2)), 1.0, rtol=1e-12)
    # a quarter turn of the filter (as an image, counter-clockwise) multiplies it by i^-m
    np.testing.assert_allclose(np.rot90(z, 1, axes=(1, 2)), (-1j) ** m * z, atol=1e-12)
    # the phase at pixel p is m phi(p), phi measured counter-clockwise from the right
    r = (k - 1) / 2
    off = np.arange(k) - r
    phi = np.arctan2(-off[:, None], off[None, :])
    big = np.abs(z) > 1e-6
    diff = np.angle(z * np.exp(-1j * m * phi))[big]
    np.testing.assert_allclose(diff, 0.0, atol=1e-6)


def test_basis_edge_cases_and_errors():
    one = H.harmonic_basis(1, 0)
    np.testing.assert_allclose(one, [[[[1.0]]], [[[0.0]]]])
    assert np.all(H.harmonic_basis(1, 1) == 0)            # a 1x1 filter has no order-1 part
    with pytest.raises(ValueError, match="harmonic_basis: kernel_size must be a positive odd"):
        H.harmonic_basis(4, 0)
    with pytest.raises(ValueError, match="n_rings must be >= 1"):
        H.harmonic_basis(3, 0, 0)
    assert H.as_orders(2) == (0, 1, 2) and H.as_orders([1, -1]) == (-1, 1)
    with pytest.raises(ValueError, match="distinct"):
        H.as_orders([1, 1])
    with pytest.raises(TypeError, match="in_orders must be an int or a sequence"):
        H.as_orders(1.5, "in_orders")


# ----------------------------------------------------------------------------- convolution
@pytest.mark.parametrize("real_input,in_orders,out_orders,stride,padding", [
    (True, (0,), (0, 1), 1, 1),
    (True, (0,), (-1, 0, 2), 2, 0),
    (False, (0, 1), (0, 1), 1, 1),
    (False, (-1, 0, 1), (0, 2), 2, 2),
])
def test_harmonic_conv2d_matches_complex_reference(real_input, in_orders, out_orders, stride,
                                                   padding):
    rng = np.random.default_rng(len(in_orders) + 3 * len(out_orders))
    x, w, p, basis, weight_orders = _conv_case(rng, real_input, in_orders, out_orders)

    def gn_fn(x, w, p, basis):
        re, im = H.harmonic_filters(w, basis, p)
        return H.harmonic_conv2d(x, re, im, in_orders, out_orders, weight_orders, stride,
                                 padding)

    def th_fn(x, w, p, basis):
        return torch_harmonic_conv(x, w, p, basis, in_orders, out_orders, stride, padding)

    inputs = [x, w, p, basis]
    check_parity(gn_fn, th_fn, inputs, grad_inputs=[0, 1, 2])
    check_parity(gn_fn, th_fn, inputs, dtype=np.float64, grad_inputs=[0, 1, 2])
    gradcheck(gn_fn, inputs, grad_inputs=[0, 1, 2])


def test_layer_gradcheck_float64():
    gn.manual_seed(0)
    conv = nn.HarmonicConv2d(2, 2, 3, (0, 1), (0, 1), padding=1).double()
    x = gn.tensor(np.random.default_rng(1).standard_normal((1, 2, 2, 2, 4, 4)),
                  requires_grad=True)

    def f(x, weight, phase):
        re, im = H.harmonic_filters(weight, conv.basis, phase)
        return H.harmonic_conv2d(x, re, im, conv.in_orders, conv.out_orders,
                                 conv.weight_orders, 1, 1)

    assert full_gradcheck(f, (x, conv.weight, conv.phase))


def test_layer_shapes_parameters_and_errors():
    conv = nn.HarmonicConv2d(3, 4, 5, in_orders=1, out_orders=(0, 1, 2), padding="same",
                             n_rings=4)
    assert conv.weight_orders == (-1, 0, 1, 2)
    assert tuple(conv.weight.shape) == (4, 4, 4, 3) and tuple(conv.phase.shape) == (4, 4, 3)
    assert tuple(conv.basis.shape) == (4, 2, 4, 5, 5)
    assert set(conv.state_dict()) == {"weight", "phase"}            # the basis is fixed
    y = conv(gn.randn(2, 3, 2, 2, 9, 9))
    assert tuple(y.shape) == (2, 4, 3, 2, 9, 9)
    assert "in_orders=(0, 1)" in repr(conv) and "padding=(2, 2)" in repr(conv)
    first = nn.HarmonicConv2d(1, 2, 3, stride=2, phase=False)
    assert first.phase is None and tuple(first(gn.randn(1, 1, 9, 9)).shape) == (1, 2, 2, 2, 4, 4)
    assert sum(q.numel() for q in first.parameters()) == 2 * 2 * 2 * 1   # 2 orders, 2 rings
    w = conv.weight.detach().numpy()
    assert abs(w.std() - 1 / np.sqrt(4 * 3 * 2)) < 0.05
    with pytest.raises(ValueError, match="HarmonicConv2d: kernel_size must be odd"):
        nn.HarmonicConv2d(1, 1, 4)
    with pytest.raises(ValueError, match=r"expected a harmonic feature map of shape \(N, 3, 2"):
        conv(gn.randn(2, 3, 3, 2, 9, 9))
    with pytest.raises(ValueError, match="a real image .* has rotation order 0"):
        conv(gn.randn(2, 3, 9, 9))
    with pytest.raises(ValueError, match="input has 2 channels but the filters expect 1"):
        first(gn.randn(1, 2, 9, 9))


def test_quarter_turns_are_exact():
    """f(rot90 x) = i^m rot90 f(x) for every output order m, to float rounding."""
    gn.manual_seed(0)
    net = nn.Sequential(nn.HarmonicConv2d(1, 3, 5, 0, (0, 1, 2), padding=2),
                        nn.HarmonicReLU(3, 3),
                        nn.HarmonicConv2d(3, 2, 5, (0, 1, 2), (-1, 0, 1, 2), padding=2))
    x = gn.tensor(np.random.default_rng(0).standard_normal((2, 1, 11, 11)).astype(np.float32))
    with gn.no_grad():
        y, y_turned = net(x).numpy(), net(rot90(x)).numpy()
    expected = turn_phase(np.rot90(y, 1, axes=(-2, -1)), (-1, 0, 1, 2), 90)
    np.testing.assert_allclose(y_turned, expected, atol=2e-5 * np.abs(y).max())


def _norm_per_order(y):
    return np.sqrt((y ** 2).sum(axis=(0, 1, 3, 4, 5)))


def test_rotation_order_law_on_exactly_rotated_images():
    """A filter of order m turns the phase of the response by m theta for any theta: checked
    at the centre of images rotated analytically (Gaussian blobs drawn at rotated positions),
    through one layer and through two (orders adding along every path)."""
    gn.manual_seed(0)
    orders = (0, 1, 2)
    one = nn.HarmonicConv2d(1, 3, 7, 0, orders, padding=3).double()
    two = nn.Sequential(one, nn.HarmonicConv2d(3, 2, 7, orders, orders, padding=3).double())
    scene = BlobScene.random(8, 33, n_blobs=3, sigma=(1.0, 2.0), generator=1)
    scene.centers *= 0.4                      # near the centre, inside the filters' reach
    with gn.no_grad():
        for net in (one, two):
            y0 = net(gn.tensor(scene.render(0, np.float64))).numpy()[..., 16:17, 16:17]
            for angle in (30, 45, 75, 200):
                y = net(gn.tensor(scene.render(angle, np.float64))).numpy()[..., 16:17, 16:17]
                scale = _norm_per_order(y0)
                right = _norm_per_order(y - turn_phase(y0, orders, angle))
                wrong = _norm_per_order(y - turn_phase(y0, (1, 2, 3), angle))
                assert np.all(right / scale < 0.03), (angle, right / scale)
                assert np.all(wrong / scale > 0.4), (angle, wrong / scale)


# ----------------------------------------------------------------------------- the rest
def test_harmonic_relu_matches_reference_and_keeps_the_phase():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 2, 2, 4, 4))
    b = rng.standard_normal((3, 2))

    def th_fn(x, b):
        mag = torch_magnitude(x, 1e-4)
        return x * (torch.relu(mag + b[None, :, :, None, None]) / mag).unsqueeze(3)

    check_parity(lambda x, b: H.harmonic_relu(x, b, 1e-4), th_fn, [x, b])
    check_parity(lambda x, b: H.harmonic_relu(x, b, 1e-4), th_fn, [x, b], dtype=np.float64)
    gradcheck(lambda x, b: H.harmonic_relu(x, b, 1e-4), [x, b])
    layer = nn.HarmonicReLU(3, 2)
    assert layer.bias.detach().numpy().tolist() == [[0.0, 0.0]] * 3   # starts as the identity
    layer.bias.data = gn.tensor(b.astype(np.float32))
    xs = x.astype(np.float32)
    y = layer(gn.tensor(xs)).detach().numpy()
    y_turned = layer(gn.tensor(turn_phase(xs, (0, 1), 37.0).astype(np.float32)))
    np.testing.assert_allclose(y_turned.detach().numpy(), turn_phase(y, (0, 1), 37.0),
                               atol=1e-5)
    with pytest.raises(ValueError, match=r"HarmonicReLU: expected .* \(N, 3, 2, 2, H, W\)"):
        layer(gn.randn(2, 3, 4, 4))


def test_harmonic_batch_norm_normalises_magnitudes():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 2, 2, 2, 3, 3))

    def th_fn(x):
        mag = torch_magnitude(x, 1e-4)
        bn = torch.nn.functional.batch_norm(mag.reshape(4, 4, 3, 3), None, None, training=True,
                                            eps=1e-3).reshape(mag.shape)
        return x * (torch.relu(bn) / mag).unsqueeze(3)

    layer = nn.HarmonicBatchNorm(2, 2)
    check_parity(layer, th_fn, [x])
    assert float(layer.bn.num_batches_tracked.item()) == 1 and "relu=True" in repr(layer)
    layer.eval()
    xs = x.astype(np.float32)
    y = layer(gn.tensor(xs)).detach().numpy()
    y_turned = layer(gn.tensor(turn_phase(xs, (0, 1), 123.0).astype(np.float32)))
    np.testing.assert_allclose(y_turned.detach().numpy(), turn_phase(y, (0, 1), 123.0),
                               atol=1e-5)


def test_pooling_and_magnitude():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 2, 2, 6, 6))
    check_parity(lambda x: nn.HarmonicAvgPool2d(2)(x),
                 lambda x: torch.nn.functional.avg_pool2d(x.reshape(2, 12, 6, 6), 2)
                 .reshape(2, 3, 2, 2, 3, 3), [x])
    check_parity(lambda x: nn.HarmonicMagnitude()(x),
                 lambda x: torch_magnitude(x, 1e-12).sum(2), [x])
    mag = nn.HarmonicMagnitude(sum_orders=False)
    xs = gn.tensor(x.astype(np.float32))
    turned = gn.tensor(turn_phase(x, (0, 1), 71.0).astype(np.float32))
    np.testing.assert_allclose(mag(turned).numpy(), mag(xs).numpy(), rtol=1e-5)
    assert tuple(mag(xs).shape) == (2, 3, 2, 6, 6)
    with pytest.raises(ValueError, match="harmonic_avg_pool2d: expected a harmonic feature map"):
        nn.HarmonicAvgPool2d(2)(gn.randn(2, 3, 6, 6))
