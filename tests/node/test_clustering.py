import math

import numpy as np
import pytest
import torch
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

import gcl.node.clustering as clustering
from gcl.node.clustering import ari, evaluate_clustering, kmeans, nmi


def _blobs(n_per=40, k=4, d=3, spread=0.05, seed=0):
    g = torch.Generator().manual_seed(seed)
    centers = 10 * torch.randn(k, d, generator=g)
    y = torch.arange(k).repeat_interleave(n_per)
    return centers[y] + spread * torch.randn(k * n_per, d, generator=g), y


def _same_partition(a, b):
    a, b = np.asarray(a), np.asarray(b)
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


# ---- NMI / ARI -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_nmi_ari_match_sklearn_on_random_labelings(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 400))
    a = rng.integers(0, int(rng.integers(1, 9)), n)
    b = rng.integers(0, int(rng.integers(1, 12)), n)
    assert nmi(a, b) == pytest.approx(normalized_mutual_info_score(a, b), abs=1e-12)
    assert ari(a, b) == pytest.approx(adjusted_rand_score(a, b), abs=1e-12)


def test_nmi_ari_match_sklearn_on_correlated_labelings_and_accept_tensors_and_strings():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 5, 500)
    b = np.where(rng.random(500) < 0.7, a, rng.integers(0, 5, 500))
    assert nmi(torch.tensor(a), torch.tensor(b)) == pytest.approx(
        normalized_mutual_info_score(a, b), abs=1e-12
    )
    assert ari(torch.tensor(a), b) == pytest.approx(adjusted_rand_score(a, b), abs=1e-12)
    names = np.array(["x", "y", "z", "w", "v"])[a]
    assert nmi(names, b) == pytest.approx(normalized_mutual_info_score(a, b), abs=1e-12)


def test_ari_is_exact_on_large_inputs():
    # n^2 products exceed int64 here; Python integers keep the pair counts exact.
    rng = np.random.default_rng(1)
    a = rng.integers(0, 3, 200_000)
    b = np.where(rng.random(200_000) < 0.5, a, rng.integers(0, 3, 200_000))
    assert ari(a, b) == pytest.approx(adjusted_rand_score(a, b), abs=1e-12)


def test_nmi_hand_computed():
    # true [0,0,1,1], pred [0,0,0,1]: p_true = (1/2, 1/2), p_pred = (3/4, 1/4), cells 2/4, 1/4, 1/4.
    mi = (
        0.5 * math.log(0.5 / (0.5 * 0.75))
        + 0.25 * math.log(0.25 / (0.5 * 0.75))
        + 0.25 * math.log(0.25 / 0.125)
    )
    h_true = math.log(2)
    h_pred = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    assert nmi([0, 0, 1, 1], [0, 0, 0, 1]) == pytest.approx(mi / ((h_true + h_pred) / 2), abs=1e-15)
    assert nmi([0, 0, 1, 1], [7, 7, 3, 3]) == 1.0
    assert nmi([0, 0, 1, 1], [0, 1, 0, 1]) == 0.0


def test_ari_hand_computed():
    # Pairs together: both 1, true 2, pred 1, of 6 -> expected 1/3, max 3/2 -> (1 - 1/3) / (3/2 - 1/3) = 4/7.
    assert ari([0, 0, 1, 1], [0, 0, 1, 2]) == pytest.approx(4 / 7, abs=1e-15)
    assert ari([0, 0, 1, 1], [5, 5, 2, 2]) == 1.0
    assert ari([0, 0, 1, 1], [0, 1, 0, 1]) == pytest.approx(-0.5, abs=1e-15)


def test_nmi_ari_degenerate_cases_follow_sklearn():
    assert nmi([0, 0, 0], [1, 1, 1]) == 1.0 == normalized_mutual_info_score([0, 0, 0], [1, 1, 1])
    assert nmi([0, 0, 0], [1, 2, 3]) == 0.0 == normalized_mutual_info_score([0, 0, 0], [1, 2, 3])
    assert nmi([], []) == 1.0 and ari([], []) == 1.0
    assert ari([0, 1, 2], [5, 6, 7]) == 1.0 == adjusted_rand_score([0, 1, 2], [5, 6, 7])
    assert ari([0, 0, 0], [1, 2, 3]) == adjusted_rand_score([0, 0, 0], [1, 2, 3])


