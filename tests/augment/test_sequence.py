import pytest
import torch

from gcl.augment.sequence import crop, insert, item_similarity_topk, mask, reorder, substitute


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # Tiny tensors: one intra-op thread avoids OpenMP barrier stalls on a busy shared machine.
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


SEQ = torch.tensor([[0, 1, 2, 3, 4, 5], [0, 0, 0, 0, 6, 7], [8, 9, 10, 11, 12, 13], [0, 0, 0, 0, 0, 0]])
LEN = torch.tensor([5, 2, 6, 0])


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def random_batch(seed: int, bsz: int = 64, width: int = 12, num_items: int = 30):
    g = gen(seed)
    lengths = torch.randint(0, width + 1, (bsz,), generator=g)
    items = torch.randint(1, num_items + 1, (bsz, width), generator=g)
    real = torch.arange(width).unsqueeze(0) >= (width - lengths).unsqueeze(1)
    return items.masked_fill(~real, 0), lengths, real


def rows(seq: torch.Tensor, lengths: torch.Tensor) -> list[list[int]]:
    return [r[r.numel() - int(n) :].tolist() if n else [] for r, n in zip(seq, lengths)]


# ------------------------------------------------------------------ exact seeded outputs
def test_crop_seeded():
    out, n = crop(SEQ, LEN, 0.5, generator=gen())
    assert out.tolist() == [[0, 0, 0, 0, 4, 5], [0, 0, 0, 0, 0, 7], [0, 0, 0, 9, 10, 11], [0] * 6]
    assert n.tolist() == [2, 1, 3, 0]


def test_mask_seeded():
    out, n = mask(SEQ, LEN, 0.5, 99, generator=gen())
    assert out.tolist() == [[0, 1, 99, 99, 4, 5], [0, 0, 0, 0, 99, 7], [99, 99, 99, 11, 12, 13], [0] * 6]
    assert n.tolist() == LEN.tolist()


def test_reorder_seeded():
    out, n = reorder(SEQ, LEN, 0.8, generator=gen())
    assert out.tolist() == [[0, 1, 2, 5, 3, 4], [0, 0, 0, 0, 6, 7], [8, 9, 12, 10, 11, 13], [0] * 6]
    assert n.tolist() == LEN.tolist()


def test_item_similarity_topk_hand_computed():
    items, scores = item_similarity_topk(SEQ, 2)
    # user 0 has 5 distinct items: 1 / log(6) = 0.5581; user 1 two items: 1 / log(3) = 0.9102; all degrees 1
    assert items.tolist()[:8] == [[0, 0], [2, 3], [1, 3], [1, 2], [1, 2], [1, 2], [7, 6], [6, 7]]
    assert scores[1].tolist() == pytest.approx([0.5581, 0.5581], abs=1e-4)
    assert scores[6].tolist() == pytest.approx([0.9102, 0.0], abs=1e-4)  # only one neighbour: itself, 0
    assert items.shape == (14, 2)


def test_item_similarity_iuf_and_degree_normalization():
    # items 1, 2 co-occur in two sequences of length 2 and 3; item 3 only with 1 in the second
    seqs = torch.tensor([[0, 1, 2], [1, 2, 3]])
    items, scores = item_similarity_topk(seqs, 2)
    w2, w3 = 1 / torch.log(torch.tensor(3.0)), 1 / torch.log(torch.tensor(4.0))
    assert items[1].tolist() == [2, 3]
    assert scores[1, 0].item() == pytest.approx(float((w2 + w3) / 2), rel=1e-5)  # sqrt(2 * 2)
    assert scores[1, 1].item() == pytest.approx(float(w3 / 2**0.5), rel=1e-5)  # sqrt(2 * 1)


def test_substitute_seeded():
    sim, _ = item_similarity_topk(SEQ, 2)
    out, n = substitute(SEQ, LEN, 0.4, sim, generator=gen())
    assert out.tolist() == [[0, 1, 1, 1, 4, 5], [0, 0, 0, 0, 7, 7], [9, 10, 10, 11, 12, 13], [0] * 6]
    assert n.tolist() == LEN.tolist()


def test_insert_seeded():
    sim, _ = item_similarity_topk(SEQ, 2)
    out, n = insert(SEQ, LEN, 0.4, sim, generator=gen())
    assert out.tolist() == [[1, 2, 1, 3, 4, 5], [0, 0, 0, 7, 6, 7], [10, 9, 10, 11, 12, 13], [0] * 6]
    assert n.tolist() == [6, 3, 6, 0]


def test_substitute_and_insert_docstring_cases():
    sim = torch.tensor([[0], [2], [1], [1]])
    assert substitute(torch.tensor([[0, 1, 3]]), torch.tensor([2]), 1.0, sim)[0].tolist() == [[0, 2, 1]]
    out, n = insert(torch.tensor([[0, 0, 0, 1, 3]]), torch.tensor([2]), 1.0, sim)
    assert out.tolist() == [[0, 2, 1, 1, 3]] and n.tolist() == [4]


# ------------------------------------------------------------------ invariants
@pytest.mark.parametrize("seed", range(5))
def test_crop_keeps_a_contiguous_subsequence_in_order(seed):
    seq, lengths, _ = random_batch(seed)
    out, n = crop(seq, lengths, 0.6, generator=gen(seed + 100))
    expected_n = torch.where(lengths > 0, torch.clamp(torch.floor(lengths * 0.6).long(), min=1), 0)
    assert n.tolist() == expected_n.tolist()
    for src, dst in zip(rows(seq, lengths), rows(out, n)):
        assert any(src[i : i + len(dst)] == dst for i in range(len(src) - len(dst) + 1))
    assert (out.masked_fill(torch.arange(12) >= 12 - n.unsqueeze(1), 0) == 0).all()  # left padding


