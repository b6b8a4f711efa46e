"""``gcl rec train | recommend | embeddings`` on small logs written here and on ml-100k."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from gcl.cli import main
from gcl.rec.pipeline import load_run, recommend
from gcl.yaml_config import load_yaml
from tests.conftest import require


def write_log(path, users=12, items=60, per_user=10, seed=0):
    """A CSV log with string ids, ratings 1..5 and timestamps; every user rates ``per_user`` items."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(users):
        for t, i in enumerate(rng.choice(items, size=per_user, replace=False)):
            rows.append((f"u{u:02d}", f"item-{i}", int(rng.integers(1, 6)), 1000 + t))
    frame = pd.DataFrame(rows, columns=["who", "what", "stars", "when"])
    frame.to_csv(path, index=False)
    return frame


def train_args(log, out, *extra):
    return [
        "rec", "train", "--data", str(log), "--user-col", "who", "--item-col", "what",
        "--epochs", "2", "--batch-size", "64", "--out", str(out), "--no-progress", *extra,
    ]  # fmt: skip


def test_train_writes_a_run_directory_and_recommends_unseen_items_by_raw_id(tmp_path, capsys):
    frame = write_log(tmp_path / "log.csv")
    out = tmp_path / "run"
    assert main(train_args(tmp_path / "log.csv", out, "--model", "xsimgcl", "--seeds", "0", "1")) == 0
    for name in ("config.yaml", "metrics.json", "train.log", "ids.npz", "train.npz", "seen.npz"):
        assert (out / name).is_file(), name
    assert (out / "model-seed0.pt").is_file() and (out / "model-seed1.pt").is_file()
    metrics = json.loads((out / "metrics.json").read_text())
    assert [r["seed"] for r in metrics["runs"]] == [0, 1]
    assert len(metrics["runs"][0]["history"]) == 2
    assert set(metrics["summary_test"]["recall@20"]) == {"mean", "std"}
    assert "epoch 1" in (out / "train.log").read_text()

    assert main(["rec", "recommend", str(out), "--top", "5"]) == 0
    recs = pd.read_csv(out / "recommendations.csv", dtype={"user": str, "item": str})
    assert set(recs["user"]) == set(frame["who"])
    assert recs.groupby("user")["rank"].apply(list).map(lambda r: r == [1, 2, 3, 4, 5]).all()
    seen = set(zip(frame["who"], frame["what"]))
    assert not any(pair in seen for pair in zip(recs["user"], recs["item"]))  # nothing already consumed
    assert set(recs["item"]) <= set(frame["what"])

    assert main(["rec", "embeddings", str(out), "--seed", "1"]) == 0
    emb = np.load(out / "embeddings.npz")
    assert emb["user_embeddings"].shape == (12, 64) and list(emb["user_ids"]) == sorted(set(frame["who"]))
    assert emb["item_embeddings"].shape[0] == len(emb["item_ids"]) == frame["what"].nunique()


def test_recommend_scores_equal_the_model_and_include_seen_only_masks_training(tmp_path):
    write_log(tmp_path / "log.csv")
    assert main(train_args(tmp_path / "log.csv", tmp_path / "run", "--model", "lightgcn")) == 0
    loaded = load_run(tmp_path / "run")
    table = recommend(loaded, top=3, users=["u03"], exclude_seen=False)
    with torch.no_grad():
        user_emb, item_emb = loaded.model.embeddings()
    u = int(np.flatnonzero(loaded.user_ids == "u03")[0])
    scores = (user_emb[u] @ item_emb.t()).numpy()
    scores[loaded.train[u].indices] = -np.inf
    best = np.argsort(-scores, kind="stable")[:3]
    assert list(table["item"]) == list(loaded.item_ids[best])
    np.testing.assert_allclose(table["score"], scores[best], rtol=1e-5)
    with pytest.raises(ValueError, match="unknown raw id"):
        recommend(loaded, users=["nobody"])


def test_bad_logs_are_clear_errors(tmp_path, capsys):
    write_log(tmp_path / "log.csv")
    assert main(train_args(tmp_path / "log.csv", tmp_path / "r1", "--item-col", "wat")) == 2
    err = capsys.readouterr().err
    assert "log.csv" in err and "no column 'wat'" in err and "did you mean 'what'" in err
    frame = pd.read_csv(tmp_path / "log.csv").astype({"stars": object})
    frame.loc[3, "stars"] = "five"
    frame.to_csv(tmp_path / "bad.csv", index=False)
    bad = train_args(tmp_path / "bad.csv", tmp_path / "r2", "--rating-col", "stars", "--min-rating", "4")
    assert main(bad) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and "stars" in err and "line 5" in err  # header is line 1, row 3 is line 5
    assert main(train_args(tmp_path / "log.csv", tmp_path / "r3", "--min-rating", "4")) == 2
    assert "--rating-col" in capsys.readouterr().err
    assert main(train_args(tmp_path / "log.csv", tmp_path / "r5", "--split", "predefined")) == 2
    assert "needs a LightGCN folder" in capsys.readouterr().err
    assert main(train_args(tmp_path / "missing.csv", tmp_path / "r4")) == 2
    assert "missing.csv" in capsys.readouterr().err
    assert main(["rec", "recommend", str(tmp_path / "r4")]) == 2
    assert "not a gcl rec run directory" in capsys.readouterr().err


