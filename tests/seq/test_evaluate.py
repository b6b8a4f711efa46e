import math

import pytest
import torch
from torch import nn

from gcl.data.interactions import Interactions
from gcl.seq.data import SequenceData
from gcl.seq.evaluate import evaluate_ranking, ranking_metrics


def test_hand_computed_hr_and_ndcg():
    # 4 items (+ padding column 0). Target ranks: 1, 3, 4 (last), 2.
    scores = torch.tensor(
        [
            [9.0, 0.9, 0.5, 0.1, 0.0],
            [9.0, 0.9, 0.5, 0.1, 0.0],
            [9.0, 0.9, 0.5, 0.1, 0.0],
            [9.0, 0.1, 0.2, 0.3, 0.4],
        ]
    )
    targets = torch.tensor([1, 3, 4, 3])
    out = ranking_metrics(scores, targets, ks=(1, 2, 3))
    assert out["hit_rate@1"] == 0.25 and out["hit_rate@2"] == 0.5 and out["hit_rate@3"] == 0.75
    assert out["ndcg@1"] == 0.25
    assert out["ndcg@2"] == pytest.approx((1 + 1 / math.log2(3)) / 4)
    assert out["ndcg@3"] == pytest.approx((1 + 1 / math.log2(3) + 1 / math.log2(4)) / 4)
    assert out["num_users"] == 4 and out["targets_in_history"] == 0


def test_padding_column_never_ranked():
    scores = torch.tensor([[100.0, 1.0, 2.0]])  # padding has the largest score
    assert ranking_metrics(scores, torch.tensor([2]), ks=(1,))["hit_rate@1"] == 1.0


def test_mask_history_modes():
    scores = torch.tensor([[0.0, 0.9, 0.5, -0.2, -0.1]])
    history = (torch.tensor([0, 0]), torch.tensor([1, 2]))  # items 1 and 2 were seen
    target = torch.tensor([4])  # rank 3 unmasked
    assert ranking_metrics(scores, target, ks=(1, 3))["hit_rate@1"] == 0.0
    out = ranking_metrics(scores, target, ks=(1, 3), history=history, mask_history=True)
    assert out["hit_rate@1"] == 1.0  # items 1, 2 at -inf: item 4 (-0.1) first
    out = ranking_metrics(scores, target, ks=(1, 3), history=history, mask_history="zero")
    assert out["hit_rate@1"] == 0.0 and out["ndcg@3"] == pytest.approx(1 / math.log2(4))  # 0, 0 above -0.1
    seen_target = ranking_metrics(scores, torch.tensor([1]), ks=(1,), history=history, mask_history=True)
    assert seen_target["hit_rate@1"] == 0.0 and seen_target["targets_in_history"] == 1


def test_errors():
    with pytest.raises(ValueError, match=r"1 of 2 target item\(s\) are unknown: ids must lie in \[1, 3\]"):
        ranking_metrics(torch.zeros(2, 4), torch.tensor([1, 7]))
    with pytest.raises(ValueError, match="mask_history must be False, True or 'zero'"):
        ranking_metrics(torch.zeros(1, 4), torch.tensor([1]), mask_history="yes")


class LastItemModel(nn.Module):
    """Scores item i by how close it is to the last input item (a deterministic toy)."""

    def __init__(self, num_items: int) -> None:
        super().__init__()
        self.num_items = num_items
        self.dummy = nn.Parameter(torch.zeros(1))

    def full_sort_predict(self, seq: torch.Tensor) -> torch.Tensor:
        ids = torch.arange(self.num_items + 1, dtype=torch.float32)
        return -(ids.unsqueeze(0) - seq[:, -1:].float() - 1).abs()  # best: last item + 1


def test_evaluate_ranking_on_sequence_data():
    # user 0: 1 2 3 4 (valid 3, test 4: "next id" is always right); user 1: 5 1 2 (valid 1, test 2)
    inter = Interactions(user=[0, 0, 0, 0, 1, 1, 1], item=[0, 1, 2, 3, 4, 0, 1])
    data = SequenceData.from_interactions(inter, max_length=3)
    model = LastItemModel(data.num_items).train()
    valid = evaluate_ranking(model, data, "valid", ks=(1, 2))
    assert valid["hit_rate@1"] == 0.5 and valid["num_users"] == 2  # user 1: last 5, target 1 -> miss
    test = evaluate_ranking(model, data, "test", ks=(1, 2), batch_size=1)
    assert test["hit_rate@1"] == 1.0
    assert model.training  # mode restored
    assert "leave-one-out test, full ranking over 5 items" in test["protocol"]
    masked = evaluate_ranking(model, data, "test", ks=(1,), mask_history=True)
    assert masked["targets_in_history"] == 0 and masked["hit_rate@1"] == 1.0
