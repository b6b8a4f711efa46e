"""``gcl rec train | recommend | embeddings``: recommenders on your own interaction logs.

Examples::

    gcl rec train --data ratings.csv --user-col userId --item-col movieId --rating-col rating
    gcl rec train ... --min-rating 4 --model xsimgcl --out runs/my-xsimgcl
    gcl rec train --config experiments/rec/simgcl_ml100k.yaml --seeds 0 1 2 3 4
    gcl rec train --data gowalla --model simgcl           # a LightGCN train.txt/test.txt folder
    gcl rec refit runs/my-xsimgcl --out runs/my-xsimgcl-refit   # train + valid, the selected epochs
    gcl rec recommend runs/my-xsimgcl --top 20 --out recs.csv
    gcl rec embeddings runs/my-xsimgcl --out emb.npz

The run directory is described in :mod:`gcl.rec.pipeline`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from gcl import runs
from gcl.rec.models import MODELS
from gcl.rec.pipeline import DEFAULTS, SECTIONS, export_embeddings, load_run, recommend, refit, run
from gcl.yaml_config import load_yaml

__all__ = ["add_parser", "resolve_config"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``gcl rec``."""
    parser = subparsers.add_parser("rec", help="graph recommenders (LightGCN, SGL, SimGCL, XSimGCL, ...)")
    sub = parser.add_subparsers(dest="action", required=True)

    train = sub.add_parser("train", help="train with early stopping on validation, then test once")
    train.add_argument("--config", default=None, help="YAML config (experiments/rec/*.yaml); flags win")
    train.add_argument("--data", default=None, help="CSV/TSV/Parquet log, RecBole .inter or LightGCN folder")
    train.add_argument("--data-dir", default=None, help="root of relative data paths ($GCL_DATA_DIR)")
    train.add_argument("--format", choices=("table", "recbole", "lightgcn"), default=None)
    train.add_argument("--user-col", default=None, help="user column (default user_id)")
    train.add_argument("--item-col", default=None, help="item column (default item_id)")
    train.add_argument("--rating-col", default=None, help="rating column (needed by --min-rating)")
    train.add_argument("--time-col", default=None, help="time column (needed by --split temporal)")
    train.add_argument("--sep", default=None, help="field separator (default from the extension)")
    train.add_argument("--min-rating", type=float, default=None, help="keep interactions rated >= this")
    train.add_argument("--kcore", type=int, default=None, help="keep the k-core of users and items")
    train.add_argument("--split", choices=("random", "temporal", "predefined"), default=None)
    train.add_argument("--model", choices=sorted(MODELS), default=None, help="model (default lightgcn)")
    train.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a model hyper-parameter, e.g. --param eps=0.2 --param cl_weight=0.1 (YAML values)",
    )
    train.add_argument("--epochs", type=int, default=None)
    train.add_argument("--patience", type=int, default=None, help="evaluations without improvement")
    train.add_argument("--batch-size", type=int, default=None)
    train.add_argument("--lr", type=float, default=None)
    train.add_argument("--eval-every", type=int, default=None, help="epochs between validations")
    train.add_argument("--max-batches", type=int, default=None, help="batches per epoch (smoke runs)")
    train.add_argument("--seeds", type=int, nargs="+", default=None, help="one run per seed")
    train.add_argument("--device", default=None, help="cpu, cuda, cuda:1 or auto")
    train.add_argument("--out", default=None, help="run directory (default runs/rec-<model>-<time>)")
    train.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    train.add_argument(
        "--restart", action="store_true", help="ignore the checkpoints in --out instead of resuming from them"
    )
    train.set_defaults(func=_train)

    again = sub.add_parser(
        "refit", help="train a finished run again on train + validation for the epochs it selected, test once"
    )
    again.add_argument("run_dir", help="a finished gcl rec train run directory")
    again.add_argument("--out", default=None, help="run directory (default RUN_DIR-refit)")
    again.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=None,
        help="seeds to train (default: the run's); a seed the run did not validate trains for the median "
        "validated epoch count",
    )
    again.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    again.add_argument("--restart", action="store_true", help="ignore the checkpoints in --out")
    again.set_defaults(func=_refit)

    rec = sub.add_parser("recommend", help="top-K lists with raw ids from a run directory")
    rec.add_argument("run_dir")
    rec.add_argument("--top", type=int, default=20)
    rec.add_argument("--users", nargs="+", default=None, help="raw user ids (default: every user)")
    rec.add_argument("--seed", type=int, default=None, help="which seed's model (default: the first)")
    rec.add_argument("--include-seen", action="store_true", help="mask training items only")
    rec.add_argument("--out", default=None, help="CSV to write (default RUN_DIR/recommendations.csv)")
    rec.set_defaults(func=_recommend)

    emb = sub.add_parser("embeddings", help="export user and item embeddings with raw ids (.npz)")
    emb.add_argument("run_dir")
    emb.add_argument("--seed", type=int, default=None)
    emb.add_argument("--out", default=None, help="default RUN_DIR/embeddings.npz")
    emb.set_defaults(func=_embeddings)


