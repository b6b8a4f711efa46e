import pytest
import torch
from torch_geometric.utils import dropout_edge, dropout_node, is_undirected

from gcl.augment.graph import add_edge, drop_edge, drop_node, random_walk_subgraph

from .toy_graph import EI, N


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def keys(edge_index: torch.Tensor) -> set[tuple[int, int]]:
    return set(map(tuple, edge_index.t().tolist()))


# ---------------------------------------------------------------- drop_edge


def test_drop_edge_seeded_output():
    out, mask = drop_edge(EI, 0.5, generator=gen())
    assert mask.tolist() == [False, True, False, False, False, True, False, True, False, True] + [False] * 4
    assert out.tolist() == [[0, 3, 1, 2], [2, 5, 0, 1]]


def test_drop_edge_force_undirected_seeded_output():
    out, mask = drop_edge(EI, 0.5, force_undirected=True, generator=gen())
    assert out.tolist() == [[0, 3, 2, 5], [2, 5, 0, 3]]
    assert mask.nonzero().view(-1).tolist() == [1, 5, 8, 12]


def test_drop_edge_keeps_a_subset_in_order():
    for seed in range(5):
        out, mask = drop_edge(EI, 0.4, generator=gen(seed))
        assert mask.dtype == torch.bool and mask.shape == (EI.size(1),)
        assert torch.equal(out, EI[:, mask])


def test_drop_edge_force_undirected_keeps_symmetry():
    for seed in range(20):
        out, _ = drop_edge(EI, 0.5, force_undirected=True, generator=gen(seed))
        assert is_undirected(out, num_nodes=N)
        assert keys(out) <= keys(EI)


def test_drop_edge_matches_pyg_under_global_seed():
    torch.manual_seed(3)
    expected = dropout_edge(EI, p=0.3)
    torch.manual_seed(3)
    got = drop_edge(EI, 0.3)
    assert torch.equal(got[0], expected[0]) and torch.equal(got[1], expected[1])


def test_drop_edge_same_generator_seed_same_output_and_advances():
    g = gen(7)
    first = drop_edge(EI, 0.5, generator=g)[1]
    second = drop_edge(EI, 0.5, generator=g)[1]
    assert torch.equal(first, drop_edge(EI, 0.5, generator=gen(7))[1])
    assert not torch.equal(first, second)


@pytest.mark.parametrize("kwargs", [{"p": 0.0}, {"p": 0.7, "training": False}])
def test_drop_edge_identity(kwargs):
    out, mask = drop_edge(EI, **kwargs)
    assert out is EI
    assert mask.all() and mask.shape == (EI.size(1),)


def test_drop_edge_p_one_drops_everything():
    out, mask = drop_edge(EI, 1.0, generator=gen())
    assert out.shape == (2, 0) and not mask.any()


def test_drop_edge_empty_graph():
    empty = torch.empty((2, 0), dtype=torch.long)
    out, mask = drop_edge(empty, 0.5, force_undirected=True)
    assert out.shape == (2, 0) and mask.shape == (0,)


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan")])
def test_drop_edge_rejects_bad_probability(p):
    with pytest.raises(ValueError, match="'p' must be a probability"):
        drop_edge(EI, p)


@pytest.mark.parametrize(
    "edge_index, match",
    [
        (torch.zeros(3, 4, dtype=torch.long), r"shape \[2, E\]"),
        (torch.zeros(8, dtype=torch.long), r"shape \[2, E\]"),
        (torch.zeros(2, 4), "integer node ids"),
        ([[0, 1], [1, 0]], "torch.Tensor"),
    ],
)
def test_drop_edge_rejects_bad_edge_index(edge_index, match):
    with pytest.raises(ValueError, match=match):
        drop_edge(edge_index, 0.5)


def test_drop_edge_rejects_bad_generator():
    with pytest.raises(ValueError, match="'generator'"):
        drop_edge(EI, 0.5, generator=0)


# ---------------------------------------------------------------- drop_node


def test_drop_node_seeded_output():
    out, edge_mask, node_mask = drop_node(EI, 0.3, N, generator=gen())
    assert node_mask.tolist() == [True, True, False, False, True, True]
    assert out.tolist() == [[0, 4, 1, 5], [1, 5, 0, 4]]
    assert torch.equal(out, EI[:, edge_mask])


def test_drop_node_removes_exactly_the_incident_edges():
    for seed in range(5):
        out, edge_mask, node_mask = drop_node(EI, 0.5, N, generator=gen(seed))
        assert torch.equal(edge_mask, node_mask[EI[0]] & node_mask[EI[1]])
        assert torch.equal(out, EI[:, edge_mask])


def test_drop_node_matches_pyg_under_global_seed():
    torch.manual_seed(5)
    expected = dropout_node(EI, p=0.4, num_nodes=N)
    torch.manual_seed(5)
    got = drop_node(EI, 0.4, N)
    assert all(torch.equal(a, b) for a, b in zip(got, expected))


@pytest.mark.parametrize("kwargs", [{"p": 0.0}, {"p": 0.5, "training": False}])
def test_drop_node_identity(kwargs):
    out, edge_mask, node_mask = drop_node(EI, num_nodes=N, **kwargs)
    assert out is EI and edge_mask.all() and node_mask.all() and node_mask.shape == (N,)


def test_drop_node_validates():
    with pytest.raises(ValueError, match="'p'"):
        drop_node(EI, 2.0, N)
    with pytest.raises(ValueError, match="outside \\[0, 4\\)"):
        drop_node(EI, 0.5, 4)
    with pytest.raises(ValueError, match="'num_nodes' must be a positive int"):
        drop_node(torch.empty((2, 0), dtype=torch.long), 0.5, 0)
    with pytest.raises(ValueError, match="outside"):
        drop_node(torch.tensor([[0, -1], [1, 0]]), 0.5, 3)


