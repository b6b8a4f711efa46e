"""Node split presets for the node-classification protocol.

Every accuracy we report names its split (DESIGN.md section 3). This module holds the two splits used by the
published numbers we compare against:

* ``"random-10-10-80"`` -- a fresh random 10% / 10% / 80% train / val / test split per seed, the split the
  GRACE paper describes (Zhu et al. 2020, "Deep Graph Contrastive Representation Learning", GRL+@ICML).
* ``"public"`` -- the fixed Planetoid split shipped with Cora / CiteSeer / PubMed (Yang et al. 2016,
  "Revisiting Semi-Supervised Learning with Graph Embeddings", ICML): 20 labels per class, 500 val, 1000 test.

All functions return three boolean masks ``(train, val, test)`` of shape ``[N]``.
"""

from __future__ import annotations

import difflib
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor
from torch_geometric.data import Data

__all__ = [
    "SPLIT_PRESETS",
    "SplitPreset",
    "get_split",
    "get_split_preset",
    "public_split",
    "random_split",
    "register_split_preset",
    "split_sizes",
]

Masks = tuple[Tensor, Tensor, Tensor]

# Tolerance added before flooring ``ratio * num_nodes`` so that e.g. ``0.29 * 100 = 28.999999999999996``
# counts as 29 nodes, not 28.
_FLOOR_EPS = 1e-9


def split_sizes(num_nodes: int, train_ratio: float, val_ratio: float) -> tuple[int, int, int]:
    """Sizes of a random split: ``floor`` for train and val, the remainder for test.

    ``n_train = floor(train_ratio * num_nodes)``, ``n_val = floor(val_ratio * num_nodes)`` and
    ``n_test = num_nodes - n_train - n_val`` (so the test set absorbs the rounding; it is never smaller than
    ``(1 - train_ratio - val_ratio) * num_nodes``). The products are floored with a ``1e-9`` tolerance against
    floating-point error.

    Args:
        num_nodes: Number of nodes ``N`` (> 0).
        train_ratio: Fraction of nodes for training, in ``(0, 1)``.
        val_ratio: Fraction of nodes for validation, in ``[0, 1)``; ``train_ratio + val_ratio < 1``.

    Returns:
        ``(n_train, n_val, n_test)``.

    Raises:
        ValueError: If an argument is out of range or a part would be empty (train, test; val only when
            ``val_ratio > 0``).

    Example:
        >>> split_sizes(2708, 0.1, 0.1)
        (270, 270, 2168)
    """
    try:
        if isinstance(num_nodes, bool):
            raise TypeError
        num_nodes = operator.index(num_nodes)  # int, numpy or 0-d torch integers; not floats or bools
    except TypeError:
        raise ValueError(f"num_nodes must be a positive int, got {num_nodes!r}") from None
    if num_nodes <= 0:
        raise ValueError(f"num_nodes must be a positive int, got {num_nodes!r}")
    if not 0.0 < train_ratio < 1.0:
        raise ValueError(f"train_ratio must be in (0, 1), got {train_ratio!r}")
    if not 0.0 <= val_ratio < 1.0:
        raise ValueError(f"val_ratio must be in [0, 1), got {val_ratio!r}")
    if train_ratio + val_ratio >= 1.0:
        raise ValueError(
            f"train_ratio + val_ratio must be < 1 to leave a test set, got {train_ratio} + {val_ratio}"
        )
    n_train = math.floor(train_ratio * num_nodes + _FLOOR_EPS)
    n_val = math.floor(val_ratio * num_nodes + _FLOOR_EPS)
    n_test = num_nodes - n_train - n_val
    if n_train == 0 or n_test == 0 or (val_ratio > 0 and n_val == 0):
        raise ValueError(
            f"split of num_nodes={num_nodes} with train_ratio={train_ratio}, val_ratio={val_ratio} gives "
            f"sizes (train={n_train}, val={n_val}, test={n_test}); every part must be non-empty"
        )
    return n_train, n_val, n_test


