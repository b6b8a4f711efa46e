"""Top-K ranking metrics for full-ranking recommendation evaluation.

Accuracy metrics follow the definitions used by LightGCN (He et al. 2020, SIGIR), SELFRec and RecBole
(Zhao et al. 2021, CIKM), which coincide with PyG's ``torch_geometric.metrics.LinkPred*`` (non-weighted):

* ``recall@K``    = hits@K / |truth|
* ``precision@K`` = hits@K / K
* ``ndcg@K``      = DCG@K / IDCG@K with binary relevance, ``DCG = sum_r rel_r / log2(r + 1)`` over ranks
  ``r = 1..K`` and the ideal DCG computed with ``min(|truth|, K)`` relevant items at the top
* ``hit_rate@K``  = 1 if at least one truth item is in the top K, else 0
* ``mrr@K``       = 1 / rank of the first truth item within the top K (0 if there is none)

Each is averaged over users that have at least one truth item; users without truth items are skipped and
counted (``num_skipped_users``).

Beyond-accuracy metrics, as reported for SimGCL (Yu et al. 2022, SIGIR) and XSimGCL (Yu et al. 2023, TKDE) to
show popularity debiasing, are computed over all recommendation slots of evaluated users:

* ``item_coverage@K``      share of the catalog that appears in at least one user's top K
* ``average_popularity@K`` mean training popularity (interaction count) of the recommended items
* ``long_tail_share@K``    share of recommended items outside the head, the ``head_share`` (default 20%) most
  popular training items
* ``gini@K``               Gini index of how often each catalog item is recommended (0 = perfectly even,
  ``(n - 1) / n`` = every slot is the same item), as RecBole's ``GiniIndex``

A top-K list may contain the padding index ``-1`` (fewer than K rankable items, e.g. everything else was
masked); padding is never a hit and is not counted as a recommended item.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

__all__ = [
    "ACCURACY_METRICS",
    "ALL_METRICS",
    "BEYOND_ACCURACY_METRICS",
    "RankingMetrics",
    "gini_index",
    "head_items",
    "per_user_metrics",
    "topk_hits",
]

ACCURACY_METRICS: tuple[str, ...] = ("recall", "precision", "ndcg", "hit_rate", "mrr")
BEYOND_ACCURACY_METRICS: tuple[str, ...] = ("item_coverage", "average_popularity", "long_tail_share", "gini")
ALL_METRICS: tuple[str, ...] = ACCURACY_METRICS + BEYOND_ACCURACY_METRICS

_TRUTH_FORMS = (
    "expected a bool [B, num_items] matrix, a [2, nnz] (row, col) index, a (row, col) tuple or a CSR "
    "matrix with .indptr/.indices"
)


def _truth_coo(truth: Any, batch_size: int, device: torch.device) -> tuple[Tensor, Tensor]:
    """Ground truth as local (row, col) LongTensors, from COO, a tuple, or a CSR-like object."""
    if isinstance(truth, Tensor) and truth.layout == torch.sparse_csr:
        indptr, indices = truth.crow_indices(), truth.col_indices()
    elif hasattr(truth, "indptr") and hasattr(truth, "indices"):
        fmt = getattr(truth, "format", "csr")
        if fmt != "csr":
            raise ValueError(f"truth: expected a CSR matrix (users x items), got format {fmt!r}")
        indptr = torch.as_tensor(truth.indptr, dtype=torch.long, device=device)
        indices = torch.as_tensor(truth.indices, dtype=torch.long, device=device)
    else:
        if isinstance(truth, Tensor):
            if truth.dim() != 2 or truth.size(0) != 2:
                raise ValueError(
                    f"truth: {_TRUTH_FORMS}, got a {truth.dtype} tensor of shape {tuple(truth.shape)}"
                )
            row, col = truth[0], truth[1]
        elif isinstance(truth, tuple | list) and len(truth) == 2:
            row, col = (torch.as_tensor(t, device=device) for t in truth)
        else:
            raise ValueError(f"truth: {_TRUTH_FORMS}, got {type(truth).__name__}")
        if row.shape != col.shape or row.dim() != 1:
            raise ValueError(f"truth: row and col must be 1-D of equal length, got {row.shape}, {col.shape}")
        if row.dtype.is_floating_point or col.dtype.is_floating_point:
            raise ValueError("truth: row and col must be integer indices")
        if row.numel() and (int(row.min()) < 0 or int(row.max()) >= batch_size):
            raise ValueError(f"truth: row indices must lie in [0, {batch_size}) (rows of the batch)")
        return row.to(device=device, dtype=torch.long), col.to(device=device, dtype=torch.long)
    indptr = indptr.to(device=device, dtype=torch.long)
    if indptr.numel() != batch_size + 1:
        raise ValueError(
            f"truth: the CSR matrix must have one row per top-K row ({batch_size}), got {indptr.numel() - 1}"
        )
    counts = indptr[1:] - indptr[:-1]
    row = torch.repeat_interleave(torch.arange(batch_size, device=device), counts)
    col = indices.to(device=device, dtype=torch.long)[int(indptr[0]) : int(indptr[-1])]
    return row, col


def topk_hits(topk_items: Tensor, truth: Any) -> tuple[Tensor, Tensor]:
    """Mark which recommended items are relevant, vectorized over the batch.

    Reuses the flattened-key ``searchsorted`` trick of PyG's ``LinkPredMetricData.pred_rel_mat`` for sparse
    truth; a dense boolean truth matrix is read with one ``gather``. Duplicate truth entries count once.

    Args:
        topk_items: ``LongTensor[B, K]`` ranked item ids per row; ``-1`` marks padding (never a hit).
        truth: The relevant items of each row, one of: ``BoolTensor[B, num_items]``; ``LongTensor[2, nnz]``
            or a ``(row, col)`` tuple of local row indices in ``[0, B)`` (PyG's ``edge_label_index``); a CSR
            matrix with ``B`` rows exposing ``.indptr``/``.indices`` (``scipy.sparse.csr_matrix``) or a torch
            sparse CSR tensor.

    Returns:
        ``(hits, num_truth)``: ``BoolTensor[B, K]`` with ``hits[b, r]`` true when ``topk_items[b, r]`` is a
        truth item of row ``b``, and ``LongTensor[B]`` the number of distinct truth items of each row.

    Example:
        >>> topk = torch.tensor([[3, 1, 0], [2, 0, -1]])
        >>> hits, n = topk_hits(topk, (torch.tensor([0, 0, 1]), torch.tensor([1, 5, 4])))
        >>> hits.tolist(), n.tolist()
        ([[False, True, False], [False, False, False]], [2, 1])
    """
    if not isinstance(topk_items, Tensor) or topk_items.dim() != 2:
        raise ValueError("topk_items: expected a 2-D LongTensor [B, K] of ranked item ids")
    if topk_items.dtype.is_floating_point or topk_items.dtype == torch.bool:
        raise ValueError(f"topk_items: expected integer item ids, got dtype {topk_items.dtype}")
    topk_items = topk_items.long()
    bsz, device = topk_items.size(0), topk_items.device
    valid = topk_items >= 0
    if isinstance(truth, Tensor) and truth.dtype == torch.bool and truth.layout == torch.strided:
        if truth.dim() != 2 or truth.size(0) != bsz:
            raise ValueError(f"truth: a bool matrix must be [{bsz}, num_items], got {tuple(truth.shape)}")
        truth = truth.to(device)
        if topk_items.numel() and int(topk_items.max()) >= truth.size(1):
            raise ValueError(f"topk_items: item id {int(topk_items.max())} >= num_items={truth.size(1)}")
        hits = truth.gather(1, topk_items.clamp(min=0)) & valid
        return hits, truth.sum(dim=1)
    row, col = _truth_coo(truth, bsz, device)
    if col.numel() and int(col.min()) < 0:
        raise ValueError("truth: item ids must be non-negative")
    width = max(int(col.max()) if col.numel() else 0, int(topk_items.max()) if topk_items.numel() else 0) + 1
    keys = torch.unique(row * width + col)  # sorted, deduplicated
    num_truth = torch.bincount(keys // width, minlength=bsz)
    if keys.numel() == 0:
        return torch.zeros_like(topk_items, dtype=torch.bool), num_truth
    query = (torch.arange(bsz, device=device).view(-1, 1) * width + topk_items.clamp(min=0)).view(-1)
    pos = torch.searchsorted(keys, query).clamp(max=keys.numel() - 1)
    hits = (keys[pos] == query).view_as(topk_items) & valid
    return hits, num_truth


def _ideal_dcg(kmax: int, device: torch.device) -> Tensor:
    """``idcg[j] = sum_{r=1..j} 1/log2(r+1)`` for ``j = 0..kmax`` (float64)."""
    gains = 1.0 / torch.log2(torch.arange(2, kmax + 2, dtype=torch.float64, device=device))
    return torch.cat([gains.new_zeros(1), gains.cumsum(0)])


def per_user_metrics(
    hits: Tensor, num_truth: Tensor, ks: Sequence[int], metrics: Sequence[str] = ACCURACY_METRICS
) -> dict[str, Tensor]:
    """Accuracy metrics of every row from its hit matrix (see the module docstring for the definitions).

    Args:
        hits: ``BoolTensor[B, Kmax]``, ``hits[b, r]`` = the item at rank ``r + 1`` of row ``b`` is relevant.
        num_truth: ``LongTensor[B]`` number of relevant items per row; must be positive.
        ks: Cut-offs, each in ``[1, Kmax]``.
        metrics: Names among ``ACCURACY_METRICS``.

    Returns:
        ``{"<metric>@<k>": FloatTensor[B] (float64)}`` for every metric and ``k``.

    Example:
        >>> hits = torch.tensor([[False, True, False], [True, False, True]])
        >>> out = per_user_metrics(hits, torch.tensor([2, 2]), ks=(2,), metrics=("recall", "mrr"))
        >>> out["recall@2"].tolist(), out["mrr@2"].tolist()
        ([0.5, 0.5], [0.5, 1.0])
    """
    if hits.dim() != 2 or hits.dtype != torch.bool:
        raise ValueError(f"hits: expected a BoolTensor [B, Kmax], got {hits.dtype} {tuple(hits.shape)}")
    if num_truth.shape != (hits.size(0),):
        raise ValueError(f"num_truth: expected shape [{hits.size(0)}], got {tuple(num_truth.shape)}")
    if num_truth.numel() and int(num_truth.min()) <= 0:
        raise ValueError("num_truth: every row needs at least one truth item (filter empty rows first)")
    unknown = [m for m in metrics if m not in ACCURACY_METRICS]
    if unknown:
        raise ValueError(f"metrics: unknown accuracy metric(s) {unknown}; expected {ACCURACY_METRICS}")
    kmax = hits.size(1)
    for k in ks:
        if not 1 <= int(k) <= kmax:
            raise ValueError(f"ks: every k must lie in [1, {kmax}] (the top-K width), got {k}")
    device = hits.device
    hits_f = hits.to(torch.float64)
    cum_hits = hits_f.cumsum(dim=1)
    n_truth = num_truth.to(torch.float64)
    out: dict[str, Tensor] = {}
    if "ndcg" in metrics:
        discount = torch.log2(torch.arange(2, kmax + 2, dtype=torch.float64, device=device))
        cum_dcg = (hits_f / discount).cumsum(dim=1)
        idcg = _ideal_dcg(kmax, device)
    if "mrr" in metrics:
        any_hit = hits.any(dim=1)
        first = torch.where(any_hit, hits.to(torch.uint8).argmax(dim=1), kmax)  # 0-based rank of first hit
    for k in ks:
        k = int(k)
        hits_k = cum_hits[:, k - 1]
        for name in metrics:
            if name == "recall":
                value = hits_k / n_truth
            elif name == "precision":
                value = hits_k / k
            elif name == "hit_rate":
                value = (hits_k > 0).to(torch.float64)
            elif name == "ndcg":
                value = cum_dcg[:, k - 1] / idcg[num_truth.clamp(max=k)]
            else:  # mrr
                value = torch.where(first < k, 1.0 / (first + 1).to(torch.float64), 0.0)
            out[f"{name}@{k}"] = value
    return out


def gini_index(counts: Tensor) -> float:
    """Gini index of a non-negative count vector over the whole catalog (zero counts included).

    ``G = sum_i (2i - n - 1) x_(i) / (n * sum_i x_i)`` with ``x_(1) <= ... <= x_(n)``, the formula of
    RecBole's ``GiniIndex`` (Zhao et al. 2021, CIKM). 0 when every item is recommended equally often,
    ``(n - 1) / n`` when a single item takes every slot; ``nan`` when nothing was recommended.

    Args:
        counts: ``Tensor[num_items]`` how often each item was recommended.

    Example:
        >>> gini_index(torch.tensor([0, 0, 0, 4]))
        0.75
    """
    if counts.dim() != 1 or counts.numel() == 0:
        raise ValueError(f"counts: expected a non-empty 1-D tensor, got shape {tuple(counts.shape)}")
    x = counts.to(torch.float64).sort().values
    n, total = x.numel(), float(x.sum())
    if total == 0:
        return math.nan
    i = torch.arange(1, n + 1, dtype=torch.float64, device=x.device)
    return float(((2 * i - n - 1) * x).sum() / (n * total))


def head_items(item_popularity: Tensor, head_share: float = 0.2) -> Tensor:
    """Mask of the head: the ``ceil(head_share * num_items)`` most popular items.

    Ties at the boundary are broken by the lower item id (stable sort), so the head has exactly that size.

    Args:
        item_popularity: ``Tensor[num_items]`` training interaction count of every item.
        head_share: Share of the catalog that forms the head, in ``[0, 1]``.

    Returns:
        ``BoolTensor[num_items]``, true for head items.

    Example:
        >>> head_items(torch.tensor([5, 1, 9, 1, 0]), head_share=0.4).tolist()
        [True, False, True, False, False]
    """
    if not 0.0 <= head_share <= 1.0:
        raise ValueError(f"head_share: expected a share in [0, 1], got {head_share}")
    if item_popularity.dim() != 1:
        raise ValueError(f"item_popularity: expected a 1-D tensor, got shape {tuple(item_popularity.shape)}")
    n_head = math.ceil(head_share * item_popularity.numel())
    order = torch.sort(item_popularity, descending=True, stable=True).indices
    mask = torch.zeros(item_popularity.numel(), dtype=torch.bool, device=item_popularity.device)
    mask[order[:n_head]] = True
    return mask


class RankingMetrics:
    """Accumulate top-K ranking metrics over batches of users (``update`` / ``compute`` / ``reset``).

    Follows the ``torchmetrics`` / PyG ``LinkPredMetricCollection`` pattern: one ``update`` per batch shares
    the hit matrix across all metrics and cut-offs. Users whose truth set is empty are skipped and counted.
    Definitions are in the module docstring; the accuracy ones equal PyG's ``LinkPredRecall``,
    ``LinkPredPrecision``, ``LinkPredNDCG``, ``LinkPredHitRatio`` and ``LinkPredMRR``.

    Args:
        ks: Cut-offs K, each at most the width of the top-K lists given to ``update``.
        metrics: Names among ``ALL_METRICS``; defaults to ``ACCURACY_METRICS``.
        num_items: Catalog size, needed by ``item_coverage`` and ``gini`` (taken from ``item_popularity``
            when omitted).
        item_popularity: ``Tensor[num_items]`` training interaction count per item, needed by
            ``average_popularity`` and ``long_tail_share``.
        head_share: Share of most popular items treated as the head by ``long_tail_share``.

    Example:
        >>> m = RankingMetrics(ks=(2,), metrics=("recall", "ndcg"))
        >>> m.update(torch.tensor([[4, 1, 0]]), torch.tensor([[0, 0], [1, 2]]))
        >>> out = m.compute()
        >>> round(out["recall@2"], 4), round(out["ndcg@2"], 4), out["num_users"]
        (0.5, 0.3869, 1)
    """

    def __init__(
        self,
        ks: Sequence[int] = (10, 20, 50),
        metrics: Sequence[str] | None = None,
        *,
        num_items: int | None = None,
        item_popularity: Tensor | None = None,
        head_share: float = 0.2,
    ) -> None:
        ks = tuple(int(k) for k in ks)
        if not ks or any(k < 1 for k in ks):
            raise ValueError(f"ks: expected a non-empty sequence of positive cut-offs, got {ks}")
        metrics = tuple(ACCURACY_METRICS if metrics is None else metrics)
        unknown = [m for m in metrics if m not in ALL_METRICS]
        if unknown or not metrics:
            raise ValueError(f"metrics: unknown metric(s) {unknown or metrics}; expected {ALL_METRICS}")
        if item_popularity is not None:
            item_popularity = torch.as_tensor(item_popularity)
            if item_popularity.dim() != 1:
                raise ValueError(f"item_popularity: expected 1-D, got shape {tuple(item_popularity.shape)}")
            if num_items is None:
                num_items = item_popularity.numel()
            elif num_items != item_popularity.numel():
                raise ValueError(f"item_popularity: {item_popularity.numel()} entries, num_items={num_items}")
        needs_pop = [m for m in metrics if m in ("average_popularity", "long_tail_share")]
        if needs_pop and item_popularity is None:
            raise ValueError(f"item_popularity: required by metric(s) {needs_pop}")
        needs_n = [m for m in metrics if m in ("item_coverage", "gini")]
        if needs_n and num_items is None:
            raise ValueError(f"num_items: required by metric(s) {needs_n} (or pass item_popularity)")
        self.ks = ks
        self.kmax = max(ks)
        self.metrics = metrics
        self.num_items = num_items
        self.head_share = head_share
        self._accuracy = tuple(m for m in metrics if m in ACCURACY_METRICS)
        self._popularity = None if item_popularity is None else item_popularity.to(torch.float64)
        self._head = None if item_popularity is None else head_items(item_popularity, head_share)
        self.reset()

    def reset(self) -> None:
        """Clear all accumulated state."""
        self.num_users = 0
        self.num_skipped_users = 0
        self._sums: dict[str, Tensor] = {}
        self._counts: Tensor | None = None  # [len(ks), num_items] recommendation counts
        self._slots: Tensor | None = None  # [len(ks)] valid recommendation slots
        self._pop_sum: Tensor | None = None  # [len(ks)]
        self._tail: Tensor | None = None  # [len(ks)]

    def update(self, topk_items: Tensor, truth: Any) -> None:
        """Add a batch of ranked lists and their truth.

        Args:
            topk_items: ``LongTensor[B, Kmax]`` ranked item ids, best first, ``Kmax >= max(ks)``; ``-1`` pads.
            truth: Relevant items per row, in any form accepted by :func:`topk_hits`.
        """
        if not isinstance(topk_items, Tensor) or topk_items.dim() != 2 or topk_items.size(1) < self.kmax:
            shape = tuple(topk_items.shape) if isinstance(topk_items, Tensor) else type(topk_items).__name__
            raise ValueError(f"topk_items: expected a LongTensor [B, K >= {self.kmax}], got {shape}")
        hits, num_truth = topk_hits(topk_items, truth)
        keep = num_truth > 0
        n_keep = int(keep.sum())
        self.num_skipped_users += topk_items.size(0) - n_keep
        self.num_users += n_keep
        if n_keep == 0:
            return
        if n_keep < topk_items.size(0):
            topk_items, hits, num_truth = topk_items[keep], hits[keep], num_truth[keep]
        topk_items = topk_items.long()
        if self._accuracy:
            values = per_user_metrics(hits[:, : self.kmax], num_truth, self.ks, self._accuracy)
            for name, value in values.items():
                total = value.sum()
                self._sums[name] = self._sums[name] + total if name in self._sums else total
        if len(self._accuracy) < len(self.metrics):
            self._update_beyond_accuracy(topk_items)

    def _update_beyond_accuracy(self, topk_items: Tensor) -> None:
        device = topk_items.device
        nk = len(self.ks)
        if self._slots is None:
            self._slots = torch.zeros(nk, dtype=torch.float64, device=device)
            self._pop_sum = torch.zeros(nk, dtype=torch.float64, device=device)
            self._tail = torch.zeros(nk, dtype=torch.float64, device=device)
            if self.num_items is not None:
                self._counts = torch.zeros(nk, self.num_items, dtype=torch.long, device=device)
        topk_items = topk_items[:, : self.kmax]
        if self.num_items is not None and topk_items.numel() and int(topk_items.max()) >= self.num_items:
            raise ValueError(f"topk_items: item id {int(topk_items.max())} >= num_items={self.num_items}")
        valid = topk_items >= 0
        padded = not bool(valid.all())
        items = topk_items.clamp(min=0) if padded else topk_items
        # per-rank totals over the batch, then prefix sums over ranks give every cut-off at once
        cum_slots = valid.sum(dim=0).cumsum(0).to(torch.float64)
        ks = torch.tensor(self.ks, device=device) - 1
        self._slots += cum_slots[ks]
        if self._popularity is not None and self._head is not None:
            pop = self._popularity.to(device)[items]
            tail = (~self._head.to(device))[items]
            if padded:
                pop, tail = pop * valid, tail & valid
            self._pop_sum += pop.sum(dim=0).cumsum(0)[ks]
            self._tail += tail.sum(dim=0).cumsum(0).to(torch.float64)[ks]
        if self._counts is not None:  # recommendation counts, accumulated over rank segments
            running = torch.zeros(self.num_items, dtype=torch.long, device=device)
            prev = 0
            for j in sorted(range(nk), key=lambda i: self.ks[i]):
                seg_items, seg_valid = items[:, prev : self.ks[j]], valid[:, prev : self.ks[j]]
                weights = seg_valid.reshape(-1).long() if padded else None
                if weights is None:
                    running += torch.bincount(seg_items.reshape(-1), minlength=self.num_items)
                else:
                    running.index_add_(0, seg_items.reshape(-1), weights)
                self._counts[j] += running
                prev = self.ks[j]

    def compute(self) -> dict[str, float]:
        """Averages over the evaluated users.

        Returns:
            ``{"<metric>@<k>": float}`` for every metric and cut-off (``nan`` when no user was evaluated),
            plus ``"num_users"`` (evaluated) and ``"num_skipped_users"`` (no truth items).
        """
        out: dict[str, float] = {}
        for k_idx, k in enumerate(self.ks):
            for name in self.metrics:
                key = f"{name}@{k}"
                if name in ACCURACY_METRICS:
                    out[key] = float(self._sums[key]) / self.num_users if self.num_users else math.nan
                    continue
                slots = float(self._slots[k_idx]) if self._slots is not None else 0.0
                if name == "item_coverage":
                    hit_items = 0 if self._counts is None else int((self._counts[k_idx] > 0).sum())
                    out[key] = hit_items / self.num_items if self.num_users else math.nan
                elif name == "gini":
                    out[key] = gini_index(self._counts[k_idx]) if self._counts is not None else math.nan
                elif name == "average_popularity":
                    out[key] = float(self._pop_sum[k_idx]) / slots if slots else math.nan
                else:  # long_tail_share
                    out[key] = float(self._tail[k_idx]) / slots if slots else math.nan
        out["num_users"] = self.num_users
        out["num_skipped_users"] = self.num_skipped_users
        return out

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(ks={self.ks}, metrics={self.metrics})"
