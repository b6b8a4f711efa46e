"""The interaction log every recommender consumes: contiguous internal ids plus maps back to raw ids.

An :class:`Interactions` holds one row per (user, item) event with 0-based internal ids, optional
ratings and timestamps, and the raw id of every internal id (``user_ids[u]`` is the raw id of internal
user ``u``). The id space is the length of those maps, not the largest id that occurs, so the train,
validation and test parts of an :class:`InteractionSplit` share one id space and one embedding table.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from gcl.data.report import StepReport, log_report

__all__ = [
    "InteractionSplit",
    "Interactions",
    "UnknownIdError",
    "count_distinct",
    "cross_part_counts",
    "group_order",
    "isin_sorted",
    "sorted_unique",
]

_SHOW = 10  # how many offending ids/rows an error message lists


class UnknownIdError(KeyError, ValueError):
    """Raw ids that are not in an :class:`Interactions` id map.

    Subclasses both :class:`KeyError` (it is a failed look-up) and :class:`ValueError` (it is bad
    input), so either ``except`` clause catches it.

    Args:
        message: What was looked up and which ids are unknown.
        unknown: The unknown raw ids (all of them).
    """

    def __init__(self, message: str, unknown: np.ndarray) -> None:
        super().__init__(message)
        self.message = message
        self.unknown = unknown

    def __str__(self) -> str:
        return self.message


def _show(values: Any, limit: int = _SHOW) -> str:
    """Render up to ``limit`` values as a short list for error messages."""
    values = list(np.asarray(values, dtype=object).ravel()[: limit + 1])
    text = ", ".join(repr(v.item() if isinstance(v, np.generic) else v) for v in values[:limit])
    return f"[{text}{', ...' if len(values) > limit else ''}]"


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an int array (sort-based; faster than ``np.unique`` for large int64)."""
    out = np.sort(values)
    if out.size:
        keep = np.empty(out.shape[0], dtype=bool)
        keep[0] = True
        np.not_equal(out[1:], out[:-1], out=keep[1:])
        out = out[keep]
    return out


def count_distinct(ids: np.ndarray, size: int) -> int:
    """Number of distinct values of ``ids`` (ints in ``[0, size)``)."""
    return int(np.count_nonzero(np.bincount(ids, minlength=size)))


def isin_sorted(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """Boolean mask: which ``values`` occur in the sorted array ``sorted_set``."""
    if sorted_set.size == 0:
        return np.zeros(values.shape, dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_set, values), sorted_set.shape[0] - 1)
    return sorted_set[pos] == values


def group_order(
    group: np.ndarray, key: np.ndarray | None, group_bound: int, key_is_permutation: bool = False
) -> np.ndarray:
    """Permutation sorting rows by ``group``, then ``key``, then row position (a stable lexsort).

    Faster than ``np.lexsort`` on large arrays: ``key`` is replaced by its stable rank, and one
    argsort runs over the unique composite ``group * n + rank``.

    Args:
        group: Non-negative int group per row, shape ``[n]``, values below ``group_bound``.
        key: Sort key within a group, shape ``[n]``, or None for row order.
        group_bound: An upper bound on ``group`` values.
        key_is_permutation: ``key`` is a permutation of ``0..n-1`` (its own rank; saves a sort).
    """
    n = group.shape[0]
    if key is None:
        rank = np.arange(n, dtype=np.int64)
    elif key_is_permutation:
        rank = key.astype(np.int64, copy=False)
    else:
        rank = np.empty(n, dtype=np.int64)
        rank[np.argsort(key, kind="stable")] = np.arange(n, dtype=np.int64)
    if n == 0 or group_bound * n < 2**62:
        return np.argsort(group.astype(np.int64) * n + rank)
    return np.lexsort((rank, group))


def _readonly(array: np.ndarray) -> np.ndarray:
    """A read-only view of ``array`` (the caller's array keeps its own flags)."""
    view = array.view()
    view.setflags(write=False)
    return view


