"""Every graph recommender on MovieLens-100K, several seeds each, one results table.

Protocol: RecBole's ml-100k atomic file, every rating an implicit interaction, one per-user random 8:1:1
split (split seed 0, the same for every training seed), full ranking over all items with training items
masked (and validation items for the test), early stopping on **validation** Recall@20 with the best
epoch's weights restored for the single test evaluation. One training run per seed.

The models come from ``experiments/rec/{lightgcn,sgl,simgcl,xsimgcl}_ml100k.yaml``; MF, NCL and DirectAU
use the LightGCN config with the model swapped (their published defaults for everything else).

Run by hand::

    .venv/bin/python experiments/rec/ml100k_table.py                       # all models, 5 seeds
    .venv/bin/python experiments/rec/ml100k_table.py --models simgcl --seeds 0 1

Writes ``experiments/results/rec_ml100k.json`` (per-seed metrics) and ``rec_ml100k.md``; a run that names
only some models keeps the other models' rows of an existing JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from gcl import runs
from gcl.rec.pipeline import DEFAULTS, SECTIONS, run

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "experiments" / "rec"
#: model -> (config file, model overrides)
MODELS: dict[str, tuple[str, dict[str, Any]]] = {
    "mf": ("lightgcn_ml100k.yaml", {"name": "mf", "num_layers": None}),
    "lightgcn": ("lightgcn_ml100k.yaml", {}),
    "sgl": ("sgl_ml100k.yaml", {}),
    "simgcl": ("simgcl_ml100k.yaml", {}),
    "xsimgcl": ("xsimgcl_ml100k.yaml", {}),
    "ncl": ("lightgcn_ml100k.yaml", {"name": "ncl"}),
    "directau": ("lightgcn_ml100k.yaml", {"name": "directau", "num_layers": None}),
}
METRICS = ("recall@20", "ndcg@20", "recall@10", "ndcg@10", "recall@50")


def model_config(model: str, data_dir: str | None, seeds: list[int]) -> dict[str, Any]:
    """The resolved pipeline config of ``model`` for ``seeds``."""
    path, overrides = MODELS[model]
    config = runs.merge(DEFAULTS, runs.load_config(CONFIGS / path, SECTIONS))
    config["data"]["path"] = str(runs.find_data(config["data"]["path"], data_dir))
    config["model"] = {k: v for k, v in {**config["model"], **overrides}.items() if v is not None}
    config["name"] = f"{model}_ml100k"
    config["seeds"] = seeds
    config["device"] = "cpu"
    return config


def mean_std(values: list[float]) -> dict[str, float]:
    """Mean and sample standard deviation (``ddof=1``; 0 for one value)."""
    return {"mean": statistics.fmean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0}


def markdown(table: dict[str, Any]) -> str:
    """The results table as markdown."""
    lines = [
        "### Graph recommenders on MovieLens-100K (random 8:1:1 split)",
        "",
        "| model | " + " | ".join(METRICS) + " | seeds | best epochs | s per run |",
        "|---|" + "---|" * (len(METRICS) + 3),
    ]
    for model, row in table["models"].items():
        cells = [f"{row['test'][m]['mean']:.4f} ± {row['test'][m]['std']:.4f}" for m in METRICS]
        epochs = ", ".join(str(r["best_epoch"]) for r in row["runs"])
        seconds = statistics.fmean(r["seconds"] for r in row["runs"])
        runs_n = len(row["runs"])
        lines.append(f"| {model} | " + " | ".join(cells) + f" | {runs_n} | {epochs} | {seconds:.0f} |")
    lines += ["", f"- {table['protocol']}", f"- {table['hyper_parameters']}", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "experiments" / "results" / "rec_ml100k.json")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    table: dict[str, Any] = {"models": {}}
    if args.out.exists():
        table = json.loads(args.out.read_text())
    table["protocol"] = (
        "RecBole ml-100k, all ratings as implicit feedback, per-user random 8:1:1 split (split seed 0); full "
        "ranking over all items, training items masked (and validation items at test); early stopping on "
        "validation Recall@20 (patience 10), best epoch restored; test metrics mean ± sample std over seeds"
    )
    table["hyper_parameters"] = (
        "dim 64, batch 2048, Adam lr 1e-2, L2 1e-4 on batch ego embeddings; 2 layers; SGL/SimGCL/XSimGCL "
        "as in experiments/rec/*_ml100k.yaml (lambda chosen on validation); NCL/DirectAU: gcl.rec defaults "
        "(published values)"
    )
    for model in args.models:
        config = model_config(model, args.data_dir, args.seeds)
        rows = []
        for seed in args.seeds:
            started = time.perf_counter()
            with tempfile.TemporaryDirectory() as tmp:
                metrics = run({**config, "seeds": [seed]}, tmp, progress=False)
            record = metrics["runs"][0]
            rows.append(
                {
                    "seed": seed,
                    "best_epoch": record["best_epoch"],
                    "epochs_run": record["epochs_run"],
                    "seconds": round(time.perf_counter() - started, 1),
                    "valid": {k: v for k, v in record["valid"].items() if "@" in k},
                    "test": {k: v for k, v in record["test"].items() if "@" in k or k in ("coverage",)},
                }
            )
            print(f"{model} seed {seed}: test recall@20 {record['test']['recall@20']:.4f}", flush=True)
        table["models"][model] = {
            "config": {"model": config["model"], "train": config["train"]},
            "runs": rows,
            "test": {m: mean_std([r["test"][m] for r in rows]) for m in METRICS},
            "valid": {m: mean_std([r["valid"][m] for r in rows]) for m in METRICS},
        }
        table["written"] = time.strftime("%Y-%m-%d %H:%M:%S")
        args.out.write_text(json.dumps(table, indent=2, default=float) + "\n")
        args.out.with_suffix(".md").write_text(markdown(table))
    assert all(math.isfinite(r["test"]["recall@20"]["mean"]) for r in table["models"].values())
    print(markdown(table))


if __name__ == "__main__":
    main()
