import pytest
import torch
from torch_geometric.data import Data

from gcl.augment.adaptive import (
    adaptive_drop_edge,
    adaptive_mask_feature,
    centrality,
    edge_drop_weights,
    feature_drop_weights,
)
from gcl.augment.community import communal_attribute_voting, communal_drop_edge, community_strength
from gcl.augment.diffusion import ppr_diffusion
from gcl.augment.feature import mask_feature
from gcl.augment.graph import add_edge, drop_edge, drop_node, random_walk_subgraph
from gcl.augment.transforms import (
    AdaptiveDropEdge,
    AdaptiveMaskFeature,
    AddEdge,
    CommunalAttributeVoting,
    CommunalDropEdge,
    DetectCommunities,
    Diffusion,
    DropEdge,
    DropNode,
    MaskFeature,
    RandomWalkSubgraph,
)

from .toy_graph import EI, N, X, bits


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def make_data(**extra) -> Data:
    return Data(x=X.clone(), edge_index=EI.clone(), y=torch.arange(N), num_nodes=N, **extra)


def assert_untouched(data: Data, keys: set[str]) -> None:
    assert set(data.keys()) == keys
    assert torch.equal(data.edge_index, EI) and torch.equal(data.x, X)


# ---------------------------------------------------------------- edge transforms


def test_drop_edge_transform_matches_function_and_filters_edge_attributes():
    edge_attr = torch.arange(14.0).view(14, 1).repeat(1, 3)
    data = make_data(edge_attr=edge_attr, edge_weight=torch.arange(14.0))
    keys = set(data.keys())
    out = DropEdge(0.5, generator=gen())(data)
    expected_ei, expected_mask = drop_edge(EI, 0.5, generator=gen())
    assert torch.equal(out.edge_index, expected_ei) and torch.equal(out.edge_mask, expected_mask)
    assert torch.equal(out.edge_attr, edge_attr[expected_mask])
    assert torch.equal(out.edge_weight, torch.arange(14.0)[expected_mask])
    assert out.x is data.x and out.y is data.y  # shallow copy: untouched tensors are shared
    assert_untouched(data, keys)


def test_drop_edge_transform_force_undirected():
    out = DropEdge(0.5, force_undirected=True, generator=gen())(make_data())
    assert out.edge_index.tolist() == [[0, 3, 2, 5], [2, 5, 0, 3]]


def test_drop_node_transform_records_masks():
    data = make_data()
    out = DropNode(0.3, generator=gen())(data)
    expected = drop_node(EI, 0.3, N, generator=gen())
    assert torch.equal(out.edge_index, expected[0])
    assert torch.equal(out.edge_mask, expected[1]) and torch.equal(out.node_mask, expected[2])
    assert out.x is data.x
    assert_untouched(data, {"x", "edge_index", "y", "num_nodes"})


def test_add_edge_transform_records_added_edges():
    data = make_data()
    out = AddEdge(0.3, generator=gen())(data)
    expected_ei, expected_added = add_edge(EI, 0.3, N, generator=gen())
    assert torch.equal(out.edge_index, expected_ei) and torch.equal(out.added_edges, expected_added)
    assert_untouched(data, {"x", "edge_index", "y", "num_nodes"})


def test_add_edge_transform_refuses_edge_attributes():
    with pytest.raises(ValueError, match=r"cannot invent values for edge attributes \['edge_weight'\]"):
        AddEdge(0.3)(make_data(edge_weight=torch.ones(14)))


def test_random_walk_subgraph_transform_records_masks():
    out = RandomWalkSubgraph(num_roots=1, walk_length=2, generator=gen())(make_data())
    expected = random_walk_subgraph(EI, N, num_roots=1, walk_length=2, generator=gen())
    assert torch.equal(out.edge_index, expected[0]) and torch.equal(out.node_mask, expected[2])
    assert out.node_mask.tolist() == [True, True, True, False, False, False]


def test_adaptive_drop_edge_transform_computes_or_reuses_weights():
    out = AdaptiveDropEdge(0.5, centrality="pagerank", generator=gen())(make_data())
    w = edge_drop_weights(EI, centrality(EI, N, "pagerank"))
    expected_ei, expected_mask = adaptive_drop_edge(EI, w, 0.5, 0.7, generator=gen())
    assert torch.equal(out.edge_index, expected_ei) and torch.equal(out.edge_mask, expected_mask)

    pre = torch.zeros(14)
    pre[0] = 1.0  # only edge 0 may be dropped: drop probability min(14 * 0.5, 0.7) = 0.7
    data = make_data(edge_drop_weights=pre)
    out = AdaptiveDropEdge(0.5, generator=gen())(data)
    assert out.edge_mask[1:].all()
    assert out.edge_drop_weights.shape == (int(out.edge_mask.sum()),)  # filtered along with the edges
    assert data.edge_drop_weights is pre


