import pytest
import torch

from gcl.losses.infonce import info_nce
from gcl.losses.teamup import TeamUpInfoNCE, team_up_gamma, team_up_info_nce


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _views(n, d=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    z1 = torch.randn(n, d, generator=g, dtype=torch.float64, requires_grad=True)
    z2 = torch.randn(n, d, generator=g, dtype=torch.float64, requires_grad=True)
    return z1, z2


def _csgcl_reference(z1, z2, cs, gamma, tau):
    """The team-up formula as written in the CSGCL code: similarity + gamma * (cs_i + cs_j), exp, log."""

    def one_direction(a, b):
        a, b = torch.nn.functional.normalize(a), torch.nn.functional.normalize(b)
        bias = gamma * cs + gamma * cs.unsqueeze(1)
        refl = torch.exp((a @ a.t() + bias) / tau)
        between = torch.exp((a @ b.t() + bias) / tau)
        return -torch.log(between.diag() / (refl.sum(1) + between.sum(1) - refl.diag()))

    return (0.5 * (one_direction(z1, z2) + one_direction(z2, z1))).mean()


@pytest.mark.parametrize("chunk_size", [None, 3])
def test_matches_csgcl_formula_values_and_grads(chunk_size):
    z1, z2 = _views(10, seed=1)
    cs = torch.rand(10, generator=torch.Generator().manual_seed(2), dtype=torch.float64) * 0.3
    ref = _csgcl_reference(z1, z2, cs, 0.7, 0.4)
    ours = team_up_info_nce(z1, z2, cs, 0.7, 0.4, chunk_size=chunk_size)
    torch.testing.assert_close(ours, ref, atol=1e-10, rtol=1e-10)
    g_ref = torch.autograd.grad(ref, (z1, z2))
    g_ours = torch.autograd.grad(team_up_info_nce(z1, z2, cs, 0.7, 0.4, chunk_size=chunk_size), (z1, z2))
    for a, b in zip(g_ours, g_ref):
        torch.testing.assert_close(a, b, atol=1e-10, rtol=1e-10)


def test_seeded_value_and_gamma_zero_is_grace():
    g = torch.Generator().manual_seed(0)
    z1 = torch.randn(6, 4, generator=g, dtype=torch.float64)
    z2 = torch.randn(6, 4, generator=g, dtype=torch.float64)
    s = torch.rand(6, generator=g, dtype=torch.float64)
    assert team_up_info_nce(z1, z2, s, 0.5, 0.5).item() == pytest.approx(3.8916460322765567, abs=1e-12)
    torch.testing.assert_close(team_up_info_nce(z1, z2, s, 0.0, 0.5), info_nce(z1, z2, 0.5))


def test_strong_community_positive_lowers_its_loss():
    # all nodes in the same community shift uniformly -> no change; a stronger node's own positive
    # logit rises relative to the others, lowering its term
    z1, z2 = _views(8, seed=3)
    uniform = team_up_info_nce(z1, z2, torch.full((8,), 0.4, dtype=torch.float64), 1.0, 0.5)
    torch.testing.assert_close(uniform, info_nce(z1, z2, 0.5))
    w = torch.eye(8, dtype=torch.float64)[0]
    boosted = torch.zeros(8, dtype=torch.float64)
    boosted[0] = 0.5
    assert team_up_info_nce(z1, z2, boosted, 1.0, 0.5, weights=w) < info_nce(z1, z2, 0.5, weights=w)


def test_gamma_schedule():
    assert [team_up_gamma(e, t0=500, gamma_max=2.0) for e in (0, 500, 550, 600, 700, 5000)] == [
        0.0,
        0.0,
        0.5,
        1.0,
        2.0,
        2.0,
    ]
    assert team_up_gamma(30, t0=10, gamma_max=10.0, ramp_epochs=40) == 0.5
    with pytest.raises(ValueError, match="gamma_max"):
        team_up_gamma(1, gamma_max=-1.0)
    with pytest.raises(ValueError, match="ramp_epochs"):
        team_up_gamma(1, ramp_epochs=0)


def test_module_schedule_and_paths():
    z1, z2 = _views(9, seed=4)
    s = torch.linspace(0.0, 0.3, 9, dtype=torch.float64)
    dense = TeamUpInfoNCE(0.5, t0=100, gamma_max=1.0, chunk_size=None)
    chunked = TeamUpInfoNCE(0.5, t0=100, gamma_max=1.0, chunk_size=4)
    assert dense.gamma(150) == 0.5
    torch.testing.assert_close(dense(z1, z2, s, epoch=50), info_nce(z1, z2, 0.5))
    torch.testing.assert_close(dense(z1, z2, s, epoch=150), team_up_info_nce(z1, z2, s, 0.5, 0.5))
    torch.testing.assert_close(chunked(z1, z2, s, epoch=150), dense(z1, z2, s, epoch=150))
    with pytest.raises(ValueError, match="tau"):
        TeamUpInfoNCE(0.0)


def test_team_up_errors():
    z = torch.randn(5, 3)
    with pytest.raises(ValueError, match=r"strength must have shape \[N\] matching z1 \(5, 3\), got \(4,\)"):
        team_up_info_nce(z, z, torch.zeros(4), 1.0, 0.5)
    with pytest.raises(ValueError, match="gamma"):
        team_up_info_nce(z, z, torch.zeros(5), -0.1, 0.5)
    with pytest.raises(ValueError, match="tau"):
        team_up_info_nce(z, z, torch.zeros(5), 0.1, 0.0)
