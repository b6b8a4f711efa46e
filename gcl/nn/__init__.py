"""Encoders, heads and sparse propagation."""

from gcl.nn.encoders import GCNEncoder, GCNLayer
from gcl.nn.heads import ProjectionHead
from gcl.nn.propagation import PropagationMatrix, gcn_norm_matrix

__all__ = ["GCNEncoder", "GCNLayer", "ProjectionHead", "PropagationMatrix", "gcn_norm_matrix"]
