"""GRACE's InfoNCE objective with inter- and intra-view negatives, dense and memory-bounded.

Zhu et al. 2020, "Deep Graph Contrastive Representation Learning" (GRACE, ICML GRL+ workshop). For two
views ``z1, z2`` of ``N`` nodes, L2-normalized inside, and anchor ``i`` of view 1 with cosine similarity
``s``::

    l1(i) = -log( e^{s(1i,2i)/t}
                  / ( e^{s(1i,2i)/t} + sum_{j!=i} e^{s(1i,2j)/t} + sum_{j!=i} e^{s(1i,1j)/t} ) )

``l2(i)`` is the same with the views swapped; the symmetric loss is ``0.5 * (mean_i l1(i) + mean_i l2(i))``.

Three implementations of the same number (they agree to 1e-5 in float64, values and gradients):

* :func:`info_nce_dense` -- the reference: four similarity products, written as in the formula.
* :func:`info_nce_fast` -- one product of the stacked ``[2N, D]`` matrix with itself (``[N, N]``
  without intra-view negatives), fused ``logsumexp`` with the self-similarity masked to ``-inf``; both
  directions of the symmetric loss are read off the same matrix. Memory ``O(N^2)``.
* :func:`info_nce_chunked` -- never materializes an ``N x N`` matrix, in the forward *or* the backward
  pass: a custom :class:`torch.autograd.Function` tiles the ``[2N, 2N]`` logit matrix into
  ``chunk_size x chunk_size`` blocks, keeps only a running per-row ``logsumexp`` (``[2N]`` floats), and in
  backward recomputes each block's softmax to accumulate the gradient for both the anchor rows and the key
  rows. Because the logit matrix is symmetric, each block is computed once and serves both its rows and
  (transposed) its columns, which halves the work. Memory ``O(N * D + chunk_size^2)``.

:func:`info_nce` / :class:`InfoNCE` pick the fast dense path when it fits a memory budget, else the
chunked one.

Two optional hooks:

* ``weights`` ``[N]``: per-anchor weights; each direction is a weighted mean ``sum_i w_i l(i) / sum_i w_i``
  (node ``i`` has the same weight as an anchor of either view).
* ``key_bias`` ``[N]``: an additive bias, in logit units (i.e. already divided by the temperature), on
  every logit whose *key* is node ``j`` (of either view, the positive included). CSGCL's team-up objective
  is exactly this with ``key_bias = gamma * strength / tau`` (see :mod:`gcl.losses.teamup`).
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

from gcl.losses.dense_lse import SelfSimilarityLogSumExp, TwoViewLogSumExp

__all__ = [
    "DEFAULT_MEMORY_BUDGET_BYTES",
    "InfoNCE",
    "dense_bytes_estimate",
    "info_nce",
    "info_nce_chunked",
    "info_nce_dense",
    "info_nce_fast",
]

#: Default memory budget (bytes) for the dense ``[2N, 2N]`` logits and their gradient in :func:`info_nce`.
DEFAULT_MEMORY_BUDGET_BYTES: int = 1 << 30

# Number of [2N, 2N]-sized temporaries the fast dense path keeps alive (logits, softmax, grad, slack).
_DENSE_TEMPORARIES = 4
# Number of chunk x chunk temporaries the chunked path keeps alive in backward (logits, two softmaxes, slack).
_CHUNK_TEMPORARIES = 5
# Largest tile "auto" picks: bigger tiles stop paying off (CPU caches) and only cost memory.
_MAX_AUTO_CHUNK = 4096


# ----------------------------------------------------------------------------------------------------
# validation and reduction helpers


def _check_tau(tau: float) -> float:
    if isinstance(tau, bool) or not isinstance(tau, (int, float)) or not math.isfinite(tau) or tau <= 0:
        raise ValueError(f"tau must be a finite number > 0, got {tau!r}")
    return float(tau)


def _check_views(z1: Tensor, z2: Tensor) -> None:
    if not isinstance(z1, Tensor) or not isinstance(z2, Tensor):
        raise ValueError(f"z1 and z2 must be tensors, got {type(z1).__name__} and {type(z2).__name__}")
    if z1.dim() != 2 or z1.shape != z2.shape:
        raise ValueError(
            "z1 and z2 must be 2-D [N, D] tensors of the same shape, "
            f"got z1 {tuple(z1.shape)} and z2 {tuple(z2.shape)}"
        )
    if z1.size(0) < 1 or z1.size(1) < 1:
        raise ValueError(f"z1 and z2 must have N >= 1 rows and D >= 1 columns, got {tuple(z1.shape)}")
    if not z1.is_floating_point() or z1.dtype != z2.dtype:
        raise ValueError(f"z1 and z2 must share a floating dtype, got {z1.dtype} and {z2.dtype}")


def _check_node_vector(name: str, t: Tensor | None, n: int, ref: Tensor) -> Tensor | None:
    if t is None:
        return None
    if not isinstance(t, Tensor) or t.shape != (n,):
        shape = tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__
        raise ValueError(f"{name} must be a tensor of shape ({n},) (one value per node), got {shape}")
    return t.to(device=ref.device, dtype=ref.dtype)


def _check_weights(weights: Tensor | None, n: int, ref: Tensor) -> Tensor | None:
    weights = _check_node_vector("weights", weights, n, ref)
    if weights is not None:
        if bool((weights < 0).any()) or not bool(torch.isfinite(weights).all()):
            raise ValueError("weights must be finite and non-negative")
        if not float(weights.sum()) > 0:
            raise ValueError("weights must have a positive sum")
    return weights


def _weighted_mean(values: Tensor, weights: Tensor | None) -> Tensor:
    if weights is None:
        return values.mean()
    return (values * weights).sum() / weights.sum()


def _reduce(per_anchor: Tensor, n: int, symmetric: bool, weights: Tensor | None) -> Tensor:
    """Mean over anchors: ``per_anchor`` is ``[2N]`` (view-1 anchors, then view-2) or ``[N]``."""
    if symmetric:
        return 0.5 * (_weighted_mean(per_anchor[:n], weights) + _weighted_mean(per_anchor[n:], weights))
    return _weighted_mean(per_anchor, weights)


def _prepare(
    z1: Tensor, z2: Tensor, tau: float, weights: Tensor | None, key_bias: Tensor | None
) -> tuple[Tensor, Tensor, float, Tensor | None, Tensor | None]:
    _check_views(z1, z2)
    tau = _check_tau(tau)
    n = z1.size(0)
    weights = _check_weights(weights, n, z1)
    key_bias = _check_node_vector("key_bias", key_bias, n, z1)
    return F.normalize(z1, dim=1), F.normalize(z2, dim=1), tau, weights, key_bias


def _positive_logits(u: Tensor, v: Tensor, tau: float, key_bias: Tensor | None) -> Tensor:
    pos = (u * v).sum(dim=1) / tau
    return pos if key_bias is None else pos + key_bias


# ----------------------------------------------------------------------------------------------------
# reference


def info_nce_dense(
    z1: Tensor,
    z2: Tensor,
    tau: float,
    *,
    intra_view_negatives: bool = True,
    symmetric: bool = True,
    weights: Tensor | None = None,
    key_bias: Tensor | None = None,
) -> Tensor:
    """Reference GRACE InfoNCE, written term by term as in Zhu et al. 2020.

    Computes the four similarity products ``s(1,2)``, ``s(1,1)``, ``s(2,1)``, ``s(2,2)`` explicitly. Use it to
    check the faster paths; train with :func:`info_nce` or :class:`InfoNCE`.

    Args:
        z1: View-1 embeddings ``[N, D]`` (L2-normalized inside).
        z2: View-2 embeddings ``[N, D]``; row ``i`` is the positive of ``z1[i]``.
        tau: Temperature ``> 0``.
        intra_view_negatives: Also use the other nodes of the anchor's own view as negatives (GRACE).
        symmetric: Average the view-1-anchored and view-2-anchored losses; otherwise view-1 anchors only.
        weights: Optional per-anchor weights ``[N]`` (weighted mean over anchors).
        key_bias: Optional logit bias ``[N]`` added to every logit whose key is node ``j``.

    Returns:
        Scalar loss (mean over anchors).

    Example:
        >>> z = torch.eye(2)
        >>> round(info_nce_dense(z, z, tau=1.0).item(), 4)  # -log(e / (e + 1 + 1))
        0.5514
    """
    u, v, tau, weights, key_bias = _prepare(z1, z2, tau, weights, key_bias)
    n = u.size(0)
    eye = torch.eye(n, dtype=torch.bool, device=u.device)
    col_bias = 0.0 if key_bias is None else key_bias.unsqueeze(0)

    def one_direction(a: Tensor, b: Tensor) -> Tensor:
        between = a @ b.t() / tau + col_bias  # s(a_i, b_j); the diagonal is the positive
        terms = [between]
        if intra_view_negatives:
            refl = (a @ a.t() / tau + col_bias).masked_fill(eye, float("-inf"))  # s(a_i, a_j), j != i
            terms.append(refl)
        return torch.logsumexp(torch.cat(terms, dim=1), dim=1) - between.diagonal()

    l1 = one_direction(u, v)
    if not symmetric:
        return _weighted_mean(l1, weights)
    l2 = one_direction(v, u)
    return 0.5 * (_weighted_mean(l1, weights) + _weighted_mean(l2, weights))


# ----------------------------------------------------------------------------------------------------
# fast dense


def _fast_per_anchor(
    u: Tensor, v: Tensor, tau: float, intra: bool, symmetric: bool, key_bias: Tensor | None
) -> Tensor:
    pos = _positive_logits(u, v, tau, key_bias)
    if intra:
        if symmetric and key_bias is None and tau >= 0.05:
            # three N x N blocks, symmetric-shift softmax, 3 + 4 products: gcl.losses.dense_lse
            return TwoViewLogSumExp.apply(u, v, tau) - torch.cat([pos, pos])
        x = torch.cat([u, v], dim=0)  # [2N, D]
        num_rows = x.size(0) if symmetric else u.size(0)
        bias = None if key_bias is None else torch.cat([key_bias, key_bias])
        if bias is None or not bias.requires_grad:
            # the one similarity product [2N, 2N] (or [N, 2N]), self-similarity masked, softmax in place,
            # and a backward of one product: see gcl.losses.dense_lse
            lse = SelfSimilarityLogSumExp.apply(x, tau, bias, num_rows)
        else:  # a learned key bias needs autograd through the logits
            logits = x[:num_rows] @ x.t() / tau + bias.unsqueeze(0)
            logits.diagonal().fill_(float("-inf"))  # the anchor itself is never a key
            lse = torch.logsumexp(logits, dim=1)
        return lse - (torch.cat([pos, pos]) if symmetric else pos)
    s = u @ v.t() / tau  # [N, N]; view-2 anchors read it transposed
    if key_bias is None:
        lse1 = torch.logsumexp(s, dim=1)
        lse2 = torch.logsumexp(s, dim=0) if symmetric else None
    else:
        lse1 = torch.logsumexp(s + key_bias.unsqueeze(0), dim=1)
        lse2 = torch.logsumexp(s + key_bias.unsqueeze(1), dim=0) if symmetric else None
    if lse2 is None:
        return lse1 - pos
    return torch.cat([lse1, lse2]) - torch.cat([pos, pos])


def info_nce_fast(
    z1: Tensor,
    z2: Tensor,
    tau: float,
    *,
    intra_view_negatives: bool = True,
    symmetric: bool = True,
    weights: Tensor | None = None,
    key_bias: Tensor | None = None,
) -> Tensor:
    """GRACE InfoNCE from one similarity product and a fused ``logsumexp`` (dense, ``O(N^2)`` memory).

    Stacks the normalized views into ``x = [u; v]`` of shape ``[2N, D]``, forms ``x @ x.T / tau`` once,
    masks the self-similarity with ``-inf`` and takes a row-wise ``logsumexp``; row ``i < N`` is anchor
    ``i`` of view 1 and row ``N + i`` anchor ``i`` of view 2, so both directions come from the same matrix.
    Without intra-view negatives only ``u @ v.T`` (``[N, N]``) is formed and view-2 anchors use its
    columns.
    Equal to :func:`info_nce_dense` (same arguments) up to floating-point rounding.

    Args:
        z1: View-1 embeddings ``[N, D]``.
        z2: View-2 embeddings ``[N, D]``.
        tau: Temperature ``> 0``.
        intra_view_negatives: Also use same-view negatives.
        symmetric: Average both directions; otherwise view-1 anchors only.
        weights: Optional per-anchor weights ``[N]``.
        key_bias: Optional per-key logit bias ``[N]``.

    Returns:
        Scalar loss (mean over anchors).

    Example:
        >>> z = torch.eye(2)
        >>> round(info_nce_fast(z, z, tau=1.0).item(), 4)
        0.5514
    """
    u, v, tau, weights, key_bias = _prepare(z1, z2, tau, weights, key_bias)
    per_anchor = _fast_per_anchor(u, v, tau, intra_view_negatives, symmetric, key_bias)
    return _reduce(per_anchor, u.size(0), symmetric, weights)


# ----------------------------------------------------------------------------------------------------
# memory-bounded


def _blocks(n: int, chunk: int, intra: bool, symmetric: bool) -> list[tuple[int, int, int, int, bool, bool]]:
    """Tiles of the upper triangle of the ``[2N, 2N]`` logit matrix that some anchor row needs.

    Chunks never straddle the two views, and view-2 chunks are view-1 chunks shifted by ``N``. Each tile is
    ``(a0, a1, b0, b1, use_rows, use_cols)``: ``use_rows`` -- rows ``a0:a1`` are anchors that need keys
    ``b0:b1``; ``use_cols`` -- rows ``b0:b1`` are anchors that need keys ``a0:a1`` (read transposed).
    """
    starts = list(range(0, n, chunk))
    spans = [(s, min(s + chunk, n), 0) for s in starts] + [(s + n, min(s + chunk, n) + n, 1) for s in starts]
    tiles = []
    for i, (a0, a1, va) in enumerate(spans):
        for b0, b1, vb in spans[i:]:
            if not intra and va == vb:
                continue
            use_rows = va == 0 or symmetric
            use_cols = (vb == 0 or symmetric) and a0 != b0
            if use_rows or use_cols:
                tiles.append((a0, a1, b0, b1, use_rows, use_cols))
    return tiles


def _online_lse_update(m: Tensor, s: Tensor, logits: Tensor, dim: int) -> None:
    """Fold ``logits`` (reduced along ``dim``) into running max ``m`` and scaled sum ``s``, in place."""
    block_max = logits.amax(dim=dim)
    new_m = torch.maximum(m, block_max)
    safe = torch.where(torch.isfinite(new_m), new_m, torch.zeros_like(new_m))
    s.mul_(torch.exp(m - safe))
    s.add_(torch.exp(logits - safe.unsqueeze(dim)).sum(dim=dim))
    m.copy_(new_m)


def _fixed_shift_ok(dtype: torch.dtype, tau: float, bias2: Tensor | None) -> bool:
    """Whether one constant shift per tile keeps every ``exp`` of unit-norm logits in range.

    For unit-norm rows every logit lies in ``[-1/tau + min b, 1/tau + max b]``; after shifting by the upper
    end the smallest term is ``exp(-(2/tau + max b - min b))``, which must stay far from underflow.
    """
    if dtype not in (torch.float32, torch.float64):
        return False
    spread = 2.0 / tau
    if bias2 is not None and bias2.numel():
        spread += float(bias2.detach().max() - bias2.detach().min())
    return spread <= -0.7 * math.log(torch.finfo(dtype).tiny)


class _ChunkedLogSumExp(torch.autograd.Function):
    """Per-anchor ``logsumexp`` of the masked ``[2N, 2N]`` logits ``x x^T / tau + bias``, tile by tile.

    Forward stores only ``x`` and the ``[2N]`` results; backward recomputes each tile. ``x`` must have
    unit-norm rows. Two numerically safe modes:

    * fixed shift (the usual case, ``2/tau`` plus the bias range well inside the dtype's exponent range):
      ``E = exp(x_I x_J^T / tau - 1/tau)`` is computed once per tile (the shift is fused into the GEMM) and
      serves both directions; the key bias enters as ``exp(b - max b)`` vectors, and the backward softmax is
      ``E`` scaled by an outer product -- one ``exp`` per tile entry in each pass.
    * online (tiny temperatures): a running per-row max and rescaled sum, as in streaming softmax.
    """

    @staticmethod
    def forward(
        ctx,
        x: Tensor,
        bias2: Tensor | None,
        n: int,
        tau: float,
        intra: bool,
        symmetric: bool,
        chunk: int,
    ) -> Tensor:
        tiles = _blocks(n, chunk, intra, symmetric)
        fixed = _fixed_shift_ok(x.dtype, tau, bias2)
        inv_tau = 1.0 / tau
        if fixed:
            s = torch.zeros(2 * n, dtype=x.dtype, device=x.device)
            b_max = 0.0 if bias2 is None else float(bias2.detach().max())
            beta = None if bias2 is None else torch.exp(bias2 - b_max)
            shift = torch.full((1,), -inv_tau, dtype=x.dtype, device=x.device)
            for a0, a1, b0, b1, use_rows, use_cols in tiles:
                e = torch.addmm(shift, x[a0:a1], x[b0:b1].t(), alpha=inv_tau).exp_()
                if a0 == b0:
                    e.diagonal().zero_()
                if use_rows:
                    s[a0:a1] += e.sum(dim=1) if beta is None else e @ beta[b0:b1]
                if use_cols:
                    s[b0:b1] += e.sum(dim=0) if beta is None else e.t() @ beta[a0:a1]
            lse = torch.log(s).add_(inv_tau + b_max)
        else:
            m = torch.full((2 * n,), float("-inf"), dtype=x.dtype, device=x.device)
            s = torch.zeros(2 * n, dtype=x.dtype, device=x.device)
            for a0, a1, b0, b1, use_rows, use_cols in tiles:
                logits = x[a0:a1] @ x[b0:b1].t()
                logits.mul_(inv_tau)
                if a0 == b0:
                    logits.diagonal().fill_(float("-inf"))
                if use_cols:  # rows b0:b1 against keys a0:a1, i.e. this tile transposed
                    t = logits if bias2 is None else logits + bias2[a0:a1].unsqueeze(1)
                    _online_lse_update(m[b0:b1], s[b0:b1], t, dim=0)
                if use_rows:
                    if bias2 is not None:
                        logits.add_(bias2[b0:b1].unsqueeze(0))
                    _online_lse_update(m[a0:a1], s[a0:a1], logits, dim=1)
            lse = m + torch.log(s)
        ctx.save_for_backward(x, bias2, lse)
        ctx.tiles = tiles
        ctx.tau = tau
        ctx.fixed = fixed
        rows = 2 * n if symmetric else n
        return lse[:rows].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_lse: Tensor) -> tuple[Tensor | None, ...]:
        x, bias2, lse = ctx.saved_tensors
        g = torch.zeros_like(lse)
        g[: grad_lse.numel()] = grad_lse
        need_bias = bias2 is not None and ctx.needs_input_grad[1]
        if ctx.fixed:
            grad_x, grad_b = _backward_fixed(x, bias2, lse, g, ctx.tiles, ctx.tau, need_bias)
        else:
            grad_x, grad_b = _backward_online(x, bias2, lse, g, ctx.tiles, ctx.tau, need_bias)
        return grad_x, grad_b, None, None, None, None, None


def _backward_fixed(
    x: Tensor,
    bias2: Tensor | None,
    lse: Tensor,
    g: Tensor,
    tiles: list[tuple[int, int, int, int, bool, bool]],
    tau: float,
    need_bias: bool,
) -> tuple[Tensor, Tensor | None]:
    # softmax_rc = exp(l_rc - lse_r) = E_rc * beta_c * alpha_r, E = exp(S/tau - 1/tau), beta = exp(b - max b),
    # alpha = exp(1/tau + max b - lse); the incoming grad g_r scales row r.
    inv_tau = 1.0 / tau
    b_max = 0.0 if bias2 is None else float(bias2.detach().max())
    beta = torch.ones_like(lse) if bias2 is None else torch.exp(bias2 - b_max)
    a = torch.exp((inv_tau + b_max) - lse).mul_(g)
    grad_x = torch.zeros_like(x)
    grad_b = torch.zeros_like(lse) if need_bias else None
    shift = torch.full((1,), -inv_tau, dtype=x.dtype, device=x.device)
    for a0, a1, b0, b1, use_rows, use_cols in tiles:
        e = torch.addmm(shift, x[a0:a1], x[b0:b1].t(), alpha=inv_tau).exp_()
        if a0 == b0:
            e.diagonal().zero_()
        if grad_b is not None:
            if use_rows:
                grad_b[b0:b1] += beta[b0:b1] * (e.t() @ a[a0:a1])
            if use_cols:
                grad_b[a0:a1] += beta[a0:a1] * (e @ a[b0:b1])
        if use_rows and use_cols:
            coef = torch.outer(a[a0:a1], beta[b0:b1]).addr_(beta[a0:a1], a[b0:b1])
        elif use_rows:
            coef = torch.outer(a[a0:a1], beta[b0:b1])
        else:
            coef = torch.outer(beta[a0:a1], a[b0:b1])
        h = e.mul_(coef)
        del coef
        # logits_rc = x_r . x_c / tau: the tile feeds both its row block and its column block
        grad_x[a0:a1].addmm_(h, x[b0:b1], alpha=inv_tau)
        grad_x[b0:b1].addmm_(h.t(), x[a0:a1], alpha=inv_tau)
    return grad_x, grad_b


def _backward_online(
    x: Tensor,
    bias2: Tensor | None,
    lse: Tensor,
    g: Tensor,
    tiles: list[tuple[int, int, int, int, bool, bool]],
    tau: float,
    need_bias: bool,
) -> tuple[Tensor, Tensor | None]:
    inv_tau = 1.0 / tau
    grad_x = torch.zeros_like(x)
    grad_b = torch.zeros_like(lse) if need_bias else None
    for a0, a1, b0, b1, use_rows, use_cols in tiles:
        s = x[a0:a1] @ x[b0:b1].t()
        s.mul_(inv_tau)
        if a0 == b0:
            s.diagonal().fill_(float("-inf"))
        h = None
        if use_rows:  # d lse_r / d logit_rc = softmax_rc, scaled by the incoming grad of row r
            shift = lse[a0:a1].unsqueeze(1)
            if bias2 is not None:
                shift = shift - bias2[b0:b1].unsqueeze(0)
            h = torch.exp(s - shift).mul_(g[a0:a1].unsqueeze(1))
            if grad_b is not None:
                grad_b[b0:b1] += h.sum(dim=0)
        if use_cols:
            shift = lse[b0:b1].unsqueeze(0)
            if bias2 is not None:
                shift = shift - bias2[a0:a1].unsqueeze(1)
            h2 = torch.exp(s - shift).mul_(g[b0:b1].unsqueeze(0))
            if grad_b is not None:
                grad_b[a0:a1] += h2.sum(dim=1)
            h = h2 if h is None else h.add_(h2)
        del s
        grad_x[a0:a1].addmm_(h, x[b0:b1], alpha=inv_tau)
        grad_x[b0:b1].addmm_(h.t(), x[a0:a1], alpha=inv_tau)
    return grad_x, grad_b


def _check_chunk(chunk_size: int) -> int:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be an int >= 1, got {chunk_size!r}")
    return chunk_size


def _chunked_per_anchor(
    u: Tensor, v: Tensor, tau: float, intra: bool, symmetric: bool, key_bias: Tensor | None, chunk: int
) -> Tensor:
    n = u.size(0)
    x = torch.cat([u, v], dim=0)
    bias2 = None if key_bias is None else torch.cat([key_bias, key_bias])
    lse = _ChunkedLogSumExp.apply(x, bias2, n, tau, intra, symmetric, chunk)
    pos = _positive_logits(u, v, tau, key_bias)
    return lse - (torch.cat([pos, pos]) if symmetric else pos)


def info_nce_chunked(
    z1: Tensor,
    z2: Tensor,
    tau: float,
    chunk_size: int = 1024,
    *,
    intra_view_negatives: bool = True,
    symmetric: bool = True,
    weights: Tensor | None = None,
    key_bias: Tensor | None = None,
) -> Tensor:
    """Memory-bounded GRACE InfoNCE: never materializes an ``N x N`` matrix, forward or backward.

    The ``[2N, 2N]`` logit matrix is processed in ``chunk_size x chunk_size`` tiles by a custom autograd
    function that keeps a running ``logsumexp`` per anchor row (a constant shift per tile for unit vectors,
    or a stable online max/sum at tiny temperatures) and, in backward, recomputes each tile's softmax to
    accumulate the gradient of both the anchor rows and the key rows. The logit matrix is symmetric, so each
    tile of its upper triangle is computed once and serves its rows and, transposed, its columns: half the
    work of a row-chunked pass. Peak extra memory is a few ``chunk_size^2`` tiles plus ``O(N * D)``.

    Args:
        z1: View-1 embeddings ``[N, D]``.
        z2: View-2 embeddings ``[N, D]``.
        tau: Temperature ``> 0``.
        chunk_size: Tile side (rows and keys); need not divide ``N``.
        intra_view_negatives: Also use same-view negatives.
        symmetric: Average both directions; otherwise view-1 anchors only.
        weights: Optional per-anchor weights ``[N]``.
        key_bias: Optional per-key logit bias ``[N]`` (differentiable).

    Returns:
        Scalar loss (mean over anchors), equal to :func:`info_nce_dense` up to rounding.

    Example:
        >>> z = torch.eye(2)
        >>> round(info_nce_chunked(z, z, tau=1.0, chunk_size=1).item(), 4)
        0.5514
    """
    chunk = _check_chunk(chunk_size)
    u, v, tau, weights, key_bias = _prepare(z1, z2, tau, weights, key_bias)
    per_anchor = _chunked_per_anchor(u, v, tau, intra_view_negatives, symmetric, key_bias, chunk)
    return _reduce(per_anchor, u.size(0), symmetric, weights)


# ----------------------------------------------------------------------------------------------------
# dispatch


def dense_bytes_estimate(n: int, dtype: torch.dtype, intra_view_negatives: bool = True) -> int:
    """Bytes the fast dense path needs for its logit matrix, softmax and gradient (a conservative estimate).

    Args:
        n: Number of nodes ``N``.
        dtype: Floating dtype of the embeddings.
        intra_view_negatives: Whether the ``[2N, 2N]`` (True) or ``[N, N]`` (False) matrix is formed.

    Returns:
        ``4 * side^2 * itemsize`` with ``side = 2N`` or ``N``.
    """
    side = 2 * n if intra_view_negatives else n
    return _DENSE_TEMPORARIES * side * side * torch.empty((), dtype=dtype).element_size()


def _auto_chunk(n: int, dtype: torch.dtype, memory_budget_bytes: int) -> int:
    item = torch.empty((), dtype=dtype).element_size()
    chunk = math.isqrt(max(memory_budget_bytes // (_CHUNK_TEMPORARIES * item), 1))
    return max(64, min(chunk, n, _MAX_AUTO_CHUNK))


def info_nce(
    z1: Tensor,
    z2: Tensor,
    tau: float,
    *,
    intra_view_negatives: bool = True,
    symmetric: bool = True,
    weights: Tensor | None = None,
    key_bias: Tensor | None = None,
    chunk_size: int | Literal["auto"] | None = "auto",
    memory_budget_bytes: int = DEFAULT_MEMORY_BUDGET_BYTES,
) -> Tensor:
    """GRACE InfoNCE that picks its implementation: fast dense when it fits, memory-bounded otherwise.

    Args:
        z1: View-1 embeddings ``[N, D]``.
        z2: View-2 embeddings ``[N, D]``.
        tau: Temperature ``> 0``.
        intra_view_negatives: Also use same-view negatives.
        symmetric: Average both directions; otherwise view-1 anchors only.
        weights: Optional per-anchor weights ``[N]``.
        key_bias: Optional per-key logit bias ``[N]``.
        chunk_size: ``"auto"`` -- dense if :func:`dense_bytes_estimate` ``<= memory_budget_bytes``, else
            chunked with the largest tile that fits the budget (at most 4096); an ``int`` -- always
            chunked with that tile; ``None`` -- always dense.
        memory_budget_bytes: Budget for the ``"auto"`` decision and tile size.

    Returns:
        Scalar loss (mean over anchors).
    """
    u, v, tau, weights, key_bias = _prepare(z1, z2, tau, weights, key_bias)
    n = u.size(0)
    if chunk_size == "auto":
        if dense_bytes_estimate(n, u.dtype, intra_view_negatives) <= memory_budget_bytes:
            chunk = None
        else:
            chunk = _auto_chunk(n, u.dtype, memory_budget_bytes)
    elif chunk_size is None:
        chunk = None
    else:
        chunk = _check_chunk(chunk_size)
    if chunk is None:
        per_anchor = _fast_per_anchor(u, v, tau, intra_view_negatives, symmetric, key_bias)
    else:
        per_anchor = _chunked_per_anchor(u, v, tau, intra_view_negatives, symmetric, key_bias, chunk)
    return _reduce(per_anchor, n, symmetric, weights)


class InfoNCE(nn.Module):
    """GRACE InfoNCE loss module (Zhu et al. 2020) with automatic dense / memory-bounded dispatch.

    Args:
        tau: Temperature ``> 0``.
        intra_view_negatives: Also use the other nodes of the anchor's view as negatives (GRACE: True).
        symmetric: Average the two anchor directions (GRACE: True).
        chunk_size: ``"auto"``, a tile size (always chunked) or ``None`` (always dense); see :func:`info_nce`.
        memory_budget_bytes: Memory budget for the dense ``[2N, 2N]`` logits under ``"auto"``.

    Shapes:
        ``z1, z2``: ``[N, D]``; ``weights``, ``key_bias``: ``[N]``; output: scalar.

    Example:
        >>> loss_fn = InfoNCE(tau=0.5)
        >>> z1, z2 = torch.randn(8, 4), torch.randn(8, 4)
        >>> loss_fn(z1, z2).shape
        torch.Size([])
    """

    def __init__(
        self,
        tau: float,
        intra_view_negatives: bool = True,
        symmetric: bool = True,
        chunk_size: int | Literal["auto"] | None = "auto",
        memory_budget_bytes: int = DEFAULT_MEMORY_BUDGET_BYTES,
    ) -> None:
        super().__init__()
        self.tau = _check_tau(tau)
        if chunk_size != "auto" and chunk_size is not None:
            _check_chunk(chunk_size)
        if isinstance(memory_budget_bytes, bool) or not isinstance(memory_budget_bytes, int):
            raise ValueError(f"memory_budget_bytes must be an int > 0, got {memory_budget_bytes!r}")
        if memory_budget_bytes <= 0:
            raise ValueError(f"memory_budget_bytes must be an int > 0, got {memory_budget_bytes!r}")
        self.intra_view_negatives = bool(intra_view_negatives)
        self.symmetric = bool(symmetric)
        self.chunk_size = chunk_size
        self.memory_budget_bytes = memory_budget_bytes

    def forward(
        self, z1: Tensor, z2: Tensor, weights: Tensor | None = None, key_bias: Tensor | None = None
    ) -> Tensor:
        """Loss for views ``z1, z2`` ``[N, D]``; optional per-anchor ``weights`` and per-key ``key_bias``."""
        return info_nce(
            z1,
            z2,
            self.tau,
            intra_view_negatives=self.intra_view_negatives,
            symmetric=self.symmetric,
            weights=weights,
            key_bias=key_bias,
            chunk_size=self.chunk_size,
            memory_budget_bytes=self.memory_budget_bytes,
        )

    def extra_repr(self) -> str:  # noqa: D102
        return (
            f"tau={self.tau}, intra_view_negatives={self.intra_view_negatives}, symmetric={self.symmetric}, "
            f"chunk_size={self.chunk_size!r}, memory_budget_bytes={self.memory_budget_bytes}"
        )
