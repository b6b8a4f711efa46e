"""CSGCL's "team-up" InfoNCE: GRACE's objective fine-tuned by community strength, ramped in over training.

Chen et al. 2023, "CSGCL: Community-Strength-Enhanced Graph Contrastive Learning" (IJCAI). Every node ``i``
belongs to a community ``c(i)`` with strength (its modularity contribution, Sec. 3.2)::

    S_c = e_c / m - (d_c / 2m)^2

(``e_c`` edges inside ``c``, ``d_c`` total degree of ``c``, ``m`` edges in the graph). The team-up objective
replaces each cosine similarity of GRACE's InfoNCE by ``s(i, j) + gamma * (S_c(i) + S_c(j))`` -- in every
term, the positive, inter-view and intra-view negatives alike -- with ``gamma`` ramped in after a warm-up::

    gamma(epoch) = min(max(0, (epoch - t0) / ramp_epochs), gamma_max)

Form taken from the authors' code (``github.com/HanChen-HUST/CSGCL``, ``src/model.py``: ``_team_up`` adds
``gamma * cs + gamma * cs.unsqueeze(1)`` to the similarity matrix before ``exp(. / tau)``, and ``gamma =
min(max(0, (current_ep - t0) / 100), gamma_max)``; ``src/functional.py::community_strength``, which is
:func:`gcl.augment.community.community_strength` here). The ramp length
``100`` is a hard-coded constant there and the ``ramp_epochs`` parameter here.

Because the anchor's own term ``gamma * S_c(i) / tau`` is added to the numerator and to every term of the
denominator, it cancels: team-up is *exactly* GRACE's InfoNCE with a per-key logit bias
``gamma * S_c(j) / tau`` -- keys (positives included) from strong communities get larger logits. That is
how it is computed here (``key_bias`` of :func:`gcl.losses.infonce.info_nce`), so it runs on the fast
dense and on the memory-bounded path alike. Note this is an additive similarity bias, not a
multiplicative per-anchor weighting of the loss terms.
"""

from __future__ import annotations

import math
from typing import Literal

from torch import Tensor, nn

from gcl.losses.infonce import DEFAULT_MEMORY_BUDGET_BYTES, _check_tau, info_nce

__all__ = ["TeamUpInfoNCE", "team_up_gamma", "team_up_info_nce"]


