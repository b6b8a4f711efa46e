"""Row-wise log-sum-exp of a self-similarity matrix with a hand-written backward.

The hot spot of GRACE-style InfoNCE is ``logsumexp(x @ x.T / tau)`` over the stacked views
``x = [u; v]`` (``[2N, D]``) with the diagonal masked. Through autograd this costs one product
forward and two backward (the gradient flows into both operands of ``x @ x.T``), plus
``logsumexp``'s own temporaries. Since the logits are symmetric in ``x``, the gradient is
``(G + G^T) x / tau`` with ``G = softmax * grad``, computed from the saved softmax with no extra
``[2N, 2N]`` temporaries from ``logsumexp``; the softmax is produced in place in the logits' memory
during the forward.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable


class SelfSimilarityLogSumExp(torch.autograd.Function):
    """``lse[i] = logsumexp_{j != i}(rows[i] . x[j] / tau + bias[j])`` for ``rows = x[:R]``.

    Forward args: ``x`` [M, D], ``tau`` float, ``bias`` [M] or ``None`` (a constant: it gets no
    gradient), ``num_rows`` R (``M`` for all rows). Returns ``lse`` [R].
    """

    @staticmethod
    def forward(ctx, x: Tensor, tau: float, bias: Tensor | None, num_rows: int) -> Tensor:  # noqa: D102
        rows = x[:num_rows]
        logits = torch.mm(rows, x.t())
        logits.mul_(1.0 / tau)
        if bias is not None:
            logits.add_(bias.unsqueeze(0))
        logits.diagonal().fill_(float("-inf"))
        row_max = logits.amax(dim=1, keepdim=True)
        logits.sub_(row_max).exp_()  # logits now hold exp(l - max)
        total = logits.sum(dim=1, keepdim=True)
        logits.div_(total)  # softmax, in place
        ctx.save_for_backward(x, logits)
        ctx.tau, ctx.num_rows = tau, num_rows
        return (row_max + total.log()).squeeze(1)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_lse: Tensor) -> tuple[Tensor, None, None, None]:  # noqa: D102
        x, softmax = ctx.saved_tensors
        r = ctx.num_rows
        g = softmax * grad_lse.unsqueeze(1)  # d loss / d logits, [R, M]
        if r == x.size(0):
            # (g + g^T) x as two products: BLAS reads g^T in place, while materializing g + g^T is a
            # cache-hostile transposed add that costs more than the product it saves
            grad_x = torch.addmm(torch.mm(g, x), g.t(), x)
        else:
            grad_x = torch.mm(g.t(), x[:r])
            grad_x[:r] += torch.mm(g, x)
        return grad_x.mul_(1.0 / ctx.tau), None, None, None


class TwoViewLogSumExp(torch.autograd.Function):
    r"""GRACE's row-wise log-sum-exp for both views from three ``N x N`` blocks instead of ``2N x 2N``.

    For normalized views ``u, v`` [N, D] the logits over ``x = [u; v]`` are the symmetric matrix
    ``[[A, B], [B^T, C]] / tau`` with ``A = u u^T``, ``B = u v^T``, ``C = v v^T``; the transposed
    block is never formed. Each block is exponentiated in place with a *symmetric* shift
    ``exp(l_ij - h_i - h_j)`` (``h`` = half the row maximum; every entry is <= 1, so nothing
    overflows), which lets the backward form ``G + G^T`` (``G`` = softmax times the incoming
    gradient) elementwise as ``E * (b f^T + f b^T)`` with rank-one updates -- no transposed copy --
    and multiply it once. Cost: 3 products forward and 4 backward of size ``N x N x D``, against 4 + 8
    for autograd through four similarity matrices (GRACE's reference code).

    Forward args: ``u`` [N, D], ``v`` [N, D], ``tau``. Returns ``lse`` [2N] (view-1 anchors, then
    view-2 anchors), the diagonal (an anchor with itself) excluded.

    Valid while ``2 / tau`` stays far from float overflow of ``exp``; callers use it for
    ``tau >= 0.05`` and fall back to :class:`SelfSimilarityLogSumExp` otherwise.
    """

    @staticmethod
    def forward(ctx, u: Tensor, v: Tensor, tau: float) -> Tensor:  # noqa: D102
        scale = 1.0 / tau
        a = torch.mm(u, u.t()).mul_(scale)
        b = torch.mm(u, v.t()).mul_(scale)
        c = torch.mm(v, v.t()).mul_(scale)
        a.diagonal().fill_(float("-inf"))
        c.diagonal().fill_(float("-inf"))
        h1 = torch.maximum(a.amax(dim=1), b.amax(dim=1)).mul_(0.5)
        h2 = torch.maximum(b.amax(dim=0), c.amax(dim=1)).mul_(0.5)
        for block, rows, cols in ((a, h1, h1), (b, h1, h2), (c, h2, h2)):
            block.sub_(rows.unsqueeze(1)).sub_(cols.unsqueeze(0)).exp_()
        f1, f2 = h1.exp(), h2.exp()
        lse1 = h1 + torch.addmv(torch.mv(a, f1), b, f2).log()
        lse2 = h2 + torch.addmv(torch.mv(c, f2), b.t(), f1).log()
        ctx.save_for_backward(u, v, a, b, c, h1, h2, lse1, lse2)
        ctx.tau = tau
        return torch.cat([lse1, lse2])

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_lse: Tensor) -> tuple[Tensor, Tensor, None]:  # noqa: D102
        u, v, a, b, c, h1, h2, lse1, lse2 = ctx.saved_tensors
        n = u.size(0)
        f1, f2 = h1.exp(), h2.exp()
        b1 = grad_lse[:n] * (h1 - lse1).exp()
        b2 = grad_lse[n:] * (h2 - lse2).exp()
        # (G + G^T) restricted to each block, in place in the saved exponentials (used once)
        a.mul_(torch.outer(b1, f1).addr_(f1, b1))
        b.mul_(torch.outer(b1, f2).addr_(f1, b2))
        c.mul_(torch.outer(b2, f2).addr_(f2, b2))
        scale = 1.0 / ctx.tau
        grad_u = torch.addmm(torch.mm(a, u), b, v).mul_(scale)
        grad_v = torch.addmm(torch.mm(c, v), b.t(), u).mul_(scale)
        return grad_u, grad_v, None
