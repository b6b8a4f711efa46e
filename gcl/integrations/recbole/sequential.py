"""Our CL4SRec and DuoRec as RecBole ``SequentialRecommender`` models (an adapter, not a copy).

RecBole hands a model left-aligned histories (``item_id_list``: items first, zeros after, plus
``item_length``); our encoder reads right-aligned, left-padded ones, so each batch is shifted once
(one gather). Item ids are RecBole's (0 = padding), so scores line up with its evaluator. Config keys use
RecBole's SASRec spelling (``hidden_size``, ``n_layers``, ``n_heads``, ``inner_size``,
``hidden_dropout_prob``, ``attn_dropout_prob``, ``hidden_act``, ``MAX_ITEM_LIST_LENGTH``) plus the
model's own (``lmd``, ``lmd_sem``, ``tau``, ``sim``, ``contrast`` ...).

DuoRec's supervised positive is another *training* sequence with the same target, drawn per example
from RecBole's training rows (the ``same_target_index`` of DuoRec's code); an item that is the target of
one training row only pairs with itself.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from recbole.model.abstract_recommender import SequentialRecommender as RecBoleSequential
from recbole.utils import InputType
from torch import Tensor

from gcl.seq.data import SeqBatch
from gcl.seq.encoder import SASRecEncoder
from gcl.seq.models import CL4SRec, DuoRec
from gcl.seq.models.base import SequentialRecommender

from .general import config_kwargs

__all__ = ["GclCL4SRec", "GclDuoRec", "right_align"]

ENCODER_KEYS = {
    "hidden_size": "hidden",
    "n_layers": "num_blocks",
    "n_heads": "num_heads",
    "inner_size": "inner_size",
    "hidden_dropout_prob": "dropout",
    "attn_dropout_prob": "attn_dropout",
    "hidden_act": "activation",
    "layer_norm_eps": "layer_norm_eps",
    "initializer_range": "initializer_range",
}


def right_align(seq: Tensor, lengths: Tensor) -> Tensor:
    """Left-aligned histories ``[B, L]`` (items, then zeros) -> right-aligned (zeros, then items).

    Example:
        >>> right_align(torch.tensor([[3, 4, 0, 0], [5, 6, 7, 8]]), torch.tensor([2, 4])).tolist()
        [[0, 0, 3, 4], [5, 6, 7, 8]]
    """
    width = seq.size(1)
    source = torch.arange(width, device=seq.device).unsqueeze(0) - (width - lengths).unsqueeze(1)
    out = seq.gather(1, source.clamp(min=0))
    return out.masked_fill(source < 0, 0)


class _GclSequential(RecBoleSequential):
    """Shared adapter: one of our :class:`~gcl.seq.models.base.SequentialRecommender` inside RecBole."""

    input_type = InputType.POINTWISE
    gcl_class: ClassVar[type[SequentialRecommender]]
    model_keys: ClassVar[dict[str, str]] = {}

    def __init__(self, config: Any, dataset: Any) -> None:
        super().__init__(config, dataset)
        encoder = SASRecEncoder(
            self.n_items - 1, max_length=self.max_seq_length, **config_kwargs(config, ENCODER_KEYS)
        )
        loss_type = str(config["loss_type"] or "CE").lower()
        self.gcl = self.gcl_class(encoder, loss_type=loss_type, **config_kwargs(config, self.model_keys))

    def _batch(self, interaction: Any) -> SeqBatch:
        lengths = interaction[self.ITEM_SEQ_LEN]
        seq = right_align(interaction[self.ITEM_SEQ], lengths)
        target = interaction[self.POS_ITEM_ID]
        index = torch.arange(target.numel(), device=target.device)
        return SeqBatch(seq=seq, lengths=lengths, target=target, user=index, position=index)

    def calculate_loss(self, interaction: Any) -> Tensor:
        """Our model's loss (recommendation + contrastive terms) on RecBole's batch."""
        return self.gcl.calculate_loss(self._batch(interaction))

    def predict(self, interaction: Any) -> Tensor:
        """Scores of the batch's (history, item) pairs ``[B]``."""
        batch = self._batch(interaction)
        rep = self.gcl(batch.seq)
        return (rep * self.gcl.encoder.item_embedding(interaction[self.ITEM_ID])).sum(dim=1)

    def full_sort_predict(self, interaction: Any) -> Tensor:
        """Scores of every item id ``[B, n_items]`` (column 0, padding, is ``-inf``)."""
        return self.gcl.full_sort_predict(self._batch(interaction).seq)


class GclCL4SRec(_GclSequential):
    """:class:`gcl.seq.models.CL4SRec` (Xie et al. 2022) in RecBole."""

    gcl_class = CL4SRec
    model_keys: ClassVar[dict[str, str]] = {
        "lmd": "lmd",
        "tau": "tau",
        "sim": "similarity",
        "crop_eta": "crop_eta",
        "mask_gamma": "mask_gamma",
        "reorder_beta": "reorder_beta",
    }


class GclDuoRec(_GclSequential):
    """:class:`gcl.seq.models.DuoRec` (Qiu et al. 2022) in RecBole; same-target positives from training."""

    gcl_class = DuoRec
    model_keys: ClassVar[dict[str, str]] = {
        "lmd": "lmd",
        "lmd_sem": "lmd_sem",
        "tau": "tau",
        "sim": "similarity",
        "contrast": "contrast",
    }

    def __init__(self, config: Any, dataset: Any) -> None:
        super().__init__(config, dataset)
        feat = dataset.inter_feat
        targets = feat[self.POS_ITEM_ID].cpu()
        order = torch.sort(targets, stable=True).indices
        self.register_buffer("_train_seq", feat[self.ITEM_SEQ][order].clone(), persistent=False)
        self.register_buffer("_train_len", feat[self.ITEM_SEQ_LEN][order].clone(), persistent=False)
        self.register_buffer("_train_target", targets[order].clone(), persistent=False)

    def _batch(self, interaction: Any) -> SeqBatch:
        batch = super()._batch(interaction)
        if not self.training:
            return batch
        start = torch.searchsorted(self._train_target, batch.target, side="left")
        stop = torch.searchsorted(self._train_target, batch.target, side="right")
        size = (stop - start).clamp(min=1)
        offset = (torch.rand(size.shape, device=size.device) * size).long().clamp(max=size - 1)
        rows = (start + offset).clamp(max=self._train_target.numel() - 1)
        found = stop > start  # a validation/test-only target has no training partner: use itself
        partner_len = torch.where(found, self._train_len[rows], batch.lengths)
        partner = torch.where(found.unsqueeze(1), self._train_seq[rows], interaction[self.ITEM_SEQ])
        batch.partner_seq = right_align(partner, partner_len)
        batch.partner_lengths = partner_len
        return batch
