"""Choose the contrastive weight lambda of SimGCL/XSimGCL on **validation** Recall@20 (never on test).

Run by hand, e.g. ``.venv/bin/python experiments/rec/select_cl_weight.py experiments/rec/simgcl_ml100k.yaml
--grid 0.005 0.02 0.1 0.5``. One run per grid value with the config's first seed; writes
``experiments/results/select_<config name>.json`` with every value's best validation metrics and epochs.
The test metrics are not read. Put the winner into the config by hand, with a comment pointing here.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from gcl import runs
from gcl.rec.pipeline import DEFAULTS, SECTIONS, run

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config")
    parser.add_argument("--grid", type=float, nargs="+", required=True, help="values of model.cl_weight")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    config = runs.merge(DEFAULTS, runs.load_config(args.config, SECTIONS))
    config["data"]["path"] = str(runs.find_data(config["data"]["path"], args.data_dir))
    config["seeds"] = config["seeds"][:1]
    rows = []
    for value in args.grid:
        trial = runs.merge(config, {"model": {"cl_weight": value}})
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            metrics = run(trial, tmp, progress=False)
        record = metrics["runs"][0]
        rows.append(
            {
                "cl_weight": value,
                "valid": {k: v for k, v in record["valid"].items() if "@" in k},
                "best_epoch": record["best_epoch"],
                "epochs_run": record["epochs_run"],
                "seconds": time.perf_counter() - started,
            }
        )
        score = record["valid"]["recall@20"]
        print(f"cl_weight={value:g}: valid recall@20 {score:.4f} (epoch {record['best_epoch']})", flush=True)
    best = max(rows, key=lambda r: r["valid"][config["train"]["monitor"]])
    out = Path(args.out or ROOT / f"experiments/results/select_{config['name']}.json")
    out.write_text(
        json.dumps(
            {
                "config": args.config,
                "selection": f"validation {config['train']['monitor']}, seed {config['seeds'][0]}",
                "best_cl_weight": best["cl_weight"],
                "grid": rows,
                "written": time.strftime("%Y-%m-%d %H:%M:%S"),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"best cl_weight {best['cl_weight']:g} -> {out}")


if __name__ == "__main__":
    main()