# ---------------------------------------------------------------- add_edge


def test_add_edge_seeded_output():
    out, added = add_edge(EI, 0.3, N, generator=gen())
    assert added.tolist() == [[4, 4, 3, 2], [2, 0, 1, 4]]
    assert torch.equal(out, torch.cat([EI, added], dim=1))


def test_add_edge_force_undirected_seeded_output():
    out, added = add_edge(EI, 0.3, N, force_undirected=True, generator=gen())
    assert added.tolist() == [[1, 0, 4, 3], [4, 3, 1, 0]]
    assert is_undirected(out, num_nodes=N)


@pytest.mark.parametrize("force_undirected", [False, True])
def test_add_edge_adds_new_distinct_non_loop_edges(force_undirected):
    for seed in range(10):
        _, added = add_edge(EI, 0.5, N, force_undirected=force_undirected, generator=gen(seed))
        new = list(map(tuple, added.t().tolist()))
        assert len(new) == (6 if force_undirected else 7)  # round(0.5 * 14), in pairs when undirected
        assert len(set(new)) == len(new)
        assert all(u != v for u, v in new)
        assert not set(new) & keys(EI)
        if force_undirected:
            assert not {(v, u) for u, v in new} - set(new)


def test_add_edge_rejection_path_on_a_large_sparse_graph():
    n = 1100  # N^2 > 2^20: candidates are drawn by rejection sampling
    ring = torch.stack([torch.arange(n), (torch.arange(n) + 1) % n])
    _, added = add_edge(ring, 1.0, n, generator=gen())
    assert added[:, :4].tolist() == [[1044, 139, 133, 960], [192, 1068, 447, 218]]
    new = list(map(tuple, added.t().tolist()))
    assert len(new) == n == len(set(new))
    assert not set(new) & keys(ring) and all(u != v for u, v in new)
    _, added = add_edge(ring, 0.01, n, force_undirected=True, generator=gen())
    assert added.tolist() == [
        [454, 139, 133, 669, 63, 1044, 1024, 441, 960, 769],
        [1044, 1024, 441, 960, 769, 454, 139, 133, 669, 63],
    ]


def test_add_edge_saturates_a_complete_graph():
    full = torch.tensor([[0, 0, 1, 1, 2], [1, 2, 0, 2, 0]])  # only (2, 1) is missing
    _, added = add_edge(full, 1.0, 3, generator=gen())
    assert added.tolist() == [[2], [1]]


@pytest.mark.parametrize("kwargs", [{"p": 0.0}, {"p": 0.5, "training": False}])
def test_add_edge_identity(kwargs):
    out, added = add_edge(EI, num_nodes=N, **kwargs)
    assert torch.equal(out, EI) and added.shape == (2, 0) and added.dtype == torch.long


def test_add_edge_validates():
    with pytest.raises(ValueError, match="'p'"):
        add_edge(EI, -1.0, N)
    with pytest.raises(ValueError, match="outside"):
        add_edge(EI, 0.5, 3)


# ---------------------------------------------------------------- random_walk_subgraph


def test_random_walk_subgraph_seeded_output():
    out, edge_mask, node_mask = random_walk_subgraph(EI, N, num_roots=1, walk_length=2, generator=gen())
    assert node_mask.tolist() == [True, True, True, False, False, False]
    assert out.tolist() == [[0, 0, 1, 1, 2, 2], [1, 2, 2, 0, 0, 1]]
    assert torch.equal(out, EI[:, edge_mask])


def test_random_walk_subgraph_seeded_output_with_root_ratio():
    _, _, node_mask = random_walk_subgraph(EI, N, root_ratio=0.34, walk_length=1, generator=gen())
    assert node_mask.tolist() == [True, False, True, True, False, True]


def test_random_walk_visits_a_connected_set_and_induces_edges():
    path = torch.tensor([[0, 1, 1, 2, 2, 3, 3, 4], [1, 0, 2, 1, 3, 2, 4, 3]])
    for seed in range(10):
        _, edge_mask, node_mask = random_walk_subgraph(
            path, 5, num_roots=1, walk_length=3, generator=gen(seed)
        )
        visited = node_mask.nonzero().view(-1)
        assert 1 <= visited.numel() <= 4
        assert int(visited.max() - visited.min()) + 1 == visited.numel()  # contiguous on a path
        assert torch.equal(edge_mask, node_mask[path[0]] & node_mask[path[1]])


def test_random_walk_stays_at_dead_ends():
    directed = torch.tensor([[0], [1]])  # node 1 has no out-edges
    _, _, node_mask = random_walk_subgraph(directed, 3, num_roots=3, walk_length=5, generator=gen())
    assert node_mask.all()
    _, _, node_mask = random_walk_subgraph(
        torch.empty((2, 0), dtype=torch.long), 3, num_roots=2, generator=gen()
    )
    assert int(node_mask.sum()) == 2


def test_random_walk_identity_when_not_training():
    out, edge_mask, node_mask = random_walk_subgraph(EI, N, training=False)
    assert out is EI and edge_mask.all() and node_mask.all()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"num_roots": 0}, "'num_roots'"),
        ({"num_roots": 7}, "'num_roots'"),
        ({"root_ratio": 1.5}, "'root_ratio'"),
        ({"walk_length": -1}, "'walk_length'"),
    ],
)
def test_random_walk_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        random_walk_subgraph(EI, N, **kwargs)
