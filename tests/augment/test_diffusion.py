import pytest
import scipy.linalg
import torch
from torch.testing import assert_close
from torch_geometric.utils import to_dense_adj

from gcl.augment.diffusion import heat_diffusion, ppr_diffusion

from .toy_graph import EI, N


def transition(edge_index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """Dense reference T = D^-1/2 (A + I) D^-1/2."""
    a = to_dense_adj(edge_index, max_num_nodes=num_nodes)[0].double() + torch.eye(
        num_nodes, dtype=torch.float64
    )
    d = a.sum(0).pow(-0.5)
    return d[:, None] * a * d[None, :]


def dense(edge_index, edge_weight, num_nodes):
    return to_dense_adj(edge_index, edge_attr=edge_weight, max_num_nodes=num_nodes)[0].double()


def test_ppr_matches_dense_reference():
    t = transition(EI, N)
    expected = 0.2 * torch.linalg.inv(torch.eye(N, dtype=torch.float64) - 0.8 * t)
    out, w = ppr_diffusion(EI, N, alpha=0.2, eps=0.0)
    assert out.size(1) == N * N
    assert_close(dense(out, w, N), expected, atol=1e-5, rtol=1e-5)


def test_ppr_top_k_seeded_values():
    out, w = ppr_diffusion(EI, N, alpha=0.2, top_k=2)
    assert out.tolist() == [[0, 0, 0, 1, 1, 2, 3, 4, 4, 5, 5, 5], [0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5]]
    assert_close(
        w,
        torch.tensor(
            [
                0.41196582,
                0.21196575,
                0.19738467,
                0.21196575,
                0.41196576,
                0.39886037,
                0.39886039,
                0.41196576,
                0.21196580,
                0.19738470,
                0.21196580,
                0.41196582,
            ]
        ),
    )


def test_ppr_top_k_keeps_the_largest_entries_of_every_column():
    full = ppr_diffusion(EI, N, alpha=0.15, eps=0.0)
    full = dense(*full, N)
    out, w = ppr_diffusion(EI, N, alpha=0.15, top_k=3)
    assert torch.bincount(out[1], minlength=N).tolist() == [3] * N
    kept = dense(out, w, N)
    for col in range(N):
        assert_close(
            kept[:, col].sort(descending=True).values[:3], full[:, col].sort(descending=True).values[:3]
        )


def test_ppr_eps_threshold_and_default_average_degree():
    out, w = ppr_diffusion(EI, N, alpha=0.2, eps=0.2)
    assert bool((w >= 0.2).all())
    full = dense(*ppr_diffusion(EI, N, alpha=0.2, eps=0.0), N)
    assert out.size(1) == int((full >= 0.2).sum())
    out, _ = ppr_diffusion(EI, N, alpha=0.2)  # keeps about round(14 / 6) = 2 entries per node
    assert 2 * N <= out.size(1) <= 2 * N + 2


def test_ppr_isolated_node_keeps_its_self_loop():
    out, w = ppr_diffusion(EI, N + 1, alpha=0.2, eps=0.0)
    assert_close(dense(out, w, N + 1)[N], torch.eye(N + 1, dtype=torch.float64)[N])


def test_ppr_edge_weights_scale_invariant_with_matching_self_loops():
    base = dense(*ppr_diffusion(EI, N, alpha=0.2, eps=0.0), N)
    scaled = ppr_diffusion(
        EI, N, alpha=0.2, eps=0.0, edge_weight=torch.full((14,), 2.0), self_loop_weight=2.0
    )
    assert_close(dense(*scaled, N), base, atol=1e-5, rtol=1e-5)


def test_ppr_normalization_out_col_makes_columns_stochastic():
    out, w = ppr_diffusion(EI, N, alpha=0.2, top_k=3, normalization_out="col")
    assert_close(dense(out, w, N).sum(0), torch.ones(N, dtype=torch.float64))


def test_heat_matches_dense_reference():
    t = transition(EI, N)
    expected = torch.from_numpy(scipy.linalg.expm((-5.0 * (torch.eye(N, dtype=torch.float64) - t)).numpy()))
    out, w = heat_diffusion(EI, N, t=5.0, eps=0.0)
    assert_close(dense(out, w, N), expected, atol=1e-5, rtol=1e-5)


def test_heat_eps_seeded_values():
    out, w = heat_diffusion(EI, N, t=5.0, eps=0.2)
    assert out.tolist() == [
        [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 5],
        [0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5, 3, 4, 5],
    ]
    assert_close(w[:3], torch.tensor([0.25656101, 0.24982300, 0.23829637]))


def test_heat_on_directed_graph_uses_general_expm():
    directed = torch.tensor([[0, 1, 2], [1, 2, 0]])
    a = to_dense_adj(directed, max_num_nodes=3)[0].double() + torch.eye(3, dtype=torch.float64)
    d = a.sum(0).pow(-0.5)  # PyG's GDC normalizes by the in-degree (column sums)
    t = d[:, None] * a * d[None, :]
    expected = torch.from_numpy(scipy.linalg.expm((-2.0 * (torch.eye(3, dtype=torch.float64) - t)).numpy()))
    out, w = heat_diffusion(directed, 3, t=2.0, eps=0.0)
    assert_close(dense(out, w, 3), expected, atol=1e-5, rtol=1e-5)


def test_heat_at_time_zero_is_the_identity():
    out, w = heat_diffusion(EI, N, t=0.0, eps=0.5)
    assert out.tolist() == [list(range(N)), list(range(N))] and torch.equal(w, torch.ones(N))


@pytest.mark.parametrize(
    "fn, kwargs, match",
    [
        (ppr_diffusion, {"alpha": 0.0}, "'alpha' must be in"),
        (ppr_diffusion, {"alpha": 1.5}, "'alpha' must be in"),
        (heat_diffusion, {"t": -1.0}, "'t' must be a finite number >= 0"),
        (ppr_diffusion, {"eps": 0.1, "top_k": 2}, "at most one of 'eps', 'top_k', 'avg_degree'"),
        (ppr_diffusion, {"top_k": 0}, "'top_k'"),
        (heat_diffusion, {"avg_degree": 0}, "'avg_degree'"),
        (ppr_diffusion, {"eps": -0.1}, "'eps'"),
        (ppr_diffusion, {"max_nodes": 5}, "'num_nodes' = 6 exceeds 'max_nodes' = 5"),
        (heat_diffusion, {"normalization_out": "left"}, "'normalization_out'"),
        (ppr_diffusion, {"edge_weight": torch.ones(3)}, r"'edge_weight' must have shape \[14\]"),
        (ppr_diffusion, {"self_loop_weight": -1.0}, "'self_loop_weight'"),
    ],
)
def test_diffusion_validates(fn, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fn(EI, N, **kwargs)


def test_diffusion_rejects_bad_graphs():
    with pytest.raises(ValueError, match="outside"):
        ppr_diffusion(EI, 4)
    with pytest.raises(ValueError, match="'num_nodes'"):
        heat_diffusion(torch.empty((2, 0), dtype=torch.long), 0)
