"""Barlow Twins redundancy-reduction objective.

Zbontar et al. 2021, "Barlow Twins: Self-Supervised Learning via Redundancy Reduction" (ICML); for graphs,
Bielak et al. 2022, "Graph Barlow Twins" (G-BT, Knowledge-Based Systems), which sets ``lambda = 1 / D``.
"""

from __future__ import annotations

import math

from torch import Tensor, nn

__all__ = ["BarlowTwinsLoss", "barlow_twins_loss", "cross_correlation"]


def _check_views(z1: Tensor, z2: Tensor) -> None:
    if not isinstance(z1, Tensor) or not isinstance(z2, Tensor) or z1.dim() != 2 or z1.shape != z2.shape:
        s1 = tuple(z1.shape) if isinstance(z1, Tensor) else type(z1).__name__
        s2 = tuple(z2.shape) if isinstance(z2, Tensor) else type(z2).__name__
        raise ValueError(f"z1 and z2 must be 2-D [N, D] tensors of the same shape, got z1 {s1} and z2 {s2}")
    if z1.size(0) < 2:
        raise ValueError(f"need at least 2 rows to standardize over the batch, got z1 {tuple(z1.shape)}")


def cross_correlation(z1: Tensor, z2: Tensor, eps: float = 1e-15, unbiased: bool = False) -> Tensor:
    """Cross-correlation matrix ``C = z1n^T z2n / N`` of the batch-standardized views.

    Each dimension is standardized over the batch: ``(z - mean) / (std + eps)``.

    Args:
        z1: View-1 embeddings ``[N, D]``.
        z2: View-2 embeddings ``[N, D]``.
        eps: Added to the standard deviation (G-BT: 1e-15).
        unbiased: Use the unbiased (``N - 1``) standard deviation as the G-BT reference code does; then
            ``C_ii = (N - 1) / N`` for identical views. Default False (population std, as Barlow Twins'
            ``BatchNorm1d(affine=False)``), so ``C`` is exactly the Pearson correlation and ``C_ii = 1``
            for identical views.

    Returns:
        ``C`` of shape ``[D, D]``.
    """
    _check_views(z1, z2)
    n = z1.size(0)
    z1n = (z1 - z1.mean(dim=0)) / (z1.std(dim=0, unbiased=unbiased) + eps)
    z2n = (z2 - z2.mean(dim=0)) / (z2.std(dim=0, unbiased=unbiased) + eps)
    return z1n.t() @ z2n / n


def barlow_twins_loss(
    z1: Tensor,
    z2: Tensor,
    lambda_: float | None = None,
    eps: float = 1e-15,
    unbiased: bool = False,
) -> Tensor:
    """Barlow Twins loss ``sum_i (1 - C_ii)^2 + lambda * sum_{i != j} C_ij^2``.

    As in both papers the loss is a sum over the ``D x D`` entries of ``C`` (there are no per-anchor
    terms; ``C`` is itself an average over the batch).

    Args:
        z1: View-1 embeddings ``[N, D]``, ``N >= 2``.
        z2: View-2 embeddings ``[N, D]``.
        lambda_: Off-diagonal weight ``>= 0``; ``None`` means ``1 / D`` (G-BT).
        eps: Added to the per-dimension standard deviation.
        unbiased: See :func:`cross_correlation`; True reproduces the G-BT reference code exactly.

    Returns:
        Scalar loss; ``0`` iff ``C`` is the identity.

    Example:
        >>> import torch
        >>> z = torch.tensor([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])  # C = I
        >>> barlow_twins_loss(z, z).item()
        0.0
    """
    d = z1.size(1) if isinstance(z1, Tensor) and z1.dim() == 2 else 1
    lam = 1.0 / d if lambda_ is None else _check_lambda(lambda_)
    c = cross_correlation(z1, z2, eps=eps, unbiased=unbiased)
    on_diag = (1.0 - c.diagonal()).pow(2).sum()
    off_diag = c.pow(2).sum() - c.diagonal().pow(2).sum()
    return on_diag + lam * off_diag


def _check_lambda(lambda_: float) -> float:
    if isinstance(lambda_, bool) or not isinstance(lambda_, (int, float)) or not math.isfinite(lambda_):
        raise ValueError(f"lambda_ must be a finite number >= 0 or None, got {lambda_!r}")
    if lambda_ < 0:
        raise ValueError(f"lambda_ must be a finite number >= 0 or None, got {lambda_!r}")
    return float(lambda_)


class BarlowTwinsLoss(nn.Module):
    """Module form of :func:`barlow_twins_loss` with validation at construction.

    Args:
        lambda_: Off-diagonal weight ``>= 0``; ``None`` means ``1 / D`` (G-BT).
        eps: Added to the per-dimension standard deviation.
        unbiased: Unbiased standard deviation (G-BT reference code).
    """

    def __init__(self, lambda_: float | None = None, eps: float = 1e-15, unbiased: bool = False) -> None:
        super().__init__()
        self.lambda_ = None if lambda_ is None else _check_lambda(lambda_)
        if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps >= 0:
            raise ValueError(f"eps must be a number >= 0, got {eps!r}")
        self.eps = float(eps)
        self.unbiased = bool(unbiased)

    def forward(self, z1: Tensor, z2: Tensor) -> Tensor:
        """Loss for views ``z1, z2`` ``[N, D]``."""
        return barlow_twins_loss(z1, z2, self.lambda_, self.eps, self.unbiased)
