import os
from pathlib import Path

import numpy as np
import pytest

from gcl.data.interactions import Interactions
from gcl.data.readers import read_lightgcn, read_recbole_atomic, read_sequences
from gcl.data.splits import leave_one_out, predefined, random_split, ratio_counts, temporal_split


def data_file(rel: str) -> Path:
    root = os.environ.get("GCL_DATA_DIR")
    if not root or not (Path(root) / rel).is_file():
        pytest.skip(f"{rel} not found under GCL_DATA_DIR")
    return Path(root) / rel


def recbole_split_ids(tot: int, ratios: list[float]) -> list[int]:
    """RecBole 1.2.1 Dataset._calcu_split_ids, copied as the reference (counts, not cut points)."""
    cnt = [int(ratios[i] * tot) for i in range(len(ratios))]
    cnt[0] = tot - sum(cnt[1:])
    for i in range(1, len(ratios)):
        if cnt[0] <= 1:
            break
        if 0 < ratios[-i] * tot < 1:
            cnt[-i] += 1
            cnt[0] -= 1
    return cnt


def toy() -> Interactions:
    # user 0: 10 interactions, user 1: 3, user 2: 1; item id == row, timestamp == row
    return Interactions(
        user=[0] * 10 + [1] * 3 + [2], item=list(range(14)), timestamp=list(range(14)), source="toy"
    )


# ------------------------------------------------------------------ counts
@pytest.mark.parametrize(
    "ratios", [(0.8, 0.1, 0.1), (0.7, 0.2, 0.1), (0.6, 0.3, 0.1), (0.9, 0.05, 0.05), (0.5, 0.5)]
)
def test_ratio_counts_matches_recbole(ratios):
    sizes = np.arange(0, 60)
    total = sum(ratios)
    norm = [r / total for r in ratios]
    expected = [recbole_split_ids(int(n), norm) for n in sizes]
    assert ratio_counts(sizes, np.asarray(norm)).tolist() == expected


def test_ratio_counts_small_users():
    assert ratio_counts(np.array([1, 2, 3, 9, 10]), np.array([0.8, 0.1, 0.1])).tolist() == [
        [1, 0, 0],
        [1, 0, 1],
        [1, 1, 1],
        [7, 1, 1],
        [8, 1, 1],
    ]


# ------------------------------------------------------------------ random_split
def test_random_split_seeded_exact():
    split = random_split(toy(), seed=0)
    assert split.train.item.tolist() == [0, 1, 2, 3, 4, 5, 7, 9, 12, 13]
    assert split.valid.item.tolist() == [8, 10]
    assert split.test.item.tolist() == [6, 11]
    report = split.reports[-1]
    assert report.step == "random_split(ratios=(0.8, 0.1, 0.1), seed=0, per_user=True)"
    assert report.details == {
        "train": 10,
        "valid": 2,
        "test": 2,
        "users_without_valid": 1,
        "users_without_test": 1,
        "valid_unseen_user_interactions": 0,
        "valid_unseen_item_interactions": 2,
        "valid_pairs_in_train": 0,
        "test_unseen_user_interactions": 0,
        "test_unseen_item_interactions": 2,
        "test_pairs_in_train": 0,
    }
    assert split.train.reports == split.reports == split.test.reports
    other = random_split(toy(), seed=1)
    assert other.train.item.tolist() == [0, 2, 3, 5, 6, 7, 8, 9, 12, 13]
    assert other.valid.item.tolist() == [1, 11] and other.test.item.tolist() == [4, 10]
    again = random_split(toy(), seed=1)
    assert again.valid.item.tolist() == other.valid.item.tolist()


def test_random_split_global():
    split = random_split(toy(), seed=0, per_user=False)
    assert split.train.item.tolist() == [0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13]
    assert split.valid.item.tolist() == [11] and split.test.item.tolist() == [6]
    assert split.reports[-1].step == "random_split(ratios=(0.8, 0.1, 0.1), seed=0, per_user=False)"


@pytest.mark.parametrize(
    ("ratios", "message"),
    [
        (
            (0.9, 0.0, 0.1),
            r"the valid ratio must be a positive finite number \(every split has a validation part\)",
        ),
        ((0.9, 0.1), r"ratios must be 3 numbers \('train', 'valid', 'test'\)"),
        (("a", 1, 1), "ratios must be 3 numbers"),
        ((1, 1, float("inf")), "the test ratio must be a positive finite number"),
    ],
)
def test_split_ratio_errors(ratios, message):
    with pytest.raises(ValueError, match=message):
        random_split(toy(), ratios)


# ------------------------------------------------------------------ temporal_split
def test_temporal_split_by_time_with_stable_ties():
    inter = Interactions(
        user=[0, 0, 0, 0, 1, 1, 1], item=[0, 1, 2, 3, 4, 5, 6], timestamp=[3, 1, 4, 1, 9, 9, 9]
    )
    split = temporal_split(inter, (0.5, 0.25, 0.25))
    # user 0 by time: items 1, 3 (tie at t=1 keeps row order), 0, 2; user 1: all ties -> row order
    assert split.train.item.tolist() == [1, 3, 4]
    assert split.valid.item.tolist() == [0, 5]
    assert split.test.item.tolist() == [2, 6]
    global_cut = temporal_split(inter, (0.5, 0.25, 0.25), per_user=False)
    # all 7 by time: 1, 3, 0, 2, 4, 5, 6 -> counts (5, 1, 1)
    assert global_cut.train.item.tolist() == [0, 1, 2, 3, 4]
    assert global_cut.valid.item.tolist() == [5] and global_cut.test.item.tolist() == [6]
    with pytest.raises(ValueError, match="temporal_split: arrays has no timestamp column"):
        temporal_split(Interactions(user=[0], item=[0]))


