"""Vectorized BPR triple sampling: (user, positive item, negative item) mini-batches for one epoch.

Rendle et al. 2009, "BPR: Bayesian Personalized Ranking from Implicit Feedback" (UAI), with the epoch
definition of LightGCN / SGL / SimGCL reference codes (SELFRec's ``next_batch_pairwise``): every distinct
training pair is visited once per epoch in a random order, and each gets one negative drawn uniformly among
the items the user has *not* interacted with in training.

The draw is vectorized over the whole epoch: all negatives are drawn at once, the ones that hit a training
positive of their user are found with one ``torch.searchsorted`` over the sorted keys ``user * I + item`` and
re-drawn, in rounds, until none is left (the expected number of rounds is small: a user with a fraction ``d``
of the catalog keeps a collision with probability ``d`` per round). No Python loop over users, items or pairs.
"""

from __future__ import annotations

from collections.abc import Iterator

import scipy.sparse as sp
import torch
from torch import Tensor

from gcl.data.interactions import Interactions
from gcl.rec.graph import bipartite_graph

__all__ = ["BPRSampler", "is_positive"]

#: Rounds of re-drawing after which :class:`BPRSampler` gives up (practically unreachable unless a user has
#: almost every item; such users are rejected up front).
MAX_ROUNDS: int = 10_000


def is_positive(sorted_keys: Tensor, users: Tensor, items: Tensor, num_items: int) -> Tensor:
    """Whether each ``(users[k], items[k])`` is a training pair, by binary search over sorted pair keys.

    Args:
        sorted_keys: ``LongTensor [E]`` ascending keys ``user * num_items + item`` of the training pairs.
        users: ``LongTensor [n]``.
        items: ``LongTensor [n]``.
        num_items: ``I``.

    Returns:
        ``BoolTensor [n]``.

    Example:
        >>> keys = torch.tensor([0 * 3 + 1, 1 * 3 + 0])  # pairs (0, 1) and (1, 0) with 3 items
        >>> is_positive(keys, torch.tensor([0, 0, 1]), torch.tensor([1, 2, 0]), 3).tolist()
        [True, False, True]
    """
    query = users * num_items + items
    if sorted_keys.numel() == 0:
        return torch.zeros_like(query, dtype=torch.bool)
    pos = torch.searchsorted(sorted_keys, query).clamp_max_(sorted_keys.numel() - 1)
    return sorted_keys[pos] == query


class BPRSampler:
    """Epochs of shuffled ``(users, pos_items, neg_items)`` mini-batches with exact negative exclusion.

    Iterating the sampler yields one epoch; every iteration draws a new order and new negatives from
    ``generator``, so two samplers built with equally seeded generators yield identical epochs.

    Args:
        train: Training interactions (or a users x items scipy sparse matrix); repeated pairs count once.
        batch_size: Triples per batch (SELFRec / SimGCL: 2048).
        generator: CPU ``torch.Generator`` for the order and the negatives (default: a fresh unseeded one,
            seeded from the global torch RNG).
        drop_last: Drop the last, smaller batch.
        device: Where the yielded tensors live (sampling itself runs on the CPU).

    Raises:
        ValueError: ``batch_size < 1``, no training pairs, or a user who interacted with every item (no
            negative exists; the message gives the count and the first such users).

    Example:
        >>> inter = Interactions(user=[0, 0, 1], item=[0, 1, 2])
        >>> sampler = BPRSampler(inter, batch_size=2, generator=torch.Generator().manual_seed(0))
        >>> len(sampler), [tuple(b[0].shape) for b in sampler]
        (2, [(2,), (1,)])
    """

    def __init__(
        self,
        train: Interactions | sp.spmatrix | sp.sparray,
        batch_size: int = 2048,
        *,
        generator: torch.Generator | None = None,
        drop_last: bool = False,
        device: torch.device | str | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size: expected an int >= 1, got {batch_size!r}")
        if generator is not None and not isinstance(generator, torch.Generator):
            raise ValueError(f"generator: expected a torch.Generator or None, got {type(generator).__name__}")
        graph = bipartite_graph(train)
        if graph.num_edges == 0:
            raise ValueError("train: has no interactions; nothing to sample")
        degree = torch.bincount(graph.user, minlength=graph.num_users)
        full = torch.nonzero(degree >= graph.num_items).view(-1)
        if full.numel():
            raise ValueError(
                f"train: {full.numel()} user(s) interacted with all {graph.num_items} items, so no negative "
                f"item exists for them (first: {full[:10].tolist()}); remove them before BPR training"
            )
        self.num_users = graph.num_users
        self.num_items = graph.num_items
        self.users = graph.user
        self.items = graph.item
        self.sorted_keys = graph.user * graph.num_items + graph.item  # CSR order is sorted by (user, item)
        self.batch_size = batch_size
        self.drop_last = bool(drop_last)
        self.device = None if device is None else torch.device(device)
        if generator is None:
            generator = torch.Generator().manual_seed(int(torch.randint(0, 2**62, (1,)).item()))
        self.generator = generator
        self.last_rounds = 0

    @property
    def num_pairs(self) -> int:
        """Distinct training pairs (triples per epoch)."""
        return int(self.users.numel())

    def __len__(self) -> int:
        full, rest = divmod(self.num_pairs, self.batch_size)
        return full + (0 if self.drop_last or rest == 0 else 1)

    def sample_negatives(self, users: Tensor) -> Tensor:
        """One uniform non-positive item per user, re-drawn in vectorized rounds until none is a positive.

        Args:
            users: ``LongTensor [n]`` (CPU).

        Returns:
            ``LongTensor [n]`` items, none of them a training positive of its user.
        """
        neg = torch.randint(0, self.num_items, users.shape, generator=self.generator)
        todo = torch.nonzero(is_positive(self.sorted_keys, users, neg, self.num_items)).view(-1)
        rounds = 0
        while todo.numel():
            rounds += 1
            if rounds > MAX_ROUNDS:  # pragma: no cover - users with all items are rejected in __init__
                raise RuntimeError(f"negative sampling did not finish after {MAX_ROUNDS} rounds")
            redraw = torch.randint(0, self.num_items, todo.shape, generator=self.generator)
            neg[todo] = redraw
            hit = is_positive(self.sorted_keys, users[todo], redraw, self.num_items)
            todo = todo[hit]
        self.last_rounds = rounds
        return neg

    def sample_epoch(self) -> tuple[Tensor, Tensor, Tensor]:
        """All triples of one epoch, shuffled: ``(users, pos, neg)``, each ``LongTensor [E]`` on the CPU."""
        order = torch.randperm(self.num_pairs, generator=self.generator)
        users, pos = self.users[order], self.items[order]
        return users, pos, self.sample_negatives(users)

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor, Tensor]]:
        users, pos, neg = self.sample_epoch()
        if self.device is not None:
            users, pos, neg = users.to(self.device), pos.to(self.device), neg.to(self.device)
        stop = len(self) * self.batch_size
        for start in range(0, min(stop, self.num_pairs), self.batch_size):
            end = start + self.batch_size
            yield users[start:end], pos[start:end], neg[start:end]
