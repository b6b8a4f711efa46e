"""Step reports: what each reader, filter and split did to an interaction log.

Every step that can remove or move interactions returns a :class:`StepReport`, appends it to the
``reports`` of its result and logs it on the ``gcl.data`` logger, so nothing is dropped silently and
the full preprocessing history of a dataset can be printed next to its results.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np

logger = logging.getLogger("gcl.data")

__all__ = ["StepReport", "log_report", "logger"]


def _plain(value: Any) -> Any:
    """Convert numpy scalars and containers to plain Python values (JSON-friendly)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


def _fmt(value: Any) -> str:
    """Format a detail value for a one-line message (thousands separators for integers)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(_fmt(v) for v in value) + ")"
    return str(value)


@dataclass
class StepReport:
    """What one preprocessing step did.

    Args:
        step: The step and its arguments, e.g. ``"kcore(user_k=5, item_k=5)"``.
        before: Number of interactions that went into the step.
        after: Number of interactions that came out (for a split: summed over its parts).
        removed: Number of interactions removed; must equal ``before - after``.
        details: Step-specific counts (users/items removed, iterations, split sizes, ...). Numpy
            scalars are converted to Python numbers so the report serializes to JSON.

    Example:
        >>> print(StepReport("kcore(user_k=5, item_k=5)", 100_000, 98_766, 1_234, {"iterations": 3}))
        kcore(user_k=5, item_k=5): removed 1,234 of 100,000 interactions (1.234%; iterations=3)
    """

    step: str
    before: int
    after: int
    removed: int
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.before = int(self.before)
        self.after = int(self.after)
        self.removed = int(self.removed)
        if min(self.before, self.after, self.removed) < 0:
            raise ValueError(
                f"StepReport({self.step!r}): counts must be non-negative, got before={self.before}, "
                f"after={self.after}, removed={self.removed}"
            )
        if self.removed != self.before - self.after:
            raise ValueError(
                f"StepReport({self.step!r}): removed={self.removed} but before - after = "
                f"{self.before - self.after}"
            )
        self.details = _plain(dict(self.details))

    def __str__(self) -> str:
        pct = 100.0 * self.removed / self.before if self.before else 0.0
        parts = [f"{pct:.4g}%"] + [f"{k}={_fmt(v)}" for k, v in self.details.items()]
        return f"{self.step}: removed {self.removed:,} of {self.before:,} interactions ({'; '.join(parts)})"

    def to_dict(self) -> dict[str, Any]:
        """Return the report as a JSON-serializable dict."""
        return {
            "step": self.step,
            "before": self.before,
            "after": self.after,
            "removed": self.removed,
            "details": dict(self.details),
        }


def log_report(report: StepReport) -> StepReport:
    """Log ``report`` at INFO level on the ``gcl.data`` logger and return it."""
    logger.info("%s", report)
    return report
