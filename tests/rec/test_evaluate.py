import math
import os
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gcl.rec.evaluate import (
    blocked_topk,
    csr_tensors,
    full_ranking,
    full_ranking_from_embeddings,
    gather_csr_rows,
    masked_topk,
    recommend_topk,
)
from gcl.rec.metrics import ACCURACY_METRICS


def csr(rows: list[list[int]], num_items: int) -> sp.csr_matrix:
    user = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
    item = np.array([i for r in rows for i in r], dtype=np.int64)
    return sp.csr_matrix((np.ones(item.size), (user, item)), shape=(len(rows), num_items))


# 4 users x 6 items. Scores, masked items and what remains, best first:
#   u0 train {0, 2}          -> 1, 3, 4, 5        test {3}     top2 [1, 3]: hit at rank 2
#   u1 train {5}             -> 4, 3, 2, 1, 0     test {0, 4}  top2 [4, 3]: hit at rank 1
#   u2 train {1}             test {} -> skipped
#   u3 train {2, 4}, valid {0} -> 3, 1, 5          test {1}     top2 [3, 1]: hit at rank 2
#      (train only masked: 0, 3, 1, 5 -> top2 [0, 3]: no hit)
SCORES = torch.tensor(
    [
        [0.9, 0.8, 0.7, 0.6, 0.5, 0.4],
        [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        [0.3, 0.1, 0.9, 0.2, 0.8, 0.0],
    ]
)
TRAIN = csr([[0, 2], [5], [1], [2, 4]], 6)
VALID = csr([[], [], [], [0]], 6)
TEST = csr([[3], [0, 4], [], [1]], 6)
NDCG_R2 = 1 / math.log2(3)  # one truth item found at rank 2 -> DCG 1/log2(3), IDCG 1
NDCG_R1_OF2 = 1 / (1 + 1 / math.log2(3))  # two truth items, one found at rank 1


def score_fn(users: torch.Tensor) -> torch.Tensor:
    return SCORES[users]  # advanced indexing returns a fresh tensor


def test_hand_computed_full_ranking_with_validation_masked():
    out = full_ranking(score_fn, TRAIN, TEST, exclude=(TRAIN, VALID), ks=(2,))
    assert out["recall@2"] == pytest.approx((1 + 0.5 + 1) / 3)
    assert out["precision@2"] == pytest.approx(0.5)
    assert out["ndcg@2"] == pytest.approx((NDCG_R2 + NDCG_R1_OF2 + NDCG_R2) / 3)
    assert out["mrr@2"] == pytest.approx((0.5 + 1 + 0.5) / 3)
    assert out["hit_rate@2"] == pytest.approx(1.0)
    # train popularity [1, 1, 2, 0, 1, 1]; recommended 1, 3 | 4, 3 | 3, 1 -> counts [0, 2, 0, 3, 1, 0]
    assert out["item_coverage@2"] == pytest.approx(3 / 6)
    assert out["average_popularity@2"] == pytest.approx((1 + 0 + 1 + 0 + 0 + 1) / 6)
    # head = ceil(0.2 * 6) = 2 items: item 2 (pop 2) and item 0 (pop 1, lowest id among ties)
    assert out["long_tail_share@2"] == pytest.approx(1.0)
    # sorted counts [0, 0, 0, 1, 2, 3]: (1*1 + 3*2 + 5*3) / (6 * 6)
    assert out["gini@2"] == pytest.approx(22 / 36)
    assert out["num_users"] == 3
    assert out["num_skipped_users"] == 1
    assert out["protocol"] == (
        "full ranking over all 6 items, training and validation items masked, "
        "users with no test items skipped (n=1); metrics averaged over 3 users"
    )


def test_default_exclusion_is_training_only():
    out = full_ranking(score_fn, TRAIN, TEST, ks=(2,), metrics=("recall",))
    assert out["recall@2"] == pytest.approx((1 + 0.5 + 0) / 3)  # u3's top2 is now [0, 3]
    assert "training items masked" in out["protocol"]
    nothing = full_ranking(score_fn, TRAIN, TEST, exclude=(), ks=(1,), metrics=("recall",))
    assert nothing["recall@1"] == pytest.approx(0.0)  # u0 -> 0, u1 -> 5, u3 -> 2: all misses
    assert "no items masked" in nothing["protocol"]
    valid_only = full_ranking(score_fn, TRAIN, TEST, exclude=(VALID,), ks=(1,), metrics=("recall",))
    assert "items of 1 exclusion matrices masked" in valid_only["protocol"]


def test_recommend_topk_pads_when_everything_is_masked():
    seen = csr([[0, 1, 2, 3], [0]], 5)
    scores = torch.tensor([[5.0, 4.0, 3.0, 2.0, 1.0], [5.0, 4.0, 3.0, 2.0, 1.0]])
    top = recommend_topk(lambda u: scores[u], torch.tensor([0, 1]), 3, exclude=(seen,))
    assert top.tolist() == [[4, -1, -1], [1, 2, 3]]


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    num_users=st.integers(1, 9),
    num_items=st.integers(1, 25),
    density=st.floats(0.0, 1.0),
    batch_size=st.integers(1, 5),
    k=st.integers(1, 25),
)
def test_masking_never_lets_excluded_items_in(seed, num_users, num_items, density, batch_size, k):
    k = min(k, num_items)
    rng = np.random.default_rng(seed)
    seen = sp.csr_matrix(rng.random((num_users, num_items)) < density)
    scores = torch.as_tensor(rng.random((num_users, num_items)))  # float64, distinct with probability 1
    users = torch.arange(num_users)
    top = recommend_topk(lambda u: scores[u], users, k, exclude=(seen,), batch_size=batch_size)
    dense_seen = seen.toarray()
    for u in range(num_users):  # slow reference: sort the unseen items of each user
        allowed = np.flatnonzero(~dense_seen[u])
        ranked = allowed[np.argsort(-scores[u].numpy()[allowed], kind="stable")][:k]
        expected = np.full(k, -1)
        expected[: ranked.size] = ranked
        assert top[u].tolist() == expected.tolist()
        assert not dense_seen[u][top[u][top[u] >= 0].numpy()].any()


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    rows=st.integers(1, 6),
    n=st.integers(1, 300),
    k=st.integers(1, 12),
    block=st.integers(1, 40),
    masked=st.floats(0.0, 1.0),
    dtype=st.sampled_from([torch.float32, torch.float64]),
)
def test_blocked_topk_equals_torch_topk(seed, rows, n, k, block, masked, dtype):
    if k * block > n:
        k = max(n // block, 1)
        block = min(block, n // k)
    rng = np.random.default_rng(seed)
    scores = torch.as_tensor(rng.standard_normal((rows, n)), dtype=dtype)  # distinct: indices unique too
    scores[torch.as_tensor(rng.random((rows, n)) < masked)] = float("-inf")
    values, items = blocked_topk(scores, k, block)
    ref_values, ref_items = torch.topk(scores, k, dim=1)
    assert torch.equal(values, ref_values)
    finite = torch.isfinite(ref_values)  # -inf ties may pick different masked items
    assert torch.equal(items[finite], ref_items[finite])


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(40, 300),
    k=st.integers(1, 10),
    block=st.integers(2, 4),
    dtype=st.sampled_from([torch.float32, torch.float64]),
)
def test_blocked_topk_with_ties_and_infinities_returns_topk_values_at_their_items(seed, n, k, block, dtype):
    rng = np.random.default_rng(seed)
    pool = [-2.0, -1.0, -0.0, 0.0, 1.0, 2.0, float("inf"), float("-inf")]  # many ties; the threshold ties
    scores = torch.as_tensor(rng.choice(pool, size=(3, n), p=[0.2, 0.2, 0.1, 0.1, 0.2, 0.1, 0.05, 0.05]))
    scores = scores.to(dtype)
    values, items = blocked_topk(scores, k, block)
    assert torch.equal(values, torch.topk(scores, k, dim=1).values)
    assert torch.equal(scores.gather(1, items), values)  # every index points at its value
    assert all(len(set(row)) == k for row in items.tolist())  # no item twice (the tail window overlaps)


def test_blocked_topk_rejects_too_few_blocks_and_propagates_nan():
    with pytest.raises(ValueError, match="k: 3 exceeds the 2 blocks"):
        blocked_topk(torch.zeros(1, 5), 3, block=2)
    scores = torch.arange(40.0).view(1, 40)
    scores[0, 7] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        masked_topk(scores.expand(2, -1).contiguous().repeat(1, 100), 2)  # wide enough for the blocked path


def _reference_metrics(scores, train, test, ks, popularity, head_share=0.2):
    """Per-user Python loop (slow, obviously correct) over the LightGCN definitions."""
    train, test, num_items = train.toarray() > 0, test.toarray() > 0, scores.shape[1]
    head = set(np.argsort(-popularity, kind="stable")[: math.ceil(head_share * num_items)].tolist())
    sums = {f"{m}@{k}": 0.0 for m in ACCURACY_METRICS for k in ks}
    recs = {k: [] for k in ks}
    users = [u for u in range(scores.shape[0]) if test[u].any()]
    for u in users:
        s = np.where(train[u], -np.inf, scores[u])
        ranking = np.argsort(-s, kind="stable")
        truth = set(np.flatnonzero(test[u]).tolist())
        for k in ks:
            top = ranking[:k].tolist()
            rel = [i in truth for i in top]
            n_hit = sum(rel)
            dcg = sum(1 / math.log2(r + 2) for r, hit in enumerate(rel) if hit)
            idcg = sum(1 / math.log2(r + 2) for r in range(min(len(truth), k)))
            first = next((r for r, hit in enumerate(rel) if hit), None)
            sums[f"recall@{k}"] += n_hit / len(truth)
            sums[f"precision@{k}"] += n_hit / k
            sums[f"ndcg@{k}"] += dcg / idcg
            sums[f"hit_rate@{k}"] += float(n_hit > 0)
            sums[f"mrr@{k}"] += 0.0 if first is None else 1 / (first + 1)
            recs[k] += top
    out = {key: value / len(users) for key, value in sums.items()}
    for k in ks:
        counts = np.bincount(recs[k], minlength=num_items)
        out[f"item_coverage@{k}"] = float((counts > 0).mean())
        out[f"average_popularity@{k}"] = float(popularity[recs[k]].mean())
        out[f"long_tail_share@{k}"] = float(np.mean([i not in head for i in recs[k]]))
        x, n = np.sort(counts).astype(float), num_items
        out[f"gini@{k}"] = float(((2 * np.arange(1, n + 1) - n - 1) * x).sum() / (n * x.sum()))
    out["num_users"] = len(users)
    return out


@pytest.mark.parametrize(
    ("seed", "num_users", "num_items", "ks"),
    [(0, 60, 45, (1, 5, 20)), (1, 60, 45, (1, 5, 20)), (2, 30, 700, (1, 5))],  # the last: blocked_topk
)
def test_full_ranking_equals_slow_reference_and_is_batch_invariant(seed, num_users, num_items, ks):
    rng = np.random.default_rng(seed)
    train = sp.csr_matrix(rng.random((num_users, num_items)) < 0.15)
    test = sp.csr_matrix((rng.random((num_users, num_items)) < 0.08) & ~(train.toarray()))
    scores = torch.as_tensor(rng.standard_normal((num_users, num_items)), dtype=torch.float32)
    popularity = np.asarray(train.sum(axis=0)).ravel().astype(float)
    expected = _reference_metrics(scores.numpy(), train, test, ks, popularity)
    for batch_size in (7, 1000):
        out = full_ranking(lambda u: scores[u], train, test, ks=ks, batch_size=batch_size)
        for key, value in expected.items():
            assert out[key] == pytest.approx(value, abs=1e-9), (key, batch_size)
        assert out["num_skipped_users"] == num_users - expected["num_users"]


def test_from_embeddings_equals_score_fn():
    g = torch.Generator().manual_seed(0)
    user_emb, item_emb = torch.randn(30, 8, generator=g), torch.randn(50, 8, generator=g)
    rng = np.random.default_rng(0)
    train = sp.csr_matrix(rng.random((30, 50)) < 0.2)
    test = sp.csr_matrix((rng.random((30, 50)) < 0.1) & ~train.toarray())
    a = full_ranking_from_embeddings(user_emb, item_emb, train, test, ks=(5, 10), batch_size=8)
    b = full_ranking(lambda u: user_emb[u] @ item_emb.T, train, test, ks=(5, 10), batch_size=30)
    assert a.keys() == b.keys()
    for key in a:
        if key != "protocol":
            assert a[key] == pytest.approx(b[key], abs=1e-12), key
    assert a["recall@10"] == pytest.approx(0.2846031746031746, abs=1e-12)  # seeded, computed once


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
def test_noncontiguous_scores_and_torch_sparse_csr():
    popularity = torch.tensor([3.0, 1.0, 2.0, 0.0, 5.0, 4.0])
    train_t = torch.tensor(TRAIN.toarray()).to_sparse_csr()
    out = full_ranking(lambda u: popularity.expand(u.numel(), -1), train_t, TEST, ks=(1,), metrics=["recall"])
    # popularity ranking 4, 5, 0, 2, 1, 3: u0 -> 4 (miss), u1 -> 4 (hit, 1 of 2), u3 -> 5 (miss)
    assert out["recall@1"] == pytest.approx(0.5 / 3)


def test_thread_setting_is_restored():
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        full_ranking(score_fn, TRAIN, TEST, ks=(2,))
        assert torch.get_num_threads() == 2
        with pytest.raises(ValueError, match="NaN"):
            full_ranking(lambda u: torch.full((u.numel(), 6), float("nan")), TRAIN, TEST, ks=(2,))
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_gather_csr_rows_matches_scipy():
    rng = np.random.default_rng(3)
    m = sp.csr_matrix(rng.random((20, 15)) < 0.3)
    indptr, indices = csr_tensors(m, "m")
    rows = torch.tensor([5, 0, 19, 5, 7])
    r, c = gather_csr_rows(indptr, indices, rows)
    sub = m[rows.numpy()].tocoo()
    assert sorted(zip(r.tolist(), c.tolist(), strict=True)) == sorted(zip(sub.row.tolist(), sub.col.tolist()))


def test_errors():
    with pytest.raises(ValueError, match=r"k: the list length 7 \(max\(ks\)\) exceeds the 6 items"):
        full_ranking(score_fn, TRAIN, TEST, ks=(7,))
    with pytest.raises(ValueError, match="exclude\\[1\\]: has 3 users, test_csr has 4"):
        full_ranking(score_fn, TRAIN, TEST, exclude=(TRAIN, VALID[:3]))
    with pytest.raises(ValueError, match="format 'csc'"):
        full_ranking(score_fn, TRAIN.tocsc(), TEST)
    with pytest.raises(ValueError, match="score_fn: returned NaN"):
        full_ranking(lambda u: torch.full((u.numel(), 6), float("nan")), TRAIN, TEST, ks=(2,))
    with pytest.raises(ValueError, match="score_fn: expected floating-point"):
        full_ranking(lambda u: torch.ones(u.numel(), 6, dtype=torch.long), TRAIN, TEST, ks=(2,))
    with pytest.raises(ValueError, match="score_fn: returned 5 item columns, expected 6"):
        full_ranking(lambda u: torch.ones(u.numel(), 5), TRAIN, TEST, ks=(2,))
    with pytest.raises(ValueError, match="test_csr: no user has a test item"):
        full_ranking(score_fn, TRAIN, csr([[], [], [], []], 6))
    with pytest.raises(ValueError, match="batch_size"):
        full_ranking(score_fn, TRAIN, TEST, ks=(2,), batch_size=0)
    with pytest.raises(ValueError, match="user_emb, item_emb"):
        full_ranking_from_embeddings(torch.ones(4, 3), torch.ones(6, 2), TRAIN, TEST)
    assert masked_topk(torch.tensor([[1.0, float("-inf")]]), 2).tolist() == [[0, -1]]


def _read_lightgcn(path: Path) -> sp.csr_matrix:
    data = path.read_bytes()
    values = np.array(data.split(), dtype=np.int64)
    raw = np.frombuffer(data, dtype=np.uint8)
    is_digit = (raw >= ord("0")) & (raw <= ord("9"))
    starts = np.flatnonzero(is_digit & ~np.concatenate([[False], is_digit[:-1]]))
    line = np.cumsum(raw == ord("\n"))[starts]
    first = np.concatenate([[True], line[1:] != line[:-1]])
    user = np.repeat(values[first], np.diff(np.append(np.flatnonzero(first), values.size)))[~first]
    return sp.csr_matrix((np.ones(user.size), (user, values[~first])), shape=(29858, 40981))


@pytest.mark.real_data
def test_gowalla_most_popular_baseline():
    root = Path(os.environ.get("GCL_DATA_DIR", "datasets")) / "gowalla"
    if not (root / "train.txt").exists() or not (root / "test.txt").exists():
        pytest.skip(f"Gowalla files not found under {root}")
    train, test = _read_lightgcn(root / "train.txt"), _read_lightgcn(root / "test.txt")
    assert (train.nnz, test.nnz) == (810_128, 217_242)
    popularity = np.asarray(train.sum(axis=0)).ravel()
    order = np.argsort(-popularity, kind="stable")  # ties broken by item id, so the ranking is unique
    scores = torch.empty(popularity.size, dtype=torch.float32)
    scores[torch.as_tensor(order)] = torch.arange(popularity.size, 0, -1, dtype=torch.float32)

    def most_popular(users: torch.Tensor) -> torch.Tensor:
        return scores.expand(users.numel(), -1)

    n = 3000  # all 29,858 users take ~10 s here; they give Recall@20 0.041631, NDCG@20 0.031690, the MostPop
    # numbers published for this split (0.0416 / 0.0317)
    out = full_ranking(most_popular, train[:n], test[:n], ks=(20,), metrics=("recall", "ndcg"))
    assert out["num_users"] == n and out["num_skipped_users"] == 0
    assert out["recall@20"] == pytest.approx(0.03710185315222326, abs=1e-12)
    assert out["ndcg@20"] == pytest.approx(0.039833353681521196, abs=1e-12)
