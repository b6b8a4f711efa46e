"""``merge_results`` / ``gcl node merge``: one record from runs of one config over different seeds."""

import json

import pytest
import torch
import yaml

from gcl.cli import main
from gcl.node.experiment import _summarize, merge_results

PROTOCOLS = ["random-10-10-80", "public"]


def record(seeds, accs, planned=None, tau=0.9):
    config = yaml.safe_load(open("experiments/node/grace_citeseer.yaml"))
    config["loss"]["tau"] = tau
    config["evaluation"]["protocols"] = PROTOCOLS
    rows = [
        {
            "seed": s,
            "epochs_run": 200,
            "best_epoch": 199,
            "final_loss": 1.0,
            "train_seconds": 100.0 + s,
            **{
                p: {"test_acc": a + i, "val_acc": 70.0, "weight_decay": 0.001}
                for i, p in enumerate(PROTOCOLS)
            },
        }
        for s, a in zip(seeds, accs)
    ]
    return _summarize(config, rows, PROTOCOLS, "", config["train"], torch.device("cpu"), planned or seeds)


def test_merge_pools_seeds_and_recomputes_the_summary(tmp_path):
    a = record([0, 1, 2], [70.0, 71.0, 72.0], planned=[0, 1, 2, 3])
    b = record([4, 3], [73.0, 74.0])
    merged = merge_results([b, a])
    assert merged["seeds"] == [0, 1, 2, 3, 4]
    # the config plans seeds 0..9 (experiments/node/grace_citeseer.yaml): five are still missing
    assert merged["planned_seeds"] == list(range(10)) and merged["complete"] is False
    summary = merged["summary"]["random-10-10-80"]
    assert summary["mean"] == pytest.approx(72.0) and summary["n_seeds"] == 5
    assert summary["std"] == pytest.approx(2**0.5)  # population std of 70..74
    assert merged["summary"]["public"]["mean"] == pytest.approx(73.0)
    assert merged["seconds_per_epoch"] == pytest.approx(sum(100 + s for s in range(5)) / 1000)

    paths = []
    for name, rec in (("a", a), ("b", b)):
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(rec))
    assert main(["node", "merge", *map(str, paths), "--out", str(tmp_path / "merged")]) == 0
    written = json.loads((tmp_path / "merged" / "grace_citeseer.json").read_text())
    assert written["summary"] == json.loads(json.dumps(merged["summary"]))
    assert "| random-10-10-80 | 72.00 ± 1.41 | 5 |" in (tmp_path / "merged" / "grace_citeseer.md").read_text()


def test_merge_refuses_other_configs_and_conflicting_seeds():
    with pytest.raises(ValueError, match="different config"):
        merge_results([record([0], [70.0]), record([1], [71.0], tau=0.5)])
    with pytest.raises(ValueError, match="seed 0 has different results"):
        merge_results([record([0], [70.0]), record([0], [71.0])])
    same = merge_results([record([0], [70.0]), record([0], [70.0])])
    assert same["seeds"] == [0]
    with pytest.raises(ValueError, match="no results"):
        merge_results([])


def test_merge_of_both_halves_is_complete():
    merged = merge_results([record(range(5), [70.0] * 5), record(range(9, 4, -1), [72.0] * 5)])
    assert merged["seeds"] == list(range(10)) and merged["complete"] is True
    assert merged["summary"]["random-10-10-80"]["mean"] == pytest.approx(71.0)


def test_merge_command_names_a_file_that_is_not_a_results_record(tmp_path):
    bad = tmp_path / "metrics.json"
    bad.write_text(json.dumps({"name": "x", "runs": []}))
    with pytest.raises(SystemExit, match=r"metrics.json is not a gcl node run results file, missing"):
        main(["node", "merge", str(bad), "--out", str(tmp_path / "out")])
