"""Sequence augmentations for contrastive sequential recommendation.

* :func:`crop`, :func:`mask`, :func:`reorder` -- CL4SRec (Xie et al. 2022, "Contrastive Learning for
  Sequential Recommendation", ICDE).
* :func:`substitute`, :func:`insert` with correlated items from :func:`item_similarity_topk` -- CoSeRec
  (Liu et al. 2021, "Contrastive Self-supervised Sequential Recommendation with Robust Augmentation", arXiv
  2108.06479).

Every function works on a whole padded batch at once (no Python loop over sequences): ``seq`` is a
``LongTensor [B, L]`` with the items of each sequence **right-aligned and 0-padded on the left** (the layout
of :class:`gcl.seq.data.SequenceData` and of the ICLRec/CoSeRec reference codes), ``lengths`` is ``[B]``, the
number of real items per row. Each returns ``(augmented [B, L], new_lengths [B])`` in the same layout, draws
its randomness from an explicit ``torch.Generator`` (or the global RNG when ``generator=None``), is a no-op
when ``training=False`` and raises :class:`ValueError` for rates outside ``[0, 1]``.

Counts follow the papers: ``floor(rate * n)`` items for mask and reorder (CL4SRec), ``max(1, floor(rate *
n))`` for crop (the cropped length), substitute and insert (CoSeRec); subsequence starts are uniform over all
valid offsets. Note the rate semantics: ``eta`` of :func:`crop` is the fraction *kept* (identity at
``eta=1``), the other rates are fractions *changed* (identity at 0).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from torch import Tensor

from gcl.augment._validate import check_generator, check_probability, rand

__all__ = ["crop", "insert", "item_similarity_topk", "mask", "reorder", "substitute"]


# ---------------------------------------------------------------------------------------------- helpers
def _check_batch(seq: object, lengths: object) -> tuple[Tensor, Tensor]:
    """Validate a left-padded batch; return ``(seq, lengths)``, ``lengths`` as long on ``seq``'s device."""
    if not isinstance(seq, Tensor) or seq.dim() != 2:
        shape = tuple(seq.shape) if isinstance(seq, Tensor) else type(seq).__name__
        raise ValueError(f"'seq' must be a 2-D LongTensor [B, L] of item ids, got {shape}")
    if seq.is_floating_point() or seq.is_complex() or seq.dtype == torch.bool:
        raise ValueError(f"'seq' must hold integer item ids, got dtype {seq.dtype}")
    if not isinstance(lengths, Tensor):
        lengths = torch.as_tensor(lengths)
    if lengths.dim() != 1 or lengths.numel() != seq.size(0):
        raise ValueError(
            f"'lengths' must have shape [{seq.size(0)}] (one per row of seq), got {tuple(lengths.shape)}"
        )
    if lengths.is_floating_point() or lengths.dtype == torch.bool:
        raise ValueError(f"'lengths' must be integers, got dtype {lengths.dtype}")
    lengths = lengths.to(device=seq.device, dtype=torch.long)
    width = seq.size(1)
    if lengths.numel() and (int(lengths.min()) < 0 or int(lengths.max()) > width):
        raise ValueError(
            f"'lengths' must lie in [0, {width}] (the width of seq), got {lengths.tolist()[:10]}"
        )
    pad = ~_real_mask(lengths, width)
    if bool((seq.masked_fill(~pad, 0) != 0).any()):
        raise ValueError(
            "'seq' must be left-padded: the first L - lengths[b] entries of row b must be 0 (padding) and "
            "the items right-aligned; got non-zero ids in the padding region (right-padded input or wrong "
            "lengths?)"
        )
    return seq, lengths


def _real_mask(lengths: Tensor, width: int) -> Tensor:
    """``BoolTensor [B, L]``: True on the right-aligned real items."""
    cols = torch.arange(width, device=lengths.device)
    return cols.unsqueeze(0) >= (width - lengths).unsqueeze(1)


def _uniform_int(high: Tensor, generator: torch.Generator | None) -> Tensor:
    """One uniform integer in ``[0, high[b])`` per row (``0`` where ``high[b] <= 0``)."""
    u = rand(high.numel(), generator, high.device, dtype=torch.float64)
    return torch.minimum((u * high.clamp(min=1)).long(), (high - 1).clamp(min=0))


