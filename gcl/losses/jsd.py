"""Discriminator objectives: DGI's binary cross-entropy and the Jensen-Shannon MI estimator.

* :func:`dgi_bce` -- Velickovic et al. 2019, "Deep Graph Infomax" (ICLR): a bilinear discriminator scores
  (node, summary) pairs; real nodes are label 1, corrupted nodes label 0.
* :func:`jsd_mi_loss` -- the Jensen-Shannon mutual-information bound used by InfoGraph (Sun et al. 2020, ICLR)
  and MVGRL (Hassani & Khasahmadi 2020, ICML), from f-GAN / Deep InfoMax (Hjelm et al. 2019, ICLR).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["DGIBCELoss", "JSDMILoss", "dgi_bce", "jsd_mi_loss"]


def _check_scores(name_pos: str, pos: Tensor, name_neg: str, neg: Tensor) -> None:
    for name, t in ((name_pos, pos), (name_neg, neg)):
        if not isinstance(t, Tensor) or not t.is_floating_point():
            kind = t.dtype if isinstance(t, Tensor) else type(t).__name__
            raise ValueError(f"{name} must be a floating tensor, got {kind}")
        if t.numel() == 0:
            raise ValueError(f"{name} must not be empty, got shape {tuple(t.shape)}")


def dgi_bce(pos_logits: Tensor, neg_logits: Tensor) -> Tensor:
    """DGI discriminator loss: binary cross-entropy with logits, mean over all scored pairs.

    Equal to ``BCEWithLogitsLoss`` on ``cat([pos_logits, neg_logits])`` with labels ``1`` and ``0`` as in the
    DGI reference code, i.e. ``(sum softplus(-pos) + sum softplus(neg)) / (n_pos + n_neg)``; with as many
    corrupted as real nodes this is ``0.5 * (mean_pos + mean_neg)``. (PyG's ``DeepGraphInfomax.loss`` returns
    the *sum* of the two means, twice this value.)

    Args:
        pos_logits: Discriminator logits of real (node, summary) pairs, any shape (e.g. ``[N]``).
        neg_logits: Logits of corrupted pairs, any shape (e.g. ``[N]``).

    Returns:
        Scalar loss.

    Example:
        >>> import torch
        >>> round(dgi_bce(torch.zeros(3), torch.zeros(3)).item(), 4)  # log 2
        0.6931
    """
    _check_scores("pos_logits", pos_logits, "neg_logits", neg_logits)
    total = F.softplus(-pos_logits).sum() + F.softplus(neg_logits).sum()
    return total / (pos_logits.numel() + neg_logits.numel())


def jsd_mi_loss(pos_scores: Tensor, neg_scores: Tensor) -> Tensor:
    """Jensen-Shannon MI estimator as a loss: ``E_neg[softplus(s)] + E_pos[softplus(-s)]``.

    This is the negative JSD lower bound of InfoGraph / MVGRL up to the constant ``2 log 2`` they subtract
    (their ``E_neg - E_pos`` equals this value minus ``2 log 2``); the constant does not change gradients.

    Args:
        pos_scores: Critic scores of positive pairs, any shape.
        neg_scores: Critic scores of negative pairs, any shape.

    Returns:
        Scalar loss (each expectation is a mean over its pairs).

    Example:
        >>> import torch
        >>> round(jsd_mi_loss(torch.zeros(2), torch.zeros(5)).item(), 4)  # 2 log 2
        1.3863
    """
    _check_scores("pos_scores", pos_scores, "neg_scores", neg_scores)
    return F.softplus(neg_scores).mean() + F.softplus(-pos_scores).mean()


class DGIBCELoss(nn.Module):
    """Module form of :func:`dgi_bce` (Velickovic et al. 2019)."""

    def forward(self, pos_logits: Tensor, neg_logits: Tensor) -> Tensor:
        """Loss for real and corrupted logits."""
        return dgi_bce(pos_logits, neg_logits)


class JSDMILoss(nn.Module):
    """Module form of :func:`jsd_mi_loss` (InfoGraph, MVGRL)."""

    def forward(self, pos_scores: Tensor, neg_scores: Tensor) -> Tensor:
        """Loss for positive and negative critic scores."""
        return jsd_mi_loss(pos_scores, neg_scores)
