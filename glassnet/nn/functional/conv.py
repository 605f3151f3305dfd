"""Convolution: conv1d/2d/3d, the transposed convolutions, unfold/fold, and true convolution.

What deep learning calls "convolution" is cross-correlation: the kernel slides over the input
without being flipped::

    y[n, o, p] = bias[o] + sum_(c, k) W[o, c, k] * x_padded[n, g(o) * C/g + c, p * stride + k * dilation]

with the output size per spatial dimension ``floor((L + 2 padding - dilation (K - 1) - 1) / stride) + 1``.
Each output channel sees only the ``C / groups`` input channels of its group (``groups = C``
is a depthwise convolution). Two ideas from the lectures carry the whole implementation:

* **Weight sharing makes convolution a (sparse) matrix product.** Copying every receptive field
  into a column (im2col) turns it into one dense matrix product with the shared kernel
  (``im2col.py``); ``glassnet.analysis.conv_matrix`` builds the sparse matrix itself.
* **Transposed convolution is the transposed matrix.** The input gradient of a convolution
  multiplies by M.T, and so does ``conv_transpose``: each input pixel pastes a scaled copy of the
  kernel into the output and overlapping pastes add up. So ``conv_transpose`` is computed as a
  convolution's input gradient and its own input gradient is a convolution (DESIGN.md habit 4).

``convolve`` and ``flip_kernel`` show the difference from true (signal processing) convolution,
which flips the kernel and is therefore commutative and associative.
"""

from __future__ import annotations

import functools

from ...autograd import Function
from ...backend import array_module, compute_in_float32
from ...ops import autocast
from ...tensor import Tensor
from .conv_kernels import conv_pass, full_correlation, input_grad
from .im2col import geometry, ntuple
from .padding import onnx_pads


# ------------------------------------------------------------------ argument handling
def _check_tensor(op, name, t):
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")


def conv_pads(padding, ksize, stride, dilation, op):
    """``padding`` (int, tuple, 'valid', 'same') as ((low, high), ...) per spatial dimension."""
    nd = len(ksize)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{op}: padding='same' is not supported for strided "
                                 f"convolutions (stride={stride})")
            pads = []
            for k, d in zip(ksize, dilation):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))
            return tuple(pads)
        raise ValueError(f"{op}: padding must be an int, a tuple, 'valid' or 'same', "
                         f"got {padding!r}")
    p = ntuple(padding, nd, op, "padding", minimum=0)
    return tuple((v, v) for v in p)


def _prepare(op, nd, x_shape, x_dtype, w_shape, w_dtype, b_sig, stride, dilation, groups,
             transposed=False):
    """Validate the arguments from the shapes and dtypes of input, weight and bias
    (``b_sig``: None or (shape, dtype)); returns (unbatched?, stride, dilation, groups)."""
    if len(w_shape) != nd + 2:
        raise RuntimeError(f"{op}: expected a {nd + 2}-D weight, got shape {tuple(w_shape)}")
    if any(k < 1 for k in w_shape[2:]):
        raise RuntimeError(f"{op}: kernel_size must be positive, got {tuple(w_shape[2:])} "
                           f"(weight shape {tuple(w_shape)})")
    if len(x_shape) not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}: expected a {nd + 1}-D (unbatched) or {nd + 2}-D (batched) "
                           f"input, got shape {tuple(x_shape)}")
    if x_dtype != w_dtype:
        raise RuntimeError(f"{op}: input ({x_dtype}) and weight ({w_dtype}) must have "
                           "the same dtype")
    unbatched = len(x_shape) == nd + 1
    groups = int(groups)
    if groups < 1:
        raise ValueError(f"{op}: groups must be a positive integer, got {groups}")
    c = x_shape[0 if unbatched else 1]
    if transposed:
        if w_shape[0] != c:
            raise RuntimeError(f"{op}: input has {c} channels but weight expects "
                               f"{w_shape[0]} (weight shape {tuple(w_shape)})")
        if c % groups:
            raise RuntimeError(f"{op}: in_channels {c} is not divisible by groups={groups}")
        out_c = w_shape[1] * groups
    else:
        if w_shape[1] * groups != c:
            raise RuntimeError(f"{op}: input has {c} channels but weight expects "
                               f"{w_shape[1] * groups} (weight shape {tuple(w_shape)}, "
                               f"groups={groups})")
        if w_shape[0] % groups:
            raise RuntimeError(f"{op}: out_channels {w_shape[0]} is not divisible by "
                               f"groups={groups}")
        out_c = w_shape[0]
    if b_sig is not None:
        b_shape, b_dtype = b_sig
        if tuple(b_shape) != (out_c,):
            raise RuntimeError(f"{op}: bias must have shape ({out_c},), got {tuple(b_shape)}")
        if b_dtype != x_dtype:
            raise RuntimeError(f"{op}: bias ({b_dtype}) and input ({x_dtype}) must have "
                               "the same dtype")
    stride = ntuple(stride, nd, op, "stride", minimum=1)
    dilation = ntuple(dilation, nd, op, "dilation", minimum=1)
    return unbatched, stride, dilation, groups


