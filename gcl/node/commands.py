"""``gcl node run CONFIG``: train and evaluate a node-level model from a YAML config.

``gcl node merge A.json B.json --out DIR``: one results record from runs of the same config over different
seeds (e.g. ``--seed-list 0 1 2 3 4`` on one machine and ``--seed-list 5 6 7 8 9`` on another).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gcl.node.experiment import load_config, merge_results, results_table, run_experiment

#: Fields of a results record that ``merge_results`` reads.
RESULT_KEYS = ("name", "config", "per_seed", "summary", "device", "date", "torch_threads")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``gcl node``."""
    parser = subparsers.add_parser("node", help="node-level contrastive learning experiments")
    sub = parser.add_subparsers(dest="action", required=True)
    run = sub.add_parser("run", help="train + linear-probe evaluation from an experiments/node/*.yaml config")
    run.add_argument("config")
    run.add_argument("--data-dir", default=None, help="data root (default: $GCL_DATA_DIR or ~/.cache/gcl)")
    run.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1 or auto")
    run.add_argument("--seeds", type=int, default=None, help="use the first N seeds of the config")
    run.add_argument("--seed-list", type=int, nargs="+", default=None, help="run exactly these seeds")
    run.add_argument("--epochs", type=int, default=None, help="override the number of training epochs")
    run.add_argument("--out", default="experiments/results", help="folder for the results JSON and table")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    run.set_defaults(func=_run)
    merge = sub.add_parser("merge", help="merge results JSONs of one config run over different seeds")
    merge.add_argument("results", nargs="+", help="results JSON files written by 'gcl node run'")
    merge.add_argument("--out", required=True, help="folder for the merged JSON and table")
    merge.set_defaults(func=_merge)


def _run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if args.seeds and args.seed_list:
        raise SystemExit("gcl node run: give --seeds N or --seed-list S [S ...], not both")
    seeds = args.seed_list or (config["seeds"][: args.seeds] if args.seeds else None)
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


def _merge(args: argparse.Namespace) -> int:
    records = []
    for path in args.results:
        try:
            records.append(json.loads(Path(path).read_text()))
        except (OSError, json.JSONDecodeError) as err:
            raise SystemExit(f"gcl node merge: cannot read results JSON {path}: {err}") from None
        missing = sorted(k for k in RESULT_KEYS if not isinstance(records[-1], dict) or k not in records[-1])
        if missing:
            raise SystemExit(f"gcl node merge: {path} is not a gcl node run results file, missing {missing}")
    merged = merge_results(records)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{merged['name']}.json").write_text(json.dumps(merged, indent=2) + "\n")
    (out / f"{merged['name']}.md").write_text(results_table(merged))
    print(results_table(merged))
    return 0
