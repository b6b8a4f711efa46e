import math

import pytest
import torch

from gcl.losses.alignment import DirectAULoss, alignment, directau_loss, uniformity


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


SQUARE = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])


def test_alignment_known_values():
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    assert alignment(x, x).item() == 0.0
    assert alignment(x, -x).item() == pytest.approx(4.0)
    assert alignment(x, torch.tensor([[0.0, 5.0], [0.0, 1.0]])).item() == pytest.approx(1.0)  # normalized
    assert alignment(x, -x, alpha=1.0).item() == pytest.approx(2.0)
    assert alignment(2 * x, -x, normalize=False).item() == pytest.approx(9.0)


def test_alignment_gradient_at_zero_distance_is_finite():
    x = torch.randn(3, 4, requires_grad=True)
    alignment(x, x.detach()).backward()
    assert torch.isfinite(x.grad).all()


def test_uniformity_known_values():
    assert uniformity(torch.tensor([[1.0, 0.0], [-1.0, 0.0]])).item() == pytest.approx(-8.0)
    # square: 4 adjacent pairs with d^2 = 2, 2 opposite with d^2 = 4
    expected = math.log((4 * math.exp(-4) + 2 * math.exp(-8)) / 6)
    assert uniformity(SQUARE).item() == pytest.approx(expected)
    expected_t1 = math.log((4 * math.exp(-2) + 2 * math.exp(-4)) / 6)
    assert uniformity(SQUARE, t=1.0).item() == pytest.approx(expected_t1)
    assert uniformity(SQUARE, chunk_size=1).item() == pytest.approx(expected)
    assert uniformity(torch.ones(3, 2)).item() == pytest.approx(0.0)  # collapsed


def test_uniformity_matches_wang_isola_formula_seeded():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(6, 4, generator=g, dtype=torch.float64)
    xn = torch.nn.functional.normalize(x, dim=1)
    expected = torch.pdist(xn, p=2).pow(2).mul(-2).exp().mean().log()
    torch.testing.assert_close(uniformity(x), expected)
    assert uniformity(x).item() == pytest.approx(-2.263835683709493, abs=1e-12)


@pytest.mark.parametrize("n,chunk", [(2, 1), (7, 3), (50, 16), (33, 64)])
def test_chunked_uniformity_equals_pdist(n, chunk):
    g = torch.Generator().manual_seed(n)
    x = torch.randn(n, 5, generator=g, dtype=torch.float64, requires_grad=True)
    ref = uniformity(x, chunk_size=None)
    (g_ref,) = torch.autograd.grad(ref, x)
    ours = uniformity(x, chunk_size=chunk)
    (g_ours,) = torch.autograd.grad(ours, x)
    torch.testing.assert_close(ours, ref, atol=1e-10, rtol=1e-10)
    torch.testing.assert_close(g_ours, g_ref, atol=1e-10, rtol=1e-10)


def test_directau_loss_formula():
    g = torch.Generator().manual_seed(0)
    u = torch.randn(6, 4, generator=g, dtype=torch.float64)
    i = torch.randn(6, 4, generator=g, dtype=torch.float64)
    expected = alignment(u, i) + 1.5 * (uniformity(u) + uniformity(i)) / 2
    torch.testing.assert_close(directau_loss(u, i, 1.5), expected)
    torch.testing.assert_close(DirectAULoss(1.5)(u, i), expected)
    assert directau_loss(u, i, 1.0).item() == pytest.approx(0.5715161013550967, abs=1e-12)
    assert alignment(u, i).item() == pytest.approx(3.045495574460246, abs=1e-12)


def test_errors():
    with pytest.raises(ValueError, match=r"x \(3, 2\) and y \(3, 4\)"):
        alignment(torch.randn(3, 2), torch.randn(3, 4))
    with pytest.raises(ValueError, match="alpha"):
        alignment(torch.randn(3, 2), torch.randn(3, 2), alpha=0)
    with pytest.raises(ValueError, match=r"at least 2 rows, got \(1, 2\)"):
        uniformity(torch.randn(1, 2))
    with pytest.raises(ValueError, match="t must be"):
        uniformity(torch.randn(3, 2), t=-1.0)
    with pytest.raises(ValueError, match="chunk_size"):
        uniformity(torch.randn(3, 2), chunk_size=0)
    with pytest.raises(ValueError, match="gamma"):
        DirectAULoss(gamma=-1.0)
