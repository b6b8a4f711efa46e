"""Gowalla results table from the run directories of the long runs, finished or still going.

The runs themselves are started (and resumed after an interruption) by::

    gcl rec train --config experiments/rec/xsimgcl_gowalla.yaml --epochs 1 --out runs/gowalla-xsimgcl
    cp runs/gowalla-xsimgcl/metrics.json runs/gowalla-xsimgcl/first_epoch_metrics.json
    gcl rec train --config experiments/rec/xsimgcl_gowalla.yaml --out runs/gowalla-xsimgcl

(the same for ``simgcl`` and ``lightgcn``): the one-epoch run gives the test accuracy after the first epoch,
and the second command continues that very run from its checkpoint to convergence (early stopping on
validation Recall@20, patience 10). A finished run may then be refit on train + validation, for the epoch
count it selected on validation, as LightGCN trains on the whole training file::

    gcl rec refit runs/gowalla-xsimgcl          # writes runs/gowalla-xsimgcl-refit

This script reads ``runs/gowalla-<model>/``: ``first_epoch_metrics.json``; ``metrics.json`` once the run has
finished (test metrics of the restored best-validation epoch); otherwise the validation curve so far from
``checkpoint-seed0.pt``; and ``runs/gowalla-<model>-refit/`` where it exists. Writes
``experiments/results/rec_gowalla.{json,md}``. Run by hand::

    .venv/bin/python experiments/rec/gowalla_table.py [--interim-test]

``--interim-test`` also scores, for a run that is still going, the best-validation state of its checkpoint on
the test file (training and validation items masked) and reports it as *interim*: the epoch is chosen on
validation among the epochs run so far, and the number never feeds back into training (the run goes on to
its own early stop). Meant for the end of a work session, once.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import torch

from gcl.yaml_config import load_yaml

ROOT = Path(__file__).resolve().parents[2]
MODELS = (
    "lightgcn",
    "simgcl",
    "simgcl-l02",
    "simgcl-l10",
    "simgcl-e02",
    "simgcl-e02-l3",
    "simgcl-e02-l02",
    "simgcl-e02-l02-r6",
    "simgcl-e02-l02-t015",
    "simgcl-e02-l02-ego",
    "simgcl-e02-l01",
    "simgcl-e02-l02-r3",
    "simgcl-e03-l02",
    "simgcl-e02-l02-b4096",
    "simgcl-e02-l02-b4096-lr2",
    "simgcl-e02-l02-b8192",
    "simgcl-e02-l02-b4096-t015",
    "simgcl-e02-l01-b4096-t015",
    "simgcl-e01-l02-b4096-t015",
    "simgcl-e02-l01-t015",
    "simgcl-e02-l02-b4096-lr05",
    "xsimgcl",
    "xsimgcl3",
    "xsimgcl-r6",
    "xsimgcl-b4096",
    "xsimgcl-b4096-t015",
)
DESCRIPTIONS = {
    "lightgcn": "LightGCN, 2 layers, same budget",
    "simgcl": "SimGCL, 2 layers, eps 0.1, lambda 0.5, tau 0.2 (the paper's Yelp2018 setting)",
    "simgcl-l02": "SimGCL, 2 layers, eps 0.1, lambda 0.2, tau 0.2 (--param cl_weight=0.2)",
    "simgcl-l10": "SimGCL, 2 layers, eps 0.1, lambda 1.0, tau 0.2 (--param cl_weight=1.0; PCG64 noise)",
    "simgcl-e02": "SimGCL, 2 layers, eps 0.2, lambda 0.5, tau 0.2 (--param eps=0.2; PCG64 noise)",
    "simgcl-e02-l3": (
        "SimGCL, 3 layers (the bar's depth), otherwise as simgcl-e02 (--param num_layers=3; first stopped by "
        "hand after epoch 24, then resumed from its checkpoint to its early stop)"
    ),
    "simgcl-e02-l02": (
        "SimGCL, 2 layers, eps 0.2, lambda 0.2 (XSimGCL's), tau 0.2, batch 2048 (SELFRec's; the trials "
        "above and those named 'as simgcl-e02-l02' ran with batch 2048 too; from the current config: "
        "--batch-size 2048)"
    ),
    "simgcl-e02-l02-r6": (
        "SimGCL as simgcl-e02-l02 with L2 weight 1e-6, about SELFRec's effective strength "
        "(--param reg_weight=1e-6)"
    ),
    "simgcl-e02-l02-t015": (
        "SimGCL as simgcl-e02-l02 with tau 0.15, XSimGCL's Yelp2018 temperature (--param tau=0.15)"
    ),
    "simgcl-e02-l02-ego": (
        "SimGCL as simgcl-e02-l02 with the ego layer in the layer mean, as in LightGCN "
        "(--param include_ego=true)"
    ),
    "simgcl-e02-l01": "SimGCL as simgcl-e02-l02 with lambda 0.1 (--param cl_weight=0.1)",
    "simgcl-e02-l02-r3": (
        "SimGCL as simgcl-e02-l02 with L2 weight 1e-3, against the fall after its peak "
        "(--param reg_weight=1e-3)"
    ),
    "simgcl-e03-l02": "SimGCL as simgcl-e02-l02 with eps 0.3 (--param eps=0.3)",
    "simgcl-e02-l02-b4096": (
        "SimGCL as simgcl-e02-l02 with batch 4096, twice the in-batch negatives (--batch-size 4096)"
    ),
    "simgcl-e02-l02-b4096-lr2": (
        "SimGCL as simgcl-e02-l02-b4096 with lr 2e-3, the learning rate doubled with the batch "
        "(--batch-size 4096 --lr 0.002)"
    ),
    "simgcl-e02-l02-b8192": (
        "SimGCL as simgcl-e02-l02-b4096 with batch 8192, the batch doubled again (--batch-size 8192)"
    ),
    "simgcl-e02-l02-b4096-t015": (
        "SimGCL as simgcl-e02-l02-b4096 with tau 0.15, XSimGCL's Yelp2018 temperature (--param tau=0.15)"
    ),
    "simgcl-e02-l01-b4096-t015": (
        "SimGCL as simgcl-e02-l02-b4096-t015 with lambda 0.1: tau 0.15 rose fast and then fell, so the "
        "contrast is halved (--param tau=0.15 --param cl_weight=0.1)"
    ),
    "simgcl-e01-l02-b4096-t015": (
        "SimGCL as simgcl-e02-l02-b4096-t015 with eps 0.1: the other way to soften the contrast at tau 0.15 "
        "(--param tau=0.15 --param eps=0.1)"
    ),
    "simgcl-e02-l01-t015": (
        "SimGCL as simgcl-e02-l01-b4096-t015 with batch 2048, SELFRec's (--param tau=0.15 --param "
        "cl_weight=0.1 --batch-size 2048)"
    ),
    "simgcl-e02-l02-b4096-lr05": (
        "SimGCL as simgcl-e02-l02-b4096 with lr 5e-4: lr 2e-3 peaked earlier and lower, so the step is "
        "halved instead (--lr 0.0005)"
    ),
    "xsimgcl": (
        "XSimGCL, 2 layers, eps 0.2, lambda 0.2, tau 0.2, l* 1, batch 2048 (SELFRec's setting; the "
        "trials named 'as xsimgcl' ran with batch 2048 too; from the current config: --batch-size 2048)"
    ),
    "xsimgcl3": "XSimGCL, 3 layers, otherwise as xsimgcl",
    "xsimgcl-r6": "XSimGCL as xsimgcl with L2 weight 1e-6 (--param reg_weight=1e-6; PCG64 noise)",
    "xsimgcl-b4096": (
        "XSimGCL as xsimgcl with batch 4096, as SimGCL's chosen setting (--batch-size 4096; PCG64 noise)"
    ),
    "xsimgcl-b4096-t015": (
        "XSimGCL as xsimgcl-b4096 with tau 0.15, the XSimGCL paper's Yelp2018 temperature (--param tau=0.15)"
    ),
}
# Trials ended by hand before their early stop, and why (the choice reads validation only).
STOPPED_BY_HAND = {
    "simgcl-l02": (
        "stopped by hand after epoch 11: validation Recall@20 0.1953, behind lambda 0.5 at the same epoch "
        "(0.1977) and gaining about 0.001 per epoch, against lambda 0.5's best of 0.2063"
    ),
    "simgcl-l10": (
        "stopped by hand after epoch 22: validation Recall@20 peaked at 0.2025 (epoch 20) and fell for two "
        "epochs, below lambda 0.5's best of 0.2063"
    ),
    "simgcl-e02-l02-r6": (
        "stopped by hand after epoch 25 (0.2059): its validation curve matched simgcl-e02-l02's (L2 1e-4) "
        "within 0.0004 at every epoch 0-25, so the L2 weight does not move SimGCL here; the CPU went to the "
        "seed refits"
    ),
    "simgcl-e02-l02-t015": (
        "stopped by hand after epoch 19: validation Recall@20 rose faster than at tau 0.2 (0.2005 against "
        "0.1890 at epoch 7) but peaked at 0.2070 (epoch 15) and fell for four epochs to 0.2050, below tau "
        "0.2's best of 0.2074"
    ),
    "simgcl-e02-l02-ego": (
        "stopped by hand after epoch 19: ahead of simgcl-e02-l02 (ego layer left out) by up to 0.0021 over "
        "epochs 5-13, then flat at 0.1998-0.2011 over epochs 13-19 while simgcl-e02-l02 rose past it "
        "(0.2009 against 0.2025 at epoch 19)"
    ),
    "simgcl-e02-l01": (
        "stopped by hand after epoch 45, then resumed and stopped again after epoch 57, at the end of "
        "session 11: validation Recall@20 0.2058 (epoch 57), still rising by about 0.0002 per epoch; behind "
        "lambda 0.2 at every epoch from 2 to 42 (by 0.0020-0.0115) and below its best of 0.2074; "
        "resumable with the same command"
    ),
    "simgcl-e02-l02-r3": (
        "stopped by hand after epoch 16 (0.1994): behind simgcl-e02-l02 (L2 1e-4) at every epoch from 6 on, "
        "by 0.0006-0.0015 and widening (0.1994 against 0.2006 at epoch 16); the CPU went to eps 0.3"
    ),
    "simgcl-e03-l02": (
        "stopped by hand after epoch 28 (best 0.2045 at epoch 26): behind eps 0.2 at every epoch from 7 on, "
        "by 0.0006-0.0021 and widening (0.2045 against 0.2066 at epoch 28)"
    ),
    "xsimgcl-r6": (
        "stopped by hand after epoch 31 (0.2063): behind xsimgcl (L2 1e-4, 0.2077 at epoch 31) at every "
        "epoch from 8 on, by 0.0004-0.0016, the size of the gap between two noise streams; the CPU went to "
        "the seed refits"
    ),
}


def _five_seeds(run: str, seed0: str | None = None) -> tuple[str, ...]:
    """Refit directories of seeds 0-4 of ``run``: ``seed0`` (default ``RUN-refit``), then ``RUN-refit-sS``."""
    return (seed0 or f"{run}-refit", *(f"{run}-refit-s{s}" for s in range(1, 5)))


# Refits of one validated setting with more seeds (``gcl rec refit RUN --seeds S``: a seed the validation run
# did not train takes its epoch count), the seed-0 refit first. XSimGCL's seed 0 is the repeat with the
# current PCG64 noise (the ``xsimgcl`` refit above used the ``torch.rand`` noise of session 6).
SEED_REFITS = {
    "simgcl-e02-l02-b4096": _five_seeds("gowalla-simgcl-e02-l02-b4096"),
    "simgcl-e02-l02": _five_seeds("gowalla-simgcl-e02-l02"),
    "xsimgcl-b4096-t015": _five_seeds("gowalla-xsimgcl-b4096-t015"),
    "xsimgcl-b4096": _five_seeds("gowalla-xsimgcl-b4096"),
    "xsimgcl": _five_seeds("gowalla-xsimgcl", seed0="gowalla-xsimgcl-pcg-refit"),
}
# Diagnostic test curves of seed-0 refits (experiments/rec/gowalla_test_curve.py): the test file scored after
# every epoch of a retrained refit, to split a gap to a published number into model and protocol. Not results.
TEST_CURVES = {
    "simgcl-e02-l02": "rec_gowalla_test_curve_simgcl.json",
    "xsimgcl": "rec_gowalla_test_curve_xsimgcl.json",
}
CURVE_STOPPED_BY_HAND = {
    "simgcl-e02-l02": (
        "its test curve was stopped by hand after epoch 35 of 60 (`kill`), ten epochs past its maximum and "
        "falling, so that XSimGCL's could run in the session"
    ),
}
CURVE_KEYS = ("epoch", "loss", "train_seconds", "eval_seconds", "valid_recall@20", "valid_ndcg@20")
PUBLISHED = {
    "recall@20": 0.1824,
    "ndcg@20": 0.1547,
    "source": "LightGCN, 3 layers, 1000 epochs (He et al. 2020; LightGCN-PyTorch README), the issue's bar",
}
SELFREC_FIRST_EPOCH = {"simgcl": 0.138, "xsimgcl": 0.142}


def _test_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    test = metrics["runs"][0]["test"]
    return {k: test[k] for k in ("recall@20", "ndcg@20", "recall@10", "ndcg@10") if k in test}


def _checkpoint_history(run_dir: Path) -> list[dict[str, Any]]:
    """The per-epoch records saved in a run's seed-0 checkpoint (empty before its first save)."""
    checkpoint = run_dir / "checkpoint-seed0.pt"
    if not checkpoint.exists():
        return []
    return torch.load(checkpoint, map_location="cpu", weights_only=False)["history"]


