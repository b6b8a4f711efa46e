"""gcl.seq: sequential recommendation.

Leave-one-out sequence data, the SASRec encoder, SASRec / CL4SRec / DuoRec / ICSRec, full-ranking HR/NDCG
evaluation and the training loop.

Example:
    >>> from gcl.data.readers import read_sequences  # doctest: +SKIP
    >>> data = SequenceData.from_interactions(read_sequences("Beauty/Beauty.txt"))  # doctest: +SKIP
    >>> model = build_model("duorec", SASRecEncoder(data.num_items))  # doctest: +SKIP
    >>> result = train_sequential(model, data, SeqTrainConfig(epochs=50))  # doctest: +SKIP
"""

from gcl.seq.data import SeqBatch, SequenceData, sample_same_target
from gcl.seq.encoder import SASRecEncoder, causal_padding_mask
from gcl.seq.evaluate import evaluate_ranking, ranking_metrics
from gcl.seq.models import (
    MODELS,
    CL4SRec,
    DuoRec,
    ICSRec,
    SASRec,
    SequentialRecommender,
    build_model,
    nt_xent,
)
from gcl.seq.trainer import SeqTrainConfig, SeqTrainResult, train_sequential

__all__ = [
    "MODELS",
    "CL4SRec",
    "DuoRec",
    "ICSRec",
    "SASRec",
    "SASRecEncoder",
    "SeqBatch",
    "SeqTrainConfig",
    "SeqTrainResult",
    "SequenceData",
    "SequentialRecommender",
    "build_model",
    "causal_padding_mask",
    "evaluate_ranking",
    "nt_xent",
    "ranking_metrics",
    "sample_same_target",
    "train_sequential",
]
