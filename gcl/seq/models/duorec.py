"""DuoRec: contrastive learning against representation degeneration.

Qiu et al. 2022, "Contrastive Learning for Representation Degeneration Problem in Sequential Recommendation"
(WSDM).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from gcl.seq.data import SeqBatch
from gcl.seq.models.base import (
    SIMILARITIES,
    SequentialRecommender,
    check_choice,
    check_tau,
    check_weight,
    nt_xent,
)

__all__ = ["DuoRec"]

CONTRASTS = ("us_x", "us", "un", "su")


class DuoRec(SequentialRecommender):
    """DuoRec: dropout-based model augmentation plus supervised positives that share the target item.

    Two kinds of positive pairs (paper Sec. 4):

    * unsupervised -- two forward passes of the same sequence, different dropout masks;
    * supervised -- a *different training sequence with the same target item*, sampled from the whole
      training set for every example and epoch (:func:`gcl.seq.data.sample_same_target`; itself when the
      target occurs once), carried by ``batch.partner_seq``.

    ``contrast`` picks the objective of the official code (RecBole ``DuoRec.calculate_loss``):
    ``"us_x"`` (default, the paper's DuoRec) ``rec + lmd_sem * NT-Xent(f'(s), f(s_same_target))`` with ``f'``
    a second dropout pass; ``"us"`` adds both terms ``lmd * NT-Xent(f(s), f'(s)) + lmd_sem * NT-Xent(f(s),
    f(s_same_target))``; ``"un"`` / ``"su"`` only one of them. With ``mask_false_negatives=True`` other rows
    of the batch that share the anchor's target item are removed from its negatives (the paper's remedy for
    false negatives; the official code keeps them -- set ``False`` to match it).

    Defaults: ``lmd = lmd_sem = 0.1``, ``tau = 1``, dot similarity (``seq.yaml``/``duorec.sh`` of
    RuihongQiu/DuoRec).

    Args:
        encoder: The sequence encoder (its dropout is the model augmentation).
        lmd: Weight of the unsupervised term (``"us"``, ``"un"``).
        lmd_sem: Weight of the supervised term (``"us_x"``, ``"us"``, ``"su"``).
        tau: Temperature.
        similarity: ``"dot"`` or ``"cos"``.
        contrast: ``"us_x"``, ``"us"``, ``"un"`` or ``"su"``.
        mask_false_negatives: Drop same-target rows from the negatives.
        loss_type: ``"ce"`` or ``"bpr"`` for the recommendation term.
    """

    needs_partner = True

    def __init__(
        self,
        encoder: nn.Module,
        lmd: float = 0.1,
        lmd_sem: float = 0.1,
        tau: float = 1.0,
        similarity: str = "dot",
        contrast: str = "us_x",
        mask_false_negatives: bool = True,
        loss_type: str = "ce",
    ) -> None:
        super().__init__(encoder, loss_type)
        self.lmd = check_weight("lmd", lmd)
        self.lmd_sem = check_weight("lmd_sem", lmd_sem)
        self.tau = check_tau(tau)
        self.similarity = check_choice("similarity", similarity, SIMILARITIES)
        self.contrast = check_choice("contrast", contrast, CONTRASTS)
        self.mask_false_negatives = bool(mask_false_negatives)
        self.needs_partner = contrast != "un"

    def calculate_loss(self, batch: SeqBatch, generator: torch.Generator | None = None) -> Tensor:
        """Recommendation loss plus the contrastive term(s) selected by ``contrast``."""
        rep = self(batch.seq)
        rec = self.rec_loss(rep, batch.target, generator)
        labels = batch.target if self.mask_false_negatives else None
        terms: dict[str, Tensor] = {"rec": rec}
        loss = rec
        if self.contrast in ("us", "un"):
            terms["un"] = nt_xent(rep, self(batch.seq), self.tau, self.similarity, labels)
            loss = loss + self.lmd * terms["un"]
        if self.contrast in ("us", "su", "us_x"):
            if batch.partner_seq is None:
                raise ValueError(
                    "DuoRec needs batch.partner_seq (same-target sequences); use gcl.seq.trainer"
                )
            anchor = self(batch.seq) if self.contrast == "us_x" else rep
            terms["su"] = nt_xent(anchor, self(batch.partner_seq), self.tau, self.similarity, labels)
            loss = loss + self.lmd_sem * terms["su"]
        self.loss_terms = {k: v.detach() for k, v in terms.items()}
        return loss

    def config(self) -> dict[str, Any]:
        """Hyper-parameters."""
        keys = ("lmd", "lmd_sem", "tau", "similarity", "contrast", "mask_false_negatives")
        return {**super().config(), **{k: getattr(self, k) for k in keys}}
