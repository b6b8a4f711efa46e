import math

import numpy as np
import pytest
import torch
from torch import nn

from gcl.data.interactions import Interactions
from gcl.seq.data import SequenceData, sample_same_target
from gcl.seq.encoder import SASRecEncoder
from gcl.seq.models import CL4SRec, DuoRec, ICSRec, SASRec, build_model, nt_xent


def toy_data() -> SequenceData:
    # 60 users walking through 12 items in a cycle from random starts: next item = current + 1 (mod 12)
    rng = np.random.default_rng(0)
    starts = rng.integers(0, 12, 60)
    lengths = rng.integers(5, 10, 60)
    user = np.repeat(np.arange(60), lengths)
    offset = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    item = (np.repeat(starts, lengths) + offset) % 12
    return SequenceData.from_interactions(Interactions(user=user, item=item), max_length=6)


def make(name: str, data: SequenceData, **kw) -> nn.Module:
    torch.manual_seed(0)
    enc = SASRecEncoder(data.num_items, max_length=data.max_length, hidden=16, num_heads=2, dropout=0.1)
    return build_model(name, enc, **kw)


def full_batch(data: SequenceData, partner: bool, seed: int = 0):
    positions = data.train_positions()[:64]
    batch = data.batch(positions)
    if partner:
        p = sample_same_target(batch.target, torch.Generator().manual_seed(seed))
        batch.partner_seq, batch.partner_lengths = batch.seq[p], batch.lengths[p]
    return batch


# ------------------------------------------------------------------ NT-Xent
def nt_xent_reference(z_i, z_j, tau, labels=None):
    z = torch.cat([z_i, z_j])
    n, b = z.size(0), z_i.size(0)
    lab = None if labels is None else torch.cat([labels, labels])
    losses = []
    for a in range(n):
        p = (a + b) % n
        pos = torch.dot(z[a], z[p]) / tau
        negs = [
            torch.dot(z[a], z[k]) / tau
            for k in range(n)
            if k not in (a, p) and (lab is None or lab[k] != lab[a])
        ]
        losses.append(torch.logsumexp(torch.stack([pos, *negs]), 0) - pos)
    return torch.stack(losses).mean()


def test_nt_xent_hand_computed_and_reference():
    z = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    assert nt_xent(z, z).item() == pytest.approx(-math.log(math.e / (math.e + 2)), rel=1e-6)
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(6, 4, generator=g), torch.randn(6, 4, generator=g)
    labels = torch.tensor([1, 2, 1, 3, 2, 4])
    assert nt_xent(a, b, 0.5).item() == pytest.approx(nt_xent_reference(a, b, 0.5).item(), rel=1e-5)
    assert nt_xent(a, b, 0.5, labels=labels).item() == pytest.approx(
        nt_xent_reference(a, b, 0.5, labels).item(), rel=1e-5
    )
    cos = nt_xent(a, b, 0.5, similarity="cos").item()
    ref = nt_xent_reference(nn.functional.normalize(a, dim=1), nn.functional.normalize(b, dim=1), 0.5).item()
    assert cos == pytest.approx(ref, rel=1e-5)
    with pytest.raises(ValueError, match="tau must be a finite number > 0"):
        nt_xent(a, b, 0.0)


# ------------------------------------------------------------------ losses finite and decreasing
@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("sasrec", {}),
        ("sasrec", {"loss_type": "bpr"}),
        ("cl4srec", {}),
        ("duorec", {}),
        ("duorec", {"contrast": "us", "mask_false_negatives": False}),
        ("icsrec", {"num_intents": 4}),
    ],
)
def test_loss_is_finite_and_decreases(name, kw):
    data = toy_data()
    model = make(name, data, **kw)
    model.on_epoch_start(0, data, generator=torch.Generator().manual_seed(0))
    batch = full_batch(data, partner=model.needs_partner)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    gen = torch.Generator().manual_seed(0)
    losses = []
    for _ in range(20):
        loss = model.calculate_loss(batch, generator=gen)
        assert torch.isfinite(loss)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.mean(losses[-3:]) < 0.85 * np.mean(losses[:3])
    assert set(model.loss_terms) >= {"rec"}
    assert all(not t.requires_grad for t in model.loss_terms.values())


def test_loss_terms_and_weights():
    data = toy_data()
    batch = full_batch(data, partner=True)
    duo = make("duorec", data, contrast="us")
    duo.eval()  # no dropout: both passes agree, so terms are reproducible
    total = duo.calculate_loss(batch)
    t = duo.loss_terms
    assert set(t) == {"rec", "un", "su"}
    assert total.item() == pytest.approx((t["rec"] + 0.1 * t["un"] + 0.1 * t["su"]).item(), rel=1e-6)
    ics = make("icsrec", data, num_intents=3, lambda_coarse=0.3, beta_fine=0.1)
    ics.eval()
    ics.cluster(data, seed=0)
    assert ics.centroids.shape == (3, 16)
    total = ics.calculate_loss(batch)
    t = ics.loss_terms
    assert total.item() == pytest.approx((t["rec"] + 0.3 * t["coarse"] + 0.1 * t["fine"]).item(), rel=1e-6)


def test_cl4srec_views_use_distinct_operators_and_keep_padding_semantics():
    data = toy_data()
    model = make("cl4srec", data)
    batch = full_batch(data, partner=False)
    (s1, l1), (s2, l2) = model.augment(batch.seq, batch.lengths, torch.Generator().manual_seed(0))
    mask_id = model.mask_token
    assert mask_id == data.num_items + 1
    for seq, lengths in ((s1, l1), (s2, l2)):
        real = torch.arange(seq.size(1)) >= seq.size(1) - lengths.unsqueeze(1)
        assert (seq[~real] == 0).all() and (seq[real] != 0).all()
    (t1, _), (t2, _) = model.augment(batch.seq, batch.lengths, torch.Generator().manual_seed(0))
    assert torch.equal(s1, t1) and torch.equal(s2, t2)  # seeded


def test_full_sort_predict_and_contract_errors():
    data = toy_data()
    model = make("sasrec", data)
    scores = model.full_sort_predict(data.batch(data.target_positions("test")).seq)
    assert scores.shape == (60, data.num_items + 1) and torch.isinf(scores[:, 0]).all()
    with pytest.raises(ValueError, match="unknown sequential model 'gru4rec'"):
        build_model("gru4rec", model.encoder)
    with pytest.raises(ValueError, match="unexpected keyword"):
        build_model("sasrec", model.encoder, lmd=0.1)
    with pytest.raises(ValueError, match="encoder must expose 'num_items'"):
        SASRec(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="loss_type must be one of"):
        SASRec(model.encoder, loss_type="bce")
    with pytest.raises(ValueError, match=r"needs batch\.partner_seq"):
        DuoRec(model.encoder).calculate_loss(full_batch(data, partner=False))
    with pytest.raises(ValueError, match="no intent clusters yet"):
        ICSRec(model.encoder).calculate_loss(full_batch(data, partner=True))
    with pytest.raises(ValueError, match="lmd must be a finite number >= 0"):
        CL4SRec(model.encoder, lmd=-1)


def test_bpr_negatives_never_equal_the_target():
    data = toy_data()
    model = make("sasrec", data, loss_type="bpr")
    target = torch.randint(1, data.num_items + 1, (2000,), generator=torch.Generator().manual_seed(0))
    neg = model.sample_negatives(target, torch.Generator().manual_seed(1))
    assert (neg != target).all() and neg.min() >= 1 and neg.max() <= data.num_items
    assert torch.bincount(neg, minlength=data.num_items + 1)[1:].min() > 0