def _signatures(op, input, weight, bias):
    """Check that the arguments are Tensors; their (shape, dtype) signatures for ``_prepare``."""
    _check_tensor(op, "input", input)
    _check_tensor(op, "weight", weight)
    xd, wd = input._data, weight._data
    if bias is None:
        return xd.shape, xd.dtype, wd.shape, wd.dtype, None
    _check_tensor(op, "bias", bias)
    return xd.shape, xd.dtype, wd.shape, wd.dtype, (bias._data.shape, bias._data.dtype)


# ------------------------------------------------------------------ Functions
class ConvNd(Function):
    """Convolution plus bias as one fused Function (any number of spatial dimensions).

    The forward pass keeps the columns of x for the weight gradient when the whole batch is one
    cache-sized chunk; otherwise backward rebuilds each chunk's columns (cheaper than keeping a
    matrix prod(K) times the size of the input).
    """

    @staticmethod
    @compute_in_float32
    def forward(ctx, x, w, b, stride, pads, dilation, groups):
        geom = geometry(x.shape, tuple(w.shape[2:]), stride, pads, dilation)
        nw = ctx.needs_input_grad[1]
        y, _, _, _, cols = conv_pass(geom, w, groups, x=x, bias=b, want_y=True, keep_cols=nw)
        ctx.geom, ctx.groups = geom, groups
        ctx.save_for_backward(x if nw else None, w, cols)  # x: create_graph needs it
        return y

    @staticmethod
    @compute_in_float32
    def backward(ctx, g):
        x, w, cols = ctx.saved_tensors
        nx, nw, nb = ctx.needs_input_grad[:3]
        geom, groups = ctx.geom, ctx.groups
        full = full_correlation(geom, w, groups, g.shape) if nx else None
        dx = dw = db = None
        if nw or nb or (nx and full is None):  # one pass shares the widened dy
            _, dx, dw, db, _ = conv_pass(geom, w, groups, x=x, g=g, cols=cols,
                                         want_dx=nx and full is None, want_dw=nw, want_db=nb)
        if full is not None:  # stride 1: dx is the full correlation of dy with the flipped W
            dx = conv_pass(full[0], full[1], groups, x=g, want_y=True)[0]
        return dx, dw, db, None, None, None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        # Linear in dy: dL/dx is a transposed convolution of dy, dL/dW a convolution of x with
        # dy, so the second derivatives are convolutions again (to any order).
        x, w, _ = ctx.saved_tensors
        geom, groups = ctx.geom, ctx.groups
        nx, nw, nb = ctx.needs_input_grad[:3]
        gx = conv_input_grad(g, ctx.input_tensor(1, w), geom, groups) if nx else None
        gw = conv_weight_grad(ctx.input_tensor(0, x), g, geom, groups, w.shape[2:]) if nw else None
        return gx, gw, _channel_sum(g) if nb else None, None, None, None, None

    @staticmethod
    def to_onnx(g, rec):
        x, w, b, stride, pads, dilation, groups = rec.args
        ins = [g.value(x), g.value(w)] + ([g.value(b)] if b is not None else [])
        y = g.op("Conv", ins, kernel_shape=list(g.shape(w)[2:]), strides=list(stride),
                 pads=onnx_pads(len(pads), pads), dilations=list(dilation), group=int(groups))
        g.out(y)


