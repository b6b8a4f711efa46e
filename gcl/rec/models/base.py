"""The recommender contract shared by every collaborative-filtering model of :mod:`gcl.rec`.

Modelled on RecBole's ``GeneralRecommender`` (Zhao et al. 2021, CIKM): a model owns its user and item
embedding tables and exposes

* ``calculate_loss(users, pos, neg) -> Tensor`` -- the total training loss of one BPR mini-batch; the
  individual terms (``bpr``, ``reg``, ``cl`` ...) are left in :attr:`Recommender.loss_terms` (detached) for
  logging;
* ``embeddings() -> (user_emb [U, D], item_emb [I, D])`` -- the final representations used for ranking
  (no noise, no augmentation);
* ``full_sort_predict(users) -> [B, I]`` -- scores of every item for a batch of users;
* ``on_epoch_start(epoch)`` -- a hook the trainer calls before each epoch (SGL resamples its views, NCL
  re-clusters).

All tables are initialized with Xavier-uniform, as LightGCN, SGL, SimGCL and XSimGCL reference codes do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import scipy.sparse as sp
import torch
from torch import Tensor, nn

from gcl.data.interactions import Interactions
from gcl.losses import all_keys_info_nce, bpr_loss, in_batch_info_nce, l2_reg

__all__ = ["Recommender", "TrainSet", "cross_view_info_nce"]

TrainSet = Interactions | sp.spmatrix | sp.sparray


def _shape_of(train: TrainSet) -> tuple[int, int]:
    if isinstance(train, Interactions):
        return train.num_users, train.num_items
    if sp.issparse(train) and train.ndim == 2:
        return int(train.shape[0]), int(train.shape[1])
    raise ValueError(
        f"train: expected an Interactions or a users x items scipy sparse matrix, got {type(train).__name__}"
    )


def _check_positive_int(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name}: expected an int >= 1, got {value!r}")
    return value


def _check_nonnegative(name: str, value: float) -> float:
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and value == value
    if not ok or value < 0 or value == float("inf"):
        raise ValueError(f"{name}: expected a finite number >= 0, got {value!r}")
    return float(value)


def _check_positive(name: str, value: float) -> float:
    if _check_nonnegative(name, value) <= 0:
        raise ValueError(f"{name}: expected a finite number > 0, got {value!r}")
    return float(value)


def cross_view_info_nce(
    view_a: Tensor,
    view_b: Tensor,
    users: Tensor,
    items: Tensor,
    num_users: int,
    tau: float,
    negatives: str = "batch",
    *,
    offsets: tuple[Tensor, Tensor] | None = None,
    nodes: Tensor | None = None,
) -> Tensor:
    """In-batch InfoNCE between two views of the batch's distinct users plus the same for its distinct items.

    The contrastive term of SimGCL and XSimGCL as in SELFRec (Yu et al. 2022 SIGIR, 2023 TKDE) and of SGL's
    ``both_side`` mode (Wu et al. 2021, SIGIR): anchors are the *unique* users and the unique positive items
    of the batch, the positive is the same node in the other view and the other unique nodes of the same kind
    are the negatives (:func:`gcl.losses.in_batch_info_nce`, cosine similarity, a mean over anchors per side).
    Returns ``user_term + item_term``. Rows are gathered once from each node table (one backward scatter).

    Args:
        view_a: First view of all nodes ``[U + I, D]`` (users first).
        view_b: Second view ``[U + I, D]``.
        users: Batch users ``LongTensor [B]`` (duplicates allowed).
        items: Batch positive items ``LongTensor [B]`` (item ids, not node ids).
        num_users: ``U``.
        tau: Temperature ``> 0``.
        negatives: ``"batch"`` (the other unique batch nodes of the same kind, SELFRec) or ``"all"`` (every
            node of that kind in ``view_b``, SGL's reference code; :func:`gcl.losses.all_keys_info_nce`).
        offsets: Constant ``[U + I, D]`` tensors added to ``view_a`` and ``view_b`` (SimGCL's noise offsets,
            batch negatives only); only the gathered rows are added, and a shared ``view_a is view_b`` is
            gathered once.
        nodes: Sorted distinct node ids ``LongTensor [R]`` when the views (and offsets) hold only these rows,
            ``[R, D]`` (batch negatives only); they must include the batch's users and positive items.

    Example:
        >>> nodes = torch.eye(4)  # 2 users, 2 items; identical views
        >>> loss = cross_view_info_nce(nodes, nodes, torch.tensor([0, 1]), torch.tensor([1, 1]), 2, tau=1.0)
        >>> round(loss.item(), 4)  # users: -log(e / (e + 1)); a single item: -log 1 = 0
        0.3133
    """
    u = torch.unique(users)
    idx = torch.cat([u, torch.unique(items) + num_users])
    if nodes is not None:
        if negatives != "batch":
            raise ValueError("nodes: only supported with negatives='batch'")
        idx = torch.searchsorted(nodes, idx)
    a = view_a[idx]
    n = u.numel()
    if offsets is not None:
        if negatives != "batch":
            raise ValueError("offsets: only supported with negatives='batch'")
        b = a if view_b is view_a else view_b[idx]
        a, b = a + offsets[0][idx], b + offsets[1][idx]
        return in_batch_info_nce(a[:n], b[:n], tau) + in_batch_info_nce(a[n:], b[n:], tau)
    if negatives == "all":
        keys_u, keys_i = view_b[:num_users], view_b[num_users:]
        return all_keys_info_nce(a[:n], keys_u, u, tau) + all_keys_info_nce(
            a[n:], keys_i, idx[n:] - num_users, tau
        )
    if negatives != "batch":
        raise ValueError(f"negatives: expected 'batch' or 'all', got {negatives!r}")
    b = view_b[idx]
    return in_batch_info_nce(a[:n], b[:n], tau) + in_batch_info_nce(a[n:], b[n:], tau)


class Recommender(nn.Module):
    """Base class: user/item embedding tables, BPR + L2 loss helpers, cached full-sort scoring.

    Args:
        train: Training interactions (or a users x items scipy sparse matrix); fixes ``num_users`` and
            ``num_items``. Graph models also build their adjacency from it.
        embedding_dim: ``D`` (64 in LightGCN, SGL, SimGCL, XSimGCL, NCL).
        reg_weight: Weight of the embedding L2 term ``reg_weight / 2 * sum ||e0||^2 / B`` over the batch's ego
            (layer-0) user, positive and negative embeddings -- LightGCN-PyTorch's ``weight_decay * reg_loss``
            (He et al. 2020), default 1e-4 as LightGCN and SELFRec.

    Attributes:
        loss_terms: Detached terms of the last :meth:`calculate_loss` call, e.g. ``{"bpr": ..., "reg": ...}``.
    """

    def __init__(self, train: TrainSet, embedding_dim: int = 64, reg_weight: float = 1e-4) -> None:
        super().__init__()
        self.num_users, self.num_items = _shape_of(train)
        if self.num_users < 1 or self.num_items < 1:
            raise ValueError(
                f"train: expected at least one user and one item, got {self.num_users} x {self.num_items}"
            )
        self.embedding_dim = _check_positive_int("embedding_dim", embedding_dim)
        self.reg_weight = _check_nonnegative("reg_weight", reg_weight)
        self.embedding = nn.Parameter(torch.empty(self.num_users + self.num_items, self.embedding_dim))
        with torch.no_grad():  # Xavier per table, as separate user and item tables would get
            nn.init.xavier_uniform_(self.embedding[: self.num_users])
            nn.init.xavier_uniform_(self.embedding[self.num_users :])
        self.loss_terms: dict[str, Tensor] = {}
        self._score_cache: tuple[Tensor, Tensor] | None = None

    # ------------------------------------------------------------------ contract
    def embeddings(self) -> tuple[Tensor, Tensor]:
        """Final user ``[U, D]`` and item ``[I, D]`` embeddings for ranking (no noise, no augmentation)."""
        raise NotImplementedError

    def calculate_loss(self, users: Tensor, pos: Tensor, neg: Tensor) -> Tensor:
        """Total loss of a mini-batch of BPR triples ``LongTensor [B]`` each; fills :attr:`loss_terms`."""
        raise NotImplementedError

    def on_epoch_start(self, epoch: int) -> None:
        """Hook called by the trainer before epoch ``epoch`` (0-based). Default: nothing."""

    # ------------------------------------------------------------------ shared pieces
    @property
    def user_embedding(self) -> Tensor:
        """The user rows ``[U, D]`` of :attr:`embedding` (a view)."""
        return self.embedding[: self.num_users]

    @property
    def item_embedding(self) -> Tensor:
        """The item rows ``[I, D]`` of :attr:`embedding` (a view)."""
        return self.embedding[self.num_users :]

    def ego_embeddings(self) -> Tensor:
        """Layer-0 embeddings of all nodes ``[U + I, D]``, users first (the parameter itself)."""
        return self.embedding

    def batch_nodes(self, users: Tensor, pos: Tensor, neg: Tensor) -> tuple[Tensor, Tensor]:
        """The distinct nodes of a batch and where each triple's nodes sit among them.

        Returns:
            ``(nodes, positions)``: sorted distinct node ids ``LongTensor [R]`` (users, then ``U + item``)
            and ``LongTensor [3B]`` with ``nodes[positions] == cat([users, U + pos, U + neg])``.
        """
        ids = torch.cat([users, pos + self.num_users, neg + self.num_users])
        nodes, positions = torch.unique(ids, return_inverse=True)
        return nodes, positions

    def batch_rows(
        self, nodes: Tensor, users: Tensor, pos: Tensor, neg: Tensor, *, positions: Tensor | None = None
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Rows of a node table for the batch's users, positive and negative items, gathered at once.

        One gather means one scatter in backward, instead of one zero-filled ``[U + I, D]`` gradient per
        index plus their sum. ``nodes`` is ``[U + I, D]``, or ``[R, D]`` over the batch's distinct nodes
        with ``positions`` from :meth:`batch_nodes`.
        """
        b = users.numel()
        if positions is None:
            positions = torch.cat([users, pos + self.num_users, neg + self.num_users])
        rows = nodes[positions]
        return rows[:b], rows[b : 2 * b], rows[2 * b :]

    def split(self, nodes: Tensor) -> tuple[Tensor, Tensor]:
        """Split a node tensor ``[U + I, ...]`` into its user and item parts."""
        return nodes[: self.num_users], nodes[self.num_users :]

    def reg_loss(self, users: Tensor, pos: Tensor, neg: Tensor) -> Tensor:
        """``reg_weight / 2 * (||u0||^2 + ||p0||^2 + ||n0||^2) / B`` on the batch's ego embeddings."""
        ego = self.embedding[torch.cat([users, pos + self.num_users, neg + self.num_users])]
        return 0.5 * self.reg_weight * l2_reg(ego, batch_size=int(users.numel()))

    def bpr_terms(
        self, nodes: Tensor, users: Tensor, pos: Tensor, neg: Tensor, *, positions: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        """``(bpr, reg)`` for the batch, scoring by dot products of the node table ``nodes``.

        ``nodes`` is ``[U + I, D]``, or ``[R, D]`` over the batch's distinct nodes with ``positions`` from
        :meth:`batch_nodes`.
        """
        u, p, n = self.batch_rows(nodes, users, pos, neg, positions=positions)
        return bpr_loss((u * p).sum(dim=1), (u * n).sum(dim=1)), self.reg_loss(users, pos, neg)

    def _begin_loss(self, users: Tensor, pos: Tensor, neg: Tensor | None = None) -> None:
        """Validate a batch (shapes and dtypes only: no device sync), clear cached scores and loss terms."""
        self._score_cache = None
        self.loss_terms = {}
        for name, t in (("users", users), ("pos", pos), ("neg", neg)):
            if t is None:
                continue
            if not isinstance(t, Tensor) or t.dim() != 1 or t.dtype != torch.long:
                shape = tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__
                raise ValueError(f"{name}: expected a 1-D LongTensor [B], got {shape}")
            if t.shape != users.shape or t.numel() == 0:
                raise ValueError(f"{name}: expected {users.numel()} > 0 entries like users, got {t.numel()}")

    # ------------------------------------------------------------------ scoring
    def train(self, mode: bool = True) -> Recommender:
        """Switch mode; drops the cached ranking embeddings."""
        self._score_cache = None
        return super().train(mode)

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ) -> Any:
        """Load parameters (``nn.Module.load_state_dict``); drops the cached ranking embeddings."""
        self._score_cache = None
        return super().load_state_dict(state_dict, strict=strict, assign=assign)

    def full_sort_predict(self, users: Tensor) -> Tensor:
        """Scores of all items for ``users`` ``LongTensor [B]`` -> ``FloatTensor [B, I]`` (dot products).

        In eval mode the final embeddings are computed once and cached until the next :meth:`train` call,
        ``calculate_loss`` or ``load_state_dict``; in training mode they are recomputed on every call.
        """
        with torch.no_grad():
            if self._score_cache is None or self.training:
                user_emb, item_emb = self.embeddings()
                cache = (user_emb.detach(), item_emb.detach().t().contiguous())
                if not self.training:
                    self._score_cache = cache
            else:
                cache = self._score_cache
            user_emb, item_t = cache
            return user_emb[users.to(user_emb.device)] @ item_t

    def extra_repr(self) -> str:  # noqa: D102
        return f"users={self.num_users}, items={self.num_items}, dim={self.embedding_dim}"
