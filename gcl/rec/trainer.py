"""Mini-batch training of collaborative-filtering models with validation-based model selection.

Protocol (what every reported number of :func:`train_recommender` means):

* epochs of shuffled BPR triples (:class:`~gcl.rec.sampler.BPRSampler`, batch 2048), Adam (lr 1e-3);
* every ``eval_every`` epochs, full ranking of all items on the **validation** part with training items
  masked (:func:`gcl.rec.evaluate.full_ranking_from_embeddings`); early stopping on the validation
  ``monitor`` metric (default ``recall@20``) after ``patience`` evaluations without improvement;
* the best validation state is kept in memory (and in ``checkpoint`` when given) and restored at the end;
* then **one** test evaluation, with training *and* validation items masked. The test set is never used
  for any choice.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from tqdm.auto import tqdm

from gcl.data.interactions import InteractionSplit
from gcl.rec.embedding_quality import embedding_quality
from gcl.rec.evaluate import full_ranking_from_embeddings
from gcl.rec.metrics import ACCURACY_METRICS, ALL_METRICS
from gcl.rec.models.base import Recommender
from gcl.rec.sampler import BPRSampler
from gcl.train import (
    EarlyStopping,
    adam,
    load_checkpoint,
    load_optimizer_state,
    resolve_device,
    save_checkpoint,
    seed_everything,
)

__all__ = ["RecResult", "RecTrainConfig", "RecTrainer", "evaluate_model", "train_recommender"]

log = logging.getLogger("gcl.rec")


@dataclass
class RecTrainConfig:
    """Optimization and model-selection settings (defaults: SELFRec / LightGCN settings).

    Attributes:
        epochs: Maximum number of epochs.
        batch_size: BPR triples per mini-batch (2048).
        lr: Adam learning rate (1e-3).
        weight_decay: Adam weight decay (0; the models carry their own L2 term).
        eval_every: Epochs between validation evaluations (the last epoch is always evaluated).
        patience: Validation evaluations without improvement before stopping (``None`` or 0: never stop).
        monitor: Validation metric that selects the best epoch, ``"<metric>@<k>"`` (higher is better).
        ks: Cut-offs of the reported metrics; must contain the monitor's ``k``.
        eval_batch_size: Users scored per batch during evaluation.
        seed: Seed of the global RNGs and of the sampler's generator.
        checkpoint: Optional file; written (atomically) after every evaluation with the training state and
            the best state, and resumed from when it exists and ``resume`` is set.
        resume: Resume from ``checkpoint`` when the file exists.
        max_batches_per_epoch: Cap on batches per epoch (``None``: a full pass; for smoke tests).
        progress: Show tqdm progress bars.
        validate: Select on validation (default). ``False`` is the refit mode: exactly ``epochs`` epochs, no
            validation and no early stopping, the final state is tested; the epoch count must come from a
            validated run (:meth:`gcl.data.interactions.InteractionSplit.refit`, ``gcl rec refit``).
    """

    epochs: int = 1000
    batch_size: int = 2048
    lr: float = 1e-3
    weight_decay: float = 0.0
    eval_every: int = 1
    patience: int | None = 10
    monitor: str = "recall@20"
    ks: Sequence[int] = (10, 20, 50)
    eval_batch_size: int = 4096
    seed: int = 0
    checkpoint: str | None = None
    resume: bool = True
    max_batches_per_epoch: int | None = None
    progress: bool = True
    validate: bool = True

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "eval_every", "eval_batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"RecTrainConfig.{name}: expected an int >= 1, got {value!r}")
        if self.max_batches_per_epoch is not None and (
            isinstance(self.max_batches_per_epoch, bool)
            or not isinstance(self.max_batches_per_epoch, int)
            or self.max_batches_per_epoch < 1
        ):
            raise ValueError(
                f"RecTrainConfig.max_batches_per_epoch: expected None or an int >= 1, "
                f"got {self.max_batches_per_epoch!r}"
            )
        if not isinstance(self.validate, bool):
            raise ValueError(f"RecTrainConfig.validate: expected True or False, got {self.validate!r}")
        if self.patience is not None and (not isinstance(self.patience, int) or self.patience < 0):
            raise ValueError(f"RecTrainConfig.patience: expected None or an int >= 0, got {self.patience!r}")
        for name in ("lr", "weight_decay"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ValueError(f"RecTrainConfig.{name}: expected a finite number >= 0, got {value!r}")
        self.ks = tuple(int(k) for k in self.ks)
        if not self.ks or min(self.ks) < 1:
            raise ValueError(f"RecTrainConfig.ks: expected positive cut-offs, got {self.ks}")
        metric, _, k = str(self.monitor).partition("@")
        if metric not in ACCURACY_METRICS or not k.isdigit() or int(k) not in self.ks:
            raise ValueError(
                f"RecTrainConfig.monitor: expected '<metric>@<k>' with metric in {ACCURACY_METRICS} and k in "
                f"ks={self.ks}, got {self.monitor!r}"
            )


@dataclass
class RecResult:
    """The outcome of :func:`train_recommender`.

    Attributes:
        history: One dict per epoch: ``epoch``, ``loss`` and the model's loss terms (batch means),
            ``train_seconds``; on evaluated epochs also ``valid_<metric>@<k>`` and ``eval_seconds``.
        best_epoch: Epoch (0-based) whose state was restored (best validation ``monitor``; refit: the last).
        valid: Validation metrics of the best epoch (training items masked).
        test: Test metrics of the restored model (training and validation items masked), plus the
            embeddings' ``alignment`` on test pairs and ``uniformity_user``/``uniformity_item``
            (:func:`gcl.rec.embedding_quality.embedding_quality`).
        seconds: Wall time of the whole run (training, validation and test).
        epochs_run: Epochs trained (including resumed ones).
        stopped_early: Whether early stopping ended the run.
        interrupted: Whether Ctrl-C (``KeyboardInterrupt``) ended the run: the best state validated before it
            was restored and tested, as early stopping would have done. Without validation (a refit) or
            before the first validation, the interrupt propagates.
        config: The configuration used, as a dict.
    """

    history: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int = -1
    valid: dict[str, Any] = field(default_factory=dict)
    test: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    epochs_run: int = 0
    stopped_early: bool = False
    interrupted: bool = False
    config: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable dict."""
        return dataclasses.asdict(self)


