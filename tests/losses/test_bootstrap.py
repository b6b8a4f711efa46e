import itertools
import math

import pytest
import torch
from torch import nn

from gcl.losses.bootstrap import (
    BootstrapLoss,
    EMATarget,
    bootstrap_loss,
    bootstrap_loss_symmetric,
    cosine_momentum,
    update_ema,
)


def test_hand_computed_values():
    q = torch.tensor([[1.0, 0.0], [0.0, 3.0]])
    assert bootstrap_loss(q, q).item() == 0.0  # identical views
    assert bootstrap_loss(q, -2 * q).item() == pytest.approx(4.0)  # opposite
    z = torch.tensor([[0.0, 1.0], [1.0, 1.0]])  # cos = 0 and 1/sqrt(2)
    assert bootstrap_loss(q, z).item() == pytest.approx((2.0 + (2.0 - math.sqrt(2.0))) / 2)


def test_loss_decreases_as_views_agree():
    g = torch.Generator().manual_seed(0)
    q, z = torch.randn(16, 8, generator=g), torch.randn(16, 8, generator=g)
    values = [bootstrap_loss(q, (1 - a) * z + a * q).item() for a in (0.0, 0.25, 0.5, 0.75, 1.0)]
    assert all(a > b for a, b in itertools.pairwise(values))
    assert values[-1] == pytest.approx(0.0, abs=1e-6)


def test_equals_normalized_mse_and_stops_target_gradient():
    g = torch.Generator().manual_seed(1)
    q = torch.randn(5, 4, generator=g, requires_grad=True)
    z = torch.randn(5, 4, generator=g, requires_grad=True)
    loss = bootstrap_loss(q, z)
    mse = (nn.functional.normalize(q, dim=1) - nn.functional.normalize(z, dim=1)).pow(2).sum(1).mean()
    torch.testing.assert_close(loss, mse)
    loss.backward()
    assert q.grad is not None and z.grad is None


def test_symmetric_matches_bgrl_reference_form():
    g = torch.Generator().manual_seed(2)
    q1, z2, q2, z1 = (torch.randn(6, 3, generator=g) for _ in range(4))
    cos = nn.functional.cosine_similarity
    expected = 2 - cos(q1, z2, dim=-1).mean() - cos(q2, z1, dim=-1).mean()
    torch.testing.assert_close(bootstrap_loss_symmetric(q1, z2, q2, z1), expected)
    torch.testing.assert_close(BootstrapLoss()(q1, z2, q2, z1), expected)
    torch.testing.assert_close(BootstrapLoss(symmetric=False)(q1, z2), bootstrap_loss(q1, z2))
    with pytest.raises(ValueError, match="takes 4 tensors, got 2"):
        BootstrapLoss()(q1, z2)


def test_seeded_value():
    g = torch.Generator().manual_seed(0)
    z1 = torch.randn(6, 4, generator=g, dtype=torch.float64)
    z2 = torch.randn(6, 4, generator=g, dtype=torch.float64)
    assert bootstrap_loss(z1, z2).item() == pytest.approx(3.045495574460246, abs=1e-12)


def test_update_ema_hand_computed():
    online, target = nn.Linear(2, 1), nn.Linear(2, 1)
    with torch.no_grad():
        online.weight.fill_(1.0)
        online.bias.fill_(2.0)
        target.weight.fill_(0.0)
        target.bias.fill_(0.0)
    update_ema(target, online, momentum=0.9)
    torch.testing.assert_close(target.weight, torch.full((1, 2), 0.1))
    torch.testing.assert_close(target.bias, torch.full((1,), 0.2))
    update_ema(target, online, momentum=1.0)
    torch.testing.assert_close(target.bias, torch.full((1,), 0.2))


def test_update_ema_buffers():
    online, target = nn.BatchNorm1d(2), nn.BatchNorm1d(2)
    with torch.no_grad():
        online.running_mean.fill_(1.0)
        online.num_batches_tracked.fill_(7)
    update_ema(target, online, momentum=0.5)
    torch.testing.assert_close(target.running_mean, torch.zeros(2))  # buffers left alone by default
    update_ema(target, online, momentum=0.5, include_buffers=True)
    torch.testing.assert_close(target.running_mean, torch.full((2,), 0.5))
    assert target.num_batches_tracked.item() == 7


def test_ema_target_is_frozen_copy():
    online = nn.Linear(3, 2)
    target = EMATarget(online)
    assert all(not p.requires_grad for p in target.parameters())
    torch.testing.assert_close(target.module.weight, online.weight)
    x = torch.randn(4, 3)
    assert not target(x).requires_grad
    with torch.no_grad():
        online.weight.add_(1.0)
    before = target.module.weight.clone()
    target.update(online, momentum=0.5)
    torch.testing.assert_close(target.module.weight, 0.5 * before + 0.5 * online.weight)


def test_cosine_momentum_schedule():
    assert cosine_momentum(0, 100) == pytest.approx(0.99)
    assert cosine_momentum(50, 100) == pytest.approx(0.995)
    assert cosine_momentum(100, 100) == pytest.approx(1.0)
    assert cosine_momentum(25, 100, base=0.9) == pytest.approx(1 - 0.1 * (math.cos(math.pi / 4) + 1) / 2)
    values = [cosine_momentum(k, 10) for k in range(11)]
    assert all(a <= b for a, b in itertools.pairwise(values))


def test_errors():
    with pytest.raises(ValueError, match=r"online_pred and target_proj .* got \(3, 2\) and \(4, 2\)"):
        bootstrap_loss(torch.randn(3, 2), torch.randn(4, 2))
    with pytest.raises(ValueError, match="momentum must be"):
        update_ema(nn.Linear(1, 1), nn.Linear(1, 1), momentum=1.5)
    with pytest.raises(ValueError, match="same number and shapes"):
        update_ema(nn.Linear(1, 1), nn.Linear(2, 1), momentum=0.5)
    with pytest.raises(ValueError, match="step must be"):
        cosine_momentum(11, 10)
    with pytest.raises(ValueError, match="total_steps"):
        cosine_momentum(0, 0)
    with pytest.raises(ValueError, match=r"nn\.Module"):
        EMATarget(lambda x: x)
