"""``gcl seq train``: train and evaluate a sequential recommender, writing a run directory.

Examples::

    gcl seq train --data Beauty/Beauty.txt --model duorec --out runs/duorec-beauty
    gcl seq train --config experiments/seq/cl4srec_beauty.yaml --seeds 0 1 2 --device cuda
    gcl seq train --data log.csv --format table --user-col user --item-col item --time-col ts --model sasrec

The run directory holds ``config.yaml`` (the fully resolved settings), ``metrics.json`` (per seed: best
validation epoch, its validation metrics, test metrics, per-epoch history; plus mean/std over seeds and the
protocol) and ``train.log`` (the per-epoch log).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

import yaml

from gcl import runs
from gcl.data.interactions import Interactions
from gcl.data.readers import read_sequences, read_table
from gcl.seq.data import SequenceData
from gcl.seq.encoder import SASRecEncoder
from gcl.seq.models import MODELS, build_model
from gcl.seq.trainer import SeqTrainConfig, train_sequential
from gcl.train import seed_everything

__all__ = ["DEFAULTS", "add_parser", "load_config", "resolve_config", "run"]

logger = logging.getLogger("gcl.seq")

# Defaults of every section; a YAML config and then the command-line flags override them.
DEFAULTS: dict[str, Any] = {
    "name": None,
    "data": {
        "path": None,
        "format": None,  # "sequence" (user item item ...) or "table"; default from the extension
        "user_col": "user",
        "item_col": "item",
        "time_col": None,
        "sep": None,
        "max_length": 50,
        "min_length": 3,
    },
    "model": {"name": "sasrec"},  # other keys: the model's keyword hyper-parameters
    "encoder": {
        "hidden": 64,
        "num_blocks": 2,
        "num_heads": 2,
        "dropout": 0.5,
        "attn_dropout": 0.5,
        "inner_size": 256,
        "activation": "gelu",
    },
    "train": {
        "epochs": 200,
        "batch_size": 256,
        "lr": 0.001,
        "weight_decay": 0.0,
        "patience": 10,
        "monitor": "ndcg@10",
        "ks": [5, 10, 20],
        "mask_history": False,
        "eval_batch_size": 1024,
        "max_batches_per_epoch": None,
    },
    "seeds": [0],
    "device": "cpu",
}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``gcl seq``."""
    parser = subparsers.add_parser("seq", help="sequential recommendation (SASRec, CL4SRec, DuoRec, ICSRec)")
    sub = parser.add_subparsers(dest="action", required=True)
    train = sub.add_parser(
        "train", help="train with early stopping on validation NDCG@10, then test (leave-one-out)"
    )
    train.add_argument("--config", default=None, help="YAML config (experiments/seq/*.yaml); flags win")
    train.add_argument("--data", default=None, help="sequence file or interaction table")
    train.add_argument("--data-dir", default=None, help="root of relative data paths ($GCL_DATA_DIR)")
    train.add_argument("--format", choices=("sequence", "table"), default=None, help="input format")
    train.add_argument("--user-col", default=None, help="table: user column")
    train.add_argument("--item-col", default=None, help="table: item column")
    train.add_argument("--time-col", default=None, help="table: time column that orders each user's items")
    train.add_argument("--sep", default=None, help="table: field separator (default from the extension)")
    train.add_argument("--model", choices=sorted(MODELS), default=None, help="model (default sasrec)")
    train.add_argument("--max-length", type=int, default=None, help="input window (default 50)")
    train.add_argument("--min-length", type=int, default=None, help="shortest sequence kept (default 3)")
    train.add_argument("--epochs", type=int, default=None)
    train.add_argument("--patience", type=int, default=None, help="early-stopping patience in epochs")
    train.add_argument("--batch-size", type=int, default=None)
    train.add_argument("--lr", type=float, default=None)
    train.add_argument("--max-batches", type=int, default=None, help="batches per epoch (smoke runs)")
    train.add_argument(
        "--mask-history", choices=("false", "true", "zero"), default=None, help="history at evaluation"
    )
    train.add_argument("--seed", type=int, default=None, help="a single seed")
    train.add_argument("--seeds", type=int, nargs="+", default=None, help="several seeds (one run each)")
    train.add_argument("--device", default=None, help="cpu, cuda, cuda:1 or auto")
    train.add_argument("--out", default=None, help="run directory (default runs/seq-<model>-<time>)")
    train.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    train.set_defaults(func=_train)


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a YAML run config (sections as in :data:`DEFAULTS`)."""
    return runs.load_config(path, DEFAULTS)


def resolve_config(args: argparse.Namespace) -> dict[str, Any]:
    """Defaults, then the ``--config`` file, then the flags; the result is what the run uses."""
    config = runs.merge(DEFAULTS, load_config(args.config) if args.config else {})
    flags = {
        ("data", "path"): args.data,
        ("data", "format"): args.format,
        ("data", "user_col"): args.user_col,
        ("data", "item_col"): args.item_col,
        ("data", "time_col"): args.time_col,
        ("data", "sep"): args.sep,
        ("data", "max_length"): args.max_length,
        ("data", "min_length"): args.min_length,
        ("train", "epochs"): args.epochs,
        ("train", "patience"): args.patience,
        ("train", "batch_size"): args.batch_size,
        ("train", "lr"): args.lr,
        ("train", "max_batches_per_epoch"): args.max_batches,
    }
    seeds = [args.seed] if args.seed is not None else args.seeds
    runs.apply_flags(config, flags, model=args.model, seeds=seeds, device=args.device)
    if args.mask_history is not None:
        config["train"]["mask_history"] = {"false": False, "true": True, "zero": "zero"}[args.mask_history]
    config["data"]["path"] = str(runs.find_data(config["data"]["path"], args.data_dir))
    if config["data"]["format"] is None:
        config["data"]["format"] = "sequence" if Path(config["data"]["path"]).suffix == ".txt" else "table"
    config["name"] = config["name"] or f"{config['model']['name']}-{Path(config['data']['path']).stem}"
    return config


def _load(data_cfg: dict[str, Any]) -> Interactions:
    path = data_cfg["path"]
    if data_cfg["format"] == "sequence":
        return read_sequences(path)
    if data_cfg["format"] != "table":
        raise ValueError(f"data.format must be 'sequence' or 'table', got {data_cfg['format']!r}")
    if not data_cfg.get("time_col"):
        logger.warning("%s: no --time-col given; each user's items are ordered by row order", path)
    return read_table(
        path,
        user_col=data_cfg["user_col"],
        item_col=data_cfg["item_col"],
        time_col=data_cfg.get("time_col"),
        sep=data_cfg.get("sep"),
    )


def run(config: dict[str, Any], out_dir: str | Path, *, progress: bool = True) -> dict[str, Any]:
    """Train one model per seed as described by a resolved config; write the run directory.

    Returns:
        The ``metrics.json`` content.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with runs.run_log(out / "train.log", ("gcl.seq", "gcl.data")):
        with (out / "config.yaml").open("w") as handle:
            yaml.safe_dump(config, handle, sort_keys=False)
        data_cfg = config["data"]
        data = SequenceData.from_interactions(
            _load(data_cfg), max_length=int(data_cfg["max_length"]), min_length=int(data_cfg["min_length"])
        )
        model_cfg = {k: v for k, v in config["model"].items() if k != "name"}
        reports = [r.to_dict() for r in data.reports]
        results: list[dict[str, Any]] = []
        metrics: dict[str, Any] = {}
        for seed in config["seeds"]:
            seed_everything(int(seed))
            encoder = runs.build_section(
                SASRecEncoder, "encoder", data.num_items, max_length=data.max_length, **config["encoder"]
            )
            model = build_model(config["model"]["name"], encoder, **model_cfg)
            train_cfg = runs.build_section(
                SeqTrainConfig,
                "train",
                **config["train"],
                seed=int(seed),
                device=config["device"],
                progress=progress,
            )
            logger.info("seed %s: %s", seed, model.config())
            result = train_sequential(model, data, train_cfg)
            results.append({"seed": int(seed), **result.to_dict()})
            metrics = {
                "name": config["name"],
                "model": config["model"]["name"],
                "protocol": result.test["protocol"],
                "selection": f"best validation {train_cfg.monitor} (patience {train_cfg.patience})",
                "data": {"source": data.source, **data.stats(), "reports": reports},
                "summary_test": runs.summarize(results),
                "runs": results,
                "published": config.get("published"),
                "written": time.strftime("%Y-%m-%d %H:%M:%S"),
            }
            (out / "metrics.json").write_text(json.dumps(metrics, indent=2, default=str))
        return metrics


def _train(args: argparse.Namespace) -> int:
    config = resolve_config(args)
    out = args.out or f"runs/seq-{config['model']['name']}-{time.strftime('%Y%m%d-%H%M%S')}"
    metrics = run(config, out, progress=not args.no_progress)
    print(f"run directory: {out}")
    for key, stats in metrics["summary_test"].items():
        print(f"test {key:<12} {stats['mean']:.4f} ± {stats['std']:.4f}  ({len(metrics['runs'])} seed(s))")
    return 0
