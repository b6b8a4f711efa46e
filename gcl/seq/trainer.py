"""Training loop for sequential recommenders: shuffled prefix examples, Adam, validation every epoch.

Protocol of the CL4SRec/DuoRec/ICLRec/ICSRec code bases: Adam (lr ``1e-3``, no weight decay), batches of 256
training examples (every prefix of a training sequence with its next item, :mod:`gcl.seq.data`), full-ranking
validation after every epoch, early stopping on **validation** NDCG@10 (patience in epochs), the best
epoch's weights restored, then a single test evaluation. The test set never influences any choice.

Randomness: :func:`gcl.train.seed_everything` seeds the global RNGs (dropout, initialization done by the
caller); one CPU ``torch.Generator`` seeded with the same seed drives shuffling, same-target partners,
augmentations and negative sampling, so a run is reproducible on a given device.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from tqdm.auto import tqdm

from gcl.seq.data import SeqBatch, SequenceData, sample_same_target
from gcl.seq.evaluate import DEFAULT_KS, evaluate_ranking
from gcl.seq.models.base import SequentialRecommender
from gcl.train import EarlyStopping, adam, resolve_device, seed_everything

__all__ = ["SeqTrainConfig", "SeqTrainResult", "train_sequential"]

logger = logging.getLogger("gcl.seq")


@dataclass
class SeqTrainConfig:
    """Training settings (defaults: the papers' Beauty protocol).

    Args:
        epochs: Maximum number of epochs.
        batch_size: Training examples per batch (256).
        lr: Adam learning rate (``1e-3``).
        weight_decay: Adam weight decay (0).
        patience: Epochs without a better validation score before stopping (``None``/0: never).
        monitor: Validation metric for early stopping and model selection (``"ndcg@10"``).
        ks: Cut-offs evaluated (HR and NDCG at each).
        mask_history: History handling at evaluation (see :mod:`gcl.seq.evaluate`).
        eval_batch_size: Users per evaluation batch.
        seed: Seed of the global RNGs and of the training generator.
        device: ``"cpu"``, ``"cuda"``, ``"auto"`` ...
        progress: Show a tqdm bar per epoch.
        max_batches_per_epoch: Stop each epoch after this many batches (smoke tests, benchmarks).
    """

    epochs: int = 200
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 0.0
    patience: int | None = 10
    monitor: str = "ndcg@10"
    ks: Sequence[int] = DEFAULT_KS
    mask_history: bool | str = False
    eval_batch_size: int = 1024
    seed: int = 0
    device: str = "cpu"
    progress: bool = True
    max_batches_per_epoch: int | None = None

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "eval_batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"SeqTrainConfig.{name} must be an int >= 1, got {value!r}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"SeqTrainConfig.lr must be a finite number > 0, got {self.lr!r}")
        if not (isinstance(self.weight_decay, (int, float)) and self.weight_decay >= 0):
            raise ValueError(f"SeqTrainConfig.weight_decay must be >= 0, got {self.weight_decay!r}")
        self.ks = tuple(int(k) for k in self.ks)
        metric, _, k = self.monitor.partition("@")
        if metric not in ("ndcg", "hit_rate") or not k.isdigit() or int(k) not in self.ks:
            raise ValueError(
                f"SeqTrainConfig.monitor must be 'ndcg@K' or 'hit_rate@K' with K in ks={self.ks}, got "
                f"{self.monitor!r}"
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON/YAML friendly)."""
        out = asdict(self)
        out["ks"] = list(self.ks)
        return out


@dataclass
class SeqTrainResult:
    """Outcome of :func:`train_sequential`.

    Attributes:
        best_epoch: Epoch (0-based) whose weights were restored (best validation ``monitor``).
        valid: Validation metrics of that epoch.
        test: Test metrics of the restored model.
        history: One dict per epoch: ``epoch``, mean loss terms, validation metrics, ``seconds``.
        stopped_early: Whether patience ran out before ``epochs``.
        seconds: Wall-clock training time (training + validation), without the final test.
    """

    best_epoch: int
    valid: dict[str, Any]
    test: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    stopped_early: bool = False
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON friendly)."""
        return asdict(self)


def _partner_batch(data: SequenceData, batch: SeqBatch, partner_pos: torch.Tensor) -> SeqBatch:
    seq, lengths = data.history_window(partner_pos)
    batch.partner_seq, batch.partner_lengths = seq, lengths
    return batch


def train_sequential(
    model: SequentialRecommender,
    data: SequenceData,
    config: SeqTrainConfig | None = None,
    *,
    log: Callable[[str], None] | None = None,
) -> SeqTrainResult:
    """Train ``model`` on ``data``'s training examples with early stopping on validation, then test.

    Args:
        model: A :class:`~gcl.seq.models.base.SequentialRecommender` (moved to ``config.device``).
        data: Sequences with the leave-one-out split.
        config: Settings (default :class:`SeqTrainConfig`).
        log: Extra sink for the per-epoch lines (they always go to the ``gcl.seq`` logger).

    Returns:
        :class:`SeqTrainResult` with the best validation epoch, its metrics and the test metrics.
    """
    config = config or SeqTrainConfig()
    device = resolve_device(config.device)
    seed_everything(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    model.to(device)
    optimizer = adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    stopper = EarlyStopping(config.patience, mode="max")
    positions = data.train_positions()
    targets = data.items[positions]
    n_batches = math.ceil(positions.numel() / config.batch_size)
    if config.max_batches_per_epoch is not None:
        n_batches = min(n_batches, config.max_batches_per_epoch)

    def emit(line: str) -> None:
        logger.info("%s", line)
        if log is not None:
            log(line)

    emit(
        f"training {type(model).__name__} on {data.num_users:,} sequences / {positions.numel():,} examples, "
        f"{n_batches} batches of {config.batch_size} per epoch, device {device}"
    )
    history: list[dict[str, Any]] = []
    best_state: dict[str, torch.Tensor] | None = None
    best_valid: dict[str, Any] = {}
    stopped = False
    start = time.perf_counter()
    for epoch in range(config.epochs):
        t0 = time.perf_counter()
        model.train()
        model.on_epoch_start(epoch, data, device=device, generator=generator)
        order = torch.randperm(positions.numel(), generator=generator)
        partner = sample_same_target(targets, generator) if model.needs_partner else None
        sums: dict[str, float] = {}
        bar = tqdm(
            range(n_batches), desc=f"epoch {epoch}", leave=False, disable=not config.progress, unit="batch"
        )
        for b in bar:
            idx = order[b * config.batch_size : (b + 1) * config.batch_size]
            batch = data.batch(positions[idx])
            if partner is not None:
                batch = _partner_batch(data, batch, positions[partner[idx]])
            batch = batch.to(device)
            loss = model.calculate_loss(batch, generator=generator)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"epoch {epoch}, batch {b}: loss is {float(loss)} (diverged?)")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            terms = {"loss": loss.detach(), **model.loss_terms}
            for key, value in terms.items():
                sums[key] = sums.get(key, 0.0) + float(value)
            if config.progress and b % 20 == 0:
                bar.set_postfix(loss=f"{float(loss):.4f}")
        means = {k: v / n_batches for k, v in sums.items()}
        valid = evaluate_ranking(
            model,
            data,
            "valid",
            config.ks,
            mask_history=config.mask_history,
            batch_size=config.eval_batch_size,
            device=device,
        )
        score = float(valid[config.monitor])
        improved = stopper.improved(score)
        stop = stopper.step(score)
        if improved:
            best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
            best_valid = valid
        seconds = time.perf_counter() - t0
        record = {
            "epoch": epoch,
            **means,
            **{f"valid_{k}": valid[k] for k in _metric_keys(valid)},
            "seconds": seconds,
        }
        history.append(record)
        terms_text = " ".join(f"{k} {v:.4f}" for k, v in means.items())
        metrics_text = " ".join(f"{k} {valid[k]:.4f}" for k in _metric_keys(valid))
        emit(
            f"epoch {epoch:3d} | {terms_text} | valid {metrics_text}{' *' if improved else ''} | "
            f"{seconds:.1f}s"
        )
        if stop:
            stopped = True
            emit(f"early stopping: no better valid {config.monitor} for {config.patience} epochs")
            break
    seconds = time.perf_counter() - start
    if best_state is not None:
        model.load_state_dict(copy.deepcopy(best_state))
    test = evaluate_ranking(
        model,
        data,
        "test",
        config.ks,
        mask_history=config.mask_history,
        batch_size=config.eval_batch_size,
        device=device,
    )
    emit(
        f"best epoch {stopper.best_step} (valid {config.monitor} {stopper.best:.4f}); test "
        + " ".join(f"{k} {test[k]:.4f}" for k in _metric_keys(test))
    )
    return SeqTrainResult(
        best_epoch=stopper.best_step,
        valid=best_valid,
        test=test,
        history=history,
        stopped_early=stopped,
        seconds=seconds,
    )


def _metric_keys(metrics: dict[str, Any]) -> list[str]:
    return [k for k in metrics if "@" in k]
