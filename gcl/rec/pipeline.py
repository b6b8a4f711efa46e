"""From an interaction log to a trained recommender and back to raw ids: the ``gcl rec`` pipeline.

:func:`run` reads a log as a resolved config says (table, RecBole atomic file or LightGCN train/test
folder), filters it (minimum rating, duplicates, k-core; each step's report kept), splits it, trains
one model per seed with validation-based early stopping and writes a **run directory**:

=====================  =====================================================================
``config.yaml``        the resolved config (defaults < YAML < flags): rerun it with ``--config``
``metrics.json``       per seed: best validation epoch and metrics, test metrics, the curve;
                       mean/std over seeds; the protocol; every preprocessing report
``train.log``          the per-epoch log
``model-seed<S>.pt``   the best-validation weights of seed ``S`` with the model's name and params
``ids.npz``            raw user and item ids (row ``i`` = internal id ``i``)
``train.npz``          the training matrix the model was built on (users x items CSR)
``seen.npz``           every known interaction (train + validation + test), masked by default
                       when recommending
=====================  =====================================================================

:func:`refit` trains the configuration of a finished run again on train + validation, for the number of epochs
that run selected on validation, and tests the final model (the validation set is no longer held out; the
test set is still read once).

:func:`load_run` rebuilds a trained model from such a directory; :func:`recommend` and
:func:`export_embeddings` turn it into top-K lists and embedding tables keyed by raw ids.
"""

from __future__ import annotations

import json
import logging
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
import yaml

from gcl import runs
from gcl.data.filters import deduplicate, kcore, min_rating
from gcl.data.interactions import Interactions, InteractionSplit
from gcl.data.readers import read_lightgcn, read_recbole_atomic, read_table
from gcl.data.splits import predefined, random_split, temporal_split
from gcl.rec.evaluate import recommend_topk
from gcl.rec.models import build_model
from gcl.rec.models.base import Recommender
from gcl.rec.trainer import RecTrainConfig, train_recommender
from gcl.train import load_checkpoint, resolve_device, save_checkpoint, seed_everything
from gcl.yaml_config import load_yaml

__all__ = [
    "DEFAULTS",
    "LoadedRun",
    "export_embeddings",
    "load_interactions",
    "load_run",
    "prepare_split",
    "recommend",
    "refit",
    "run",
]

log = logging.getLogger("gcl.rec")

#: Every section of a ``gcl rec`` config with its defaults; a YAML config and then the flags override them.
DEFAULTS: dict[str, Any] = {
    "name": None,
    "data": {
        "path": None,
        "format": None,  # table | recbole | lightgcn; default from the path (folder -> lightgcn, .inter)
        "user_col": "user_id",
        "item_col": "item_id",
        "rating_col": None,
        "time_col": None,
        "sep": None,
        "min_rating": None,  # keep rating >= this (explicit -> implicit feedback)
        "dedup": True,  # one interaction per (user, item), the last one
        "kcore": None,  # user (and item) k-core, e.g. 5 or [5, 5]
    },
    "split": {
        "method": "random",  # random | temporal (ratio splits per user) | predefined (LightGCN folders)
        "ratios": [0.8, 0.1, 0.1],
        "valid_ratio": 0.1,  # predefined: share of each user's training items carved out for validation
        "unseen": "drop",  # predefined: validation/test interactions of users/items absent from train
        "seed": 0,  # the split is the same for every training seed
    },
    "model": {"name": "lightgcn"},  # other keys: the model's keyword hyper-parameters
    "train": {
        "epochs": 1000,
        "batch_size": 2048,
        "lr": 0.001,
        "weight_decay": 0.0,
        "eval_every": 1,
        "patience": 10,
        "monitor": "recall@20",
        "ks": [10, 20, 50],
        "eval_batch_size": 4096,
        "max_batches_per_epoch": None,
    },
    "seeds": [0],
    "device": "cpu",
}

SECTIONS = tuple(DEFAULTS)


