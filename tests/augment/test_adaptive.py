import math

import pytest
import torch
from torch.testing import assert_close

from gcl.augment.adaptive import (
    adaptive_drop_edge,
    adaptive_mask_feature,
    centrality,
    edge_drop_weights,
    feature_drop_weights,
)

from .toy_graph import EI, N, X, bits

INTO_BRIDGE = torch.tensor(bits("01110000001110"))


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def undirected(pairs: list[tuple[int, int]]) -> torch.Tensor:
    e = torch.tensor(pairs).t()
    return torch.cat([e, e.flip(0)], dim=1)


# ---------------------------------------------------------------- centrality


def test_degree_centrality_counts_undirected_neighbours():
    assert centrality(EI, N, "degree").tolist() == [2.0, 2.0, 3.0, 3.0, 2.0, 2.0]
    directed = torch.tensor([[0, 0, 1], [1, 1, 2]])  # duplicate and one-way edges
    assert centrality(directed, 4, "degree").tolist() == [1.0, 2.0, 1.0, 0.0]


def _gca_compute_pr(edge_index, num_nodes, damp=0.85, k=10):
    """Slow loop transcription of GCA's pGRACE.utils.compute_pr."""
    deg_out = [0] * num_nodes
    for u in edge_index[0].tolist():
        deg_out[u] += 1
    x = [1.0] * num_nodes
    for _ in range(k):
        agg = [0.0] * num_nodes
        for u, v in edge_index.t().tolist():
            agg[v] += x[u] / deg_out[u]
        x = [(1 - damp) * a + damp * b for a, b in zip(x, agg)]
    return torch.tensor(x)


def test_pagerank_matches_gca_reference_loop():
    graph = torch.tensor([[0, 0, 1, 2, 3, 3, 4], [1, 2, 2, 0, 0, 4, 0]])
    assert_close(centrality(graph, 5, "pagerank"), _gca_compute_pr(graph, 5))
    assert_close(centrality(EI, N, "pagerank", damping=0.5, num_iters=3), _gca_compute_pr(EI, N, 0.5, 3))


def test_eigenvector_matches_networkx():
    nx = pytest.importorskip("networkx")
    pairs = [(0, 1), (0, 2), (1, 2), (2, 3), (3, 4), (3, 5), (4, 5), (5, 6), (6, 7), (1, 7)]
    graph = nx.Graph(pairs)
    expected = nx.eigenvector_centrality_numpy(graph)
    got = centrality(undirected(pairs), 8, "eigenvector", tol=1e-10)
    assert_close(got, torch.tensor([expected[i] for i in range(8)]).float(), atol=1e-5, rtol=0)


def test_eigenvector_converges_on_bipartite_star():
    star = undirected([(0, i) for i in range(1, 5)])
    c = centrality(star, 5, "eigenvector")
    assert_close(c, torch.tensor([1 / math.sqrt(2)] + [1 / math.sqrt(8)] * 4), atol=1e-5, rtol=0)


def test_eigenvector_on_triangles_by_hand():
    # Leading eigenvector of the two-triangle graph: bridge ends weigh sqrt(2) more than the others.
    assert_close(
        centrality(EI, N, "eigenvector"),
        torch.tensor([0.5, 0.5, 1 / math.sqrt(2), 1 / math.sqrt(2), 0.5, 0.5]) / math.sqrt(2),
        atol=1e-5,
        rtol=0,
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"kind": "betweenness"}, "'kind'"),
        ({"kind": "pagerank", "damping": 1.5}, "'damping'"),
        ({"kind": "pagerank", "num_iters": -1}, "'num_iters'"),
        ({"kind": "eigenvector", "max_iter": 0}, "'max_iter'"),
    ],
)
def test_centrality_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        centrality(EI, N, **kwargs)


