import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch_geometric.metrics import (
    LinkPredAveragePopularity,
    LinkPredCoverage,
    LinkPredHitRatio,
    LinkPredMRR,
    LinkPredNDCG,
    LinkPredPrecision,
    LinkPredRecall,
)

from gcl.rec.metrics import (
    ACCURACY_METRICS,
    ALL_METRICS,
    RankingMetrics,
    gini_index,
    head_items,
    per_user_metrics,
    topk_hits,
)

L3, L5, L6 = math.log2(3), math.log2(5), math.log2(6)

# 3 users, 6 items, full rankings (best first) and truth sets; user 3 has no truth item.
RANKING = torch.tensor(
    [
        [2, 0, 5, 1, 3, 4],  # truth {0, 3}: hits at ranks 2 and 5
        [1, 4, 3, 0, 2, 5],  # truth {1}:    hit at rank 1
        [5, 4, 3, 2, 1, 0],  # truth {0, 1, 2}: hits at ranks 4, 5, 6
        [0, 1, 2, 3, 4, 5],  # truth {} -> skipped
    ]
)
TRUTH = torch.tensor([[0, 0, 1, 2, 2, 2], [0, 3, 1, 0, 1, 2]])  # COO (row, item)

# Hand-computed per user, K = 3:
#   u0: top3 [2,0,5], 1 hit at rank 2: recall 1/2, precision 1/3, DCG 1/log2(3),
#       IDCG(min(2,3)=2) 1 + 1/log2(3), hit 1, MRR 1/2
#   u1: top3 [1,4,3], hit at rank 1: recall 1, precision 1/3, NDCG 1, hit 1, MRR 1
#   u2: top3 [5,4,3], no hit: all 0
# K = 5:
#   u0: hits at ranks 2, 5: recall 1, precision 2/5, DCG 1/log2(3) + 1/log2(6), IDCG 1 + 1/log2(3), MRR 1/2
#   u1: recall 1, precision 1/5, NDCG 1, MRR 1
#   u2: hits at ranks 4, 5: recall 2/3, precision 2/5, DCG 1/log2(5) + 1/log2(6),
#       IDCG(min(3,5)=3) 1 + 1/log2(3) + 1/2, MRR 1/4
NDCG0_3 = (1 / L3) / (1 + 1 / L3)  # 0.386853
NDCG0_5 = (1 / L3 + 1 / L6) / (1 + 1 / L3)  # 0.624052
NDCG2_5 = (1 / L5 + 1 / L6) / (1 + 1 / L3 + 0.5)  # 0.383650
EXPECTED = {
    "recall@3": (0.5 + 1 + 0) / 3,
    "precision@3": (1 / 3 + 1 / 3 + 0) / 3,
    "ndcg@3": (NDCG0_3 + 1 + 0) / 3,
    "hit_rate@3": 2 / 3,
    "mrr@3": (0.5 + 1 + 0) / 3,
    "recall@5": (1 + 1 + 2 / 3) / 3,
    "precision@5": (0.4 + 0.2 + 0.4) / 3,
    "ndcg@5": (NDCG0_5 + 1 + NDCG2_5) / 3,
    "hit_rate@5": 1.0,
    "mrr@5": (0.5 + 1 + 0.25) / 3,
}


def test_hand_computed_metrics_and_skipped_user():
    m = RankingMetrics(ks=(3, 5), metrics=ACCURACY_METRICS)
    m.update(RANKING, TRUTH)
    out = m.compute()
    for key, value in EXPECTED.items():
        assert out[key] == pytest.approx(value, abs=1e-12), key
    assert out["ndcg@3"] == pytest.approx(0.462284, abs=1e-6)
    assert out["ndcg@5"] == pytest.approx(0.669234, abs=1e-6)
    assert out["num_users"] == 3
    assert out["num_skipped_users"] == 1


