"""The worked examples of the course material (seeds/) as tests, and the lectures' properties.

The slides were extracted to text, and a few of their numbers came out garbled. Where a figure
disagrees with a hand computation from the same slide, the hand computation is tested and a
comment says what the slide shows.
"""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F
from glassnet import nn
from glassnet.analysis import conv_matrix, conv_param_comparison

KERNEL = [[1.0, 1, 1], [1, 2, 1], [1, 1, 1]]


def t4(a):
    """A 2-D list as a (1, 1, H, W) tensor."""
    return gn.tensor(np.asarray(a, dtype=np.float32)[None, None])


# ----------------------------------------------------------------------------- pooling
def test_max_pooling_grid_001():
    # 001 (shallow and deep networks), "Max-Pooling": 2x2 max pool of a 4x4 grid
    x = t4([[12, 20, 30, 0], [8, 12, 2, 0], [34, 70, 37, 4], [112, 100, 25, 12]])
    assert F.max_pool2d(x, 2).numpy()[0, 0].tolist() == [[20, 30], [112, 37]]


def test_max_pooling_grid_000():
    # 000 (deep learning), "Pooling": the 2x2 max pool built up window by window: 6, 8, 5, 4
    x = t4([[6, 1, 2, 4], [1, 6, 7, 8], [3, 5, 2, 0], [1, 2, 3, 4]])
    y = nn.MaxPool2d(2)(x)
    assert y.numpy()[0, 0].tolist() == [[6, 8], [5, 4]]
    # the window's maximum receives the whole gradient; here the tie-free picks are
    x.requires_grad_(True)
    F.max_pool2d(x, 2).sum().backward()
    assert x.grad.numpy()[0, 0].tolist() == [[1, 0, 0, 0], [0, 0, 0, 1], [0, 1, 0, 0],
                                              [0, 0, 0, 1]]


# ----------------------------------------------------------------------------- strided conv
def test_strided_convolution_7x7_stride_2():
    # 001, "Strided convolution: stride 2": the 3x3 kernel [[1,1,1],[1,2,1],[1,1,1]] / 10 on a
    # 7x7 grid with stride 2. The two extracted copies of the grid differ in garbled cells; this
    # one (9 at (1, 5), 8 at (3, 3), 8 at (5, 5)) reproduces seven of the nine printed outputs,
    # including the worked first one, (2+6+5+8+2*2+4+3+5+3)/10 = 4.0. The slide prints 4.3 and
    # 3.6 for outputs (1, 0) and (1, 2); from the grid as printed they are 3.1 and 3.2, which
    # is what is tested.
    x = t4([[2, 6, 5, 8, 1, 1, 2],
            [8, 2, 4, 4, 5, 9, 3],
            [3, 5, 3, 7, 6, 0, 1],
            [5, 1, 9, 8, 7, 0, 4],
            [2, 1, 1, 2, 7, 1, 6],
            [1, 8, 3, 7, 5, 8, 0],
            [4, 1, 6, 9, 5, 7, 0]])
    y = F.conv2d(x, t4(KERNEL) / 10, stride=2)
    expected = [[4.0, 4.7, 3.7], [3.1, 5.8, 3.2], [3.5, 5.2, 4.7]]
    np.testing.assert_allclose(y.numpy()[0, 0], expected, atol=1e-6)


def test_padding_and_stride_output_sizes():
    # 000, "Padding and strides": a 3x3 filter on a 7x7 input
    x = gn.randn(1, 1, 7, 7)
    w = gn.randn(1, 1, 3, 3)
    assert F.conv2d(x, w).shape[2:] == (5, 5)  # stride 1, no padding
    assert F.conv2d(x, w, stride=2).shape[2:] == (3, 3)  # stride 2, no padding
    assert F.conv2d(x, w, padding=1).shape[2:] == (7, 7)  # stride 1, zero padding
    assert F.conv2d(x, w, stride=2, padding=1).shape[2:] == (4, 4)  # stride 2, zero padding


