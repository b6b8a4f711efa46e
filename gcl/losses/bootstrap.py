"""BGRL's bootstrapped latent objective, the EMA target network and its momentum schedule.

Thakoor et al. 2022, "Large-Scale Representation Learning on Graphs via Bootstrapping" (BGRL, ICLR), after
BYOL (Grill et al. 2020, NeurIPS). The online network's prediction ``q`` of one view regresses the target
network's projection ``z`` of the other view; the target is an exponential moving average (EMA) of the online
encoder and receives no gradient.
"""

from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "BootstrapLoss",
    "EMATarget",
    "bootstrap_loss",
    "bootstrap_loss_symmetric",
    "cosine_momentum",
    "update_ema",
]


def _check_pair(name_a: str, a: Tensor, name_b: str, b: Tensor) -> None:
    if not isinstance(a, Tensor) or not isinstance(b, Tensor) or a.dim() != 2 or a.shape != b.shape:
        sa = tuple(a.shape) if isinstance(a, Tensor) else type(a).__name__
        sb = tuple(b.shape) if isinstance(b, Tensor) else type(b).__name__
        raise ValueError(
            f"{name_a} and {name_b} must be 2-D [N, D] tensors of the same shape, got {sa} and {sb}"
        )
    if a.size(0) == 0:
        raise ValueError(f"{name_a} and {name_b} must have at least one row, got {tuple(a.shape)}")


def bootstrap_loss(online_pred: Tensor, target_proj: Tensor) -> Tensor:
    """BGRL/BYOL regression loss ``mean_i (2 - 2 cos(q_i, sg(z_i)))``.

    The loss is ``0`` when every prediction points the same way as its target and ``4`` when they are
    opposite, so it *decreases* as the views agree; it equals ``mean_i ||q_i/|q_i| - z_i/|z_i| ||^2``.
    The target is detached here (stop-gradient), whether or not the caller already did so. Note: PyGCL's
    ``BootstrapLatent`` returns ``mean(cos)`` -- a quantity that *increases* with agreement -- so
    minimizing it as a loss pushes the views apart unless the caller negates it; we return the loss with
    BGRL's sign.

    Args:
        online_pred: Online predictions ``q`` ``[N, D]``.
        target_proj: Target projections ``z`` ``[N, D]`` (no gradient flows into them).

    Returns:
        Scalar loss in ``[0, 4]`` (mean over nodes).

    Example:
        >>> q = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
        >>> bootstrap_loss(q, q).item()
        0.0
        >>> bootstrap_loss(q, -q).item()
        4.0
    """
    _check_pair("online_pred", online_pred, "target_proj", target_proj)
    cos = F.cosine_similarity(online_pred, target_proj.detach(), dim=-1)
    return (2.0 - 2.0 * cos).mean()


def bootstrap_loss_symmetric(q1: Tensor, z2: Tensor, q2: Tensor, z1: Tensor) -> Tensor:
    """Symmetrized BGRL loss ``0.5 * (bootstrap_loss(q1, z2) + bootstrap_loss(q2, z1))``.

    Equals the BGRL reference implementation's ``2 - mean cos(q1, z2) - mean cos(q2, z1)``.

    Args:
        q1: Online prediction of view 1 ``[N, D]``.
        z2: Target projection of view 2 ``[N, D]``.
        q2: Online prediction of view 2 ``[N, D]``.
        z1: Target projection of view 1 ``[N, D]``.

    Returns:
        Scalar loss in ``[0, 4]``.
    """
    return 0.5 * (bootstrap_loss(q1, z2) + bootstrap_loss(q2, z1))


def _check_momentum(momentum: float) -> float:
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0.0 <= momentum <= 1.0:
        raise ValueError(f"momentum must be a number in [0, 1], got {momentum!r}")
    return float(momentum)


