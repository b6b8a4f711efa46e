"""LightGCN: linear propagation over the normalized user-item graph, layer mean, BPR.

He et al. 2020, "LightGCN: Simplifying and Powering Graph Convolution Network for Recommendation" (SIGIR):
``E^(k+1) = A_hat E^(k)`` with ``A_hat = D^-1/2 A D^-1/2`` (:func:`gcl.rec.graph.normalized_adjacency`) and
final embeddings ``mean(E^(0), ..., E^(K))``. The product is a CSR sparse-dense product whose backward is one
more product with the symmetric ``A_hat`` (:class:`~gcl.nn.propagation.PropagationMatrix`); PyG's ``LGConv``
computes the same propagation by message passing, materializing one message per edge.

The class is also the base of the contrastive models: :meth:`LightGCN.propagate` takes another adjacency
(SGL's views, one per layer if needed) and a ``perturbed`` flag that routes every layer through the
:meth:`LightGCN.perturb` hook (identity here; SimGCL adds noise).

A training batch reads the final embeddings of its users and items only, so :meth:`LightGCN.calculate_loss`
computes the last layer on those rows (``rows=`` of :meth:`LightGCN.propagate`, a
:class:`~gcl.nn.propagation.RowSlice` product): on Gowalla with batch 2048 a sixth of a full sparse product,
forward and backward, instead of a full one each. The loss and gradients are those of the full propagation.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor

from gcl.nn.propagation import PropagationMatrix
from gcl.rec.graph import normalized_adjacency
from gcl.rec.models.base import Recommender, TrainSet

__all__ = ["LightGCN"]

Adjacency = PropagationMatrix | Sequence[PropagationMatrix]


class LightGCN(Recommender):
    """LightGCN with BPR and the ego-embedding L2 term.

    Args:
        train: Training interactions; the normalized adjacency is built from them on first use and cached
            per training set (:func:`~gcl.rec.graph.normalized_adjacency`).
        embedding_dim: ``D`` (paper: 64).
        num_layers: ``K`` propagation layers (paper: 3; SELFRec configs use 2).
        reg_weight: L2 weight on the batch's ego embeddings, ``reg_weight / 2 * sum ||e0||^2 / B``
            (LightGCN-PyTorch ``--decay 1e-4``).
        include_ego: Average layers ``0..K`` (LightGCN) or only ``1..K`` (SELFRec's SimGCL / XSimGCL).

    Example:
        >>> from gcl.data.interactions import Interactions
        >>> model = LightGCN(Interactions(user=[0, 0, 1], item=[0, 1, 1]), embedding_dim=4, num_layers=2)
        >>> [t.shape for t in model.embeddings()]
        [torch.Size([2, 4]), torch.Size([2, 4])]
    """

    def __init__(
        self,
        train: TrainSet,
        embedding_dim: int = 64,
        num_layers: int = 3,
        reg_weight: float = 1e-4,
        *,
        include_ego: bool = True,
    ) -> None:
        super().__init__(train, embedding_dim, reg_weight)
        if isinstance(num_layers, bool) or not isinstance(num_layers, int) or num_layers < 0:
            raise ValueError(f"num_layers: expected an int >= 0, got {num_layers!r}")
        if not include_ego and num_layers == 0:
            raise ValueError("num_layers: must be >= 1 when include_ego=False (nothing would be averaged)")
        self.num_layers = num_layers
        self.include_ego = bool(include_ego)
        self._train = train
        self._adjacency: dict[str, PropagationMatrix] = {}

    # ------------------------------------------------------------------ graph
    @property
    def adjacency(self) -> PropagationMatrix:
        """The normalized training adjacency on the parameters' device (built once, then cached)."""
        device = self.embedding.device
        key = str(device)
        if key not in self._adjacency:
            self._adjacency[key] = normalized_adjacency(
                self._train, device=device, dtype=self.embedding.dtype
            )
        return self._adjacency[key]

    def perturb(self, x: Tensor, layer: int) -> Tensor:
        """Hook applied to every propagated layer ``x [U + I, D]`` when ``perturbed=True``; identity here."""
        return x

    def propagate(
        self,
        adjacency: Adjacency | None = None,
        *,
        perturbed: bool = False,
        depth: int | None = None,
        rows: Tensor | None = None,
    ) -> list[Tensor]:
        """All layers ``[E^(0), ..., E^(depth)]``, each ``[U + I, D]``.

        Args:
            adjacency: The propagation matrix (default: the training graph), or one matrix per layer.
            perturbed: Pass each propagated layer through :meth:`perturb`.
            depth: Number of layers (default ``num_layers``).
            rows: Optional distinct node ids ``LongTensor [R]``: the last layer is then computed for these
                rows only and returned as ``[R, D]`` (equal to the full layer's rows ``rows``); the other
                layers stay ``[U + I, D]``.
        """
        depth = self.num_layers if depth is None else depth
        if adjacency is None:
            adjacency = self.adjacency if depth else None
        per_layer = [adjacency] * depth if isinstance(adjacency, PropagationMatrix) else list(adjacency or [])
        if len(per_layer) != depth:
            raise ValueError(
                f"adjacency: expected one matrix or {depth} (one per layer), got {len(per_layer)}"
            )
        x = self.ego_embeddings()
        if rows is not None and depth == 0:
            return [x[rows]]
        layers = [x]
        for k, adj in enumerate(per_layer, start=1):
            x = (adj.rows(rows) if rows is not None and k == depth else adj) @ x
            if perturbed:
                x = self.perturb(x, k)
            layers.append(x)
        return layers

    @staticmethod
    def layer_rows(layers: Sequence[Tensor], rows: Tensor) -> list[Tensor]:
        """Every layer of a ``propagate(rows=rows)`` output at ``rows``: a list of ``[R, D]`` tensors."""
        return [layer[rows] for layer in layers[:-1]] + [layers[-1]]

    def combine(self, layers: Sequence[Tensor], rows: Tensor | None = None) -> Tensor:
        """Mean of ``layers[0..K]`` (``include_ego``) or of ``layers[1..K]``, each ``[U + I, D]``.

        With ``rows`` (the ``rows`` given to :meth:`propagate`), the last layer is ``[R, D]``, the others are
        read at ``rows`` and the result is ``[R, D]``.
        """
        if rows is not None:
            layers = self.layer_rows(layers, rows)
        used = list(layers if self.include_ego else layers[1:])
        if len(used) == 1:
            return used[0]
        out = used[0] + used[1]  # a fresh tensor: the in-place updates below are safe for autograd
        for layer in used[2:]:
            out.add_(layer)
        return out.div_(len(used))

    def node_embeddings(self, adjacency: Adjacency | None = None, *, perturbed: bool = False) -> Tensor:
        """Final embeddings of all nodes ``[U + I, D]`` over ``adjacency`` (default: the training graph)."""
        return self.combine(self.propagate(adjacency, perturbed=perturbed))

    def forward(
        self, adjacency: Adjacency | None = None, *, perturbed: bool = False
    ) -> tuple[Tensor, Tensor]:
        """Final user ``[U, D]`` and item ``[I, D]`` embeddings over ``adjacency`` (default: training)."""
        return self.split(self.node_embeddings(adjacency, perturbed=perturbed))

    def embeddings(self) -> tuple[Tensor, Tensor]:
        """Final embeddings over the full training graph, no perturbation."""
        return self.forward()

    def calculate_loss(self, users: Tensor, pos: Tensor, neg: Tensor) -> Tensor:
        """``bpr + reg`` for a batch of triples ``LongTensor [B]`` (last layer on the batch's rows only)."""
        self._begin_loss(users, pos, neg)
        nodes, positions = self.batch_nodes(users, pos, neg)
        final = self.combine(self.propagate(rows=nodes), rows=nodes)
        bpr, reg = self.bpr_terms(final, users, pos, neg, positions=positions)
        self.loss_terms = {"bpr": bpr.detach(), "reg": reg.detach()}
        return bpr + reg

    def extra_repr(self) -> str:  # noqa: D102
        return f"{super().extra_repr()}, layers={self.num_layers}, include_ego={self.include_ego}"
