"""The Adam optimizer of the recommendation trainers, in torch's fused form where the device has one.

The node-classification trainer keeps the unfused form: its models are small, and its published results
(``experiments/results/grace_*.json``) stay reproducible to the last digit.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

__all__ = ["adam", "load_optimizer_state"]

_FUSED_DEVICES = ("cpu", "cuda")


def adam(parameters: Iterable[torch.nn.Parameter], lr: float, weight_decay: float = 0.0) -> torch.optim.Adam:
    """``torch.optim.Adam`` (Kingma & Ba, ICLR 2015), fused when all parameters sit on a CPU or CUDA device.

    The fused kernel updates ``exp_avg``, ``exp_avg_sq`` and the parameter in one pass instead of about eight
    elementwise passes of the ``foreach`` form: on the 70,839 x 64 Gowalla embedding table, one step takes
    15 ms instead of 56 ms on 2 CPU threads. The update rule is the same (values agree to float rounding)
    and the state dict is interchangeable with the unfused optimizer's.

    Args:
        parameters: The parameters to optimize.
        lr: Learning rate.
        weight_decay: L2 penalty added to the gradient (Adam's, not AdamW's).
    """
    params = list(parameters)
    fused = bool(params) and all(p.device.type in _FUSED_DEVICES and p.is_floating_point() for p in params)
    return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, fused=fused or None)


def load_optimizer_state(optimizer: torch.optim.Optimizer, state: dict) -> None:
    """Resume ``optimizer`` from ``state`` but keep its own kernel choice (``fused`` / ``foreach``).

    ``Optimizer.load_state_dict`` also restores the saved groups' options, so a checkpoint written by an
    unfused Adam would switch a fused one back; the moments and step counts are the same either way.
    """
    kernels = [{k: g.get(k) for k in ("fused", "foreach")} for g in optimizer.param_groups]
    optimizer.load_state_dict(state)
    for group, kernel in zip(optimizer.param_groups, kernels):
        group.update(kernel)