class ConvTransposeNd(Function):
    """Transposed convolution plus bias: the input gradient of the convolution with weight w.

    Its own input gradient is that convolution applied to dy, and its weight gradient is the
    convolution's weight gradient with the roles of input and output exchanged.
    """

    @staticmethod
    @compute_in_float32
    def forward(ctx, x, w, b, out_spatial, stride, pads, dilation, groups):
        n = x.shape[0]
        cout = w.shape[1] * groups
        # The convolution this one transposes maps the output back to x's spatial size.
        geom = geometry((n, cout) + tuple(out_spatial), tuple(w.shape[2:]), stride, pads,
                        dilation, out=tuple(x.shape[2:]))
        xp = array_module(x, w)
        y = input_grad(geom, w, groups, x)
        out = xp.empty(y.shape, dtype=y.dtype)
        if b is None:
            xp.copyto(out, y)
        else:
            xp.add(y, b.reshape((cout,) + (1,) * geom.nd), out=out)
        ctx.geom, ctx.groups = geom, groups
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, w)
        return out

    @staticmethod
    @compute_in_float32
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        nx, nw, nb = ctx.needs_input_grad[:3]
        dx, _, dw, _, _ = conv_pass(ctx.geom, w, ctx.groups, x=g, g=x, want_y=nx, want_dw=nw)
        db = g.sum(axis=(0,) + tuple(range(2, g.ndim))) if nb else None
        return dx, dw, db, None, None, None, None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        # y = M^T x with M the convolution of ``geom`` (from y's size to x's): dL/dx = M dy, and
        # W's gradient is that convolution's weight gradient with dy as its input and x as dy.
        x, w = ctx.saved_tensors
        geom, groups = ctx.geom, ctx.groups
        nx, nw, nb = ctx.needs_input_grad[:3]
        gx = gw = None
        if nx:
            gx = _crop(ConvNd.apply(g, ctx.input_tensor(1, w), None, geom.stride, geom.pads,
                                    geom.dilation, groups), geom.out)
        if nw:
            gw = conv_weight_grad(g, ctx.input_tensor(0, x), geom, groups, w.shape[2:])
        return gx, gw, _channel_sum(g) if nb else None, None, None, None, None, None

    @staticmethod
    def to_onnx(g, rec):
        x, w, b, out_spatial, stride, pads, dilation, groups = rec.args
        k = g.shape(w)[2:]
        ins_shape = g.shape(x)[2:]
        opad = []
        for i in range(len(k)):
            base = (ins_shape[i] - 1) * stride[i] - pads[i][0] - pads[i][1] + \
                dilation[i] * (k[i] - 1) + 1
            opad.append(int(out_spatial[i] - base))
        ins = [g.value(x), g.value(w)] + ([g.value(b)] if b is not None else [])
        y = g.op("ConvTranspose", ins, kernel_shape=list(k), strides=list(stride),
                 pads=onnx_pads(len(pads), pads), dilations=list(dilation), group=int(groups),
                 output_padding=opad if any(opad) else None)
        g.out(y)


# ------------------------------------------------------------------ gradients as convolutions
def conv_input_grad(g, W, geom, groups):
    """dL/dx of y = conv(x, W) described by ``geom``, on Tensors: the transposed convolution of
    dy with W (same stride, padding and dilation; asymmetric 'same' padding is kept as it is)."""
    return ConvTransposeNd.apply(g, W, None, geom.spatial, geom.stride, geom.pads,
                                 geom.dilation, groups)


