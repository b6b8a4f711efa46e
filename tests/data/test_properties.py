"""Property tests (hypothesis) for the interaction-log data layer."""

import itertools
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from gcl.data.filters import deduplicate, kcore
from gcl.data.interactions import Interactions
from gcl.data.readers import from_dataframe, read_lightgcn, read_sequences
from gcl.data.splits import leave_one_out, predefined, random_split, ratio_counts, temporal_split

SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def logs(draw, max_rows: int = 40, max_id: int = 6) -> Interactions:
    """Small logs with a sparse id space; ``rating`` holds the row number so rows can be traced."""
    n = draw(st.integers(0, max_rows))
    ids = st.lists(st.integers(0, max_id), min_size=n, max_size=n)
    user, item = draw(ids), draw(ids)
    times = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
    return Interactions(
        user=np.asarray(user, dtype=np.int64),
        item=np.asarray(item, dtype=np.int64),
        rating=np.arange(n, dtype=np.float64),
        timestamp=np.asarray(times, dtype=np.int64),
        user_ids=[f"u{i}" for i in range(max_id + 1)],
        item_ids=np.arange(max_id + 1) * 10 + 3,
    )


def row_ids(inter: Interactions) -> list[int]:
    return inter.rating.astype(int).tolist()


def assert_partition(split, n: int) -> None:
    rows = [row_ids(part) for part in (split.train, split.valid, split.test)]
    everything = sorted(rows[0] + rows[1] + rows[2])
    assert everything == list(range(n))  # every row in exactly one part: no interaction in two splits
    assert split.train.same_id_space(split.valid) and split.train.same_id_space(split.test)


# ------------------------------------------------------------------ id maps
raw_id_columns = st.one_of(
    st.lists(st.integers(-(10**12), 10**12), min_size=1, max_size=30),
    st.lists(st.text(min_size=1, max_size=4), min_size=1, max_size=30),
)


@SETTINGS
@given(raw_id_columns, st.data())
def test_raw_ids_round_trip_through_maps(users, data):
    items = data.draw(st.lists(st.integers(0, 50), min_size=len(users), max_size=len(users)))
    df = pd.DataFrame({"user": pd.Series(users, dtype=object), "item": items})
    inter = from_dataframe(df)
    back = inter.to_frame()
    assert back["user"].tolist() == users and back["item"].tolist() == items
    assert inter.user_index(np.asarray(users, dtype=object)).tolist() == inter.user.tolist()
    assert inter.item_index(items).tolist() == inter.item.tolist()
    assert inter.num_users == len(set(users)) and inter.num_items == len(set(items))
    assert list(inter.user_ids) == sorted(set(users))  # internal ids follow sorted raw ids
    compact = inter.select(inter.user != 0).compact()
    assert compact.to_frame().equals(inter.select(inter.user != 0).to_frame())


@SETTINGS
@given(
    st.dictionaries(
        st.integers(0, 10**6), st.lists(st.integers(0, 10**9), max_size=12), min_size=1, max_size=15
    ),
    st.sampled_from([" ", "\t", "  "]),
    st.sampled_from(["\n", "\r\n"]),
)
def test_line_readers_match_reference(lines, sep, newline):
    text = newline.join(sep.join(map(str, [u, *items])) for u, items in lines.items()) + newline
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.txt"
        path.write_text(text, newline="")
        inter = read_lightgcn(path)
        seq = read_sequences(path)
    users = [u for u, items in lines.items() for _ in items]
    items = [i for its in lines.values() for i in its]
    assert inter.user_ids[inter.user].tolist() == users
    assert inter.item_ids[inter.item].tolist() == items
    assert inter.user_ids.tolist() == sorted(lines)  # users without items keep their id
    assert seq.timestamp.tolist() == [p for its in lines.values() for p in range(len(its))]
    if sorted(lines) == list(range(len(lines))):
        assert np.array_equal(inter.user_ids, np.arange(len(lines)))  # internal == raw


# ------------------------------------------------------------------ splits
@SETTINGS
@given(logs(), st.integers(0, 2**31), st.booleans())
def test_random_split_partitions(inter, seed, per_user):
    split = random_split(inter, (0.6, 0.2, 0.2), seed=seed, per_user=per_user)
    assert_partition(split, len(inter))
    if per_user:
        sizes = np.bincount(inter.user, minlength=inter.num_users)
        active = sizes > 0
        counts = ratio_counts(sizes[active], np.array([0.6, 0.2, 0.2]))
        for j, part in enumerate((split.train, split.valid, split.test)):
            got = np.bincount(part.user, minlength=inter.num_users)[active]
            assert got.tolist() == counts[:, j].tolist()
        assert (np.bincount(split.train.user, minlength=inter.num_users)[active] >= 1).all()


