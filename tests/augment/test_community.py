import sys

import pytest
import torch
from torch.testing import assert_close

from gcl.augment.community import (
    communal_attribute_voting,
    communal_drop_edge,
    communal_edge_weights,
    communal_feature_weights,
    community_strength,
    label_propagation_communities,
    louvain_communities,
)

from .toy_graph import EI, N, X, bits

BRIDGE = torch.tensor(bits("00010000001000"))
COMM = torch.tensor([0, 0, 0, 1, 1, 1])


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def undirected(pairs: list[tuple[int, int]]) -> torch.Tensor:
    e = torch.tensor(pairs).t()
    return torch.cat([e, e.flip(0)], dim=1)


# Two 4-cliques {0..3}, {4..7} and a triangle {8, 9, 10}; a bridge 3-4 and a bridge 7-8.
CLIQUES = undirected(
    [(a, b) for a in range(4) for b in range(a + 1, 4)]
    + [(a, b) for a in range(4, 8) for b in range(a + 1, 8)]
    + [(8, 9), (8, 10), (9, 10), (3, 4), (7, 8)]
)


# ---------------------------------------------------------------- detection


def test_louvain_finds_the_two_triangles():
    pytest.importorskip("networkx")
    assert louvain_communities(EI, N, seed=0).tolist() == [0, 0, 0, 1, 1, 1]


def test_louvain_finds_cliques_numbered_by_size_and_isolated_nodes_are_singletons():
    pytest.importorskip("networkx")
    comm = louvain_communities(CLIQUES, 12, seed=0)
    assert comm.tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3]


def test_louvain_falls_back_to_label_propagation_without_networkx(monkeypatch):
    monkeypatch.setitem(sys.modules, "networkx", None)  # makes `import networkx` raise ImportError
    comm = louvain_communities(CLIQUES, 12, seed=0)
    expected = label_propagation_communities(CLIQUES, 12, generator=torch.Generator().manual_seed(0))
    assert torch.equal(comm, expected)


def test_label_propagation_seeded_output():
    assert label_propagation_communities(EI, N, generator=gen()).tolist() == [0, 0, 0, 1, 1, 1]
    comm = label_propagation_communities(CLIQUES, 12, generator=gen())
    assert comm.tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3]


def test_label_propagation_result_is_a_stable_labelling():
    comm = label_propagation_communities(CLIQUES, 12, generator=gen(3))
    src = torch.cat([CLIQUES[0], torch.arange(12)])
    dst = torch.cat([CLIQUES[1], torch.arange(12)])
    for node in range(12):  # every node holds one of its most frequent labels (self included)
        counts = torch.bincount(comm[src[dst == node]], minlength=12)
        assert counts[comm[node]] == counts.max()


def test_detection_validates():
    with pytest.raises(ValueError, match="'resolution'"):
        louvain_communities(EI, N, resolution=0.0)
    with pytest.raises(ValueError, match="'max_iter'"):
        label_propagation_communities(EI, N, max_iter=0)
    with pytest.raises(ValueError, match="outside"):
        louvain_communities(EI, 5)


# ---------------------------------------------------------------- strength


def test_community_strength_by_hand():
    # m = 7 edges; each triangle has 3 inner edges and total degree 7: 3/7 - (7/14)^2.
    assert_close(community_strength(EI, COMM), torch.full((2,), 3 / 7 - 0.25))


def test_community_strength_sums_to_networkx_modularity():
    nx = pytest.importorskip("networkx")
    comm = torch.tensor([0, 0, 1, 1, 1, 2, 2, 2, 0, 2, 1, 1])  # an arbitrary partition
    graph = nx.Graph(CLIQUES.t().tolist())
    graph.add_node(11)
    parts = [set((comm == c).nonzero().view(-1).tolist()) for c in range(3)]
    assert_close(community_strength(CLIQUES, comm).sum(), torch.tensor(nx.community.modularity(graph, parts)))


def test_community_strength_merges_duplicates_and_counts_self_loops_like_networkx():
    nx = pytest.importorskip("networkx")
    ei = torch.tensor([[0, 1, 0, 1, 2, 2], [1, 0, 1, 2, 3, 2]])  # duplicate (0, 1), one-way edges, self-loop
    comm = torch.tensor([0, 0, 1, 1])
    graph = nx.Graph([(0, 1), (1, 2), (2, 3), (2, 2)])
    assert_close(
        community_strength(ei, comm).sum(), torch.tensor(nx.community.modularity(graph, [{0, 1}, {2, 3}]))
    )


def test_community_strength_validates():
    with pytest.raises(ValueError, match="a graph without edges has no communities"):
        community_strength(torch.empty((2, 0), dtype=torch.long), COMM)
    with pytest.raises(ValueError, match="'communities' must hold non-negative"):
        community_strength(EI, torch.tensor([0, 0, 0, -1, 1, 1]))
    with pytest.raises(ValueError, match="'communities' must hold integer"):
        community_strength(EI, COMM.float())
    with pytest.raises(ValueError, match="outside"):
        community_strength(EI, COMM[:5])


# ---------------------------------------------------------------- communal edge dropping


def test_communal_edge_weights_by_hand():
    s = community_strength(EI, COMM)
    # inside: s_c = 0.1786, across: -(s_0 + s_1) -> min-max: inside 1, bridge 0.
    assert torch.equal(communal_edge_weights(EI, COMM, s), (~BRIDGE).float())
    w = communal_edge_weights(EI, COMM, torch.tensor([0.3, 0.1]))
    expected = torch.where(COMM[EI[0]] == COMM[EI[1]], torch.where(COMM[EI[0]] == 0, 0.3, 0.1), -0.4)
    assert_close(w, (expected + 0.4) / 0.7)