def _parse_params(pairs: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--param {pair!r}: expected KEY=VALUE, e.g. eps=0.1")
        params[key.strip()] = load_yaml(value)
    return params


def resolve_config(args: argparse.Namespace) -> dict[str, Any]:
    """Defaults, then the ``--config`` file, then the flags; the result is what the run uses."""
    config = runs.merge(DEFAULTS, runs.load_config(args.config, SECTIONS) if args.config else {})
    flags = {
        ("data", "path"): args.data,
        ("data", "format"): args.format,
        ("data", "user_col"): args.user_col,
        ("data", "item_col"): args.item_col,
        ("data", "rating_col"): args.rating_col,
        ("data", "time_col"): args.time_col,
        ("data", "sep"): args.sep,
        ("data", "min_rating"): args.min_rating,
        ("data", "kcore"): args.kcore,
        ("split", "method"): args.split,
        ("train", "epochs"): args.epochs,
        ("train", "patience"): args.patience,
        ("train", "batch_size"): args.batch_size,
        ("train", "lr"): args.lr,
        ("train", "eval_every"): args.eval_every,
        ("train", "max_batches_per_epoch"): args.max_batches,
    }
    runs.apply_flags(config, flags, model=args.model, seeds=args.seeds, device=args.device)
    config["model"].update(_parse_params(args.param))
    path = runs.find_data(config["data"]["path"], args.data_dir)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder (data.path)")
    config["data"]["path"] = str(path)
    config["name"] = config["name"] or f"{config['model']['name']}-{path.stem}"
    return config


def _train(args: argparse.Namespace) -> int:
    config = resolve_config(args)
    out = args.out or f"runs/rec-{config['model']['name']}-{time.strftime('%Y%m%d-%H%M%S')}"
    return _report(out, run(config, out, progress=not args.no_progress, resume=not args.restart))


def _refit(args: argparse.Namespace) -> int:
    out = args.out or f"{str(args.run_dir).rstrip('/')}-refit"
    return _report(
        out,
        refit(args.run_dir, out, seeds=args.seeds, progress=not args.no_progress, resume=not args.restart),
    )


def _report(out: str, metrics: dict[str, Any]) -> int:
    print(f"run directory: {out}")
    for key in ("recall@20", "ndcg@20", "recall@10", "ndcg@10"):
        if key in metrics["summary_test"]:
            stats = metrics["summary_test"][key]
            print(
                f"test {key:<10} {stats['mean']:.4f} ± {stats['std']:.4f}  ({len(metrics['runs'])} seed(s))"
            )
    return 0


def _recommend(args: argparse.Namespace) -> int:
    loaded = load_run(args.run_dir, seed=args.seed)
    table = recommend(loaded, args.top, args.users, exclude_seen=not args.include_seen)
    out = Path(args.out or Path(args.run_dir) / "recommendations.csv")
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    print(f"{len(table):,} recommendations for {table['user'].nunique():,} users -> {out}")
    return 0


def _embeddings(args: argparse.Namespace) -> int:
    loaded = load_run(args.run_dir, seed=args.seed)
    out = export_embeddings(loaded, args.out or Path(args.run_dir) / "embeddings.npz")
    print(f"embeddings of {len(loaded.user_ids):,} users and {len(loaded.item_ids):,} items -> {out}")
    return 0
