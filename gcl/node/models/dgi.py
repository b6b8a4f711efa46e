"""DGI: Deep Graph Infomax (Velickovic et al., ICLR 2019)."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch_geometric.data import Data

from gcl.node.models.base import NodeContrastiveModel


def shuffle_features(x: Tensor, edge_index: Tensor) -> tuple[Tensor, Tensor]:
    """DGI's corruption: permute the rows of ``x`` (dense or sparse COO), keep the graph.

    Returns ``(x[perm], edge_index)``.
    """
    perm = torch.randperm(x.size(0), device=x.device)
    return x.index_select(0, perm), edge_index


def mean_sigmoid_summary(h: Tensor) -> Tensor:
    """DGI's readout: ``sigmoid(mean_i h_i)``, [N, H] -> [H]."""
    return torch.sigmoid(h.mean(dim=0))


class DGI(NodeContrastiveModel):
    """Maximize mutual information between node embeddings and a graph summary.

    A bilinear discriminator ``D(h, s) = h^T W s`` scores real nodes against nodes of a corrupted
    graph (shuffled features) -- the :class:`torch_geometric.nn.models.DeepGraphInfomax` design,
    with the objective passed in.

    Args:
        encoder: ``encoder(x, edge_index, edge_weight) -> [N, H]`` (DGI: one GCN layer, 512, PReLU).
        hidden_channels: H.
        loss: ``loss(pos_logits [N], neg_logits [N]) -> scalar``, e.g. :func:`gcl.losses.dgi_bce`.
        corruption: ``(x, edge_index) -> (x', edge_index')``.
        summary: ``[N, H] -> [H]``.
    """

    def __init__(
        self,
        encoder: nn.Module,
        hidden_channels: int,
        loss: Callable[[Tensor, Tensor], Tensor],
        *,
        corruption: Callable[[Tensor, Tensor], tuple[Tensor, Tensor]] = shuffle_features,
        summary: Callable[[Tensor], Tensor] = mean_sigmoid_summary,
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.loss = loss
        self.corruption = corruption
        self.summary = summary
        self.weight = nn.Parameter(torch.empty(hidden_channels, hidden_channels))
        bound = math.sqrt(6.0 / (2 * hidden_channels))
        nn.init.uniform_(self.weight, -bound, bound)

    def discriminate(self, h: Tensor, s: Tensor) -> Tensor:
        """Bilinear scores ``h @ W @ s``: [N, H], [H] -> [N] logits."""
        return h @ (self.weight @ s)

    def training_loss(self, data: Data, *, epoch: int = 0, num_epochs: int = 1) -> Tensor:
        """Discriminator loss on real vs corrupted nodes."""
        edge_weight = getattr(data, "edge_weight", None)
        pos = self.encoder(data.x, data.edge_index, edge_weight)
        x_neg, ei_neg = self.corruption(data.x, data.edge_index)
        neg = self.encoder(x_neg, ei_neg, edge_weight)
        s = self.summary(pos)
        return self.loss(self.discriminate(pos, s), self.discriminate(neg, s))
