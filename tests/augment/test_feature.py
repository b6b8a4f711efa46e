import os
from pathlib import Path

import pytest
import torch
from torch.testing import assert_close
from torch_geometric.utils import mask_feature as pyg_mask_feature

from gcl.augment.feature import feature_noise, mask_feature

from .toy_graph import X


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------- mask_feature


def test_mask_feature_col_seeded_output():
    out, mask = mask_feature(X, 0.5, generator=gen())
    assert mask.tolist() == [[False, True, False, False]]
    assert out.tolist() == [
        [0.0, 0.0, 0.0, 0.0],
        [0.0, 3.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 0.0],
        [0.0, 6.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 0.0],
        [0.0, 1.0, 0.0, 0.0],
    ]


def test_mask_feature_row_seeded_output():
    out, mask = mask_feature(X, 0.5, mode="row", generator=gen())
    assert mask.view(-1).tolist() == [False, True, False, False, False, True]
    assert torch.equal(out, X * mask)


def test_mask_feature_all_seeded_output_with_fill_value():
    out, mask = mask_feature(X, 0.5, mode="all", fill_value=-1.0, generator=gen())
    assert mask.tolist() == [
        [False, True, False, False],
        [False, True, False, True],
        [False, True, False, False],
        [False, False, False, True],
        [True, True, False, False],
        [True, True, False, True],
    ]
    assert torch.equal(out, torch.where(mask, X, torch.tensor(-1.0)))


def test_mask_feature_col_mask_is_constant_per_column():
    x = torch.randn(50, 30, generator=gen(1))
    out, mask = mask_feature(x, 0.5, generator=gen(2))
    zero_cols = (out == 0).all(dim=0)
    assert torch.equal(zero_cols, ~mask.view(-1))
    assert torch.equal(out[:, mask.view(-1)], x[:, mask.view(-1)])


@pytest.mark.parametrize("mode", ["col", "row", "all"])
def test_mask_feature_matches_pyg_under_global_seed(mode):
    torch.manual_seed(11)
    expected = pyg_mask_feature(X, p=0.4, mode=mode)
    torch.manual_seed(11)
    got = mask_feature(X, 0.4, mode=mode)
    assert torch.equal(got[0], expected[0]) and torch.equal(got[1].expand_as(X), expected[1].expand_as(X))


@pytest.mark.parametrize("kwargs", [{"p": 0.0}, {"p": 0.5, "training": False}])
@pytest.mark.parametrize("mode, shape", [("col", (1, 4)), ("row", (6, 1)), ("all", (6, 4))])
def test_mask_feature_identity(kwargs, mode, shape):
    out, mask = mask_feature(X, mode=mode, **kwargs)
    assert out is X and mask.all() and mask.shape == shape


@pytest.mark.parametrize("layout", ["coo", "csr"])
@pytest.mark.parametrize("mode", ["col", "row"])
def test_mask_feature_sparse_equals_dense(layout, mode):
    x = torch.randn(40, 25, generator=gen(3)) * (torch.rand(40, 25, generator=gen(4)) < 0.2)
    xs = x.to_sparse_coo() if layout == "coo" else x.to_sparse_csr()
    dense_out, dense_mask = mask_feature(x, 0.4, mode=mode, generator=gen(5))
    sparse_out, sparse_mask = mask_feature(xs, 0.4, mode=mode, generator=gen(5))
    assert sparse_out.layout == xs.layout
    assert torch.equal(sparse_mask, dense_mask)
    assert torch.equal(sparse_out.to_dense(), dense_out)


def test_mask_feature_sparse_identity_returns_input():
    xs = X.to_sparse_csr()
    out, mask = mask_feature(xs, 0.5, training=False)
    assert out is xs and mask.shape == (1, 4)


def test_mask_feature_sparse_rejections():
    xs = X.to_sparse_coo()
    with pytest.raises(ValueError, match="'mode'='all' is not supported for sparse"):
        mask_feature(xs, 0.5, mode="all")
    with pytest.raises(ValueError, match="'fill_value' must be 0 for sparse"):
        mask_feature(xs, 0.5, fill_value=1.0)


@pytest.mark.parametrize(
    "x, kwargs, match",
    [
        (X, {"p": 1.1}, "'p' must be a probability"),
        (X, {"p": float("nan")}, "'p' must be a probability"),
        (X, {"p": 0.5, "mode": "cols"}, "'mode'"),
        (X[0], {"p": 0.5}, r"shape \[N, F\]"),
        (X.long(), {"p": 0.5}, "floating-point"),
        (torch.tensor([[1.0, float("nan")]]), {"p": 0.5}, "'x' contains NaN"),
        (torch.tensor([[1.0, float("nan")]]).to_sparse_csr(), {"p": 0.5}, "'x' contains NaN"),
    ],
)
def test_mask_feature_validates(x, kwargs, match):
    with pytest.raises(ValueError, match=match):
        mask_feature(x, **kwargs)


def test_mask_feature_accepts_inf_minus_inf():
    x = torch.tensor([[float("inf"), -float("inf"), 1.0]])  # sum is NaN, but no entry is
    out, _ = mask_feature(x, 0.0)
    assert out is x


# ---------------------------------------------------------------- feature_noise


def test_feature_noise_seeded_output():
    out, noise = feature_noise(X[:2], 0.1, generator=gen())
    assert_close(
        noise,
        torch.tensor(
            [
                [0.15409961, -0.02934289, -0.21787894, 0.05684313],
                [-0.10845224, -0.13985954, 0.04033468, 0.08380263],
            ]
        ),
    )
    assert_close(out, X[:2] + noise)


def test_feature_noise_std_scales_standard_normal():
    _, noise = feature_noise(torch.zeros(200, 50), 0.5, generator=gen())
    assert_close(noise, 0.5 * torch.randn(200, 50, generator=gen()))


@pytest.mark.parametrize("kwargs", [{"std": 0.0}, {"std": 1.0, "training": False}])
def test_feature_noise_identity(kwargs):
    out, noise = feature_noise(X, **kwargs)
    assert out is X and not noise.any()


def test_feature_noise_validates():
    with pytest.raises(ValueError, match="'std' must be a finite number >= 0"):
        feature_noise(X, -1.0)
    with pytest.raises(ValueError, match="dense"):
        feature_noise(X.to_sparse_coo(), 0.1)


# ---------------------------------------------------------------- real data


@pytest.mark.real_data
def test_mask_feature_sparse_equals_dense_on_cora():
    raw = Path(os.environ.get("GCL_DATA_DIR", "")) / "Cora" / "raw"
    if not (raw / "ind.cora.x").exists():
        pytest.skip("Cora raw files not found under GCL_DATA_DIR")
    from torch_geometric.io import read_planetoid_data

    x = read_planetoid_data(str(raw), "cora").x
    assert x.shape == (2708, 1433)
    xs = x.to_sparse_csr()
    dense_out, dense_mask = mask_feature(x, 0.3, generator=gen(9))
    sparse_out, sparse_mask = mask_feature(xs, 0.3, generator=gen(9))
    assert torch.equal(sparse_mask, dense_mask)
    assert torch.equal(sparse_out.to_dense(), dense_out)
    assert sparse_out.values().numel() == xs.values().numel()  # structure kept, nothing densified
