"""Full-graph training loop for node-level contrastive models.

Progress bar (tqdm), per-epoch loss log, optional early stopping on the training loss (DGI's
protocol), atomic checkpoints with resume, explicit seeding and device choice.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch_geometric.data import Data
from tqdm.auto import tqdm

from gcl.node.models.base import NodeContrastiveModel
from gcl.train import EarlyStopping, load_checkpoint, save_checkpoint

log = logging.getLogger("gcl.node")


@dataclass
class TrainConfig:
    """Optimization settings.

    Attributes:
        epochs: Maximum number of full-graph steps.
        lr: Adam learning rate.
        weight_decay: Adam weight decay.
        patience: Stop after this many epochs without a lower loss, restoring the best weights
            (``None``: train all epochs, keep the last -- GRACE's protocol).
        checkpoint: File to write every ``checkpoint_every`` epochs and to resume from.
        checkpoint_every: Epochs between checkpoints.
        snapshot_every: Keep the frozen embeddings (:meth:`~gcl.node.models.base.NodeContrastiveModel.embed`)
            every this many epochs and after the last one, for choosing the epoch on validation
            (``None``: none). Taking them consumes no randomness, so training is unchanged.
        progress: Show a progress bar.
    """

    epochs: int = 200
    lr: float = 1e-3
    weight_decay: float = 0.0
    patience: int | None = None
    checkpoint: str | None = None
    checkpoint_every: int = 50
    snapshot_every: int | None = None
    progress: bool = True

    def __post_init__(self) -> None:
        every = self.snapshot_every
        if every is not None and (isinstance(every, bool) or not isinstance(every, int) or every < 1):
            raise ValueError(f"snapshot_every: expected None or an int >= 1, got {every!r}")


@dataclass
class TrainResult:
    """What training did: losses per epoch, wall time, the epoch whose weights were kept.

    ``snapshots`` maps a 0-based epoch to the embeddings ``[N, D]`` (CPU) after it (``snapshot_every``).
    """

    losses: list[float] = field(default_factory=list)
    snapshots: dict[int, torch.Tensor] = field(default_factory=dict)
    seconds: float = 0.0
    best_epoch: int = -1
    stopped_early: bool = False
    resumed_from: int = 0


def train_node_model(
    model: NodeContrastiveModel,
    data: Data,
    config: TrainConfig,
    *,
    device: torch.device | str = "cpu",
) -> TrainResult:
    """Train ``model`` on ``data`` (full graph per step) and return the loss history.

    The model and data are moved to ``device``; the model stays there.
    """
    device = torch.device(device)
    model.to(device)
    data = data.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    stopper = EarlyStopping(config.patience, mode="min")
    result = TrainResult()
    best_state = None
    start_epoch = 0
    if config.checkpoint and os.path.exists(config.checkpoint):
        state = load_checkpoint(config.checkpoint, map_location=device)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        stopper.load_state_dict(state["stopper"])
        result.losses = list(state["losses"])
        best_state = state.get("best_state")
        result.snapshots = dict(state.get("snapshots") or {})
        start_epoch = result.resumed_from = int(state["epoch"]) + 1
        torch.set_rng_state(state["rng"])
        log.info("resumed from %s at epoch %d", config.checkpoint, start_epoch)
    model.train()
    started = time.perf_counter()
    bar = tqdm(range(start_epoch, config.epochs), disable=not config.progress, desc="train", leave=False)
    for epoch in bar:
        optimizer.zero_grad(set_to_none=True)
        loss = model.training_loss(data, epoch=epoch, num_epochs=config.epochs)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"loss became {loss.item()} at epoch {epoch}")
        loss.backward()
        optimizer.step()
        model.after_optimizer_step(epoch + 1, config.epochs)
        value = float(loss.detach())
        result.losses.append(value)
        bar.set_postfix(loss=f"{value:.4f}")
        log.debug("epoch %d loss %.6f", epoch, value)
        stop = stopper.step(value)
        if config.patience and stopper.best_step == epoch:
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        every = config.snapshot_every
        if every and ((epoch + 1) % every == 0 or stop or epoch == config.epochs - 1):
            result.snapshots[epoch] = model.embed(data).cpu()
        if config.checkpoint and ((epoch + 1) % config.checkpoint_every == 0 or stop):
            save_checkpoint(
                {
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "stopper": stopper.state_dict(),
                    "losses": result.losses,
                    "best_state": best_state,
                    "epoch": epoch,
                    "rng": torch.get_rng_state(),
                    "snapshots": result.snapshots,
                },
                Path(config.checkpoint),
            )
        if stop:
            result.stopped_early = True
            break
    result.seconds = time.perf_counter() - started
    if config.patience and best_state is not None:
        model.load_state_dict(best_state)
        result.best_epoch = stopper.best_step
    else:
        result.best_epoch = len(result.losses) - 1
    model.eval()
    return result
