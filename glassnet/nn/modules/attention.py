"""MultiheadAttention: the attention layer of transformers, with PyTorch's parameters and layout.

Each of ``num_heads`` heads projects queries, keys and values to ``head_dim = embed_dim /
num_heads`` dimensions, computes softmax(Q K^T / sqrt(head_dim) + mask) V, and the heads'
outputs are concatenated and mapped by ``out_proj`` (see ``F.multi_head_attention_forward``).

Parameters (PyTorch's names, so state_dicts load across): ``in_proj_weight`` (3 E, E) stacks
W^Q, W^K, W^V when key and value have the query's size, otherwise ``q_proj_weight`` (E, E),
``k_proj_weight`` (E, kdim) and ``v_proj_weight`` (E, vdim); ``in_proj_bias`` (3 E);
``out_proj`` (a Linear); ``bias_k``, ``bias_v`` (1, 1, E) with ``add_bias_kv``.
Initialisation (PyTorch's): xavier_uniform_ on the input projections, zeros on ``in_proj_bias``
and ``out_proj.bias``, xavier_normal_ on ``bias_k`` / ``bias_v``, and ``out_proj.weight`` as a
Linear's.
"""

from __future__ import annotations

from ...autograd import is_grad_enabled
from .. import functional as F
from .. import init
from ..functional.attention import _canonical_mask, _none_or_dtype
from ..parameter import empty_param
from .linear import NonDynamicallyQuantizableLinear
from .module import Module

__all__ = ["MultiheadAttention"]


class MultiheadAttention(Module):
    """Multi-head attention: concat(head_1, ..., head_h) W^O with
    head_i = softmax(Q W_i^Q (K W_i^K)^T / sqrt(E / h) + mask) V W_i^V.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` returns ``(output, weights)``; ``weights`` is
    None unless ``need_weights``. Boolean masks are True where attention is *blocked* (padding,
    future positions); float masks are added to the scores. Dropout (``dropout``) acts on the
    attention weights in training mode only.

    Shape:
        - query (L, N, E), key (S, N, kdim), value (S, N, vdim); (N, L, E)... with
          ``batch_first=True``; (L, E), (S, kdim), (S, vdim) unbatched
        - key_padding_mask (N, S) or (S); attn_mask (L, S) or (N * num_heads, L, S)
        - output like query; weights (N, L, S), or (N, num_heads, L, S) with
          ``average_attn_weights=False``
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads, self.dropout, self.batch_first = num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError(f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible "
                                 f"by num_heads ({num_heads})")
        if self._qkv_same_embed_dim:
            self.in_proj_weight = empty_param((3 * embed_dim, embed_dim), device, dtype)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = empty_param((embed_dim, embed_dim), device, dtype)
            self.k_proj_weight = empty_param((embed_dim, self.kdim), device, dtype)
            self.v_proj_weight = empty_param((embed_dim, self.vdim), device, dtype)
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = empty_param((3 * embed_dim,), device, dtype)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias,
                                                        device=device, dtype=dtype)
        if add_bias_kv:
            self.bias_k = empty_param((1, 1, embed_dim), device, dtype)
            self.bias_v = empty_param((1, 1, embed_dim), device, dtype)
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        plain = self._fused_inference(query, key, value, attn_mask, key_padding_mask)
        return self._attention(query, key, value, key_padding_mask, need_weights, attn_mask,
                               average_attn_weights, is_causal, plain)

    def _fused_inference(self, query, key, value, attn_mask, key_padding_mask):
        """Whether PyTorch runs this call on its fused inference kernel (evaluation, no
        gradient, batch_first self-attention, ...). The numbers are the same but for one case:
        a query whose every key is masked gives NaN there (a plain softmax) instead of zeros."""
        if any(m is not None and m.dtype.kind == "f" for m in (attn_mask, key_padding_mask)):
            return False
        if query.ndim != 3 or query is not key or key is not value or self.training:
            return False
        if not self.batch_first or self.num_heads % 2 or not self._qkv_same_embed_dim:
            return False
        if self.in_proj_bias is None or self.bias_k is not None or self.add_zero_attn:
            return False
        if query.dtype != self.in_proj_weight.dtype:
            return False
        tensors = (query, self.in_proj_weight, self.in_proj_bias, self.out_proj.weight,
                   self.out_proj.bias)
        return not (is_grad_enabled() and any(t.requires_grad for t in tensors))

    def _attention(self, query, key, value, key_padding_mask, need_weights, attn_mask,
                   average_attn_weights, is_causal, plain_softmax=False):
        is_batched = query.ndim == 3
        key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                           _none_or_dtype(attn_mask), "attn_mask", query.dtype)
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
        if self.batch_first and is_batched:
            # (N, L, E) -> (L, N, E), keeping the identities that select the packed projection
            if key is value:
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = query.transpose(1, 0), key.transpose(1, 0)
                    value = key
            else:
                query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        separate = not self._qkv_same_embed_dim
        # the need_weights path is the one with a plain softmax
        out, weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights or plain_softmax,
            attn_mask=attn_mask, use_separate_proj_weight=separate,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight,
            v_proj_weight=self.v_proj_weight, average_attn_weights=average_attn_weights,
            is_causal=is_causal)
        if self.batch_first and is_batched:
            out = out.transpose(1, 0)
        return out, weights if need_weights else None

    def merge_masks(self, attn_mask, key_padding_mask, query):
        """Combine an (L, L) or (N * heads, L, L) float ``attn_mask`` and an (N, L) float
        padding mask into one mask; returns ``(mask, mask_type)`` as PyTorch does: type 1 for the
        padding mask alone, type 2 for an (N, heads, L, L) mask holding the attention mask."""
        mask_type, merged = None, None
        if key_padding_mask is not None:
            mask_type, merged = 1, key_padding_mask
        if attn_mask is not None:
            n, L, _ = query.shape
            mask_type = 2
            if attn_mask.ndim == 3:
                merged = attn_mask.reshape(n, -1, L, L)
            else:
                merged = attn_mask.reshape(1, 1, L, L).expand(n, self.num_heads, L, L)
            if key_padding_mask is not None:
                merged = merged + key_padding_mask.reshape(n, 1, 1, L).expand(
                    n, self.num_heads, 1, L)
        return merged, mask_type