def test_centrality_rejects_out_of_range_and_empty():
    with pytest.raises(ValueError, match="outside"):
        centrality(EI, 5)
    with pytest.raises(ValueError, match="'num_nodes'"):
        centrality(torch.empty((2, 0), dtype=torch.long), 0)


# ---------------------------------------------------------------- weights


def test_edge_drop_weights_by_hand():
    # s = log(1 + deg(target)): log 3 for targets of degree 2, log 4 for the bridge ends (2 and 3).
    s = torch.where(INTO_BRIDGE, math.log(4), math.log(3))
    expected = (s.max() - s) / (s.max() - s.mean())
    w = edge_drop_weights(EI, centrality(EI, N, "degree"))
    assert_close(w, expected)
    assert_close(w[~INTO_BRIDGE], torch.full((8,), 1.75))
    assert_close(w.mean(), torch.tensor(1.0))


def test_edge_drop_weights_uniform_when_all_scores_equal():
    ring = undirected([(0, 1), (1, 2), (2, 3), (3, 0)])
    assert torch.equal(edge_drop_weights(ring, centrality(ring, 4)), torch.ones(8))


def test_edge_drop_weights_validates():
    with pytest.raises(ValueError, match="'centrality' must be finite and >= 0"):
        edge_drop_weights(EI, torch.tensor([1.0, -1.0, 1.0, 1.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="outside"):
        edge_drop_weights(EI, torch.ones(4))
    with pytest.raises(ValueError, match="at least one edge"):
        edge_drop_weights(torch.empty((2, 0), dtype=torch.long), torch.ones(3))


def test_feature_drop_weights_binarized_by_hand():
    # Non-zero usage weighted by degree: columns 0-2 get 7, column 3 gets 9 -> weights 4/3, 4/3, 4/3, 0.
    w = feature_drop_weights(X, centrality(EI, N))
    assert_close(w, torch.tensor([4 / 3, 4 / 3, 4 / 3, 0.0]))


def test_feature_drop_weights_dense_magnitudes_seeded_values():
    w = feature_drop_weights(X, centrality(EI, N), binarize=False)
    assert_close(w, torch.tensor([0.95729184, 1.60685337, 1.43585813, 0.0]))


@pytest.mark.parametrize("binarize", [True, False])
@pytest.mark.parametrize("layout", ["coo", "csr"])
def test_feature_drop_weights_sparse_equals_dense(binarize, layout):
    x = torch.randn(30, 12, generator=gen(1)) * (torch.rand(30, 12, generator=gen(2)) < 0.3)
    c = torch.rand(30, generator=gen(3))
    xs = x.to_sparse_coo() if layout == "coo" else x.to_sparse_csr()
    assert_close(
        feature_drop_weights(xs, c, binarize=binarize), feature_drop_weights(x, c, binarize=binarize)
    )


def test_feature_drop_weights_validates():
    with pytest.raises(ValueError, match=r"'centrality' must have shape \[6\]"):
        feature_drop_weights(X, torch.ones(5))


# ---------------------------------------------------------------- adaptive_drop_edge


def test_adaptive_drop_edge_seeded_output():
    w = edge_drop_weights(EI, centrality(EI, N))
    out, mask = adaptive_drop_edge(EI, w, 0.5, generator=gen())
    assert mask.tolist() == bits("01110001001110")
    assert out.tolist() == [[0, 1, 2, 1, 3, 4, 5], [2, 2, 3, 0, 2, 3, 3]]


def test_adaptive_drop_edge_drops_high_centrality_edges_less():
    # A hub (node 0) with 8 leaves, plus a path among the leaves.
    pairs = [(0, i) for i in range(1, 9)] + [(i, i + 1) for i in range(1, 8)]
    ei = undirected(pairs)
    w = edge_drop_weights(ei, centrality(ei, 9, "degree"))
    g = gen(5)
    kept = torch.stack([adaptive_drop_edge(ei, w, 0.3, generator=g)[1] for _ in range(400)]).float()
    drop_rate = 1.0 - kept.mean(0)
    into_hub = ei[1] == 0
    assert drop_rate[into_hub].mean() < 0.05  # the hub has the largest centrality: weight 0
    assert drop_rate[~into_hub].mean() > 0.3
    expected = (w / w.mean() * 0.3).clamp(max=0.7)
    assert_close(drop_rate, expected, atol=0.1, rtol=0)  # empirical rate tracks min(w * p, threshold)


def test_adaptive_drop_edge_threshold_caps_probability():
    w = torch.tensor([0.0, 4.0])
    ei = torch.tensor([[0, 1], [1, 0]])
    g = gen(1)
    kept = torch.stack([adaptive_drop_edge(ei, w, 1.0, 0.7, generator=g)[1] for _ in range(2000)]).float()
    assert kept[:, 0].all()
    assert abs(float(1 - kept[:, 1].mean()) - 0.7) < 0.05


def test_adaptive_drop_edge_all_zero_weights_drop_uniformly():
    g = gen(2)
    kept = torch.stack([adaptive_drop_edge(EI, torch.zeros(14), 0.3, generator=g)[1] for _ in range(500)])
    assert abs(float(1 - kept.float().mean()) - 0.3) < 0.05


@pytest.mark.parametrize("kwargs", [{"p": 0.0}, {"p": 0.5, "training": False}])
def test_adaptive_drop_edge_identity(kwargs):
    out, mask = adaptive_drop_edge(EI, torch.ones(14), **kwargs)
    assert out is EI and mask.all()


@pytest.mark.parametrize(
    "weights, kwargs, match",
    [
        (torch.ones(14), {"p": 1.2}, "'p'"),
        (torch.ones(14), {"p": 0.5, "threshold": -0.1}, "'threshold'"),
        (torch.ones(13), {"p": 0.5}, r"'weights' must have shape \[14\]"),
        (torch.full((14,), float("nan")), {"p": 0.5}, "'weights' must be finite"),
    ],
)
def test_adaptive_drop_edge_validates(weights, kwargs, match):
    with pytest.raises(ValueError, match=match):
        adaptive_drop_edge(EI, weights, **kwargs)


# ---------------------------------------------------------------- adaptive_mask_feature


def test_adaptive_mask_feature_seeded_output():
    w = feature_drop_weights(X, centrality(EI, N))
    out, mask = adaptive_mask_feature(X, w, 0.5, generator=gen())
    assert mask.tolist() == [[False, True, False, True]]
    assert torch.equal(out, X * mask)


@pytest.mark.parametrize("layout", ["coo", "csr"])
def test_adaptive_mask_feature_sparse_equals_dense(layout):
    x = torch.randn(30, 12, generator=gen(1)) * (torch.rand(30, 12, generator=gen(2)) < 0.3)
    w = torch.rand(12, generator=gen(3))
    xs = x.to_sparse_coo() if layout == "coo" else x.to_sparse_csr()
    dense_out, dense_mask = adaptive_mask_feature(x, w, 0.4, generator=gen(4))
    sparse_out, sparse_mask = adaptive_mask_feature(xs, w, 0.4, generator=gen(4))
    assert torch.equal(sparse_mask, dense_mask) and torch.equal(sparse_out.to_dense(), dense_out)


@pytest.mark.parametrize("kwargs", [{"p": 0.0}, {"p": 0.5, "training": False}])
def test_adaptive_mask_feature_identity(kwargs):
    out, mask = adaptive_mask_feature(X, torch.ones(4), **kwargs)
    assert out is X and mask.all() and mask.shape == (1, 4)


def test_adaptive_mask_feature_validates():
    with pytest.raises(ValueError, match=r"'weights' must have shape \[4\]"):
        adaptive_mask_feature(X, torch.ones(3), 0.5)
    with pytest.raises(ValueError, match="'x' contains NaN"):
        adaptive_mask_feature(torch.full((2, 4), float("nan")), torch.ones(4), 0.5)