def conv_weight_grad(X, G, geom, groups, ksize):
    """dL/dW of y = conv(X, W) with dy = G, on Tensors: a convolution of X with G.

    dW[o, c, k] = sum_(n, p) G[n, o, p] X_pad[n, c', p stride + k dilation] is a convolution
    over the padded input whose "channels" are the batch samples and whose kernel is G (of the
    output's size), with stride = dilation and dilation = stride. With groups, group i's samples
    form channel block i (X (Cg, groups * N, *S), G as weight (O, N, *out), groups=groups).
    The output can hold a few more kernel positions than W (when the stride leaves rows of the
    input unused); they are cropped.
    """
    n, c = X.shape[:2]
    cg, nd = c // groups, geom.nd
    sp = tuple(X.shape[2:])
    xs = X.reshape((n, groups, cg) + sp).permute((2, 1, 0) + tuple(range(3, 3 + nd)))
    xs = xs.reshape((cg, groups * n) + sp)
    r = ConvNd.apply(xs, G.transpose(0, 1), None, geom.dilation, geom.pads, geom.stride,
                     groups)  # (Cg, O, *K')
    return _crop(r, ksize).transpose(0, 1)


def _crop(t, sizes):
    """The leading ``sizes`` positions of every spatial dimension of (N, C, *spatial)."""
    sizes = tuple(sizes)
    if tuple(t.shape[2:]) == sizes:
        return t
    return t[(slice(None), slice(None)) + tuple(slice(0, s) for s in sizes)]


def _channel_sum(g):
    """The bias gradient: dy summed over every axis but the channels."""
    return g.sum((0,) + tuple(range(2, g.ndim)))


# ------------------------------------------------------------------ public API
@functools.lru_cache(maxsize=1024)
def _conv_plan(op, nd, x_shape, x_dtype, w_shape, w_dtype, b_sig, stride, padding, dilation,
               groups):
    """The validated (stride, pads, dilation, groups, unbatched?) of a convolution call.

    A network calls each layer with the same shapes and options every time, so the arguments
    are validated once per call signature (cached) and later calls go straight to the Function.
    """
    unbatched, stride, dilation, groups = _prepare(op, nd, x_shape, x_dtype, w_shape, w_dtype,
                                                   b_sig, stride, dilation, groups)
    ksize = tuple(w_shape[2:])
    pads = conv_pads(padding, ksize, stride, dilation, op)
    spatial = x_shape[len(x_shape) - nd:]
    for i in range(nd):
        span = dilation[i] * (ksize[i] - 1) + 1
        padded = spatial[i] + pads[i][0] + pads[i][1]
        if span > padded:
            raise RuntimeError(
                f"{op}: kernel size (with dilation) {span} is larger than the padded input size "
                f"{padded} in spatial dimension {i} (input shape {tuple(x_shape)}, weight "
                f"shape {tuple(w_shape)}, padding {padding!r})")
    return stride, pads, dilation, groups, unbatched