def team_up_gamma(epoch: int, t0: int = 0, gamma_max: float = 1.0, ramp_epochs: float = 100.0) -> float:
    """CSGCL's team-up schedule ``min(max(0, (epoch - t0) / ramp_epochs), gamma_max)``.

    Args:
        epoch: Current epoch (the reference code counts from 1).
        t0: Warm-up epochs before the team-up term starts (CSGCL's ``start_ep``).
        gamma_max: Final value ``>= 0`` (CSGCL's ``beta`` / ``gamma_max``).
        ramp_epochs: Epochs ``> 0`` for ``gamma`` to grow by 1 (100 in the reference code).

    Returns:
        ``gamma`` for this epoch.

    Example:
        >>> [team_up_gamma(e, t0=100, gamma_max=1.0) for e in (50, 150, 300)]
        [0.0, 0.5, 1.0]
    """
    for name, value in (("gamma_max", gamma_max), ("ramp_epochs", ramp_epochs)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
    if gamma_max < 0:
        raise ValueError(f"gamma_max must be >= 0, got {gamma_max!r}")
    if ramp_epochs <= 0:
        raise ValueError(f"ramp_epochs must be > 0, got {ramp_epochs!r}")
    return float(min(max(0.0, (epoch - t0) / ramp_epochs), gamma_max))


def team_up_info_nce(
    z1: Tensor,
    z2: Tensor,
    strength: Tensor,
    gamma: float,
    tau: float,
    *,
    intra_view_negatives: bool = True,
    symmetric: bool = True,
    weights: Tensor | None = None,
    chunk_size: int | Literal["auto"] | None = "auto",
    memory_budget_bytes: int = DEFAULT_MEMORY_BUDGET_BYTES,
) -> Tensor:
    """CSGCL team-up InfoNCE: GRACE InfoNCE on similarities ``s(i, j) + gamma * (S_i + S_j)``.

    Computed as :func:`gcl.losses.infonce.info_nce` with ``key_bias = gamma * strength / tau`` (the anchor's
    own share cancels, see the module docstring). ``gamma = 0`` gives plain GRACE InfoNCE.

    Args:
        z1: View-1 embeddings ``[N, D]`` (CSGCL: the projection head's outputs).
        z2: View-2 embeddings ``[N, D]``.
        strength: Per-node community strength ``[N]``, i.e. ``strength[communities]`` with ``strength``
            from :func:`gcl.augment.community.community_strength`.
        gamma: Team-up coefficient ``>= 0`` (see :func:`team_up_gamma`).
        tau: Temperature ``> 0``.
        intra_view_negatives: Also use same-view negatives (CSGCL: True).
        symmetric: Average both directions (CSGCL: True).
        weights: Optional per-anchor weights ``[N]``.
        chunk_size: See :func:`gcl.losses.infonce.info_nce`.
        memory_budget_bytes: See :func:`gcl.losses.infonce.info_nce`.

    Returns:
        Scalar loss (mean over anchors).
    """
    if (
        isinstance(gamma, bool)
        or not isinstance(gamma, (int, float))
        or not math.isfinite(gamma)
        or gamma < 0
    ):
        raise ValueError(f"gamma must be a finite number >= 0, got {gamma!r}")
    tau = _check_tau(tau)
    if not isinstance(strength, Tensor) or not isinstance(z1, Tensor) or strength.shape != (z1.size(0),):
        shape = tuple(strength.shape) if isinstance(strength, Tensor) else type(strength).__name__
        n = tuple(z1.shape) if isinstance(z1, Tensor) else "?"
        raise ValueError(f"strength must have shape [N] matching z1 {n}, got {shape}")
    key_bias = strength.to(device=z1.device, dtype=z1.dtype) * (gamma / tau)
    return info_nce(
        z1,
        z2,
        tau,
        intra_view_negatives=intra_view_negatives,
        symmetric=symmetric,
        weights=weights,
        key_bias=key_bias,
        chunk_size=chunk_size,
        memory_budget_bytes=memory_budget_bytes,
    )


class TeamUpInfoNCE(nn.Module):
    """CSGCL team-up loss with its schedule: ``forward(z1, z2, strength, epoch)``.

    Args:
        tau: Temperature ``> 0``.
        t0: Warm-up epochs (plain InfoNCE until then).
        gamma_max: Final team-up coefficient ``>= 0``.
        ramp_epochs: Epochs for ``gamma`` to grow by 1 (reference code: 100).
        intra_view_negatives: Also use same-view negatives.
        symmetric: Average both directions.
        chunk_size: See :func:`gcl.losses.infonce.info_nce`.
        memory_budget_bytes: See :func:`gcl.losses.infonce.info_nce`.

    Example:
        >>> import torch
        >>> loss_fn = TeamUpInfoNCE(tau=0.5, t0=10, gamma_max=1.0)
        >>> z = torch.randn(6, 4)
        >>> s = torch.full((6,), 0.2)
        >>> bool(loss_fn(z, z, s, epoch=0) == loss_fn(z, z, torch.zeros(6), epoch=0))  # before t0
        True
    """

    def __init__(
        self,
        tau: float,
        t0: int = 0,
        gamma_max: float = 1.0,
        ramp_epochs: float = 100.0,
        intra_view_negatives: bool = True,
        symmetric: bool = True,
        chunk_size: int | Literal["auto"] | None = "auto",
        memory_budget_bytes: int = DEFAULT_MEMORY_BUDGET_BYTES,
    ) -> None:
        super().__init__()
        self.tau = _check_tau(tau)
        team_up_gamma(t0, t0, gamma_max, ramp_epochs)  # validates gamma_max and ramp_epochs
        self.t0 = t0
        self.gamma_max = float(gamma_max)
        self.ramp_epochs = float(ramp_epochs)
        self.intra_view_negatives = bool(intra_view_negatives)
        self.symmetric = bool(symmetric)
        self.chunk_size = chunk_size
        self.memory_budget_bytes = memory_budget_bytes

    def gamma(self, epoch: int) -> float:
        """The team-up coefficient at ``epoch``."""
        return team_up_gamma(epoch, self.t0, self.gamma_max, self.ramp_epochs)

    def forward(self, z1: Tensor, z2: Tensor, strength: Tensor, epoch: int) -> Tensor:
        """Loss for views ``[N, D]`` and per-node strength ``[N]`` at ``epoch``."""
        return team_up_info_nce(
            z1,
            z2,
            strength,
            self.gamma(epoch),
            self.tau,
            intra_view_negatives=self.intra_view_negatives,
            symmetric=self.symmetric,
            chunk_size=self.chunk_size,
            memory_budget_bytes=self.memory_budget_bytes,
        )