def model_record(run_dir: Path) -> dict[str, Any] | None:
    """What is known of one model's run directory (``None`` when it does not exist)."""
    if not run_dir.is_dir():
        return None
    shown = run_dir.resolve().relative_to(ROOT) if run_dir.resolve().is_relative_to(ROOT) else run_dir
    record: dict[str, Any] = {"run_dir": str(shown)}
    first = run_dir / "first_epoch_metrics.json"
    if first.exists():
        record["first_epoch_test"] = _test_metrics(json.loads(first.read_text()))
    history = _checkpoint_history(run_dir)
    metrics_file = run_dir / "metrics.json"
    finished = False
    if metrics_file.exists():
        metrics = json.loads(metrics_file.read_text())
        run = metrics["runs"][0]
        finished = run["epochs_run"] > 1 and (run["stopped_early"] or run["epochs_run"] >= 1000)
        if finished:
            history = run["history"]
            record["test"] = _test_metrics(metrics)
            record["best_epoch"] = run["best_epoch"]
            record["seconds"] = run["seconds"]
    record["status"] = "finished" if finished else "running (resumable from its checkpoint)"
    record["epochs_trained"] = len(history)
    valid = [h for h in history if "valid_recall@20" in h]
    if valid:
        best = max(valid, key=lambda h: h["valid_recall@20"])
        record["best_valid_so_far"] = {"epoch": best["epoch"], "recall@20": best["valid_recall@20"]}
    record["train_seconds_total"] = round(sum(h.get("train_seconds", 0.0) for h in history), 1)
    record["curve"] = [{k: h[k] for k in CURVE_KEYS if k in h} for h in history]
    return record


