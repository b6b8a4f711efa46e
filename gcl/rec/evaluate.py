"""Full-ranking evaluation of collaborative-filtering models.

Protocol (LightGCN, He et al. 2020, SIGIR; SGL, Wu et al. 2021, SIGIR; SimGCL, Yu et al. 2022, SIGIR):
**full ranking over all items, training (and validation) items masked, users with no test items skipped**.
Every user with at least one test item scores the whole catalog; items the user already interacted with in
the exclusion matrices (training by default; add validation when testing) get ``-inf`` and can never enter
the top K; Recall/Precision/NDCG/HitRate/MRR@K are averaged over the evaluated users (definitions in
:mod:`gcl.rec.metrics`). The returned dict carries this protocol text with the counts filled in.

Speed: users are processed in batches; per batch there is one score call, one vectorized ``index_put_``
masking, one exact top-K (:func:`blocked_topk` on CPU, ``torch.topk`` elsewhere) and a ``searchsorted`` hit
lookup -- no Python loop over users or items. With dot-product scores the matrix product dominates; use
:func:`full_ranking_from_embeddings`, which reuses one score buffer and a contiguous ``item_emb.T``.
Interaction matrices are scipy CSR matrices (``Interactions.csr()``) or anything exposing ``.indptr``/
``.indices`` (users x items), or torch sparse CSR tensors.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from gcl.rec.metrics import ALL_METRICS, RankingMetrics
from gcl.train.cpu_matmul import matmul_into

__all__ = [
    "ScoreFn",
    "blocked_topk",
    "csr_tensors",
    "full_ranking",
    "full_ranking_from_embeddings",
    "gather_csr_rows",
    "masked_topk",
    "recommend_topk",
]

ScoreFn = Callable[[Tensor], Tensor]
_BLOCK = 32  # block width of blocked_topk
_MIN_BLOCKS_PER_K = 4  # use blocked_topk when there are at least this many blocks per wanted item


def csr_tensors(matrix: Any, name: str, device: torch.device | str | None = None) -> tuple[Tensor, Tensor]:
    """``(indptr, indices)`` of a users x items CSR matrix as LongTensors.

    Args:
        matrix: ``scipy.sparse`` CSR matrix/array, any object with ``.indptr``/``.indices``, or a torch sparse
            CSR tensor.
        name: Argument name used in error messages.
        device: Where to put the tensors.

    Returns:
        ``indptr: LongTensor[num_users + 1]``, ``indices: LongTensor[nnz]``.
    """
    if isinstance(matrix, Tensor):
        if matrix.layout != torch.sparse_csr:
            raise ValueError(
                f"{name}: expected a CSR matrix (users x items), got a tensor with layout {matrix.layout}"
            )
        indptr, indices = matrix.crow_indices(), matrix.col_indices()
    elif hasattr(matrix, "indptr") and hasattr(matrix, "indices"):
        fmt = getattr(matrix, "format", "csr")
        if fmt != "csr":
            raise ValueError(f"{name}: expected a CSR matrix (users x items), got format {fmt!r}")
        indptr, indices = (
            torch.from_numpy(np.array(matrix.indptr)),
            torch.from_numpy(np.array(matrix.indices)),
        )
    else:
        raise ValueError(
            f"{name}: expected a users x items CSR matrix with .indptr/.indices (e.g. Interactions.csr()), "
            f"got {type(matrix).__name__}"
        )
    if indptr.dim() != 1 or indptr.numel() < 1 or indices.dim() != 1:
        raise ValueError(f"{name}: malformed CSR matrix (indptr must be 1-D and non-empty, indices 1-D)")
    indptr = indptr.to(device=device, dtype=torch.long)
    indices = indices.to(device=device, dtype=torch.long)
    if int(indptr[-1]) > indices.numel() or (indices.numel() and int(indices.min()) < 0):
        raise ValueError(f"{name}: malformed CSR matrix (indptr[-1] exceeds nnz or negative item ids)")
    return indptr, indices


def gather_csr_rows(indptr: Tensor, indices: Tensor, rows: Tensor) -> tuple[Tensor, Tensor]:
    """Entries of the selected CSR rows in COO form, vectorized (``repeat_interleave``, no per-row loop).

    Args:
        indptr: ``LongTensor[num_rows + 1]``.
        indices: ``LongTensor[nnz]`` column ids.
        rows: ``LongTensor[B]`` rows to gather.

    Returns:
        ``(batch_row, col)``: ``LongTensor[n]`` position of each entry's row within ``rows`` and its column.

    Example:
        >>> indptr, indices = torch.tensor([0, 2, 2, 5]), torch.tensor([4, 7, 0, 1, 2])
        >>> r, c = gather_csr_rows(indptr, indices, torch.tensor([2, 0]))
        >>> r.tolist(), c.tolist()
        ([0, 0, 0, 1, 1], [0, 1, 2, 4, 7])
    """
    start = indptr[rows]
    counts = indptr[rows + 1] - start
    total = int(counts.sum())
    arange = torch.arange(rows.numel(), device=rows.device)
    batch_row = torch.repeat_interleave(arange, counts, output_size=total)
    offsets = counts.cumsum(0) - counts  # exclusive prefix sum: first output slot of each row
    pos = torch.arange(total, device=rows.device) + (start - offsets)[batch_row]
    return batch_row, indices[pos]


def _descending_keys(values: Tensor) -> Tensor:
    """``int64`` keys in ``[0, 2**32)`` whose ascending order is the descending order of float32 values.

    The IEEE-754 bit pattern read as an integer orders non-negative floats; flipping the magnitude bits of
    negative ones makes the map monotone over all non-NaN values (``-inf`` and ``inf`` included).
    """
    bits = values.view(torch.int32).to(torch.int64)
    ascending = torch.where(bits < 0, bits ^ 0x7FFFFFFF, bits)
    return (2**31 - 1) - ascending


def blocked_topk(scores: Tensor, k: int, block: int = 32) -> tuple[Tensor, Tensor]:
    """Exact row-wise top-``k`` through block maxima; faster than ``torch.topk`` on CPU for wide rows.

    Columns are cut into blocks of ``block``. The ``k`` blocks with the largest maxima hold the ``k`` largest
    entries, and the smallest of those ``k`` maxima, ``t``, is a lower bound of the ``k``-th largest entry
    (each of the ``k`` blocks holds an entry ``>= t``). So only the entries ``>= t`` of the ``k`` winning
    blocks (and of the ragged tail, read as one overlapping window) are candidates: about ``k`` per row
    instead of ``k * block``. They are ranked per row with one sort over all rows (row-major ``int64`` keys
    for float32; two stable sorts otherwise) instead of a second ``torch.topk``. Values are identical to
    ``torch.topk`` (ties at ``t`` included); among tied scores the chosen indices may differ, as between any
    two top-k routines. NaN scores fall back to ``torch.topk``, which ranks them first.

    Cost on Gowalla (1,024 x 40,981 scores, k 50, 2 threads): 21 ms per batch against 26 ms for the
    previous two-``topk`` version and 36 ms for ``torch.topk``; block maxima (one read of the scores) and
    the ``topk`` over them are two thirds of it.

    Args:
        scores: ``FloatTensor[B, N]``.
        k: Number of entries, ``k * block <= N``.
        block: Block width.

    Returns:
        ``(values, indices)``, each ``[B, k]``, sorted by decreasing value.

    Example:
        >>> v, i = blocked_topk(torch.tensor([[1.0, 7.0, 3.0, 9.0, 2.0, 8.0, 0.0]]), 2, block=2)
        >>> v.tolist(), i.tolist()
        ([[9.0, 8.0]], [[3, 5]])
    """
    bsz, n = scores.shape
    n_blocks = n // block
    if k > n_blocks:
        raise ValueError(f"k: {k} exceeds the {n_blocks} blocks of width {block} of {n} columns")
    width = n_blocks * block
    has_tail = width < n
    scores = scores.contiguous()
    block_max = scores[:, :width].unflatten(1, (n_blocks, block)).amax(dim=2)  # [B, n_blocks]
    if torch.isnan(block_max).any() or (has_tail and torch.isnan(scores[:, width:]).any()):
        return torch.topk(scores, k, dim=1)
    top_max, best = torch.topk(block_max, k, dim=1, sorted=False)  # [B, k] winning blocks
    threshold = top_max.amin(dim=1, keepdim=True)  # [B, 1] <= the k-th largest score
    starts = best * block  # [B, windows] first column of each candidate window
    if has_tail:  # the last `block` columns; the part overlapping the last full block is excluded below
        starts = torch.cat([starts, starts.new_full((bsz, 1), n - block)], dim=1)
    n_windows = starts.size(1)
    row_offset = torch.arange(bsz, device=scores.device).unsqueeze(1) * n
    windows = scores.view(-1).unfold(0, block, 1)  # [B * N - block + 1, block] view: a window at every offset
    cand = windows.index_select(0, (starts + row_offset).view(-1)).view(bsz, n_windows * block)
    hit = cand >= threshold
    if has_tail:
        hit[:, k * block : k * block + width - (n - block)] = False
    row, col = torch.nonzero(hit, as_tuple=True)  # row-major, at least k per row
    values = cand[row, col]
    if values.dtype == torch.float32:
        order = torch.sort((row << 32) | _descending_keys(values)).indices
    else:
        order = torch.sort(values, descending=True, stable=True).indices
        order = order[torch.sort(row[order], stable=True).indices]  # rows ascending, values descending
    counts = torch.bincount(row, minlength=bsz)
    first = (counts.cumsum(0) - counts).repeat_interleave(counts, output_size=row.numel())
    keep = order[torch.arange(row.numel(), device=scores.device) - first < k]  # the first k of each row
    row, col = row[keep], col[keep]
    items = starts.view(-1)[row * n_windows + torch.div(col, block, rounding_mode="floor")] + col % block
    return values[keep].view(bsz, k), items.view(bsz, k)


def masked_topk(scores: Tensor, k: int) -> Tensor:
    """Ranked top-``k`` item ids of every row; ``-inf`` entries (masked items) come back as padding ``-1``.

    On CPU with a wide catalog this uses :func:`blocked_topk` (same values as ``torch.topk``, about twice as
    fast there); elsewhere ``torch.topk``.

    Args:
        scores: ``FloatTensor[B, num_items]``.
        k: List length, at most ``num_items``.

    Returns:
        ``LongTensor[B, k]`` best first.

    Example:
        >>> masked_topk(torch.tensor([[0.1, float("-inf"), 0.5]]), 3).tolist()
        [[2, 0, -1]]
    """
    if scores.device.type == "cpu" and scores.size(1) >= _BLOCK * _MIN_BLOCKS_PER_K * k:
        values, items = blocked_topk(scores, k, _BLOCK)
    else:
        values, items = torch.topk(scores, k, dim=1, largest=True, sorted=True)
    if torch.isnan(values).any():  # NaN ranks above everything, so checking the top K suffices
        raise ValueError("score_fn: returned NaN scores; check the model (diverged training?)")
    return items.masked_fill_(values == float("-inf"), -1)


@contextlib.contextmanager
def _serial_on_cpu(device: torch.device) -> Iterator[None]:
    """Run the small bookkeeping ops (masking, metrics) on one CPU thread.

    They gain nothing from intra-op parallelism, and on a busy machine every parallel region waits for all of
    its threads to be scheduled: measured on a loaded 2-core VM, the metric updates of a Gowalla evaluation
    took 1.2-6 s with 2 threads and 0.25-0.4 s with 1. The heavy ops (scores, top-K) keep the caller's
    thread setting.
    """
    previous = torch.get_num_threads()
    if device.type != "cpu" or previous == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _protocol(num_items: int, num_users: int, num_skipped: int, train_csr: Any, exclude: Sequence) -> str:
    starts_with_train = len(exclude) > 0 and exclude[0] is train_csr
    if not exclude:
        masked = "no items masked"
    elif starts_with_train and len(exclude) == 1:
        masked = "training items masked"
    elif starts_with_train and len(exclude) == 2:
        masked = "training and validation items masked"
    else:
        masked = f"items of {len(exclude)} exclusion matrices masked"
    return (
        f"full ranking over all {num_items} items, {masked}, users with no test items skipped "
        f"(n={num_skipped}); metrics averaged over {num_users} users"
    )


def _ranked_batches(
    score_fn: ScoreFn,
    users: Tensor,
    exclude: list[tuple[Tensor, Tensor]],
    k: int,
    batch_size: int,
    num_items: int | None,
) -> Iterator[tuple[Tensor, Tensor, int]]:
    """Yield ``(batch_users, topk LongTensor[B, k], num_items)``: score, mask excluded items, rank."""
    if batch_size < 1:
        raise ValueError(f"batch_size: expected a positive number of users, got {batch_size}")
    if k < 1:
        raise ValueError(f"k: expected a positive list length, got {k}")
    first = True
    for start in range(0, users.numel(), batch_size):
        batch = users[start : start + batch_size]
        scores = score_fn(batch)
        if not isinstance(scores, Tensor) or scores.dim() != 2 or scores.size(0) != batch.numel():
            shape = tuple(scores.shape) if isinstance(scores, Tensor) else type(scores).__name__
            raise ValueError(f"score_fn: expected a FloatTensor [{batch.numel()}, num_items], got {shape}")
        if not scores.is_floating_point():
            raise ValueError(f"score_fn: expected floating-point scores, got dtype {scores.dtype}")
        if first:  # settle num_items and the device, validate the exclusion item ids once
            first = False
            num_items = scores.size(1) if num_items is None else num_items
            if k > num_items:
                raise ValueError(f"k: the list length {k} (max(ks)) exceeds the {num_items} items")
            exclude = [(ptr.to(scores.device), idx.to(scores.device)) for ptr, idx in exclude]
            for j, (ptr, idx) in enumerate(exclude):
                if int(ptr[-1]) and int(idx[: int(ptr[-1])].max()) >= num_items:
                    raise ValueError(f"exclude[{j}]: item id {int(idx.max())} >= num_items={num_items}")
        if scores.size(1) != num_items:
            raise ValueError(f"score_fn: returned {scores.size(1)} item columns, expected {num_items}")
        batch = batch.to(scores.device)
        if not scores.is_contiguous():
            scores = scores.contiguous()
        with _serial_on_cpu(scores.device):
            for ptr, idx in exclude:
                row, col = gather_csr_rows(ptr, idx, batch)
                scores.index_put_((row, col), scores.new_tensor(float("-inf")))
        yield batch, masked_topk(scores, k), num_items


@torch.no_grad()
def recommend_topk(
    score_fn: ScoreFn,
    users: Tensor,
    k: int,
    *,
    exclude: Sequence[Any] = (),
    batch_size: int = 4096,
) -> Tensor:
    """Top-``k`` items of the given users, with the items of the ``exclude`` CSR rows masked.

    The ranking step of :func:`full_ranking`, exposed for recommendation export and for tests.

    Args:
        score_fn: ``score_fn(users: LongTensor[B]) -> FloatTensor[B, num_items]`` (masked in place).
        users: ``LongTensor[n]`` user ids.
        k: List length, at most ``num_items``.
        exclude: Users x items CSR matrices whose items must not be recommended (e.g. training).
        batch_size: Users scored per batch.

    Returns:
        ``LongTensor[n, k]`` best first, on the device of the scores; ``-1`` pads rows with fewer than ``k``
        rankable items.

    Example:
        >>> import scipy.sparse as sp
        >>> seen = sp.csr_matrix(([1], ([0], [1])), shape=(1, 3))
        >>> recommend_topk(lambda u: torch.tensor([[0.2, 0.9, 0.5]]), torch.tensor([0]), 2, exclude=(seen,))
        tensor([[2, 0]])
    """
    users = torch.as_tensor(users, dtype=torch.long).view(-1)
    excl = [csr_tensors(m, f"exclude[{i}]", users.device) for i, m in enumerate(exclude)]
    for j, (ptr, _) in enumerate(excl):
        if users.numel() and int(users.max()) >= ptr.numel() - 1:
            raise ValueError(f"users: user id {int(users.max())} >= {ptr.numel() - 1} rows of exclude[{j}]")
    if users.numel() and int(users.min()) < 0:
        raise ValueError("users: user ids must be non-negative")
    parts = [topk for _, topk, _ in _ranked_batches(score_fn, users, excl, int(k), batch_size, None)]
    return torch.cat(parts) if parts else torch.empty(0, int(k), dtype=torch.long, device=users.device)


@torch.no_grad()
def full_ranking(
    score_fn: ScoreFn,
    train_csr: Any,
    test_csr: Any,
    *,
    exclude: Sequence[Any] | None = None,
    ks: Sequence[int] = (10, 20, 50),
    metrics: Sequence[str] | None = None,
    batch_size: int = 4096,
    item_popularity: Tensor | None = None,
    head_share: float = 0.2,
    device: torch.device | str | None = None,
) -> dict[str, Any]:
    """Evaluate a recommender by full ranking over all items.

    For every batch of users with test items: ``scores = score_fn(users)``; the batch's excluded items
    (``exclude`` CSR rows, gathered with ``repeat_interleave``) are set to ``-inf`` in place with one
    ``index_put_``; top ``max(ks)`` (:func:`masked_topk`); hits against the test rows by ``searchsorted``.
    A test item that also appears in an exclusion matrix stays in the user's truth set although it cannot be
    retrieved (as in LightGCN's code); the standard splits are disjoint, so this does not arise there.

    Args:
        score_fn: ``score_fn(users: LongTensor[B]) -> FloatTensor[B, num_items]``, e.g.
            ``lambda u: user_emb[u] @ item_emb_t`` with ``item_emb_t = item_emb.T.contiguous()``. The returned
            tensor is masked **in place**, so return a fresh tensor (or a buffer you own).
        train_csr: Training interactions, users x items CSR. Default exclusion set and source of the item
            popularity used by the beyond-accuracy metrics.
        test_csr: Held-out interactions to retrieve, users x items CSR (same number of users).
        exclude: CSR matrices whose items are masked for each user; default ``(train_csr,)``. Pass
            ``(train_csr, valid_csr)`` when evaluating on test after validating, ``()`` to mask nothing.
        ks: Cut-offs; ``max(ks)`` must not exceed ``num_items``.
        metrics: Metric names (see :data:`gcl.rec.metrics.ALL_METRICS`); default all of them.
        batch_size: Users scored per batch (memory ``batch_size * num_items`` floats).
        item_popularity: ``Tensor[num_items]``; default: interaction counts of ``train_csr``.
        head_share: Head size for ``long_tail_share``.
        device: Device of the user-index tensors given to ``score_fn`` (default CPU); the CSR data follows the
            device of the returned scores.

    Returns:
        ``{"recall@20": float, ..., "num_users": int, "num_skipped_users": int, "protocol": str}``.

    Example:
        >>> import scipy.sparse as sp
        >>> train = sp.csr_matrix(([1, 1], ([0, 1], [0, 1])), shape=(2, 4))
        >>> test = sp.csr_matrix(([1], ([0], [2])), shape=(2, 4))
        >>> scores = torch.tensor([[9.0, 1.0, 3.0, 2.0], [0.0, 0.0, 0.0, 0.0]])
        >>> out = full_ranking(lambda u: scores[u], train, test, ks=(1,), metrics=("recall",))
        >>> out["recall@1"], out["num_users"], out["num_skipped_users"]
        (1.0, 1, 1)
    """
    ks = tuple(int(k) for k in ks)
    if not ks or min(ks) < 1:
        raise ValueError(f"ks: expected positive cut-offs, got {ks}")
    metrics = ALL_METRICS if metrics is None else tuple(metrics)
    exclude = (train_csr,) if exclude is None else tuple(exclude)
    device = torch.device("cpu") if device is None else torch.device(device)

    train_ptr, train_idx = csr_tensors(train_csr, "train_csr", device)
    test_ptr, test_idx = csr_tensors(test_csr, "test_csr", device)
    excl = [csr_tensors(m, f"exclude[{i}]", device) for i, m in enumerate(exclude)]
    num_users = test_ptr.numel() - 1
    for name, ptr in [("train_csr", train_ptr)] + [(f"exclude[{i}]", p) for i, (p, _) in enumerate(excl)]:
        if ptr.numel() - 1 != num_users:
            raise ValueError(f"{name}: has {ptr.numel() - 1} users, test_csr has {num_users}; expected equal")
    shapes = [getattr(m, "shape", None) for m in (train_csr, test_csr)]
    num_items = next((int(s[1]) for s in shapes if s is not None and len(s) == 2), None)
    eval_users = torch.nonzero(test_ptr[1:] > test_ptr[:-1]).view(-1)
    num_skipped = num_users - eval_users.numel()
    if eval_users.numel() == 0:
        raise ValueError("test_csr: no user has a test item; nothing to evaluate")

    meter: RankingMetrics | None = None
    for users, topk, n_items in _ranked_batches(score_fn, eval_users, excl, max(ks), batch_size, num_items):
        if meter is None:  # first batch: num_items is settled; validate ids, build the meter
            num_items = n_items
            test_ptr, test_idx = test_ptr.to(users.device), test_idx.to(users.device)
            for name, ptr, idx in [("train_csr", train_ptr, train_idx), ("test_csr", test_ptr, test_idx)]:
                if int(ptr[-1]) and int(idx[: int(ptr[-1])].max()) >= num_items:
                    raise ValueError(f"{name}: item id {int(idx.max())} >= num_items={num_items}")
            if item_popularity is None:
                item_popularity = torch.bincount(train_idx[: int(train_ptr[-1])], minlength=num_items)
            meter = RankingMetrics(
                ks, metrics, num_items=num_items, item_popularity=item_popularity, head_share=head_share
            )
        with _serial_on_cpu(topk.device):
            meter.update(topk, gather_csr_rows(test_ptr, test_idx, users))

    assert meter is not None and num_items is not None
    result: dict[str, Any] = meter.compute()
    result["num_skipped_users"] = num_skipped
    result["protocol"] = _protocol(num_items, meter.num_users, num_skipped, train_csr, exclude)
    return result


@torch.no_grad()
def full_ranking_from_embeddings(
    user_emb: Tensor,
    item_emb: Tensor,
    train_csr: Any,
    test_csr: Any,
    *,
    batch_size: int = 4096,
    **kwargs: Any,
) -> dict[str, Any]:
    """:func:`full_ranking` with dot-product scores ``user_emb[u] @ item_emb.T`` (MF, LightGCN, SimGCL ...).

    Scores are written into one reused buffer against a contiguous ``item_emb.T``, which avoids
    re-allocating a ``batch_size x num_items`` matrix per batch; on CPU the product goes through NumPy's BLAS
    (:func:`gcl.train.cpu_matmul.matmul_into`, about twice as fast as ``torch.mm`` on AMD processors).

    Args:
        user_emb: ``FloatTensor[num_users, d]``.
        item_emb: ``FloatTensor[num_items, d]`` on the same device.
        train_csr: See :func:`full_ranking`.
        test_csr: See :func:`full_ranking`.
        batch_size: Users per batch.
        **kwargs: Forwarded to :func:`full_ranking` (``exclude``, ``ks``, ``metrics`` ...).

    Example:
        >>> import scipy.sparse as sp
        >>> train = sp.csr_matrix(([1], ([0], [0])), shape=(1, 3))
        >>> test = sp.csr_matrix(([1], ([0], [2])), shape=(1, 3))
        >>> u, i = torch.tensor([[1.0]]), torch.tensor([[3.0], [1.0], [2.0]])
        >>> full_ranking_from_embeddings(u, i, train, test, ks=(1,), metrics=("ndcg",))["ndcg@1"]
        1.0
    """
    if user_emb.dim() != 2 or item_emb.dim() != 2 or user_emb.size(1) != item_emb.size(1):
        raise ValueError(
            f"user_emb, item_emb: expected [num_users, d] and [num_items, d], got {tuple(user_emb.shape)} "
            f"and {tuple(item_emb.shape)}"
        )
    if user_emb.device != item_emb.device:
        raise ValueError(f"item_emb: on {item_emb.device}, expected user_emb's device {user_emb.device}")
    dtype = torch.promote_types(user_emb.dtype, item_emb.dtype)
    item_t = item_emb.detach().to(dtype).T.contiguous()  # [d, num_items]; row-major B operand is fastest
    user_emb = user_emb.detach().to(dtype)
    rows = min(batch_size, user_emb.size(0))
    buffer = torch.empty(rows, item_emb.size(0), dtype=dtype, device=user_emb.device)

    def score_fn(users: Tensor) -> Tensor:
        return matmul_into(user_emb[users], item_t, buffer[: users.numel()])

    return full_ranking(
        score_fn, train_csr, test_csr, batch_size=batch_size, device=user_emb.device, **kwargs
    )
