import math

import pytest
import torch
import torch.nn.functional as F

from gcl.losses.jsd import DGIBCELoss, JSDMILoss, dgi_bce, jsd_mi_loss


def test_dgi_bce_hand_computed():
    # pos logit 0 -> log 2; neg logit log(3) -> softplus(log 3) = log 4
    value = dgi_bce(torch.tensor([0.0]), torch.tensor([math.log(3.0)]))
    assert value.item() == pytest.approx((math.log(2.0) + math.log(4.0)) / 2)


def test_dgi_bce_equals_bce_with_logits_on_concatenation():
    g = torch.Generator().manual_seed(0)
    pos, neg = torch.randn(7, generator=g), torch.randn(5, generator=g)
    labels = torch.cat([torch.ones(7), torch.zeros(5)])
    expected = F.binary_cross_entropy_with_logits(torch.cat([pos, neg]), labels)
    torch.testing.assert_close(dgi_bce(pos, neg), expected)
    torch.testing.assert_close(DGIBCELoss()(pos, neg), expected)
    # equal counts: half of PyG's DeepGraphInfomax.loss (sum of the two means)
    pos2, neg2 = torch.randn(6, generator=g), torch.randn(6, generator=g)
    pyg = -F.logsigmoid(pos2).mean() - F.logsigmoid(-neg2).mean()
    torch.testing.assert_close(dgi_bce(pos2, neg2), pyg / 2)


def test_dgi_bce_is_stable_for_large_logits():
    value = dgi_bce(torch.tensor([200.0]), torch.tensor([-200.0]))
    assert value.item() == 0.0
    assert math.isfinite(dgi_bce(torch.tensor([-200.0]), torch.tensor([200.0])).item())


def test_jsd_hand_computed_and_infograph_form():
    assert jsd_mi_loss(torch.zeros(2), torch.zeros(5)).item() == pytest.approx(2 * math.log(2.0))
    g = torch.Generator().manual_seed(1)
    pos, neg = torch.randn(4, 3, generator=g), torch.randn(10, generator=g)
    # InfoGraph: E_pos = log 2 - softplus(-p), E_neg = softplus(-q) + q - log 2; loss = E_neg - E_pos
    e_pos = (math.log(2.0) - F.softplus(-pos)).mean()
    e_neg = (F.softplus(-neg) + neg - math.log(2.0)).mean()
    torch.testing.assert_close(jsd_mi_loss(pos, neg), e_neg - e_pos + 2 * math.log(2.0))
    torch.testing.assert_close(JSDMILoss()(pos, neg), jsd_mi_loss(pos, neg))


def test_jsd_decreases_as_critic_separates():
    pos, neg = torch.ones(3), -torch.ones(3)
    assert jsd_mi_loss(2 * pos, 2 * neg) < jsd_mi_loss(pos, neg) < jsd_mi_loss(neg, pos)


def test_errors():
    with pytest.raises(ValueError, match=r"neg_logits must not be empty, got shape \(0,\)"):
        dgi_bce(torch.zeros(2), torch.zeros(0))
    with pytest.raises(ValueError, match="pos_scores must be a floating tensor"):
        jsd_mi_loss(torch.zeros(2, dtype=torch.long), torch.zeros(2))
