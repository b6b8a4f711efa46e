"""Pieces shared by the ``gcl rec`` and ``gcl seq`` commands: layered configs and run directories.

A run is described by a nested dict whose sections are fixed per command (``data``, ``model``,
``train`` ...). Defaults, then a YAML file, then command-line flags are merged into the *resolved*
config that the run directory keeps, so a run can be repeated exactly.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from gcl.data.root import data_root
from gcl.yaml_config import load_yaml

__all__ = ["apply_flags", "build_section", "find_data", "load_config", "merge", "run_log", "summarize"]

#: Top-level keys any config may carry for people, never read by a run.
DOCUMENTATION_KEYS = frozenset({"published", "notes"})


def load_config(path: str | Path, sections: Iterable[str]) -> dict[str, Any]:
    """Read a YAML run config whose top-level keys must be among ``sections``.

    Raises:
        FileNotFoundError: No such file.
        ValueError: Not a mapping, or an unknown top-level key (the message lists the known ones).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such config file")
    with path.open() as handle:
        config = load_yaml(handle) or {}
    if not isinstance(config, dict):
        raise ValueError(f"{path}: expected a mapping at the top level, got {type(config).__name__}")
    known = set(sections)
    unknown = sorted(set(config) - known - DOCUMENTATION_KEYS)
    if unknown:
        raise ValueError(f"{path}: unknown section(s) {unknown}; expected {sorted(known)}")
    return config


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Recursive dict merge; ``override`` wins, nested mappings merge key by key (inputs untouched)."""
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def apply_flags(
    config: dict[str, Any],
    flags: Mapping[tuple[str, str], Any],
    *,
    model: str | None = None,
    seeds: Iterable[int] | None = None,
    device: str | None = None,
) -> dict[str, Any]:
    """Write command-line values over a merged config (in place) and check what every run needs.

    Args:
        config: Defaults merged with the YAML file; sections ``data``, ``model``, ``seeds``, ``device``.
        flags: ``(section, key) -> value``; ``None`` values (flags not given) are skipped.
        model: A model name; a different name than the config's drops the config's hyper-parameters,
            which belong to the other model.
        seeds: Replace the config's seeds.
        device: Replace the config's device.

    Raises:
        ValueError: No ``data.path`` or no seeds.
    """
    for (section, key), value in flags.items():
        if value is not None:
            config[section][key] = value
    if model is not None and model != config["model"].get("name"):
        config["model"] = {"name": model}
    if seeds is not None:
        config["seeds"] = list(seeds)
    if device is not None:
        config["device"] = device
    if not config["data"]["path"]:
        raise ValueError("no data: pass --data PATH (or a --config with data.path)")
    if not config["seeds"]:
        raise ValueError("seeds: expected at least one seed")
    return config


def find_data(path: str | Path, data_dir: str | None) -> Path:
    """``path`` as given when it exists or is absolute, else under the data root when it exists there."""
    candidate = Path(path).expanduser()
    if candidate.exists() or candidate.is_absolute():
        return candidate
    rooted = data_root(data_dir) / candidate
    return rooted if rooted.exists() else candidate


def build_section(factory: Callable[..., Any], section: str, *args: Any, **kwargs: Any) -> Any:
    """Call ``factory``; a keyword it does not take becomes a ValueError naming the config section."""
    try:
        return factory(*args, **kwargs)
    except TypeError as exc:
        raise ValueError(f"config section '{section}': {exc}") from None


def summarize(runs: list[dict[str, Any]], part: str = "test") -> dict[str, dict[str, float]]:
    """Mean and sample standard deviation over runs of every ``metric@k`` in ``run[part]``."""
    out: dict[str, dict[str, float]] = {}
    for key in (k for k in runs[0][part] if "@" in k):
        values = [float(r[part][key]) for r in runs]
        mean = sum(values) / len(values)
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
        out[key] = {"mean": mean, "std": std}
    return out


@contextlib.contextmanager
def run_log(path: Path, logger_names: Iterable[str], *, append: bool = False) -> Iterator[None]:
    """Copy INFO messages of the named loggers into ``path`` while the block runs.

    ``append=True`` keeps what the file holds (a resumed run adds to its log); otherwise it starts empty.
    """
    handler = logging.FileHandler(path, mode="a" if append else "w")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
    loggers = [logging.getLogger(name) for name in logger_names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(min(lg.getEffectiveLevel(), logging.INFO))
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.removeHandler(handler)
            lg.setLevel(level)
        handler.close()
