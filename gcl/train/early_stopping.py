"""Early stopping on a monitored value."""

from __future__ import annotations

import math


class EarlyStopping:
    """Stop when a monitored value has not improved for ``patience`` checks.

    Args:
        patience: Checks without improvement before stopping (``None`` or 0: never stop).
        mode: ``"min"`` (a loss) or ``"max"`` (a validation metric).
        min_delta: Smallest change that counts as an improvement.

    Example:
        >>> stop = EarlyStopping(patience=2, mode="min")
        >>> [stop.step(v) for v in (3.0, 2.0, 2.5, 2.4)]
        [False, False, False, True]
        >>> stop.best, stop.best_step
        (2.0, 1)
    """

    def __init__(self, patience: int | None, mode: str = "min", min_delta: float = 0.0) -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if patience is not None and patience < 0:
            raise ValueError(f"patience must be >= 0, got {patience}")
        self.patience, self.mode, self.min_delta = patience, mode, min_delta
        self.best = math.inf if mode == "min" else -math.inf
        self.best_step = -1
        self.bad_checks = 0
        self.steps = 0

    def improved(self, value: float) -> bool:
        """Whether ``value`` beats the best so far by more than ``min_delta``."""
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def step(self, value: float) -> bool:
        """Record ``value``; return ``True`` when training should stop."""
        if math.isnan(value):
            raise FloatingPointError(f"monitored value is NaN at check {self.steps}")
        if self.improved(value):
            self.best, self.best_step, self.bad_checks = value, self.steps, 0
        else:
            self.bad_checks += 1
        self.steps += 1
        return bool(self.patience) and self.bad_checks >= self.patience

    def state_dict(self) -> dict[str, float | int | None]:
        """State for checkpoints."""
        return dict(vars(self))

    def load_state_dict(self, state: dict[str, float | int | None]) -> None:
        """Restore from :meth:`state_dict`."""
        vars(self).update(state)
