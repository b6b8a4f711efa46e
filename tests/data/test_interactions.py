import logging

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from gcl.data.interactions import (
    Interactions,
    InteractionSplit,
    UnknownIdError,
    cross_part_counts,
    group_order,
    isin_sorted,
    sorted_unique,
)
from gcl.data.report import StepReport, log_report


def toy() -> Interactions:
    # user u3 and item 50 exist in the id space but have no interactions; (u0, 20) is repeated
    return Interactions(
        user=[0, 0, 1, 2, 2, 2],
        item=[1, 1, 0, 0, 2, 3],
        rating=[1.0, 2.0, 3.0, 4.0, 5.0, 1.0],
        user_ids=["u0", "u1", "u2", "u3"],
        item_ids=[10, 20, 30, 40, 50],
        source="toy",
    )


# ------------------------------------------------------------------ StepReport
def test_step_report_str_and_dict():
    report = StepReport("kcore(user_k=5, item_k=5)", 100_000, 98_766, 1_234, {"iterations": np.int64(3)})
    assert (
        str(report)
        == "kcore(user_k=5, item_k=5): removed 1,234 of 100,000 interactions (1.234%; iterations=3)"
    )
    assert report.to_dict() == {
        "step": "kcore(user_k=5, item_k=5)",
        "before": 100000,
        "after": 98766,
        "removed": 1234,
        "details": {"iterations": 3},
    }
    assert type(report.details["iterations"]) is int  # numpy scalars become plain numbers


def test_step_report_validates_counts():
    with pytest.raises(ValueError, match="removed=5 but before - after = 3"):
        StepReport("x", 10, 7, 5)
    with pytest.raises(ValueError, match="non-negative"):
        StepReport("x", 1, 2, -1)


def test_step_report_formats_details_and_zero_before():
    report = StepReport("s", 0, 0, 0, {"ratio": 0.123456, "flag": True, "sizes": (1000, 2)})
    assert str(report) == "s: removed 0 of 0 interactions (0%; ratio=0.1235; flag=True; sizes=(1,000, 2))"


def test_log_report(caplog):
    with caplog.at_level(logging.INFO, logger="gcl.data"):
        report = log_report(StepReport("step", 4, 3, 1))
    assert caplog.records[-1].name == "gcl.data"
    assert caplog.records[-1].getMessage() == str(report)


# ------------------------------------------------------------------ construction and validation
def test_sizes_and_defaults():
    inter = toy()
    assert (inter.num_users, inter.num_items, len(inter)) == (4, 5, 6)
    plain = Interactions(user=[0, 2], item=[1, 1])
    assert plain.user_ids.tolist() == [0, 1, 2]
    assert plain.item_ids.tolist() == [0, 1]
    assert plain.rating is None and plain.timestamp is None
    assert plain.user.dtype == np.int64
    empty = Interactions(user=[], item=[])
    assert (empty.num_users, empty.num_items, len(empty)) == (0, 0, 0)


def test_arrays_are_read_only_and_caller_array_untouched():
    user = np.array([0, 1])
    inter = Interactions(user=user, item=[0, 0])
    with pytest.raises(ValueError, match="read-only"):
        inter.user[0] = 1
    assert user.flags.writeable


def test_repr():
    assert (
        repr(toy())
        == "Interactions(source='toy', users=4, items=5, interactions=6, columns=['user', 'item', 'rating'])"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"user": [0, 1], "item": [0]}, "same length, got 2 and 1"),
        ({"user": [0.0, 1.0], "item": [0, 1]}, "user must be an integer array.*float64"),
        ({"user": [[0]], "item": [[0]]}, "user must be 1-D"),
        (
            {"user": [0, 3], "item": [0, 0], "user_ids": [7, 8]},
            r"internal user ids must lie in \[0, 2\).*\[3\]",
        ),
        ({"user": [0, -1], "item": [0, 0]}, r"internal user ids must lie in \[0, 1\).*\[-1\]"),
        ({"user": [0], "item": [0], "item_ids": [5, 5]}, "item_ids must not repeat raw ids, but \\[5\\]"),
        (
            {"user": [0, 0], "item": [0, 1], "rating": [1.0, np.nan]},
            "rating has 1 NaN/inf value.*interaction 1",
        ),
        ({"user": [0], "item": [0], "timestamp": [1, 2]}, "timestamp must be 1-D with 1 entries"),
        ({"user": [0], "item": [0], "rating": ["a"]}, "rating must be numeric"),
    ],
)
def test_validation_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Interactions(**kwargs)