@SETTINGS
@given(logs(), st.booleans())
def test_temporal_split_partitions_and_orders(inter, per_user):
    split = temporal_split(inter, (0.5, 0.25, 0.25), per_user=per_user)
    assert_partition(split, len(inter))
    if per_user:
        for u in np.unique(inter.user):  # slow check: each user's train precedes its valid precedes test
            times = [p.timestamp[p.user == u] for p in (split.train, split.valid, split.test)]
            present = [t for t in times if t.size]
            for earlier, later in itertools.pairwise(present):
                assert earlier.max() <= later.min()


@SETTINGS
@given(logs())
def test_leave_one_out_partitions(inter):
    split = leave_one_out(inter)
    assert_partition(split, len(inter))
    sizes = np.bincount(inter.user, minlength=inter.num_users)
    for part in (split.valid, split.test):
        assert np.bincount(part.user, minlength=inter.num_users).tolist() == (sizes >= 3).astype(int).tolist()


@SETTINGS
@given(logs(), logs(), st.integers(0, 1000), st.sampled_from(["drop", "keep"]))
def test_predefined_partitions_train_and_applies_policy(train, test, seed, unseen):
    split = predefined(train, test, valid_ratio=0.3, seed=seed, unseen=unseen)
    train_rows = sorted(row_ids(split.train) + row_ids(split.valid))
    assert train_rows == list(range(len(train)))
    # every item and user of the given train keeps a training interaction
    assert ((split.train.item_degree() > 0) == (train.item_degree() > 0)).all()
    assert ((split.train.user_degree() > 0) == (train.user_degree() > 0)).all()
    report = split.reports[-1]
    if unseen == "keep":
        assert row_ids(split.test) == row_ids(test)
    else:
        assert set(row_ids(split.test)) <= set(row_ids(test))
        assert len(test) - len(split.test) == report.removed == report.details["test_unseen_interactions"]
        assert split.stats()["test_unseen_user_interactions"] == 0
        assert split.stats()["test_unseen_item_interactions"] == 0


# ------------------------------------------------------------------ filters
def naive_kcore(user: list[int], item: list[int], uk: int, ik: int) -> list[int]:
    rows = list(range(len(user)))
    while True:
        du, di = {}, {}
        for r in rows:
            du[user[r]] = du.get(user[r], 0) + 1
            di[item[r]] = di.get(item[r], 0) + 1
        keep = [r for r in rows if du[user[r]] >= uk and di[item[r]] >= ik]
        if keep == rows:
            return rows
        rows = keep


@SETTINGS
@given(logs(max_rows=60), st.integers(0, 4), st.integers(0, 4), st.booleans())
def test_kcore_degree_bounds_and_maximality(inter, uk, ik, reindex):
    core, report = kcore(inter, uk, ik, reindex=reindex)
    udeg, ideg = core.user_degree(), core.item_degree()
    assert (udeg[udeg > 0] >= uk).all() and (ideg[ideg > 0] >= ik).all()
    assert row_ids(core) == naive_kcore(inter.user.tolist(), inter.item.tolist(), uk, ik)
    assert kcore(core, uk, ik)[1].removed == 0  # a fixed point
    assert report.removed == len(inter) - len(core)
    if reindex:
        assert (udeg > 0).all() and (ideg > 0).all()
    # raw ids survive re-indexing
    kept = inter.to_frame().iloc[row_ids(core)].reset_index(drop=True)
    assert core.to_frame().equals(kept)


@SETTINGS
@given(logs(), st.sampled_from(["first", "last"]))
def test_deduplicate_keeps_one_row_per_pair(inter, keep):
    out, _ = deduplicate(inter, keep=keep)
    pairs = list(zip(out.user_ids[out.user].tolist(), out.item_ids[out.item].tolist()))
    assert len(pairs) == len(set(pairs))
    assert set(pairs) == set(zip(inter.user_ids[inter.user].tolist(), inter.item_ids[inter.item].tolist()))
    for (u, i), t in zip(pairs, out.timestamp.tolist()):
        times = inter.timestamp[(inter.user_ids[inter.user] == u) & (inter.item_ids[inter.item] == i)]
        assert t == (times.max() if keep == "last" else times.min())
