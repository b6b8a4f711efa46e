"""Every shipped experiment config resolves and builds its model (a typo in a key fails here, not after
an hour of training)."""

from pathlib import Path

import pytest
import torch
from torch_geometric.data import Data

from gcl import runs
from gcl.data.interactions import Interactions
from gcl.node.experiment import load_config as load_node_config
from gcl.node.factory import build_model as build_node_model
from gcl.node.factory import prepare_data
from gcl.rec.models import build_model as build_rec_model
from gcl.rec.pipeline import DEFAULTS, SECTIONS
from gcl.rec.trainer import RecTrainConfig

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"
REC_CONFIGS = sorted((EXPERIMENTS / "rec").glob("*.yaml"))
NODE_CONFIGS = sorted((EXPERIMENTS / "node").glob("*.yaml"))


def test_configs_exist():
    assert {p.stem for p in REC_CONFIGS} >= {
        f"{m}_{d}" for m in ("lightgcn", "simgcl", "xsimgcl") for d in ("ml100k", "gowalla")
    }
    assert {p.stem for p in NODE_CONFIGS} >= {"grace_cora", "grace_citeseer", "dgi_cora", "bgrl_cora"}


@pytest.mark.parametrize("path", REC_CONFIGS, ids=lambda p: p.stem)
def test_rec_config_builds_its_model_and_trainer(path):
    config = runs.merge(DEFAULTS, runs.load_config(path, SECTIONS))
    assert config["name"] == path.stem
    train = Interactions(user=[0, 0, 1, 2], item=[0, 1, 1, 2], user_ids=range(3), item_ids=range(3))
    params = {k: v for k, v in config["model"].items() if k != "name"}
    model = build_rec_model(config["model"]["name"], train, **params)
    for key, value in params.items():
        if key != "embedding_dim":
            assert getattr(model, key) == value, key
    runs.build_section(RecTrainConfig, "train", **config["train"], seed=0, progress=False)


@pytest.mark.parametrize("path", NODE_CONFIGS, ids=lambda p: p.stem)
def test_node_config_builds_its_model(path):
    config = load_node_config(path)
    assert config["name"] == path.stem
    g = torch.Generator().manual_seed(0)
    data = Data(x=torch.rand(12, 6, generator=g), edge_index=torch.randint(0, 12, (2, 30), generator=g))
    model = build_node_model(config, prepare_data(data, config))
    assert sum(p.numel() for p in model.parameters()) > 0


def test_normalize_features_divides_rows_by_their_sum_and_rejects_non_booleans():
    data = Data(x=torch.tensor([[1.0, 3.0], [0.0, 0.0]]), edge_index=torch.zeros(2, 0, dtype=torch.long))
    out = prepare_data(data, {"normalize_features": True, "features": "dense"})
    torch.testing.assert_close(out.x, torch.tensor([[0.25, 0.75], [0.0, 0.0]]))
    assert torch.equal(data.x, torch.tensor([[1.0, 3.0], [0.0, 0.0]]))  # the input is not changed
    with pytest.raises(ValueError, match="normalize_features"):
        prepare_data(data, {"normalize_features": "yes"})