def _as_ids(name: str, values: Any) -> np.ndarray:
    """Validate an internal-id array and return it as read-only int64."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"Interactions: {name} must be 1-D, got shape {array.shape}")
    if array.size == 0:
        array = array.astype(np.int64)
    if not np.issubdtype(array.dtype, np.integer) or array.dtype == np.bool_:
        raise ValueError(
            f"Interactions: {name} must be an integer array of internal ids, got dtype {array.dtype}; "
            "use gcl.data.readers.from_dataframe to map raw ids"
        )
    return _readonly(array.astype(np.int64, copy=False))


def _as_values(name: str, values: Any, n: int) -> np.ndarray | None:
    """Validate an optional numeric column (rating, timestamp)."""
    if values is None:
        return None
    array = np.asarray(values)
    if array.ndim != 1 or array.shape[0] != n:
        raise ValueError(
            f"Interactions: {name} must be 1-D with {n} entries (one per interaction), "
            f"got shape {array.shape}"
        )
    if array.size == 0 and not np.issubdtype(array.dtype, np.number):
        array = array.astype(np.float64)
    if not np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_:
        raise ValueError(f"Interactions: {name} must be numeric, got dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.floating):
        bad = np.flatnonzero(~np.isfinite(array))
        if bad.size:
            raise ValueError(
                f"Interactions: {name} has {bad.size} NaN/inf value(s), first at interaction "
                f"{bad[0]}: {_show(array[bad])}"
            )
    return _readonly(array)


def _as_map(name: str, values: Any, used_max: int) -> np.ndarray:
    """Validate a raw-id map (``user_ids``/``item_ids``); default: identity over the used ids."""
    if values is None:
        return _readonly(np.arange(used_max + 1, dtype=np.int64))
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"Interactions: {name} must be 1-D, got shape {array.shape}")
    if array.size > 1:
        try:
            uniq = pd.unique(array)
        except TypeError:  # unhashable raw ids
            raise ValueError(f"Interactions: {name} must hold hashable raw ids") from None
        if len(uniq) != array.size:
            counts = pd.Series(array).value_counts()
            raise ValueError(
                f"Interactions: {name} must not repeat raw ids, but {_show(counts.index[counts > 1])} "
                "appear more than once"
            )
    return _readonly(array)


@dataclass(frozen=True, eq=False)
class Interactions:
    """An interaction log with contiguous 0-based internal ids.

    Arrays are stored as read-only views (not copies: do not modify arrays after passing them in);
    "modifying" methods (:meth:`select`, :meth:`compact`, filters and splits) return new objects that
    share unchanged arrays. ``csr()`` and the raw-id look-up tables are cached per object.

    Args:
        user: Internal user id per interaction, shape ``[n]``, values in ``[0, num_users)``.
        item: Internal item id per interaction, shape ``[n]``, values in ``[0, num_items)``.
        rating: Optional rating per interaction, shape ``[n]``, numeric, no NaN.
        timestamp: Optional time (or order key) per interaction, shape ``[n]``, numeric, no NaN.
        user_ids: Raw id of each internal user, shape ``[num_users]``, no repeats. Default: the
            identity map ``0..user.max()``.
        item_ids: Raw id of each internal item, shape ``[num_items]``, no repeats. Default: identity.
        source: Where the data came from (file path or description), used in messages.
        reports: The preprocessing steps applied so far, oldest first.

    Example:
        >>> inter = Interactions(user=[0, 0, 1], item=[1, 2, 0], user_ids=["ann", "bob"],
        ...                      item_ids=[10, 20, 30])
        >>> inter.num_users, inter.num_items, len(inter)
        (2, 3, 3)
        >>> inter.user_index(["bob"]).tolist()
        [1]
        >>> inter.csr().toarray().astype(int).tolist()
        [[0, 1, 1], [1, 0, 0]]
    """

    user: np.ndarray
    item: np.ndarray
    rating: np.ndarray | None = None
    timestamp: np.ndarray | None = None
    user_ids: np.ndarray | None = None
    item_ids: np.ndarray | None = None
    source: str = "arrays"
    reports: list[StepReport] = field(default_factory=list)
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        user = _as_ids("user", self.user)
        item = _as_ids("item", self.item)
        if user.shape != item.shape:
            raise ValueError(
                f"Interactions: user and item must have the same length, got {user.shape[0]} and "
                f"{item.shape[0]}"
            )
        n = user.shape[0]
        umax = int(user.max()) if n else -1
        imax = int(item.max()) if n else -1
        user_ids = _as_map("user_ids", self.user_ids, umax)
        item_ids = _as_map("item_ids", self.item_ids, imax)
        for name, ids, id_map in (("user", user, user_ids), ("item", item, item_ids)):
            if n and (ids.min() < 0 or ids.max() >= id_map.shape[0]):
                bad = ids[(ids < 0) | (ids >= id_map.shape[0])]
                raise ValueError(
                    f"Interactions: internal {name} ids must lie in [0, {id_map.shape[0]}) (the length "
                    f"of {name}_ids), got {_show(bad)}"
                )
        set_ = object.__setattr__
        set_(self, "user", user)
        set_(self, "item", item)
        set_(self, "user_ids", user_ids)
        set_(self, "item_ids", item_ids)
        set_(self, "rating", _as_values("rating", self.rating, n))
        set_(self, "timestamp", _as_values("timestamp", self.timestamp, n))
        set_(self, "source", str(self.source))
        set_(self, "reports", list(self.reports))

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_cache"] = {}  # matrices and look-up tables are rebuilt on demand, not pickled
        return state

    # ------------------------------------------------------------------ sizes
    @property
    def num_users(self) -> int:
        """Size of the user id space (``len(user_ids)``), including users without interactions."""
        return int(self.user_ids.shape[0])

    @property
    def num_items(self) -> int:
        """Size of the item id space (``len(item_ids)``), including items without interactions."""
        return int(self.item_ids.shape[0])

    def __len__(self) -> int:
        return int(self.user.shape[0])

    def __repr__(self) -> str:
        extras = [name for name in ("rating", "timestamp") if getattr(self, name) is not None]
        return (
            f"Interactions(source={self.source!r}, users={self.num_users:,}, items={self.num_items:,}, "
            f"interactions={len(self):,}, columns={['user', 'item', *extras]})"
        )

    # ------------------------------------------------------------------ matrices and stats
    def user_degree(self) -> np.ndarray:
        """Interactions per internal user, shape ``[num_users]`` (repeats counted)."""
        return np.bincount(self.user, minlength=self.num_users)

    def item_degree(self) -> np.ndarray:
        """Interactions per internal item, shape ``[num_items]`` (repeats counted)."""
        return np.bincount(self.item, minlength=self.num_items)

    def pair_keys(self) -> np.ndarray:
        """One int64 key per interaction, ``user * num_items + item`` (equal keys = same pair)."""
        return self.user * np.int64(self.num_items) + self.item

    def _sorted_pair_keys(self) -> np.ndarray:
        """Sorted distinct :meth:`pair_keys` (cached)."""
        if "pair_keys" not in self._cache:
            keys = sorted_unique(self.pair_keys())
            keys.setflags(write=False)
            self._cache["pair_keys"] = keys
        return self._cache["pair_keys"]

    def csr(self, weighted: bool = False) -> sp.csr_matrix:
        """User-item matrix, shape ``[num_users, num_items]``, float32, cached and read-only.

        Args:
            weighted: If False, a binary matrix (repeated pairs count once). If True, the sum of
                ``rating`` over repeated pairs, or the number of repeats when there is no rating.

        Returns:
            A CSR matrix in canonical format (sorted indices, no duplicates). Its arrays are
            read-only because the matrix is shared by later calls; copy it to modify it.
        """
        key = f"csr_weighted={bool(weighted)}"
        if key not in self._cache:
            shape = (self.num_users, self.num_items)
            if weighted:
                data = np.ones(len(self), np.float32) if self.rating is None else self.rating
                mat = sp.coo_matrix((data.astype(np.float32), (self.user, self.item)), shape=shape).tocsr()
                mat.sum_duplicates()
                mat.sort_indices()
            else:
                keys = self._sorted_pair_keys()
                rows = keys // max(self.num_items, 1)
                indptr = np.zeros(self.num_users + 1, dtype=np.int64)
                np.cumsum(np.bincount(rows, minlength=self.num_users), out=indptr[1:])
                cols = keys - rows * self.num_items
                mat = sp.csr_matrix((np.ones(keys.shape[0], np.float32), cols, indptr), shape=shape)
                mat.has_canonical_format = True
            for array in (mat.data, mat.indices, mat.indptr):
                array.setflags(write=False)
            self._cache[key] = mat
        return self._cache[key]

    def stats(self) -> dict[str, Any]:
        """Summary statistics (plain Python numbers).

        Returns:
            ``users``/``items`` (id-space sizes), ``interactions``, ``density``
            (interactions / (users * items)), ``active_users``/``active_items`` (with at least one
            interaction), ``unique_pairs``, ``duplicate_interactions``, min/mean/median/max degree of
            active users and items, ``has_rating``, ``has_timestamp`` and ``source``.
        """
        udeg, ideg = self.user_degree(), self.item_degree()
        unique_pairs = int(self.csr().nnz)
        out: dict[str, Any] = {
            "source": self.source,
            "users": self.num_users,
            "items": self.num_items,
            "interactions": len(self),
            "density": len(self) / (self.num_users * self.num_items)
            if self.num_users * self.num_items
            else 0.0,
            "active_users": int(np.count_nonzero(udeg)),
            "active_items": int(np.count_nonzero(ideg)),
            "unique_pairs": unique_pairs,
            "duplicate_interactions": len(self) - unique_pairs,
        }
        for name, deg in (("user", udeg[udeg > 0]), ("item", ideg[ideg > 0])):
            empty = deg.size == 0
            out[f"{name}_degree_min"] = 0 if empty else int(deg.min())
            out[f"{name}_degree_mean"] = 0.0 if empty else float(deg.mean())
            out[f"{name}_degree_median"] = 0.0 if empty else float(np.median(deg))
            out[f"{name}_degree_max"] = 0 if empty else int(deg.max())
        out["has_rating"] = self.rating is not None
        out["has_timestamp"] = self.timestamp is not None
        return out

    def to_frame(self, raw: bool = True) -> pd.DataFrame:
        """The log as a DataFrame with columns ``user``, ``item`` and, if present, ``rating``, ``timestamp``.

        Args:
            raw: Report raw ids (through ``user_ids``/``item_ids``) if True, internal ids if False.
        """
        cols: dict[str, np.ndarray] = {
            "user": self.user_ids[self.user] if raw else self.user.copy(),
            "item": self.item_ids[self.item] if raw else self.item.copy(),
        }
        if self.rating is not None:
            cols["rating"] = self.rating.copy()
        if self.timestamp is not None:
            cols["timestamp"] = self.timestamp.copy()
        return pd.DataFrame(cols)

    # ------------------------------------------------------------------ raw <-> internal ids
    def _lookup(self, kind: str, raw_ids: Any) -> np.ndarray | int:
        id_map = self.user_ids if kind == "user" else self.item_ids
        as_object = id_map.dtype == object and not isinstance(raw_ids, np.ndarray)
        query = np.asarray(raw_ids, dtype=object if as_object else None)  # keep mixed raw ids as they are
        scalar = query.ndim == 0
        flat = query.reshape(-1)
        key = f"index_{kind}"
        if key not in self._cache:
            self._cache[key] = pd.Index(id_map)  # hash table over the (unique) raw ids
        try:
            idx = self._cache[key].get_indexer(flat).astype(np.int64, copy=False)
        except TypeError:  # unhashable query values
            idx = np.full(flat.shape, -1, dtype=np.int64)
        missing = idx < 0
        if missing.any():
            unknown = flat[missing]
            raise UnknownIdError(
                f"{self.source}: {unknown.size} of {flat.size} raw {kind} id(s) are not among the "
                f"{id_map.shape[0]:,} known {kind} ids (raw ids have dtype {id_map.dtype}): unknown "
                f"{_show(unknown)}",
                unknown,
            )
        return int(idx[0]) if scalar else idx.reshape(query.shape)

    def user_index(self, raw_ids: Any) -> np.ndarray | int:
        """Internal ids of raw user ids (vectorized; a scalar gives an ``int``).

        Raises:
            UnknownIdError: Listing the raw ids that are not in ``user_ids``.
        """
        return self._lookup("user", raw_ids)

    def item_index(self, raw_ids: Any) -> np.ndarray | int:
        """Internal ids of raw item ids (vectorized; a scalar gives an ``int``).

        Raises:
            UnknownIdError: Listing the raw ids that are not in ``item_ids``.
        """
        return self._lookup("item", raw_ids)

    # ------------------------------------------------------------------ derived logs
    def replace(self, **changes: Any) -> Interactions:
        """A copy with some fields replaced (validated again); the cache is not carried over."""
        return dataclasses.replace(self, **changes)

    def select(self, mask: Any) -> Interactions:
        """The interactions picked by a boolean mask or an index array, in the same id space.

        Args:
            mask: Boolean array of shape ``[n]`` or integer positions.
        """
        sel = np.asarray(mask)
        if sel.dtype == np.bool_:
            if sel.shape != (len(self),):
                raise ValueError(
                    f"Interactions.select: boolean mask must have shape ({len(self)},), got {sel.shape}"
                )
        elif sel.size == 0:
            sel = sel.astype(np.int64)
        elif not np.issubdtype(sel.dtype, np.integer):
            raise ValueError(
                f"Interactions.select: expected a boolean mask or integer positions, got {sel.dtype}"
            )
        return Interactions(
            user=self.user[sel],
            item=self.item[sel],
            rating=None if self.rating is None else self.rating[sel],
            timestamp=None if self.timestamp is None else self.timestamp[sel],
            user_ids=self.user_ids,
            item_ids=self.item_ids,
            source=self.source,
            reports=list(self.reports),
        )

    def compact(self) -> Interactions:
        """Drop users and items without interactions from the id space and renumber contiguously.

        Relative order of the remaining ids is kept, so sorted raw-id maps stay sorted.
        """
        used_u = np.zeros(self.num_users, dtype=bool)
        used_u[self.user] = True
        used_i = np.zeros(self.num_items, dtype=bool)
        used_i[self.item] = True
        if used_u.all() and used_i.all():
            return self
        new_u = np.cumsum(used_u) - 1
        new_i = np.cumsum(used_i) - 1
        return self.replace(
            user=new_u[self.user],
            item=new_i[self.item],
            user_ids=self.user_ids[used_u],
            item_ids=self.item_ids[used_i],
        )

    def same_id_space(self, other: Interactions) -> bool:
        """True if ``other`` uses the same user and item maps (so internal ids are comparable)."""
        return _same_map(self.user_ids, other.user_ids) and _same_map(self.item_ids, other.item_ids)


def _same_map(a: np.ndarray, b: np.ndarray) -> bool:
    """True if two raw-id maps are equal (cheap when they are views of the same memory)."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if a is b or (a.ctypes.data == b.ctypes.data and a.strides == b.strides):
        return True
    return bool(np.array_equal(a, b))