def refit_record(run_dir: Path) -> dict[str, Any] | None:
    """The refit of one model (``None`` when it was not started): epochs, and test metrics once finished."""
    if not (run_dir / "config.yaml").exists():
        return None
    config = load_yaml((run_dir / "config.yaml").read_text())
    record: dict[str, Any] = {"run_dir": run_dir.name, "epochs": config["refit"]["epochs"][0]}
    metrics_file = run_dir / "metrics.json"
    if metrics_file.exists():
        metrics = json.loads(metrics_file.read_text())
        run = metrics["runs"][0]
        record.update(
            status="finished",
            test=_test_metrics(metrics),
            seconds=run["seconds"],
            train_interactions=metrics["split"]["train"]["interactions"],
            selection=metrics["selection"],
        )
        history = run["history"]
    else:
        history = _checkpoint_history(run_dir)
        record["status"] = "running (resumable from its checkpoint)"
    record["epochs_trained"] = len(history)
    record["train_seconds_total"] = round(sum(h.get("train_seconds", 0.0) for h in history), 1)
    record["curve"] = [{k: h[k] for k in ("epoch", "loss", "train_seconds") if k in h} for h in history]
    return record


def seed_refits(runs_dir: Path, earlier: dict[str, Any]) -> dict[str, Any]:
    """Per-seed test metrics of the :data:`SEED_REFITS` directories, with mean and std once all finished.

    A directory that is not on this machine keeps the record an earlier run of this script wrote.
    """
    out: dict[str, Any] = {}
    for name, dirs in SEED_REFITS.items():
        before = {r["run_dir"]: r for r in earlier.get(name, {}).get("seeds", [])}
        seeds = []
        for run_dir in dirs:
            metrics_file = runs_dir / run_dir / "metrics.json"
            if metrics_file.exists():
                run = json.loads(metrics_file.read_text())["runs"][0]
                test = {k: run["test"][k] for k in ("recall@20", "ndcg@20")}
                seeds.append({"run_dir": run_dir, "seed": run["seed"], "epochs": len(run["history"]), **test})
            elif run_dir in before:
                seeds.append(before[run_dir])
        record: dict[str, Any] = {"seeds": seeds}
        if len(seeds) == len(dirs):
            for key in ("recall@20", "ndcg@20"):
                values = [r[key] for r in seeds]
                record[key] = {"mean": statistics.mean(values), "std": statistics.stdev(values)}
        out[name] = record
    return out


