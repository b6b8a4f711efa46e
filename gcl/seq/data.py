"""Per-user item sequences with the leave-one-out protocol of sequential recommendation.

:class:`SequenceData` holds every user's full time-ordered sequence in one flat tensor (CSR layout: ``items``
and ``offsets``), with item ids shifted to ``1..I`` so that 0 is padding. The split is leave-one-out, as in
SASRec (Kang and McAuley 2018, ICDM), CL4SRec (Xie et al. 2022, ICDE), DuoRec (Qiu et al. 2022, WSDM), ICLRec
(Chen et al. 2022, WWW) and ICSRec (Qin et al. 2024, WSDM): per user the **last item is the test target, the
second to last the validation target and the rest is training data**.

Training examples (a choice, documented here): **every prefix of a training sequence predicts its next item**
-- the "data augmentation" of RecBole's sequential loader used by CL4SRec and DuoRec, and the dynamic
segmentation of ICSRec. An example is identified by the flat position ``p`` of its target; its input is the
window of at most ``max_length`` items before ``p`` of the same user (left-truncated, left-padded). SASRec's
paper instead trains all positions of one shifted sequence at once; prefix examples are needed by the
same-target positives of DuoRec and ICSRec and give the same set of (history, next item) pairs.

No leakage by construction: a training target lies at least two positions before the user's end, and an
input only holds items *before* its target, so neither the validation nor the test item ever enters a
training input or target. The validation input is the training part; the test input adds the validation item.

Everything is vectorized over users (``repeat_interleave``/``gather`` over the flat array).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor

from gcl.data.interactions import Interactions, group_order
from gcl.data.report import StepReport, log_report

__all__ = ["SeqBatch", "SequenceData", "sample_same_target"]

_SPLITS = ("valid", "test")
_SHOW = 10


def _show(values: np.ndarray) -> str:
    values = np.asarray(values).ravel()
    text = ", ".join(repr(v.item() if isinstance(v, np.generic) else v) for v in values[:_SHOW])
    return f"[{text}{', ...' if values.size > _SHOW else ''}]"


@dataclass
class SeqBatch:
    """A batch of (left-padded history, next item) examples.

    Attributes:
        seq: Item ids ``LongTensor [B, L]``, right-aligned, 0-padded on the left.
        lengths: Real items per row ``[B]`` (at most ``L``).
        target: The item to predict ``[B]`` (ids ``1..I``).
        user: Row (user index) of each example ``[B]``.
        position: Flat position of the target in :attr:`SequenceData.items` ``[B]`` (the example id).
        partner_seq: Optional input of another training example with the same target ``[B, L]``
            (DuoRec's supervised positive, ICSRec's cross subsequence).
        partner_lengths: Lengths of ``partner_seq`` ``[B]``.
    """

    seq: Tensor
    lengths: Tensor
    target: Tensor
    user: Tensor
    position: Tensor
    partner_seq: Tensor | None = None
    partner_lengths: Tensor | None = None

    def __len__(self) -> int:
        return int(self.target.numel())

    def to(self, device: torch.device | str) -> SeqBatch:
        """A copy with every tensor on ``device``."""
        moved = {k: (v.to(device) if isinstance(v, Tensor) else v) for k, v in vars(self).items()}
        return SeqBatch(**moved)


def sample_same_target(targets: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """For every example, the index of a random *other* example with the same target (itself if none).

    The supervised positive sampling of DuoRec (RecBole's ``same_target_index``) and ICSRec. Vectorized:
    examples are grouped by a stable sort on the target; within a group of size ``g > 1`` the partner is
    drawn uniformly among the ``g - 1`` others.

    Args:
        targets: Target item of each example ``LongTensor [E]``.
        generator: Optional CPU generator (the global RNG when ``None``).

    Returns:
        ``LongTensor [E]`` of example indices.

    Example:
        >>> sample_same_target(torch.tensor([5, 7, 5, 9]), torch.Generator().manual_seed(0)).tolist()
        [2, 1, 0, 3]
    """
    if targets.dim() != 1:
        raise ValueError(f"targets must be 1-D [E], got shape {tuple(targets.shape)}")
    device = targets.device
    targets = targets.cpu()
    n = targets.numel()
    if n == 0:
        return torch.zeros(0, dtype=torch.long, device=device)
    order = torch.sort(targets, stable=True).indices
    sorted_t = targets[order]
    new_group = torch.ones(n, dtype=torch.bool)
    new_group[1:] = sorted_t[1:] != sorted_t[:-1]
    group = new_group.long().cumsum(0) - 1
    starts = torch.nonzero(new_group).squeeze(1)
    sizes = torch.diff(torch.cat([starts, torch.tensor([n])]))
    size = sizes[group]
    rank = torch.arange(n) - starts[group]
    u = torch.rand(n, generator=generator, dtype=torch.float64)
    pick = (u * (size - 1).clamp(min=1)).long().clamp(max=(size - 2).clamp(min=0))
    pick = torch.where(size > 1, pick + (pick >= rank).long(), rank)  # skip itself
    partner_sorted = order[starts[group] + pick]
    out = torch.empty(n, dtype=torch.long)
    out[order] = partner_sorted
    return out.to(device)


@dataclass(frozen=True, eq=False)
class SequenceData:
    """Users' time-ordered item sequences, leave-one-out split, batching of training/evaluation examples.

    Build it with :meth:`from_interactions`. Item ids are ``1..num_items`` (0 = padding); ``item_ids[i - 1]``
    is the raw id of item ``i`` and ``user_ids[u]`` the raw id of row ``u``.

    Args:
        items: Flat item ids of all full sequences, user after user, time-ordered ``LongTensor [N]``.
        offsets: Row starts ``LongTensor [U + 1]`` (row ``u`` is ``items[offsets[u]:offsets[u + 1]]``).
        num_items: ``I``.
        max_length: Input window ``L`` (longer histories keep their last ``L`` items).
        user_ids: Raw user id per row ``[U]``.
        item_ids: Raw item id per item ``[I]``.
        source: Where the data came from (messages).
        reports: Preprocessing history (the reader's reports, then this class's own steps).
    """

    items: Tensor
    offsets: Tensor
    num_items: int
    max_length: int
    user_ids: np.ndarray
    item_ids: np.ndarray
    source: str = "arrays"
    reports: list[StepReport] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.offsets.dim() != 1 or self.offsets.numel() < 2 or int(self.offsets[0]) != 0:
            raise ValueError("SequenceData: offsets must be 1-D, start at 0 and have at least 2 entries")
        if int(self.offsets[-1]) != self.items.numel():
            raise ValueError(
                f"SequenceData: offsets[-1]={int(self.offsets[-1])} != len(items)={self.items.numel()}"
            )
        lengths = torch.diff(self.offsets)
        if int(lengths.min()) < 3:
            raise ValueError(
                f"SequenceData: every sequence needs >= 3 items (train, validation, test), but "
                f"{int((lengths < 3).sum())} have fewer"
            )
        if self.items.numel() and (int(self.items.min()) < 1 or int(self.items.max()) > self.num_items):
            raise ValueError(f"SequenceData: item ids must lie in [1, {self.num_items}] (0 is padding)")
        if isinstance(self.max_length, bool) or not isinstance(self.max_length, int) or self.max_length < 1:
            raise ValueError(f"SequenceData: max_length must be an int >= 1, got {self.max_length!r}")
        row = torch.repeat_interleave(torch.arange(lengths.numel()), lengths)
        object.__setattr__(self, "_row", row)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_interactions(
        cls,
        inter: Interactions,
        max_length: int = 50,
        min_length: int = 3,
        on_short: str = "drop",
        unseen_targets: str = "keep",
    ) -> SequenceData:
        """Order each user's interactions by time and apply the leave-one-out split.

        Order is by ``timestamp`` with ties broken stably by row order (row order when there is no
        timestamp; :func:`gcl.data.readers.read_sequences` stores the position in the line as timestamp).
        The same order as :func:`gcl.data.splits.leave_one_out`, so the validation/test items agree with it.

        Args:
            inter: The interaction log.
            max_length: Input window ``L`` (50 in SASRec, CL4SRec, DuoRec, ICLRec, ICSRec).
            min_length: Shortest sequence kept, ``>= 3`` (one training, one validation and one test item).
            on_short: ``"drop"`` users with an empty or too short sequence (counted in a
                :class:`~gcl.data.report.StepReport` and logged) or ``"error"`` (raise, with the counts).
            unseen_targets: Validation/test target items that never occur in any training sequence cannot
                be learnt as targets: ``"keep"`` them (the papers' protocol; counted in the report) or
                ``"error"``.

        Raises:
            ValueError: An empty log, no sequence left, short/empty sequences with ``on_short="error"``,
                unseen targets with ``unseen_targets="error"``, or bad arguments.
        """
        if not isinstance(inter, Interactions):
            raise ValueError(f"inter must be an Interactions, got {type(inter).__name__}")
        if isinstance(min_length, bool) or not isinstance(min_length, int) or min_length < 3:
            raise ValueError(
                f"min_length must be an int >= 3 (leave-one-out needs a training, a validation and a test "
                f"item), got {min_length!r}"
            )
        if on_short not in ("drop", "error"):
            raise ValueError(f"on_short must be 'drop' or 'error', got {on_short!r}")
        if unseen_targets not in ("keep", "error"):
            raise ValueError(f"unseen_targets must be 'keep' or 'error', got {unseen_targets!r}")
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1:
            raise ValueError(f"max_length must be an int >= 1, got {max_length!r}")
        if len(inter) == 0:
            raise ValueError(f"{inter.source}: no interactions, so there are no sequences to build")
        reports = list(inter.reports)
        sizes = inter.user_degree()
        empty = sizes == 0
        short = ~empty & (sizes < min_length)
        n_empty, n_short = int(empty.sum()), int(short.sum())
        if on_short == "error" and (n_empty or n_short):
            parts = []
            if n_empty:
                parts.append(f"{n_empty} empty sequence(s) (users {_show(inter.user_ids[empty])})")
            if n_short:
                parts.append(
                    f"{n_short} sequence(s) shorter than min_length={min_length} "
                    f"(users {_show(inter.user_ids[short])}, lengths {_show(sizes[short])})"
                )
            raise ValueError(
                f"{inter.source}: {' and '.join(parts)} out of {inter.num_users} users; pass on_short='drop' "
                "to remove them"
            )
        keep_user = sizes >= min_length
        if not keep_user.any():
            raise ValueError(
                f"{inter.source}: no sequence has at least min_length={min_length} items ({n_empty} empty, "
                f"{n_short} shorter; longest has {int(sizes.max())})"
            )
        rows_kept = keep_user[inter.user]
        removed = int((~rows_kept).sum())
        kept_items = np.zeros(inter.num_items, dtype=bool)
        kept_items[inter.item[rows_kept]] = True
        reports.append(
            log_report(
                StepReport(
                    f"SequenceData.min_length(min_length={min_length})",
                    len(inter),
                    len(inter) - removed,
                    removed,
                    {
                        "empty_sequences": n_empty,
                        "short_sequences_removed": n_short,
                        "users_kept": int(keep_user.sum()),
                        "items_removed": int(inter.num_items - kept_items.sum()),
                    },
                )
            )
        )
        # Time order per user (stable), kept users only; users renumbered 0..U-1, items 1..I.
        order = group_order(inter.user, inter.timestamp, max(inter.num_users, 1))
        order = order[rows_kept[order]]
        new_item = np.cumsum(kept_items)  # 1-based among kept items
        items = torch.from_numpy(new_item[inter.item[order]].astype(np.int64))
        lengths = torch.from_numpy(sizes[keep_user].astype(np.int64))
        offsets = torch.zeros(lengths.numel() + 1, dtype=torch.long)
        offsets[1:] = lengths.cumsum(0)
        data = cls(
            items=items,
            offsets=offsets,
            num_items=int(kept_items.sum()),
            max_length=max_length,
            user_ids=np.asarray(inter.user_ids)[keep_user],
            item_ids=np.asarray(inter.item_ids)[kept_items],
            source=inter.source,
            reports=reports,
        )
        unseen = data.unseen_target_counts()
        if unseen_targets == "error" and (unseen["valid"] or unseen["test"]):
            raise ValueError(
                f"{inter.source}: {unseen['valid']} validation and {unseen['test']} test target item(s) "
                f"never occur in a training sequence (e.g. raw test items "
                f"{_show(data.unseen_target_items('test'))}); "
                "pass unseen_targets='keep' to evaluate them anyway"
            )
        n = data.items.numel()
        details: dict[str, Any] = {
            "order": "row order (no timestamp)"
            if inter.timestamp is None
            else "timestamp, ties by row order",
            "users": data.num_users,
            "items": data.num_items,
            "train_interactions": n - 2 * data.num_users,
            "train_examples": int(data.train_positions().numel()),
            "valid_targets_unseen_in_train": unseen["valid"],
            "test_targets_unseen_in_train": unseen["test"],
            "test_histories_truncated": int((data.lengths - 1 > max_length).sum()),
        }
        data.reports.append(
            log_report(StepReport(f"SequenceData.leave_one_out(max_length={max_length})", n, n, 0, details))
        )
        return data

    # ------------------------------------------------------------------ sizes
    @property
    def num_users(self) -> int:
        """Number of sequences ``U``."""
        return int(self.offsets.numel() - 1)

    @property
    def lengths(self) -> Tensor:
        """Full sequence length per user ``[U]`` (training part + validation + test)."""
        return torch.diff(self.offsets)

    @property
    def row_of(self) -> Tensor:
        """User row of every flat position ``[N]``."""
        return self._row  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return (
            f"SequenceData(source={self.source!r}, users={self.num_users:,}, items={self.num_items:,}, "
            f"interactions={self.items.numel():,}, max_length={self.max_length})"
        )

    # ------------------------------------------------------------------ positions
    def train_positions(self) -> Tensor:
        """Flat positions of all training targets ``[E]``: indices ``1 .. n_u - 3`` of every sequence."""
        local = torch.arange(self.items.numel()) - self.offsets[self.row_of]
        keep = (local >= 1) & (local <= self.lengths[self.row_of] - 3)
        return torch.nonzero(keep).squeeze(1)

    def target_positions(self, split: str) -> Tensor:
        """Flat positions of the validation (second to last) or test (last) items ``[U]``."""
        if split not in _SPLITS:
            raise ValueError(f"split must be one of {_SPLITS}, got {split!r}")
        return self.offsets[1:] - (2 if split == "valid" else 1)

    def train_sequences(self) -> Tensor:
        """Training part of every sequence, left-padded to the longest ``LongTensor [U, max(n_u - 2)]``."""
        ends = self.offsets[1:] - 2
        width = int((ends - self.offsets[:-1]).max())
        return self.history_window(ends, width)[0]

    # ------------------------------------------------------------------ batching
    def history_window(self, positions: Tensor, width: int | None = None) -> tuple[Tensor, Tensor]:
        """The items before each position within its sequence, last ``width`` of them, left-padded.

        Args:
            positions: Flat positions ``LongTensor [B]``.
            width: Window (default ``max_length``).

        Returns:
            ``(seq [B, width], lengths [B])``.
        """
        width = self.max_length if width is None else width
        positions = positions.to(torch.long)
        start = self.offsets[self.row_of[positions]]
        idx = positions.unsqueeze(1) - width + torch.arange(width)
        valid = idx >= start.unsqueeze(1)
        seq = self.items[idx.clamp(min=0)].masked_fill(~valid, 0)
        return seq, torch.clamp(positions - start, max=width)

    def batch(self, positions: Tensor) -> SeqBatch:
        """Training/evaluation examples whose targets are at the given flat positions."""
        positions = positions.to(torch.long).cpu()
        seq, lengths = self.history_window(positions)
        return SeqBatch(seq, lengths, self.items[positions], self.row_of[positions], positions)

    def eval_batches(self, split: str, batch_size: int = 1024) -> list[SeqBatch]:
        """Validation or test examples (one per user) in user order, in batches."""
        positions = self.target_positions(split)
        return [self.batch(chunk) for chunk in positions.split(batch_size)]

    def history_items(self, positions: Tensor) -> tuple[Tensor, Tensor]:
        """All items before each position in its sequence (not truncated), COO form.

        Returns:
            ``(row, item)``: ``row[k]`` indexes ``positions``; used to mask a user's history at evaluation.
        """
        positions = positions.to(torch.long).cpu()
        start = self.offsets[self.row_of[positions]]
        counts = positions - start
        row = torch.repeat_interleave(torch.arange(positions.numel()), counts)
        first = torch.repeat_interleave(start - torch.cumsum(counts, 0) + counts, counts)
        return row, self.items[first + torch.arange(row.numel())]

    # ------------------------------------------------------------------ checks and stats
    def _train_item_mask(self) -> Tensor:
        seen = torch.zeros(self.num_items + 1, dtype=torch.bool)
        local = torch.arange(self.items.numel()) - self.offsets[self.row_of]
        seen[self.items[local <= self.lengths[self.row_of] - 3]] = True
        return seen

    def unseen_target_counts(self) -> dict[str, int]:
        """Validation/test targets whose item never occurs in any training sequence."""
        seen = self._train_item_mask()
        return {s: int((~seen[self.items[self.target_positions(s)]]).sum()) for s in _SPLITS}

    def unseen_target_items(self, split: str) -> np.ndarray:
        """Raw ids of the ``split`` targets never seen in training."""
        targets = self.items[self.target_positions(split)]
        bad = targets[~self._train_item_mask()[targets]]
        return self.item_ids[(bad - 1).numpy()]

    def stats(self) -> dict[str, Any]:
        """Users, items, interactions, sequence length statistics and the number of training examples."""
        lengths = self.lengths.to(torch.float64)
        return {
            "users": self.num_users,
            "items": self.num_items,
            "interactions": int(self.items.numel()),
            "length_mean": float(lengths.mean()),
            "length_median": float(lengths.median()),
            "length_max": int(lengths.max()),
            "train_examples": int(self.train_positions().numel()),
            "max_length": self.max_length,
            **{f"{k}_targets_unseen_in_train": v for k, v in self.unseen_target_counts().items()},
        }
