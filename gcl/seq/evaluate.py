"""Leave-one-out full-ranking evaluation of sequential recommenders: HR@K and NDCG@K.

Protocol (SASRec, CL4SRec, DuoRec, ICLRec, ICSRec on Amazon Beauty): for every user the input is the history
before the held-out item (validation: the training part; test: training part + validation item, both cut to
the last ``max_length`` items); the model scores **all** items; the rank of the single held-out item gives
``hit_rate@K`` (HR@K) and ``ndcg@K = 1 / log2(rank + 1)`` if ``rank <= K``, averaged over users. Metrics are
computed by :class:`gcl.rec.metrics.RankingMetrics` (one implementation for the whole project) and the
top-K by :func:`gcl.rec.evaluate.masked_topk`.

The padding item 0 is always excluded. **The user's own history is not masked by default**
(``mask_history=False``): the model may recommend items already in the input, as in RecBole's sequential
full ranking (used by CL4SRec and DuoRec). The ICLRec/CoSeRec/ICSRec reference codes overwrite the scores of
history items with 0 (``rating_pred[train_matrix > 0] = 0``, not a full mask, since scores can be negative):
``mask_history="zero"`` reproduces that; ``mask_history=True`` sets them to ``-inf`` (never recommended). In
both masking modes a target that also occurs in the history is masked too (the reference behaviour); the
result counts such users (``targets_in_history``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import torch
from torch import Tensor

from gcl.rec.evaluate import masked_topk
from gcl.rec.metrics import RankingMetrics
from gcl.seq.data import SequenceData

__all__ = ["DEFAULT_KS", "ScoresModel", "evaluate_ranking", "ranking_metrics"]

DEFAULT_KS: tuple[int, ...] = (5, 10, 20)
_METRICS = ("hit_rate", "ndcg")


class ScoresModel(Protocol):
    """Anything with ``full_sort_predict(seq [B, L]) -> scores [B, num_items + 1]`` (column 0 = padding)."""

    def full_sort_predict(self, seq: Tensor) -> Tensor:  # pragma: no cover - protocol
        """Scores of every item id ``0..num_items`` for each left-padded input."""
        ...


def _check_mask_mode(mask_history: object) -> bool | str:
    if not (mask_history is False or mask_history is True or mask_history == "zero"):
        raise ValueError(f"mask_history must be False, True or 'zero', got {mask_history!r}")
    return mask_history  # type: ignore[return-value]


def _rank_batch(
    metrics: RankingMetrics,
    scores: Tensor,
    targets: Tensor,
    history: tuple[Tensor, Tensor] | None,
    mask_history: bool | str,
) -> int:
    """Mask padding (and history), take the top ``max(ks)``, update ``metrics``; return targets in history."""
    if scores.dim() != 2 or scores.size(0) != targets.numel():
        raise ValueError(
            f"scores must be [B, num_items + 1] with B = {targets.numel()}, got {tuple(scores.shape)}"
        )
    num_ids = scores.size(1)
    targets = targets.to(scores.device)
    bad = (targets < 1) | (targets >= num_ids)
    if bool(bad.any()):
        raise ValueError(
            f"{int(bad.sum())} of {targets.numel()} target item(s) are unknown: ids must lie in "
            f"[1, {num_ids - 1}] (0 is padding), got {targets[bad][:10].tolist()}"
        )
    scores = scores.clone()
    scores[:, 0] = float("-inf")
    in_history = 0
    if history is not None and mask_history is not False:
        row, col = (t.to(scores.device) for t in history)
        in_history = int(torch.unique(row[col == targets[row]]).numel())
        scores[row, col] = float("-inf") if mask_history is True else 0.0
    kmax = min(max(metrics.ks), num_ids - 1)
    topk = masked_topk(scores, kmax)
    if topk.size(1) < max(metrics.ks):  # tiny catalogs: pad so that every K is defined
        pad = topk.new_full((topk.size(0), max(metrics.ks) - topk.size(1)), -1)
        topk = torch.cat([topk, pad], dim=1)
    rows = torch.arange(targets.numel(), device=scores.device)
    metrics.update(topk, (rows, targets))
    return in_history


def ranking_metrics(
    scores: Tensor,
    targets: Tensor,
    ks: Sequence[int] = DEFAULT_KS,
    *,
    history: tuple[Tensor, Tensor] | None = None,
    mask_history: bool | str = False,
) -> dict[str, float]:
    """HR@K and NDCG@K of one score matrix with a single target per row.

    Args:
        scores: ``FloatTensor [B, num_items + 1]``; column 0 (padding) is ignored.
        targets: Held-out item per row ``LongTensor [B]``, ids in ``[1, num_items]``.
        ks: Cut-offs.
        history: ``(row, item)`` COO of each row's history items (see :meth:`SequenceData.history_items`).
        mask_history: ``False`` (default), ``True`` (``-inf``) or ``"zero"`` (ICLRec's overwrite with 0).

    Returns:
        ``{"hit_rate@K": float, "ndcg@K": float, ..., "num_users": int, "targets_in_history": int}``.

    Example:
        >>> scores = torch.tensor([[0.0, 0.9, 0.5, 0.1], [0.0, 0.9, 0.5, 0.1]])
        >>> out = ranking_metrics(scores, torch.tensor([1, 3]), ks=(1, 3))
        >>> out["hit_rate@1"], out["hit_rate@3"], round(out["ndcg@3"], 4)  # ranks 1 and 3
        (0.5, 1.0, 0.75)
    """
    mask_history = _check_mask_mode(mask_history)
    metrics = RankingMetrics(ks=ks, metrics=_METRICS)
    in_history = _rank_batch(metrics, scores, targets.view(-1), history, mask_history)
    out: dict[str, Any] = metrics.compute()
    out.pop("num_skipped_users", None)
    out["targets_in_history"] = in_history
    return out


@torch.no_grad()
def evaluate_ranking(
    model: ScoresModel,
    data: SequenceData,
    split: str = "valid",
    ks: Sequence[int] = DEFAULT_KS,
    *,
    mask_history: bool | str = False,
    batch_size: int = 1024,
    device: torch.device | str | None = None,
) -> dict[str, Any]:
    """Full-ranking HR@K / NDCG@K of ``model`` on the validation or test targets of ``data``.

    Users are scored in batches (``batch_size * (num_items + 1)`` floats at a time); per batch there is one
    forward pass, one ``index_put_`` for the optional history mask, one top-K and a vectorized hit lookup.
    The model is put in eval mode and its previous mode restored afterwards.

    Args:
        model: A model with ``full_sort_predict`` (every :mod:`gcl.seq.models` model).
        data: The sequences.
        split: ``"valid"`` (second-to-last items) or ``"test"`` (last items).
        ks: Cut-offs (HR and NDCG at each).
        mask_history: ``False`` (default: RecBole/DuoRec), ``True`` (``-inf``) or ``"zero"`` (ICLRec code).
        batch_size: Users per batch.
        device: Where to run (default: the model's parameters' device).

    Returns:
        ``{"hit_rate@5": ..., "ndcg@5": ..., ..., "num_users": int, "targets_in_history": int,
        "protocol": str}``.
    """
    mask_history = _check_mask_mode(mask_history)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
    if device is None:
        param = next(iter(model.parameters()), None) if hasattr(model, "parameters") else None
        device = param.device if param is not None else torch.device("cpu")
    device = torch.device(device)
    was_training = bool(getattr(model, "training", False))
    if hasattr(model, "eval"):
        model.eval()
    metrics = RankingMetrics(ks=ks, metrics=_METRICS)
    in_history = 0
    try:
        positions = data.target_positions(split)
        for chunk in positions.split(batch_size):
            batch = data.batch(chunk)
            scores = model.full_sort_predict(batch.seq.to(device))
            history = data.history_items(chunk) if mask_history is not False else None
            in_history += _rank_batch(metrics, scores, batch.target, history, mask_history)
    finally:
        if hasattr(model, "train"):
            model.train(was_training)
    out: dict[str, Any] = metrics.compute()
    out.pop("num_skipped_users", None)
    out["targets_in_history"] = in_history
    masked = {
        False: "history not masked",
        True: "history items masked (-inf)",
        "zero": "history scores set to 0",
    }
    out["protocol"] = (
        f"leave-one-out {split}, full ranking over {data.num_items:,} items (padding excluded, "
        f"{masked[mask_history]}), {out['num_users']:,} users, "
        f"HR/NDCG@{','.join(str(k) for k in metrics.ks)}, "
        f"input = last {data.max_length} items"
    )
    return out
