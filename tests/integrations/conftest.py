"""Fixtures for the RecBole integration tests (skipped when the ``recbole`` extra is not installed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest


def recbole_config(data_path: Path, **extra) -> dict:
    """RecBole settings for fast, quiet, deterministic runs on the CPU."""
    return {
        "data_path": str(data_path),
        "checkpoint_dir": str(data_path / "saved"),
        "show_progress": False,
        "state": "WARNING",
        "log_wandb": False,
        "device": "cpu",
        "use_gpu": False,
        "seed": 0,
        "reproducibility": True,
        "metrics": ["Recall", "NDCG", "MRR"],
        "topk": [10],
        "valid_metric": "Recall@10",
        **extra,
    }


@pytest.fixture
def tiny_general(tmp_path: Path) -> Path:
    """A RecBole atomic dataset ``tiny``: 30 users x 10 interactions over 40 items, one NaN rating."""
    rng = np.random.default_rng(0)
    lines = ["user_id:token\titem_id:token\trating:float\ttimestamp:float"]
    for u in range(30):
        for t, i in enumerate(rng.choice(40, size=10, replace=False)):
            rating = "" if (u, t) == (3, 4) else str(int(rng.integers(1, 6)))
            lines.append(f"u{u}\ti{i}\t{rating}\t{1000 + t}")
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "tiny.inter").write_text("\n".join(lines) + "\n")
    return tmp_path


@pytest.fixture
def tiny_sequences(tmp_path: Path) -> Path:
    """A RecBole atomic dataset ``tinyseq``: 40 users with 6 to 12 time-ordered items among 25."""
    rng = np.random.default_rng(1)
    lines = ["user_id:token\titem_id:token\ttimestamp:float"]
    for u in range(40):
        for t, i in enumerate(rng.integers(0, 25, size=int(rng.integers(6, 13)))):
            lines.append(f"u{u}\ti{i}\t{1000 + t}")
    folder = tmp_path / "tinyseq"
    folder.mkdir()
    (folder / "tinyseq.inter").write_text("\n".join(lines) + "\n")
    return tmp_path


@pytest.fixture(autouse=True)
def _recbole_writes_into_a_temporary_folder(tmp_path_factory, monkeypatch):
    """RecBole writes ``log/``, ``log_tensorboard/`` and ``saved/`` into the working directory."""
    monkeypatch.chdir(tmp_path_factory.mktemp("recbole-cwd"))
