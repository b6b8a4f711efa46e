"""Embedding-space augmentation of SimGCL / XSimGCL.

SimGCL (Yu et al. 2022, SIGIR, "Are Graph Augmentations Necessary? Simple Graph Contrastive Learning
for Recommendation") skips graph augmentation and perturbs every layer's embeddings with a random
vector of fixed length ``eps`` lying in the same hyperoctant as the embedding; XSimGCL (Yu et al.
2023, TKDE) reuses the same noise.
"""

from __future__ import annotations

import torch
from torch import Tensor

from gcl.augment._validate import check_generator, check_nonnegative
from gcl.augment.uniform_draws import uniform_draws

__all__ = ["uniform_noise"]


def uniform_noise(
    emb: Tensor,
    eps: float,
    *,
    training: bool = True,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Add SimGCL's noise ``eps * normalize(U(0, 1)) * sign(emb)`` to every row of ``emb``.

    Each row gets a uniform random direction from the positive orthant, L2-normalized to length
    ``eps`` and flipped into the hyperoctant of that row (``sign(emb)``; coordinates where
    ``emb == 0`` get no noise, so such rows move by less than ``eps``). Matches RecBole-GNN's / SELFRec's
    ``torch.sign(emb) * F.normalize(torch.rand_like(emb), dim=-1) * eps``. Gradients flow to ``emb``.

    Args:
        emb: Embeddings ``[..., d]`` (floating point).
        eps: Noise magnitude (finite, ``>= 0``); SimGCL uses 0.1 on Yelp2018.
        training: If ``False``, return ``emb`` unchanged and zero noise.
        generator: Optional random generator; the global RNG when ``None``.

    Returns:
        ``(emb + noise, noise)``, both shaped like ``emb``.

    Raises:
        ValueError: If ``eps`` is negative or not finite, or ``emb`` is not floating point. (``emb`` is
            not scanned for NaN: this runs in every layer of every batch, and the scan would sync.)

    Example:
        >>> emb = torch.tensor([[1.0, -2.0, 3.0]])
        >>> _, noise = uniform_noise(emb, 0.1, generator=torch.Generator().manual_seed(0))
        >>> round(float(noise.norm()), 6), bool((noise.sign() == emb.sign()).all())
        (0.1, True)
    """
    eps = check_nonnegative(eps, "eps")
    if not isinstance(emb, Tensor) or not emb.is_floating_point() or emb.dim() == 0:
        raise ValueError("'emb' must be a floating-point tensor of shape [..., d]")
    check_generator(generator)
    if not training or eps == 0.0:
        return emb, torch.zeros_like(emb)
    noise = uniform_draws(tuple(emb.shape), generator, emb.device, emb.dtype)  # PCG64 chunks on CPU
    # eps * normalize(r) * sign(emb), in place in the draws: two passes over [..., d] instead of five
    noise.mul_(noise.norm(dim=-1, keepdim=True).clamp_min_(1e-12).reciprocal_().mul_(eps))
    noise.mul_(torch.sign(emb.detach()))
    return emb + noise, noise
