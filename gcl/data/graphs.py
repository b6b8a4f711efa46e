"""Graph datasets for node classification, loaded through PyG's own readers.

Planetoid datasets (Cora, CiteSeer, PubMed) are read with
:func:`torch_geometric.io.read_planetoid_data` straight from ``<root>/<Name>/raw`` -- nothing
is written next to the raw files, so a read-only data root works. Amazon / Coauthor ``.npz``
files go through :func:`torch_geometric.io.read_npz` and WikiCS through
:class:`torch_geometric.datasets.WikiCS`.
"""

from __future__ import annotations

import os

import torch
from torch_geometric.data import Data

from gcl.data.registry import Card, ensure_files, get_card


def load_graph(
    name: str,
    root: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
) -> Data:
    """Load a registered node-classification graph.

    Args:
        name: A registered dataset (``cora``, ``citeseer``, ``pubmed``, ``amazon-photo`` ...).
        root: Data root (default: ``GCL_DATA_DIR`` or the per-user cache).
        download: Fetch missing files from the card's URLs.

    Returns:
        ``Data`` with ``x`` [N, F], ``edge_index`` [2, E], ``y`` [N], and for Planetoid the public
        split masks ``train_mask``/``val_mask``/``test_mask``. ``data.name`` is the card name.
    """
    card = get_card(name)
    if card.task != "node":
        raise ValueError(f"dataset {card.name!r} is a {card.task!r} dataset, not a graph for node tasks")
    base = ensure_files(card, root, download=download)
    data = _read(card, base)
    data.name = card.name
    validate_graph(data, where=f"dataset {card.name!r}")
    return data


def _read(card: Card, base: os.PathLike[str]) -> Data:
    base = os.fspath(base)
    if card.format == "planetoid":
        from torch_geometric.io import read_planetoid_data

        return read_planetoid_data(os.path.join(base, "raw"), card.prefix or card.name)
    if card.format == "npz":
        from torch_geometric.io import read_npz

        return read_npz(os.path.join(base, card.files[0].path), to_undirected=True)
    if card.format == "wikics":
        from torch_geometric.datasets import WikiCS

        return WikiCS(base)[0]
    raise ValueError(f"card {card.card_path}: unknown graph format {card.format!r}")


def graph_stats(data: Data) -> dict[str, int]:
    """Return nodes, (directed) edges, features and classes of a graph."""
    return {
        "nodes": int(data.num_nodes),
        "edges": int(data.edge_index.size(1)),
        "features": int(data.num_features),
        "classes": int(data.y.max().item()) + 1 if data.y is not None and data.y.numel() else 0,
    }


def validate_graph(data: Data, *, where: str = "graph") -> None:
    """Check a graph for the mistakes that otherwise fail far from their cause.

    Raises:
        ValueError: Empty graph, ``edge_index`` not of shape [2, E] or with ids outside
            [0, num_nodes), or non-finite node features. The message names ``where``.
    """
    num_nodes = data.num_nodes
    if not num_nodes:
        raise ValueError(f"{where}: the graph has no nodes")
    edge_index = data.edge_index
    if edge_index is None or edge_index.dim() != 2 or edge_index.size(0) != 2:
        shape = None if edge_index is None else tuple(edge_index.shape)
        raise ValueError(f"{where}: edge_index must have shape [2, E], got {shape}")
    if edge_index.numel():
        low, high = int(edge_index.min()), int(edge_index.max())
        if low < 0 or high >= num_nodes:
            raise ValueError(
                f"{where}: edge_index holds node ids in [{low}, {high}] but the graph has {num_nodes} nodes "
                f"(expected ids in [0, {num_nodes - 1}])"
            )
    x = data.x
    if x is not None:
        values = x.values() if x.is_sparse else x
        if values.is_floating_point() and not torch.isfinite(values).all():
            bad = (~torch.isfinite(x.to_dense() if x.is_sparse else x)).any(dim=-1).nonzero().flatten()
            raise ValueError(
                f"{where}: node features contain NaN or inf in {bad.numel()} node(s), "
                f"first ids {bad[:5].tolist()}"
            )
