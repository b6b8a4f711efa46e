"""Diagnostic, not a result: the test curve of a Gowalla refit, epoch by epoch.

Our reported Gowalla numbers follow the honest protocol: the setting and the epoch count are chosen on a
validation set carved from train, the model is refit on the whole training file for that count, and the test
file is read once (``gcl rec refit``). The published numbers we compare against were read differently:
SELFRec tests after every epoch and reports the best test epoch, and LightGCN's 1000-epoch figure is the
test score of a run on the whole training file with no validation set. This script measures how much that
reading is worth for our models, so the gap to a published number can be split into model and protocol:

* it retrains a refit's configuration (same split, seed, model and optimizer settings, whole training file)
  for ``--epochs`` epochs and scores the test file after every epoch, training and validation items masked;
* the scores never feed back into training (:meth:`gcl.rec.trainer.RecTrainer.fit`'s ``epoch_callback``
  only reads the model), so at the refit's epoch count the curve repeats the refit's own test score (the
  output holds both; a different thread count changes the float rounding of the sparse products, so the
  two agree to a few 1e-5, not bit for bit);
* it writes the curve, the refit's epoch and score, and the curve's best epoch (a test-selected number,
  labelled so) to ``--out`` after every epoch, so a stopped run keeps what it measured.

Never use the best test epoch to choose anything. Run by hand (about 55 s per epoch on 2 CPU threads)::

    .venv/bin/python experiments/rec/gowalla_test_curve.py runs/gowalla-simgcl-e02-l02-refit --epochs 60 \\
        --out experiments/results/rec_gowalla_test_curve_simgcl.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import torch

from gcl.rec.models import build_model
from gcl.rec.pipeline import prepare_split
from gcl.rec.trainer import RecTrainConfig, RecTrainer, evaluate_model
from gcl.train import seed_everything
from gcl.yaml_config import load_yaml

CURVE_KS = (20,)
CURVE_METRICS = ("recall", "ndcg")


def score_test(trainer: RecTrainer) -> dict[str, float]:
    """Test Recall@20 and NDCG@20 of the trainer's current model (training and validation items masked)."""
    scores = evaluate_model(
        trainer.model,
        trainer.train_csr,
        trainer.test_csr,
        exclude=(trainer.train_csr, trainer.valid_csr),
        ks=CURVE_KS,
        metrics=CURVE_METRICS,
        batch_size=trainer.config.eval_batch_size,
    )
    trainer.model.train()
    return {f"test_{m}@{k}": float(scores[f"{m}@{k}"]) for m in CURVE_METRICS for k in CURVE_KS}


def record_test_curve(refit_dir: Path, epochs: int, seed: int, out: Path) -> dict[str, Any]:
    """Retrain ``refit_dir``'s configuration for ``epochs`` epochs, scoring the test file after each one."""
    config_path = refit_dir / "config.yaml"
    if not config_path.is_file():
        raise FileNotFoundError(f"{config_path}: missing; give a run directory written by `gcl rec refit`")
    config = load_yaml(config_path.read_text())
    refit_of = config.get("refit")
    if not refit_of:
        raise ValueError(f"{config_path}: not a refit (no 'refit' section); give a refit's dir")
    refit_epochs = {int(k): int(v) for k, v in refit_of["epochs"].items()}
    if seed not in refit_epochs:
        raise ValueError(f"{config_path}: refit.epochs has no seed {seed} (seeds: {sorted(refit_epochs)})")
    metrics_path = refit_dir / "metrics.json"
    refit_runs = json.loads(metrics_path.read_text())["runs"] if metrics_path.exists() else []
    refit_run = next((r for r in refit_runs if int(r["seed"]) == seed), None)

    split = prepare_split(config).refit()
    seed_everything(seed)
    params = {k: v for k, v in config["model"].items() if k != "name"}
    model = build_model(config["model"]["name"], split.train, **params)
    train_section = {k: v for k, v in config["train"].items() if k not in ("epochs", "validate")}
    train_cfg = RecTrainConfig(
        **train_section, epochs=epochs, validate=False, seed=seed, progress=False, checkpoint=None
    )
    trainer = RecTrainer(model, split, train_cfg, device="cpu")
    record: dict[str, Any] = {
        "what": "diagnostic test curve of a refit; its best test epoch is selected on test, not a result",
        "refit_run": str(refit_dir),
        "model": config["model"],
        "seed": seed,
        "threads": torch.get_num_threads(),
        "refit_epochs": refit_epochs[seed],
        "refit_test": None
        if refit_run is None
        else {key: refit_run["test"][key] for key in ("recall@20", "ndcg@20")},
        "curve": [],
    }
    started = time.perf_counter()

    def on_epoch(epoch: int, current: RecTrainer) -> dict[str, float]:
        scores = score_test(current)
        record["curve"].append({"epoch": epoch + 1, **scores})
        best = max(record["curve"], key=lambda row: row["test_recall@20"])
        record["best_test_epoch_selected_on_test"] = best
        at_refit = next((row for row in record["curve"] if row["epoch"] == refit_epochs[seed]), None)
        record["curve_at_refit_epochs"] = at_refit
        record["seconds"] = round(time.perf_counter() - started, 1)
        out.write_text(json.dumps(record, indent=2))
        print(f"epoch {epoch + 1}: " + ", ".join(f"{k}={v:.4f}" for k, v in scores.items()), flush=True)
        return scores

    trainer.fit(epoch_callback=on_epoch)
    return record


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("refit_dir", type=Path, help="a run directory written by `gcl rec refit`")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True, help="JSON file, rewritten after every epoch")
    args = parser.parse_args()
    try:
        record_test_curve(args.refit_dir, args.epochs, args.seed, args.out)
    except (FileNotFoundError, ValueError) as exc:
        sys.exit(f"gowalla_test_curve: {exc}")


if __name__ == "__main__":
    main()
