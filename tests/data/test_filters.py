import logging

import numpy as np
import pytest

from gcl.data.filters import deduplicate, drop_cold, kcore, min_rating
from gcl.data.interactions import Interactions


def chain() -> Interactions:
    # a: 100 101 102 | b: 100 101 | c: 100 103 | d: 103 -- the 2-core needs three removal rounds
    return Interactions(
        user=[0, 0, 0, 1, 1, 2, 2, 3],
        item=[0, 1, 2, 0, 1, 0, 3, 3],
        user_ids=["a", "b", "c", "d"],
        item_ids=[100, 101, 102, 103],
        source="chain",
    )


# ------------------------------------------------------------------ min_rating
def test_min_rating_exact_and_reindexed():
    inter = Interactions(
        user=[0, 0, 1, 2],
        item=[0, 1, 1, 2],
        rating=[5.0, 2.0, 4.0, 3.0],
        user_ids=[7, 8, 9],
        item_ids=["x", "y", "z"],
    )
    out, report = min_rating(inter, 4)
    assert out.user.tolist() == [0, 1] and out.item.tolist() == [0, 1]
    assert out.user_ids.tolist() == [7, 8] and out.item_ids.tolist() == ["x", "y"]
    assert out.rating.tolist() == [5.0, 4.0]
    assert (report.before, report.after, report.removed) == (4, 2, 2)
    assert report.details == {"users_removed": 1, "items_removed": 1, "users": 2, "items": 2}
    assert out.reports[-1] is report and inter.reports == []
    assert str(report) == (
        "min_rating(threshold=4): removed 2 of 4 interactions (50%; users_removed=1; items_removed=1; "
        "users=2; items=2)"
    )
    kept, _ = min_rating(inter, 4, reindex=False)
    assert kept.same_id_space(inter) and kept.user.tolist() == [0, 1]


def test_min_rating_errors():
    with pytest.raises(ValueError, match="min_rating: arrays has no rating column"):
        min_rating(Interactions(user=[0], item=[0]), 1)
    inter = Interactions(user=[0], item=[0], rating=[1.0])
    with pytest.raises(ValueError, match="threshold must be a finite number, got nan"):
        min_rating(inter, float("nan"))
    with pytest.raises(ValueError, match="reindex must be True or False"):
        min_rating(inter, 1, reindex="yes")


# ------------------------------------------------------------------ deduplicate
def test_deduplicate_by_time_and_row_order():
    inter = Interactions(user=[0, 0, 0, 1, 0], item=[1, 1, 0, 1, 1], timestamp=[5, 3, 4, 1, 5])
    last, report = deduplicate(inter, keep="last")
    # pair (0, 1) at times 5, 3, 5: the latest time wins, ties go to the later row (row 4)
    assert last.timestamp.tolist() == [4, 1, 5]
    assert last.item.tolist() == [0, 1, 1] and last.user.tolist() == [0, 1, 0]
    assert report.details["repeated_pairs"] == 1 and report.removed == 2
    first, _ = deduplicate(inter, keep="first")
    assert first.timestamp.tolist() == [3, 4, 1]  # rows 1, 2, 3
    plain = Interactions(user=[0, 0, 1, 0], item=[2, 2, 2, 2], rating=[1.0, 2.0, 3.0, 4.0])
    assert deduplicate(plain, keep="last")[0].rating.tolist() == [3.0, 4.0]
    assert deduplicate(plain, keep="first")[0].rating.tolist() == [1.0, 3.0]
    with pytest.raises(ValueError, match="keep must be 'first' or 'last', got 'max'"):
        deduplicate(plain, keep="max")


def test_deduplicate_empty():
    out, report = deduplicate(Interactions(user=[], item=[]))
    assert len(out) == 0 and report.removed == 0