# ----------------------------------------------------------------------------- transposed conv
def test_transposed_convolution_stride_3():
    # 001, "Transposed convolution", stride 3: the kernel pasted four times, scaled by 4, 3, 2, 0
    y = F.conv_transpose2d(t4([[4, 3], [2, 0]]), t4(KERNEL), stride=3)
    assert y.numpy()[0, 0].tolist() == [[4, 4, 4, 3, 3, 3],
                                         [4, 8, 4, 3, 6, 3],
                                         [4, 4, 4, 3, 3, 3],
                                         [2, 2, 2, 0, 0, 0],
                                         [2, 4, 2, 0, 0, 0],
                                         [2, 2, 2, 0, 0, 0]]


def test_transposed_convolution_stride_2():
    # stride 2: the pastes overlap by one row/column and are summed
    y = F.conv_transpose2d(t4([[4, 3], [2, 0]]), t4(KERNEL), stride=2)
    assert y.numpy()[0, 0].tolist() == [[4, 4, 7, 3, 3],
                                         [4, 8, 7, 6, 3],
                                         [6, 6, 9, 3, 3],
                                         [2, 4, 2, 0, 0],
                                         [2, 2, 2, 0, 0]]


def test_transposed_convolution_stride_1():
    # stride 1. The slide prints [[4,7,7,3],[6,13,12,3],[6,11,12,3],[2,4,2,0]]; pasting the
    # kernel by hand gives 9 at (2, 2) (4*1 + 3*1 + 2*1 + 0*2) and 2 at (3, 1) (2*1 + 0*1),
    # which is tested; the other fourteen entries agree with the slide.
    y = F.conv_transpose2d(t4([[4, 3], [2, 0]]), t4(KERNEL), stride=1)
    assert y.numpy()[0, 0].tolist() == [[4, 7, 7, 3], [6, 13, 12, 3], [6, 11, 9, 3],
                                         [2, 2, 2, 0]]
    # "Why 'transposed' convolution?": [[2, 3], [1, 0]] at stride 1
    y = F.conv_transpose2d(t4([[2, 3], [1, 0]]), t4(KERNEL))
    assert y.numpy()[0, 0].tolist() == [[2, 5, 5, 3], [3, 8, 9, 3], [3, 7, 6, 3], [1, 1, 1, 0]]


def test_why_it_is_called_transposed():
    # The convolution of the 4x4 grid is a 4x16 matrix M times the flattened grid; the slide
    # prints 39 38 44 46, hand computation gives 34 for the first entry
    # (4+3+2+6+2*2+4+3+5+3 = 34), which is tested.
    x = np.array([[4.0, 3, 2, 4], [6, 2, 4, 4], [3, 5, 3, 7], [6, 1, 9, 8]])
    m = conv_matrix(np.array(KERNEL), (4, 4), sparse=False)
    assert (m @ x.ravel()).tolist() == [34, 38, 44, 46]
    assert F.conv2d(t4(x), t4(KERNEL)).numpy().ravel().tolist() == [34, 38, 44, 46]
    # and the transposed convolution is computed with the transposed matrix
    assert (m.T @ np.array([2.0, 3, 1, 0])).reshape(4, 4).tolist() == \
        [[2, 5, 5, 3], [3, 8, 9, 3], [3, 7, 6, 3], [1, 1, 1, 0]]


# ----------------------------------------------------------------------------- costs
def test_sparse_interactions_counts():
    # 002, "Sparse interactions" (after Goodfellow): 320x280 input, 2x1 kernel
    c = conv_param_comparison((320, 280), (2, 1))
    assert c["dense"]["stored_floats"] == 319 * 280 * 320 * 280
    assert c["sparse"]["stored_floats"] == 178_640
    assert c["shared_kernel"]["stored_floats"] == 2
    assert c["shared_kernel"]["float_ops"] == 319 * 280 * 3 == 267_960


