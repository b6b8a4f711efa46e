"""Filters over interaction logs: implicit feedback, de-duplication, k-core, cold users/items.

Each filter returns ``(filtered, report)``; the :class:`~gcl.data.report.StepReport` is also appended
to ``filtered.reports`` and logged on the ``gcl.data`` logger. With ``reindex=True`` users and items
left without interactions are removed from the id space and the rest renumbered contiguously (in
their previous order), with the maps to raw ids updated accordingly. Apply filters before splitting:
the parts of a split must share one id space.
"""

from __future__ import annotations

import math

import numpy as np

from gcl.data.interactions import Interactions, count_distinct, group_order
from gcl.data.report import StepReport, log_report

__all__ = ["deduplicate", "drop_cold", "kcore", "min_rating"]


def _active(inter: Interactions) -> tuple[int, int]:
    """Number of users and items with at least one interaction."""
    return (
        int(np.count_nonzero(np.bincount(inter.user, minlength=inter.num_users))),
        int(np.count_nonzero(np.bincount(inter.item, minlength=inter.num_items))),
    )


def _finish(
    inter: Interactions, keep: np.ndarray, step: str, details: dict, reindex: bool
) -> tuple[Interactions, StepReport]:
    """Select ``keep``, optionally compact the id space, and attach + log the report."""
    users0, items0 = _active(inter)
    out = inter.select(keep)
    if reindex:
        out = out.compact()
    users1, items1 = _active(out)
    report = StepReport(
        step,
        before=len(inter),
        after=len(out),
        removed=len(inter) - len(out),
        details={
            **details,
            "users_removed": users0 - users1,
            "items_removed": items0 - items1,
            "users": out.num_users,
            "items": out.num_items,
        },
    )
    out.reports.append(log_report(report))
    return out, report


def _check_reindex(reindex: bool) -> None:
    if not isinstance(reindex, (bool, np.bool_)):
        raise ValueError(f"reindex must be True or False, got {reindex!r}")


def min_rating(
    inter: Interactions, threshold: float, *, reindex: bool = True
) -> tuple[Interactions, StepReport]:
    """Keep interactions with ``rating >= threshold`` (explicit ratings -> implicit feedback).

    The usual protocol for MovieLens in implicit-feedback recommendation (e.g. He et al. 2017, WWW)
    keeps ratings of at least 4 (or any rating, threshold 0) as positives.

    Args:
        inter: Interactions with a ``rating`` column.
        threshold: Smallest rating kept.
        reindex: Drop users/items left without interactions from the id space.

    Returns:
        ``(filtered, report)``.

    Raises:
        ValueError: ``inter`` has no ratings or ``threshold`` is not a finite number.

    Example:
        >>> inter = Interactions(user=[0, 0, 1], item=[0, 1, 1], rating=[5.0, 2.0, 4.0])
        >>> out, report = min_rating(inter, 4)
        >>> out.user.tolist(), out.item.tolist(), out.item_ids.tolist()
        ([0, 1], [0, 1], [0, 1])
    """
    _check_reindex(reindex)
    if inter.rating is None:
        raise ValueError(f"min_rating: {inter.source} has no rating column; read it with a rating column")
    if not isinstance(threshold, (int, float, np.number)) or not math.isfinite(float(threshold)):
        raise ValueError(f"min_rating: threshold must be a finite number, got {threshold!r}")
    keep = inter.rating >= threshold
    return _finish(inter, keep, f"min_rating(threshold={threshold})", {}, reindex)


def deduplicate(
    inter: Interactions, keep: str = "last", *, reindex: bool = True
) -> tuple[Interactions, StepReport]:
    """Keep one interaction per (user, item) pair.

    Args:
        inter: Interactions.
        keep: ``"last"`` keeps the latest one (largest timestamp, ties broken by row order; row order
            when there is no timestamp), ``"first"`` the earliest.
        reindex: Compact the id space (only matters if it already had unused ids).

    Returns:
        ``(deduplicated, report)``; kept rows stay in their original order.

    Example:
        >>> inter = Interactions(user=[0, 0, 0], item=[1, 1, 0], timestamp=[5, 3, 4])
        >>> out, _ = deduplicate(inter, keep="last")
        >>> out.item.tolist(), out.timestamp.tolist()
        ([1, 0], [5, 4])
    """
    _check_reindex(reindex)
    if keep not in ("first", "last"):
        raise ValueError(f"deduplicate: keep must be 'first' or 'last', got {keep!r}")
    keys = inter.pair_keys()
    # sort by pair, then time (equal times keep row order), then row
    order = group_order(keys, inter.timestamp, max(inter.num_users * inter.num_items, 1))
    sorted_keys = keys[order]
    n = keys.shape[0]
    group_start = np.ones(n, dtype=bool)
    group_start[1:] = sorted_keys[1:] != sorted_keys[:-1]
    if keep == "first":
        pick = group_start
    else:  # last of each group: the row before the next group's start
        pick = np.ones(n, dtype=bool)
        pick[:-1] = group_start[1:]
    mask = np.zeros(n, dtype=bool)
    mask[order[pick]] = True
    sizes = np.diff(np.append(np.flatnonzero(group_start), n))
    details = {"keep": keep, "repeated_pairs": int(np.count_nonzero(sizes > 1))}
    return _finish(inter, mask, f"deduplicate(keep={keep!r})", details, reindex)


