import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from gcl.cli import build_parser, main
from gcl.data.readers import read_sequences
from gcl.seq.commands import resolve_config
from gcl.seq.data import SequenceData
from gcl.seq.encoder import SASRecEncoder
from gcl.seq.models import build_model

EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments" / "seq"


def write_sequences(path: Path) -> Path:
    rng = np.random.default_rng(0)
    lines = []
    for user in range(1, 41):
        start, length = rng.integers(1, 11), rng.integers(4, 9)
        lines.append(" ".join(str(x) for x in [user, *((start + np.arange(length)) % 10 + 1)]))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_train_writes_a_run_directory(tmp_path, capsys):
    data = write_sequences(tmp_path / "toy.txt")
    out = tmp_path / "run"
    argv = ["seq", "train", "--data", str(data), "--model", "cl4srec", "--epochs", "2", "--max-length", "5"]
    argv += ["--batch-size", "32", "--seeds", "0", "1", "--out", str(out), "--no-progress"]
    assert main(argv) == 0
    assert "test ndcg@10" in capsys.readouterr().out
    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["model"] == {"name": "cl4srec"} and config["data"]["format"] == "sequence"
    assert config["data"]["max_length"] == 5 and config["seeds"] == [0, 1]
    metrics = json.loads((out / "metrics.json").read_text())
    assert [r["seed"] for r in metrics["runs"]] == [0, 1]
    assert set(metrics["summary_test"]) == {f"{m}@{k}" for m in ("hit_rate", "ndcg") for k in (5, 10, 20)}
    assert metrics["runs"][0]["valid"]["num_users"] == 40
    assert "leave-one-out test" in metrics["protocol"] and metrics["data"]["users"] == 40
    log = (out / "train.log").read_text()
    assert "epoch   1 |" in log and "SequenceData.leave_one_out" in log


def test_train_from_a_table_with_a_time_column(tmp_path):
    rng = np.random.default_rng(1)
    rows = [(u, (u + t) % 7, 100 * t) for u in range(30) for t in range(5)]
    order = rng.permutation(len(rows))  # shuffled rows: only the time column orders the sequences
    lines = ["uid,iid,ts"] + [",".join(map(str, rows[i])) for i in order]
    (tmp_path / "log.csv").write_text("\n".join(lines) + "\n")
    out = tmp_path / "run"
    argv = ["seq", "train", "--data", str(tmp_path / "log.csv"), "--format", "table", "--user-col", "uid"]
    argv += ["--item-col", "iid", "--time-col", "ts", "--model", "sasrec", "--epochs", "1", "--out", str(out)]
    assert main([*argv, "--no-progress"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["data"]["train_examples"] == 30 * 2


@pytest.mark.parametrize("name", ["sasrec", "cl4srec", "duorec", "icsrec"])
def test_experiment_configs_resolve_and_build(name, tmp_path):
    data_path = write_sequences(tmp_path / "toy.txt")
    args = build_parser().parse_args(
        ["seq", "train", "--config", str(EXPERIMENTS / f"{name}_beauty.yaml"), "--data", str(data_path)]
    )
    config = resolve_config(args)
    assert config["model"]["name"] == name and config["seeds"] == [0, 1, 2]
    assert config["data"]["max_length"] == 50 and config["encoder"]["hidden"] == 64
    assert config["encoder"]["dropout"] == 0.5 and config["train"]["monitor"] == "ndcg@10"
    data = SequenceData.from_interactions(read_sequences(data_path))
    model_kw = {k: v for k, v in config["model"].items() if k != "name"}
    model = build_model(name, SASRecEncoder(data.num_items, **config["encoder"]), **model_kw)
    assert model.config()["loss_type"] == "ce"


def test_clear_errors(tmp_path, capsys):
    assert main(["seq", "train", "--model", "sasrec"]) == 2
    assert "no data: pass --data PATH" in capsys.readouterr().err
    assert main(["seq", "train", "--data", str(tmp_path / "missing.txt")]) == 2
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("modle: {name: sasrec}\n")
    assert main(["seq", "train", "--config", str(bad)]) == 2
    assert "unknown section(s) ['modle']" in capsys.readouterr().err
    typo = tmp_path / "typo.yaml"
    typo.write_text(f"data: {{path: {write_sequences(tmp_path / 'toy.txt')}}}\ntrain: {{epoch: 3}}\n")
    assert main(["seq", "train", "--config", str(typo), "--out", str(tmp_path / "run")]) == 2
    assert "config section 'train'" in capsys.readouterr().err
