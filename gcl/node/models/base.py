"""The contract every node-level contrastive model follows.

A model is an encoder (any PyG-style module ``encoder(x, edge_index, edge_weight) -> [N, H]``)
plus augmentations (callables ``Data -> Data``) plus an objective, all passed in as arguments
-- the pattern of :class:`torch_geometric.nn.models.DeepGraphInfomax` -- so any of the three
can be swapped without touching the model.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch_geometric.data import Data


class NodeContrastiveModel(nn.Module):
    """Base class: ``training_loss`` for the trainer, ``embed`` for evaluation."""

    encoder: nn.Module

    def training_loss(self, data: Data, *, epoch: int = 0, num_epochs: int = 1) -> Tensor:
        """Return the scalar loss for one optimization step on ``data``."""
        raise NotImplementedError

    def after_optimizer_step(self, step: int, total_steps: int) -> None:
        """Hook run after each optimizer step (BGRL updates its EMA target here)."""

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        """Encode the (unaugmented) graph: [N, F], [2, E] -> [N, H]."""
        return self.encoder(x, edge_index, edge_weight)

    @torch.no_grad()
    def embed(self, data: Data) -> Tensor:
        """Frozen embeddings of the whole graph for evaluation (eval mode, no augmentation)."""
        was_training = self.training
        self.eval()
        try:
            return self(data.x, data.edge_index, getattr(data, "edge_weight", None)).detach()
        finally:
            self.train(was_training)


def encode_view(encoder: nn.Module, view: Data) -> Tensor:
    """Run ``encoder`` on an augmented view (uses ``view.edge_weight`` when present)."""
    return encoder(view.x, view.edge_index, getattr(view, "edge_weight", None))
