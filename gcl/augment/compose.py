"""Composition of Data augmentations: apply several in order, or a random subset (GraphCL-style)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import torch
from torch_geometric.data import Data
from torch_geometric.transforms import BaseTransform
from torch_geometric.transforms import Compose as _PygCompose

from gcl.augment._validate import check_generator, randperm

__all__ = ["Compose", "RandomChoice"]


def _check_transforms(transforms: object) -> list[Callable[[Data], Data]]:
    if not isinstance(transforms, Sequence) or isinstance(transforms, str) or len(transforms) == 0:
        raise ValueError("'transforms' must be a non-empty list of callables")
    for i, t in enumerate(transforms):
        if not callable(t):
            raise ValueError(f"'transforms[{i}]' is not callable (got {type(t).__name__})")
    return list(transforms)


class Compose(_PygCompose):
    """Apply transforms one after another (PyG's :class:`~torch_geometric.transforms.Compose`, validated).

    Args:
        transforms: Non-empty list of ``Data -> Data`` callables.

    Example:
        >>> from gcl.augment.transforms import DropEdge, MaskFeature
        >>> view = Compose([DropEdge(0.2), MaskFeature(0.3)])
    """

    def __init__(self, transforms: Sequence[Callable[[Data], Data]]):
        super().__init__(_check_transforms(transforms))


class RandomChoice(BaseTransform):
    """Apply ``num_choices`` distinct transforms drawn uniformly at random, in their listed order.

    GraphCL's random augmentation pools (You et al. 2020, NeurIPS). The chosen indices are recorded
    on the output as ``aug_choice`` (``LongTensor [num_choices]``, ascending).

    Args:
        transforms: Non-empty list of ``Data -> Data`` callables.
        num_choices: How many to apply, in ``[1, len(transforms)]``.
        generator: Optional random generator for the choice; the global RNG when ``None``.

    Example:
        >>> from gcl.augment.transforms import DropEdge, DropNode
        >>> view = RandomChoice([DropEdge(0.2), DropNode(0.2)], generator=torch.Generator().manual_seed(0))
    """

    def __init__(
        self,
        transforms: Sequence[Callable[[Data], Data]],
        num_choices: int = 1,
        generator: torch.Generator | None = None,
    ):
        self.transforms = _check_transforms(transforms)
        if (
            isinstance(num_choices, bool)
            or not isinstance(num_choices, int)
            or not 1 <= num_choices <= len(self.transforms)
        ):
            raise ValueError(
                f"'num_choices' must be an int in [1, {len(self.transforms)}] (got {num_choices!r})"
            )
        check_generator(generator)
        self.num_choices = num_choices
        self.generator = generator

    def forward(self, data: Data) -> Data:
        """Return the input transformed by the randomly chosen transforms (never modified in place)."""
        chosen = randperm(len(self.transforms), self.generator, torch.device("cpu"))[: self.num_choices]
        chosen = chosen.sort().values
        out = copy.copy(data)
        for i in chosen.tolist():
            out = self.transforms[i](out)
        out.aug_choice = chosen
        return out

    def __repr__(self) -> str:
        args = ",\n".join(f"  {t}" for t in self.transforms)
        return f"{self.__class__.__name__}([\n{args}\n], num_choices={self.num_choices})"
