import pytest
import torch
from torch_geometric.nn import GCNConv

from gcl.nn import GCNEncoder, ProjectionHead, gcn_norm_matrix
from gcl.nn.encoders import GCNLayer


def toy_graph():
    edge_index = torch.tensor([[0, 1, 1, 2, 2, 3, 4, 0], [1, 0, 2, 1, 3, 2, 0, 4]])
    return torch.randn(5, 6, generator=torch.Generator().manual_seed(0)), edge_index


def test_propagation_equals_dense_formula_for_directed_graph():
    _, edge_index = toy_graph()
    edge_index = edge_index[:, :-1]  # drop 0 -> 4 only: directed
    prop = gcn_norm_matrix(edge_index, 5, dtype=torch.float64)
    a = torch.zeros(5, 5, dtype=torch.float64)
    a[edge_index[1], edge_index[0]] = 1.0
    a += torch.eye(5, dtype=torch.float64)
    d = a.sum(1).pow(-0.5)
    dense = d[:, None] * a * d[None, :]
    h = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    out = prop @ h
    torch.testing.assert_close(out, dense @ h)
    grad = torch.randn_like(out)
    (g,) = torch.autograd.grad(out, h, grad)
    torch.testing.assert_close(g, dense.t() @ grad)


@pytest.mark.parametrize("sparse", [False, True])
def test_gcn_layer_equals_pyg_gcnconv(sparse):
    x, edge_index = toy_graph()
    ours = GCNLayer(6, 4)
    ref = GCNConv(6, 4)
    with torch.no_grad():
        ref.lin.weight.copy_(ours.weight.t())
        ref.bias.copy_(torch.arange(4.0))
        ours.bias.copy_(torch.arange(4.0))
    prop = gcn_norm_matrix(edge_index, 5)
    inp = x.to_sparse_coo() if sparse else x
    torch.testing.assert_close(ours(inp, prop), ref(x, edge_index), atol=1e-6, rtol=1e-5)


def test_encoder_shapes_and_grace_widths():
    x, edge_index = toy_graph()
    enc = GCNEncoder(6, 8, activation="prelu")
    assert [tuple(layer.weight.shape) for layer in enc.layers] == [(6, 16), (16, 8)]
    assert enc(x, edge_index).shape == (5, 8)
    assert ProjectionHead(8, 8, 3)(enc(x, edge_index)).shape == (5, 3)
    with pytest.raises(ValueError, match="num_layers must be >= 1"):
        GCNEncoder(6, 8, num_layers=0)
    with pytest.raises(ValueError, match="unknown activation 'gelu2'"):
        GCNEncoder(6, 8, activation="gelu2")


def test_shared_activation_is_one_prelu_slope_for_every_layer():
    """GRACE's reference code builds one ``nn.PReLU()`` and applies it after both layers."""
    x, edge_index = toy_graph()
    enc = GCNEncoder(6, 8, activation="prelu", shared_activation=True)
    assert enc.activations[0] is enc.activations[1]
    slopes = [p for name, p in enc.named_parameters() if name.startswith("activations")]
    assert [tuple(p.shape) for p in slopes] == [(1,)]
    with torch.no_grad():
        enc.activations[0].weight.fill_(-1.0)  # PReLU with slope -1 is |h|: every output >= 0
    assert (enc(x, edge_index) >= 0).all()
    per_layer = GCNEncoder(6, 8, activation="prelu")
    assert [m.weight.numel() for m in per_layer.activations] == [16, 8]