def test_per_user_values_hand_computed():
    hits, n = topk_hits(RANKING[:3], TRUTH)
    assert n.tolist() == [2, 1, 3]
    out = per_user_metrics(hits, n, ks=(5,), metrics=("recall", "ndcg", "mrr"))
    assert out["recall@5"].tolist() == pytest.approx([1.0, 1.0, 2 / 3])
    assert out["ndcg@5"].tolist() == pytest.approx([NDCG0_5, 1.0, NDCG2_5])
    assert out["mrr@5"].tolist() == pytest.approx([0.5, 1.0, 0.25])


def test_batched_updates_equal_one_update_and_reset():
    one = RankingMetrics(ks=(3, 5))
    one.update(RANKING, TRUTH)
    split = RankingMetrics(ks=(3, 5))
    split.update(RANKING[:2], TRUTH[:, :3])
    split.update(RANKING[2:], TRUTH[:, 3:] - torch.tensor([[2], [0]]))
    assert split.compute() == pytest.approx(one.compute())
    split.reset()
    assert split.num_users == 0 and split.num_skipped_users == 0
    assert math.isnan(split.compute()["recall@3"])


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
def test_truth_formats_agree():
    topk, truth = RANKING[:, :4], TRUTH
    dense = torch.zeros(4, 6, dtype=torch.bool)
    dense[truth[0], truth[1]] = True
    csr = sp.csr_matrix((np.ones(6), (truth[0].numpy(), truth[1].numpy())), shape=(4, 6))
    expected_hits, expected_n = topk_hits(topk, truth)
    assert expected_hits.sum().item() == 3  # items 0, 1 and 2 of users 0, 1, 2
    for form in (dense, (truth[0], truth[1]), csr, dense.to_sparse_csr()):
        hits, n = topk_hits(topk, form)
        assert torch.equal(hits, expected_hits)
        assert torch.equal(n, expected_n)


def test_padding_is_never_a_hit_and_duplicates_count_once():
    # Row 1 pads with -1; row 0's truth holds the largest id (5): the flattened key of row 1's "-1" equals
    # row 0's key for item 5, which must not count as a hit.
    topk = torch.tensor([[5, 0], [-1, -1]])
    hits, n = topk_hits(topk, (torch.tensor([0, 0, 0, 1]), torch.tensor([5, 5, 3, 2])))
    assert hits.tolist() == [[True, False], [False, False]]
    assert n.tolist() == [2, 1]
    dense = torch.zeros(2, 6, dtype=torch.bool)
    dense[0, 5] = dense[1, 0] = True
    hits, _ = topk_hits(topk, dense)
    assert hits.tolist() == [[True, False], [False, False]]


def _random_case(seed: int, batch: int = 40, num_items: int = 30, kmax: int = 12):
    g = torch.Generator().manual_seed(seed)
    topk = torch.argsort(torch.rand(batch, num_items, generator=g), dim=1)[:, :kmax]
    n_truth = torch.randint(0, 8, (batch,), generator=g)
    n_truth[:3] = 0  # a few users without truth items
    row = torch.repeat_interleave(torch.arange(batch), n_truth)
    # distinct items per user: the first n_truth entries of a random permutation per user
    perm = torch.argsort(torch.rand(batch, num_items, generator=g), dim=1)
    offsets = torch.cumsum(n_truth, 0) - n_truth
    col = perm[row, torch.arange(row.numel()) - offsets[row]]
    return topk, torch.stack([row, col]), num_items


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equal_to_pyg_linkpred_metrics(seed):
    topk, truth, _ = _random_case(seed)
    ks = (1, 5, 12)
    ours = RankingMetrics(ks=ks, metrics=ACCURACY_METRICS)
    ours.update(topk[:25], truth[:, truth[0] < 25])
    rest = truth[:, truth[0] >= 25]
    ours.update(topk[25:], torch.stack([rest[0] - 25, rest[1]]))
    out = ours.compute()
    pyg = {"recall": LinkPredRecall, "precision": LinkPredPrecision, "ndcg": LinkPredNDCG}
    pyg |= {"hit_rate": LinkPredHitRatio, "mrr": LinkPredMRR}
    for k in ks:
        for name, cls in pyg.items():
            metric = cls(k=k)
            metric.update(topk, truth)
            assert out[f"{name}@{k}"] == pytest.approx(float(metric.compute()), abs=1e-6), (name, k)
    assert out["num_skipped_users"] == int((torch.bincount(truth[0], minlength=40) == 0).sum())


