"""SimGCL: contrast two noise-perturbed LightGCN propagations instead of two augmented graphs.

Yu et al. 2022, "Are Graph Augmentations Necessary? Simple Graph Contrastive Learning for Recommendation"
(SIGIR). Every propagated layer gets SimGCL's noise ``eps * normalize(U(0, 1)) * sign(e)``
(:func:`gcl.augment.uniform_noise`); the recommendation loss uses the clean propagation, and
``lambda * InfoNCE`` contrasts two perturbed propagations on the batch's unique users and items. As in
SELFRec's SimGCL encoder, the final embedding averages layers ``1..K`` (the ego layer is left out), clean or
perturbed alike.

The noise ``eps * normalize(r) * sign(x)`` has zero gradient with respect to ``x`` (``sign`` is piecewise
constant; autograd treats it so too), so a perturbed propagation is the clean one plus a constant offset:
``x_k = c_k + d_k`` with ``c_k = A^k E`` and
``d_k = A d_(k-1) + eps * normalize(r_k) * sign(c_k + A d_(k-1))``.
:meth:`SimGCL.calculate_loss` propagates once with gradients and builds each view's offset without them,
``K - 1`` products per view and no backward, where perturbing inside the autograd graph costs ``K`` forward
and ``K`` backward products per view: for ``K = 2``, 6 sparse products per batch instead of 12. Values and
gradients are the same (tested). The last layer, clean and offset alike, is computed only on the batch's
distinct users and items (:class:`~gcl.nn.propagation.RowSlice`), and its noise is drawn for those rows only
(``[R, D]`` draws, rows in ascending node order): each row's noise has the paper's distribution, and no draw
is spent on rows the loss never reads.

Defaults follow SELFRec's ``conf/SimGCL.yaml`` and the paper's Yelp2018 setting: ``eps = 0.1``,
``lambda = 0.5``, ``tau = 0.2``, 2 layers, batch 2048, L2 1e-4.
"""

from __future__ import annotations

import torch
from torch import Tensor

from gcl.augment import uniform_noise
from gcl.rec.models.base import TrainSet, _check_nonnegative, _check_positive, cross_view_info_nce
from gcl.rec.models.lightgcn import LightGCN

__all__ = ["SimGCL"]


class SimGCL(LightGCN):
    """SimGCL = LightGCN + uniform noise on every layer + cross-view InfoNCE.

    Args:
        train: Training interactions.
        embedding_dim: ``D``.
        num_layers: ``K`` (SELFRec: 2).
        reg_weight: L2 weight on ego embeddings (as :class:`LightGCN`).
        eps: Noise magnitude ``>= 0`` (paper: 0.1).
        cl_weight: ``lambda >= 0``, weight of the contrastive term (paper: 0.5 on Yelp2018).
        tau: InfoNCE temperature ``> 0`` (paper: 0.2).
        include_ego: Average layers ``0..K`` instead of SELFRec's ``1..K``.
        generator: Optional ``torch.Generator`` for the noise (default: global RNG).

    With ``eps = 0`` and ``cl_weight = 0`` the loss and embeddings equal :class:`LightGCN`'s with the same
    ``include_ego`` and initialization.
    """

    def __init__(
        self,
        train: TrainSet,
        embedding_dim: int = 64,
        num_layers: int = 2,
        reg_weight: float = 1e-4,
        *,
        eps: float = 0.1,
        cl_weight: float = 0.5,
        tau: float = 0.2,
        include_ego: bool = False,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__(train, embedding_dim, num_layers, reg_weight, include_ego=include_ego)
        if num_layers < 1:
            raise ValueError(
                f"num_layers: SimGCL perturbs propagated layers, expected >= 1, got {num_layers}"
            )
        self.eps = _check_nonnegative("eps", eps)
        self.cl_weight = _check_nonnegative("cl_weight", cl_weight)
        self.tau = _check_positive("tau", tau)
        self.generator = generator

    def perturb(self, x: Tensor, layer: int) -> Tensor:
        """Add SimGCL's noise of length ``eps`` to every row of the propagated layer ``x``."""
        return uniform_noise(x, self.eps, generator=self.generator)[0]

    @torch.no_grad()
    def perturbation_offset(self, layers: list[Tensor], rows: Tensor | None = None) -> Tensor:
        """Offset ``[U + I, D]`` of a perturbed propagation's final embeddings from the clean ones.

        For the same random draws, ``node_embeddings(perturbed=True)`` equals
        ``combine(layers) + perturbation_offset(layers)`` in value and gradient, where ``layers`` is the
        clean :meth:`propagate` output over the training graph. With ``rows``,
        ``combine(propagate(perturbed=True, rows=rows), rows)`` equals
        ``combine(layers, rows) + perturbation_offset(layers, rows)``.

        Args:
            layers: Clean layers ``[E^(0), ..., E^(K)]``, each ``[U + I, D]`` (the last one ``[R, D]`` when
                ``rows`` is given).
            rows: The ``rows`` given to :meth:`propagate`: the offset is then ``[R, D]``.
        """
        total: Tensor | None = None
        carried: Tensor | None = None  # A d_(k-1)
        depth = len(layers) - 1
        for k in range(1, depth + 1):
            clean = layers[k].detach()
            pre = clean if carried is None else clean + carried  # A x_(k-1) = c_k + A d_(k-1)
            noise = uniform_noise(pre, self.eps, generator=self.generator)[1]
            offset = noise if carried is None else carried.add_(noise)  # d_k
            part = offset[rows] if rows is not None and k < depth else offset
            total = part if total is None else total.add_(part)
            if k < depth:  # total may alias d_1, so A d_k is taken before the next in-place add
                last = rows is not None and k + 1 == depth
                carried = (self.adjacency.rows(rows) if last else self.adjacency) @ offset
        assert total is not None
        return total.div_(len(layers) if self.include_ego else depth)

    def calculate_loss(self, users: Tensor, pos: Tensor, neg: Tensor) -> Tensor:
        """``bpr + reg`` on the clean propagation plus ``cl_weight * cl`` between two perturbed ones.

        One propagation with gradients; each view is the clean result plus a constant offset
        (:meth:`perturbation_offset`), added only to the rows the contrast reads. The last layer of all
        three is computed on the batch's distinct nodes only.
        """
        self._begin_loss(users, pos, neg)
        nodes, positions = self.batch_nodes(users, pos, neg)
        layers = self.propagate(rows=nodes)
        final = self.combine(layers, rows=nodes)
        bpr, reg = self.bpr_terms(final, users, pos, neg, positions=positions)
        offsets = (self.perturbation_offset(layers, nodes), self.perturbation_offset(layers, nodes))
        cl = cross_view_info_nce(
            final, final, users, pos, self.num_users, self.tau, offsets=offsets, nodes=nodes
        )
        self.loss_terms = {"bpr": bpr.detach(), "reg": reg.detach(), "cl": cl.detach()}
        return bpr + reg + self.cl_weight * cl

    def extra_repr(self) -> str:  # noqa: D102
        return f"{super().extra_repr()}, eps={self.eps}, cl_weight={self.cl_weight}, tau={self.tau}"
