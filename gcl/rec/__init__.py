"""Graph recommendation: user-item graphs, BPR sampling, models, full-ranking evaluation, trainer."""

from gcl.rec.evaluate import full_ranking, full_ranking_from_embeddings
from gcl.rec.graph import normalized_adjacency
from gcl.rec.metrics import RankingMetrics
from gcl.rec.models import MF, MODELS, NCL, SGL, DirectAU, LightGCN, Recommender, SimGCL, XSimGCL, build_model
from gcl.rec.sampler import BPRSampler
from gcl.rec.trainer import RecResult, RecTrainConfig, RecTrainer, train_recommender

__all__ = [
    "MF",
    "MODELS",
    "NCL",
    "SGL",
    "BPRSampler",
    "DirectAU",
    "LightGCN",
    "RankingMetrics",
    "RecResult",
    "RecTrainConfig",
    "RecTrainer",
    "Recommender",
    "SimGCL",
    "XSimGCL",
    "build_model",
    "full_ranking",
    "full_ranking_from_embeddings",
    "normalized_adjacency",
    "train_recommender",
]
