"""Shared training-loop parts: seeding, devices, early stopping, atomic checkpoints, the optimizer."""

from gcl.train.checkpoint import load_checkpoint, save_checkpoint
from gcl.train.early_stopping import EarlyStopping
from gcl.train.optim import adam, load_optimizer_state
from gcl.train.seed import resolve_device, seed_everything

__all__ = [
    "EarlyStopping",
    "adam",
    "load_checkpoint",
    "load_optimizer_state",
    "resolve_device",
    "save_checkpoint",
    "seed_everything",
]
