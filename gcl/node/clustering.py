"""k-means and clustering metrics (NMI, ARI) for evaluating node embeddings.

:func:`kmeans` is a generic, device-following torch implementation (greedy k-means++ seeding of Arthur &
Vassilvitskii 2007, "k-means++: The Advantages of Careful Seeding", SODA; Lloyd iterations; ``n_init``
restarts run as one batch), reusable wherever prototypes are needed (e.g. NCL's semantic prototypes, Lin et
al. 2022, WWW). :func:`nmi` and :func:`ari` follow scikit-learn's definitions exactly (arithmetic-mean
normalized mutual information of Strehl & Ghosh 2002, JMLR; adjusted Rand index of Hubert & Arabie 1985,
Journal of Classification) and are computed from the sparse contingency table.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from gcl.node.probe import Preprocess, preprocess_features

__all__ = ["ari", "evaluate_clustering", "kmeans", "nmi"]

# Upper bound on the elements of one batched distance block [n_init, rows, k]; larger inputs are processed
# in row chunks so memory stays bounded (NCL clusters ~1e5 users into ~1e3 prototypes).
_MAX_BLOCK = 1 << 24


def _sq_dists(x: Tensor, x_sq: Tensor, centers: Tensor) -> Tensor:
    """Squared Euclidean distances ``[B, n, k]`` between ``x`` ``[n, D]`` and ``centers`` ``[B, k, D]``.

    Uses ``|x|^2 - 2 x.c + |c|^2`` (the matrix-product path of ``torch.cdist``) without copying ``x`` per
    restart; ``x_sq`` ``[n]`` holds the squared norms of ``x``. Clamped at 0 against round-off.
    """
    cross = torch.matmul(x, centers.transpose(1, 2))  # [B, n, k]
    c_sq = centers.square().sum(dim=2).unsqueeze(1)  # [B, 1, k]
    return (x_sq.view(1, -1, 1) - 2 * cross + c_sq).clamp_min_(0)


def _assign(x: Tensor, x_sq: Tensor, centers: Tensor) -> tuple[Tensor, Tensor]:
    """Nearest center ``[B, n]`` and its squared distance ``[B, n]`` (row-chunked to bound memory)."""
    batch, k = centers.shape[0], centers.shape[1]
    chunk = max(1, _MAX_BLOCK // max(1, batch * k))
    labels, dists = [], []
    for start in range(0, x.shape[0], chunk):  # chunks of rows, not single rows
        d, idx = _sq_dists(x[start : start + chunk], x_sq[start : start + chunk], centers).min(dim=2)
        labels.append(idx)
        dists.append(d)
    return torch.cat(labels, dim=1), torch.cat(dists, dim=1)


def _kmeans_plus_plus(x: Tensor, x_sq: Tensor, k: int, n_init: int, generator: torch.Generator) -> Tensor:
    """Greedy k-means++ seeding for ``n_init`` restarts at once; returns centers ``[n_init, k, D]``.

    As scikit-learn: the first center is uniform, each next one is the best (lowest potential) of
    ``2 + floor(ln k)`` candidates sampled with probability proportional to the squared distance to the
    nearest chosen center.
    """
    n, dim = x.shape
    trials = 2 + int(math.log(k))
    batch = torch.arange(n_init, device=x.device)
    centers = torch.empty(n_init, k, dim, dtype=x.dtype, device=x.device)
    first = torch.randint(n, (n_init,), generator=generator, device=x.device)
    centers[:, 0] = x[first]
    closest = _sq_dists(x, x_sq, centers[:, :1]).squeeze(2)  # [B, n]
    for c in range(1, k):
        weights = closest.clamp_min(0)
        # All points already coincide with a center (duplicates): fall back to uniform sampling.
        weights = torch.where(weights.sum(dim=1, keepdim=True) > 0, weights, torch.ones_like(weights))
        candidates = torch.multinomial(weights, trials, replacement=True, generator=generator)  # [B, T]
        cand_d = _sq_dists(x, x_sq, x[candidates]).transpose(1, 2)  # [B, T, n]
        potential = torch.minimum(closest.unsqueeze(1), cand_d)  # [B, T, n]
        best = potential.sum(dim=2).argmin(dim=1)  # [B]
        centers[:, c] = x[candidates[batch, best]]
        closest = potential[batch, best]
    return centers


def kmeans(
    x: Tensor,
    k: int,
    *,
    n_init: int = 10,
    max_iter: int = 300,
    tol: float = 1e-4,
    seed: int = 0,
) -> tuple[Tensor, Tensor, float]:
    """k-means (Lloyd) with greedy k-means++ seeding and ``n_init`` batched restarts, on ``x``'s device.

    All restarts run together as a batch; each stops when no label changes or its centers move by at most
    ``tol * mean(var(x, dim=0))`` in total squared distance (scikit-learn's relative tolerance). The restart
    with the lowest inertia wins (the first on ties); its labels are the nearest final centers. An empty
    cluster is re-seeded with the point farthest from its center. Randomness comes only from a
    ``torch.Generator`` on ``x``'s device seeded with ``seed``, so a call is reproducible on a given device
    (CPU and CUDA generators draw different streams).

    Args:
        x: Points ``[N, D]`` (floating point; integer input is cast to float32).
        k: Number of clusters, ``1 <= k <= N``.
        n_init: Number of restarts.
        max_iter: Maximum Lloyd iterations per restart.
        tol: Relative center-shift tolerance.
        seed: Seed of the k-means++ sampling.

    Returns:
        ``(labels, centroids, inertia)``: cluster index ``[N]`` (long), centers ``[k, D]`` (``x``'s dtype)
        and the sum of squared distances of points to their centers (float).

    Raises:
        ValueError: For a non-2-D or non-finite ``x`` or out-of-range arguments.

    Example:
        >>> x = torch.tensor([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
        >>> labels, centroids, inertia = kmeans(x, 2, seed=0)
        >>> bool(labels[0] == labels[1]) and bool(labels[2] == labels[3]) and bool(labels[0] != labels[2])
        True
    """
    if not isinstance(x, Tensor) or x.dim() != 2:
        raise ValueError(f"x must be a 2-D tensor [N, D], got {getattr(x, 'shape', type(x))}")
    if x.is_complex() or x.dtype == torch.bool:
        raise ValueError(f"x must hold real numbers, got dtype {x.dtype}")
    if not x.is_floating_point():
        x = x.float()
    n = x.shape[0]
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= n:
        raise ValueError(f"k must be an int in [1, N={n}], got {k!r}")
    for name, value in (("n_init", n_init), ("max_iter", max_iter)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if not (isinstance(tol, (int, float)) and tol >= 0):
        raise ValueError(f"tol must be a number >= 0, got {tol!r}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError("x contains NaN/inf values; k-means needs finite points")
    x = x.detach()

    with torch.no_grad():
        generator = torch.Generator(device=x.device).manual_seed(int(seed))
        shift_tol = float(x.var(dim=0, correction=0).mean()) * tol if n > 1 else 0.0
        x_sq = x.square().sum(dim=1)
        centers = _kmeans_plus_plus(x, x_sq, k, n_init, generator)  # [B, k, D]
        batch = torch.arange(n_init, device=x.device)
        active = torch.ones(n_init, dtype=torch.bool, device=x.device)
        labels, dists = _assign(x, x_sq, centers)
        x_rep = x.repeat(n_init, 1)  # [B * n, D], row b * n + i is point i of restart b
        ones_rep = torch.ones(n_init * n, dtype=x.dtype, device=x.device)
        for _ in range(max_iter):
            # M-step for every restart at once: flat index restart * k + cluster.
            flat = (labels + batch.unsqueeze(1) * k).flatten()
            sums = torch.zeros(n_init * k, x.shape[1], dtype=x.dtype, device=x.device)
            sums.index_add_(0, flat, x_rep)
            counts = torch.zeros(n_init * k, dtype=x.dtype, device=x.device).index_add_(0, flat, ones_rep)
            new = (sums / counts.clamp_min(1).unsqueeze(1)).view(n_init, k, -1)
            empty = (counts == 0).view(n_init, k)
            if bool(empty.any()):
                new = _reseed_empty(x, new, empty, dists)
            new = torch.where(active.view(-1, 1, 1), new, centers)
            shift = (new - centers).square().sum(dim=(1, 2))
            centers = new
            new_labels, dists = _assign(x, x_sq, centers)
            unchanged = (new_labels == labels).all(dim=1)
            labels = new_labels
            active &= ~(unchanged | (shift <= shift_tol))
            if not bool(active.any()):
                break
        # Exact inertia per restart (a loop over restarts, not points) decides the winner.
        inertia = torch.stack([(x - centers[b, labels[b]]).square().sum() for b in range(n_init)])
        best = int(inertia.argmin())
        return labels[best], centers[best], float(inertia[best])


def _reseed_empty(x: Tensor, centers: Tensor, empty: Tensor, dists: Tensor) -> Tensor:
    """Move each empty cluster's center onto a distinct point far from its current center (sklearn-style)."""
    centers = centers.clone()
    for b in empty.any(dim=1).nonzero().flatten().tolist():  # loop over restarts with empty clusters only
        idx = empty[b].nonzero().flatten()
        far = dists[b].argsort(descending=True, stable=True)[: idx.numel()]
        centers[b, idx] = x[far]
    return centers


def _as_labels(labels: Any, name: str) -> np.ndarray:
    if isinstance(labels, Tensor):
        labels = labels.detach().cpu().numpy()
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    return arr


def _contingency(labels_true: Any, labels_pred: Any) -> tuple[np.ndarray, ...]:
    """Sparse contingency table.

    Returns the row index, column index and count of every non-zero cell, the row sums and the column sums.
    """
    a = _as_labels(labels_true, "labels_true")
    b = _as_labels(labels_pred, "labels_pred")
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"labels_true has {a.shape[0]} entries but labels_pred has {b.shape[0]}")
    _, ia = np.unique(a, return_inverse=True)
    cols, ib = np.unique(b, return_inverse=True)
    codes, cells = np.unique(ia.astype(np.int64) * len(cols) + ib, return_counts=True)
    return codes // len(cols), codes % len(cols), cells, np.bincount(ia), np.bincount(ib)


def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def nmi(labels_true: Any, labels_pred: Any) -> float:
    """Normalized mutual information with arithmetic-mean normalization (sklearn's default).

    ``NMI = I(U; V) / ((H(U) + H(V)) / 2)`` with natural logarithms. As in
    ``sklearn.metrics.normalized_mutual_info_score``: 1.0 when both labelings have a single cluster (or are
    empty), 0.0 when the mutual information is 0 (e.g. exactly one labeling has a single cluster). Invariant
    to permutations of label values.

    Args:
        labels_true: Reference classes ``[N]`` (tensor, array or sequence of hashable values).
        labels_pred: Predicted clusters ``[N]``.

    Returns:
        NMI in ``[0, 1]``.

    Example:
        >>> nmi([0, 0, 1, 1], [1, 1, 0, 0])
        1.0
    """
    r, c, cells, rows, cols = _contingency(labels_true, labels_pred)
    if len(rows) == len(cols) <= 1:
        return 1.0
    if len(rows) == 1 or len(cols) == 1:
        return 0.0
    n = int(cells.sum())
    p = cells / n
    # I(U;V) = sum_ij p_ij * log(p_ij / (p_i p_j)); terms below machine epsilon are zeroed as in sklearn.
    terms = p * (np.log(cells) - math.log(n)) + p * (math.log(n) + math.log(n) - np.log(rows[r] * cols[c]))
    mi = float(np.clip(np.where(np.abs(terms) < np.finfo(np.float64).eps, 0.0, terms).sum(), 0.0, None))
    if mi == 0.0:
        return 0.0
    return mi / ((_entropy(rows) + _entropy(cols)) / 2)


def ari(labels_true: Any, labels_pred: Any) -> float:
    """Adjusted Rand index (Hubert & Arabie 1985), equal to ``sklearn.metrics.adjusted_rand_score``.

    Computed from the pair confusion matrix of the contingency table with Python integers (exact, no
    overflow). 1.0 for identical partitions (up to relabeling), about 0 for independent ones, can be
    negative.

    Args:
        labels_true: Reference classes ``[N]``.
        labels_pred: Predicted clusters ``[N]``.

    Returns:
        ARI in ``[-0.5, 1]``.

    Example:
        >>> ari([0, 0, 1, 1], [0, 0, 1, 2])
        0.5714285714285714
    """
    _, _, cells, rows, cols = _contingency(labels_true, labels_pred)
    n = int(cells.sum())
    sum_squares = int((cells.astype(object) ** 2).sum()) if len(cells) else 0
    row_sq = int((rows.astype(object) ** 2).sum()) if len(rows) else 0
    col_sq = int((cols.astype(object) ** 2).sum()) if len(cols) else 0
    tp = sum_squares - n  # ordered pairs together in both
    fp = col_sq - sum_squares  # together in pred only
    fn = row_sq - sum_squares  # together in true only
    tn = n * n - tp - fp - fn - n
    if fn == 0 and fp == 0:
        return 1.0
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))


def evaluate_clustering(
    embeddings: Tensor,
    y: Tensor,
    seeds: Iterable[int] = range(10),
    *,
    preprocess: Preprocess = "none",
    n_init: int = 10,
    max_iter: int = 300,
) -> dict[str, Any]:
    """k-means clustering quality of frozen embeddings against node classes, over seeds.

    For every seed, :func:`kmeans` with ``k`` = number of distinct classes in ``y`` clusters the
    (optionally preprocessed) embeddings; NMI and ARI against ``y`` are averaged over seeds, with the
    population standard deviation (``ddof=0``, as :func:`gcl.node.probe.evaluate_embeddings`).

    Args:
        embeddings: Node embeddings ``[N, D]``.
        y: Node classes ``[N]``.
        seeds: k-means seeds (default ``range(10)``).
        preprocess: ``"none"`` (default), ``"l2"`` or ``"standardize"`` applied before k-means.
        n_init: k-means restarts per seed.
        max_iter: Lloyd iterations cap.

    Returns:
        ``{"nmi_mean", "nmi_std", "ari_mean", "ari_std", "nmi": [per seed], "ari": [per seed], "seeds",
        "protocol"}``.

    Raises:
        ValueError: For mismatched sizes, NaN/inf embeddings or no seeds.
    """
    if not isinstance(embeddings, Tensor) or embeddings.dim() != 2:
        raise ValueError(f"embeddings must be a 2-D tensor [N, D], got {getattr(embeddings, 'shape', None)}")
    if not isinstance(y, Tensor) or y.dim() != 1 or y.shape[0] != embeddings.shape[0]:
        raise ValueError(
            f"y must be a 1-D tensor with one class per embedding row ({embeddings.shape[0]}), "
            f"got shape {tuple(getattr(y, 'shape', ()))}"
        )
    if not bool(torch.isfinite(embeddings).all()):
        raise ValueError("embeddings contain NaN/inf values")
    seeds_t: Sequence[int] = tuple(int(s) for s in seeds)
    if not seeds_t:
        raise ValueError("seeds must not be empty")
    dtype = embeddings.dtype if embeddings.is_floating_point() else torch.float32
    x = preprocess_features(embeddings, preprocess).to(dtype)
    k = int(torch.unique(y).numel())
    y_np = y.detach().cpu().numpy()
    nmis, aris = [], []
    for seed in seeds_t:
        labels, _, _ = kmeans(x, k, n_init=n_init, max_iter=max_iter, seed=seed)
        pred = labels.cpu().numpy()
        nmis.append(nmi(y_np, pred))
        aris.append(ari(y_np, pred))
    prep = {"l2": "L2-normalized", "standardize": "standardized", "none": "raw"}[preprocess]
    protocol = (
        f"k-means (k = {k} classes, k-means++ init, {n_init} restarts, best inertia) on {prep} embeddings, "
        f"{len(seeds_t)} seeds, NMI (arithmetic normalization) and ARI mean ± std (population std, ddof=0)"
    )
    return {
        "nmi_mean": float(np.mean(nmis)),
        "nmi_std": float(np.std(nmis)),
        "ari_mean": float(np.mean(aris)),
        "ari_std": float(np.std(aris)),
        "nmi": nmis,
        "ari": aris,
        "seeds": list(seeds_t),
        "protocol": protocol,
    }
