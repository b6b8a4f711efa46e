import pytest
import torch

from gcl.seq.encoder import SASRecEncoder, causal_padding_mask


def encoder(**kw) -> SASRecEncoder:
    torch.manual_seed(0)
    return SASRecEncoder(num_items=30, max_length=8, hidden=16, num_blocks=2, num_heads=2, **kw)


def batch() -> torch.Tensor:
    return torch.tensor([[0, 0, 0, 4, 9, 2, 7, 1], [3, 5, 8, 13, 21, 2, 6, 11], [0, 0, 0, 0, 0, 0, 0, 0]])


def test_mask_hand_computed():
    mask = causal_padding_mask(torch.tensor([[0, 3, 5], [1, 2, 3]]))
    assert mask.shape == (2, 1, 3, 3)
    assert mask[0, 0].int().tolist() == [[1, 0, 0], [0, 1, 0], [0, 1, 1]]  # padding key never seen
    assert mask[1, 0].int().tolist() == [[1, 0, 0], [1, 1, 0], [1, 1, 1]]


@pytest.mark.parametrize("cut", [1, 3, 5, 7])
def test_causal_mask_never_lets_a_position_see_the_future(cut):
    enc = encoder().eval()
    seq = batch()
    out = enc(seq)
    perturbed = seq.clone()
    perturbed[:, cut:] = torch.randint(
        1, 31, perturbed[:, cut:].shape, generator=torch.Generator().manual_seed(cut)
    )
    out2 = enc(perturbed)
    assert torch.equal(out[:, :cut], out2[:, :cut])  # earlier outputs unchanged, bit for bit
    assert not torch.allclose(out[:2, cut:], out2[:2, cut:])  # later ones do change


def test_causality_also_holds_in_training_mode_with_the_same_dropout_draws():
    enc = encoder(dropout=0.3).train()
    seq = batch()
    torch.manual_seed(1)
    out = enc(seq)
    perturbed = seq.clone()
    perturbed[:, 6:] = 17
    torch.manual_seed(1)
    out2 = enc(perturbed)
    assert torch.equal(out[:, :6], out2[:, :6])


def test_padding_is_ignored_and_width_does_not_matter():
    enc = encoder().eval()
    seq = batch()
    out = enc(seq)
    assert torch.isfinite(out).all()  # fully padded rows stay finite
    narrow = enc(seq[:1, 3:])  # the same sequence without its padding columns
    assert torch.allclose(narrow, out[:1, 3:], atol=1e-6)


def test_shapes_parameters_and_errors():
    enc = encoder()
    assert enc(batch()).shape == (3, 8, 16)
    assert enc.item_embedding.num_embeddings == 32 and enc.mask_token == 31  # pad + 30 items + mask
    assert torch.equal(enc.item_embedding.weight[0], torch.zeros(16))
    assert enc.blocks[0].ff1.out_features == 64  # default inner size 4 * hidden
    with pytest.raises(ValueError, match="max_length is 8"):
        enc(torch.ones(1, 9, dtype=torch.long))
    with pytest.raises(ValueError, match="divisible by num_heads"):
        SASRecEncoder(num_items=5, hidden=10, num_heads=3)
    with pytest.raises(ValueError, match=r"dropout must be a dropout rate in \[0, 1\)"):
        SASRecEncoder(num_items=5, dropout=1.0)
