"""BGRL: Large-Scale Representation Learning on Graphs via Bootstrapping (Thakoor et al., ICLR 2022)."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch_geometric.data import Data

from gcl.node.models.base import NodeContrastiveModel, encode_view


class BGRL(NodeContrastiveModel):
    """An online encoder + predictor regresses an EMA target encoder's view of the other augmentation.

    No negatives. The target is a copy of the online encoder updated after every optimizer step as
    ``target <- m * target + (1 - m) * online`` with ``m`` following the cosine schedule from
    ``base_momentum`` to 1 (BYOL's schedule, used by BGRL).

    Args:
        encoder: Online encoder ``(x, edge_index, edge_weight) -> [N, H]`` (BGRL: GCN with BatchNorm + PReLU).
        predictor: ``[N, H] -> [N, H]`` MLP (BGRL: hidden 512, BatchNorm, PReLU).
        augment1: ``Data -> Data`` for view 1.
        augment2: ``Data -> Data`` for view 2.
        loss: ``loss(prediction, target) -> scalar``; :func:`gcl.losses.bootstrap_loss` is
            ``2 - 2 cos`` (it decreases as the two agree).
        base_momentum: EMA momentum at step 0.
    """

    def __init__(
        self,
        encoder: nn.Module,
        predictor: nn.Module,
        augment1: Callable[[Data], Data],
        augment2: Callable[[Data], Data],
        loss: Callable[[Tensor, Tensor], Tensor],
        *,
        base_momentum: float = 0.99,
    ) -> None:
        super().__init__()
        if not 0.0 <= base_momentum <= 1.0:
            raise ValueError(f"base_momentum must be in [0, 1], got {base_momentum}")
        self.encoder = encoder
        self.predictor = predictor
        self.augment1 = augment1
        self.augment2 = augment2
        self.loss = loss
        self.base_momentum = base_momentum
        self.target_encoder = copy.deepcopy(encoder)
        self.target_encoder.requires_grad_(False)

    def training_loss(self, data: Data, *, epoch: int = 0, num_epochs: int = 1) -> Tensor:
        """Symmetric bootstrap loss: predict target(view 2) from view 1 and vice versa."""
        v1, v2 = self.augment1(data), self.augment2(data)
        q1 = self.predictor(encode_view(self.encoder, v1))
        q2 = self.predictor(encode_view(self.encoder, v2))
        with torch.no_grad():
            self.target_encoder.train(self.training)
            t1 = encode_view(self.target_encoder, v1)
            t2 = encode_view(self.target_encoder, v2)
        return 0.5 * (self.loss(q1, t2) + self.loss(q2, t1))

    def momentum(self, step: int, total_steps: int) -> float:
        """Cosine schedule ``1 - (1 - m0) (cos(pi k / K) + 1) / 2``."""
        progress = min(step / max(total_steps, 1), 1.0)
        return 1.0 - (1.0 - self.base_momentum) * (math.cos(math.pi * progress) + 1.0) / 2.0

    @torch.no_grad()
    def after_optimizer_step(self, step: int, total_steps: int) -> None:
        """Move the target towards the online encoder."""
        m = self.momentum(step, total_steps)
        for target, online in zip(self.target_encoder.parameters(), self.encoder.parameters()):
            target.mul_(m).add_(online.detach(), alpha=1.0 - m)
        for target, online in zip(self.target_encoder.buffers(), self.encoder.buffers()):
            target.copy_(online)