# ------------------------------------------------------------------ leave_one_out
def test_leave_one_out_exact():
    inter = Interactions(
        user=[0, 0, 0, 0, 1, 1, 2], item=[0, 1, 2, 3, 0, 1, 2], timestamp=[4, 1, 2, 3, 5, 6, 0], source="s"
    )
    split = leave_one_out(inter)
    assert split.train.item.tolist() == [1, 2, 0, 1, 2]
    assert split.train.user.tolist() == [0, 0, 1, 1, 2]  # users with < 3 interactions stay in train
    assert split.valid.item.tolist() == [3] and split.test.item.tolist() == [0]
    details = split.reports[-1].details
    assert details["users_with_fewer_than_3"] == 2
    assert details["users_without_valid"] == 2 and details["users_without_test"] == 2
    assert details["order"] == "timestamp"


def test_leave_one_out_row_order_without_timestamp():
    split = leave_one_out(Interactions(user=[1, 0, 1, 0, 1, 0], item=[0, 1, 2, 3, 4, 5]))
    assert split.test.item.tolist() == [4, 5] and split.valid.item.tolist() == [2, 3]
    assert split.reports[-1].details["order"] == "row order (no timestamp)"


# ------------------------------------------------------------------ predefined
def predefined_toy() -> tuple[Interactions, Interactions]:
    ids = {"user_ids": ["a", "b", "c"], "item_ids": list(range(8))}
    train = Interactions(
        user=[0] * 6 + [1] * 2 + [2], item=[0, 1, 2, 3, 4, 5, 0, 1, 6], source="train", **ids
    )
    test = Interactions(user=[0, 1, 2, 2], item=[6, 2, 7, 0], source="test", **ids)  # item 7 unseen in train
    return train, test


def test_predefined_drop_unseen():
    train, test = predefined_toy()
    split = predefined(train, test, valid_ratio=0.2, seed=0)
    assert split.train.user.tolist() == [0, 0, 0, 0, 0, 1, 2]
    assert split.train.item.tolist() == [0, 2, 3, 4, 5, 1, 6]
    # valid is carved only from items with another training interaction (0 and 1 here)
    assert split.valid.user.tolist() == [0, 1] and split.valid.item.tolist() == [1, 0]
    assert split.test.user.tolist() == [0, 1, 2] and split.test.item.tolist() == [6, 2, 0]
    report = split.reports[-1]
    assert (report.before, report.after, report.removed) == (13, 12, 1)
    assert report.details["unseen"] == "drop"
    assert report.details["test_unseen_items"] == 1 and report.details["test_unseen_interactions"] == 1
    assert report.details["users_without_valid"] == 1  # user c has a single training interaction
    assert split.train.item_degree()[train.item_degree() > 0].min() >= 1  # no item lost from train


def test_predefined_keep_unseen():
    train, test = predefined_toy()
    split = predefined(train, test, valid_ratio=0.2, seed=0, unseen="keep")
    assert split.test.item.tolist() == [6, 2, 7, 0]
    assert split.reports[-1].removed == 0
    assert split.reports[-1].details["test_unseen_interactions"] == 1
    assert split.stats()["test_unseen_item_interactions"] == 1
    assert test.reports == []  # the caller's objects are not modified


def test_predefined_keeps_items_in_train():
    # both interactions of items 0 and 1 could be carved; one of each is given back to train
    train = Interactions(user=[0, 0, 1, 1], item=[0, 1, 0, 1])
    for seed in range(10):
        split = predefined(train, train.select([]), valid_ratio=0.5, seed=seed)
        assert (split.train.item_degree() > 0).all()
        assert len(split.train) + len(split.valid) == 4


def test_predefined_errors():
    train, test = predefined_toy()
    with pytest.raises(
        ValueError, match=r"valid_ratio must lie in \(0, 1\) \(validation always exists\), got 0"
    ):
        predefined(train, test, valid_ratio=0)
    with pytest.raises(ValueError, match="unseen must be 'drop' or 'keep', got 'ignore'"):
        predefined(train, test, unseen="ignore")
    other = Interactions(user=[0], item=[0])
    with pytest.raises(ValueError, match=r"train \(train\) and test \(arrays\) must share one id space"):
        predefined(train, other)


# ------------------------------------------------------------------ real data
@pytest.mark.real_data
def test_real_gowalla_predefined():
    tr, te = read_lightgcn(data_file("gowalla/train.txt"), data_file("gowalla/test.txt"))
    split = predefined(tr, te, valid_ratio=0.1, seed=0)
    assert len(split.test) == 217_242  # the benchmark test set is untouched
    assert len(split.train) + len(split.valid) == 810_128
    details = split.reports[-1].details
    assert details["test_unseen_interactions"] == 0
    assert (split.train.user_degree() > 0).all() and (split.train.item_degree() > 0).all()
    assert [r.step for r in split.reports] == [
        "read_lightgcn(train.txt)",
        "read_lightgcn(test.txt)",
        "predefined(valid_ratio=0.1, seed=0, unseen='drop')",
    ]


@pytest.mark.real_data
def test_real_beauty_leave_one_out():
    split = leave_one_out(read_sequences(data_file("Beauty/Beauty.txt")))
    assert (len(split.train), len(split.valid), len(split.test)) == (153_776, 22_363, 22_363)
    assert split.reports[-1].details["users_with_fewer_than_3"] == 0


@pytest.mark.real_data
def test_real_ml100k_random_split():
    split = random_split(read_recbole_atomic(data_file("ml-100k/ml-100k.inter")), seed=0)
    assert (len(split.train), len(split.valid), len(split.test)) == (80_808, 9_596, 9_596)
