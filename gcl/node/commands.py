"""``gcl node run CONFIG``: train and evaluate a node-level model from a YAML config."""

from __future__ import annotations

import argparse

from gcl.node.experiment import load_config, results_table, run_experiment


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``gcl node``."""
    parser = subparsers.add_parser("node", help="node-level contrastive learning experiments")
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("run", help="train + linear-probe evaluation from an experiments/node/*.yaml config")
    run.add_argument("config")
    run.add_argument("--data-dir", default=None, help="data root (default: $GCL_DATA_DIR or ~/.cache/gcl)")
    run.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1 or auto")
    run.add_argument("--seeds", type=int, default=None, help="use the first N seeds of the config")
    run.add_argument("--epochs", type=int, default=None, help="override the number of training epochs")
    run.add_argument("--out", default="experiments/results", help="folder for the results JSON and table")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    run.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    seeds = config["seeds"][: args.seeds] if args.seeds else None
    results = run_experiment(
        config,
        data_dir=args.data_dir,
        device=args.device,
        seeds=seeds,
        epochs=args.epochs,
        out_dir=args.out,
        progress=not args.no_progress,
    )
    print(results_table(results))
    return 0
