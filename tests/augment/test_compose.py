import pytest
import torch
from torch_geometric.data import Data

from gcl.augment.compose import Compose, RandomChoice
from gcl.augment.feature import mask_feature
from gcl.augment.graph import drop_edge
from gcl.augment.transforms import DropEdge, DropNode, MaskFeature

from .toy_graph import EI

X = torch.arange(24.0).view(6, 4)


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def make_data() -> Data:
    return Data(x=X.clone(), edge_index=EI.clone(), num_nodes=6)


class Tag:
    """A transform that appends its name to data.trace (to observe order)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, data: Data) -> Data:
        out = data.clone()
        out.trace = [*getattr(data, "trace", []), self.name]
        return out


def test_compose_applies_in_order_with_their_own_generators():
    data = make_data()
    out = Compose([DropEdge(0.5, generator=gen(1)), MaskFeature(0.5, generator=gen(2))])(data)
    expected_ei, expected_edge_mask = drop_edge(EI, 0.5, generator=gen(1))
    expected_x, expected_feat_mask = mask_feature(X, 0.5, generator=gen(2))
    assert torch.equal(out.edge_index, expected_ei) and torch.equal(out.edge_mask, expected_edge_mask)
    assert torch.equal(out.x, expected_x) and torch.equal(out.feat_mask, expected_feat_mask)
    assert torch.equal(data.edge_index, EI) and torch.equal(data.x, X)
    assert set(data.keys()) == {"x", "edge_index", "num_nodes"}


def test_compose_order():
    assert Compose([Tag("a"), Tag("b"), Tag("c")])(make_data()).trace == ["a", "b", "c"]


@pytest.mark.parametrize("transforms, match", [([], "non-empty list"), ([Tag("a"), 3], r"'transforms\[1\]'")])
def test_compose_validates(transforms, match):
    with pytest.raises(ValueError, match=match):
        Compose(transforms)


def test_random_choice_seeded_choice_and_record():
    view = RandomChoice([Tag("a"), Tag("b"), Tag("c"), Tag("d")], num_choices=2, generator=gen())
    out = view(make_data())
    expected = torch.randperm(4, generator=gen())[:2].sort().values
    assert out.aug_choice.tolist() == expected.tolist() == [0, 1]
    assert out.trace == ["a", "b"]


def test_random_choice_is_uniform_over_transforms():
    view = RandomChoice([Tag("a"), Tag("b"), Tag("c")], generator=gen(3))
    data = make_data()
    counts = torch.bincount(torch.cat([view(data).aug_choice for _ in range(600)]), minlength=3)
    assert counts.sum() == 600 and int(counts.min()) > 150


def test_random_choice_with_real_transforms_does_not_mutate_input():
    data = make_data()
    out = RandomChoice([DropEdge(0.5), DropNode(0.5), MaskFeature(0.5)], num_choices=3, generator=gen())(data)
    assert out.aug_choice.tolist() == [0, 1, 2]
    assert {"edge_mask", "node_mask", "feat_mask"} <= set(out.keys())
    assert set(data.keys()) == {"x", "edge_index", "num_nodes"}


@pytest.mark.parametrize("num_choices", [0, 4, True, 1.0])
def test_random_choice_validates_num_choices(num_choices):
    with pytest.raises(ValueError, match="'num_choices'"):
        RandomChoice([Tag("a"), Tag("b"), Tag("c")], num_choices=num_choices)


def test_random_choice_validates_generator_and_transforms():
    with pytest.raises(ValueError, match="'generator'"):
        RandomChoice([Tag("a")], generator="seed")
    with pytest.raises(ValueError, match="non-empty list"):
        RandomChoice("ab")
