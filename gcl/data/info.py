"""Observed statistics of registered datasets, compared with their cards."""

from __future__ import annotations

import os
from typing import Any

from gcl.data.registry import Card, ensure_files, get_card


def observed_stats(
    card: Card | str, root: str | os.PathLike[str] | None = None, *, download: bool = True
) -> dict[str, Any]:
    """Load a dataset and count what is in it, with the same keys as its card's ``stats``.

    Args:
        card: A card or registered name.
        root: Data root.
        download: Fetch missing files.

    Returns:
        Node datasets: nodes, edges, features, classes. LightGCN-format datasets: users, items,
        train_interactions, test_interactions. Interaction logs and sequences: users, items,
        interactions.
    """
    card = get_card(card) if isinstance(card, str) else card
    if card.task == "node":
        from gcl.data.graphs import graph_stats, load_graph

        return graph_stats(load_graph(card.name, root, download=download))
    base = ensure_files(card, root, download=download)
    if card.format == "lightgcn":
        from gcl.data.readers import read_lightgcn

        train, test = read_lightgcn(base / "train.txt", base / "test.txt")
        return {
            "users": train.num_users,
            "items": train.num_items,
            "train_interactions": len(train),
            "test_interactions": len(test),
        }
    if card.format == "recbole-atomic":
        from gcl.data.readers import read_recbole_atomic

        inter = read_recbole_atomic(base / card.files[0].path)
    elif card.format == "sequence":
        from gcl.data.readers import read_sequences

        inter = read_sequences(base / card.files[0].path)
    else:
        raise ValueError(f"card {card.card_path}: unknown format {card.format!r}")
    return {"users": inter.num_users, "items": inter.num_items, "interactions": len(inter)}


def compare_stats(card: Card, observed: dict[str, Any]) -> list[tuple[str, Any, Any, bool]]:
    """Return ``(key, expected, observed, matches)`` for each numeric statistic on the card."""
    rows = []
    for key, expected in card.stats.items():
        if key == "note":
            continue
        got = observed.get(key)
        rows.append((key, expected, got, got == expected))
    return rows
