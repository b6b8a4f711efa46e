"""Train / validation / test splits of interaction logs.

Every split returns an :class:`~gcl.data.interactions.InteractionSplit` whose three parts share the
input's id space, always has a validation part (model selection never touches test), puts every
input row in at most one part, and carries a :class:`~gcl.data.report.StepReport` with the part
sizes, the users left without validation/test interactions, interactions of users/items unseen in
train and (user, item) pairs that also occur in train.

Protocols:

* :func:`random_split` -- RecBole's ratio split (``RS: [0.8, 0.1, 0.1]``, Zhao et al. 2021, CIKM),
  per user by default, random order;
* :func:`temporal_split` -- the same counts, ordered by time (earliest to train);
* :func:`leave_one_out` -- last interaction to test, second to last to validation (Kang and McAuley
  2018, ICDM; the sequential-recommendation protocol);
* :func:`predefined` -- a given train/test pair (LightGCN's gowalla/yelp2018 files) with validation
  carved from train and an explicit policy for test users/items unseen in train.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from gcl.data.interactions import (
    Interactions,
    InteractionSplit,
    count_distinct,
    cross_part_counts,
    group_order,
)
from gcl.data.report import StepReport, log_report

__all__ = ["leave_one_out", "predefined", "random_split", "temporal_split"]

_PARTS = ("train", "valid", "test")


def _check_ratios(ratios: Sequence[float], names: Sequence[str], fn: str) -> np.ndarray:
    """Validate split ratios (finite, positive) and normalize them to sum to 1."""
    try:
        values = [float(r) for r in ratios]
    except (TypeError, ValueError):
        raise ValueError(
            f"{fn}: ratios must be {len(names)} numbers {tuple(names)}, got {ratios!r}"
        ) from None
    if len(values) != len(names):
        raise ValueError(f"{fn}: ratios must be {len(names)} numbers {tuple(names)}, got {ratios!r}")
    for name, value in zip(names, values):
        if not math.isfinite(value) or value <= 0:
            raise ValueError(
                f"{fn}: the {name} ratio must be a positive finite number (every split has a validation "
                f"part), got {ratios!r}"
            )
    total = sum(values)
    return np.asarray([v / total for v in values], dtype=np.float64)


def ratio_counts(sizes: np.ndarray, ratios: np.ndarray) -> np.ndarray:
    """Interactions per part for groups of the given sizes, RecBole's ``_calcu_split_ids`` vectorized.

    Every part but the first gets ``floor(ratio * size)``; the first gets the rest. Then, from the last
    part backwards, a part whose ``ratio * size`` lies in (0, 1) takes one interaction from the first
    part while the first part keeps more than one -- so a user with 2 interactions gets one in the
    last part, and every user keeps at least one training interaction.

    Args:
        sizes: Group sizes, shape ``[G]``.
        ratios: Normalized ratios, shape ``[P]``.

    Returns:
        Counts, shape ``[G, P]``, summing to ``sizes`` along the last axis.

    Example:
        >>> ratio_counts(np.array([1, 2, 3, 10, 25]), np.array([0.8, 0.1, 0.1])).tolist()
        [[1, 0, 0], [1, 0, 1], [1, 1, 1], [8, 1, 1], [21, 2, 2]]
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    counts = np.floor(ratios[None, :] * sizes[:, None]).astype(np.int64)
    counts[:, 0] = sizes - counts[:, 1:].sum(axis=1)
    for i in range(1, ratios.shape[0]):  # over parts, not users
        share = ratios[-i] * sizes
        move = (counts[:, 0] > 1) & (share > 0) & (share < 1)
        counts[move, -i] += 1
        counts[move, 0] -= 1
    return counts


