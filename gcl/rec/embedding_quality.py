"""Alignment and uniformity of recommendation embeddings (Wang & Isola 2020; DirectAU, Wang et al. 2022).

SimGCL's claim (Yu et al. 2022, SIGIR) is that contrastive learning helps recommendation mostly by making
the embedding distribution more uniform; these numbers let a run check it. Both use L2-normalized rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from gcl.losses import alignment, uniformity

__all__ = ["embedding_quality"]


@torch.no_grad()
def embedding_quality(user_emb: Tensor, item_emb: Tensor, pairs: Any) -> dict[str, float]:
    """Alignment of held-out (user, item) pairs and uniformity of the user and item tables.

    Args:
        user_emb: ``[U, D]`` final user embeddings.
        item_emb: ``[I, D]`` final item embeddings.
        pairs: Users x items CSR (scipy) of the positive pairs to align, e.g. the test interactions.

    Returns:
        ``alignment`` -- mean squared distance of the normalized pairs (lower: positives closer);
        ``uniformity_user`` / ``uniformity_item`` -- ``log mean exp(-2 d^2)`` over all pairs of users /
        items with at least one interaction in ``pairs`` or not (lower: more uniform), exact (tiled).

    Example:
        >>> import scipy.sparse as sp
        >>> users, items = torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([[1.0, 0.0], [-1.0, 0.0]])
        >>> q = embedding_quality(users, items, sp.csr_matrix(([1, 1], ([0, 1], [0, 0])), shape=(2, 2)))
        >>> round(q["alignment"], 4), round(q["uniformity_item"], 4)  # (0 + 2) / 2; antipodal: -2 * 4
        (1.0, -8.0)
    """
    coo = pairs.tocoo()
    rows = torch.as_tensor(coo.row.astype(np.int64), device=user_emb.device)  # a writable copy
    cols = torch.as_tensor(coo.col.astype(np.int64), device=item_emb.device)
    out = {"alignment": float(alignment(user_emb[rows], item_emb[cols])) if rows.numel() else float("nan")}
    out["uniformity_user"] = float(uniformity(user_emb)) if user_emb.size(0) > 1 else float("nan")
    out["uniformity_item"] = float(uniformity(item_emb)) if item_emb.size(0) > 1 else float("nan")
    return out
