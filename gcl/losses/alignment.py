"""Alignment and uniformity on the hypersphere, and the DirectAU recommendation loss.

* :func:`alignment`, :func:`uniformity` -- Wang & Isola 2020, "Understanding Contrastive Representation
  Learning through Alignment and Uniformity on the Hypersphere" (ICML).
* :func:`directau_loss` -- Wang et al. 2022, "Towards Representation Alignment and Uniformity in
  Collaborative Filtering" (DirectAU, KDD).
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

__all__ = ["DirectAULoss", "alignment", "directau_loss", "uniformity"]

#: Above this many pairs ``N (N - 1) / 2``, ``uniformity(chunk_size="auto")`` switches from ``torch.pdist``
#: to the chunked computation.
PDIST_MAX_PAIRS: int = 1 << 24
_AUTO_CHUNK: int = 2048


def _check_number(name: str, value: float, *, positive: bool) -> float:
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
    if not ok or (value <= 0 if positive else value < 0):
        bound = "> 0" if positive else ">= 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return float(value)


def _check_matrix(name: str, x: Tensor, min_rows: int = 1) -> None:
    if not isinstance(x, Tensor) or x.dim() != 2 or not x.is_floating_point():
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"{name} must be a 2-D floating [N, D] tensor, got {shape}")
    if x.size(0) < min_rows:
        raise ValueError(f"{name} must have at least {min_rows} rows, got {tuple(x.shape)}")


def alignment(x: Tensor, y: Tensor, alpha: float = 2.0, normalize: bool = True) -> Tensor:
    """Alignment ``mean_i ||x_i - y_i||_2^alpha`` of positive pairs (Wang & Isola 2020).

    Args:
        x: Embeddings ``[N, D]``.
        y: Their positives ``[N, D]``.
        alpha: Exponent ``> 0`` (paper default 2).
        normalize: L2-normalize rows first (the quantity is defined on the unit sphere).

    Returns:
        Scalar; ``0`` for identical pairs, ``4`` (``alpha = 2``) for antipodal ones.

    Example:
        >>> x = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
        >>> alignment(x, torch.tensor([[0.0, 1.0], [0.0, 1.0]])).item()  # (2 + 0) / 2
        1.0
    """
    _check_matrix("x", x)
    if not isinstance(y, Tensor) or y.shape != x.shape:
        shape = tuple(y.shape) if isinstance(y, Tensor) else type(y).__name__
        raise ValueError(f"x and y must have the same shape, got x {tuple(x.shape)} and y {shape}")
    alpha = _check_number("alpha", alpha, positive=True)
    if normalize:
        x, y = F.normalize(x, dim=1), F.normalize(y, dim=1)
    if alpha == 2.0:
        return (x - y).pow(2).sum(dim=1).mean()
    return (x - y).norm(p=2, dim=1).pow(alpha).mean()


def _tile_lse(
    x_rows: Tensor, x_cols: Tensor, sq_rows: Tensor, sq_cols: Tensor, t: float, diag: bool
) -> Tensor:
    """``logsumexp(-t * d2)`` over the pairs of one tile (strict upper triangle if ``diag``)."""
    d2 = (sq_rows.unsqueeze(1) + sq_cols.unsqueeze(0) - 2.0 * (x_rows @ x_cols.t())).clamp_min(0.0)
    logits = d2.mul(-t)
    if diag:
        keep = torch.ones_like(logits, dtype=torch.bool).triu(diagonal=1)
        logits = logits.masked_fill(~keep, float("-inf"))
    return torch.logsumexp(logits.reshape(-1), dim=0)


def _uniformity_chunked(x: Tensor, t: float, chunk: int) -> Tensor:
    n = x.size(0)
    sq = x.pow(2).sum(dim=1)
    starts = range(0, n, chunk)
    parts = []
    for a in starts:
        for b in starts:
            if b < a:
                continue
            xa, xb = x[a : a + chunk], x[b : b + chunk]
            sa, sb = sq[a : a + chunk], sq[b : b + chunk]
            # recomputed in backward, so only one tile's distances are alive at a time
            parts.append(checkpoint(_tile_lse, xa, xb, sa, sb, t, a == b, use_reentrant=False))
    pairs = n * (n - 1) / 2
    return torch.logsumexp(torch.stack(parts), dim=0) - math.log(pairs)


def uniformity(
    x: Tensor,
    t: float = 2.0,
    normalize: bool = True,
    chunk_size: int | Literal["auto"] | None = "auto",
) -> Tensor:
    """Uniformity ``log mean_{i<j} exp(-t ||x_i - x_j||_2^2)`` (Wang & Isola 2020); lower is more uniform.

    Computed as ``logsumexp(-t d^2) - log(N (N - 1) / 2)``. For moderate ``N`` it uses ``torch.pdist``
    (``N (N - 1) / 2`` distances); for large ``N`` it tiles the strict upper triangle into
    ``chunk_size x chunk_size`` blocks under activation checkpointing, so neither the forward nor the
    backward pass holds more than one block of distances.

    Args:
        x: Embeddings ``[N, D]``, ``N >= 2``.
        t: Scale ``> 0`` (paper default 2).
        normalize: L2-normalize rows first.
        chunk_size: ``"auto"`` -- ``pdist`` up to :data:`PDIST_MAX_PAIRS` pairs, else chunked with tiles of
            2048; ``None`` -- always ``pdist``; an ``int`` -- always chunked with that tile size.

    Returns:
        Scalar in ``[-4 t, 0]`` for normalized rows.

    Example:
        >>> x = torch.tensor([[1.0, 0.0], [-1.0, 0.0]])  # antipodal: d^2 = 4
        >>> uniformity(x).item()  # -2 * 4
        -8.0
    """
    _check_matrix("x", x, min_rows=2)
    t = _check_number("t", t, positive=True)
    if chunk_size != "auto" and chunk_size is not None:
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise ValueError(f"chunk_size must be 'auto', None or an int >= 1, got {chunk_size!r}")
    if normalize:
        x = F.normalize(x, dim=1)
    n = x.size(0)
    if chunk_size == "auto":
        chunk_size = None if n * (n - 1) // 2 <= PDIST_MAX_PAIRS else _AUTO_CHUNK
    if chunk_size is None:
        d2 = torch.pdist(x, p=2).pow(2)
        return torch.logsumexp(d2.mul(-t), dim=0) - math.log(d2.numel())
    return _uniformity_chunked(x, t, chunk_size)


def directau_loss(
    user_emb: Tensor,
    item_emb: Tensor,
    gamma: float,
    t: float = 2.0,
    chunk_size: int | Literal["auto"] | None = "auto",
) -> Tensor:
    """DirectAU loss ``alignment(u, i) + gamma * (uniformity(u) + uniformity(i)) / 2`` (Wang et al. 2022).

    Rows of ``user_emb`` and ``item_emb`` are the users and positive items of the batch's interactions;
    both are L2-normalized inside, as in the DirectAU reference code.

    Args:
        user_emb: Users of the batch ``[B, D]``, ``B >= 2``.
        item_emb: Their interacted items ``[B, D]``.
        gamma: Uniformity weight ``>= 0``.
        t: Uniformity scale ``> 0`` (DirectAU: 2).
        chunk_size: Passed to :func:`uniformity`.

    Returns:
        Scalar loss.
    """
    gamma = _check_number("gamma", gamma, positive=False)
    align = alignment(user_emb, item_emb, alpha=2.0)
    uniform = (
        uniformity(user_emb, t, chunk_size=chunk_size) + uniformity(item_emb, t, chunk_size=chunk_size)
    ) / 2
    return align + gamma * uniform


class DirectAULoss(nn.Module):
    """Module form of :func:`directau_loss` with validation at construction.

    Args:
        gamma: Uniformity weight ``>= 0`` (DirectAU tunes it per dataset, e.g. 0.5 to 10).
        t: Uniformity scale ``> 0``.
    """

    def __init__(self, gamma: float, t: float = 2.0) -> None:
        super().__init__()
        self.gamma = _check_number("gamma", gamma, positive=False)
        self.t = _check_number("t", t, positive=True)

    def forward(self, user_emb: Tensor, item_emb: Tensor) -> Tensor:
        """Loss for the batch's users and positive items ``[B, D]``."""
        return directau_loss(user_emb, item_emb, self.gamma, self.t)
