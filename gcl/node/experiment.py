"""Run a node-classification experiment from a YAML config and write results JSON + a markdown table.

For each seed: seed everything, build the model, train it, freeze the encoder, then evaluate the
embeddings with a linear probe under every protocol the config names (the random split is
drawn with the same seed). Reported numbers are test accuracy (%) mean ± population std over seeds,
with the weight decay of the probe selected on validation accuracy.

With ``evaluation.select_epoch_every: k`` the embeddings are also kept every ``k`` epochs, and for each
protocol and seed the epoch whose probe has the best **validation** accuracy is reported (ties: the later
epoch); the validation and test accuracy of every kept epoch are recorded as the curve. Test accuracy never
takes part in a choice.
"""

from __future__ import annotations

import json
import logging
import platform
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gcl.data.graphs import load_graph
from gcl.node.clustering import evaluate_clustering
from gcl.node.factory import build_model, prepare_data
from gcl.node.probe import linear_probe
from gcl.node.reference_probe import REFERENCE_PROTOCOL, grace_reference_probe, reference_split
from gcl.node.splits import get_split
from gcl.node.trainer import TrainConfig, train_node_model
from gcl.train import resolve_device, seed_everything
from gcl.yaml_config import load_yaml

log = logging.getLogger("gcl.node")

#: Protocol name of the k-means node-clustering evaluation (NMI/ARI against the classes).
CLUSTERING = "clustering"

PROBE_TEXT = (
    "linear probe on frozen, L2-normalized embeddings (L-BFGS logistic regression; L2 weight decay "
    "chosen on validation accuracy)"
)
SPLIT_TEXT = {
    "random-10-10-80": "random 10/10/80 split drawn per seed",
    "public": "public Planetoid split (20 per class / 500 / 1000)",
}
REFERENCE_TEXT = (
    "GRACE's own evaluation (eval.py of CRIPAC-DIG/GRACE): L2-normalized embeddings, one-vs-rest liblinear "
    "logistic regression, C in 2^-10..2^9 by 5-fold cross-validation on a random 10 % of the nodes drawn "
    "per seed, accuracy on the other 90 %"
)


def load_config(path: str | Path) -> dict[str, Any]:
    """Read an experiment YAML and check its required keys."""
    path = Path(path)
    config = load_yaml(path.read_text())
    if not isinstance(config, dict):
        raise ValueError(f"{path}: expected a YAML mapping at the top level")
    for key in ("name", "dataset", "model", "train"):
        if key not in config:
            raise ValueError(f"{path}: missing required key {key!r}")
    config.setdefault("seeds", [0])
    config.setdefault("evaluation", {}).setdefault("protocols", ["random-10-10-80"])
    config.setdefault("published", {})
    return config


def run_experiment(
    config: dict[str, Any],
    *,
    data_dir: str | None = None,
    device: str | None = "cpu",
    seeds: list[int] | None = None,
    epochs: int | None = None,
    out_dir: str | Path | None = "experiments/results",
    progress: bool = True,
) -> dict[str, Any]:
    """Train and evaluate as the config says; returns (and optionally writes) the results."""
    device_ = resolve_device(device)
    seeds = list(seeds if seeds is not None else config["seeds"])
    train_cfg = dict(config["train"])
    if epochs is not None:
        train_cfg["epochs"] = epochs
    select_every = config["evaluation"].get("select_epoch_every")
    if select_every is not None:
        train_cfg["snapshot_every"] = select_every
    data = prepare_data(load_graph(config["dataset"], data_dir), config)
    protocols = list(config["evaluation"]["protocols"])
    per_seed: list[dict[str, Any]] = []
    clustering_text = ""
    results: dict[str, Any] = {}
    for seed in seeds:
        seed_everything(seed)
        model = build_model(config, data)
        result = train_node_model(model, data, TrainConfig(progress=progress, **train_cfg), device=device_)
        embeddings = model.embed(data.to(device_)).cpu()
        candidates = result.snapshots or {len(result.losses) - 1: embeddings}
        row: dict[str, Any] = {
            "seed": seed,
            "epochs_run": len(result.losses),
            "best_epoch": result.best_epoch,
            "final_loss": result.losses[-1],
            "train_seconds": result.seconds,
        }
        for protocol in protocols:
            if protocol == CLUSTERING:
                scores = evaluate_clustering(embeddings, data.y.cpu(), seeds=[seed])
                row[protocol] = {"nmi": scores["nmi_mean"], "ari": scores["ari_mean"]}
                clustering_text = scores["protocol"]
                continue
            if protocol == REFERENCE_PROTOCOL:
                masks = list(reference_split(data.num_nodes, 0.1, seed=seed))
            else:
                masks = [m.cpu() for m in get_split(protocol, data, seed=seed)]
            row[protocol] = _probe_epochs(candidates, data.y.cpu(), masks)
        log.info("seed %d: %s", seed, {p: row[p] for p in protocols})
        per_seed.append(row)
        results = _summarize(config, per_seed, protocols, clustering_text, train_cfg, device_, planned=seeds)
        if out_dir is not None:  # after every seed, so an interrupted run keeps what it measured
            out = Path(out_dir)
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{config['name']}.json").write_text(
                json.dumps(results, indent=2, default=_jsonable) + "\n"
            )
            (out / f"{config['name']}.md").write_text(results_table(results))
    return results