def _groups(group: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rank of each row within its group after sorting rows by ``order`` (group-major).

    Returns:
        ``rank`` per row (0-based), ``group_of_row`` (0..G-1 in sorted group order) and group sizes.
    """
    n = order.shape[0]
    sorted_group = group[order]
    start = np.ones(n, dtype=bool)
    start[1:] = sorted_group[1:] != sorted_group[:-1]
    starts = np.flatnonzero(start)
    sizes = np.diff(np.append(starts, n))
    gid_sorted = np.cumsum(start) - 1
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - starts[gid_sorted]
    gid = np.empty(n, dtype=np.int64)
    gid[order] = gid_sorted
    return rank, gid, sizes


def _part_of_rows(rank: np.ndarray, gid: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Part index (0 train, 1 valid, 2 test, ...) of each row from its rank and its group's counts."""
    bounds = np.cumsum(counts, axis=1)[gid]  # [n, P]
    return (rank[:, None] >= bounds[:, :-1]).sum(axis=1)


def _combine_reports(*logs: Interactions) -> list[StepReport]:
    """Reports of several inputs in order, each report object once."""
    out: list[StepReport] = []
    for inter in logs:
        out.extend(r for r in inter.reports if all(r is not s for s in out))
    return out


def _make_split(
    parts: dict[str, Interactions],
    base: list[StepReport],
    step: str,
    before: int,
    details: dict,
    unseen_counts: bool = True,
) -> InteractionSplit:
    """Attach the split report (with part sizes and cross-part checks) and build the split."""
    train = parts["train"]
    info: dict = {name: len(parts[name]) for name in _PARTS}
    info.update(details)
    for name in ("valid", "test"):
        for key, value in cross_part_counts(train, parts[name]).items():
            if unseen_counts or not key.startswith("unseen"):
                info[f"{name}_{key}"] = value
    after = sum(len(p) for p in parts.values())
    report = log_report(StepReport(step, before=before, after=after, removed=before - after, details=info))
    reports = [*base, report]
    for part in parts.values():
        part.reports[:] = reports
    return InteractionSplit(parts["train"], parts["valid"], parts["test"], reports=list(reports))


def _users_without(inter: Interactions, part: np.ndarray, index: int) -> int:
    """Active users with no row in part ``index``."""
    active = np.bincount(inter.user, minlength=inter.num_users) > 0
    has = np.bincount(inter.user[part == index], minlength=inter.num_users) > 0
    return int(np.count_nonzero(active & ~has))


def _ratio_split(
    inter: Interactions,
    ratios: np.ndarray,
    order_key: np.ndarray | None,
    per_user: bool,
    rng_key: np.ndarray | None,
) -> np.ndarray:
    """Part of each row for a ratio split.

    Rows are ranked within a group by ``order_key`` (stable), or, when it is None, by ``rng_key``,
    a random permutation of ``0..n-1``.
    """
    n = len(inter)
    group = inter.user if per_user else np.zeros(n, dtype=np.int64)
    if order_key is None:
        order = group_order(group, rng_key, max(inter.num_users, 1), key_is_permutation=True)
    else:
        order = group_order(group, order_key, max(inter.num_users, 1))
    rank, gid, sizes = _groups(group, order)
    return _part_of_rows(rank, gid, ratio_counts(sizes, ratios))


def _split_by_part(
    inter: Interactions, part: np.ndarray, step: str, extra: dict | None = None
) -> InteractionSplit:
    parts = {name: inter.select(part == i) for i, name in enumerate(_PARTS)}
    details = {
        "users_without_valid": _users_without(inter, part, 1),
        "users_without_test": _users_without(inter, part, 2),
        **(extra or {}),
    }
    return _make_split(parts, list(inter.reports), step, len(inter), details)


def random_split(
    inter: Interactions,
    ratios: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    per_user: bool = True,
) -> InteractionSplit:
    """Random ratio split into train / validation / test (RecBole ``RS``).

    With ``per_user=True`` each user's interactions are shuffled and cut by :func:`ratio_counts`,
    so every user keeps at least one training interaction and users with few interactions may have
    no validation/test interaction (counted in the report). With ``per_user=False`` the whole log is
    shuffled and cut once.

    Args:
        inter: Interactions.
        ratios: Train, validation and test ratios, all positive (normalized to sum to 1).
        seed: Seed of the :class:`numpy.random.Generator` that orders interactions.
        per_user: Split each user's interactions separately.

    Returns:
        The split; each part keeps the input's row order.

    Example:
        >>> inter = Interactions(user=[0] * 10, item=list(range(10)))
        >>> split = random_split(inter, seed=0)
        >>> len(split.train), len(split.valid), len(split.test)
        (8, 1, 1)
    """
    ratio = _check_ratios(ratios, _PARTS, "random_split")
    keys = np.random.default_rng(seed).permutation(len(inter))
    part = _ratio_split(inter, ratio, None, per_user, keys)
    step = f"random_split(ratios={tuple(float(r) for r in ratios)}, seed={seed}, per_user={per_user})"
    return _split_by_part(inter, part, step)


def temporal_split(
    inter: Interactions, ratios: Sequence[float] = (0.8, 0.1, 0.1), per_user: bool = True
) -> InteractionSplit:
    """Ratio split by time: the earliest interactions go to train, the latest to test.

    Uses the same counts as :func:`random_split` (:func:`ratio_counts`), ordering each user's (or,
    with ``per_user=False``, all) interactions by ``timestamp``; equal timestamps keep row order.

    Args:
        inter: Interactions with a ``timestamp`` column.
        ratios: Train, validation and test ratios, all positive.
        per_user: Split each user's history separately; otherwise one global time cut.

    Raises:
        ValueError: ``inter`` has no timestamps.

    Example:
        >>> inter = Interactions(user=[0] * 4, item=[0, 1, 2, 3], timestamp=[3, 1, 4, 2])
        >>> split = temporal_split(inter, (0.5, 0.25, 0.25))
        >>> split.train.item.tolist(), split.valid.item.tolist(), split.test.item.tolist()
        ([1, 3], [0], [2])
    """
    ratio = _check_ratios(ratios, _PARTS, "temporal_split")
    if inter.timestamp is None:
        raise ValueError(f"temporal_split: {inter.source} has no timestamp column; use random_split")
    part = _ratio_split(inter, ratio, inter.timestamp, per_user, None)
    step = f"temporal_split(ratios={tuple(float(r) for r in ratios)}, per_user={per_user})"
    return _split_by_part(inter, part, step)


def leave_one_out(inter: Interactions) -> InteractionSplit:
    """Leave-one-out: each user's last interaction is test, the second to last validation.

    The protocol of SASRec (Kang and McAuley 2018, ICDM) and the contrastive sequential models
    (CL4SRec, DuoRec, ICLRec). Order is by ``timestamp`` (ties keep row order), or row order when there
    is no timestamp (the report says which). As in SASRec, users with fewer than 3 interactions keep
    them all in train (RecBole would put one in test for 2); the report counts them.

    Args:
        inter: Interactions.

    Returns:
        The split.

    Example:
        >>> inter = Interactions(user=[0, 0, 0, 0, 1], item=[0, 1, 2, 3, 0], timestamp=[4, 1, 2, 3, 0])
        >>> split = leave_one_out(inter)
        >>> split.train.item.tolist(), split.valid.item.tolist(), split.test.item.tolist()
        ([1, 2, 0], [3], [0])
    """
    key = inter.timestamp  # None: row order
    order = group_order(inter.user, key, max(inter.num_users, 1))
    rank, gid, sizes = _groups(inter.user, order)
    long = sizes >= 3
    counts = np.stack(
        [np.where(long, sizes - 2, sizes), long.astype(np.int64), long.astype(np.int64)], axis=1
    )
    part = _part_of_rows(rank, gid, counts)
    extra = {
        "order": "row order (no timestamp)" if inter.timestamp is None else "timestamp",
        "users_with_fewer_than_3": int(np.count_nonzero(~long)),
    }
    return _split_by_part(inter, part, "leave_one_out()", extra)


def predefined(
    train: Interactions,
    test: Interactions,
    valid_ratio: float = 0.1,
    seed: int = 0,
    unseen: str = "drop",
) -> InteractionSplit:
    """A given train/test pair, with a validation part carved from train per user.

    Benchmarks such as LightGCN's gowalla/yelp2018/amazon-book ship only train and test; selecting
    epochs or hyper-parameters on test inflates results, so a random ``valid_ratio`` of each user's
    training interactions becomes the validation part (:func:`ratio_counts`: users with at least 2
    training interactions get at least one), drawn from items with other training interactions. An
    item's last training interaction is never carved (the report counts any kept back for this), so
    the remaining train covers exactly the users and items of the given train and the test set is
    judged as in the original protocol.
    Validation and test interactions whose user or item has no training interaction cannot be scored
    by an embedding model; ``unseen`` decides: ``"drop"`` removes them, ``"keep"`` keeps them. The
    report counts them either way.

    Args:
        train: Training interactions (e.g. from :func:`gcl.data.readers.read_lightgcn`).
        test: Test interactions in the same id space.
        valid_ratio: Fraction of each user's training interactions moved to validation, in (0, 1).
        seed: Seed for choosing the validation interactions.
        unseen: ``"drop"`` or ``"keep"`` validation/test interactions of users/items unseen in train.

    Raises:
        ValueError: Different id spaces, ``valid_ratio`` outside (0, 1) or an unknown ``unseen``.

    Example:
        >>> train = Interactions(user=[0] * 5 + [1] * 5, item=[0, 1, 2, 3, 4] * 2, item_ids=range(6))
        >>> test = Interactions(user=[0, 1], item=[2, 5], user_ids=train.user_ids, item_ids=train.item_ids)
        >>> split = predefined(train, test, valid_ratio=0.2, seed=0)  # item 5 is unseen in train
        >>> len(split.train), len(split.valid), len(split.test)
        (8, 2, 1)
    """
    if not train.same_id_space(test):
        raise ValueError(
            f"predefined: train ({train.source}) and test ({test.source}) must share one id space; read "
            "them together, e.g. read_lightgcn(train_path, test_path)"
        )
    if (
        isinstance(valid_ratio, bool)
        or not isinstance(valid_ratio, (int, float, np.floating))
        or not (0 < float(valid_ratio) < 1)
    ):
        raise ValueError(
            f"predefined: valid_ratio must lie in (0, 1) (validation always exists), got {valid_ratio!r}"
        )
    if unseen not in ("drop", "keep"):
        raise ValueError(f"predefined: unseen must be 'drop' or 'keep', got {unseen!r}")
    ratio = np.asarray([1.0 - float(valid_ratio), float(valid_ratio)])
    keys = np.random.default_rng(seed).permutation(len(train))
    # Within each user, interactions are ranked randomly with those of single-interaction items
    # first, so the carved (last-ranked) ones come from items that keep another training interaction.
    single = train.item_degree()[train.item] < 2
    part = _ratio_split(train, ratio, keys + len(train) * (~single), True, None)
    # Should every interaction of an item still be carved (e.g. both of a 2-interaction item), give
    # the first (by random key) back to train. Train then covers the same users (ratio_counts keeps
    # one per user) and items as the given train, so "unseen" means unseen in the given train.
    carved = np.flatnonzero(part == 1)
    all_carved = np.bincount(train.item[carved], minlength=train.num_items) == train.item_degree()
    at_risk = carved[all_carved[train.item[carved]]]
    at_risk = at_risk[group_order(train.item[at_risk], keys[at_risk], max(train.num_items, 1))]
    first = np.ones(at_risk.shape[0], dtype=bool)
    first[1:] = train.item[at_risk[1:]] != train.item[at_risk[:-1]]
    part[at_risk[first]] = 0
    new_train = train.select(part == 0)
    parts = {"train": new_train, "valid": train.select(part == 1), "test": test}
    udeg, ideg = new_train.user_degree(), new_train.item_degree()
    details: dict = {
        "unseen": unseen,
        "users_without_valid": _users_without(train, part, 1),
        "kept_in_train_for_item_coverage": int(np.count_nonzero(first)),
    }
    for name in ("valid", "test"):
        p = parts[name]
        cold_user, cold_item = udeg[p.user] == 0, ideg[p.item] == 0
        cold = cold_user | cold_item
        details[f"{name}_unseen_users"] = count_distinct(p.user[cold_user], p.num_users)
        details[f"{name}_unseen_items"] = count_distinct(p.item[cold_item], p.num_items)
        details[f"{name}_unseen_interactions"] = int(np.count_nonzero(cold))
        if unseen == "drop":
            parts[name] = p.select(~cold)
        elif name == "test":
            parts[name] = p.select(np.ones(len(p), dtype=bool))  # a fresh object: reports are rewritten
    step = f"predefined(valid_ratio={valid_ratio}, seed={seed}, unseen={unseen!r})"
    return _make_split(
        parts, _combine_reports(train, test), step, len(train) + len(test), details, unseen_counts=False
    )