def test_nmi_ari_reject_bad_input():
    with pytest.raises(ValueError, match="labels_true has 3 entries but labels_pred has 2"):
        nmi([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match=r"labels_pred must be 1-D, got shape \(2, 1\)"):
        ari([0, 1], [[0], [1]])


# ---- k-means ---------------------------------------------------------------------------------------------


def test_kmeans_exact_seeded_output():
    x = torch.randn(12, 2, generator=torch.Generator().manual_seed(0))
    labels, centroids, inertia = kmeans(x, 3, seed=0)
    assert labels.tolist() == [0, 2, 1, 0, 2, 1, 2, 2, 1, 1, 2, 0]
    expected = [
        [-0.7609724998474121, -1.861207127571106],
        [1.3072943687438965, 0.5677011609077454],
        [0.17171119153499603, -0.04832419008016586],
    ]
    assert torch.allclose(centroids, torch.tensor(expected), atol=1e-6)
    assert inertia == pytest.approx(4.530162811279297, abs=1e-5)
    labels1, _, inertia1 = kmeans(x, 3, seed=1, n_init=1)
    assert labels1.tolist() == [2, 0, 1, 2, 0, 1, 1, 0, 1, 1, 0, 2]
    assert inertia1 == pytest.approx(4.582347869873047, abs=1e-5)


def test_kmeans_recovers_well_separated_blobs_and_is_deterministic():
    x, y = _blobs()
    labels, centroids, inertia = kmeans(x, 4, seed=3)
    assert _same_partition(labels, y) and ari(y, labels) == 1.0
    # Centroids are the means of their points; inertia is the exact sum of squared distances.
    for c in range(4):
        assert torch.allclose(centroids[c], x[labels == c].mean(dim=0), atol=1e-5)
    assert inertia == pytest.approx(float((x - centroids[labels]).square().sum()), rel=1e-6)
    again = kmeans(x, 4, seed=3)
    assert torch.equal(again[0], labels) and torch.equal(again[1], centroids) and again[2] == inertia
    assert labels.dtype == torch.long and centroids.dtype == x.dtype


def test_kmeans_inertia_matches_sklearn_on_blobs():
    x, _ = _blobs(n_per=50, k=5, d=4, spread=1.0, seed=2)
    _, _, inertia = kmeans(x.double(), 5, seed=0)
    ref = KMeans(5, n_init=10, random_state=0).fit(x.double().numpy())
    assert inertia == pytest.approx(ref.inertia_, rel=1e-9)


def test_kmeans_edge_cases():
    x, _ = _blobs(n_per=5, k=2)
    labels, centroids, inertia = kmeans(x, 1)
    assert bool((labels == 0).all()) and torch.allclose(centroids[0], x.mean(dim=0), atol=1e-5)
    labels, _, inertia = kmeans(x, x.shape[0])
    assert sorted(labels.tolist()) == list(range(10)) and inertia == pytest.approx(0.0, abs=1e-6)
    # Duplicated points: three distinct locations, k = 3 -> zero inertia (k-means++ falls back to uniform
    # sampling once every point sits on a center).
    dup = torch.tensor([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]]).repeat(4, 1)
    labels, _, inertia = kmeans(dup, 3, seed=0)
    assert inertia == 0.0 and _same_partition(labels, torch.arange(3).repeat(4))
    labels, _, _ = kmeans(dup, 4, seed=0)
    assert len(set(labels.tolist())) <= 4
    # Integer input is clustered in float32.
    _, centroids, _ = kmeans(torch.tensor([[0, 0], [0, 1], [10, 10], [10, 11]]), 2)
    assert centroids.dtype == torch.float32


def test_kmeans_restarts_lower_inertia():
    # Restarts draw their own seeds, so compare against the average single run (deterministic values).
    x = torch.randn(200, 5, generator=torch.Generator().manual_seed(4))
    singles = [kmeans(x, 8, seed=s, n_init=1)[2] for s in range(4)]
    assert kmeans(x, 8, seed=0, n_init=10)[2] < np.mean(singles)


