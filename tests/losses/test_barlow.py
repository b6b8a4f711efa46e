import pytest
import torch

from gcl.losses.barlow import BarlowTwinsLoss, barlow_twins_loss, cross_correlation

HADAMARD = torch.tensor([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])


def test_zero_when_cross_correlation_is_identity():
    torch.testing.assert_close(cross_correlation(HADAMARD, HADAMARD), torch.eye(2))
    assert barlow_twins_loss(HADAMARD, HADAMARD).item() == 0.0
    assert barlow_twins_loss(3 * HADAMARD + 1, HADAMARD).item() == pytest.approx(0.0, abs=1e-12)


def test_hand_computed_two_dims():
    z2 = HADAMARD[:, [1, 0]]  # swapped dims: C = [[0, 1], [1, 0]]
    torch.testing.assert_close(cross_correlation(HADAMARD, z2), torch.tensor([[0.0, 1.0], [1.0, 0.0]]))
    # on-diagonal: 2 * (1 - 0)^2 = 2; off-diagonal: lambda * 2
    assert barlow_twins_loss(HADAMARD, z2).item() == pytest.approx(2.0 + 0.5 * 2.0)  # lambda = 1/D
    assert barlow_twins_loss(HADAMARD, z2, lambda_=0.25).item() == pytest.approx(2.5)
    assert barlow_twins_loss(HADAMARD, -HADAMARD).item() == pytest.approx(8.0)  # C = -I


def test_matches_gbt_reference_with_unbiased_std():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(10, 6, generator=g, dtype=torch.float64)
    b = torch.randn(10, 6, generator=g, dtype=torch.float64)
    an = (a - a.mean(0)) / (a.std(0) + 1e-15)
    bn = (b - b.mean(0)) / (b.std(0) + 1e-15)
    c = an.T @ bn / 10
    off = ~torch.eye(6, dtype=torch.bool)
    expected = (1 - c.diagonal()).pow(2).sum() + (1 / 6) * c[off].pow(2).sum()
    torch.testing.assert_close(barlow_twins_loss(a, b, unbiased=True), expected)
    torch.testing.assert_close(BarlowTwinsLoss(unbiased=True)(a, b), expected)


def test_seeded_value_and_gradients_flow():
    g = torch.Generator().manual_seed(0)
    z1 = torch.randn(6, 4, generator=g, dtype=torch.float64, requires_grad=True)
    z2 = torch.randn(6, 4, generator=g, dtype=torch.float64)
    loss = barlow_twins_loss(z1, z2)
    assert loss.item() == pytest.approx(9.697545336126018, abs=1e-12)
    loss.backward()
    assert torch.isfinite(z1.grad).all() and z1.grad.abs().sum() > 0


def test_errors():
    with pytest.raises(ValueError, match=r"z1 \(4, 2\) and z2 \(4, 3\)"):
        barlow_twins_loss(torch.randn(4, 2), torch.randn(4, 3))
    with pytest.raises(ValueError, match="at least 2 rows"):
        barlow_twins_loss(torch.randn(1, 2), torch.randn(1, 2))
    with pytest.raises(ValueError, match="lambda_"):
        BarlowTwinsLoss(lambda_=-1.0)
    with pytest.raises(ValueError, match="eps"):
        BarlowTwinsLoss(eps=-1.0)