def test_factorized_convolution_operation_counts():
    # 000, "Separable convolution": m = n = 32, d = 3, 5x1 then 1x5 vs a 5x5 convolution; the
    # slide counts 75602 vs 176401 (it adds 1 to each product)
    counts = nn.FactorizedConv2d(3, 3, 5).mult_adds((32, 32))
    assert counts["factorized"] + 2 == 75602
    assert counts["full"] + 1 == 176401


def test_flattening_layer():
    # 003 (transcript): "the flattening layer will take this 4x4 by 64 tensor and reshape it in
    # a 1d tensor of shape 1x1024"
    assert nn.Flatten()(gn.randn(1, 64, 4, 4)).shape == (1, 1024)


def test_image_kernels():
    # 002 / 004, "Image kernels": Gaussian blur, edge detection and sharpen filters
    blur = np.array([[1.0, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16
    edge = np.array([[-1.0, -1, -1], [-1, 8, -1], [-1, -1, -1]])
    sharpen = np.array([[0.0, -1, 0], [-1, 5, -1], [0, -1, 0]])
    from glassnet.nn.modules.pooling import binomial_filter
    np.testing.assert_allclose(binomial_filter(3), blur)  # BlurPool's filter is this blur
    flat = t4(np.full((5, 5), 3.0))
    assert np.allclose(F.conv2d(flat, t4(blur)).numpy(), 3.0)  # weights sum to 1
    assert np.allclose(F.conv2d(flat, t4(sharpen)).numpy(), 3.0)
    assert np.allclose(F.conv2d(flat, t4(edge)).numpy(), 0.0)  # no edges in a flat image
    step = t4(np.repeat([[0.0, 0, 0, 1, 1, 1]], 5, axis=0))
    assert np.abs(F.conv2d(step, t4(edge)).numpy()).max() == 3.0  # responds at the edge


# ----------------------------------------------------------------------------- properties
def _sig(a):
    return gn.tensor(np.asarray(a, dtype=np.float64)[None])  # (1, L): unbatched, 1 channel


def _ker(a):
    return gn.tensor(np.asarray(a, dtype=np.float64)[None, None])  # (1, 1, K)


def _full(f, g):
    return F.convolve(_sig(f), _ker(g), padding="full").numpy()[0]


def test_true_convolution_algebra():
    r = np.random.default_rng(0)
    for _ in range(20):
        f, g, h = (r.standard_normal(int(r.integers(1, 8))) for _ in range(3))
        fg = _full(f, g)
        np.testing.assert_allclose(fg, np.convolve(f, g), atol=1e-12)  # signal processing's
        np.testing.assert_allclose(fg, _full(g, f), atol=1e-12)  # commutative
        np.testing.assert_allclose(_full(fg, h), _full(f, _full(g, h)), atol=1e-12)  # assoc.
        if len(g) == len(h):
            np.testing.assert_allclose(_full(f, g + h), fg + _full(f, h), atol=1e-12)  # distr.
    # cross-correlation (what conv1d computes) is not commutative: it reverses instead
    f, g = np.array([1.0, 2, 3]), np.array([0.0, 1, 0.5])
    xc = F.conv1d(_sig(f), _ker(g), padding=2).numpy()[0]
    gx = F.conv1d(_sig(g), _ker(f), padding=2).numpy()[0]
    assert not np.allclose(xc, gx) and np.allclose(xc, gx[::-1])
    np.testing.assert_allclose(_full(f, g), [0, 1, 2.5, 4, 1.5])


def test_convolve_equals_correlation_with_flipped_kernel():
    # float32 sums over the same products: a flipped kernel is a strided view, and the matrix
    # product may add the terms in another order, so the results agree to rounding, not bitwise
    gn.manual_seed(0)
    x, w = gn.randn(2, 3, 7, 6), gn.randn(4, 3, 3, 2)
    np.testing.assert_allclose(F.convolve(x, w, padding=1).numpy(),
                               F.conv2d(x, F.flip_kernel(w), padding=1).numpy(),
                               rtol=1e-5, atol=1e-6)
    sym = gn.tensor(np.array(KERNEL, dtype=np.float32)[None, None])
    x1 = gn.randn(1, 1, 5, 5)
    np.testing.assert_allclose(F.convolve(x1, sym).numpy(), F.conv2d(x1, sym).numpy(),
                               rtol=1e-5, atol=1e-6)


def test_circular_padding_makes_convolution_exactly_shift_equivariant():
    gn.manual_seed(0)
    conv = nn.Conv2d(3, 4, 3, padding=1, padding_mode="circular")
    x = gn.randn(2, 3, 8, 10)
    with gn.no_grad():
        for shift in [(1, 0), (0, 3), (2, 5), (-3, -1)]:
            a = conv(x.roll(shift, (2, 3))).numpy()
            b = np.roll(conv(x).numpy(), shift, (2, 3))
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        # zero padding is equivariant only away from the border
        zconv = nn.Conv2d(3, 4, 3, padding=1)
        zconv.load_state_dict(conv.state_dict())
        a, b = zconv(x.roll(1, 3)).numpy(), np.roll(zconv(x).numpy(), 1, 3)
        assert not np.allclose(a, b, atol=1e-4)
        np.testing.assert_allclose(a[..., 2:-1], b[..., 2:-1], rtol=1e-5, atol=1e-6)


def test_max_pooling_breaks_shift_equivariance_and_blurpool_reduces_it():
    # the lectures' example: 0 0 1 1 0 0 1 1 max-pooled (2, stride 2) gives 0 1 0 1; shifted by
    # one pixel it gives 1 1 1 1 (every row of an 8x8 image carries the signal)
    sig = np.array([0.0, 0, 1, 1, 0, 0, 1, 1])
    img = gn.tensor(np.tile(sig, (8, 1))[None, None].astype(np.float32))
    pool = nn.MaxPool2d(2)
    assert pool(img).numpy()[0, 0, 0].tolist() == [0, 1, 0, 1]
    assert pool(img.roll(1, 3)).numpy()[0, 0, 0].tolist() == [1, 1, 1, 1]

    def deviation(layer, x):
        # how much the downsampled map changes when the input moves by one pixel
        y0 = layer(x).numpy()
        devs = [np.abs(layer(x.roll(s, d)).numpy() - y0).mean() / np.abs(y0).mean()
                for s, d in [(1, 2), (1, 3), (-1, 2), (-1, 3)]]
        return float(np.mean(devs))

    gn.manual_seed(0)
    raw = gn.randn(4, 3, 34, 34)
    x = F.avg_pool2d(raw, 3, 1)  # a smoother, image-like input (32x32)
    with gn.no_grad():
        max_pool = nn.MaxPool2d(2)
        max_blur = nn.MaxBlurPool2d(3, kernel_size=2, filt_size=5, pad_mode="circular")
        d_max, d_blur = deviation(max_pool, x), deviation(max_blur, x)
        assert d_blur < 0.8 * d_max
        d_lecture = deviation(max_blur, img)
        assert d_lecture < deviation(max_pool, img)
        # plain subsampling vs blurred subsampling
        d_sub = deviation(lambda t: t[:, :, ::2, ::2], x)
        d_blurpool = deviation(nn.BlurPool2d(3, 5, pad_mode="circular"), x)
        assert d_blurpool < 0.8 * d_sub


@pytest.mark.parametrize("stride", [1, 2])
def test_strided_circular_convolution_equivariant_to_multiples_of_the_stride(stride):
    conv = nn.Conv2d(2, 2, 3, stride=stride, padding=1, padding_mode="circular")
    x = gn.randn(1, 2, 8, 8)
    with gn.no_grad():
        a = conv(x.roll(2 * stride, 3)).numpy()
        b = np.roll(conv(x).numpy(), 2, 3)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
