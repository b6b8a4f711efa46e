import numpy as np
import pytest
import torch

from gcl.data.interactions import Interactions
from gcl.rec.sampler import BPRSampler, is_positive

# 3 users x 5 items; user 1 owns 3 of the 5 items, so its negatives collide often.
TINY = dict(user=[0, 0, 1, 1, 1, 2], item=[0, 1, 1, 2, 3, 0], user_ids=range(3), item_ids=range(5))


def tiny() -> Interactions:
    return Interactions(**TINY)


def seeded(inter: Interactions, batch_size: int = 4, seed: int = 0, **kwargs) -> BPRSampler:
    return BPRSampler(inter, batch_size, generator=torch.Generator().manual_seed(seed), **kwargs)


def test_is_positive_hand_example():
    keys = torch.tensor([0 * 5 + 0, 0 * 5 + 1, 1 * 5 + 3])
    got = is_positive(keys, torch.tensor([0, 0, 1, 1, 2]), torch.tensor([1, 2, 3, 4, 0]), 5)
    assert got.tolist() == [True, False, True, False, False]
    assert is_positive(
        torch.empty(0, dtype=torch.long), torch.tensor([0]), torch.tensor([0]), 5
    ).tolist() == [False]


def test_seeded_epochs_are_exact_and_reproducible():
    sampler = seeded(tiny())
    first = [[t.tolist() for t in batch] for batch in sampler]
    assert first == [
        [[1, 2, 1, 0], [1, 0, 2, 0], [4, 2, 4, 2]],
        [[0, 1], [1, 3], [3, 4]],
    ]
    second = [[t.tolist() for t in batch] for batch in sampler]  # a new epoch: new order and negatives
    assert second == [
        [[1, 1, 2, 0], [2, 1, 0, 1], [4, 0, 4, 4]],
        [[1, 0], [3, 0], [4, 2]],
    ]
    again = seeded(tiny())
    assert [[t.tolist() for t in b] for b in again] == first


def test_every_pair_once_per_epoch_and_never_a_positive_negative():
    inter = tiny()
    positives = set(zip(inter.user.tolist(), inter.item.tolist()))
    sampler = seeded(inter, batch_size=4, seed=3)
    assert len(sampler) == 2 and sampler.num_pairs == 6
    for _ in range(500):
        users, pos, neg = (torch.cat(parts) for parts in zip(*sampler))
        assert sorted(zip(users.tolist(), pos.tolist())) == sorted(positives)
        assert not any((u, j) in positives for u, j in zip(users.tolist(), neg.tolist()))


def test_negatives_on_a_real_sized_random_log_are_never_positives():
    rng = np.random.default_rng(0)
    user = rng.integers(0, 50, 3000)
    item = rng.integers(0, 40, 3000)  # dense: ~78% of each user's items are positives
    inter = Interactions(user=user, item=item, user_ids=range(50), item_ids=range(40))
    sampler = seeded(inter, batch_size=256, seed=1)
    users, pos, neg = sampler.sample_epoch()
    assert sampler.last_rounds > 1  # collisions were re-drawn in several rounds
    dense = inter.csr().toarray() > 0
    assert not dense[users.numpy(), neg.numpy()].any()
    assert dense[users.numpy(), pos.numpy()].all()


def test_negatives_are_uniform_over_non_positives():
    sampler = seeded(tiny(), seed=5)
    neg = sampler.sample_negatives(torch.full((30000,), 1))  # user 1: positives {1, 2, 3}
    counts = torch.bincount(neg, minlength=5).double() / neg.numel()
    assert counts[[1, 2, 3]].sum().item() == 0.0
    assert counts[0].item() == pytest.approx(0.5, abs=0.02)
    assert counts[4].item() == pytest.approx(0.5, abs=0.02)


def test_drop_last_and_device():
    sampler = seeded(tiny(), batch_size=4, drop_last=True, device="cpu")
    batches = list(sampler)
    assert len(sampler) == 1 and len(batches) == 1 and batches[0][0].numel() == 4
    assert batches[0][0].device.type == "cpu"


def test_bad_input_raises_clear_errors():
    with pytest.raises(ValueError, match="batch_size: expected an int >= 1"):
        BPRSampler(tiny(), 0)
    with pytest.raises(ValueError, match=r"generator: expected a torch\.Generator"):
        BPRSampler(tiny(), 2, generator=0)
    full = Interactions(user=[0, 0, 1], item=[0, 1, 0], user_ids=range(2), item_ids=range(2))
    with pytest.raises(ValueError, match=r"1 user\(s\) interacted with all 2 items,.*first: \[0\]"):
        BPRSampler(full, 2)
    empty = Interactions(user=[], item=[], user_ids=range(2), item_ids=range(2))
    with pytest.raises(ValueError, match="train: has no interactions"):
        BPRSampler(empty, 2)
