"""SASRec (Kang and McAuley 2018, "Self-Attentive Sequential Recommendation", ICDM)."""

from __future__ import annotations

from torch import nn

from gcl.seq.models.base import SequentialRecommender

__all__ = ["SASRec"]


class SASRec(SequentialRecommender):
    """SASRec: a causal self-attention encoder trained to predict the next item.

    The loss is softmax cross-entropy over all items by default (RecBole's ``loss_type: CE``, the setting of
    the CL4SRec/DuoRec/ICLRec comparisons); ``loss_type="bpr"`` uses BPR with one sampled negative, close to
    the paper's binary cross-entropy with one negative per position. Everything else lives in
    :class:`~gcl.seq.models.base.SequentialRecommender`.

    Args:
        encoder: The sequence encoder (:class:`gcl.seq.encoder.SASRecEncoder`).
        loss_type: ``"ce"`` or ``"bpr"``.

    Example:
        >>> import torch
        >>> from gcl.seq.encoder import SASRecEncoder
        >>> model = SASRec(SASRecEncoder(num_items=5, max_length=4, hidden=8))
        >>> model.full_sort_predict(torch.tensor([[0, 1, 2, 3]])).shape
        torch.Size([1, 6])
    """

    def __init__(self, encoder: nn.Module, loss_type: str = "ce") -> None:
        super().__init__(encoder, loss_type)
