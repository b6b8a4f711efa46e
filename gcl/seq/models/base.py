"""The contract shared by every sequential recommender of :mod:`gcl.seq.models`, and the NT-Xent objective.

Modelled on RecBole's ``SequentialRecommender`` (Zhao et al. 2021, CIKM). A model wraps a swappable encoder
(:class:`gcl.seq.encoder.SASRecEncoder` or anything with the same contract) and exposes

* ``forward(seq [B, L]) -> [B, D]`` -- the sequence representation (encoder output at the last position);
* ``calculate_loss(batch, generator=None) -> Tensor`` -- the training loss of one :class:`SeqBatch`; the
  individual terms are left, detached, in :attr:`SequentialRecommender.loss_terms`;
* ``full_sort_predict(seq) -> [B, num_items + 1]`` -- scores of every item id, column 0 (padding) ``-inf``;
* ``on_epoch_start(epoch, data, ...)`` -- a hook the trainer calls before each epoch (ICSRec clusters);
* ``needs_partner`` -- whether batches must carry a same-target partner sequence (DuoRec, ICSRec).

The item embedding table of the encoder doubles as the output layer (SASRec's shared embeddings).
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gcl.losses import bpr_loss
from gcl.seq.data import SeqBatch, SequenceData

__all__ = ["LOSS_TYPES", "SIMILARITIES", "SequentialRecommender", "nt_xent"]

LOSS_TYPES = ("ce", "bpr")
SIMILARITIES = ("dot", "cos")


def check_weight(name: str, value: object) -> float:
    """A finite number ``>= 0`` (loss weights)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def check_tau(value: object) -> float:
    """A finite temperature ``> 0``."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"tau must be a finite number > 0, got {value!r}")
    return float(value)


def check_choice(name: str, value: object, choices: tuple[str, ...]) -> str:
    """One of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return str(value)


def nt_xent(
    z_i: Tensor, z_j: Tensor, tau: float = 1.0, similarity: str = "dot", labels: Tensor | None = None
) -> Tensor:
    """NT-Xent over the ``2B`` views of a batch, optionally without false negatives.

    The contrastive objective of CL4SRec, DuoRec and ICSRec as in their code (RecBole/ICSRec ``info_nce``,
    after SimCLR, Chen et al. 2020 ICML): ``z = [z_i; z_j]``; for each of the ``2B`` anchors the positive is
    its counterpart in the other view and the negatives are the other ``2B - 2`` rows of ``z``. With
    ``labels`` (e.g. target items, intent ids), rows sharing the anchor's label are removed from its
    negatives (DuoRec's false negatives, ICSRec's FNM). A mean over the ``2B`` anchors.

    Unlike :func:`gcl.losses.in_batch_info_nce` (``B`` anchors, cross-view negatives only, cosine), the
    negatives include the anchor's own view and the default similarity is the plain dot product (``tau = 1``),
    as in the papers' code.

    Args:
        z_i: First view ``[B, D]``.
        z_j: Second view ``[B, D]`` (row ``b`` is the positive of ``z_i[b]``).
        tau: Temperature ``> 0``.
        similarity: ``"dot"`` or ``"cos"``.
        labels: Optional ``LongTensor [B]``; equal labels are never negatives of each other.

    Returns:
        Scalar loss.

    Example:
        >>> z = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
        >>> round(nt_xent(z, z).item(), 4)  # -log(e / (e + 2))
        0.5514
    """
    if z_i.dim() != 2 or z_i.shape != z_j.shape or z_i.size(0) == 0:
        raise ValueError(
            f"z_i and z_j must be non-empty [B, D] of the same shape, got {tuple(z_i.shape)} and "
            f"{tuple(z_j.shape)}"
        )
    tau = check_tau(tau)
    check_choice("similarity", similarity, SIMILARITIES)
    bsz = z_i.size(0)
    z = torch.cat([z_i, z_j], dim=0)
    if similarity == "cos":
        z = F.normalize(z, dim=1)
    sim = z @ z.t() / tau
    idx = torch.arange(2 * bsz, device=z.device)
    partner = (idx + bsz) % (2 * bsz)
    pos = sim[idx, partner]
    excluded = torch.eye(2 * bsz, dtype=torch.bool, device=z.device)
    excluded[idx, partner] = True
    if labels is not None:
        if labels.shape != (bsz,):
            raise ValueError(f"labels must have shape [{bsz}], got {tuple(labels.shape)}")
        lab = torch.cat([labels, labels]).to(z.device)
        excluded |= lab.unsqueeze(0) == lab.unsqueeze(1)
    neg = sim.masked_fill(excluded, float("-inf"))
    logits = torch.cat([pos.unsqueeze(1), neg], dim=1)
    return (torch.logsumexp(logits, dim=1) - pos).mean()


