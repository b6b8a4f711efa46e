"""gcl.augment: graph, feature and embedding augmentations for contrastive learning.

Pure tensor functions return the augmented tensors and the mask/index they used, accept an optional
``generator: torch.Generator`` and are no-ops when ``training=False`` or the rate is 0; the
:class:`~torch_geometric.transforms.BaseTransform` wrappers in :mod:`gcl.augment.transforms` apply
them to :class:`~torch_geometric.data.Data` and record the masks on the output.
"""

from gcl.augment.adaptive import (
    adaptive_drop_edge,
    adaptive_mask_feature,
    centrality,
    edge_drop_weights,
    feature_drop_weights,
)
from gcl.augment.community import (
    communal_attribute_voting,
    communal_drop_edge,
    communal_edge_weights,
    communal_feature_weights,
    community_strength,
    label_propagation_communities,
    louvain_communities,
)
from gcl.augment.compose import Compose, RandomChoice
from gcl.augment.diffusion import heat_diffusion, ppr_diffusion
from gcl.augment.embedding import uniform_noise
from gcl.augment.feature import feature_noise, mask_feature
from gcl.augment.graph import add_edge, drop_edge, drop_node, random_walk_subgraph
from gcl.augment.sequence import crop, insert, item_similarity_topk, mask, reorder, substitute
from gcl.augment.transforms import (
    AdaptiveDropEdge,
    AdaptiveMaskFeature,
    AddEdge,
    CommunalAttributeVoting,
    CommunalDropEdge,
    DetectCommunities,
    Diffusion,
    DropEdge,
    DropNode,
    MaskFeature,
    RandomWalkSubgraph,
)

__all__ = [
    "AdaptiveDropEdge",
    "AdaptiveMaskFeature",
    "AddEdge",
    "CommunalAttributeVoting",
    "CommunalDropEdge",
    "Compose",
    "DetectCommunities",
    "Diffusion",
    "DropEdge",
    "DropNode",
    "MaskFeature",
    "RandomChoice",
    "RandomWalkSubgraph",
    "adaptive_drop_edge",
    "adaptive_mask_feature",
    "add_edge",
    "centrality",
    "communal_attribute_voting",
    "communal_drop_edge",
    "communal_edge_weights",
    "communal_feature_weights",
    "community_strength",
    "crop",
    "drop_edge",
    "drop_node",
    "edge_drop_weights",
    "feature_drop_weights",
    "feature_noise",
    "heat_diffusion",
    "insert",
    "item_similarity_topk",
    "label_propagation_communities",
    "louvain_communities",
    "mask",
    "mask_feature",
    "ppr_diffusion",
    "random_walk_subgraph",
    "reorder",
    "substitute",
    "uniform_noise",
]
