import os
from pathlib import Path

import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from gcl.node.splits import (
    SPLIT_PRESETS,
    SplitPreset,
    get_split,
    get_split_preset,
    public_split,
    random_split,
    register_split_preset,
    split_sizes,
)


def _indices(masks):
    return [m.nonzero().flatten().tolist() for m in masks]


def _planetoid_like(n=6):
    return Data(
        num_nodes=n,
        y=torch.arange(n) % 2,
        train_mask=torch.tensor([True, True] + [False] * (n - 2)),
        val_mask=torch.tensor([False, False, True] + [False] * (n - 3)),
        test_mask=torch.tensor([False] * 3 + [True] * (n - 3)),
    )


# ---- sizes -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "train", "val", "expected"),
    [
        (2708, 0.1, 0.1, (270, 270, 2168)),  # floor(270.8) = 270, remainder to test
        (3327, 0.1, 0.1, (332, 332, 2663)),
        (100, 0.29, 0.1, (29, 10, 61)),  # 0.29 * 100 = 28.999999999999996 still counts as 29
        (10, 0.15, 0.15, (1, 1, 8)),
        (10, 0.5, 0.0, (5, 0, 5)),
    ],
)
def test_split_sizes_floor_train_val_remainder_test(n, train, val, expected):
    assert split_sizes(n, train, val) == expected
    assert split_sizes(np.int64(n), train, val) == expected  # numpy / torch integers are accepted


@pytest.mark.parametrize(
    ("n", "train", "val", "match"),
    [
        (0, 0.1, 0.1, "num_nodes"),
        (10.0, 0.1, 0.1, "num_nodes"),
        (True, 0.1, 0.1, "num_nodes"),
        (10, 0.0, 0.1, "train_ratio"),
        (10, 1.0, 0.0, "train_ratio"),
        (10, 0.1, -0.1, "val_ratio"),
        (10, 0.6, 0.4, r"train_ratio \+ val_ratio"),
        (5, 0.1, 0.1, "every part must be non-empty"),  # floor(0.5) = 0 training nodes
    ],
)
def test_split_sizes_rejects_bad_arguments(n, train, val, match):
    with pytest.raises(ValueError, match=match):
        split_sizes(n, train, val)


# ---- random split ----------------------------------------------------------------------------------------


def test_random_split_exact_seeded_output():
    assert _indices(random_split(10, 0.2, 0.2, seed=0)) == [[1, 4], [5, 7], [0, 2, 3, 6, 8, 9]]
    assert _indices(random_split(10, 0.2, 0.2, seed=1)) == [[5, 6], [1, 2], [0, 3, 4, 7, 8, 9]]


def test_random_split_is_a_disjoint_cover_with_grace_sizes():
    train, val, test = random_split(2708, seed=3)
    for m in (train, val, test):
        assert m.dtype == torch.bool and m.shape == (2708,)
    assert (int(train.sum()), int(val.sum()), int(test.sum())) == (270, 270, 2168)
    stacked = torch.stack([train, val, test]).int()
    assert torch.equal(stacked.sum(dim=0), torch.ones(2708, dtype=torch.int32))


def test_random_split_deterministic_by_seed_and_independent_of_global_rng():
    torch.manual_seed(123)
    a = random_split(500, seed=7)
    torch.manual_seed(456)
    b = random_split(500, seed=7)
    c = random_split(500, seed=8)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a[0], c[0])


def test_random_split_device_argument():
    masks = random_split(20, seed=0, device="cpu")
    assert all(m.device.type == "cpu" for m in masks)


# ---- public split ----------------------------------------------------------------------------------------


def test_public_split_returns_the_stored_masks():
    data = _planetoid_like()
    train, val, test = public_split(data)
    assert train is data.train_mask and val is data.val_mask and test is data.test_mask


@pytest.mark.parametrize("missing", ["train_mask", "val_mask", "test_mask"])
def test_public_split_names_the_missing_attribute(missing):
    data = _planetoid_like()
    del data[missing]
    with pytest.raises(ValueError, match=f"data.{missing}"):
        public_split(data)


def test_public_split_rejects_bad_masks():
    data = _planetoid_like()
    data.val_mask = data.val_mask.long()
    with pytest.raises(ValueError, match=r"data\.val_mask must be a bool tensor"):
        public_split(data)
    data = _planetoid_like()
    data.train_mask = torch.stack([data.train_mask] * 3, dim=1)
    with pytest.raises(ValueError, match=r"3 public splits; select one column"):
        public_split(data)
    data = _planetoid_like()
    data.test_mask = data.test_mask[:-1]
    with pytest.raises(ValueError, match=r"data.test_mask must have shape \[6\]"):
        public_split(data)
    data = _planetoid_like()
    data.val_mask = torch.zeros(6, dtype=torch.bool)
    with pytest.raises(ValueError, match=r"data\.val_mask selects no node"):
        public_split(data)


# ---- presets ---------------------------------------------------------------------------------------------


def test_presets_registry():
    assert set(SPLIT_PRESETS) >= {"random-10-10-80", "public"}
    assert SPLIT_PRESETS["random-10-10-80"].seeded and not SPLIT_PRESETS["public"].seeded
    with pytest.raises(ValueError, match="already registered"):
        register_split_preset(SplitPreset("public", "dup", lambda data, seed: None, seeded=False))


def test_get_split_random_preset_equals_random_split():
    data = Data(num_nodes=300, y=torch.zeros(300, dtype=torch.long))
    for seed in (0, 5):
        got = get_split("random-10-10-80", data, seed=seed)
        want = random_split(300, 0.1, 0.1, seed=seed)
        assert all(torch.equal(g, w) for g, w in zip(got, want))


def test_get_split_public_ignores_seed():
    data = _planetoid_like()
    assert _indices(get_split("public", data, seed=0)) == _indices(get_split("public", data, seed=9))
    assert _indices(get_split("public", data)) == [[0, 1], [2], [3, 4, 5]]


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [("random-10-10", "'random-10-10-80'"), ("pubic", "'public'"), ("Public", "'public'")],
)
def test_unknown_preset_lists_close_matches(name, suggestion):
    with pytest.raises(ValueError, match=f"unknown split preset .*did you mean {suggestion}"):
        get_split(name, Data(num_nodes=10))


def test_unknown_preset_without_close_match_lists_known():
    with pytest.raises(ValueError, match="known presets: public, random-10-10-80"):
        get_split_preset("zzzzzzzz")


# ---- real data -------------------------------------------------------------------------------------------


def _cora_raw() -> Path:
    return Path(os.environ.get("GCL_DATA_DIR", "/nonexistent")) / "Cora" / "raw"


@pytest.mark.real_data
@pytest.mark.skipif(not (_cora_raw() / "ind.cora.x").exists(), reason="Cora raw files not in GCL_DATA_DIR")
def test_cora_public_split_is_planetoid_140_500_1000():
    from torch_geometric.io import read_planetoid_data

    data = read_planetoid_data(str(_cora_raw()), "cora")
    train, val, test = get_split("public", data)
    assert (int(train.sum()), int(val.sum()), int(test.sum())) == (140, 500, 1000)
    assert not bool((train & val).any() or (train & test).any() or (val & test).any())
    train, val, test = get_split("random-10-10-80", data, seed=0)
    assert (int(train.sum()), int(val.sum()), int(test.sum())) == (270, 270, 2168)