def test_filtered_users_and_unseen_test_items_are_reported(tmp_path):
    frame = write_log(tmp_path / "log.csv")
    frame.loc[frame["who"] == "u05", "stars"] = 1  # every rating of u05 falls below --min-rating
    frame.to_csv(tmp_path / "log.csv", index=False)
    out = tmp_path / "run"
    assert main(train_args(tmp_path / "log.csv", out, "--rating-col", "stars", "--min-rating", "3")) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    reports = {r["step"].split("(")[0]: r for r in metrics["data"]["reports"]}
    kept = frame[frame["stars"] >= 3]
    assert reports["min_rating"]["removed"] == len(frame) - len(kept)
    assert reports["min_rating"]["details"]["users_removed"] == frame["who"].nunique() - kept["who"].nunique()
    split = reports["random_split"]["details"]
    loaded = load_run(out)
    assert "u05" not in set(loaded.user_ids)
    train = sp.load_npz(out / "train.npz")
    seen = sp.load_npz(out / "seen.npz")
    assert seen.nnz == len(kept) and train.nnz == split["train"]
    unseen_items = np.flatnonzero(np.asarray(train.sum(axis=0)).ravel() == 0)
    held_out = (seen - train).tocsc()
    assert split["valid_unseen_item_interactions"] + split["test_unseen_item_interactions"] == int(
        held_out[:, unseen_items].sum()
    )


def test_ml100k_config_runs_end_to_end(data_dir, tmp_path):
    require(data_dir, "ml-100k/ml-100k.inter")
    out = tmp_path / "run"
    args = ["rec", "train", "--config", "experiments/rec/simgcl_ml100k.yaml", "--data-dir", str(data_dir),
            "--epochs", "1", "--max-batches", "5", "--out", str(out), "--no-progress"]  # fmt: skip
    assert main(args) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["split"]["train"]["interactions"] == 80_808 and metrics["model"] == "simgcl"
    assert "masked" in metrics["protocol"]


def test_a_stopped_run_resumes_from_its_checkpoint_and_refuses_another_config(tmp_path, capsys):
    write_log(tmp_path / "log.csv")
    out = tmp_path / "run"
    args = train_args(tmp_path / "log.csv", out, "--model", "simgcl")
    assert main([*args, "--epochs", "1"]) == 0
    assert (out / "checkpoint-seed0.pt").is_file()
    assert main([*args, "--epochs", "3"]) == 0  # extends the same run by two epochs
    resumed = json.loads((out / "metrics.json").read_text())["runs"][0]["history"]
    assert [h["epoch"] for h in resumed] == [0, 1, 2]
    log = (out / "train.log").read_text()
    assert "resumed from" in log
    # The resumed run adds to its log: the first command's epoch stays, in order, before the resume.
    order = [log.index(text) for text in ("epoch 0: ", "resumed from", "epoch 1: ", "epoch 2: ")]
    assert order == sorted(order)

    fresh = tmp_path / "fresh"
    assert main(train_args(tmp_path / "log.csv", fresh, "--model", "simgcl", "--epochs", "3")) == 0
    straight = json.loads((fresh / "metrics.json").read_text())["runs"][0]["history"]
    for a, b in zip(resumed, straight, strict=True):  # same random draws: the same curve as an unbroken run
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-5)
        assert a["valid_recall@20"] == pytest.approx(b["valid_recall@20"], abs=1e-6)

    assert main([*args, "--epochs", "3"]) == 0  # already finished: nothing more is trained
    assert len(json.loads((out / "metrics.json").read_text())["runs"][0]["history"]) == 3
    assert main([*args, "--epochs", "3", "--lr", "0.5"]) == 2
    assert "train.lr" in capsys.readouterr().err
    assert main([*args, "--epochs", "1", "--lr", "0.5", "--restart"]) == 0
    assert len(json.loads((out / "metrics.json").read_text())["runs"][0]["history"]) == 1
    assert "resumed from" not in (out / "train.log").read_text()  # a restart starts a new log