def test_beyond_accuracy_hand_computed():
    popularity = torch.tensor([10.0, 8.0, 1.0, 1.0, 0.0])
    # head_share 0.4 of 5 items -> head = the 2 most popular items {0, 1}
    assert head_items(popularity, 0.4).tolist() == [True, True, False, False, False]
    m = RankingMetrics(ks=(1, 2), metrics=ALL_METRICS, item_popularity=popularity, head_share=0.4)
    m.update(torch.tensor([[0, 1], [0, 2]]), (torch.tensor([0, 1]), torch.tensor([1, 4])))
    out = m.compute()
    # K=2: slots {0, 1, 0, 2}: counts [2, 1, 1, 0, 0]
    assert out["item_coverage@2"] == pytest.approx(3 / 5)
    assert out["average_popularity@2"] == pytest.approx((10 + 8 + 10 + 1) / 4)
    assert out["long_tail_share@2"] == pytest.approx(1 / 4)  # only item 2 is outside the head
    # sorted counts [0, 0, 1, 1, 2]: sum (2i - 6) x_i = 0 + 0 + 0*1 + 2*1 + 4*2 = 10; / (5 * 4)
    assert out["gini@2"] == pytest.approx(0.5)
    # K=1: slots {0, 0}
    assert out["item_coverage@1"] == pytest.approx(1 / 5)
    assert out["average_popularity@1"] == pytest.approx(10.0)
    assert out["long_tail_share@1"] == 0.0
    assert out["gini@1"] == pytest.approx(4 / 5)
    assert out["recall@2"] == pytest.approx(0.5)  # user 0 finds item 1, user 1 misses item 4


def test_beyond_accuracy_skips_padding():
    popularity = torch.tensor([4.0, 2.0, 0.0])
    m = RankingMetrics(ks=(2,), metrics=("item_coverage", "average_popularity"), item_popularity=popularity)
    m.update(torch.tensor([[1, -1], [0, 1]]), torch.tensor([[0, 1], [2, 2]]))
    out = m.compute()
    assert out["item_coverage@2"] == pytest.approx(2 / 3)
    assert out["average_popularity@2"] == pytest.approx((2 + 4 + 2) / 3)


def test_beyond_accuracy_unsorted_ks_with_padding_equals_reference():
    g = torch.Generator().manual_seed(4)
    num_items, ks = 30, (5, 1, 3)
    topk = torch.argsort(torch.rand(20, num_items, generator=g), dim=1)[:, :6]
    topk[torch.rand(20, 6, generator=g) < 0.3] = -1  # padding anywhere must simply be ignored
    popularity = torch.randint(0, 9, (num_items,), generator=g).double()
    m = RankingMetrics(ks=ks, metrics=ALL_METRICS[5:], item_popularity=popularity, head_share=0.3)
    truth = torch.stack([torch.arange(20), torch.zeros(20, dtype=torch.long)])
    m.update(topk[:9], truth[:, :9])
    m.update(topk[9:], truth[:, :11])
    out = m.compute()
    head = head_items(popularity, 0.3)
    for k in ks:
        items = [i for row in topk[:, :k].tolist() for i in row if i >= 0]  # slow reference
        counts = torch.bincount(torch.tensor(items), minlength=num_items)
        assert out[f"item_coverage@{k}"] == pytest.approx(len(set(items)) / num_items)
        mean_pop = sum(popularity[i].item() for i in items) / len(items)
        assert out[f"average_popularity@{k}"] == pytest.approx(mean_pop)
        assert out[f"long_tail_share@{k}"] == pytest.approx(sum(not head[i] for i in items) / len(items))
        assert out[f"gini@{k}"] == pytest.approx(gini_index(counts))