@autocast.lower_precision
def _conv(op, nd, input, weight, bias, stride, padding, dilation, groups):
    if not (isinstance(input, Tensor) and isinstance(weight, Tensor)
            and (bias is None or isinstance(bias, Tensor))):
        _signatures(op, input, weight, bias)  # raises: names the argument that is no Tensor
    xd, wd = input._data, weight._data
    b_sig = None if bias is None else (bias._data.shape, bias._data.dtype)
    try:
        stride, pads, dilation, groups, unbatched = _conv_plan(
            op, nd, xd.shape, xd.dtype, wd.shape, wd.dtype, b_sig, stride, padding, dilation,
            groups)
    except TypeError:  # unhashable options (lists): validated without the cache
        stride, pads, dilation, groups, unbatched = _conv_plan.__wrapped__(
            op, nd, xd.shape, xd.dtype, wd.shape, wd.dtype, b_sig, stride, padding, dilation,
            groups)
    if unbatched:
        return ConvNd.apply(input.unsqueeze(0), weight, bias, stride, pads, dilation,
                            groups).squeeze(0)
    return ConvNd.apply(input, weight, bias, stride, pads, dilation, groups)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation) over an input of shape (N, C_in, L).

    ``padding`` is an int, a 1-tuple, 'valid' (no padding) or 'same' (output length = input
    length, stride 1 only). See ``conv2d`` for the formula.

    Shape:
        input (N, C_in, L) or (C_in, L); weight (C_out, C_in / groups, K); bias (C_out,);
        output (N, C_out, L_out), L_out = floor((L + 2 padding - dilation (K - 1) - 1) / stride) + 1
    """
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation), PyTorch's ``conv2d``.

    y[n, o, i, j] = b[o] + sum_(c, u, v) W[o, c, u, v] x_pad[n, c, i s_h + u d_h, j s_w + v d_w]
    over the C_in / groups channels of o's group. A small kernel slid over the whole image is the
    lectures' locality plus weight sharing: the same feature detector at every position, so the
    layer is shift-equivariant (up to borders and stride).

    Shape:
        input (N, C_in, H, W) or (C_in, H, W); weight (C_out, C_in / groups, kH, kW);
        bias (C_out,); output (N, C_out, H_out, W_out) with
        H_out = floor((H + 2 padding[0] - dilation[0] (kH - 1) - 1) / stride[0]) + 1.

    Example: the lectures' strided convolution of a 7x7 grid with the 3x3 kernel
    [[1, 1, 1], [1, 2, 1], [1, 1, 1]] / 10 and stride 2 gives a 3x3 map whose top-left entry is
    (2 + 6 + 5 + 8 + 2*2 + 4 + 3 + 5 + 3) / 10 = 4.0.
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution (cross-correlation) over (N, C_in, D, H, W) (video, volumes).

    Shape:
        input (N, C_in, D, H, W) or unbatched; weight (C_out, C_in / groups, kD, kH, kW);
        output (N, C_out, D_out, H_out, W_out), each size as in ``conv2d``.
    """
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def transposed_out_size(size, k, s, p, op_, d):
    """(L - 1) stride - 2 padding + dilation (K - 1) + output_padding + 1."""
    return (size - 1) * s - 2 * p + d * (k - 1) + op_ + 1


@autocast.lower_precision
def _conv_transpose(op, nd, input, weight, bias, stride, padding, output_padding, groups,
                    dilation):
    unbatched, stride, dilation, groups = _prepare(op, nd, *_signatures(op, input, weight, bias),
                                                   stride, dilation, groups, transposed=True)
    x = input.unsqueeze(0) if unbatched else input
    ksize = tuple(weight.shape[2:])
    if isinstance(padding, str):
        raise ValueError(f"{op}: padding must be an int or a tuple of {nd} ints, got {padding!r}")
    pad = ntuple(padding, nd, op, "padding", minimum=0)
    opad = ntuple(output_padding, nd, op, "output_padding", minimum=0)
    for i in range(nd):
        if opad[i] >= stride[i] and opad[i] >= dilation[i]:
            raise ValueError(f"{op}: output_padding must be smaller than either stride or "
                             f"dilation, got output_padding={opad}, stride={stride}, "
                             f"dilation={dilation}")
    out = tuple(transposed_out_size(x.shape[2 + i], ksize[i], stride[i], pad[i], opad[i],
                                    dilation[i]) for i in range(nd))
    if any(o <= 0 for o in out):
        raise RuntimeError(f"{op}: the output size {out} is not positive (input shape "
                           f"{tuple(input.shape)}, weight {tuple(weight.shape)}, padding {pad})")
    pads = tuple((p, p) for p in pad)
    y = ConvTransposeNd.apply(x, weight, bias, out, stride, pads, dilation, groups)
    return y.squeeze(0) if unbatched else y


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """1-D transposed convolution (see ``conv_transpose2d``).

    Shape:
        input (N, C_in, L); weight (C_in, C_out / groups, K); output (N, C_out, L_out) with
        L_out = (L - 1) stride - 2 padding + dilation (K - 1) + output_padding + 1.
    """
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """2-D transposed convolution ("upconvolution"; do not call it deconvolution).

    Every input pixel pastes the kernel, scaled by its value, into the output at
    ``stride`` times its position; overlapping pastes add up. This is multiplication by M.T where
    M is the matrix of ``conv2d`` with the same weight, stride, padding and dilation, so it
    upsamples by the stride. ``padding`` crops the result; ``output_padding`` adds rows/columns
    at the high end to pick among the input sizes a strided convolution maps to the same size.

    Shape:
        input (N, C_in, H, W) or unbatched; weight (C_in, C_out / groups, kH, kW); output
        (N, C_out, H_out, W_out), H_out = (H - 1) stride - 2 padding + dilation (kH - 1)
        + output_padding + 1.

    Example (the lectures): [[4, 3], [2, 0]] with the kernel [[1, 1, 1], [1, 2, 1], [1, 1, 1]]
    and stride 3 pastes four separate 3x3 blocks 4K, 3K, 2K, 0K into a 6x6 output; with stride 2
    the blocks overlap by one row/column and add up (5x5 output).
    """
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """3-D transposed convolution (see ``conv_transpose2d``); weight (C_in, C_out / g, kD, kH, kW)."""
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def flip_kernel(weight):
    """The kernel flipped along every spatial dimension (all but the first two).

    cross-correlation with ``flip_kernel(w)`` is true convolution with ``w``, and vice versa.
    """
    _check_tensor("flip_kernel", "weight", weight)
    if weight.ndim < 3:
        raise RuntimeError(f"flip_kernel: expected a weight (C_out, C_in, *K), got shape "
                           f"{tuple(weight.shape)}")
    return weight.flip(*range(2, weight.ndim))