def test_refit_trains_the_selected_epochs_on_train_plus_validation(tmp_path, capsys):
    write_log(tmp_path / "log.csv", users=20, per_user=12)
    out = tmp_path / "run"
    assert main(train_args(tmp_path / "log.csv", out, "--model", "lightgcn", "--seeds", "0", "1")) == 0
    source = json.loads((out / "metrics.json").read_text())
    assert main(["rec", "refit", str(out), "--no-progress"]) == 0
    refit_dir = tmp_path / "run-refit"
    metrics = json.loads((refit_dir / "metrics.json").read_text())
    for before, after in zip(source["runs"], metrics["runs"], strict=True):
        assert len(after["history"]) == before["best_epoch"] + 1  # the epoch count chosen on validation
        assert after["best_epoch"] == before["best_epoch"] and after["valid"] == {}
        assert not any(key.startswith("valid_") for key in after["history"][-1])
    split = metrics["split"]
    assert (
        split["train"]["interactions"]
        == source["split"]["train"]["interactions"] + source["split"]["valid"]["interactions"]
    )
    assert split["valid"]["interactions"] == 0
    assert split["test"]["interactions"] == source["split"]["test"]["interactions"]
    assert metrics["selection"].startswith(f"refit on train + validation for the epoch count that {out}")
    assert "refit(validation merged into train)" in (refit_dir / "train.log").read_text()
    train = sp.load_npz(refit_dir / "train.npz")
    seen = sp.load_npz(out / "seen.npz")
    assert train.nnz + source["split"]["test"]["interactions"] == seen.nnz  # train + valid + test = all
    assert "test recall@20" in capsys.readouterr().out

    assert main(["rec", "refit", str(refit_dir)]) == 2
    assert "is already a refit" in capsys.readouterr().err
    assert main(["rec", "refit", str(tmp_path / "nowhere")]) == 2
    assert "config.yaml: missing; refit needs a finished run directory" in capsys.readouterr().err
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.yaml").write_text((out / "config.yaml").read_text())
    (tmp_path / "broken" / "metrics.json").write_text('{"name": "x"}')
    assert main(["rec", "refit", str(tmp_path / "broken")]) == 2
    assert "metrics.json: not the metrics of a gcl rec run" in capsys.readouterr().err

    # Seeds the validation run did not train borrow the median validated epoch count.
    other = tmp_path / "more-seeds"
    assert (
        main(["rec", "refit", str(out), "--seeds", "1", "5", "7", "--out", str(other), "--no-progress"]) == 0
    )
    validated = {r["seed"]: r["best_epoch"] + 1 for r in source["runs"]}
    borrowed = min(validated.values())  # median_low of two counts
    more = json.loads((other / "metrics.json").read_text())
    assert {r["seed"]: len(r["history"]) for r in more["runs"]} == {1: validated[1], 5: borrowed, 7: borrowed}
    assert "seeds [5, 7] were not validated" in more["selection"]
    assert load_yaml((other / "config.yaml").read_text())["refit"]["epochs_borrowed"] == [5, 7]
    assert main(["rec", "refit", str(out), "--seeds", "3", "3", "--out", str(tmp_path / "dup")]) == 2
    assert "seeds: expected distinct seeds, got [3, 3]" in capsys.readouterr().err


def test_ctrl_c_ends_the_run_with_the_best_epoch_tested_and_the_same_command_goes_on(tmp_path, monkeypatch):
    from gcl.rec.trainer import RecTrainer

    write_log(tmp_path / "log.csv")
    out = tmp_path / "run"
    args = train_args(tmp_path / "log.csv", out, "--model", "lightgcn", "--seeds", "0", "1", "--epochs", "4")
    original, calls = RecTrainer._train_epoch, []

    def train_epoch(self, epoch, *rest):
        calls.append(epoch)
        if len(calls) == 3:  # Ctrl-C once, at the start of seed 0's third epoch
            raise KeyboardInterrupt
        return original(self, epoch, *rest)

    monkeypatch.setattr(RecTrainer, "_train_epoch", train_epoch)
    assert main(args) == 0
    runs = json.loads((out / "metrics.json").read_text())["runs"]
    assert [r["seed"] for r in runs] == [0] and runs[0]["interrupted"] and len(runs[0]["history"]) == 2
    assert runs[0]["test"]["recall@20"] >= 0 and runs[0]["best_epoch"] in (0, 1)
    log = (out / "train.log").read_text()
    assert "interrupted after 2 epoch(s)" in log and "seed(s) [1] not trained" in log

    assert main(args) == 0  # the same command resumes seed 0 at epoch 2, then trains seed 1
    runs = json.loads((out / "metrics.json").read_text())["runs"]
    assert [r["seed"] for r in runs] == [0, 1] and not any(r["interrupted"] for r in runs)
    assert [h["epoch"] for h in runs[0]["history"]] == [0, 1, 2, 3]
    assert calls == [0, 1, 2, 2, 3, 0, 1, 2, 3]
