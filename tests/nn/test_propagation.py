import pytest
import torch
from torch.testing import assert_close

from gcl.data.interactions import Interactions
from gcl.nn.propagation import PropagationMatrix, gcn_norm_matrix, sparse_mm
from gcl.rec.graph import normalized_adjacency


def random_interactions(seed: int = 0) -> Interactions:
    gen = torch.Generator().manual_seed(seed)
    return Interactions(
        user=torch.randint(0, 25, (120,), generator=gen),
        item=torch.randint(0, 30, (120,), generator=gen),
        user_ids=range(27),  # users 25 and 26 have no edge: empty rows
        item_ids=range(30),
    )


def directed_matrix() -> PropagationMatrix:
    gen = torch.Generator().manual_seed(1)
    edge_index = torch.randint(0, 40, (2, 150), generator=gen)
    return gcn_norm_matrix(edge_index, 40)


@pytest.mark.parametrize("kind", ["symmetric_int32", "directed_int64"])
def test_row_slice_product_and_gradient_equal_the_full_product_read_at_the_rows(kind):
    prop = normalized_adjacency(random_interactions()) if kind == "symmetric_int32" else directed_matrix()
    assert prop.matrix.col_indices().dtype == (torch.int32 if kind == "symmetric_int32" else torch.int64)
    n = prop.shape[0]
    rows = torch.tensor([n - 1, 3, 0, 26, 25, 17])  # unsorted, with empty rows in the symmetric case
    x = torch.randn(prop.shape[1], 5, generator=torch.Generator().manual_seed(2), requires_grad=True)
    grad_out = torch.randn(rows.numel(), 5, generator=torch.Generator().manual_seed(3))

    out = prop.rows(rows) @ x
    out.backward(grad_out)
    x_ref = x.detach().clone().requires_grad_(True)
    dense = prop.matrix.to_dense()
    (dense @ x_ref)[rows].backward(grad_out)

    assert out.shape == (rows.numel(), 5)
    assert_close(out, (dense @ x.detach())[rows])
    assert_close(x.grad, x_ref.grad)
    assert prop.rows(rows).shape == (rows.numel(), prop.shape[1])


def test_row_slice_rejects_non_long_or_2d_index():
    prop = directed_matrix()
    with pytest.raises(ValueError, match="index: expected a 1-D LongTensor"):
        prop.rows(torch.tensor([[0, 1]]))
    with pytest.raises(ValueError, match="index: expected a 1-D LongTensor"):
        prop.rows(torch.tensor([0, 1], dtype=torch.int32))


def test_sparse_mm_equals_torch_sparse_mm_and_stays_differentiable_outside_a_function():
    prop = normalized_adjacency(random_interactions())
    x = torch.randn(prop.shape[1], 4, generator=torch.Generator().manual_seed(4))
    assert torch.equal(sparse_mm(prop.matrix, x), torch.sparse.mm(prop.matrix, x))
    x.requires_grad_(True)
    sparse_mm(prop.matrix, x).sum().backward()  # falls back to the differentiable product
    assert_close(x.grad, prop.matrix.to_dense().sum(0).unsqueeze(1).expand(-1, 4))
