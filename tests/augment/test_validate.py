import pytest
import torch

from gcl.augment._validate import (
    check_edge_index,
    check_features,
    check_node_vector,
    check_nonnegative,
    check_num_nodes,
    check_probability,
    rand,
    randint,
    randn,
    randperm,
)


@pytest.mark.parametrize("value, expected", [(0, 0.0), (1, 1.0), (0.25, 0.25), (torch.tensor(0.5), 0.5)])
def test_check_probability_accepts(value, expected):
    assert check_probability(value, "p") == expected


@pytest.mark.parametrize(
    "value", [-1e-9, 1.0001, float("nan"), float("inf"), True, "0.5", None, torch.ones(2)]
)
def test_check_probability_rejects_naming_the_argument(value):
    with pytest.raises(ValueError, match="'drop_rate'"):
        check_probability(value, "drop_rate")


def test_check_nonnegative():
    assert check_nonnegative(3, "std") == 3.0
    for bad in (-0.1, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="'std' must be a finite number >= 0"):
            check_nonnegative(bad, "std")


def test_check_num_nodes():
    assert check_num_nodes(5) == 5
    assert check_num_nodes(torch.tensor(4)) == 4
    assert check_num_nodes(0, allow_zero=True) == 0
    for bad in (0, -3, 2.0, True):
        with pytest.raises(ValueError, match="'num_nodes'"):
            check_num_nodes(bad)


def test_check_edge_index():
    check_edge_index(torch.tensor([[0, 1], [1, 2]]), 3)
    check_edge_index(torch.empty((2, 0), dtype=torch.long), 1)
    check_edge_index(torch.tensor([[0, 9], [1, 2]]))  # no range check without num_nodes
    with pytest.raises(ValueError, match=r"'edges' holds node ids outside \[0, 3\) \(min 0, max 9\)"):
        check_edge_index(torch.tensor([[0, 9], [1, 2]]), 3, name="edges")
    with pytest.raises(ValueError, match="integer node ids"):
        check_edge_index(torch.tensor([[True], [False]]))


def test_check_features_and_node_vector():
    check_features(torch.zeros(2, 3))
    check_features(torch.zeros(2, 3).to_sparse_csr())
    with pytest.raises(ValueError, match="dense"):
        check_features(torch.zeros(2, 3).to_sparse_coo(), allow_sparse=False)
    check_node_vector(torch.ones(3), 3, "w")
    check_node_vector(torch.tensor([-1.0]), 1, "w", nonnegative=False)
    with pytest.raises(ValueError, match="'w' must be finite and >= 0"):
        check_node_vector(torch.tensor([-1.0]), 1, "w")
    with pytest.raises(ValueError, match="floating-point"):
        check_node_vector(torch.ones(3, dtype=torch.long), 3, "w")


def test_draws_use_the_generator_or_the_global_rng():
    cpu = torch.device("cpu")
    g = torch.Generator().manual_seed(0)
    assert torch.equal(rand(5, g, cpu), torch.rand(5, generator=torch.Generator().manual_seed(0)))
    assert torch.equal(
        randn((2, 3), torch.Generator().manual_seed(1), cpu),
        torch.randn(2, 3, generator=torch.Generator().manual_seed(1)),
    )
    assert torch.equal(
        randperm(7, torch.Generator().manual_seed(2), cpu),
        torch.randperm(7, generator=torch.Generator().manual_seed(2)),
    )
    assert torch.equal(
        randint(9, 4, torch.Generator().manual_seed(3), cpu),
        torch.randint(9, (4,), generator=torch.Generator().manual_seed(3)),
    )
    torch.manual_seed(4)
    expected = torch.rand(3, dtype=torch.float64)
    torch.manual_seed(4)
    assert torch.equal(rand(3, None, cpu, torch.float64), expected)