def _choose(real: Tensor, counts: Tensor, generator: torch.Generator | None) -> Tensor:
    """``BoolTensor [B, L]`` marking ``counts[b]`` distinct real positions of row b, uniformly at random."""
    keys = rand(tuple(real.shape), generator, real.device)
    keys = keys.masked_fill(~real, 2.0)  # padding sorts last, so it is never chosen (counts <= lengths)
    rank = keys.argsort(dim=1, stable=True).argsort(dim=1)
    return rank < counts.unsqueeze(1)


def _counts(lengths: Tensor, rate: float, at_least_one: bool) -> Tensor:
    """``floor(rate * n)`` per row (``max(1, .)`` if ``at_least_one``), never more than ``n``."""
    n = torch.floor(lengths.to(torch.float64) * rate).long()
    if at_least_one:
        n = n.clamp(min=1)
    return torch.minimum(n, lengths)


def _check_similar(similar_items: object, seq: Tensor, lengths: Tensor) -> Tensor:
    if not isinstance(similar_items, Tensor) or similar_items.dim() != 2 or similar_items.size(1) < 1:
        shape = (
            tuple(similar_items.shape) if isinstance(similar_items, Tensor) else type(similar_items).__name__
        )
        raise ValueError(
            f"'similar_items' must be a LongTensor [num_items + 1, k >= 1] (row i: items similar to item i), "
            f"got {shape}; build it with item_similarity_topk"
        )
    if similar_items.is_floating_point() or similar_items.dtype == torch.bool:
        raise ValueError(f"'similar_items' must hold integer item ids, got dtype {similar_items.dtype}")
    real = _real_mask(lengths, seq.size(1))
    if seq.numel() and bool(real.any()):
        top = int(seq[real].max())
        if top >= similar_items.size(0) or int(seq[real].min()) < 0:
            raise ValueError(
                f"'seq' holds item id {top}, but 'similar_items' only has rows 0..{similar_items.size(0) - 1}"
            )
    return similar_items.to(seq.device)


def _pick_similar(items: Tensor, similar_items: Tensor, generator: torch.Generator | None) -> Tensor:
    """One of the ``k`` listed neighbours of every entry of ``items`` (uniformly), same shape."""
    k = similar_items.size(1)
    col = (rand(tuple(items.shape), generator, items.device, dtype=torch.float64) * k).long().clamp(max=k - 1)
    return similar_items[items, col]


