import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch.testing import assert_close

from gcl.data.interactions import Interactions
from gcl.nn.propagation import PropagationMatrix
from gcl.rec.graph import bipartite_graph, interaction_edges, normalized_adjacency

# 4 users x 5 items; (1, 3) is repeated (counts once), user 3 and item 4 have no interaction.
USER = [0, 0, 1, 1, 1, 2, 1]
ITEM = [0, 1, 1, 2, 3, 0, 3]
U, I = 4, 5  # noqa: E741


def tiny() -> Interactions:
    return Interactions(user=USER, item=ITEM, user_ids=range(U), item_ids=range(I))


def dense_reference(pairs: set[tuple[int, int]]) -> np.ndarray:
    """D^-1/2 A D^-1/2 written densely from the formula (isolated nodes: zero rows)."""
    a = np.zeros((U + I, U + I))
    for u, i in pairs:
        a[u, U + i] = a[U + i, u] = 1.0
    deg = a.sum(1)
    inv = np.where(deg > 0, 1 / np.sqrt(np.maximum(deg, 1)), 0.0)
    return inv[:, None] * a * inv[None, :]


def test_normalized_adjacency_equals_dense_formula():
    adj = normalized_adjacency(tiny())
    assert isinstance(adj, PropagationMatrix) and adj.symmetric
    assert adj.matrix.layout == torch.sparse_csr
    assert adj.matrix.col_indices().dtype == torch.int32  # 32-bit indices: less memory traffic
    expected = dense_reference(set(zip(USER, ITEM)))
    assert_close(adj.matrix.to_dense().double(), torch.from_numpy(expected), rtol=0, atol=1e-7)
    # hand check: user 1 has items {1, 2, 3} (deg 3), item 1 has users {0, 1} (deg 2)
    assert adj.matrix.to_dense()[1, U + 1].item() == pytest.approx(1 / np.sqrt(6))
    dense = adj.matrix.to_dense()
    assert torch.equal(dense, dense.t())  # exactly symmetric, so backward = one more product


def test_normalized_adjacency_is_cached_per_training_set():
    inter = tiny()
    first = normalized_adjacency(inter)
    assert normalized_adjacency(inter) is first
    assert normalized_adjacency(tiny()) is not first  # another training set, another matrix
    assert normalized_adjacency(inter, dtype=torch.float64).matrix.dtype == torch.float64


def test_scipy_input_gives_the_same_matrix():
    csr = sp.csr_matrix((np.full(len(USER), 2.0), (USER, ITEM)), shape=(U, I))  # values ignored
    from_csr = normalized_adjacency(csr).matrix.to_dense()
    assert torch.equal(from_csr, normalized_adjacency(tiny()).matrix.to_dense())


def test_interaction_edges_are_distinct_pairs_in_csr_order():
    assert interaction_edges(tiny()).tolist() == [[0, 0, 1, 1, 1, 2], [0, 1, 1, 2, 3, 0]]
    graph = bipartite_graph(tiny())
    assert graph.num_nodes == 9 and graph.num_edges == 6
    # transpose order: by item, then user
    order = graph.csc_perm.tolist()
    assert [(graph.item[e].item(), graph.user[e].item()) for e in order] == sorted(
        (i, u) for u, i in zip(graph.user.tolist(), graph.item.tolist())
    )


def test_edge_mask_renormalizes_on_the_subgraph():
    inter = tiny()
    edges = interaction_edges(inter).t().tolist()
    mask = torch.tensor([True, False, True, True, False, True])
    kept = {tuple(e) for e, m in zip(edges, mask.tolist()) if m}
    got = normalized_adjacency(inter, edge_mask=mask).matrix.to_dense().double()
    assert_close(got, torch.from_numpy(dense_reference(kept)), rtol=0, atol=1e-7)
    empty = normalized_adjacency(inter, edge_mask=torch.zeros(6, dtype=torch.bool))
    assert empty.matrix.to_dense().abs().sum().item() == 0.0
    full = normalized_adjacency(inter, edge_mask=torch.ones(6, dtype=torch.bool))
    assert torch.equal(full.matrix.to_dense(), normalized_adjacency(inter).matrix.to_dense())


def test_edge_mask_is_validated():
    with pytest.raises(ValueError, match=r"edge_mask: expected a BoolTensor of shape \(6,\)"):
        normalized_adjacency(tiny(), edge_mask=torch.ones(5, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"dtype torch\.int64"):
        normalized_adjacency(tiny(), edge_mask=torch.ones(6, dtype=torch.long))
    with pytest.raises(ValueError, match="train: expected an Interactions or a users x items"):
        normalized_adjacency(np.ones((2, 2)))


def test_propagation_gradient_equals_torch_sparse_autograd():
    gen = torch.Generator().manual_seed(0)
    adj = normalized_adjacency(tiny(), dtype=torch.float64)
    coo = adj.matrix.to_sparse_coo()
    x0 = torch.randn(U + I, 3, generator=gen, dtype=torch.float64)
    w = torch.randn(U + I, 3, generator=gen, dtype=torch.float64)

    x_fast = x0.clone().requires_grad_()
    out_fast = adj @ (adj @ x_fast)
    (out_fast * w).sum().backward()

    x_ref = x0.clone().requires_grad_()
    out_ref = torch.sparse.mm(coo, torch.sparse.mm(coo, x_ref))
    (out_ref * w).sum().backward()

    assert_close(out_fast, out_ref)
    assert_close(x_fast.grad, x_ref.grad)
