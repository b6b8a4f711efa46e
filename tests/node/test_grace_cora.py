"""End to end on real data: a short GRACE run on Cora beats the same probe (and k-means) on raw features."""

import json

import pytest
import yaml

from gcl.data.graphs import load_graph
from gcl.node.clustering import evaluate_clustering
from gcl.node.experiment import results_table, run_experiment
from gcl.node.probe import linear_probe
from gcl.node.splits import get_split

from ..conftest import require


@pytest.mark.real_data
@pytest.mark.slow
def test_short_grace_run_beats_raw_features(data_dir, tmp_path):
    require(data_dir, "Cora/raw/ind.cora.x")
    config = yaml.safe_load(open("experiments/node/grace_cora.yaml"))
    config["evaluation"]["protocols"] = ["random-10-10-80", "clustering"]
    results = run_experiment(
        config, data_dir=str(data_dir), seeds=[0], epochs=60, out_dir=tmp_path, progress=False
    )
    grace_acc = results["summary"]["random-10-10-80"]["mean"]

    data = load_graph("cora", data_dir, download=False)
    masks = get_split("random-10-10-80", data, seed=0)
    raw_acc = 100 * linear_probe(data.x, data.y, *masks).test_acc
    assert grace_acc > raw_acc + 5.0, (grace_acc, raw_acc)

    grace_nmi = results["summary"]["clustering"]["nmi_mean"]
    raw_nmi = evaluate_clustering(data.x, data.y, seeds=[0])["nmi_mean"]
    assert grace_nmi > raw_nmi + 0.1, (grace_nmi, raw_nmi)
    assert "| k-means, k = classes |" in results_table(results)
    written = json.loads((tmp_path / "grace_cora.json").read_text())  # written after every seed
    assert written["seeds"] == [0] and written["complete"] is True
    assert written["summary"]["random-10-10-80"]["mean"] == pytest.approx(grace_acc)