class SequentialRecommender(nn.Module):
    """Base class: the encoder, the recommendation loss (CE over all items or BPR) and full-sort scoring.

    Args:
        encoder: A :class:`~gcl.seq.encoder.SASRecEncoder` or a module with the same contract (``num_items``,
            ``item_embedding``, ``forward(seq) -> [B, L, D]``).
        loss_type: ``"ce"`` -- softmax cross-entropy over all items (RecBole's and the papers' default) -- or
            ``"bpr"`` -- BPR with one uniformly sampled negative item (``!=`` the target) per example.

    Attributes:
        loss_terms: Detached terms of the last :meth:`calculate_loss` call, e.g. ``{"rec": ..., "cl": ...}``.
    """

    needs_partner: bool = False

    def __init__(self, encoder: nn.Module, loss_type: str = "ce") -> None:
        super().__init__()
        for attr in ("num_items", "item_embedding"):
            if not hasattr(encoder, attr):
                raise ValueError(
                    f"encoder must expose '{attr}' (see gcl.seq.encoder.SASRecEncoder), got "
                    f"{type(encoder).__name__}"
                )
        if not isinstance(encoder.item_embedding, nn.Embedding):
            raise ValueError("encoder.item_embedding must be an nn.Embedding")
        self.encoder = encoder
        self.loss_type = check_choice("loss_type", loss_type, LOSS_TYPES)
        self.loss_terms: dict[str, Tensor] = {}

    @property
    def num_items(self) -> int:
        """Number of items ``I`` (ids ``1..I``)."""
        return int(self.encoder.num_items)

    def forward(self, seq: Tensor) -> Tensor:
        """Sequence representation ``[B, D]`` of left-padded inputs ``[B, L]`` (last position)."""
        return self.encoder(seq)[:, -1, :]

    def item_weights(self) -> Tensor:
        """Output embeddings of the items ``1..I`` ``[I, D]`` (rows of the encoder's item table)."""
        return self.encoder.item_embedding.weight[1 : self.num_items + 1]

    def full_sort_predict(self, seq: Tensor) -> Tensor:
        """Scores ``[B, I + 1]`` of every item id for each input; column 0 (padding) is ``-inf``."""
        rep = self(seq)
        scores = rep @ self.encoder.item_embedding.weight[: self.num_items + 1].t()
        scores[:, 0] = float("-inf")
        return scores

    def sample_negatives(self, target: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """One uniform item ``!= target`` per example ``[B]`` (ids ``1..I``; requires ``I >= 2``)."""
        if self.num_items < 2:
            raise ValueError("BPR needs at least 2 items to sample a negative")
        if generator is None:
            draw = torch.randint(1, self.num_items, target.shape, device=target.device)
        else:
            draw = torch.randint(
                1, self.num_items, target.shape, generator=generator, device=generator.device
            )
            draw = draw.to(target.device)
        return draw + (draw >= target).long()  # skip the target: uniform over the other I - 1 items

    def rec_loss(self, rep: Tensor, target: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Next-item loss of representations ``[B, D]`` against targets ``[B]`` (mean over the batch)."""
        if self.loss_type == "ce":
            return F.cross_entropy(rep @ self.item_weights().t(), target - 1)
        weight = self.encoder.item_embedding.weight
        neg = self.sample_negatives(target, generator)
        return bpr_loss((rep * weight[target]).sum(-1), (rep * weight[neg]).sum(-1))

    def calculate_loss(self, batch: SeqBatch, generator: torch.Generator | None = None) -> Tensor:
        """Training loss of one batch (the base class: the recommendation loss only)."""
        loss = self.rec_loss(self(batch.seq), batch.target, generator)
        self.loss_terms = {"rec": loss.detach()}
        return loss

    def on_epoch_start(
        self,
        epoch: int,
        data: SequenceData,
        *,
        device: torch.device | str | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        """Hook called by the trainer before each epoch (no-op here)."""

    def extra_repr(self) -> str:
        """Shown by ``repr(model)``."""
        return f"loss_type={self.loss_type!r}"

    def config(self) -> dict[str, Any]:
        """The model's hyper-parameters (for run records); subclasses extend it."""
        return {"loss_type": self.loss_type}