def random_split(
    num_nodes: int,
    train_ratio: float = 0.1,
    val_ratio: float = 0.1,
    *,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> Masks:
    """Random disjoint train / val / test node masks (GRACE's 10/10/80 protocol by default).

    One permutation of ``range(num_nodes)`` is drawn from a CPU ``torch.Generator`` seeded with ``seed`` (so
    the split is identical on every device and machine); its first ``n_train`` entries are train, the next
    ``n_val`` val and the rest test. Sizes follow :func:`split_sizes` (floor for train / val, remainder test).

    Args:
        num_nodes: Number of nodes ``N``.
        train_ratio: Fraction of nodes for training.
        val_ratio: Fraction of nodes for validation (selection of probe hyper-parameters).
        seed: Seed of the permutation.
        device: Device of the returned masks (default CPU).

    Returns:
        Boolean masks ``(train, val, test)``, each ``[N]``, pairwise disjoint, covering all nodes.

    Example:
        >>> train, val, test = random_split(2708, seed=0)
        >>> int(train.sum()), int(val.sum()), int(test.sum())
        (270, 270, 2168)
    """
    n_train, n_val, _ = split_sizes(num_nodes, train_ratio, val_ratio)
    num_nodes = operator.index(num_nodes)
    generator = torch.Generator().manual_seed(int(seed))
    perm = torch.randperm(num_nodes, generator=generator)
    part = torch.full((num_nodes,), 2, dtype=torch.long)
    part[perm[:n_train]] = 0
    part[perm[n_train : n_train + n_val]] = 1
    part = part.to(device) if device is not None else part
    return part == 0, part == 1, part == 2


def public_split(data: Data) -> Masks:
    """The public split stored on ``data`` (e.g. PyG Planetoid's ``train_mask``, ``val_mask``, ``test_mask``).

    Args:
        data: A graph carrying boolean ``train_mask``, ``val_mask`` and ``test_mask`` attributes of shape
            ``[N]``.

    Returns:
        ``(train, val, test)`` boolean masks ``[N]``, as stored (same device).

    Raises:
        ValueError: If a mask attribute is missing, not boolean, not of shape ``[N]`` (a 2-D mask holding
            several public splits, as WikiCS ships, must be narrowed to one column first), or empty.

    Example:
        >>> data = Data(num_nodes=4, train_mask=torch.tensor([True, False, False, False]),
        ...             val_mask=torch.tensor([False, True, False, False]),
        ...             test_mask=torch.tensor([False, False, True, True]))
        >>> [m.nonzero().flatten().tolist() for m in public_split(data)]
        [[0], [1], [2, 3]]
    """
    num_nodes = data.num_nodes
    masks = []
    for name in ("train_mask", "val_mask", "test_mask"):
        mask = getattr(data, name, None)
        if mask is None:
            raise ValueError(
                f"public split needs data.{name}, but the Data object has no {name!r} attribute "
                f"(available: {sorted(data.keys())}); use a random split preset such as 'random-10-10-80'"
            )
        if not isinstance(mask, Tensor) or mask.dtype != torch.bool:
            raise ValueError(f"data.{name} must be a bool tensor, got {getattr(mask, 'dtype', type(mask))}")
        if mask.dim() == 2:
            raise ValueError(
                f"data.{name} has shape {tuple(mask.shape)}: {mask.shape[1]} public splits; select one "
                f"column first, e.g. data.{name} = data.{name}[:, 0]"
            )
        if mask.shape != (num_nodes,):
            raise ValueError(f"data.{name} must have shape [{num_nodes}], got {tuple(mask.shape)}")
        if not bool(mask.any()):
            raise ValueError(f"data.{name} selects no node")
        masks.append(mask)
    return masks[0], masks[1], masks[2]


@dataclass(frozen=True)
class SplitPreset:
    """A named split protocol.

    Attributes:
        name: Registry key, e.g. ``"random-10-10-80"``.
        description: Protocol text used in reported results, e.g. ``"random 10/10/80 split"``.
        make: ``make(data, seed) -> (train, val, test)`` boolean masks ``[N]``.
        seeded: Whether the masks depend on ``seed``. When ``False`` (fixed public splits) the evaluation
            runs once instead of once per seed.
    """

    name: str
    description: str
    make: Callable[[Data, int], Masks]
    seeded: bool


def _random_10_10_80(data: Data, seed: int) -> Masks:
    device = data.y.device if isinstance(getattr(data, "y", None), Tensor) else None
    return random_split(data.num_nodes, 0.1, 0.1, seed=seed, device=device)


def _public(data: Data, seed: int) -> Masks:
    del seed  # the public split is fixed
    return public_split(data)


SPLIT_PRESETS: dict[str, SplitPreset] = {}


def register_split_preset(preset: SplitPreset) -> SplitPreset:
    """Add ``preset`` to :data:`SPLIT_PRESETS` (an existing name is an error)."""
    if preset.name in SPLIT_PRESETS:
        raise ValueError(f"split preset {preset.name!r} is already registered")
    SPLIT_PRESETS[preset.name] = preset
    return preset


register_split_preset(
    SplitPreset("random-10-10-80", "random 10/10/80 train/val/test split", _random_10_10_80, seeded=True)
)
register_split_preset(SplitPreset("public", "public (Planetoid) split", _public, seeded=False))


def get_split_preset(name: str) -> SplitPreset:
    """The registered :class:`SplitPreset` called ``name``.

    Raises:
        ValueError: For an unknown name; the message lists close matches and all known presets.
    """
    try:
        return SPLIT_PRESETS[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), list(SPLIT_PRESETS), n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(
            f"unknown split preset {name!r}{hint} (known presets: {', '.join(sorted(SPLIT_PRESETS))})"
        ) from None


def get_split(name: str, data: Data, seed: int = 0) -> Masks:
    """Masks of the split preset ``name`` for ``data``.

    Args:
        name: A key of :data:`SPLIT_PRESETS` (``"random-10-10-80"`` or ``"public"``).
        data: The graph (``num_nodes`` is used; ``public`` reads its masks).
        seed: Seed of the split (ignored by fixed splits).

    Returns:
        Boolean masks ``(train, val, test)``, each ``[N]``.

    Raises:
        ValueError: For an unknown preset name (the message lists close matches) or a split that cannot be
            made for ``data``.

    Example:
        >>> train, val, test = get_split("random-10-10-80", Data(num_nodes=100), seed=1)
        >>> int(train.sum()), int(val.sum()), int(test.sum())
        (10, 10, 80)
    """
    return get_split_preset(name).make(data, seed)
