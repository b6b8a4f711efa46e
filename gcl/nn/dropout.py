"""Inverted dropout with a uniform-draw mask: the same distribution as ``torch.nn.Dropout``, faster on CPU.

Srivastava et al. 2014, "Dropout: A Simple Way to Prevent Neural Networks from Overfitting" (JMLR). Each
element is zeroed with probability ``p`` and the survivors are scaled by ``1 / (1 - p)``.

``torch.nn.functional.dropout`` draws its mask with ``bernoulli_``, which on CPU costs about three times
``rand_like`` plus a comparison; this module draws ``U(0, 1)`` and keeps ``u >= p``. The mask is saved for
backward as one byte per element (the built-in saves a float mask). Sequential recommenders apply dropout
five to seven times per block on ``[B, L, D]`` and ``[B, H, L, L]`` tensors, where the draw dominated the
CPU profile (``experiments/bench/bench_seq_speed.py``). Random streams differ from the built-in's, so seeded
runs do not reproduce ``nn.Dropout`` bit for bit; the distribution is the same.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

__all__ = ["Dropout", "dropout"]


class _MaskedScale(torch.autograd.Function):
    """``x * keep * scale`` with a boolean ``keep`` saved for backward."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, keep: Tensor, scale: float) -> Tensor:
        ctx.save_for_backward(keep)
        ctx.scale = scale
        return x.mul(keep).mul_(scale)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None, None]:
        (keep,) = ctx.saved_tensors
        return grad.mul(keep).mul_(ctx.scale), None, None


def _check_rate(p: float) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise ValueError(f"p: expected a dropout probability in [0, 1], got {p!r}")
    return float(p)


def dropout(
    x: Tensor, p: float = 0.5, training: bool = True, generator: torch.Generator | None = None
) -> Tensor:
    """Inverted dropout of ``x`` (any shape): zero each element with probability ``p``, scale by ``1/(1-p)``.

    Args:
        x: Input tensor.
        p: Drop probability in ``[0, 1]``.
        training: Identity when ``False`` (and when ``p == 0``).
        generator: Optional ``torch.Generator`` for the mask (default: the global one).

    Returns:
        A tensor shaped like ``x``.

    Example:
        >>> _ = torch.manual_seed(0)
        >>> y = dropout(torch.ones(1000), p=0.25)
        >>> sorted(set(y.tolist())), abs((y == 0).float().mean().item() - 0.25) < 0.05
        ([0.0, 1.3333333730697632], True)
    """
    p = _check_rate(p)
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    keep = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype) >= p
    return _MaskedScale.apply(x, keep, 1.0 / (1.0 - p))


class Dropout(nn.Module):
    """Drop-in replacement for ``torch.nn.Dropout`` built on :func:`dropout`.

    Args:
        p: Drop probability in ``[0, 1]``.
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = _check_rate(p)

    def forward(self, x: Tensor) -> Tensor:
        """Dropout in training mode, identity in eval mode."""
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:  # noqa: D102
        return f"p={self.p}"
