import pytest
import torch
import torch.nn.functional as F

from gcl.losses.dense_lse import SelfSimilarityLogSumExp, TwoViewLogSumExp


def reference(x: torch.Tensor, tau: float, rows: int, bias=None) -> torch.Tensor:
    logits = x[:rows] @ x.t() / tau
    if bias is not None:
        logits = logits + bias
    logits.diagonal().fill_(float("-inf"))
    return torch.logsumexp(logits, dim=1)


def views(n: int = 37, d: int = 5, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    u = F.normalize(torch.randn(n, d, generator=gen, dtype=torch.float64), dim=1).requires_grad_()
    v = F.normalize(torch.randn(n, d, generator=gen, dtype=torch.float64), dim=1).requires_grad_()
    return u, v, torch.randn(2 * n, generator=gen, dtype=torch.float64)


@pytest.mark.parametrize("tile_bytes", [8 * 37 * 3, 1 << 20])  # 3-row tiles (13 of them), one tile
@pytest.mark.parametrize("tau", [0.05, 0.2, 1.0])
def test_two_view_lse_equals_reference_values_and_gradients(tau, tile_bytes, monkeypatch):
    monkeypatch.setattr(TwoViewLogSumExp, "tile_bytes", tile_bytes)
    u, v, w = views()
    ref = reference(torch.cat([u, v]), tau, 2 * u.size(0))
    ours = TwoViewLogSumExp.apply(u, v, tau)
    torch.testing.assert_close(ours, ref)
    for a, b in zip(
        torch.autograd.grad((ref * w).sum(), [u, v]), torch.autograd.grad((ours * w).sum(), [u, v])
    ):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("rows_all", [True, False])
@pytest.mark.parametrize("with_bias", [False, True])
def test_self_similarity_lse_equals_reference(rows_all, with_bias):
    u, v, w = views(seed=1)
    x = torch.cat([u, v])
    rows = x.size(0) if rows_all else u.size(0)
    bias = torch.linspace(-1, 1, x.size(0), dtype=torch.float64) if with_bias else None
    ref = reference(x, 0.3, rows, bias)
    ours = SelfSimilarityLogSumExp.apply(x, 0.3, bias, rows)
    torch.testing.assert_close(ours, ref)
    (g_ref,) = torch.autograd.grad((ref * w[:rows]).sum(), x)
    (g_ours,) = torch.autograd.grad((ours * w[:rows]).sum(), x)
    torch.testing.assert_close(g_ours, g_ref)


def test_two_view_lse_unnormalized_views_use_the_norm_bound():
    u, v, w = views(seed=2)
    u, v = (3.0 * u).detach().requires_grad_(), (0.5 * v).detach().requires_grad_()  # logits up to 9 / tau
    ref = reference(torch.cat([u, v]), 0.5, 2 * u.size(0))
    ours = TwoViewLogSumExp.apply(u, v, 0.5)
    torch.testing.assert_close(ours, ref)
    for a, b in zip(
        torch.autograd.grad((ref * w).sum(), [u, v]), torch.autograd.grad((ours * w).sum(), [u, v])
    ):
        torch.testing.assert_close(a, b)