# ------------------------------------------------------------------ kcore
def test_kcore_iterates_to_fixed_point():
    out, report = kcore(chain(), 2)
    assert out.user_ids.tolist() == ["a", "b"] and out.item_ids.tolist() == [100, 101]
    assert out.user.tolist() == [0, 0, 1, 1] and out.item.tolist() == [0, 1, 0, 1]
    assert report.details == {"iterations": 3, "users_removed": 2, "items_removed": 2, "users": 2, "items": 2}
    assert str(report) == (
        "kcore(user_k=2, item_k=2): removed 4 of 8 interactions (50%; iterations=3; users_removed=2; "
        "items_removed=2; users=2; items=2)"
    )
    same_space, _ = kcore(chain(), 2, reindex=False)
    assert same_space.same_id_space(chain())
    assert same_space.to_frame().equals(out.to_frame())


def test_kcore_separate_bounds_and_noop():
    only_users, report = kcore(chain(), 3, 0)
    assert only_users.user_ids.tolist() == ["a"] and len(only_users) == 3
    assert report.details["iterations"] == 1
    same, report = kcore(chain(), 1)
    assert len(same) == 8 and report.removed == 0 and report.details["iterations"] == 0
    everything, _ = kcore(chain(), 10)
    assert len(everything) == 0 and everything.num_users == 0


def test_kcore_logs(caplog):
    with caplog.at_level(logging.INFO, logger="gcl.data"):
        _, report = kcore(chain(), 2)
    assert caplog.records[-1].getMessage() == str(report)


@pytest.mark.parametrize("k", [-1, 2.5, True, "3"])
def test_kcore_rejects_bad_k(k):
    with pytest.raises(ValueError, match="kcore: user_k must be a non-negative integer"):
        kcore(chain(), k)


# ------------------------------------------------------------------ drop_cold
def test_drop_cold():
    ids = {"user_ids": [7, 8, 9], "item_ids": [3, 4]}
    train = Interactions(user=[0, 1], item=[0, 0], **ids)
    test = Interactions(user=[0, 2, 1, 2], item=[1, 0, 0, 1], **ids)
    out, report = drop_cold(test, train)
    assert out.user.tolist() == [1] and out.item.tolist() == [0]
    assert out.same_id_space(train)
    assert report.details == {
        "cold_user_interactions": 2,
        "cold_item_interactions": 2,
        "cold_users": 1,
        "cold_items": 1,
        "users_removed": 2,
        "items_removed": 1,
        "users": 3,
        "items": 2,
    }
    users_only, _ = drop_cold(test, train, items=False)
    assert users_only.user.tolist() == [0, 1]
    items_only, _ = drop_cold(test, train, users=False)
    assert items_only.user.tolist() == [2, 1]
    compact, _ = drop_cold(test, train, reindex=True)
    assert compact.user_ids.tolist() == [8] and compact.item_ids.tolist() == [3]


def test_drop_cold_requires_shared_id_space():
    a = Interactions(user=[0], item=[0], item_ids=[1, 2])
    b = Interactions(user=[0], item=[0], item_ids=[1, 3])
    with pytest.raises(ValueError, match="must share one id space"):
        drop_cold(a, b)


def test_filters_chain_keeps_raw_ids():
    inter = Interactions(
        user=[0, 0, 1, 1, 2, 2, 2],
        item=[0, 1, 0, 1, 2, 0, 1],
        rating=[5.0, 4.0, 1.0, 5.0, 5.0, 5.0, 4.0],
        user_ids=[10, 20, 30],
        item_ids=["p", "q", "r"],
    )
    before = inter.to_frame()
    positive, _ = min_rating(inter, 4)
    core, _ = kcore(positive, 2)
    frame = core.to_frame()
    expected = before[(before.rating >= 4) & before.user.isin([10, 30]) & before.item.isin(["p", "q"])]
    assert frame.reset_index(drop=True).equals(expected.reset_index(drop=True))
    assert [r.step for r in core.reports] == ["min_rating(threshold=4)", "kcore(user_k=2, item_k=2)"]
    assert np.array_equal(core.user_index(frame.user.to_numpy()), core.user)
