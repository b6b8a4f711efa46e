import pytest
import torch
from torch_geometric.data import Data

from gcl.augment.compose import Compose
from gcl.augment.transforms import DropEdge, MaskFeature
from gcl.losses import InfoNCE, bootstrap_loss, dgi_bce
from gcl.nn import GCNEncoder, ProjectionHead
from gcl.node.models import BGRL, DGI, GRACE
from gcl.node.trainer import TrainConfig, train_node_model
from gcl.train import seed_everything


def two_cliques(n: int = 12) -> Data:
    """Two cliques joined by one edge, features = noisy community indicator."""
    half = n // 2
    rows, cols = [], []
    for block in (range(half), range(half, n)):
        for i in block:
            for j in block:
                if i != j:
                    rows.append(i)
                    cols.append(j)
    rows += [0, half]
    cols += [half, 0]
    gen = torch.Generator().manual_seed(0)
    y = torch.tensor([0] * half + [1] * (n - half))
    x = torch.nn.functional.one_hot(y, 2).float().repeat(1, 4) + 0.1 * torch.randn(n, 8, generator=gen)
    return Data(x=x, edge_index=torch.tensor([rows, cols]), y=y)


def grace(data: Data) -> GRACE:
    enc = GCNEncoder(data.num_features, 8)
    view = Compose([DropEdge(0.2), MaskFeature(0.2)])
    return GRACE(enc, ProjectionHead(8, 8, 8), view, view, InfoNCE(tau=0.5))


def test_grace_loss_decreases_and_is_seeded():
    data = two_cliques()
    losses = []
    for _ in range(2):
        seed_everything(0)
        result = train_node_model(grace(data), data, TrainConfig(epochs=30, lr=0.01, progress=False))
        losses.append(result.losses)
    assert losses[0] == losses[1]
    assert sum(losses[0][-5:]) < sum(losses[0][:5])


def test_resume_from_checkpoint_reproduces_an_uninterrupted_run(tmp_path):
    data = two_cliques()
    seed_everything(1)
    full = grace(data)
    straight = train_node_model(full, data, TrainConfig(epochs=10, lr=0.01, progress=False))

    seed_everything(1)
    first = grace(data)
    ckpt = tmp_path / "ckpt.pt"
    train_node_model(
        first, data, TrainConfig(epochs=6, lr=0.01, progress=False, checkpoint=str(ckpt), checkpoint_every=3)
    )
    resumed_model = grace(data)
    resumed = train_node_model(
        resumed_model,
        data,
        TrainConfig(epochs=10, lr=0.01, progress=False, checkpoint=str(ckpt), checkpoint_every=3),
    )
    assert resumed.resumed_from == 6
    assert resumed.losses == pytest.approx(straight.losses, rel=1e-6)
    for a, b in zip(full.state_dict().values(), resumed_model.state_dict().values()):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("sparse", [False, True])
def test_dgi_separates_real_from_corrupted(sparse):
    data = two_cliques()
    if sparse:  # bag-of-words datasets are fed as sparse COO features
        data.x = data.x.to_sparse_coo()
    seed_everything(0)
    model = DGI(GCNEncoder(8, 16, num_layers=1, activation="prelu"), 16, dgi_bce)
    result = train_node_model(model, data, TrainConfig(epochs=60, lr=0.01, progress=False, patience=20))
    assert result.losses[result.best_epoch] < 0.5 * result.losses[0]
    assert model.embed(data).shape == (12, 16)


def test_bgrl_target_follows_online_by_ema():
    data = two_cliques()
    seed_everything(0)
    enc = GCNEncoder(8, 8, batch_norm=True, activation="prelu")
    view = Compose([DropEdge(0.2), MaskFeature(0.2)])
    model = BGRL(
        enc, ProjectionHead(8, 16, 8, activation="prelu", batch_norm=True), view, view, bootstrap_loss
    )
    target_before = [p.clone() for p in model.target_encoder.parameters()]
    result = train_node_model(model, data, TrainConfig(epochs=40, lr=0.01, progress=False))
    assert result.losses[-1] < result.losses[0]
    assert all(not p.requires_grad for p in model.target_encoder.parameters())
    moved = [not torch.equal(a, b) for a, b in zip(target_before, model.target_encoder.parameters())]
    assert all(moved)
    assert model.momentum(0, 100) == pytest.approx(0.99)
    assert model.momentum(100, 100) == pytest.approx(1.0)
    assert model.momentum(50, 100) == pytest.approx(0.995)


def test_snapshots_leave_training_unchanged_and_the_last_equals_the_final_embeddings():
    data = two_cliques()
    seed_everything(2)
    plain = train_node_model(grace(data), data, TrainConfig(epochs=7, lr=0.01, progress=False))
    seed_everything(2)
    model = grace(data)
    snap = train_node_model(model, data, TrainConfig(epochs=7, lr=0.01, progress=False, snapshot_every=3))
    assert snap.losses == plain.losses
    assert sorted(snap.snapshots) == [2, 5, 6]  # every 3 epochs and the last
    torch.testing.assert_close(snap.snapshots[6], model.embed(data))
    with pytest.raises(ValueError, match="snapshot_every"):
        TrainConfig(snapshot_every=0)


def test_the_epoch_is_chosen_on_validation_accuracy_never_on_test():
    from gcl.node.experiment import _probe_epochs

    y = torch.tensor([0, 1] * 10)
    train, val, test = (torch.zeros(20, dtype=torch.bool) for _ in range(3))
    train[:8], val[8:14], test[14:] = True, True, True
    signal = torch.nn.functional.one_hot(y, 2).float()
    noise = torch.randn(20, 2, generator=torch.Generator().manual_seed(0))
    good_val_bad_test = torch.where(test[:, None], -signal, signal)  # the probe fails on test only
    bad_val_good_test = torch.where(val[:, None], -signal, signal)
    candidates = {0: noise, 4: bad_val_good_test, 9: signal, 12: good_val_bad_test}
    row = _probe_epochs(candidates, y, [train, val, test])
    # 9 and 12 tie on validation; the later wins although its test accuracy is 0 (test is never read)
    assert (row["selected_epoch"], row["val_acc"], row["test_acc"]) == (12, 100.0, 0.0)
    assert [(p["epoch"], p["val_acc"], p["test_acc"]) for p in row["curve"][1:]] == [
        (4, 0.0, 100.0),
        (9, 100.0, 100.0),
        (12, 100.0, 0.0),
    ]
    assert _probe_epochs({3: signal}, y, [train, val, test]).keys() == {"test_acc", "val_acc", "weight_decay"}