@torch.no_grad()
def evaluate_model(
    model: Recommender,
    train_csr: Any,
    truth_csr: Any,
    *,
    exclude: Sequence[Any] | None = None,
    ks: Sequence[int] = (10, 20, 50),
    metrics: Sequence[str] | None = None,
    batch_size: int = 4096,
) -> dict[str, Any]:
    """Full-ranking metrics of ``model`` (eval mode, final embeddings, dot-product scores).

    Args:
        model: A :class:`~gcl.rec.models.base.Recommender`; put in eval mode (and left there).
        train_csr: Training users x items CSR (masked by default; item popularity source).
        truth_csr: Held-out users x items CSR to retrieve.
        exclude: CSR matrices whose items are masked (default ``(train_csr,)``).
        ks: Cut-offs.
        metrics: Metric names (default: all of :data:`gcl.rec.metrics.ALL_METRICS`).
        batch_size: Users per scoring batch.

    Returns:
        :func:`gcl.rec.evaluate.full_ranking` output (metrics, ``num_users``, ``protocol`` ...).
    """
    model.eval()
    user_emb, item_emb = model.embeddings()
    return full_ranking_from_embeddings(
        user_emb,
        item_emb,
        train_csr,
        truth_csr,
        exclude=exclude,
        ks=ks,
        metrics=ALL_METRICS if metrics is None else metrics,
        batch_size=batch_size,
    )