def cross_part_counts(train: Interactions, part: Interactions) -> dict[str, int]:
    """How ``part`` (validation or test) relates to ``train`` in the same id space.

    Returns:
        ``unseen_user_interactions`` / ``unseen_item_interactions``: interactions of ``part`` whose
        user / item has no interaction in ``train``; ``pairs_in_train``: interactions of ``part`` whose
        (user, item) pair also occurs in ``train`` (these can never be hit when training items are
        masked at evaluation).
    """
    udeg, ideg = train.user_degree(), train.item_degree()
    return {
        "unseen_user_interactions": int(np.count_nonzero(udeg[part.user] == 0)),
        "unseen_item_interactions": int(np.count_nonzero(ideg[part.item] == 0)),
        "pairs_in_train": int(np.count_nonzero(isin_sorted(part.pair_keys(), train._sorted_pair_keys()))),
    }


@dataclass
class InteractionSplit:
    """Train / validation / test parts of one interaction log, sharing one id space.

    Model selection uses ``valid``; ``test`` is only for the final number. ``reports`` holds the
    preprocessing history including the split step itself.

    Args:
        train: Training interactions.
        valid: Validation interactions (always present, possibly empty for some users).
        test: Test interactions.
        reports: Steps applied, oldest first (the split's own report last).
    """

    train: Interactions
    valid: Interactions
    test: Interactions
    reports: list[StepReport] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in ("valid", "test"):
            part = getattr(self, name)
            if not self.train.same_id_space(part):
                raise ValueError(
                    f"InteractionSplit: train and {name} must share one id space (same user_ids and "
                    f"item_ids), got {self.train.num_users}x{self.train.num_items} and "
                    f"{part.num_users}x{part.num_items}"
                )

    @property
    def num_users(self) -> int:
        """Size of the shared user id space."""
        return self.train.num_users

    @property
    def num_items(self) -> int:
        """Size of the shared item id space."""
        return self.train.num_items

    def parts(self) -> dict[str, Interactions]:
        """``{"train": ..., "valid": ..., "test": ...}``."""
        return {"train": self.train, "valid": self.valid, "test": self.test}

    def refit(self) -> InteractionSplit:
        """The split for a final refit: validation merged into train, an empty validation part, test as is.

        Use it after model selection, to train the selected configuration for the selected number of
        epochs on every training interaction (as the published protocols that have no validation set do);
        the test part stays untouched and is still read once. The merge is reported.

        Returns:
            A new :class:`InteractionSplit` in the same id space, its ``reports`` ending with ``refit``.
        """
        train, valid = self.train, self.valid

        def both(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
            return None if a is None or b is None else np.concatenate([a, b])

        merged = train.replace(
            user=np.concatenate([train.user, valid.user]),
            item=np.concatenate([train.item, valid.item]),
            rating=both(train.rating, valid.rating),
            timestamp=both(train.timestamp, valid.timestamp),
        )
        parts = len(train) + len(valid) + len(self.test)
        report = log_report(
            StepReport(
                "refit(validation merged into train)",
                before=parts,
                after=parts,
                removed=0,
                details={"train": len(train), "valid_merged": len(valid), "train_after": len(merged)},
            )
        )
        return InteractionSplit(
            merged, valid.select(np.zeros(0, dtype=np.int64)), self.test, [*self.reports, report]
        )

    def stats(self) -> dict[str, Any]:
        """Per-part statistics plus cross-part checks.

        Returns:
            ``users``, ``items``, ``train``/``valid``/``test`` (each :meth:`Interactions.stats`), and for
            ``valid`` and ``test``: interactions whose user / item never occurs in train
            (``<part>_unseen_user_interactions``, ``<part>_unseen_item_interactions``) and (user, item)
            pairs that also occur in train (``<part>_pairs_in_train``).
        """
        out: dict[str, Any] = {"users": self.num_users, "items": self.num_items}
        for name, part in self.parts().items():
            out[name] = part.stats()
        for name in ("valid", "test"):
            for key, value in cross_part_counts(self.train, getattr(self, name)).items():
                out[f"{name}_{key}"] = value
        return out

    def summary(self) -> str:
        """A few human lines: id space, size of each part, cross-part checks and the step history."""
        st = self.stats()
        lines = [
            f"InteractionSplit of {self.train.source}: {self.num_users:,} users, {self.num_items:,} items"
        ]
        for name in ("train", "valid", "test"):
            s = st[name]
            lines.append(
                f"  {name:<5} {s['interactions']:>12,} interactions, {s['active_users']:,} users, "
                f"{s['active_items']:,} items"
            )
        for name in ("valid", "test"):
            lines.append(
                f"  {name}: {st[f'{name}_unseen_user_interactions']:,} interactions of users unseen in "
                f"train, {st[f'{name}_unseen_item_interactions']:,} of items unseen in train, "
                f"{st[f'{name}_pairs_in_train']:,} (user, item) pairs also in train"
            )
        if self.reports:
            lines.append("  steps:")
            lines.extend(f"    {report}" for report in self.reports)
        return "\n".join(lines)