def test_kmeans_chunked_assignment_equals_unchunked(monkeypatch):
    x, _ = _blobs(n_per=30, k=3, spread=2.0, seed=5)
    want = kmeans(x, 3, seed=2)
    monkeypatch.setattr(clustering, "_MAX_BLOCK", 210)  # 210 // (10 restarts * 3) -> chunks of 7 rows
    got = kmeans(x, 3, seed=2)
    assert (
        torch.equal(got[0], want[0]) and torch.allclose(got[1], want[1]) and got[2] == pytest.approx(want[2])
    )


def test_reseed_empty_moves_centers_to_farthest_points():
    x = torch.tensor([[0.0], [1.0], [10.0], [3.0]])
    centers = torch.tensor([[[0.5], [99.0], [98.0]]])
    empty = torch.tensor([[False, True, True]])
    dists = torch.tensor([[0.25, 0.25, 90.25, 6.25]])
    out = clustering._reseed_empty(x, centers, empty, dists)
    assert out.flatten().tolist() == [0.5, 10.0, 3.0]
    assert centers.flatten().tolist() == [0.5, 99.0, 98.0]  # input untouched


@pytest.mark.parametrize(
    ("x", "k", "kwargs", "match"),
    [
        (torch.zeros(5), 2, {}, r"x must be a 2-D tensor"),
        (torch.zeros(5, 2), 0, {}, r"k must be an int in \[1, N=5\]"),
        (torch.zeros(5, 2), 6, {}, r"k must be an int in \[1, N=5\]"),
        (torch.zeros(5, 2), 2, {"n_init": 0}, "n_init must be a positive int"),
        (torch.zeros(5, 2), 2, {"max_iter": 0}, "max_iter must be a positive int"),
        (torch.zeros(5, 2), 2, {"tol": -1.0}, "tol must be a number >= 0"),
        (torch.tensor([[0.0, math.nan], [1.0, 1.0]]), 1, {}, "x contains NaN/inf"),
    ],
)
def test_kmeans_rejects_bad_input(x, k, kwargs, match):
    with pytest.raises(ValueError, match=match):
        kmeans(x, k, **kwargs)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_kmeans_follows_cuda_device():
    x, y = _blobs()
    labels, centroids, _ = kmeans(x.cuda(), 4, seed=0)
    assert labels.device.type == "cuda" and centroids.device.type == "cuda"
    assert ari(y, labels) == 1.0


# ---- evaluate_clustering ---------------------------------------------------------------------------------


def test_evaluate_clustering_on_blobs():
    x, y = _blobs()
    out = evaluate_clustering(x, y, seeds=range(3))
    assert out["nmi"] == pytest.approx([1.0] * 3, abs=1e-15) and out["ari"] == [1.0, 1.0, 1.0]
    assert out["nmi_mean"] == pytest.approx(1.0, abs=1e-15)
    assert out["nmi_std"] == pytest.approx(0.0, abs=1e-15)
    assert (out["ari_mean"], out["ari_std"]) == (1.0, 0.0)
    assert out["seeds"] == [0, 1, 2]
    assert out["protocol"] == (
        "k-means (k = 4 classes, k-means++ init, 10 restarts, best inertia) on raw embeddings, 3 seeds, "
        "NMI (arithmetic normalization) and ARI mean ± std (population std, ddof=0)"
    )


def test_evaluate_clustering_statistics_are_population_mean_std():
    x, y = _blobs(spread=8.0, seed=1)
    out = evaluate_clustering(x, y, seeds=range(4), preprocess="l2", n_init=1)
    assert out["nmi_mean"] == pytest.approx(np.mean(out["nmi"]), abs=1e-15)
    assert out["ari_std"] == pytest.approx(np.std(out["ari"], ddof=0), abs=1e-15)
    labels, _, _ = kmeans(torch.nn.functional.normalize(x, dim=1), 4, n_init=1, seed=2)
    assert out["nmi"][2] == pytest.approx(nmi(y, labels), abs=1e-6)
    assert "on L2-normalized embeddings, 4 seeds" in out["protocol"]


def test_evaluate_clustering_rejects_bad_input():
    x, y = _blobs()
    with pytest.raises(ValueError, match="one class per embedding row"):
        evaluate_clustering(x, y[:-1])
    x[0, 0] = math.inf
    with pytest.raises(ValueError, match="NaN/inf"):
        evaluate_clustering(x, y)
    with pytest.raises(ValueError, match="seeds must not be empty"):
        evaluate_clustering(_blobs()[0], y, seeds=[])