# ------------------------------------------------------------------ matrices and stats
def test_csr_binary_weighted_and_cached():
    inter = toy()
    binary = inter.csr()
    assert isinstance(binary, sp.csr_matrix)
    assert binary.shape == (4, 5) and binary.dtype == np.float32
    assert binary.toarray().tolist() == [
        [0, 1, 0, 0, 0],
        [1, 0, 0, 0, 0],
        [1, 0, 1, 1, 0],
        [0, 0, 0, 0, 0],
    ]
    assert binary.has_canonical_format
    assert inter.csr() is binary
    with pytest.raises(ValueError, match="read-only"):
        binary.data[0] = 5
    # ratings summed over the repeated pair
    assert inter.csr(weighted=True).toarray().tolist() == [
        [0, 3, 0, 0, 0],
        [3, 0, 0, 0, 0],
        [4, 0, 5, 1, 0],
        [0, 0, 0, 0, 0],
    ]
    counts = Interactions(user=[0, 0, 1], item=[1, 1, 0]).csr(weighted=True)
    assert counts.toarray().tolist() == [[0, 2], [1, 0]]
    # usual scipy operations work on the read-only cached matrix
    assert (binary @ binary.T).toarray()[2, 2] == 3
    assert binary.sum() == 5


def test_stats():
    assert toy().stats() == {
        "source": "toy",
        "users": 4,
        "items": 5,
        "interactions": 6,
        "density": 0.3,
        "active_users": 3,
        "active_items": 4,
        "unique_pairs": 5,
        "duplicate_interactions": 1,
        "user_degree_min": 1,
        "user_degree_mean": 2.0,
        "user_degree_median": 2.0,
        "user_degree_max": 3,
        "item_degree_min": 1,
        "item_degree_mean": 1.5,
        "item_degree_median": 1.5,
        "item_degree_max": 2,
        "has_rating": True,
        "has_timestamp": False,
    }


def test_degrees_and_pair_keys():
    inter = toy()
    assert inter.user_degree().tolist() == [2, 1, 3, 0]
    assert inter.item_degree().tolist() == [2, 2, 1, 1, 0]
    assert inter.pair_keys().tolist() == [1, 1, 5, 10, 12, 13]


def test_to_frame():
    frame = toy().to_frame()
    assert frame.columns.tolist() == ["user", "item", "rating"]
    assert frame["user"].tolist() == ["u0", "u0", "u1", "u2", "u2", "u2"]
    assert frame["item"].tolist() == [20, 20, 10, 10, 30, 40]
    internal = toy().to_frame(raw=False)
    assert internal["user"].tolist() == [0, 0, 1, 2, 2, 2]
    with_time = Interactions(user=[0], item=[0], timestamp=[7]).to_frame()
    assert with_time.columns.tolist() == ["user", "item", "timestamp"]


# ------------------------------------------------------------------ raw <-> internal
def test_index_lookup_vectorized_and_scalar():
    inter = toy()
    assert inter.user_index(["u2", "u0", "u3"]).tolist() == [2, 0, 3]
    assert inter.item_index(np.array([[50, 10], [20, 20]])).tolist() == [[4, 0], [1, 1]]
    assert inter.item_index(30) == 2 and isinstance(inter.item_index(30), int)
    assert inter.user_index([]).tolist() == []


def test_index_lookup_unsorted_and_mixed_maps():
    inter = Interactions(
        user=[0, 1, 2], item=[0, 0, 1], user_ids=np.array(["b", 3, "a"], dtype=object), item_ids=[20, 10]
    )
    assert inter.user_index(["a", 3, "b"]).tolist() == [2, 1, 0]
    assert inter.item_index([10, 20]).tolist() == [1, 0]


def test_index_lookup_unknown_ids():
    inter = toy()
    with pytest.raises(
        UnknownIdError, match=r"toy: 2 of 3 raw user id\(s\).*4 known user ids.*unknown \['x', 'y'\]"
    ):
        inter.user_index(["x", "u1", "y"])
    with pytest.raises(KeyError):
        inter.item_index([11])
    with pytest.raises(ValueError, match=r"unknown \['10'\]"):  # a str is not the int raw id 10
        inter.item_index(["10"])
    try:
        inter.item_index(list(range(100, 120)))
    except UnknownIdError as err:
        assert err.unknown.tolist() == list(range(100, 120))
        assert "..." in str(err)


def test_select_keeps_id_space():
    inter = toy()
    part = inter.select(np.array([True, False, False, True, False, True]))
    assert part.user.tolist() == [0, 2, 2] and part.item.tolist() == [1, 0, 3]
    assert part.rating.tolist() == [1.0, 4.0, 1.0]
    assert (part.num_users, part.num_items) == (4, 5)
    assert part.same_id_space(inter)
    assert inter.select([5, 0]).item.tolist() == [3, 1]
    assert len(inter.select([])) == 0
    with pytest.raises(ValueError, match=r"boolean mask must have shape \(6,\)"):
        inter.select(np.array([True, False]))
    with pytest.raises(ValueError, match="boolean mask or integer positions"):
        inter.select(np.array([0.5]))