def test_communal_drop_edge_seeded_output():
    s = community_strength(EI, COMM)
    out, mask = communal_drop_edge(EI, COMM, s, 0.5, generator=gen())
    assert mask.tolist() == bits("10101010100111")
    assert out.tolist() == [[0, 1, 3, 4, 2, 4, 5, 5], [1, 2, 4, 5, 0, 3, 3, 4]]


def test_communal_drop_edge_drops_inter_community_and_weak_community_edges_more():
    comm = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3])
    s = community_strength(CLIQUES, comm)
    g = gen(4)
    kept = torch.stack([communal_drop_edge(CLIQUES, comm, s, 0.3, 0.9, generator=g)[1] for _ in range(300)])
    keep_rate = kept.float().mean(0)
    inter = comm[CLIQUES[0]] != comm[CLIQUES[1]]
    assert keep_rate[inter].max() < keep_rate[~inter].min()
    assert abs(float(keep_rate[inter].mean()) - 0.1) < 0.05  # clamped at 1 - threshold
    in_triangle = (comm[CLIQUES[0]] == 2) & ~inter  # the triangle is the weakest community
    in_clique = (comm[CLIQUES[0]] == 0) & ~inter
    assert s[2] < s[0] and keep_rate[in_triangle].mean() < keep_rate[in_clique].mean()


@pytest.mark.parametrize("kwargs", [{"p": 0.0}, {"p": 0.5, "training": False}])
def test_communal_drop_edge_identity(kwargs):
    out, mask = communal_drop_edge(EI, COMM, torch.tensor([0.2, 0.1]), **kwargs)
    assert out is EI and mask.all()


def test_communal_drop_edge_validates():
    with pytest.raises(ValueError, match="'p'"):
        communal_drop_edge(EI, COMM, torch.tensor([0.2, 0.1]), float("nan"))
    with pytest.raises(ValueError, match="'strength' has 1 entries"):
        communal_drop_edge(EI, COMM, torch.tensor([0.2]), 0.5)
    with pytest.raises(ValueError, match="'strength' must be finite"):
        communal_drop_edge(EI, COMM, torch.tensor([0.2, float("inf")]), 0.5)


# ---------------------------------------------------------------- communal attribute voting


def test_communal_feature_weights_by_hand():
    s = torch.tensor([0.3, 0.1])
    votes = X.abs().t() @ s[COMM]
    score = votes.log()
    expected = (score.max() - score) / (score.max() - score.min())
    assert_close(communal_feature_weights(X, COMM, s), expected)


def test_communal_feature_weights_replace_non_positive_votes_by_the_largest():
    x = torch.tensor([[1.0, 0.0, 2.0], [1.0, 0.0, 0.0]])
    w = communal_feature_weights(x, torch.tensor([0, 1]), torch.tensor([0.5, -0.1]))
    # votes: 0.4, 0 -> 1.0 (the max), 1.0: column 0 is the least voted and masked most.
    assert_close(w, torch.tensor([1.0, 0.0, 0.0]))


def test_communal_attribute_voting_seeded_output():
    s = community_strength(EI, COMM)
    out, mask = communal_attribute_voting(X, COMM, s, 0.5, generator=gen())
    assert mask.tolist() == [[True, True, False, True]]
    assert torch.equal(out, X * mask)


def test_communal_attribute_voting_keeps_attributes_of_strong_communities():
    x = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    comm = torch.tensor([0, 0, 1, 1])
    g = gen(6)
    kept = torch.stack(
        [
            communal_attribute_voting(x, comm, torch.tensor([0.4, 0.05]), 0.3, generator=g)[1]
            for _ in range(300)
        ]
    )
    keep_rate = kept.float().mean(0).view(-1)
    assert keep_rate[0] == 1.0  # the strong community's attribute is never masked
    assert abs(float(keep_rate[1]) - 0.4) < 0.1  # the weak one: min(2 * 0.3, 0.7) = 0.6 masking rate


@pytest.mark.parametrize("layout", ["coo", "csr"])
def test_communal_attribute_voting_sparse_equals_dense(layout):
    x = torch.rand(12, 9, generator=gen(1)) * (torch.rand(12, 9, generator=gen(2)) < 0.4)
    comm = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3])
    s = community_strength(CLIQUES, comm)
    xs = x.to_sparse_coo() if layout == "coo" else x.to_sparse_csr()
    assert_close(communal_feature_weights(xs, comm, s), communal_feature_weights(x, comm, s))
    dense_out, dense_mask = communal_attribute_voting(x, comm, s, 0.4, generator=gen(3))
    sparse_out, sparse_mask = communal_attribute_voting(xs, comm, s, 0.4, generator=gen(3))
    assert torch.equal(sparse_mask, dense_mask) and torch.equal(sparse_out.to_dense(), dense_out)


@pytest.mark.parametrize("kwargs", [{"p": 0.0}, {"p": 0.5, "training": False}])
def test_communal_attribute_voting_identity(kwargs):
    out, mask = communal_attribute_voting(X, COMM, torch.tensor([0.2, 0.1]), **kwargs)
    assert out is X and mask.all()


def test_communal_attribute_voting_validates():
    with pytest.raises(ValueError, match="'communities' has 5 entries but 'x' has 6 rows"):
        communal_attribute_voting(X, COMM[:5], torch.tensor([0.2, 0.1]), 0.5)
    with pytest.raises(ValueError, match="'threshold'"):
        communal_attribute_voting(X, COMM, torch.tensor([0.2, 0.1]), 0.5, threshold=2.0)
