"""Ranking and regularization objectives for collaborative filtering.

* :func:`bpr_loss` -- Rendle et al. 2009, "BPR: Bayesian Personalized Ranking from Implicit Feedback" (UAI).
* :func:`l2_reg` -- the embedding L2 term of LightGCN (He et al. 2020, SIGIR) and SELFRec (Yu et al. 2023).
* :func:`in_batch_info_nce` -- the cross-view InfoNCE of SGL (Wu et al. 2021, SIGIR) and SimGCL / XSimGCL
  (Yu et al. 2022 SIGIR, 2023 TKDE): the other rows of the batch are the negatives.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["BPRLoss", "InBatchInfoNCE", "bpr_loss", "in_batch_info_nce", "l2_reg"]


def bpr_loss(pos_scores: Tensor, neg_scores: Tensor) -> Tensor:
    """BPR loss ``mean softplus(neg - pos)``, i.e. ``-log sigmoid(pos - neg)`` computed stably.

    Unlike the ``-log(1e-8 + sigmoid(pos - neg))`` of several reference codes, it neither saturates nor
    loses gradient for large margins.

    Args:
        pos_scores: Scores of observed (user, item) pairs ``[B]``.
        neg_scores: Scores of sampled negatives ``[B]``, or ``[B, K]`` for ``K`` negatives per positive
            (then the mean runs over all ``B * K`` pairs).

    Returns:
        Scalar loss (mean over pairs).

    Example:
        >>> round(bpr_loss(torch.tensor([0.0]), torch.tensor([0.0])).item(), 4)  # log 2
        0.6931
    """
    if not isinstance(pos_scores, Tensor) or pos_scores.dim() != 1 or pos_scores.numel() == 0:
        shape = tuple(pos_scores.shape) if isinstance(pos_scores, Tensor) else type(pos_scores).__name__
        raise ValueError(f"pos_scores must be a non-empty 1-D tensor [B], got {shape}")
    if (
        not isinstance(neg_scores, Tensor)
        or neg_scores.dim() not in (1, 2)
        or neg_scores.size(0) != pos_scores.size(0)
        or neg_scores.numel() == 0
    ):
        shape = tuple(neg_scores.shape) if isinstance(neg_scores, Tensor) else type(neg_scores).__name__
        raise ValueError(
            f"neg_scores must have shape [B] or [B, K] with B = {pos_scores.size(0)} "
            f"(pos_scores {tuple(pos_scores.shape)}), got {shape}"
        )
    pos = pos_scores if neg_scores.dim() == 1 else pos_scores.unsqueeze(1)
    return F.softplus(neg_scores - pos).mean()


def l2_reg(*tensors: Tensor, batch_size: int, squared: bool = True) -> Tensor:
    """Embedding L2 regularizer ``sum_t ||t||_F^2 / batch_size`` (un-weighted: multiply by your ``reg``).

    Pass the *ego* (layer-0, un-propagated) embeddings of the batch's users, positive and negative items,
    as LightGCN and SELFRec do, not the propagated ones. Exactly:

    * ``squared=True`` (default): ``sum_t ||t||_F^2 / batch_size``. LightGCN-PyTorch's ``reg_loss`` is
      ``0.5 * l2_reg(u0, i0, j0, batch_size=B)`` (then times ``weight_decay``).
    * ``squared=False``: ``sum_t ||t||_F / batch_size`` -- SELFRec's ``l2_reg_loss(reg, *embs) / reg``
      (which divides each unsquared Frobenius norm by that tensor's row count, here ``batch_size``).

    Args:
        *tensors: One or more embedding tensors (any shape, typically ``[B, D]``).
        batch_size: Divisor ``> 0`` (the number of training triples in the batch).
        squared: Squared (LightGCN) or plain (SELFRec) Frobenius norms.

    Returns:
        Scalar regularizer.

    Example:
        >>> u, i = torch.ones(2, 3), torch.zeros(2, 3)
        >>> l2_reg(u, i, batch_size=2).item()  # (6 + 0) / 2
        3.0
    """
    if not tensors:
        raise ValueError("l2_reg needs at least one tensor")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
    for k, t in enumerate(tensors):
        if not isinstance(t, Tensor) or not t.is_floating_point():
            raise ValueError(f"tensors[{k}] must be a floating tensor, got {type(t).__name__}")
    if squared:
        total = sum(t.pow(2).sum() for t in tensors)
    else:
        total = sum(torch.linalg.vector_norm(t) for t in tensors)
    return total / batch_size


def in_batch_info_nce(a: Tensor, b: Tensor, tau: float, normalize: bool = True) -> Tensor:
    """Cross-view in-batch InfoNCE ``mean_i -log softmax_j(a_i . b_j / tau)_i`` (SGL, SimGCL, XSimGCL).

    Row ``i`` of ``a`` and ``b`` are two views of the same user (or item); the positive of ``a_i`` is ``b_i``
    and its negatives are the other rows of ``b``. Equals SELFRec's ``InfoNCE(view1, view2, temperature)``.
    The ``B x B`` logits live in one buffer: ``1 / tau`` scales ``a`` (``B x D``) instead of the logits, the
    forward keeps the row softmax in place for the backward, and the backward turns it into the gradient of
    the logits in place (``(softmax - I) / B``), then two matrix products -- about 15 % less time than
    ``cross_entropy`` on the logits for ``B = 1900``, ``D = 64`` (SimGCL's and XSimGCL's Gowalla batches),
    with one ``B x B`` buffer instead of five. Not twice differentiable.

    Args:
        a: Anchor view ``[B, D]``.
        b: Other view ``[B, D]``.
        tau: Temperature ``> 0``.
        normalize: L2-normalize rows first (cosine similarity; SELFRec's ``b_cos=True``).

    Returns:
        Scalar loss (mean over the ``B`` anchors).

    Example:
        >>> a = torch.eye(2)
        >>> round(in_batch_info_nce(a, a, tau=1.0).item(), 4)  # -log(e / (e + 1))
        0.3133
    """
    if not isinstance(a, Tensor) or not isinstance(b, Tensor) or a.dim() != 2 or a.shape != b.shape:
        sa = tuple(a.shape) if isinstance(a, Tensor) else type(a).__name__
        sb = tuple(b.shape) if isinstance(b, Tensor) else type(b).__name__
        raise ValueError(f"a and b must be 2-D [B, D] tensors of the same shape, got a {sa} and b {sb}")
    if a.size(0) == 0:
        raise ValueError(f"a and b must have at least one row, got {tuple(a.shape)}")
    tau = _check_tau(tau)
    if normalize:
        a, b = F.normalize(a, dim=1), F.normalize(b, dim=1)
    return _DiagonalCrossEntropy.apply(a / tau, b)


class _DiagonalCrossEntropy(torch.autograd.Function):
    """``mean_i -log softmax_j(a_i . b_j)_i`` for ``a, b`` ``[B, D]`` with one ``[B, B]`` buffer."""

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor) -> Tensor:
        logits = a @ b.t()
        lse = torch.logsumexp(logits, dim=1)
        loss = (lse - logits.diagonal()).mean()
        ctx.save_for_backward(logits.sub_(lse.unsqueeze(1)).exp_(), a, b)  # the row softmax, in place
        return loss

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: Tensor) -> tuple[Tensor, Tensor]:
        softmax, a, b = ctx.saved_tensors
        softmax.diagonal().sub_(1.0)
        grad_logits = softmax.mul_(grad / softmax.size(0))
        return grad_logits @ b, grad_logits.t() @ a


def all_keys_info_nce(
    anchors: Tensor, keys: Tensor, positives: Tensor, tau: float, normalize: bool = True
) -> Tensor:
    """InfoNCE of anchors against every row of a key table, ``mean_i -log softmax_j(a_i . k_j / tau)_(p_i)``.

    SGL's reference loss (Wu et al. 2021, SIGIR; RecBole's ``SGL.calc_ssl_loss``): the positive of an anchor
    is the same node in the other view and every other node of that view is a negative, not only the
    batch's. Unlike RecBole this is a mean over anchors, so ``lambda`` carries between models.

    Args:
        anchors: Anchor rows ``[B, D]`` (one view of the batch's nodes).
        keys: The other view of all nodes of that kind ``[M, D]``.
        positives: Row of ``keys`` that is each anchor's positive, ``LongTensor [B]``.
        tau: Temperature ``> 0``.
        normalize: L2-normalize rows first (cosine similarity, as SGL).

    Returns:
        Scalar loss (mean over the ``B`` anchors).

    Example:
        >>> keys = torch.eye(3)
        >>> round(all_keys_info_nce(keys[:1], keys, torch.tensor([0]), tau=1.0).item(), 4)  # -log(e/(e+2))
        0.5514
    """
    if anchors.dim() != 2 or keys.dim() != 2 or anchors.size(1) != keys.size(1):
        raise ValueError(
            f"anchors [B, D] and keys [M, D] must share D, got {tuple(anchors.shape)} and {tuple(keys.shape)}"
        )
    if positives.shape != (anchors.size(0),):
        raise ValueError(f"positives: expected shape ({anchors.size(0)},), got {tuple(positives.shape)}")
    tau = _check_tau(tau)
    if normalize:
        anchors, keys = F.normalize(anchors, dim=1), F.normalize(keys, dim=1)
    return F.cross_entropy(anchors @ keys.t() / tau, positives)


def _check_tau(tau: float) -> float:
    if isinstance(tau, bool) or not isinstance(tau, (int, float)) or not math.isfinite(tau) or tau <= 0:
        raise ValueError(f"tau must be a finite number > 0, got {tau!r}")
    return float(tau)


class BPRLoss(nn.Module):
    """Module form of :func:`bpr_loss` (Rendle et al. 2009)."""

    def forward(self, pos_scores: Tensor, neg_scores: Tensor) -> Tensor:
        """Loss for positive scores ``[B]`` and negative scores ``[B]`` or ``[B, K]``."""
        return bpr_loss(pos_scores, neg_scores)


class InBatchInfoNCE(nn.Module):
    """Module form of :func:`in_batch_info_nce` with validation at construction.

    Args:
        tau: Temperature ``> 0`` (SimGCL: 0.2, XSimGCL: 0.15, SGL: 0.2).
        normalize: L2-normalize rows first.
    """

    def __init__(self, tau: float, normalize: bool = True) -> None:
        super().__init__()
        self.tau = _check_tau(tau)
        self.normalize = bool(normalize)

    def forward(self, a: Tensor, b: Tensor) -> Tensor:
        """Loss for two views ``[B, D]`` of the same rows."""
        return in_batch_info_nce(a, b, self.tau, self.normalize)