@torch.no_grad()
def update_ema(target: nn.Module, online: nn.Module, momentum: float, include_buffers: bool = False) -> None:
    """In-place EMA ``target <- momentum * target + (1 - momentum) * online`` over parameters.

    Args:
        target: Target network (same architecture as ``online``), updated in place.
        online: Online network.
        momentum: EMA decay in ``[0, 1]``; ``1`` keeps the target, ``0`` copies the online network.
        include_buffers: Also average floating-point buffers (e.g. BatchNorm running statistics) and copy
            the other buffers; by default buffers are left alone, as in BGRL and BYOL.

    Raises:
        ValueError: If ``momentum`` is outside ``[0, 1]`` or the two networks' parameters do not match.

    Example:
        >>> online, target = nn.Linear(2, 1), nn.Linear(2, 1)
        >>> update_ema(target, online, momentum=0.0)
        >>> bool(torch.equal(target.weight, online.weight))
        True
    """
    momentum = _check_momentum(momentum)
    t_params, o_params = list(target.parameters()), list(online.parameters())
    if len(t_params) != len(o_params) or any(a.shape != b.shape for a, b in zip(t_params, o_params)):
        raise ValueError("target and online must have parameters of the same number and shapes")
    if t_params:
        torch._foreach_mul_(t_params, momentum)
        torch._foreach_add_(t_params, o_params, alpha=1.0 - momentum)
    if include_buffers:
        t_bufs, o_bufs = list(target.buffers()), list(online.buffers())
        if len(t_bufs) != len(o_bufs) or any(a.shape != b.shape for a, b in zip(t_bufs, o_bufs)):
            raise ValueError("target and online must have buffers of the same number and shapes")
        for tb, ob in zip(t_bufs, o_bufs):
            if tb.is_floating_point():
                tb.mul_(momentum).add_(ob, alpha=1.0 - momentum)
            else:
                tb.copy_(ob)


def cosine_momentum(step: int, total_steps: int, base: float = 0.99) -> float:
    """BGRL/BYOL cosine momentum schedule ``1 - (1 - base) * (cos(pi * step / total_steps) + 1) / 2``.

    Starts at ``base`` for ``step = 0`` and rises to ``1`` at ``step = total_steps``.

    Args:
        step: Current step ``k`` in ``[0, total_steps]``.
        total_steps: Number of steps ``K > 0``.
        base: Initial momentum in ``[0, 1]`` (BGRL: 0.99).

    Returns:
        The momentum for this step.

    Example:
        >>> cosine_momentum(0, 100), cosine_momentum(100, 100)
        (0.99, 1.0)
    """
    if isinstance(total_steps, bool) or not isinstance(total_steps, int) or total_steps < 1:
        raise ValueError(f"total_steps must be an int >= 1, got {total_steps!r}")
    if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= total_steps:
        raise ValueError(f"step must be an int in [0, total_steps={total_steps}], got {step!r}")
    base = _check_momentum(base)
    return 1.0 - (1.0 - base) * (math.cos(math.pi * step / total_steps) + 1.0) / 2.0


class EMATarget(nn.Module):
    """A frozen copy of an online network, updated as its exponential moving average.

    The copy is made at construction (so it starts equal to ``online``), has ``requires_grad=False`` on all
    parameters, and its :meth:`forward` runs under :func:`torch.no_grad`.

    Args:
        online: The online network to track (copied with :func:`copy.deepcopy`).
        include_buffers: Passed to :func:`update_ema`.

    Example:
        >>> online = nn.Linear(2, 2)
        >>> target = EMATarget(online)
        >>> target.update(online, momentum=0.99)
        >>> target(torch.zeros(1, 2)).requires_grad
        False
    """

    def __init__(self, online: nn.Module, include_buffers: bool = False) -> None:
        super().__init__()
        if not isinstance(online, nn.Module):
            raise ValueError(f"online must be an nn.Module, got {type(online).__name__}")
        self.module = copy.deepcopy(online)
        self.module.requires_grad_(False)
        self.include_buffers = include_buffers

    def update(self, online: nn.Module, momentum: float) -> None:
        """EMA step towards ``online`` with the given ``momentum``."""
        update_ema(self.module, online, momentum, include_buffers=self.include_buffers)

    def forward(self, *args: object, **kwargs: object) -> object:
        """Run the target network without building a graph."""
        with torch.no_grad():
            return self.module(*args, **kwargs)


class BootstrapLoss(nn.Module):
    """Module form of :func:`bootstrap_loss` (``symmetric=False``) or :func:`bootstrap_loss_symmetric`.

    Args:
        symmetric: If True, ``forward(q1, z2, q2, z1)``; else ``forward(q, z)``.
    """

    def __init__(self, symmetric: bool = True) -> None:
        super().__init__()
        self.symmetric = bool(symmetric)

    def forward(self, *tensors: Tensor) -> Tensor:
        """``(q1, z2, q2, z1)`` if symmetric else ``(q, z)``; see the functional forms."""
        expected = 4 if self.symmetric else 2
        if len(tensors) != expected:
            raise ValueError(
                f"BootstrapLoss(symmetric={self.symmetric}) takes {expected} tensors, got {len(tensors)}"
            )
        if self.symmetric:
            return bootstrap_loss_symmetric(*tensors)
        return bootstrap_loss(*tensors)