def convolve(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """True convolution: (f * g)[p] = sum_k f[p - k] g[k], the kernel flipped.

    CNN layers compute cross-correlation, (f ⋆ g)[p] = sum_k f[p + k] g[k]; the two differ by a
    flip of the kernel: ``convolve(x, w) == conv2d(x, flip_kernel(w))``. For a symmetric kernel
    (a blur) they agree; for an edge detector the sign flips. Only true convolution is
    commutative and associative: with ``padding='full'`` (``dilation (K - 1)`` on each side, every
    overlap) it is the convolution of signal processing, so for 1-D signals f, g, h::

        convolve(f, g, padding='full') == convolve(g, f, padding='full')        # f*g = g*f
        convolve(convolve(f, g, 'full'), h, 'full') == convolve(f, convolve(g, h, 'full'), 'full')

    where a signal of length L is passed as input (1, L) and as weight (1, 1, L). The arguments
    and shapes are those of ``conv1d``/``conv2d``/``conv3d``, chosen by the weight's dimensions.

    Example:
        >>> f = gn.tensor([[1., 2., 3.]]); g = gn.tensor([[[0., 1., 0.5]]])
        >>> F.convolve(f, g, padding='full')        # numpy.convolve([1, 2, 3], [0, 1, .5])
        tensor([[0.0000, 1.0000, 2.5000, 4.0000, 1.5000]])
        >>> F.conv1d(f, g, padding=2)               # correlation: the kernel is not flipped
        tensor([[0.5000, 2.0000, 3.5000, 3.0000, 0.0000]])
    """
    _check_tensor("convolve", "weight", weight)
    nd = weight.ndim - 2
    if nd not in (1, 2, 3):
        raise RuntimeError(f"convolve: expected a 3-D, 4-D or 5-D weight, got shape "
                           f"{tuple(weight.shape)}")
    if isinstance(padding, str) and padding == "full":
        dil = ntuple(dilation, nd, "convolve", "dilation", minimum=1)
        padding = tuple(d * (k - 1) for d, k in zip(dil, weight.shape[2:]))
    fn = (conv1d, conv2d, conv3d)[nd - 1]
    return fn(input, flip_kernel(weight), bias, stride, padding, dilation, groups)