def test_adaptive_mask_feature_transform_computes_or_reuses_weights():
    data = make_data()
    out = AdaptiveMaskFeature(0.5, generator=gen())(data)
    w = feature_drop_weights(X, centrality(EI, N))
    expected_x, expected_mask = adaptive_mask_feature(X, w, 0.5, 0.7, generator=gen())
    assert torch.equal(out.x, expected_x) and torch.equal(out.feat_mask, expected_mask)
    assert_untouched(data, {"x", "edge_index", "y", "num_nodes"})

    out = AdaptiveMaskFeature(0.5, generator=gen())(
        make_data(feature_drop_weights=torch.tensor([0, 0, 0, 1.0]))
    )
    assert out.feat_mask[0, :3].all()


def test_mask_feature_transform_records_feat_mask():
    data = make_data()
    out = MaskFeature(0.5, mode="row", generator=gen())(data)
    expected_x, expected_mask = mask_feature(X, 0.5, mode="row", generator=gen())
    assert torch.equal(out.x, expected_x) and torch.equal(out.feat_mask, expected_mask)
    assert out.edge_index is data.edge_index
    assert_untouched(data, {"x", "edge_index", "y", "num_nodes"})


# ---------------------------------------------------------------- community transforms


def test_detect_communities_annotates_the_copy():
    pytest.importorskip("networkx")
    data = make_data()
    out = DetectCommunities(seed=0)(data)
    assert out.communities.tolist() == [0, 0, 0, 1, 1, 1]
    assert torch.allclose(out.community_strength, torch.full((2,), 3 / 7 - 0.25))
    assert "communities" not in data.keys()


def test_communal_transforms_match_functions():
    comm = torch.tensor([0, 0, 0, 1, 1, 1])
    s = community_strength(EI, comm)
    data = make_data(communities=comm, community_strength=s)
    out = CommunalDropEdge(0.5, generator=gen())(data)
    expected_ei, expected_mask = communal_drop_edge(EI, comm, s, 0.5, 1.0, generator=gen())
    assert torch.equal(out.edge_index, expected_ei) and torch.equal(out.edge_mask, expected_mask)
    out = CommunalAttributeVoting(0.5, generator=gen())(data)
    expected_x, expected_mask = communal_attribute_voting(X, comm, s, 0.5, 0.7, generator=gen())
    assert torch.equal(out.x, expected_x) and torch.equal(out.feat_mask, expected_mask)
    assert_untouched(data, {"x", "edge_index", "y", "num_nodes", "communities", "community_strength"})


def test_communal_drop_edge_detects_communities_when_missing():
    pytest.importorskip("networkx")
    data = make_data()
    out = CommunalDropEdge(0.5, generator=gen())(data)
    assert out.communities.tolist() == [0, 0, 0, 1, 1, 1]
    assert out.edge_mask.tolist() == bits("10101010100111")
    assert "communities" not in data.keys()


# ---------------------------------------------------------------- diffusion


def test_diffusion_transform_replaces_edges_and_drops_stale_edge_attributes():
    data = make_data(edge_attr=torch.ones(14, 2))
    out = Diffusion("ppr", alpha=0.2, top_k=2)(data)
    expected_ei, expected_w = ppr_diffusion(EI, N, alpha=0.2, top_k=2)
    assert torch.equal(out.edge_index, expected_ei) and torch.equal(out.edge_weight, expected_w)
    assert "edge_attr" not in out.keys()
    assert_untouched(data, {"x", "edge_index", "y", "num_nodes", "edge_attr"})
    assert Diffusion("heat", t=3.0, eps=0.1)(data).edge_weight.min() >= 0.1


# ---------------------------------------------------------------- construction


@pytest.mark.parametrize(
    "factory, match",
    [
        (lambda: DropEdge(1.5), "'p'"),
        (lambda: DropNode(-0.5), "'p'"),
        (lambda: AddEdge(float("nan")), "'p'"),
        (lambda: MaskFeature(0.5, mode="cell"), "'mode'"),
        (lambda: RandomWalkSubgraph(2.0), "'root_ratio'"),
        (lambda: AdaptiveDropEdge(0.5, centrality="katz"), "'centrality'"),
        (lambda: AdaptiveMaskFeature(0.5, threshold=1.1), "'threshold'"),
        (lambda: CommunalDropEdge(0.5, threshold=-1.0), "'threshold'"),
        (lambda: CommunalAttributeVoting(2.0), "'p'"),
        (lambda: Diffusion("gdc"), "'method'"),
        (lambda: DropEdge(0.5, generator=42), "'generator'"),
    ],
)
def test_transforms_validate_arguments(factory, match):
    with pytest.raises(ValueError, match=match):
        factory()


def test_transforms_need_their_attributes():
    with pytest.raises(ValueError, match="no 'x' attribute"):
        MaskFeature(0.5)(Data(edge_index=EI, num_nodes=N))


def test_transform_reprs():
    assert repr(DropEdge(0.2)) == "DropEdge(p=0.2, force_undirected=False)"
    assert repr(MaskFeature(0.3)) == "MaskFeature(p=0.3, mode='col')"
    assert repr(Diffusion("ppr", alpha=0.2)) == "Diffusion('ppr', alpha=0.2)"
