"""CL4SRec (Xie et al. 2022, "Contrastive Learning for Sequential Recommendation", ICDE)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from gcl.augment._validate import check_probability, randint
from gcl.augment.sequence import crop, mask, reorder
from gcl.seq.data import SeqBatch
from gcl.seq.models.base import (
    SIMILARITIES,
    SequentialRecommender,
    check_choice,
    check_tau,
    check_weight,
    nt_xent,
)

__all__ = ["CL4SRec"]


class CL4SRec(SequentialRecommender):
    """CL4SRec: next-item prediction plus a contrastive loss between two augmented views of each sequence.

    ``loss = rec + lmd * NT-Xent(f(a_1(s)), f(a_2(s)))`` where each view applies one of crop / mask / reorder
    (:mod:`gcl.augment.sequence`), chosen per sequence at random; the other sequences of the batch (both
    views) are the negatives (:func:`~gcl.seq.models.base.nt_xent`). Defaults follow the CL4SRec
    implementation of the DuoRec code base (RecBole ``CL4SRec.yaml``: ``lmd 0.1``, ``tau 1``, dot similarity,
    ``eta 0.6``, ``gamma 0.3``, ``beta 0.6``, two *different* operators per sequence, a dedicated mask token,
    sequences of one item left as they are). ICLRec's CL4SRec baseline uses ``eta 0.2, gamma 0.7, beta 0.2``
    with independent operator choices (``distinct_views=False``).

    Args:
        encoder: The sequence encoder (its ``mask_token`` is the mask id).
        lmd: Weight of the contrastive term.
        tau: Temperature.
        similarity: ``"dot"`` or ``"cos"``.
        crop_eta: Kept fraction of :func:`~gcl.augment.sequence.crop`.
        mask_gamma: Masked fraction of :func:`~gcl.augment.sequence.mask`.
        reorder_beta: Shuffled fraction of :func:`~gcl.augment.sequence.reorder`.
        distinct_views: The two views of a sequence use different operators.
        loss_type: ``"ce"`` or ``"bpr"`` for the recommendation term.
    """

    def __init__(
        self,
        encoder: nn.Module,
        lmd: float = 0.1,
        tau: float = 1.0,
        similarity: str = "dot",
        crop_eta: float = 0.6,
        mask_gamma: float = 0.3,
        reorder_beta: float = 0.6,
        distinct_views: bool = True,
        loss_type: str = "ce",
    ) -> None:
        super().__init__(encoder, loss_type)
        self.lmd = check_weight("lmd", lmd)
        self.tau = check_tau(tau)
        self.similarity = check_choice("similarity", similarity, SIMILARITIES)
        self.crop_eta = check_probability(crop_eta, "crop_eta")
        self.mask_gamma = check_probability(mask_gamma, "mask_gamma")
        self.reorder_beta = check_probability(reorder_beta, "reorder_beta")
        self.distinct_views = bool(distinct_views)
        self.mask_token = int(getattr(encoder, "mask_token", 0))

    def augment(
        self, seq: Tensor, lengths: Tensor, generator: torch.Generator | None = None
    ) -> tuple[tuple[Tensor, Tensor], tuple[Tensor, Tensor]]:
        """Two views ``((seq_1, len_1), (seq_2, len_2))`` of a left-padded batch, random operator per row."""
        bsz, device = seq.size(0), seq.device
        first = randint(3, bsz, generator, device)
        if self.distinct_views:
            second = (first + 1 + randint(2, bsz, generator, device)) % 3
        else:
            second = randint(3, bsz, generator, device)
        views = []
        for choice in (first, second):
            cands = [
                crop(seq, lengths, self.crop_eta, generator=generator),
                mask(seq, lengths, self.mask_gamma, self.mask_token, generator=generator),
                reorder(seq, lengths, self.reorder_beta, generator=generator),
            ]
            out_seq = torch.stack([c[0] for c in cands])[choice, torch.arange(bsz, device=device)]
            out_len = torch.stack([c[1] for c in cands])[choice, torch.arange(bsz, device=device)]
            short = lengths <= 1  # RecBole leaves one-item sequences as they are
            views.append(
                (torch.where(short.unsqueeze(1), seq, out_seq), torch.where(short, lengths, out_len))
            )
        return views[0], views[1]

    def calculate_loss(self, batch: SeqBatch, generator: torch.Generator | None = None) -> Tensor:
        """``rec + lmd * NT-Xent`` of the two augmented views."""
        rec = self.rec_loss(self(batch.seq), batch.target, generator)
        (s1, _), (s2, _) = self.augment(batch.seq, batch.lengths, generator)
        cl = nt_xent(self(s1), self(s2), self.tau, self.similarity)
        self.loss_terms = {"rec": rec.detach(), "cl": cl.detach()}
        return rec + self.lmd * cl

    def config(self) -> dict[str, Any]:
        """Hyper-parameters."""
        keys = ("lmd", "tau", "similarity", "crop_eta", "mask_gamma", "reorder_beta", "distinct_views")
        return {**super().config(), **{k: getattr(self, k) for k in keys}}