@pytest.mark.parametrize("seed", range(5))
def test_reorder_keeps_the_multiset_and_moves_one_window(seed):
    seq, lengths, _ = random_batch(seed)
    out, n = reorder(seq, lengths, 0.5, generator=gen(seed + 100))
    assert torch.equal(n, lengths)
    assert torch.equal(out.sort(dim=1).values, seq.sort(dim=1).values)
    assert torch.equal(out == 0, seq == 0)
    for src, dst, length in zip(rows(seq, lengths), rows(out, n), lengths.tolist()):
        changed = [i for i in range(length) if src[i] != dst[i]]
        if changed:
            assert changed[-1] - changed[0] + 1 <= int(length * 0.5)


@pytest.mark.parametrize("seed", range(5))
def test_mask_never_touches_padding_and_masks_floor_gamma_n(seed):
    seq, lengths, real = random_batch(seed)
    out, n = mask(seq, lengths, 0.5, mask_token=31, generator=gen(seed + 100))
    assert torch.equal(n, lengths)
    assert (out[~real] == 0).all()
    assert ((out == 31).sum(1) == torch.floor(lengths * 0.5).long()).all()
    assert torch.equal(out[out != 31], seq[out != 31])


@pytest.mark.parametrize("seed", range(3))
def test_insert_keeps_original_order_and_substitute_changes_few(seed):
    seq, lengths, real = random_batch(seed, num_items=10)
    sim, _ = item_similarity_topk(seq, 3)
    out, n = insert(seq, lengths, 0.3, sim, generator=gen(seed))
    added = torch.where(lengths > 0, torch.clamp(torch.floor(lengths * 0.3).long(), min=1), 0)
    assert n.tolist() == torch.clamp(lengths + added, max=12).tolist()
    for src, dst, k in zip(rows(seq, lengths), rows(out, n), added.tolist()):
        if len(src) + k <= 12:  # not truncated: the original is a subsequence of the result
            it = iter(dst)
            assert all(any(x == y for y in it) for x in src)
    out, n = substitute(seq, lengths, 0.3, sim, generator=gen(seed))
    assert torch.equal(n, lengths) and (out[~real] == 0).all()
    assert ((out != seq).sum(1) <= added).all()


# ------------------------------------------------------------------ no-ops, determinism, errors
def test_noops_at_rate_zero_and_eval():
    sim, _ = item_similarity_topk(SEQ, 1)
    for fn, args in [
        (mask, (0.0, 99)),
        (reorder, (0.0,)),
        (substitute, (0.0, sim)),
        (insert, (0.0, sim)),
        (crop, (1.0,)),
    ]:
        out, n = fn(SEQ, LEN, *args, generator=gen())
        assert torch.equal(out, SEQ) and torch.equal(n, LEN), fn.__name__
    for fn, args in [(mask, (0.9, 99)), (reorder, (0.9,)), (substitute, (0.9, sim)), (crop, (0.1,))]:
        out, n = fn(SEQ, LEN, *args, training=False)
        assert torch.equal(out, SEQ) and torch.equal(n, LEN), fn.__name__


def test_same_generator_seed_same_output():
    a = reorder(SEQ, LEN, 0.8, generator=gen(3))[0]
    b = reorder(SEQ, LEN, 0.8, generator=gen(3))[0]
    assert torch.equal(a, b)


@pytest.mark.parametrize("rate", [-0.1, 1.5, float("nan")])
def test_rates_outside_unit_interval(rate):
    sim, _ = item_similarity_topk(SEQ, 1)
    with pytest.raises(ValueError, match="'eta' must be a probability"):
        crop(SEQ, LEN, rate)
    with pytest.raises(ValueError, match="'gamma' must be a probability"):
        mask(SEQ, LEN, rate)
    with pytest.raises(ValueError, match="'beta' must be a probability"):
        reorder(SEQ, LEN, rate)
    with pytest.raises(ValueError, match="'rate' must be a probability"):
        substitute(SEQ, LEN, rate, sim)
    with pytest.raises(ValueError, match="'rate' must be a probability"):
        insert(SEQ, LEN, rate, sim)


def test_bad_batches():
    with pytest.raises(ValueError, match="left-padded"):
        mask(torch.tensor([[1, 2, 0]]), torch.tensor([2]), 0.5)
    with pytest.raises(ValueError, match=r"'lengths' must have shape \[1\]"):
        mask(torch.tensor([[1, 2, 3]]), torch.tensor([2, 3]), 0.5)
    with pytest.raises(ValueError, match=r"'lengths' must lie in \[0, 3\]"):
        crop(torch.tensor([[1, 2, 3]]), torch.tensor([4]), 0.5)
    with pytest.raises(ValueError, match="integer item ids"):
        crop(torch.tensor([[1.0, 2.0]]), torch.tensor([2]), 0.5)
    with pytest.raises(ValueError, match=r"only has rows 0\.\.3"):
        substitute(torch.tensor([[5, 1]]), torch.tensor([2]), 0.5, torch.tensor([[0], [1], [2], [3]]))
    with pytest.raises(ValueError, match=r"'k' must be an int >= 1"):
        item_similarity_topk(SEQ, 0)
    with pytest.raises(ValueError, match=r"'generator' must be a torch\.Generator"):
        crop(SEQ, LEN, 0.5, generator=0)