def interim_test(run_dir: Path) -> dict[str, Any]:
    """Test metrics of the best-validation state saved in a running run's checkpoint."""
    from gcl.rec.pipeline import load_run, prepare_split
    from gcl.rec.trainer import evaluate_model
    from gcl.train import load_checkpoint

    loaded = load_run(run_dir)
    state = load_checkpoint(run_dir / "checkpoint-seed0.pt", map_location="cpu")
    loaded.model.load_state_dict(state["best_state"])
    split = prepare_split(loaded.config)
    train, valid, test = (part.csr() for part in (split.train, split.valid, split.test))
    metrics = evaluate_model(loaded.model, train, test, exclude=(train, valid))
    valid_best = max(
        (h for h in state["history"] if "valid_recall@20" in h), key=lambda h: h["valid_recall@20"]
    )
    return {
        "epoch": valid_best["epoch"],
        "epochs_run": len(state["history"]),
        **{k: metrics[k] for k in ("recall@20", "ndcg@20", "recall@10", "ndcg@10")},
        "written": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def curve_diagnostic_lines(results_dir: Path) -> list[str]:
    """Markdown of the :data:`TEST_CURVES` that exist: the refit's point, and the test-selected maximum."""
    rows = []
    for name, file in TEST_CURVES.items():
        path = results_dir / file
        if not path.exists():
            continue
        curve = json.loads(path.read_text())
        at_refit, best = curve.get("curve_at_refit_epochs"), curve["best_test_epoch_selected_on_test"]
        refit = curve.get("refit_test") or {}
        above = [
            row["epoch"]
            for row in curve["curve"]
            if row["test_recall@20"] >= PUBLISHED["recall@20"] and row["test_ndcg@20"] >= PUBLISHED["ndcg@20"]
        ]
        rows.append(
            f"| {name} | {len(curve['curve'])} | {curve['refit_epochs']} | "
            + (f"{at_refit['test_recall@20']:.4f} / {at_refit['test_ndcg@20']:.4f}" if at_refit else "-")
            + f" | {_fmt(refit.get('recall@20'))} / {_fmt(refit.get('ndcg@20'))} | "
            f"{best['test_recall@20']:.4f} / {best['test_ndcg@20']:.4f} ({best['epoch']}) | "
            + (", ".join(str(epoch) for epoch in above) if above else "none")
            + " |"
        )
    if not rows:
        return []
    return [
        "",
        "Diagnostic, not a result: the seed-0 refit retrained with the test file scored after every epoch "
        "(`experiments/rec/gowalla_test_curve.py`; the scores never feed back into training). At the refit's "
        "epoch count the curve repeats the refit's test score (to float rounding: 2 threads here, 1 in the "
        "refits); its maximum is what a best-test-epoch reading "
        "(SELFRec's) would report; the difference between the two is what that reading is worth:",
        "",
        "| setting | epochs scored | refit epochs | curve at refit epochs (Recall@20 / NDCG@20) | "
        "the refit's own | best epoch, selected on test (epoch) | epochs at or above the bar on both |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        *(f"- {name}: {why}." for name, why in CURVE_STOPPED_BY_HAND.items()),
    ]


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _family(name: str) -> str:
    """``simgcl`` or ``xsimgcl``: the model a trial tunes (``lightgcn`` has no trials)."""
    return name.split("-")[0].rstrip("0123456789")


def selection_lines(models: dict[str, Any]) -> list[str]:
    """Per model, the setting validation chose: best validation Recall@20 of finished and stopped trials."""
    lines = []
    for family, label in (("simgcl", "SimGCL"), ("xsimgcl", "XSimGCL")):
        done = {
            n: r
            for n, r in models.items()
            if _family(n) == family and (r["status"] == "finished" or n in STOPPED_BY_HAND)
        }
        if len(done) < 2:
            continue
        best = max(done, key=lambda n: done[n]["best_valid_so_far"]["recall@20"])
        scores = ", ".join(
            f"{done[n]['description']}: {done[n]['best_valid_so_far']['recall@20']:.4f}" for n in done
        )
        lines.append(
            f"- {label} setting chosen on validation Recall@20 ({scores}): **{best}**; "
            "its refit is the result."
        )
    return lines


def markdown(table: dict[str, Any]) -> str:
    """The results as a markdown table."""
    lines = [
        "### Gowalla (LightGCN split, 10 % of train carved out for validation), seed 0",
        "",
        "| model | status | epochs | best valid Recall@20 (epoch) | test Recall@20 | test NDCG@20 | "
        "test Recall@20 after epoch 1 |",
        "|---|---|---|---|---|---|---|",
    ]
    interim = []
    for name, rec in table["models"].items():
        best = rec.get("best_valid_so_far")
        test = rec.get("test", {})
        first = rec.get("first_epoch_test", {})
        lines.append(
            f"| {name} | {rec['status']} | {rec['epochs_trained']} | "
            + (f"{best['recall@20']:.4f} ({best['epoch']})" if best else "-")
            + f" | {_fmt(test.get('recall@20'))} | {_fmt(test.get('ndcg@20'))} | "
            + (f"{first['recall@20']:.4f}" if first else "-")
            + " |"
        )
        if "interim_test" in rec:
            it = rec["interim_test"]
            interim.append(
                f"- {name}, interim ({it['epochs_run']} epochs when scored): the best-validation "
                f"epoch so far ({it['epoch']}) scores test Recall@20 {it['recall@20']:.4f}, NDCG@20 "
                f"{it['ndcg@20']:.4f} ({it['written']})."
            )
    refits = {name: rec["refit"] for name, rec in table["models"].items() if "refit" in rec}
    if refits:
        lines += [
            "",
            "Refit on train + validation (the whole training file, as LightGCN's protocol) for the epoch "
            "count selected on validation above (best epoch + 1), then tested once (`gcl rec refit`):",
            "",
            "| model | status | epochs | test Recall@20 | test NDCG@20 | test Recall@10 | test NDCG@10 |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, ref in refits.items():
            test = ref.get("test", {})
            lines.append(
                f"| {name} | {ref['status']} | {ref['epochs_trained']} of {ref['epochs']} | "
                + " | ".join(_fmt(test.get(k)) for k in ("recall@20", "ndcg@20", "recall@10", "ndcg@10"))
                + " |"
            )
    seeded = {n: r for n, r in table.get("seed_refits", {}).items() if r["seeds"]}
    if seeded:
        lines += [
            "",
            "The same refits with more seeds (`gcl rec refit RUN --seeds S`, one seed per run: the epoch "
            "count that seed 0 selected on validation); mean and sample std over the seeds:",
            "",
            "| setting | seeds | epochs | test Recall@20 per seed | test NDCG@20 per seed | Recall@20 | "
            "NDCG@20 |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, rec in seeded.items():
            summary = [
                f"{rec[k]['mean']:.4f} ± {rec[k]['std']:.4f}" if k in rec else "-"
                for k in ("recall@20", "ndcg@20")
            ]
            lines.append(
                f"| {name} | {', '.join(str(r['seed']) for r in rec['seeds'])} | "
                f"{', '.join(str(r['epochs']) for r in rec['seeds'])} | "
                + " | ".join(", ".join(f"{r[k]:.4f}" for r in rec["seeds"]) for k in ("recall@20", "ndcg@20"))
                + f" | {summary[0]} | {summary[1]} |"
            )
    stopped = [
        f"- {n}: {r['stopped_because']}." for n, r in table["models"].items() if "stopped_because" in r
    ]
    lines += curve_diagnostic_lines(ROOT / "experiments" / "results")
    lines += ["", *stopped, *selection_lines(table["models"]), *interim]
    lines += [
        f"- Bar: Recall@20 {PUBLISHED['recall@20']}, NDCG@20 {PUBLISHED['ndcg@20']} ({PUBLISHED['source']}).",
        "- SELFRec's test Recall@20 after the first epoch: SimGCL 0.138, XSimGCL 0.142 (trained on the whole "
        "training file; ours on the 90 % left after the validation carve-out).",
        f"- {table['protocol']}",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, default=ROOT / "runs")
    parser.add_argument("--out", type=Path, default=ROOT / "experiments" / "results" / "rec_gowalla.json")
    parser.add_argument(
        "--interim-test", action="store_true", help="test the best-validation state of unfinished runs"
    )
    args = parser.parse_args()
    # Run directories live outside the repository; a model whose directory is not on this machine keeps the
    # record an earlier run of this script wrote (its run directory is named there).
    written = json.loads(args.out.read_text()) if args.out.exists() else {}
    earlier, earlier_seeds = written.get("models", {}), written.get("seed_refits", {})
    models: dict[str, dict[str, Any]] = {}
    for name in MODELS:
        rec = model_record(args.runs / f"gowalla-{name}")
        if rec is None and name in earlier:
            rec = earlier[name]
            if rec["status"].startswith("running"):  # its process ended with an earlier work session
                rec["status"] = "stopped (earlier session)"
        elif rec is not None:
            refit = refit_record(args.runs / f"gowalla-{name}-refit")
            if refit is None and "refit" in earlier.get(name, {}):
                refit = earlier[name]["refit"]
            if refit is not None:
                rec["refit"] = refit
        if rec is not None:
            if name in STOPPED_BY_HAND and rec["status"] != "finished":
                rec["status"] = "stopped by hand"
                rec["stopped_because"] = STOPPED_BY_HAND[name]
            models[name] = {**rec, "description": DESCRIPTIONS[name]}  # the current wording wins
    if args.interim_test:
        for name, rec in models.items():
            run_dir = args.runs / f"gowalla-{name}"
            if rec["status"] != "finished" and (run_dir / "checkpoint-seed0.pt").exists():
                rec["interim_test"] = interim_test(run_dir)
    table = {
        "protocol": (
            "full ranking over all 40,981 items, training and validation items masked; the epoch is chosen "
            "on validation Recall@20 (patience 10) and the test file is read once, by the restored model; "
            "seconds were measured while other CPU jobs shared the 2 cores (and with pauses): no speed figure"
        ),
        "published": PUBLISHED,
        "selfrec_first_epoch_recall@20": SELFREC_FIRST_EPOCH,
        "models": models,
        "seed_refits": seed_refits(args.runs, earlier_seeds),
        "written": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    args.out.write_text(json.dumps(table, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(markdown(table))
    print(markdown(table))


if __name__ == "__main__":
    main()