@pytest.mark.parametrize("seed", [0, 1])
def test_coverage_and_popularity_equal_pyg(seed):
    topk, truth, num_items = _random_case(seed)
    # give every user a truth item so that no one is skipped (PyG's ARP and coverage count all rows)
    extra = torch.stack([torch.arange(topk.size(0)), torch.zeros(topk.size(0), dtype=torch.long)])
    truth = torch.cat([truth, extra], dim=1)
    g = torch.Generator().manual_seed(seed)
    popularity = torch.randint(0, 50, (num_items,), generator=g).float()
    m = RankingMetrics(ks=(5,), metrics=("item_coverage", "average_popularity"), item_popularity=popularity)
    m.update(topk, truth)
    out = m.compute()
    cov, arp = (
        LinkPredCoverage(k=5, num_dst_nodes=num_items),
        LinkPredAveragePopularity(k=5, popularity=popularity),
    )
    cov.update(topk, truth)
    arp.update(topk, truth)
    assert out["item_coverage@5"] == pytest.approx(float(cov.compute()))
    assert out["average_popularity@5"] == pytest.approx(float(arp.compute()), rel=1e-6)


def _recbole_gini(item_matrix: np.ndarray, num_items: int) -> float:
    # RecBole 1.2 GiniIndex.get_gini, transcribed
    _, counts = np.unique(item_matrix.flatten(), return_counts=True)
    sorted_count = np.sort(counts)
    idx = np.arange(num_items - sorted_count.shape[0] + 1, num_items + 1)
    gini = np.sum((2 * idx - num_items - 1) * sorted_count) / (item_matrix.shape[0] * item_matrix.shape[1])
    return gini / num_items


def test_gini_extremes_and_recbole_formula():
    assert gini_index(torch.tensor([3, 3, 3])) == pytest.approx(0.0)
    assert gini_index(torch.tensor([0, 0, 0, 7])) == pytest.approx(3 / 4)
    assert math.isnan(gini_index(torch.zeros(4)))
    g = torch.Generator().manual_seed(0)
    topk = torch.randint(0, 25, (30, 10), generator=g)
    counts = torch.bincount(topk.flatten(), minlength=40)
    assert gini_index(counts) == pytest.approx(_recbole_gini(topk.numpy(), 40))


def test_head_items_ties_break_by_id():
    assert head_items(torch.tensor([1, 3, 3, 3]), 0.5).tolist() == [False, True, True, False]
    assert head_items(torch.tensor([1, 2]), 0.0).tolist() == [False, False]
    with pytest.raises(ValueError, match="head_share"):
        head_items(torch.tensor([1, 2]), 1.5)


def test_errors():
    with pytest.raises(ValueError, match="metrics: unknown"):
        RankingMetrics(metrics=("recal",))
    with pytest.raises(ValueError, match="item_popularity: required"):
        RankingMetrics(metrics=("average_popularity",))
    with pytest.raises(ValueError, match="num_items: required"):
        RankingMetrics(metrics=("gini",))
    with pytest.raises(ValueError, match="ks:"):
        RankingMetrics(ks=(0,))
    m = RankingMetrics(ks=(10,))
    with pytest.raises(ValueError, match=r"topk_items: expected a LongTensor \[B, K >= 10\]"):
        m.update(RANKING, TRUTH)
    with pytest.raises(ValueError, match="truth: row indices"):
        topk_hits(RANKING, torch.tensor([[7], [0]]))
    with pytest.raises(ValueError, match="truth: expected"):
        topk_hits(RANKING, torch.zeros(3, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="truth: a bool matrix"):
        topk_hits(RANKING, torch.zeros(2, 6, dtype=torch.bool))
    with pytest.raises(ValueError, match="format 'csc'"):
        topk_hits(RANKING, sp.csc_matrix((4, 6)))
    with pytest.raises(ValueError, match="num_truth: every row"):
        per_user_metrics(torch.zeros(2, 3, dtype=torch.bool), torch.tensor([1, 0]), ks=(1,))
