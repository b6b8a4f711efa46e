import pytest
import torch
from torch_geometric.data import Data

from gcl.data.graphs import graph_stats, load_graph, validate_graph

EXPECTED = {
    "cora": {"nodes": 2708, "edges": 10556, "features": 1433, "classes": 7},
    "citeseer": {"nodes": 3327, "edges": 9104, "features": 3703, "classes": 6},
}


@pytest.mark.real_data
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_planetoid_statistics_and_public_split(name, data_dir):
    data = load_graph(name, data_dir, download=False)
    assert graph_stats(data) == EXPECTED[name]
    assert int(data.train_mask.sum()) == EXPECTED[name]["classes"] * 20
    assert int(data.val_mask.sum()) == 500 and int(data.test_mask.sum()) == 1000


def test_validate_graph_rejects_bad_graphs():
    with pytest.raises(ValueError, match="no nodes"):
        validate_graph(Data(x=torch.zeros(0, 3), edge_index=torch.zeros(2, 0, dtype=torch.long)))
    with pytest.raises(ValueError, match=r"ids in \[0, 5\] but the graph has 3 nodes"):
        validate_graph(Data(x=torch.zeros(3, 2), edge_index=torch.tensor([[0, 1], [5, 2]])))
    with pytest.raises(ValueError, match=r"shape \[2, E\]"):
        validate_graph(Data(x=torch.zeros(3, 2), edge_index=torch.tensor([[0, 1, 2]])))
    x = torch.zeros(3, 2)
    x[1, 0] = float("nan")
    with pytest.raises(ValueError, match=r"NaN or inf in 1 node\(s\), first ids \[1\]"):
        validate_graph(Data(x=x, edge_index=torch.tensor([[0], [1]])), where="toy")
