"""Seeding for reproducible runs."""

from __future__ import annotations

import random

import numpy as np
import torch


def seed_everything(seed: int, *, deterministic: bool = False) -> torch.Generator:
    """Seed Python, NumPy and torch (all devices) and return a fresh generator seeded the same.

    Args:
        seed: The seed.
        deterministic: Also ask torch for deterministic kernels (slower on GPU; on the CPU
            our operations are deterministic already).

    Returns:
        A ``torch.Generator`` seeded with ``seed``, for code that takes an explicit generator.
    """
    random.seed(seed)
    np.random.seed(seed % (2**32))  # noqa: NPY002 -- seeds legacy global-RNG users too
    torch.manual_seed(seed)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
    return torch.Generator().manual_seed(seed)


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``"auto"``/``None`` -> CUDA when available else CPU; anything else as given (validated)."""
    if device is None or str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {str(device)!r} was requested but CUDA is not available on this machine")
    return resolved