def kcore(
    inter: Interactions, user_k: int, item_k: int | None = None, *, reindex: bool = True
) -> tuple[Interactions, StepReport]:
    """The k-core: drop users with fewer than ``user_k`` and items with fewer than ``item_k`` interactions.

    Removing a user lowers item degrees and vice versa, so the filter repeats until a fixed point
    (each round is a vectorized ``bincount``). The result is the largest subset of interactions in
    which every remaining user and item meets its bound (the standard 5-/10-core preprocessing of
    e.g. Wang et al. 2019, SIGIR; RecBole's ``user_inter_num_interval``). Degrees count interactions,
    repeats included; call :func:`deduplicate` first to count distinct items.

    Args:
        inter: Interactions.
        user_k: Minimum interactions per user (0 or 1: no bound).
        item_k: Minimum interactions per item; defaults to ``user_k``.
        reindex: Drop removed users/items from the id space and renumber.

    Returns:
        ``(core, report)``; the report gives the number of removal rounds (``iterations``).

    Example:
        >>> inter = Interactions(user=[0, 0, 1, 1, 2], item=[0, 1, 0, 1, 2])
        >>> core, report = kcore(inter, 2)
        >>> core.user_ids.tolist(), core.item_ids.tolist(), len(core), report.details["iterations"]
        ([0, 1], [0, 1], 4, 1)
    """
    _check_reindex(reindex)
    item_k = user_k if item_k is None else item_k
    for name, k in (("user_k", user_k), ("item_k", item_k)):
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
            raise ValueError(f"kcore: {name} must be a non-negative integer, got {k!r}")
    idx = np.arange(len(inter), dtype=np.int64)
    user, item = inter.user, inter.item
    rounds = 0
    while idx.size:
        du = np.bincount(user, minlength=inter.num_users)
        di = np.bincount(item, minlength=inter.num_items)
        ok = (du[user] >= user_k) & (di[item] >= item_k)
        if ok.all():
            break
        rounds += 1
        idx, user, item = idx[ok], user[ok], item[ok]
    keep = np.zeros(len(inter), dtype=bool)
    keep[idx] = True
    step = f"kcore(user_k={user_k}, item_k={item_k})"
    return _finish(inter, keep, step, {"iterations": rounds}, reindex)


def drop_cold(
    inter: Interactions,
    reference: Interactions,
    *,
    users: bool = True,
    items: bool = True,
    reindex: bool = False,
) -> tuple[Interactions, StepReport]:
    """Drop interactions whose user and/or item never occurs in ``reference`` (e.g. the training set).

    Used to remove cold-start users/items from validation or test data when the model cannot embed
    them (:func:`gcl.data.splits.predefined` with ``unseen="drop"``).

    Args:
        inter: Interactions to filter (e.g. test), in the same id space as ``reference``.
        reference: The interactions that define "seen" (e.g. train).
        users: Drop interactions of users without interactions in ``reference``.
        items: Drop interactions of items without interactions in ``reference``.
        reindex: Compact the id space. Off by default, because the result usually has to keep
            sharing the id space with ``reference``.

    Returns:
        ``(filtered, report)``; the report counts the dropped interactions by cause and the distinct
        cold users and items.

    Raises:
        ValueError: ``inter`` and ``reference`` do not share an id space.

    Example:
        >>> train = Interactions(user=[0, 1], item=[0, 0], user_ids=[7, 8, 9], item_ids=[3, 4])
        >>> test = Interactions(user=[0, 2, 1], item=[1, 0, 0], user_ids=[7, 8, 9], item_ids=[3, 4])
        >>> out, report = drop_cold(test, train)
        >>> out.user.tolist(), report.details["cold_users"], report.details["cold_items"]
        ([1], 1, 1)
    """
    _check_reindex(reindex)
    if not inter.same_id_space(reference):
        raise ValueError(
            f"drop_cold: {inter.source} and the reference {reference.source} must share one id space "
            "(same user_ids and item_ids); read them together or filter before splitting"
        )
    cold_user = np.bincount(reference.user, minlength=reference.num_users)[inter.user] == 0
    cold_item = np.bincount(reference.item, minlength=reference.num_items)[inter.item] == 0
    drop = np.zeros(len(inter), dtype=bool)
    if users:
        drop |= cold_user
    if items:
        drop |= cold_item
    details = {
        "cold_user_interactions": int(np.count_nonzero(cold_user)),
        "cold_item_interactions": int(np.count_nonzero(cold_item)),
        "cold_users": count_distinct(inter.user[cold_user], inter.num_users),
        "cold_items": count_distinct(inter.item[cold_item], inter.num_items),
    }
    return _finish(inter, ~drop, f"drop_cold(users={users}, items={items})", details, reindex)