def _state_copy(model: torch.nn.Module) -> dict[str, Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _generator_of(model: torch.nn.Module) -> torch.Generator | None:
    gen = getattr(model, "generator", None)
    return gen if isinstance(gen, torch.Generator) else None


class RecTrainer:
    """Train a recommender on an :class:`~gcl.data.interactions.InteractionSplit` (see the module protocol).

    Args:
        model: The model; moved to ``device``.
        split: Train / validation / test interactions in one id space; validation must not be empty.
        config: Settings (default :class:`RecTrainConfig`).
        device: ``"cpu"``, ``"cuda"``, ``"auto"``/``None`` (CUDA when available) or a ``torch.device``.

    Raises:
        ValueError: Empty training or validation part, or a model whose sizes differ from the split.
    """

    def __init__(
        self,
        model: Recommender,
        split: InteractionSplit,
        config: RecTrainConfig | None = None,
        *,
        device: torch.device | str | None = None,
    ) -> None:
        self.config = config or RecTrainConfig()
        if not isinstance(model, Recommender):
            raise ValueError(f"model: expected a gcl.rec.models Recommender, got {type(model).__name__}")
        if not isinstance(split, InteractionSplit):
            raise ValueError(f"split: expected an InteractionSplit, got {type(split).__name__}")
        if (model.num_users, model.num_items) != (split.num_users, split.num_items):
            raise ValueError(
                f"model: built for {model.num_users} users x {model.num_items} items, but the split has "
                f"{split.num_users} x {split.num_items}; build the model on split.train"
            )
        if len(split.train) == 0:
            raise ValueError("split.train: has no interactions")
        if len(split.valid) == 0 and self.config.validate:
            raise ValueError(
                "split.valid: has no interactions; model selection needs a validation part (never select on "
                "test) -- use gcl.data.splits.random_split or predefined(train, test, valid_ratio=...), or "
                "RecTrainConfig(validate=False) to refit for an epoch count chosen on validation"
            )
        self.model = model
        self.split = split
        self.device = resolve_device(device)
        self.train_csr = split.train.csr()
        self.valid_csr = split.valid.csr()
        self.test_csr = split.test.csr()

    # ------------------------------------------------------------------ pieces
    def evaluate(self, part: str) -> dict[str, Any]:
        """Full-ranking metrics of the current model on one part of the split.

        ``"valid"``: training items masked, accuracy metrics. ``"test"``: training and validation items
        masked, all metrics.
        """
        cfg = self.config
        if part == "valid":
            return evaluate_model(
                self.model,
                self.train_csr,
                self.valid_csr,
                ks=cfg.ks,
                metrics=ACCURACY_METRICS,
                batch_size=cfg.eval_batch_size,
            )
        if part == "test":
            metrics = evaluate_model(
                self.model,
                self.train_csr,
                self.test_csr,
                exclude=(self.train_csr, self.valid_csr),
                ks=cfg.ks,
                batch_size=cfg.eval_batch_size,
            )
            with torch.no_grad():
                metrics.update(embedding_quality(*self.model.embeddings(), self.test_csr))
            return metrics
        raise ValueError(f"part: expected 'valid' or 'test', got {part!r}")

    def _train_epoch(
        self, epoch: int, optimizer: torch.optim.Optimizer, sampler: BPRSampler
    ) -> dict[str, Any]:
        cfg = self.config
        model = self.model
        model.train()
        started = time.perf_counter()
        model.on_epoch_start(epoch)
        total = (
            len(sampler)
            if cfg.max_batches_per_epoch is None
            else min(len(sampler), cfg.max_batches_per_epoch)
        )
        sums: dict[str, Tensor] = {}
        batches = 0
        bar = tqdm(sampler, total=total, disable=not cfg.progress, desc=f"epoch {epoch}", leave=False)
        for users, pos, neg in bar:
            if batches >= total:
                break
            loss = model.calculate_loss(users, pos, neg)
            if not torch.isfinite(loss):
                terms = {k: float(v) for k, v in model.loss_terms.items()}
                raise FloatingPointError(
                    f"training loss became {loss.item()} at epoch {epoch}, batch {batches} (terms: {terms}); "
                    "lower the learning rate"
                )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            terms = {"loss": loss.detach(), **model.loss_terms}
            for key, value in terms.items():
                sums[key] = sums[key] + value if key in sums else value.clone()
            batches += 1
        bar.close()
        record: dict[str, Any] = {"epoch": epoch}
        record.update({key: float(value) / max(batches, 1) for key, value in sums.items()})
        record["batches"] = batches
        record["train_seconds"] = time.perf_counter() - started
        return record

    # ------------------------------------------------------------------ loop
    def fit(self, epoch_callback: Callable[[int, RecTrainer], dict[str, float]] | None = None) -> RecResult:
        """Train, select on validation, restore the best state, evaluate on test.

        Args:
            epoch_callback: Called after every epoch (and its validation) as ``epoch_callback(epoch, self)``;
                the numbers it returns are added to that epoch's history record. For diagnostics
                (``experiments/rec/gowalla_test_curve.py`` records a refit's test curve this way): it must
                not change the model, and nothing it returns takes part in selection.
        """
        cfg = self.config
        started = time.perf_counter()
        seed_everything(cfg.seed)
        model = self.model.to(self.device)
        optimizer = adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        sampler = BPRSampler(
            self.split.train,
            cfg.batch_size,
            generator=torch.Generator().manual_seed(cfg.seed),
            device=self.device,
        )
        stopper = EarlyStopping(cfg.patience, mode="max")
        result = RecResult(
            config={**dataclasses.asdict(cfg), "device": str(self.device), "model": repr(model)}
        )
        best_state: dict[str, Tensor] | None = None
        start_epoch = 0
        path = Path(cfg.checkpoint) if cfg.checkpoint else None
        if path is not None and cfg.resume and path.exists():
            state = load_checkpoint(path, map_location=self.device)
            model.load_state_dict(state["model"])
            load_optimizer_state(optimizer, state["optimizer"])
            stopper.load_state_dict(state["stopper"])
            sampler.generator.set_state(state["sampler_rng"])
            torch.set_rng_state(state["torch_rng"])
            if state.get("model_rng") is not None and _generator_of(model) is not None:
                _generator_of(model).set_state(state["model_rng"])
            result.history = list(state["history"])
            result.best_epoch = int(state["best_epoch"])
            result.valid = dict(state["best_valid"])
            best_state = state["best_state"]
            start_epoch = int(state["epoch"]) + 1
            if state.get("stopped_early"):  # the saved run had already ended: evaluate, train no further
                result.stopped_early = True
                start_epoch = cfg.epochs
            log.info("resumed from %s at epoch %d", path, start_epoch)

        epochs = tqdm(range(start_epoch, cfg.epochs), disable=not cfg.progress, desc="train", leave=False)
        try:
            for epoch in epochs:
                record = self._train_epoch(epoch, optimizer, sampler)
                evaluate_now = (epoch + 1) % cfg.eval_every == 0 or epoch == cfg.epochs - 1
                stop = False
                if not cfg.validate:
                    result.best_epoch = epoch  # refit: the final state is the one tested
                elif evaluate_now:
                    t0 = time.perf_counter()
                    valid = self.evaluate("valid")
                    record["eval_seconds"] = time.perf_counter() - t0
                    for key, value in valid.items():
                        if isinstance(value, float) and "@" in key:
                            record[f"valid_{key}"] = value
                    stop = stopper.step(valid[cfg.monitor])
                    if stopper.best_step == stopper.steps - 1:  # this evaluation is the best so far
                        best_state = _state_copy(model)
                        result.best_epoch = epoch
                        result.valid = valid
                if epoch_callback is not None:
                    record.update(epoch_callback(epoch, self))
                result.history.append(record)
                score = record.get(f"valid_{cfg.monitor}")
                epochs.set_postfix(
                    loss=f"{record.get('loss', float('nan')):.4f}", **{cfg.monitor: f"{score}"}
                )
                log.info(
                    "epoch %d: %s",
                    epoch,
                    ", ".join(
                        f"{k}={v:.5g}" if isinstance(v, float) else f"{k}={v}" for k, v in record.items()
                    ),
                )
                if path is not None and evaluate_now:
                    gen = _generator_of(model)
                    save_checkpoint(
                        {
                            "model": model.state_dict(),
                            "optimizer": optimizer.state_dict(),
                            "stopper": stopper.state_dict(),
                            "sampler_rng": sampler.generator.get_state(),
                            "torch_rng": torch.get_rng_state(),
                            "model_rng": None if gen is None else gen.get_state(),
                            "history": result.history,
                            "best_epoch": result.best_epoch,
                            "best_valid": result.valid,
                            "best_state": best_state,
                            "epoch": epoch,
                            "stopped_early": stop,
                        },
                        path,
                    )
                if stop:
                    result.stopped_early = True
                    log.info("early stop at epoch %d; best epoch %d", epoch, result.best_epoch)
                    break
        except KeyboardInterrupt:
            if not cfg.validate or best_state is None:
                raise  # nothing validated to fall back on
            result.interrupted = True
            log.warning(
                "interrupted after %d epoch(s): the best validated epoch so far (%d) is restored and tested",
                len(result.history),
                result.best_epoch,
            )
        epochs.close()
        result.epochs_run = len(result.history)
        if best_state is not None:
            model.load_state_dict(best_state)
        result.test = self.evaluate("test")
        result.seconds = time.perf_counter() - started
        return result


def train_recommender(
    model: Recommender,
    split: InteractionSplit,
    config: RecTrainConfig | None = None,
    *,
    device: torch.device | str | None = None,
    **overrides: Any,
) -> RecResult:
    """Train ``model`` on ``split`` and return its validation-selected test metrics.

    Args:
        model: A :class:`~gcl.rec.models.base.Recommender` built on ``split.train``.
        split: Train / validation / test interactions.
        config: Settings; ``overrides`` replace single fields (``epochs=5``).
        device: Where to train (``None``/``"auto"``: CUDA when available).
        **overrides: :class:`RecTrainConfig` fields.

    Returns:
        A :class:`RecResult`; the model is left in eval mode holding the best validation state.

    Example:
        >>> from gcl.data.interactions import Interactions
        >>> from gcl.data.splits import random_split
        >>> from gcl.rec.models import MF
        >>> inter = Interactions(user=[u for u in range(6) for _ in range(10)], item=list(range(10)) * 6)
        >>> split = random_split(inter, seed=0)
        >>> result = train_recommender(MF(split.train, 8), split, epochs=2, ks=(5,), monitor="recall@5",
        ...                            progress=False, device="cpu")
        >>> len(result.history), sorted(result.test)[:2]
        (2, ['average_popularity@5', 'gini@5'])
    """
    cfg = config or RecTrainConfig()
    if overrides:
        unknown = sorted(set(overrides) - {f.name for f in dataclasses.fields(RecTrainConfig)})
        if unknown:
            raise ValueError(f"unknown RecTrainConfig field(s) {unknown}")
        cfg = dataclasses.replace(cfg, **overrides)
    return RecTrainer(model, split, cfg, device=device).fit()