def _format_of(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in ("table", "recbole", "lightgcn"):
            raise ValueError(f"data.format: expected table, recbole or lightgcn, got {fmt!r}")
        return fmt
    if path.is_dir():
        return "lightgcn"
    return "recbole" if path.suffix == ".inter" else "table"


def load_interactions(data_cfg: dict[str, Any]) -> Interactions | tuple[Interactions, Interactions]:
    """Read the log a ``data`` section describes: one :class:`Interactions`, or (train, test) for LightGCN.

    Raises:
        DataFormatError: A malformed file (names the file, line and field).
        DatasetNotFoundError / FileNotFoundError: A missing file.
    """
    path = Path(data_cfg["path"])
    fmt = _format_of(path, data_cfg.get("format"))
    if fmt == "lightgcn":
        folder = path if path.is_dir() else path.parent
        return read_lightgcn(folder / "train.txt", folder / "test.txt")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such interaction file")
    if fmt == "recbole":
        return read_recbole_atomic(
            path,
            user_field=data_cfg["user_col"],
            item_field=data_cfg["item_col"],
            rating_field=data_cfg.get("rating_col"),
            time_field=data_cfg.get("time_col"),
        )
    return read_table(
        path,
        user_col=data_cfg["user_col"],
        item_col=data_cfg["item_col"],
        rating_col=data_cfg.get("rating_col"),
        time_col=data_cfg.get("time_col"),
        sep=data_cfg.get("sep"),
    )


def _filter(inter: Interactions, data_cfg: dict[str, Any]) -> Interactions:
    """Apply the configured filters in order; each logs and keeps its report in ``inter.reports``."""
    if data_cfg.get("min_rating") is not None:
        if inter.rating is None:
            raise ValueError(
                f"data.min_rating={data_cfg['min_rating']} needs ratings: pass the rating column "
                f"(--rating-col) of {data_cfg['path']}"
            )
        inter, _ = min_rating(inter, float(data_cfg["min_rating"]))
    if data_cfg.get("dedup", True):
        inter, _ = deduplicate(inter, keep="last")
    core = data_cfg.get("kcore")
    if core:
        user_k, item_k = (core, core) if isinstance(core, int) else tuple(core)
        inter, _ = kcore(inter, int(user_k), int(item_k))
    if len(inter) == 0:
        raise ValueError(
            f"{data_cfg['path']}: no interactions left after filtering; see the reports above "
            f"({'; '.join(str(r) for r in inter.reports)})"
        )
    return inter


def prepare_split(config: dict[str, Any]) -> InteractionSplit:
    """Read, filter and split the log as a resolved config says (the reports ride on the split)."""
    data_cfg, split_cfg = config["data"], config["split"]
    loaded = load_interactions(data_cfg)
    method = split_cfg["method"]
    if isinstance(loaded, tuple):
        if method not in ("predefined", "random"):
            raise ValueError(f"split.method={method!r}: a LightGCN folder has its own train/test split")
        train, test = loaded
        if data_cfg.get("min_rating") is not None or data_cfg.get("kcore"):
            raise ValueError("data.min_rating / data.kcore: not applicable to a predefined train/test split")
        return predefined(
            train,
            test,
            valid_ratio=float(split_cfg["valid_ratio"]),
            seed=int(split_cfg["seed"]),
            unseen=split_cfg["unseen"],
        )
    inter = _filter(loaded, data_cfg)
    if method == "random":
        return random_split(inter, ratios=split_cfg["ratios"], seed=int(split_cfg["seed"]))
    if method == "temporal":
        if inter.timestamp is None:
            raise ValueError(f"split.method=temporal needs a time column (--time-col) in {data_cfg['path']}")
        return temporal_split(inter, ratios=split_cfg["ratios"])
    if method == "predefined":
        raise ValueError(
            f"split.method=predefined needs a LightGCN folder with train.txt and test.txt; "
            f"{data_cfg['path']} is one log: use --split random or temporal"
        )
    raise ValueError(f"split.method: expected random, temporal or predefined, got {method!r}")


def _raw_ids(ids: np.ndarray | None, n: int) -> np.ndarray:
    if ids is None:
        return np.arange(n)
    ids = np.asarray(ids)
    return ids.astype(str) if ids.dtype.kind == "O" else ids


def _seen(split: InteractionSplit) -> sp.csr_matrix:
    seen = split.train.csr() + split.valid.csr() + split.test.csr()
    seen.data[:] = 1.0
    return seen.tocsr()


def _model_params(config: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config["model"].items() if k != "name"}


def _check_same_config(path: Path, config: dict[str, Any]) -> None:
    """Refuse to resume a run directory that was written by another config (the seeds may differ)."""
    if not path.exists():
        raise ValueError(f"{path}: missing, so the checkpoints beside it cannot be resumed; pass --restart")
    saved = load_yaml(path.read_text())
    changed = [key for key in _differences(saved, config) if key not in ("seeds", "train.epochs")]
    if changed:
        raise ValueError(
            f"{path}: the run directory was written with another config (differs in {', '.join(changed)}); "
            "resume with the same settings, or pass --restart to start over"
        )


def _differences(a: Any, b: Any, prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two nested dicts."""
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return [] if a == b else [prefix]
    keys = sorted(set(a) | set(b), key=str)
    return [d for k in keys for d in _differences(a.get(k), b.get(k), f"{prefix}.{k}" if prefix else str(k))]


def run(
    config: dict[str, Any], out_dir: str | Path, *, progress: bool = True, resume: bool = True
) -> dict[str, Any]:
    """Train one model per seed as a resolved config describes and write the run directory.

    After every validation the training state of each seed is saved as ``checkpoint-seed<S>.pt`` in the run
    directory, so a long run that was stopped continues from its last evaluation when the same command is
    given the same ``out_dir`` again (``resume=False`` starts over). Only the seeds and ``train.epochs`` (to
    extend a run) may change between the two; any other difference is an error.

    Args:
        config: A resolved config (:func:`resolve_config`).
        out_dir: The run directory.
        progress: Show progress bars.
        resume: Continue from the checkpoints found in ``out_dir``.

    Returns:
        The content of ``metrics.json``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    resuming = resume and any(out.glob("checkpoint-seed*.pt"))
    if resuming:
        _check_same_config(out / "config.yaml", config)
    with runs.run_log(out / "train.log", ("gcl.rec", "gcl.data"), append=resuming):
        (out / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        split = prepare_split(config)
        refit_of = config.get("refit")
        if refit_of:
            split = split.refit()
        train = split.train
        np.savez(
            out / "ids.npz",
            user_ids=_raw_ids(train.user_ids, train.num_users),
            item_ids=_raw_ids(train.item_ids, train.num_items),
        )
        sp.save_npz(out / "train.npz", train.csr())
        sp.save_npz(out / "seen.npz", _seen(split))
        log.info("split: %s", split.summary())
        name, params = config["model"]["name"], _model_params(config)
        train_section = dict(config["train"])
        ks = [int(k) for k in train_section["ks"]]
        if max(ks) > train.num_items:
            kept = [k for k in ks if k <= train.num_items]
            log.warning("train.ks: cut-offs %s exceed the %d items; using %s", ks, train.num_items, kept)
            train_section["ks"] = kept
        results: list[dict[str, Any]] = []
        metrics: dict[str, Any] = {}
        for seed in config["seeds"]:
            seed_everything(int(seed))
            model = build_model(name, train, **params)
            seed_section = dict(train_section)
            if refit_of:
                seed_section.update(epochs=int(refit_of["epochs"][int(seed)]), validate=False)
            train_cfg = runs.build_section(
                RecTrainConfig,
                "train",
                **seed_section,
                seed=int(seed),
                progress=progress,
                checkpoint=str(out / f"checkpoint-seed{seed}.pt"),
                resume=resume,
            )
            result = train_recommender(model, split, train_cfg, device=config["device"])
            save_checkpoint(
                {"name": name, "params": params, "seed": int(seed), "model": model.state_dict()},
                out / f"model-seed{seed}.pt",
            )
            record = result.to_dict()
            record.pop("config")
            results.append({"seed": int(seed), **record})
            metrics = {
                "name": config["name"],
                "model": name,
                "protocol": result.test.get("protocol"),
                "split": {**config["split"], **split.stats()},
                "selection": _selection(train_cfg, refit_of),
                "data": {"source": train.source, "reports": [r.to_dict() for r in split.reports]},
                "summary_test": runs.summarize(results),
                "summary_valid": runs.summarize(results, "valid"),
                "runs": results,
                "published": config.get("published"),
                "written": time.strftime("%Y-%m-%d %H:%M:%S"),
            }
            (out / "metrics.json").write_text(json.dumps(metrics, indent=2, default=str))
            if result.interrupted:
                left = [int(s) for s in config["seeds"]][len(results) :]
                if left:
                    log.warning("interrupted: seed(s) %s not trained; give the same command to go on", left)
                break
        return metrics


def _selection(train_cfg: RecTrainConfig, refit_of: dict[str, Any] | None) -> str:
    """How a run's reported state was chosen, for ``metrics.json``."""
    criterion = f"{train_cfg.monitor}, patience {train_cfg.patience}"
    if not refit_of:
        return f"best validation {criterion}"
    borrowed = refit_of.get("epochs_borrowed")
    return (
        f"refit on train + validation for the epoch count that {refit_of['run']} selected on validation "
        f"({criterion}): epochs per seed {refit_of['epochs']}"
        + (
            f" (seeds {borrowed} were not validated and take the median count of those that were)"
            if borrowed
            else ""
        )
        + "; the final state is tested"
    )


def refit(
    run_dir: str | Path,
    out_dir: str | Path,
    *,
    seeds: Sequence[int] | None = None,
    progress: bool = True,
    resume: bool = True,
) -> dict[str, Any]:
    """Train a finished run's configuration again on train + validation, for the epochs it selected.

    Each seed is trained for ``best_epoch + 1`` epochs (the epoch count its validation run selected), with
    no validation and no early stopping, on the split's training and validation interactions together
    (:meth:`~gcl.data.interactions.InteractionSplit.refit`); the final state is tested once, with every
    training item masked. This is the usual last step when the published protocol trains on the whole
    training file (LightGCN's Gowalla split): the hyper-parameters and the epoch count are still chosen on
    validation, never on test. ``out_dir`` is a run directory like :func:`run`'s.

    ``seeds`` may name seeds the validation run did not train, to measure the refit's spread without
    repeating the search per seed: such a seed is trained for the median epoch count of the validated seeds
    (with one validated seed, its count), and ``config.yaml`` lists it under ``refit.epochs_borrowed``.

    Args:
        run_dir: A finished run directory (``config.yaml`` and ``metrics.json`` with every seed).
        out_dir: Where to write the refit run (resumable like :func:`run`).
        seeds: Seeds to train (default: the run's seeds).
        progress: Show progress bars.
        resume: Continue from the checkpoints found in ``out_dir``.

    Returns:
        The content of the refit's ``metrics.json``.

    Raises:
        FileNotFoundError: ``run_dir`` lacks its config or metrics.
        ValueError: ``run_dir`` is itself a refit, or a seed of its config has no finished run.
    """
    source = Path(run_dir)
    for name in ("config.yaml", "metrics.json"):
        if not (source / name).exists():
            raise FileNotFoundError(f"{source / name}: missing; refit needs a finished run directory")
    config = load_yaml((source / "config.yaml").read_text())
    if config.get("refit"):
        raise ValueError(
            f"{source}: is already a refit (of {config['refit']['run']}); refit the original run"
        )
    try:
        finished = {
            int(r["seed"]): int(r["best_epoch"])
            for r in json.loads((source / "metrics.json").read_text())["runs"]
        }
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(
            f"{source / 'metrics.json'}: not the metrics of a gcl rec run (expected 'runs' entries with "
            f"'seed' and 'best_epoch'): {exc!r}"
        ) from None
    missing = [int(s) for s in config["seeds"] if int(s) not in finished or finished[int(s)] < 0]
    if missing:
        raise ValueError(f"{source / 'metrics.json'}: no finished, validated run for seed(s) {missing}")
    epochs = {int(s): finished[int(s)] + 1 for s in config["seeds"]}
    requested = [int(s) for s in config["seeds"]] if seeds is None else [int(s) for s in seeds]
    if not requested or len(set(requested)) != len(requested):
        raise ValueError(f"seeds: expected distinct seeds, got {requested}")
    borrowed = [s for s in requested if s not in epochs]
    median = int(statistics.median_low(epochs.values()))
    config["seeds"] = requested
    config["refit"] = {"run": str(source), "epochs": {s: epochs.get(s, median) for s in requested}}
    if borrowed:
        config["refit"]["epochs_borrowed"] = borrowed
        log.info(
            "refit: seed(s) %s were not validated; each trains %d epochs (validated: %s)",
            borrowed,
            median,
            epochs,
        )
    config["name"] = f"{config['name']}-refit"
    return run(config, out_dir, progress=progress, resume=resume)


@dataclass
class LoadedRun:
    """A trained model with the id maps and interaction matrices of its run directory.

    Attributes:
        model: The recommender (eval mode) holding the best-validation weights.
        user_ids: Raw user id of each internal user ``[U]``.
        item_ids: Raw item id of each internal item ``[I]``.
        train: Training matrix (users x items CSR).
        seen: Every known interaction (users x items CSR).
        config: The run's resolved config.
        seed: Which seed's weights were loaded.
    """

    model: Recommender
    user_ids: np.ndarray
    item_ids: np.ndarray
    train: sp.csr_matrix
    seen: sp.csr_matrix
    config: dict[str, Any]
    seed: int


def load_run(run_dir: str | Path, seed: int | None = None, device: str | None = "cpu") -> LoadedRun:
    """Rebuild the model of a run directory (the first seed unless ``seed`` is given).

    Raises:
        FileNotFoundError: Not a run directory, or no weights for ``seed`` (the message lists those present).
    """
    run_dir = Path(run_dir)
    config_path = run_dir / "config.yaml"
    if not config_path.is_file():
        raise FileNotFoundError(f"{run_dir}: not a gcl rec run directory (no config.yaml)")
    config = load_yaml(config_path.read_text())
    seed = int(config["seeds"][0]) if seed is None else int(seed)
    weights = run_dir / f"model-seed{seed}.pt"
    if not weights.is_file():
        present = sorted(p.name for p in run_dir.glob("model-seed*.pt"))
        raise FileNotFoundError(f"{weights}: no weights for seed {seed}; the run has {present or 'none'}")
    state = load_checkpoint(weights, map_location="cpu")
    train = sp.load_npz(run_dir / "train.npz").tocsr()
    model = build_model(state["name"], train, **state["params"])
    model.load_state_dict(state["model"])
    model.to(resolve_device(device)).eval()
    ids = np.load(run_dir / "ids.npz", allow_pickle=False)
    return LoadedRun(
        model=model,
        user_ids=ids["user_ids"],
        item_ids=ids["item_ids"],
        train=train,
        seen=sp.load_npz(run_dir / "seen.npz").tocsr(),
        config=config,
        seed=seed,
    )


def _internal_users(loaded: LoadedRun, users: list[str] | None) -> np.ndarray:
    if users is None:
        return np.arange(len(loaded.user_ids))
    lookup = {str(raw): i for i, raw in enumerate(loaded.user_ids)}
    unknown = [u for u in users if str(u) not in lookup]
    if unknown:
        raise ValueError(
            f"users: {len(unknown)} unknown raw id(s) {unknown[:5]}; the run knows {len(lookup)} users "
            f"(e.g. {list(lookup)[:3]})"
        )
    return np.array([lookup[str(u)] for u in users], dtype=np.int64)


@torch.no_grad()
def recommend(
    loaded: LoadedRun, top: int = 20, users: list[str] | None = None, *, exclude_seen: bool = True
) -> pd.DataFrame:
    """Top-``top`` items per user as a long table with raw ids.

    Args:
        loaded: From :func:`load_run`.
        top: List length.
        users: Raw user ids (as strings or values); ``None``: every user.
        exclude_seen: Mask every known interaction (train, validation and test); otherwise only training.

    Returns:
        Columns ``user``, ``rank`` (1-based), ``item``, ``score``; users with fewer rankable items get
        shorter lists.

    Raises:
        ValueError: Unknown raw user ids or ``top < 1``.
    """
    if top < 1:
        raise ValueError(f"top: expected >= 1, got {top}")
    top = min(int(top), len(loaded.item_ids))
    internal = torch.from_numpy(_internal_users(loaded, users))
    user_emb, item_emb = loaded.model.embeddings()
    device = user_emb.device
    topk = recommend_topk(
        lambda u: user_emb[u] @ item_emb.t(),
        internal.to(device),
        top,
        exclude=(loaded.seen if exclude_seen else loaded.train,),
    ).cpu()
    rows = internal.unsqueeze(1).expand_as(topk)
    valid = topk >= 0
    user_idx, item_idx = rows[valid], topk[valid]
    scores = (user_emb[user_idx.to(device)] * item_emb[item_idx.to(device)]).sum(dim=1).cpu()
    return pd.DataFrame(
        {
            "user": loaded.user_ids[user_idx.numpy()],
            "rank": (valid.cumsum(dim=1)[valid]).numpy(),
            "item": loaded.item_ids[item_idx.numpy()],
            "score": scores.numpy(),
        }
    )


@torch.no_grad()
def export_embeddings(loaded: LoadedRun, path: str | Path) -> Path:
    """Write the final user and item embeddings with their raw ids to ``path`` (``.npz``).

    The archive holds ``user_ids`` [U], ``user_embeddings`` [U, D], ``item_ids`` [I], ``item_embeddings``
    [I, D]; load it with ``numpy.load(path)``.
    """
    user_emb, item_emb = loaded.model.embeddings()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        path,
        user_ids=loaded.user_ids,
        user_embeddings=user_emb.cpu().numpy(),
        item_ids=loaded.item_ids,
        item_embeddings=item_emb.cpu().numpy(),
    )
    return path
