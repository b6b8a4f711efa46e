import math

import pytest
import torch
import torch.nn.functional as F

from gcl.losses.bpr import BPRLoss, InBatchInfoNCE, bpr_loss, in_batch_info_nce, l2_reg


def test_bpr_equals_minus_logsigmoid():
    g = torch.Generator().manual_seed(0)
    pos, neg = torch.randn(8, generator=g), torch.randn(8, generator=g)
    torch.testing.assert_close(bpr_loss(pos, neg), -F.logsigmoid(pos - neg).mean())
    torch.testing.assert_close(BPRLoss()(pos, neg), bpr_loss(pos, neg))
    assert bpr_loss(torch.tensor([0.0]), torch.tensor([0.0])).item() == pytest.approx(math.log(2.0))
    assert bpr_loss(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])).item() == pytest.approx(
        (math.log(1 + math.exp(-1)) + math.log(1 + math.e)) / 2
    )


def test_bpr_multiple_negatives_and_seeded():
    pos = torch.tensor([1.0, 2.0])
    neg = torch.tensor([[0.0, 1.0, 2.0], [2.0, 2.0, 2.0]])
    expected = F.softplus(neg - pos.unsqueeze(1)).mean()
    torch.testing.assert_close(bpr_loss(pos, neg), expected)
    g = torch.Generator().manual_seed(0)
    z1 = torch.randn(6, 4, generator=g, dtype=torch.float64)
    z2 = torch.randn(6, 4, generator=g, dtype=torch.float64)
    assert bpr_loss(z1[:, 0], z2[:, 0]).item() == pytest.approx(1.4951143671495484, abs=1e-12)


def test_bpr_is_stable_for_large_margins():
    pos = torch.tensor([-100.0], requires_grad=True)
    loss = bpr_loss(pos, torch.tensor([100.0]))
    assert loss.item() == pytest.approx(200.0)
    loss.backward()
    assert pos.grad.item() == pytest.approx(-1.0)  # no saturation, unlike -log(1e-8 + sigmoid)


def test_l2_reg_exact_definitions():
    u = torch.tensor([[1.0, 2.0], [0.0, 2.0]])  # ||u||_F^2 = 9
    i = torch.tensor([[3.0, 4.0], [0.0, 0.0]])  # ||i||_F^2 = 25
    assert l2_reg(u, i, batch_size=2).item() == pytest.approx((9 + 25) / 2)
    assert l2_reg(u, i, batch_size=2, squared=False).item() == pytest.approx((3 + 5) / 2)
    # SELFRec: reg * sum(norm(emb) / emb.shape[0])
    selfrec = sum(torch.norm(e, p=2) / e.shape[0] for e in (u, i))
    torch.testing.assert_close(l2_reg(u, i, batch_size=2, squared=False), selfrec)


def test_in_batch_info_nce_hand_and_reference():
    a = torch.eye(2)
    assert in_batch_info_nce(a, a, 1.0).item() == pytest.approx(math.log(1 + 1 / math.e))
    g = torch.Generator().manual_seed(0)
    z1 = torch.randn(6, 4, generator=g, dtype=torch.float64)
    z2 = torch.randn(6, 4, generator=g, dtype=torch.float64)
    v1, v2 = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    selfrec = -torch.diag(F.log_softmax(v1 @ v2.T / 0.2, dim=1)).mean()
    torch.testing.assert_close(in_batch_info_nce(z1, z2, 0.2), selfrec)
    assert in_batch_info_nce(z1, z2, 0.2).item() == pytest.approx(6.2794228277334305, abs=1e-12)
    torch.testing.assert_close(InBatchInfoNCE(0.2)(z1, z2), selfrec)
    raw = -torch.diag(F.log_softmax(z1 @ z2.T / 0.2, dim=1)).mean()
    torch.testing.assert_close(in_batch_info_nce(z1, z2, 0.2, normalize=False), raw)


@pytest.mark.parametrize("normalize", [True, False])
def test_in_batch_info_nce_gradient_equals_autograd_through_cross_entropy(normalize):
    g = torch.Generator().manual_seed(3)
    z1 = torch.randn(7, 5, generator=g, dtype=torch.float64, requires_grad=True)
    z2 = torch.randn(7, 5, generator=g, dtype=torch.float64, requires_grad=True)
    (3.0 * in_batch_info_nce(z1, z2, 0.3, normalize=normalize)).backward()
    fused = z1.grad.clone(), z2.grad.clone()
    z1.grad = z2.grad = None
    v1, v2 = (F.normalize(z1, dim=1), F.normalize(z2, dim=1)) if normalize else (z1, z2)
    (3.0 * F.cross_entropy(v1 @ v2.T / 0.3, torch.arange(7))).backward()
    torch.testing.assert_close(fused, (z1.grad, z2.grad))


def test_in_batch_info_nce_stable_at_small_tau():
    a = torch.randn(16, 8, generator=torch.Generator().manual_seed(1))
    assert torch.isfinite(in_batch_info_nce(a, a, 1e-3))


def test_errors():
    with pytest.raises(ValueError, match=r"neg_scores must have shape \[B\] or \[B, K\] with B = 3"):
        bpr_loss(torch.zeros(3), torch.zeros(4))
    with pytest.raises(ValueError, match=r"pos_scores must be a non-empty 1-D tensor \[B\], got \(3, 1\)"):
        bpr_loss(torch.zeros(3, 1), torch.zeros(3))
    with pytest.raises(ValueError, match="batch_size"):
        l2_reg(torch.zeros(2), batch_size=0)
    with pytest.raises(ValueError, match="at least one tensor"):
        l2_reg(batch_size=2)
    with pytest.raises(ValueError, match=r"a \(2, 3\) and b \(3, 3\)"):
        in_batch_info_nce(torch.zeros(2, 3), torch.zeros(3, 3), 0.2)
    with pytest.raises(ValueError, match="tau"):
        InBatchInfoNCE(tau=0.0)
