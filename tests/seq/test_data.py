import numpy as np
import pytest
import torch

from gcl.data.interactions import Interactions
from gcl.data.readers import read_sequences
from gcl.data.splits import leave_one_out
from gcl.seq.data import SequenceData, sample_same_target
from tests.conftest import require


def toy() -> Interactions:
    # user "b" has a timestamp tie (items 16 and 17 at t=2: row order decides), user "c" is too short
    return Interactions(
        user=[1, 1, 1, 1, 0, 0, 0, 2, 2, 1],
        item=[5, 6, 7, 8, 1, 2, 3, 4, 5, 0],
        timestamp=[3, 1, 2, 2, 0, 1, 2, 0, 1, 9],
        user_ids=["a", "b", "c"],
        item_ids=[10, 11, 12, 13, 14, 15, 16, 17, 18],
        source="toy",
    )


def test_order_shift_and_compaction():
    data = SequenceData.from_interactions(toy(), max_length=3)
    assert data.offsets.tolist() == [0, 3, 8]
    # raw items in time order: a = 11 12 13, b = 16 17 18 15 10 (tie 17/18 kept in row order)
    raw = data.item_ids[data.items.numpy() - 1].tolist()
    assert raw == [11, 12, 13, 16, 17, 18, 15, 10]
    assert data.items.tolist() == [2, 3, 4, 6, 7, 8, 5, 1]  # 1-based, item 14 (only user c) dropped
    assert data.num_items == 8 and data.user_ids.tolist() == ["a", "b"]


def test_min_length_filter_reports_what_it_removed():
    data = SequenceData.from_interactions(toy(), max_length=3)
    report = data.reports[-2]
    assert report.step == "SequenceData.min_length(min_length=3)"
    assert (report.before, report.after, report.removed) == (10, 8, 2)
    assert report.details == {
        "empty_sequences": 0,
        "short_sequences_removed": 1,
        "users_kept": 2,
        "items_removed": 1,
    }
    loo = data.reports[-1].details
    assert loo["train_examples"] == 2 and loo["test_histories_truncated"] == 1


def test_training_examples_are_prefixes_with_left_padding():
    data = SequenceData.from_interactions(toy(), max_length=3)
    batch = data.batch(data.train_positions())
    assert batch.seq.tolist() == [[0, 0, 6], [0, 6, 7]]
    assert batch.lengths.tolist() == [1, 2]
    assert batch.target.tolist() == [7, 8]
    assert batch.user.tolist() == [1, 1]


def test_eval_inputs_and_truncation():
    data = SequenceData.from_interactions(toy(), max_length=3)
    valid = data.batch(data.target_positions("valid"))
    assert valid.seq.tolist() == [[0, 0, 2], [6, 7, 8]] and valid.target.tolist() == [3, 5]
    test = data.batch(data.target_positions("test"))
    assert test.seq.tolist() == [[0, 2, 3], [7, 8, 5]] and test.target.tolist() == [4, 1]
    row, item = data.history_items(data.target_positions("test"))
    assert row.tolist() == [0, 0, 1, 1, 1, 1] and item.tolist() == [2, 3, 6, 7, 8, 5]  # not truncated


def test_agrees_with_gcl_data_leave_one_out():
    inter = toy()
    data = SequenceData.from_interactions(inter)
    split = leave_one_out(inter)
    for name in ("valid", "test"):
        part = getattr(split, name)
        raw = dict(zip(part.user_ids[part.user], part.item_ids[part.item]))
        ours = data.item_ids[data.items[data.target_positions(name)].numpy() - 1]
        assert {u: raw[u] for u in data.user_ids} == dict(zip(data.user_ids, ours))


def test_leave_one_out_never_leaks_valid_or_test_into_training():
    rng = np.random.default_rng(0)
    n_users, n = 40, 600
    user = rng.integers(0, n_users, n)
    inter = Interactions(user=user, item=rng.integers(0, 25, n), timestamp=rng.permutation(n))
    data = SequenceData.from_interactions(inter, max_length=5)
    positions = data.train_positions()
    valid_pos, test_pos = data.target_positions("valid"), data.target_positions("test")
    held_out = set(valid_pos.tolist()) | set(test_pos.tolist())
    assert not held_out & set(positions.tolist())  # no held-out target is a training target
    # every position used in a training input lies strictly before the user's validation position
    start = data.offsets[data.row_of[positions]]
    for p, s, v in zip(positions.tolist(), start.tolist(), valid_pos[data.row_of[positions]].tolist()):
        assert s <= p < v
    batch = data.batch(positions)
    expected = [data.items[max(s, p - 5) : p].tolist() for p, s in zip(positions.tolist(), start.tolist())]
    assert [r[r != 0].tolist() for r in batch.seq] == expected
    # validation inputs stop before the validation item, test inputs before the test item
    vb = data.batch(valid_pos)
    assert (vb.lengths == torch.clamp(data.lengths - 2, max=5)).all()
    assert (data.train_sequences() != 0).sum(1).tolist() == (data.lengths - 2).tolist()


def test_errors_for_empty_short_and_unseen():
    inter = toy()
    short = r"1 sequence\(s\) shorter than min_length=3 \(users \['c'\], lengths \[2\]\)"
    with pytest.raises(ValueError, match=short):
        SequenceData.from_interactions(inter, on_short="error")
    empty = Interactions(user=[0, 0, 0], item=[0, 1, 2], user_ids=["u", "v"])
    with pytest.raises(ValueError, match=r"1 empty sequence\(s\) \(users \['v'\]\)"):
        SequenceData.from_interactions(empty, on_short="error")
    assert SequenceData.from_interactions(empty).reports[-2].details["empty_sequences"] == 1
    with pytest.raises(ValueError, match=r"min_length=6 items \(0 empty, 3 shorter; longest has 5\)"):
        SequenceData.from_interactions(inter, min_length=6)
    with pytest.raises(ValueError, match="no interactions"):
        SequenceData.from_interactions(Interactions(user=[], item=[]))
    with pytest.raises(ValueError, match="min_length must be an int >= 3"):
        SequenceData.from_interactions(inter, min_length=2)
    with pytest.raises(
        ValueError, match=r"2 validation and 2 test target item\(s\) never occur in a training"
    ):
        SequenceData.from_interactions(inter, unseen_targets="error")


def test_sample_same_target_picks_another_example_with_the_same_target():
    targets = torch.tensor([5, 7, 5, 9, 5, 7])
    partner = sample_same_target(targets, torch.Generator().manual_seed(0))
    assert partner.tolist() == [4, 5, 4, 3, 0, 1]
    for seed in range(20):
        partner = sample_same_target(targets, torch.Generator().manual_seed(seed))
        assert (targets[partner] == targets).all()
        assert partner[3] == 3  # unique target: itself
        assert (partner[[0, 1, 2, 4, 5]] != torch.tensor([0, 1, 2, 4, 5])).all()


@pytest.mark.real_data
def test_beauty_statistics(data_dir):
    require(data_dir, "Beauty/Beauty.txt")
    data = SequenceData.from_interactions(read_sequences(data_dir / "Beauty/Beauty.txt"))
    stats = data.stats()
    assert (stats["users"], stats["items"], stats["interactions"]) == (22363, 12101, 198502)
    assert stats["train_examples"] == 198502 - 3 * 22363  # n_u - 3 prefixes per user
    assert data.item_ids[:3].tolist() == [1, 2, 3]  # 1-based raw ids map to themselves
