import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from gcl.augment.embedding import uniform_noise

EMB = torch.tensor([[1.0, -2.0, 0.5], [0.3, 0.2, -1.0]])
# uniform_noise(EMB, 0.1, generator seeded 0): PCG64 draws since session 7 (torch.rand before)
SEEDED_NOISE = [[0.00121652, -0.04396681, 0.08980779], [0.08375904, 0.04782994, -0.02639547]]


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_uniform_noise_seeded_output():
    out, noise = uniform_noise(EMB, 0.1, generator=gen())
    assert_close(noise, torch.tensor(SEEDED_NOISE))
    assert_close(out, EMB + noise)


def reference_draws(shape, seed: int) -> torch.Tensor:
    """The documented recipe of gcl.augment.uniform_draws, for one chunk: PCG64 of the spawned stream."""
    seed63 = int(torch.randint(0, 2**63 - 1, (1,), generator=gen(seed)))
    stream = np.random.SeedSequence(seed63).spawn(1)[0]
    return torch.from_numpy(np.random.Generator(np.random.PCG64(stream)).random(shape, dtype=np.float32))


def test_uniform_noise_matches_simgcl_reference_formula():
    emb = torch.randn(64, 16, generator=gen(1))
    _, noise = uniform_noise(emb, 0.2, generator=gen(2))
    reference = torch.sign(emb) * F.normalize(reference_draws((64, 16), seed=2), dim=-1) * 0.2
    assert_close(noise, reference)


def test_uniform_noise_has_norm_eps_and_the_sign_of_emb():
    emb = torch.randn(100, 32, generator=gen(3))
    _, noise = uniform_noise(emb, 0.1, generator=gen(4))
    assert_close(noise.norm(dim=-1), torch.full((100,), 0.1))
    assert torch.equal(torch.sign(noise), torch.sign(emb))


def test_uniform_noise_zero_coordinates_get_no_noise():
    emb = torch.tensor([[0.0, 1.0, -1.0]])
    _, noise = uniform_noise(emb, 0.5, generator=gen())
    assert noise[0, 0] == 0 and float(noise.norm()) < 0.5


def test_uniform_noise_keeps_gradient_to_emb():
    emb = EMB.clone().requires_grad_()
    out, _ = uniform_noise(emb, 0.1, generator=gen())
    out.sum().backward()
    assert_close(emb.grad, torch.ones_like(EMB))


def test_uniform_noise_does_not_modify_input():
    emb = EMB.clone()
    uniform_noise(emb, 0.1, generator=gen())
    assert torch.equal(emb, EMB)


@pytest.mark.parametrize("kwargs", [{"eps": 0.0}, {"eps": 0.1, "training": False}])
def test_uniform_noise_identity(kwargs):
    out, noise = uniform_noise(EMB, **kwargs)
    assert out is EMB and not noise.any()


def test_uniform_noise_validates():
    with pytest.raises(ValueError, match="'eps' must be a finite number >= 0"):
        uniform_noise(EMB, -0.1)
    with pytest.raises(ValueError, match="'eps'"):
        uniform_noise(EMB, float("inf"))
    with pytest.raises(ValueError, match="'emb' must be a floating-point tensor"):
        uniform_noise(EMB.long(), 0.1)