def test_compact():
    inter = toy()
    small = inter.compact()
    assert small.user_ids.tolist() == ["u0", "u1", "u2"]
    assert small.item_ids.tolist() == [10, 20, 30, 40]
    assert small.user.tolist() == [0, 0, 1, 2, 2, 2]
    assert small.to_frame().equals(inter.to_frame())
    assert small.compact() is small
    sub = inter.select([2, 5]).compact()
    assert sub.user_ids.tolist() == ["u1", "u2"] and sub.item_ids.tolist() == [10, 40]
    assert sub.user.tolist() == [0, 1] and sub.item.tolist() == [0, 1]


# ------------------------------------------------------------------ helpers
def test_helpers():
    assert sorted_unique(np.array([3, 1, 3, 2, 1])).tolist() == [1, 2, 3]
    assert sorted_unique(np.array([], dtype=np.int64)).tolist() == []
    assert isin_sorted(np.array([1, 5, 3, 9]), np.array([1, 3, 4])).tolist() == [True, False, True, False]
    assert isin_sorted(np.array([1]), np.array([], dtype=np.int64)).tolist() == [False]
    group = np.array([1, 0, 1, 0, 1])
    key = np.array([0.5, 0.2, 0.1, 0.2, 0.5])
    expected = np.lexsort((np.arange(5), key, group))
    assert group_order(group, key, 2).tolist() == expected.tolist() == [1, 3, 2, 0, 4]
    assert group_order(group, None, 2).tolist() == [1, 3, 0, 2, 4]
    perm = np.array([4, 3, 2, 1, 0])
    assert group_order(group, perm, 2, key_is_permutation=True).tolist() == [3, 1, 4, 2, 0]


# ------------------------------------------------------------------ InteractionSplit
def test_split_requires_shared_id_space():
    a = Interactions(user=[0], item=[0], item_ids=[1, 2])
    b = Interactions(user=[0], item=[0], item_ids=[1, 3])
    with pytest.raises(ValueError, match="train and valid must share one id space"):
        InteractionSplit(a, b, a)


def test_split_stats_and_summary():
    ids = {"user_ids": [10, 11, 12], "item_ids": ["a", "b", "c"]}
    train = Interactions(user=[0, 0, 1], item=[0, 1, 1], source="toy", **ids)
    valid = Interactions(user=[1], item=[0], **ids)
    test = Interactions(user=[2, 0, 1], item=[0, 2, 1], **ids)  # user 12 and item c unseen; (1, 1) in train
    split = InteractionSplit(train, valid, test, reports=[StepReport("split", 7, 7, 0)])
    stats = split.stats()
    assert (stats["users"], stats["items"]) == (3, 3)
    assert stats["train"]["interactions"] == 3 and stats["test"]["interactions"] == 3
    assert cross_part_counts(train, test) == {
        "unseen_user_interactions": 1,
        "unseen_item_interactions": 1,
        "pairs_in_train": 1,
    }
    assert stats["test_unseen_user_interactions"] == 1
    assert stats["valid_pairs_in_train"] == 0
    assert split.summary().splitlines() == [
        "InteractionSplit of toy: 3 users, 3 items",
        "  train            3 interactions, 2 users, 2 items",
        "  valid            1 interactions, 1 users, 1 items",
        "  test             3 interactions, 3 users, 3 items",
        "  valid: 0 interactions of users unseen in train, 0 of items unseen in train, 0 (user, item) pairs "
        "also in train",
        "  test: 1 interactions of users unseen in train, 1 of items unseen in train, 1 (user, item) pairs "
        "also in train",
        "  steps:",
        "    split: removed 0 of 7 interactions (0%)",
    ]
    assert list(split.parts()) == ["train", "valid", "test"]
    assert (split.num_users, split.num_items) == (3, 3)


def test_to_frame_round_trip_through_pandas():
    inter = toy()
    frame = inter.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert inter.user_index(frame["user"].to_numpy()).tolist() == inter.user.tolist()
    assert inter.item_index(frame["item"].to_numpy()).tolist() == inter.item.tolist()


def test_split_refit_merges_validation_into_train_and_reports_it():
    ids = {"user_ids": ["a", "b"], "item_ids": [10, 20, 30, 40]}
    train = Interactions(user=[0, 0, 1], item=[0, 1, 2], rating=[5.0, 4.0, 3.0], **ids)
    valid = Interactions(user=[0, 1], item=[2, 3], rating=[2.0, 1.0], **ids)
    test = Interactions(user=[1], item=[0], rating=[5.0], **ids)
    split = InteractionSplit(train, valid, test)
    refit = split.refit()
    assert refit.train.csr().toarray().tolist() == [[1, 1, 1, 0], [0, 0, 1, 1]]
    assert refit.train.rating.tolist() == [5.0, 4.0, 3.0, 2.0, 1.0]
    assert len(refit.valid) == 0 and refit.valid.same_id_space(train)
    assert refit.test is test
    assert str(refit.reports[-1]) == (
        "refit(validation merged into train): removed 0 of 6 interactions (0%; train=3; valid_merged=2; "
        "train_after=5)"
    )
    assert len(split.train) == 3  # the original split is unchanged
