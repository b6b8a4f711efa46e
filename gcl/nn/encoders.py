"""GCN encoders for node-level contrastive learning.

The layer computes ``A_hat @ (x @ W) + b`` with the GCN normalization of Kipf & Welling
(ICLR 2017), like :class:`torch_geometric.nn.GCNConv`, but

* accepts sparse node features (``torch.sparse_coo``/``csr``) in the first layer -- Cora's
  bag-of-words features are 98.7 % zeros, so ``x @ W`` costs a fraction of the dense product;
* builds the propagation matrix once per forward and shares it across layers, using
  :class:`gcl.nn.propagation.PropagationMatrix` whose backward is a single sparse product.

Numerically it equals a stack of ``GCNConv`` layers (tested).
"""

from __future__ import annotations

import itertools
import math

import torch
from torch import Tensor, nn

from gcl.nn.activation import make_activation
from gcl.nn.propagation import PropagationMatrix, gcn_norm_matrix


def feature_matmul(x: Tensor, weight: Tensor) -> Tensor:
    """``x @ weight`` for dense or sparse ``x`` [N, F] and dense ``weight`` [F, H]."""
    if x.is_sparse or x.layout == torch.sparse_csr:
        return torch.sparse.mm(x, weight)
    return x @ weight


class GCNLayer(nn.Module):
    """One graph convolution ``A_hat @ (x @ W) + b``.

    Args:
        in_channels: F.
        out_channels: H.
        bias: Learn an additive bias.
    """

    def __init__(self, in_channels: int, out_channels: int, *, bias: bool = True) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(in_channels, out_channels))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Glorot-uniform weight, zero bias (as ``GCNConv``)."""
        bound = math.sqrt(6.0 / (self.weight.size(0) + self.weight.size(1)))
        nn.init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def forward(self, x: Tensor, propagation: PropagationMatrix) -> Tensor:
        """Args: x [N, F] dense or sparse, propagation [N, N]. Returns [N, H]."""
        out = propagation @ feature_matmul(x, self.weight)
        return out if self.bias is None else out + self.bias


class GCNEncoder(nn.Module):
    """Multi-layer GCN encoder as used by GRACE/GCA/BGRL.

    GRACE (Zhu et al. 2020) uses two layers with the first twice as wide as the output:
    ``in -> 2*out -> out``, the activation after every layer.

    Args:
        in_channels: Input feature size F.
        out_channels: Output embedding size H.
        num_layers: Number of GCN layers (>= 1).
        hidden_channels: Width of the hidden layers (default ``2 * out_channels``, GRACE's choice).
        activation: Name (``relu``, ``prelu``, ...) or module applied after each layer.
        dropout: Dropout on the input of each layer after the first.
        batch_norm: Batch normalization after each layer before the activation (BGRL's encoder).
        shared_activation: One activation module for all layers. GRACE's reference code builds a single
            ``nn.PReLU()`` (one slope) and applies it after both layers; ``False`` gives each layer its own
            (a per-channel slope for ``prelu``).

    Shapes:
        x [N, F] (dense or sparse), edge_index [2, E] -> [N, H].
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        num_layers: int = 2,
        hidden_channels: int | None = None,
        activation: str | nn.Module = "relu",
        dropout: float = 0.0,
        batch_norm: bool = False,
        shared_activation: bool = False,
    ) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        hidden = hidden_channels or 2 * out_channels
        sizes = [in_channels] + [hidden] * (num_layers - 1) + [out_channels]
        self.layers = nn.ModuleList(GCNLayer(a, b) for a, b in itertools.pairwise(sizes))
        self.norms = nn.ModuleList(nn.BatchNorm1d(b) if batch_norm else nn.Identity() for b in sizes[1:])
        act_name = activation
        if shared_activation:
            shared = make_activation(act_name, 1)
            self.activations = nn.ModuleList([shared] * len(sizes[1:]))
        else:
            self.activations = nn.ModuleList(
                make_activation(act_name, b if str(act_name).lower() == "prelu" else 1) for b in sizes[1:]
            )
        self.dropout = dropout
        self.in_channels, self.out_channels = in_channels, out_channels

    def reset_parameters(self) -> None:
        """Re-initialize every layer."""
        for layer in self.layers:
            layer.reset_parameters()
        for norm in self.norms:
            if hasattr(norm, "reset_parameters"):
                norm.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        """Encode nodes; see the class docstring for shapes."""
        propagation = gcn_norm_matrix(edge_index, x.size(0), edge_weight, dtype=self.layers[0].weight.dtype)
        h = x
        for i, (layer, norm, act) in enumerate(zip(self.layers, self.norms, self.activations)):
            if i > 0 and self.dropout > 0:
                h = nn.functional.dropout(h, self.dropout, self.training)
            h = act(norm(layer(h, propagation)))
        return h
