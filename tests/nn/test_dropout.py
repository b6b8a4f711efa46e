"""The uniform-mask dropout: its distribution, gradient, identities and errors."""

from __future__ import annotations

import pytest
import torch

from gcl.nn.dropout import Dropout, dropout


def test_dropout_keeps_a_one_minus_p_share_scaled_and_routes_the_gradient_through_the_same_mask():
    x = torch.arange(1, 20001, dtype=torch.float32).requires_grad_()
    y = dropout(x, p=0.3, generator=torch.Generator().manual_seed(0))
    kept = y != 0
    assert abs(kept.float().mean().item() - 0.7) < 0.01
    torch.testing.assert_close(y[kept], x.detach()[kept] / 0.7)
    y.sum().backward()
    torch.testing.assert_close(x.grad, kept.float() / 0.7)


def test_dropout_is_seeded_and_the_identity_when_off():
    x = torch.randn(4, 5, 6)
    a = dropout(x, 0.5, generator=torch.Generator().manual_seed(3))
    b = dropout(x, 0.5, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and not torch.equal(a, x)
    assert dropout(x, 0.5, training=False) is x and dropout(x, 0.0) is x
    assert torch.equal(dropout(x, 1.0), torch.zeros_like(x))
    module = Dropout(0.5).eval()
    assert module(x) is x and repr(module) == "Dropout(p=0.5)"


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan"), True])
def test_impossible_probabilities_are_errors(p):
    with pytest.raises(ValueError, match="dropout probability in"):
        dropout(torch.ones(3), p)
