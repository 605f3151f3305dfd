"""Attention: scaled dot-product attention and the multi-head attention of transformers.

Attention lets every position of a sequence (a *query*) read from every position of another (the
*keys*, with their *values*), weighting each by how well query and key match::

    Attention(Q, K, V) = softmax(Q K^T / sqrt(E) + M) V

Q (L, E) holds L queries, K (S, E) and V (S, E_v) hold S keys and values; the softmax runs along
S, so every output row is a convex combination of value rows. The 1/sqrt(E) keeps the scores'
variance near 1 when Q and K have unit-variance entries, so the softmax does not saturate. The
mask M adds -inf where a query may not look (padding, or the future in a causal decoder).

Multi-head attention (Vaswani et al., 2017, "Attention is all you need") projects the inputs to
``num_heads`` smaller subspaces, attends in each independently and concatenates the results
before a final linear map: several attention patterns for the price of one.

Masks follow PyTorch, whose two conventions differ: in ``scaled_dot_product_attention`` a boolean
``attn_mask`` is True where attention is *allowed*; in ``multi_head_attention_forward`` (and
``nn.MultiheadAttention`` / the transformer layers) a boolean mask is True where it is *blocked*.
A floating mask is added to the scores in both. A query row that may attend to nothing gives a
zero output in ``scaled_dot_product_attention`` (PyTorch's "safe softmax"), and NaN in the
``need_weights=True`` path of multi-head attention, as in PyTorch.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ... import backend
from ...ops import autocast
from ...tensor import Tensor
from .affine import linear
from .dropout_family import dropout as _dropout
from .padding import pad
from .softmax_family import softmax

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _is_float(t):
    return backend.is_floating(t.dtype)


def _const(array):
    return Tensor._make(array, False)


def _causal_bias(L, S, dtype, xp):
    """(L, S) additive mask of the top-left causal pattern: 0 where j <= i, -inf above."""
    return xp.triu(xp.full((L, S), -xp.inf, dtype=dtype), 1)


def _repeat_heads(t, rep):
    """repeat_interleave(t, rep, dim=-3): key/value head h serves query heads h*rep..h*rep+rep-1."""
    shape = tuple(t.shape)
    t = t.unsqueeze(-3).expand(*shape[:-2], rep, *shape[-2:])
    return t.reshape(*shape[:-3], shape[-3] * rep, *shape[-2:])


@autocast.lower_precision
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(Q K^T * scale + M) V, with scale = 1/sqrt(E) unless given.

    ``attn_mask``: boolean (True = take part in attention) or floating (added to the scores),
    broadcastable to (N, ..., L, S). ``is_causal``: query i sees keys j <= i (top-left aligned
    when L != S); it cannot be combined with ``attn_mask``. ``dropout_p``: dropout on the
    attention weights, applied whenever > 0 (pass ``p if self.training else 0.0``).
    ``enable_gqa``: grouped-query attention, key/value heads H shared by Hq = g H query heads.
    A query row whose every key is masked gives a zero row (and zero gradients), as in PyTorch.

    Shape:
        - query: (N, ..., Hq, L, E); key: (N, ..., H, S, E); value: (N, ..., H, S, Ev)
        - attn_mask: broadcastable to (N, ..., Hq, L, S)
        - output: (N, ..., Hq, L, Ev)
    """
    op = "scaled_dot_product_attention"
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
        if t.ndim < 2:
            raise RuntimeError(f"{op}: {name} must have at least 2 dimensions (..., L, E), got "
                               f"shape {tuple(t.shape)}")
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(f"{op}: expected query, key and value to have the same dtype, but got "
                           f"query.dtype: {query.dtype}, key.dtype: {key.dtype} and value.dtype: "
                           f"{value.dtype} instead.")
    if not _is_float(query):
        raise RuntimeError(f"{op}: expected floating query, key and value, got {query.dtype}")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"{op}: query's last dimension ({query.shape[-1]}) must equal key's "
                           f"({key.shape[-1]}); query {tuple(query.shape)}, key "
                           f"{tuple(key.shape)}")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"{op}: key and value must have the same sequence length S, got key "
                           f"{tuple(key.shape)} and value {tuple(value.shape)}")
    if is_causal and attn_mask is not None:
        raise RuntimeError(f"{op}: explicit attn_mask should not be set when is_causal=True")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{op}: dropout_p must be in [0, 1], got {dropout_p}")
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        hq, hk = query.shape[-3], key.shape[-3]
        if hk != value.shape[-3] or hq % hk:
            raise RuntimeError(f"{op}: with enable_gqa the number of query heads ({hq}) must be a "
                               f"multiple of the key and value heads ({hk}, "
                               f"{value.shape[-3]})")
        key, value = _repeat_heads(key, hq // hk), _repeat_heads(value, hq // hk)

    xp = backend.array_module(query._data)
    L, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    # scale the smaller factor: Q (L, E) rather than the scores (L, S)
    scores = (query * scale) @ key.transpose(-2, -1)
    masked = False
    if is_causal:  # never a dead row: query i always sees key 0
        scores = scores + _const(_causal_bias(L, S, query.dtype, xp))
    elif attn_mask is not None:
        if not isinstance(attn_mask, Tensor):
            attn_mask = Tensor(attn_mask)
        if attn_mask.dtype == bool:
            bias = xp.where(attn_mask._data, 0.0, -xp.inf).astype(query.dtype)
            scores = scores + _const(bias)
        elif attn_mask.dtype == query.dtype:
            scores = scores + attn_mask
        else:
            raise RuntimeError(f"{op}: expected attn_mask dtype to be bool or to match the query "
                               f"dtype ({query.dtype}), got {attn_mask.dtype}")
        masked = True
    dead = None
    if masked:
        # rows with no key left: softmax would give 0/0; PyTorch's safe softmax returns zeros
        dead = xp.isneginf(scores._data).all(axis=-1, keepdims=True)
        if not bool(dead.any()):
            dead = None
    if dead is None:
        weights = softmax(scores, -1)
    else:
        weights = softmax(scores.masked_fill(_const(dead), 0.0), -1).masked_fill(_const(dead), 0.0)
    if dropout_p > 0.0:
        weights = _dropout(weights, dropout_p, True)
    return weights @ value


# ----------------------------------------------------------------------------- multi-head
def _none_or_dtype(t):
    if t is None:
        return None
    if isinstance(t, Tensor):
        return t.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or a Tensor")


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A boolean mask (True = blocked) becomes a float mask with -inf there and 0 elsewhere; a
    float mask is returned as it is."""
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        mask = Tensor(mask)
    if mask.dtype != bool and not _is_float(mask):
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use "
                      "same type for both instead.", stacklevel=3)
    if mask.dtype == bool:
        xp = backend.array_module(mask._data)
        return _const(xp.where(mask._data, -xp.inf, 0.0).astype(target_type))
    return mask


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """True for batched (3-D) inputs, False for unbatched (2-D) ones; raises on anything else."""
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be 3-D "
                                 f"but found {key.ndim}-D and {value.ndim}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be "
                                 f"`None` or 2-D but found {key_padding_mask.ndim}-D tensor "
                                 "instead")
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, "
                                 f"2-D or 3-D but found {attn_mask.ndim}-D tensor instead")
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be "
                                 f"2-D but found {key.ndim}-D and {value.ndim}-D tensors "
                                 "respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to be "
                                 f"`None` or 1-D but found {key_padding_mask.ndim}-D tensor "
                                 "instead")
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be "
                                     f"`None`, 2-D or 3-D but found {attn_mask.ndim}-D tensor "
                                     "instead")
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.ndim == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                     f"{tuple(attn_mask.shape)}")
        return False
    raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                         f"{query.ndim}-D query tensor")


def _in_projection_packed(q, k, v, w, b):
    """q W_q^T + b_q, k W_k^T + b_k, v W_v^T + b_v with W = [W_q; W_k; W_v] (3E, E): one
    product when q, k and v are the same tensor (self-attention), two when only k is v."""
    E = q.shape[-1]
    if k is v and q is k:
        proj = linear(q, w, b)
        return proj[..., :E], proj[..., E:2 * E], proj[..., 2 * E:]
    if k is v:
        q_out = linear(q, w[:E], None if b is None else b[:E])
        kv = linear(k, w[E:], None if b is None else b[E:])
        return q_out, kv[..., :E], kv[..., E:]
    bs = (None, None, None) if b is None else (b[:E], b[E:2 * E], b[2 * E:])
    return (linear(q, w[:E], bs[0]), linear(k, w[E:2 * E], bs[1]),
            linear(v, w[2 * E:], bs[2]))


def _check_mask_shape(attn_mask, tgt_len, src_len, bsz, num_heads):
    if attn_mask.ndim == 2:
        if tuple(attn_mask.shape) != (tgt_len, src_len):
            raise RuntimeError(f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, but "
                               f"should be {(tgt_len, src_len)}.")
        return attn_mask.unsqueeze(0)
    if attn_mask.ndim == 3:
        if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
            raise RuntimeError(f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, but "
                               f"should be {(bsz * num_heads, tgt_len, src_len)}.")
        return attn_mask
    raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """Multi-head attention, sequence first: head_i = Attention(Q W_i^Q, K W_i^K, V W_i^V),
    output = concat(head_1..head_h) W^O + b^O. See ``nn.MultiheadAttention``.

    Boolean masks are True where attention is *blocked*; float masks are added to the scores.
    ``is_causal`` is a hint that ``attn_mask`` is the causal mask (it requires ``attn_mask``).

    Shape:
        - query (L, N, E) or (L, E); key (S, N, E_k) or (S, E_k); value (S, N, E_v) or (S, E_v)
        - key_padding_mask (N, S) or (S); attn_mask (L, S) or (N * num_heads, L, S)
        - output (L, N, E) or (L, E); weights (N, L, S) averaged over heads, or
          (N, num_heads, L, S) with ``average_attn_weights=False`` (None unless need_weights)
    """
    is_batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        # a batch of one; keep the identities (q is k, k is v) that pick the packed projection
        same_qk, same_kv = query is key, key is value
        query = query.unsqueeze(1)
        key = query if same_qk else key.unsqueeze(1)
        value = key if same_kv else value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                       _none_or_dtype(attn_mask), "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint is trusted: scaled_dot_product_attention builds the mask
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
        if key_padding_mask is not None:
            is_causal = False  # merged with the padding mask, it is no longer causal
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")

    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {tuple(key.shape[:2])} do not "
                                 f"match value's {tuple(value.shape[:2])}")
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is True but q_proj_weight, "
                                 "k_proj_weight or v_proj_weight is None")
        E = embed_dim
        bs = (None,) * 3 if in_proj_bias is None else (
            in_proj_bias[:E], in_proj_bias[E:2 * E], in_proj_bias[2 * E:])
        q = linear(query, q_proj_weight, bs[0])
        k = linear(key, k_proj_weight, bs[1])
        v = linear(value, v_proj_weight, bs[2])
    else:
        if tuple(key.shape) != tuple(value.shape):
            raise AssertionError(f"key shape {tuple(key.shape)} does not match value shape "
                                 f"{tuple(value.shape)}")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)

    if attn_mask is not None:
        attn_mask = _check_mask_shape(attn_mask, tgt_len, key.shape[0], bsz, num_heads)
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key or value.")
        k = _cat([k, bias_k.expand(1, bsz, embed_dim)], 0)
        v = _cat([v, bias_v.expand(1, bsz, embed_dim)], 0)
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k and bias_v must both be set or both be None")

    # (L, N, E) -> (N * heads, L, head_dim): every head of every sample is one attention problem
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _heads(k, static_k, "static_k", bsz, num_heads, head_dim)
    v = _heads(v, static_v, "static_v", bsz, num_heads, head_dim)
    if add_zero_attn:
        xp = backend.array_module(k._data)
        k = _cat([k, _const(xp.zeros((bsz * num_heads, 1, head_dim), dtype=k.dtype))], 1)
        v = _cat([v, _const(xp.zeros((bsz * num_heads, 1, head_dim), dtype=v.dtype))], 1)
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"Expected key_padding_mask of shape {(bsz, src_len)}, but got "
                                 f"{tuple(key_padding_mask.shape)}")
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len)
        kpm = kpm.reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0

    if need_weights:
        q_scaled = q * math.sqrt(1.0 / float(head_dim))
        if is_causal and attn_mask is None:
            raise AssertionError("is_causal is not implemented for need_weights")
        w = q_scaled @ k.transpose(-2, -1)
        if attn_mask is not None:
            w = attn_mask + w
        with np.errstate(invalid="ignore"):  # a row with every key masked is NaN, silently
            w = softmax(w, -1)
        if dropout_p > 0.0:
            w = _dropout(w, dropout_p, True)
        out = (w @ v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
        w = w.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            w = w.mean(1)
        if not is_batched:
            out, w = out.squeeze(1), w.squeeze(0)
        return out, w

    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.ndim == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.reshape(bsz, num_heads, -1, src_len)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    if not is_batched:
        out = out.squeeze(1)
    return out, None


def _heads(t, static, name, bsz, num_heads, head_dim):
    """(S, N, E) -> (N * heads, S, head_dim), or the given precomputed ``static`` keys/values."""
    if static is None:
        return t.reshape(t.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    if static.shape[0] != bsz * num_heads or static.shape[2] != head_dim:
        raise AssertionError(f"expecting {name} of shape ({bsz * num_heads}, S, {head_dim}), but "
                             f"got {tuple(static.shape)}")
    return static


def _cat(tensors, dim):
    from ...functions import cat

    return cat(tensors, dim)
