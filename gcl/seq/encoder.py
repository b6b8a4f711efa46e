"""The SASRec transformer encoder (Kang and McAuley 2018, "Self-Attentive Sequential Recommendation", ICDM).

Implemented as in the code bases whose Beauty numbers we compare against -- RecBole's ``TransformerEncoder``
(used by CL4SRec and DuoRec, Qiu et al. 2022 WSDM) and the S3Rec/ICLRec/ICSRec ``SASRecModel``:

* input: item embedding + learned position embedding, LayerNorm, dropout;
* ``num_blocks`` post-LN blocks: causal multi-head self-attention (dropout on the attention
  probabilities) -> linear -> dropout -> residual + LayerNorm, then a GELU feed-forward
  ``D -> inner_size -> D`` -> dropout -> residual + LayerNorm;
* weights ``N(0, initializer_range)``, biases 0, LayerNorm ``(1, 0)``, ``eps = 1e-12``.

Sequences are **left-padded** with item 0 (most recent item in the last column), as in S3Rec/ICLRec, so the
sequence representation is simply the output at the last position. Position embeddings are indexed from the
right (the last column always gets position ``max_length - 1``), so a batch narrower than ``max_length``
gives the same result as the same batch padded to ``max_length``.

Attention is causal and never attends to padding keys. Padding *query* rows would have no visible key at all
(a NaN row in ``softmax``); they are allowed to see themselves instead -- their outputs are never used by
real positions, because real positions never attend to padding.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gcl.nn.dropout import Dropout, dropout

__all__ = ["SASRecEncoder", "TransformerBlock", "causal_padding_mask"]

_ACTIVATIONS = {"gelu": F.gelu, "relu": F.relu}


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return value


def _rate(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) < 1.0:
        raise ValueError(f"{name} must be a dropout rate in [0, 1), got {value!r}")
    return float(value)


def causal_padding_mask(seq: Tensor) -> Tensor:
    """Attention mask ``BoolTensor [B, 1, L, L]``: ``True`` where query ``i`` may attend to key ``j``.

    ``j <= i`` (causal) and key ``j`` is a real item (``seq[:, j] != 0``); the diagonal is always allowed so
    that padding rows stay finite (see the module docstring).

    Example:
        >>> causal_padding_mask(torch.tensor([[0, 3, 5]]))[0, 0].int().tolist()
        [[1, 0, 0], [0, 1, 0], [0, 1, 1]]
    """
    width = seq.size(1)
    causal = torch.ones(width, width, dtype=torch.bool, device=seq.device).tril()
    keys = (seq != 0).unsqueeze(1)  # [B, 1, L] over keys
    eye = torch.eye(width, dtype=torch.bool, device=seq.device)
    return ((causal & keys) | eye).unsqueeze(1)


class TransformerBlock(nn.Module):
    """One post-LN transformer block (BERT / RecBole ``TransformerLayer``).

    Args:
        hidden: Model width ``D``.
        num_heads: Attention heads (``D`` must be divisible by it).
        inner_size: Feed-forward width.
        dropout: Hidden dropout (after the attention output projection and after the feed-forward).
        attn_dropout: Dropout on the attention probabilities.
        activation: ``"gelu"`` or ``"relu"``.
        layer_norm_eps: LayerNorm epsilon.
    """

    def __init__(
        self,
        hidden: int,
        num_heads: int,
        inner_size: int,
        dropout: float,
        attn_dropout: float,
        activation: str = "gelu",
        layer_norm_eps: float = 1e-12,
    ) -> None:
        super().__init__()
        if hidden % num_heads:
            raise ValueError(f"hidden={hidden} must be divisible by num_heads={num_heads}")
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
        self.num_heads = num_heads
        self.attn_dropout = attn_dropout
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.out = nn.Linear(hidden, hidden)
        self.norm1 = nn.LayerNorm(hidden, eps=layer_norm_eps)
        self.ff1 = nn.Linear(hidden, inner_size)
        self.ff2 = nn.Linear(inner_size, hidden)
        self.norm2 = nn.LayerNorm(hidden, eps=layer_norm_eps)
        self.dropout = Dropout(dropout)
        self.act = _ACTIVATIONS[activation]

    def forward(self, x: Tensor, attn_bias: Tensor) -> Tensor:
        """``x [B, L, D]`` and the additive ``attn_bias [B, 1, L, L]`` (0 or ``-inf``) -> ``[B, L, D]``."""
        bsz, width, hidden = x.shape
        head = hidden // self.num_heads
        q, k, v = self.qkv(x).view(bsz, width, 3, self.num_heads, head).permute(2, 0, 3, 1, 4)
        if self.training and self.attn_dropout > 0:
            # Explicit attention: on CPU the fused kernel falls back to a slower path when dropout is on.
            probs = torch.softmax(q @ k.transpose(-1, -2) / head**0.5 + attn_bias, dim=-1)
            att = dropout(probs, self.attn_dropout, training=True) @ v
        else:
            att = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_bias)
        att = att.transpose(1, 2).reshape(bsz, width, hidden)
        x = self.norm1(x + self.dropout(self.out(att)))
        return self.norm2(x + self.dropout(self.ff2(self.act(self.ff1(x)))))


class SASRecEncoder(nn.Module):
    """SASRec: item + position embeddings and causal self-attention blocks (Kang and McAuley 2018, ICDM).

    The encoder owns the item embedding table (shared with the output layer by the models, as in SASRec):
    row 0 is padding, rows ``1..num_items`` the items, rows above that extra tokens (row ``num_items + 1``
    is the mask token of :func:`gcl.augment.sequence.mask`).

    A replacement encoder only needs the same contract: attributes ``num_items``, ``max_length``,
    ``hidden``, ``mask_token`` and ``item_embedding`` (an ``nn.Embedding`` with the rows above), and
    ``forward(seq [B, L]) -> [B, L, D]`` on left-padded sequences with the last column as the sequence
    representation.

    Args:
        num_items: Number of items ``I`` (ids ``1..I``).
        max_length: Longest input ``L`` (position embeddings).
        hidden: Embedding / model width ``D`` (64 in SASRec, CL4SRec, DuoRec, ICLRec, ICSRec).
        num_blocks: Transformer blocks (2).
        num_heads: Attention heads (2 in CL4SRec/DuoRec/ICLRec; 1 in SASRec's paper).
        dropout: Hidden dropout (0.5 for Beauty in CL4SRec, DuoRec, ICLRec, ICSRec).
        attn_dropout: Attention-probability dropout (default: ``dropout``).
        inner_size: Feed-forward width (default ``4 * hidden``: RecBole's 256 for ``D = 64``).
        activation: ``"gelu"`` (RecBole, ICLRec) or ``"relu"`` (SASRec's paper).
        layer_norm_eps: LayerNorm epsilon (``1e-12``).
        initializer_range: Std of the normal initialization (0.02).
        extra_tokens: Embedding rows after the items (1: the mask token).

    Example:
        >>> enc = SASRecEncoder(num_items=10, max_length=5, hidden=8, num_heads=2)
        >>> enc(torch.tensor([[0, 0, 3, 4, 5]])).shape
        torch.Size([1, 5, 8])
    """

    def __init__(
        self,
        num_items: int,
        max_length: int = 50,
        hidden: int = 64,
        num_blocks: int = 2,
        num_heads: int = 2,
        dropout: float = 0.5,
        attn_dropout: float | None = None,
        inner_size: int | None = None,
        activation: str = "gelu",
        layer_norm_eps: float = 1e-12,
        initializer_range: float = 0.02,
        extra_tokens: int = 1,
    ) -> None:
        super().__init__()
        self.num_items = _positive_int("num_items", num_items)
        self.max_length = _positive_int("max_length", max_length)
        self.hidden = _positive_int("hidden", hidden)
        _positive_int("num_blocks", num_blocks)
        _positive_int("num_heads", num_heads)
        dropout = _rate("dropout", dropout)
        attn_dropout = dropout if attn_dropout is None else _rate("attn_dropout", attn_dropout)
        inner_size = 4 * hidden if inner_size is None else _positive_int("inner_size", inner_size)
        if isinstance(extra_tokens, bool) or not isinstance(extra_tokens, int) or extra_tokens < 0:
            raise ValueError(f"extra_tokens must be an int >= 0, got {extra_tokens!r}")
        self.mask_token = num_items + 1 if extra_tokens else 0
        self.item_embedding = nn.Embedding(num_items + 1 + extra_tokens, hidden, padding_idx=0)
        self.position_embedding = nn.Embedding(max_length, hidden)
        self.norm = nn.LayerNorm(hidden, eps=layer_norm_eps)
        self.dropout = Dropout(dropout)
        self.blocks = nn.ModuleList(
            TransformerBlock(hidden, num_heads, inner_size, dropout, attn_dropout, activation, layer_norm_eps)
            for _ in range(num_blocks)
        )
        self.initializer_range = float(initializer_range)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """``N(0, initializer_range)`` weights, zero biases, LayerNorm ``(1, 0)``, zero padding row."""
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, mean=0.0, std=self.initializer_range)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
        with torch.no_grad():
            self.item_embedding.weight[0].zero_()

    def forward(self, seq: Tensor) -> Tensor:
        """Encode left-padded item ids ``LongTensor [B, L]`` (``L <= max_length``) into ``[B, L, D]``."""
        if seq.dim() != 2:
            raise ValueError(f"seq must be a 2-D LongTensor [B, L], got shape {tuple(seq.shape)}")
        width = seq.size(1)
        if width > self.max_length:
            raise ValueError(f"seq has {width} columns but the encoder's max_length is {self.max_length}")
        positions = torch.arange(self.max_length - width, self.max_length, device=seq.device)
        x = self.item_embedding(seq) + self.position_embedding(positions).unsqueeze(0)
        x = self.dropout(self.norm(x))
        mask = causal_padding_mask(seq)
        bias = torch.zeros(mask.shape, dtype=x.dtype, device=x.device).masked_fill_(~mask, float("-inf"))
        for block in self.blocks:
            x = block(x, bias)
        return x