# ---------------------------------------------------------------------------------------------- CL4SRec
def crop(
    seq: Tensor,
    lengths: Tensor,
    eta: float = 0.6,
    *,
    training: bool = True,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Keep a random contiguous subsequence of ``max(1, floor(eta * n))`` items (CL4SRec "item crop").

    Xie et al. 2022 (ICDE), Eq. 3. The start is uniform over the ``n - n' + 1`` valid offsets; the kept
    items stay in order and are right-aligned again. Empty rows stay empty.

    Args:
        seq: Left-padded item ids ``LongTensor [B, L]``.
        lengths: Real items per row ``[B]``.
        eta: Fraction of the sequence that is kept, in ``[0, 1]`` (``1``: identity).
        training: If ``False``, return the inputs unchanged.
        generator: Optional random generator; the global RNG when ``None``.

    Returns:
        ``(cropped [B, L], new_lengths [B])``.

    Example:
        >>> seq = torch.tensor([[0, 1, 2, 3, 4], [0, 0, 0, 5, 6]])
        >>> out, n = crop(seq, torch.tensor([4, 2]), 0.5, generator=torch.Generator().manual_seed(0))
        >>> n.tolist()
        [2, 1]
    """
    eta = check_probability(eta, "eta")
    check_generator(generator)
    seq, lengths = _check_batch(seq, lengths)
    if not training or eta == 1.0 or seq.numel() == 0:
        return seq, lengths
    width = seq.size(1)
    keep = torch.where(lengths > 0, _counts(lengths, eta, at_least_one=True), 0)
    begin = _uniform_int(lengths - keep + 1, generator)
    cols = torch.arange(width, device=seq.device).unsqueeze(0)
    j = cols - (width - keep).unsqueeze(1)  # index within the kept window
    src = (width - lengths + begin).unsqueeze(1) + j
    out = seq.gather(1, src.clamp(0, width - 1)).masked_fill(j < 0, 0)
    return out, keep


def mask(
    seq: Tensor,
    lengths: Tensor,
    gamma: float = 0.3,
    mask_token: int = 0,
    *,
    training: bool = True,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Replace ``floor(gamma * n)`` random items by ``mask_token`` (CL4SRec "item mask").

    Xie et al. 2022 (ICDE), Eq. 4; the positions are drawn without replacement among the real items only,
    so padding is never touched and lengths do not change. Models give the mask its own embedding row
    (:class:`gcl.seq.encoder.SASRecEncoder` uses ``num_items + 1``).

    Args:
        seq: Left-padded item ids ``LongTensor [B, L]``.
        lengths: Real items per row ``[B]``.
        gamma: Fraction of items masked, in ``[0, 1]``.
        mask_token: Id written at masked positions. ``0`` reproduces ICLRec/CoSeRec, which mask with the
            padding id; use a dedicated id (``num_items + 1``) as RecBole's CL4SRec does.
        training: If ``False``, return the inputs unchanged.
        generator: Optional random generator; the global RNG when ``None``.

    Returns:
        ``(masked [B, L], lengths [B])``.

    Example:
        >>> seq, gen = torch.tensor([[0, 1, 2, 3, 4]]), torch.Generator().manual_seed(0)
        >>> out, _ = mask(seq, torch.tensor([4]), 0.5, mask_token=9, generator=gen)
        >>> int((out == 9).sum()), int(out[0, 0])
        (2, 0)
    """
    gamma = check_probability(gamma, "gamma")
    check_generator(generator)
    seq, lengths = _check_batch(seq, lengths)
    if isinstance(mask_token, bool) or not isinstance(mask_token, (int, np.integer)) or mask_token < 0:
        raise ValueError(f"'mask_token' must be a non-negative int item id, got {mask_token!r}")
    if not training or gamma == 0.0 or seq.numel() == 0:
        return seq, lengths
    chosen = _choose(_real_mask(lengths, seq.size(1)), _counts(lengths, gamma, at_least_one=False), generator)
    return seq.masked_fill(chosen, int(mask_token)), lengths


def reorder(
    seq: Tensor,
    lengths: Tensor,
    beta: float = 0.6,
    *,
    training: bool = True,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Shuffle a random contiguous window of ``floor(beta * n)`` items (CL4SRec "item reorder").

    Xie et al. 2022 (ICDE), Eq. 5. The window start is uniform over the valid offsets; within it the
    items are permuted uniformly (one argsort of random keys for the whole batch), so every row keeps its
    multiset of items, its length and its padding.

    Args:
        seq: Left-padded item ids ``LongTensor [B, L]``.
        lengths: Real items per row ``[B]``.
        beta: Fraction of items in the shuffled window, in ``[0, 1]``.
        training: If ``False``, return the inputs unchanged.
        generator: Optional random generator; the global RNG when ``None``.

    Returns:
        ``(reordered [B, L], lengths [B])``.

    Example:
        >>> seq = torch.tensor([[0, 1, 2, 3, 4]])
        >>> out, _ = reorder(seq, torch.tensor([4]), 1.0, generator=torch.Generator().manual_seed(0))
        >>> sorted(out[0].tolist())
        [0, 1, 2, 3, 4]
    """
    beta = check_probability(beta, "beta")
    check_generator(generator)
    seq, lengths = _check_batch(seq, lengths)
    if not training or beta == 0.0 or seq.numel() == 0:
        return seq, lengths
    width = seq.size(1)
    size = _counts(lengths, beta, at_least_one=False)
    begin = _uniform_int(lengths - size + 1, generator)
    cols = torch.arange(width, device=seq.device).unsqueeze(0)
    first = (width - lengths + begin).unsqueeze(1)  # column where the window starts
    inside = (cols >= first) & (cols < first + size.unsqueeze(1))
    # Outside the window an entry keeps its column as sort key; inside, keys are random in
    # [first - 0.5, first + size - 0.5), strictly between the neighbouring columns, so only the window moves.
    noise = rand(tuple(seq.shape), generator, seq.device, dtype=torch.float64)
    keys = torch.where(inside, first - 0.5 + noise * size.unsqueeze(1), cols.to(torch.float64))
    perm = keys.argsort(dim=1, stable=True)
    return seq.gather(1, perm), lengths


# ---------------------------------------------------------------------------------------------- CoSeRec
def substitute(
    seq: Tensor,
    lengths: Tensor,
    rate: float,
    similar_items: Tensor,
    *,
    training: bool = True,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Replace ``max(1, floor(rate * n))`` random items by a correlated item (CoSeRec "substitute").

    Liu et al. 2021 (CoSeRec). Each chosen item ``i`` becomes one of ``similar_items[i]`` drawn uniformly
    (CoSeRec uses the single most similar item: pass ``k = 1``). Lengths do not change.

    Args:
        seq: Left-padded item ids ``LongTensor [B, L]``.
        lengths: Real items per row ``[B]``.
        rate: Fraction of items substituted, in ``[0, 1]`` (``0``: identity).
        similar_items: ``LongTensor [num_items + 1, k]``, row ``i`` the items correlated with item ``i``
            (from :func:`item_similarity_topk`).
        training: If ``False``, return the inputs unchanged.
        generator: Optional random generator; the global RNG when ``None``.

    Returns:
        ``(substituted [B, L], lengths [B])``.

    Example:
        >>> sim = torch.tensor([[0], [2], [1], [1]])  # item 1 <-> 2, 3 -> 1
        >>> out, _ = substitute(torch.tensor([[0, 1, 3]]), torch.tensor([2]), 1.0, sim)
        >>> out.tolist()
        [[0, 2, 1]]
    """
    rate = check_probability(rate, "rate")
    check_generator(generator)
    seq, lengths = _check_batch(seq, lengths)
    similar_items = _check_similar(similar_items, seq, lengths)
    if not training or rate == 0.0 or seq.numel() == 0:
        return seq, lengths
    real = _real_mask(lengths, seq.size(1))
    chosen = _choose(real, _counts(lengths, rate, at_least_one=True), generator)
    replacement = _pick_similar(seq.masked_fill(~real, 0), similar_items, generator)
    return torch.where(chosen, replacement, seq), lengths


def insert(
    seq: Tensor,
    lengths: Tensor,
    rate: float,
    similar_items: Tensor,
    *,
    training: bool = True,
    generator: torch.Generator | None = None,
) -> tuple[Tensor, Tensor]:
    """Insert a correlated item before ``max(1, floor(rate * n))`` random items (CoSeRec "insert").

    Liu et al. 2021 (CoSeRec). Before each chosen item ``i`` one of ``similar_items[i]`` (uniformly) is
    inserted; the original items keep their order. Sequences that outgrow the width ``L`` are truncated on
    the left (the most recent ``L`` items are kept), as the reference code does when it re-pads to the
    maximum length.

    Args:
        seq: Left-padded item ids ``LongTensor [B, L]``.
        lengths: Real items per row ``[B]``.
        rate: Fraction of positions that receive an inserted item, in ``[0, 1]`` (``0``: identity).
        similar_items: ``LongTensor [num_items + 1, k]`` (from :func:`item_similarity_topk`).
        training: If ``False``, return the inputs unchanged.
        generator: Optional random generator; the global RNG when ``None``.

    Returns:
        ``(augmented [B, L], new_lengths [B])`` with ``new_lengths = min(n + inserted, L)``.

    Example:
        >>> sim = torch.tensor([[0], [2], [1], [1]])
        >>> out, n = insert(torch.tensor([[0, 0, 0, 1, 3]]), torch.tensor([2]), 1.0, sim)
        >>> out.tolist(), n.tolist()
        ([[0, 2, 1, 1, 3]], [4])
    """
    rate = check_probability(rate, "rate")
    check_generator(generator)
    seq, lengths = _check_batch(seq, lengths)
    similar_items = _check_similar(similar_items, seq, lengths)
    if not training or rate == 0.0 or seq.numel() == 0:
        return seq, lengths
    bsz, width = seq.shape
    real = _real_mask(lengths, width)
    chosen = _choose(real, _counts(lengths, rate, at_least_one=True), generator)
    added = _pick_similar(seq.masked_fill(~real, 0), similar_items, generator)
    shift = chosen.long().cumsum(dim=1)  # insertions at or before each column
    total = shift[:, -1:]
    full = width + width  # at most one insertion per item
    # Right-aligned target column of original column c: the items after it gain (total - shift[c]) slots.
    cols = torch.arange(width, device=seq.device).unsqueeze(0)
    new_col = full - width + cols - total + shift
    out = seq.new_zeros(bsz, full)
    rows = torch.arange(bsz, device=seq.device).unsqueeze(1).expand(bsz, width)
    out[rows[real], new_col[real]] = seq[real]
    out[rows[chosen], new_col[chosen] - 1] = added[chosen]
    return out[:, full - width :], torch.clamp(lengths + total.squeeze(1), max=width)


def item_similarity_topk(
    train_sequences: Tensor, k: int, num_items: int | None = None
) -> tuple[Tensor, Tensor]:
    """Top-``k`` correlated items of every item from co-occurrence in training sequences (ItemCF-IUF).

    CoSeRec's offline similarity (Liu et al. 2021, ``OfflineItemSimilarity`` "ItemCF_IUF"):
    ``sim(i, j) = sum_{u: i, j in S_u} 1 / log(1 + |S_u|) / sqrt(n_i * n_j)`` over the distinct items ``S_u``
    of each training sequence, ``n_i`` the number of sequences containing ``i``, ``i != j``. Computed as one
    sparse product ``X^T W X`` (scipy) and a vectorized per-row top-k; no loop over users or items.

    Pass only the *training* part of each sequence, so the validation and test items never shape the
    augmentations.

    Args:
        train_sequences: ``LongTensor [U, L]`` item ids ``1..num_items`` padded with 0 (either side).
        k: Neighbours per item, ``>= 1``.
        num_items: Largest item id (default: the largest id present).

    Returns:
        ``(items [num_items + 1, k] long, scores [num_items + 1, k] float)``, neighbours by decreasing
        similarity (ties by lower id). Missing neighbours (fewer than ``k`` co-occurring items) and row 0
        (padding) repeat the item itself with score 0, so :func:`substitute`/:func:`insert` leave it as is.

    Example:
        >>> items, scores = item_similarity_topk(torch.tensor([[1, 2, 0], [1, 2, 3]]), k=1)
        >>> items[:, 0].tolist()
        [0, 2, 1, 1]
    """
    if not isinstance(train_sequences, Tensor) or train_sequences.dim() != 2:
        raise ValueError("'train_sequences' must be a 2-D LongTensor [U, L] of item ids padded with 0")
    if train_sequences.is_floating_point() or train_sequences.dtype == torch.bool:
        raise ValueError(f"'train_sequences' must hold integer item ids, got dtype {train_sequences.dtype}")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"'k' must be an int >= 1, got {k!r}")
    device = train_sequences.device
    seqs = train_sequences.detach().cpu().numpy()
    if seqs.size and seqs.min() < 0:
        raise ValueError("'train_sequences' must not contain negative item ids")
    top = int(seqs.max()) if seqs.size else 0
    if num_items is None:
        num_items = top
    elif top > num_items:
        raise ValueError(f"'train_sequences' holds item id {top} > num_items={num_items}")
    n_rows = num_items + 1
    rows, cols = np.nonzero(seqs)
    x = sp.csr_matrix(
        (np.ones(rows.size, dtype=np.float64), (rows, seqs[rows, cols])), shape=(seqs.shape[0], n_rows)
    )
    x.sum_duplicates()
    x.data[:] = 1.0  # repeated items count once per sequence
    size = np.asarray(x.sum(axis=1)).ravel()
    weight = np.zeros_like(size)
    np.divide(1.0, np.log1p(size), out=weight, where=size > 0)
    co = (x.T @ sp.diags(weight) @ x).tocoo()
    deg = np.asarray(x.sum(axis=0)).ravel()
    off = co.row != co.col
    r, c = co.row[off].astype(np.int64), co.col[off].astype(np.int64)
    v = co.data[off] / np.sqrt(deg[r] * deg[c])
    order = np.lexsort((c, -v, r))  # by row, then decreasing score, then lower id
    r, c, v = r[order], c[order], v[order]
    starts = np.searchsorted(r, np.arange(n_rows))
    rank = np.arange(r.size) - starts[r]
    keep = rank < k
    items = np.repeat(np.arange(n_rows, dtype=np.int64)[:, None], k, axis=1)
    scores = np.zeros((n_rows, k), dtype=np.float32)
    items[r[keep], rank[keep]] = c[keep]
    scores[r[keep], rank[keep]] = v[keep]
    return torch.from_numpy(items).to(device), torch.from_numpy(scores).to(device)