def _probe_epochs(
    candidates: dict[int, torch.Tensor], y: torch.Tensor, masks: list[torch.Tensor]
) -> dict[str, Any]:
    """Probe each epoch's embeddings; report the one with the best validation score (ties: later).

    Three masks ``(train, val, test)``: :func:`linear_probe`, scored by validation accuracy. Two masks
    ``(train, test)``: :func:`grace_reference_probe`, scored by its cross-validation accuracy on train.
    """
    curve = []
    for epoch in sorted(candidates):
        if len(masks) == 2:
            ref = grace_reference_probe(candidates[epoch], y, *masks)
            point = {"test_acc": 100 * ref.test_acc, "cv_acc": 100 * ref.cv_acc, "C": ref.C}
        else:
            probe = linear_probe(candidates[epoch], y, *masks)
            point = {
                "test_acc": 100 * probe.test_acc,
                "val_acc": 100 * probe.val_acc,
                "weight_decay": probe.weight_decay,
            }
        curve.append({"epoch": epoch, **point})
    score = "cv_acc" if len(masks) == 2 else "val_acc"
    best = max(reversed(curve), key=lambda point: point[score])
    row = {k: v for k, v in best.items() if k != "epoch"}
    if len(curve) > 1:
        row["selected_epoch"] = best["epoch"]
        row["curve"] = curve
    return row


def _summarize(
    config: dict[str, Any],
    per_seed: list[dict[str, Any]],
    protocols: list[str],
    clustering_text: str,
    train_cfg: dict[str, Any],
    device_: torch.device,
    planned: list[int],
) -> dict[str, Any]:
    """The results record of the seeds run so far (summaries, per-seed rows, timing)."""
    seeds = [r["seed"] for r in per_seed]
    summary = {}
    for protocol in protocols:
        if protocol == CLUSTERING:
            nmis = np.array([r[protocol]["nmi"] for r in per_seed])
            aris = np.array([r[protocol]["ari"] for r in per_seed])
            summary[protocol] = {
                "nmi_mean": float(nmis.mean()),
                "nmi_std": float(nmis.std()),
                "ari_mean": float(aris.mean()),
                "ari_std": float(aris.std()),
                "n_seeds": len(nmis),
                "protocol": f"{clustering_text}; one trained model per seed {seeds}, k-means seeded alike; "
                "mean ± std (ddof=0)",
                "published": config["published"].get(protocol),
            }
            continue
        accs = np.array([r[protocol]["test_acc"] for r in per_seed])
        every = config["evaluation"].get("select_epoch_every")
        epoch_text = (
            f"; training epoch chosen per seed on the probe's validation score (never test) among every "
            f"{every} epochs and the last"
            if every
            else ""
        )
        summary[protocol] = {
            "mean": float(accs.mean()),
            "std": float(accs.std()),
            "n_seeds": len(accs),
            "protocol": (
                f"{REFERENCE_TEXT}{epoch_text}"
                if protocol == REFERENCE_PROTOCOL
                else f"{PROBE_TEXT}{epoch_text}; {SPLIT_TEXT.get(protocol, protocol)}"
            )
            + f"; test accuracy (%) mean ± std (ddof=0) over seeds {seeds}",
            "published": config["published"].get(protocol),
        }
    epochs_run = sum(r["epochs_run"] for r in per_seed)
    results = {
        "name": config["name"],
        "dataset": config["dataset"],
        "model": config["model"],
        "config": config | {"train": train_cfg},
        "seeds": seeds,
        "planned_seeds": list(planned),
        "complete": seeds == list(planned),
        "summary": summary,
        "per_seed": per_seed,
        "seconds_per_epoch": sum(r["train_seconds"] for r in per_seed) / max(epochs_run, 1),
        "device": str(device_),
        "torch_threads": torch.get_num_threads(),
        "machine": platform.processor() or platform.machine(),
        "date": time.strftime("%Y-%m-%d"),
    }
    return results


