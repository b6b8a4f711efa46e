"""Projection and prediction heads."""

from __future__ import annotations

from torch import Tensor, nn

from gcl.nn.activation import make_activation


class ProjectionHead(nn.Module):
    """Two-layer MLP projection head, ``fc2(act(fc1(h)))``.

    GRACE (Zhu et al. 2020) uses ELU between the layers; BGRL's predictor (Thakoor et al.
    ICLR 2022) uses a hidden BatchNorm + PReLU (``batch_norm=True, activation="prelu"``).

    Args:
        in_channels: Input size H.
        hidden_channels: Hidden size.
        out_channels: Output size P.
        activation: Hidden activation name or module.
        batch_norm: BatchNorm1d on the hidden layer.

    Shapes:
        [N, H] -> [N, P].
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        out_channels: int,
        *,
        activation: str | nn.Module = "elu",
        batch_norm: bool = False,
    ) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_channels, hidden_channels)
        self.norm = nn.BatchNorm1d(hidden_channels) if batch_norm else nn.Identity()
        self.act = make_activation(activation, hidden_channels if activation == "prelu" else 1)
        self.fc2 = nn.Linear(hidden_channels, out_channels)

    def reset_parameters(self) -> None:
        """Re-initialize both layers."""
        self.fc1.reset_parameters()
        self.fc2.reset_parameters()
        if isinstance(self.norm, nn.BatchNorm1d):
            self.norm.reset_parameters()

    def forward(self, h: Tensor) -> Tensor:
        """Project embeddings."""
        return self.fc2(self.act(self.norm(self.fc1(h))))