def merge_results(records: list[dict[str, Any]]) -> dict[str, Any]:
    """One results record from records of the same config run over different seeds.

    Per-seed rows are pooled (a seed present twice must agree, otherwise ``ValueError``), sorted by seed, and
    the summaries recomputed. ``planned_seeds`` are the config's seeds, so ``complete`` says whether every
    planned seed is in.

    Raises:
        ValueError: No records, records of different configs (anything but ``seeds``), or conflicting rows.
    """
    if not records:
        raise ValueError("merge_results: no results to merge")

    def comparable(record: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in record["config"].items() if k != "seeds"}

    first = records[0]
    for record in records[1:]:
        if record["name"] != first["name"] or comparable(record) != comparable(first):
            raise ValueError(
                f"merge_results: {record['name']!r} was run with a different config than {first['name']!r}"
            )
    rows: dict[int, dict[str, Any]] = {}
    for record in records:
        for row in record["per_seed"]:
            seen = rows.setdefault(row["seed"], row)
            if seen is not row and {k: v for k, v in seen.items() if k != "train_seconds"} != {
                k: v for k, v in row.items() if k != "train_seconds"
            }:
                raise ValueError(f"merge_results: seed {row['seed']} has different results in two records")
    planned = sorted({s for r in records for s in r.get("planned_seeds", r["seeds"])} | set(rows))
    config = first["config"] | {"seeds": sorted(set(first["config"]["seeds"]) | set(planned))}
    protocols = list(config["evaluation"]["protocols"])
    clustering = first["summary"].get(CLUSTERING, {}).get("protocol", "").split("; one trained model")[0]
    per_seed = [rows[s] for s in sorted(rows)]
    device = torch.device(first["device"])
    merged = _summarize(config, per_seed, protocols, clustering, config["train"], device, config["seeds"])
    merged["planned_seeds"] = config["seeds"]
    threads = sorted({r["torch_threads"] for r in records})
    merged["torch_threads"] = threads[0] if len(threads) == 1 else threads
    merged["date"] = max(r["date"] for r in records)
    merged["merged_from"] = len(records)
    return merged


def _jsonable(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    return str(value)


def results_table(results: dict[str, Any]) -> str:
    """A markdown table: protocol, ours (mean ± std), published (mean ± std, source)."""
    lines = [
        f"### {results['model'].upper()} on {results['dataset']} ({results['name']})",
        "",
        "| protocol | ours: test acc % (mean ± std) | seeds | published | source |",
        "|---|---|---|---|---|",
    ]
    clustering = results["summary"].get(CLUSTERING)
    for protocol, row in results["summary"].items():
        if protocol == CLUSTERING:
            continue
        pub = row.get("published") or {}
        pub_text = "-" if not pub else f"{pub['mean']:.1f}" + (f" ± {pub['std']:.1f}" if "std" in pub else "")
        lines.append(
            f"| {protocol} | {row['mean']:.2f} ± {row['std']:.2f} | {row['n_seeds']} | {pub_text} | "
            f"{pub.get('source', '-')} |"
        )
    if clustering is not None:
        lines += [
            "",
            "| clustering | NMI (mean ± std) | ARI (mean ± std) | seeds |",
            "|---|---|---|---|",
            f"| k-means, k = classes | {clustering['nmi_mean']:.4f} ± {clustering['nmi_std']:.4f} | "
            f"{clustering['ari_mean']:.4f} ± {clustering['ari_std']:.4f} | {clustering['n_seeds']} |",
        ]
    if not results.get("complete", True):
        lines += [
            "",
            f"**Incomplete run**: {len(results['seeds'])} of {len(results['planned_seeds'])} planned seeds.",
        ]
    lines += [
        "",
        *(f"- {p}: {row['protocol']}" for p, row in results["summary"].items()),
        f"- training: {results['seconds_per_epoch']:.3f} s per epoch on {results['device']} "
        f"({results['torch_threads']} threads), {results['date']}",
        "",
    ]
    return "\n".join(lines)
