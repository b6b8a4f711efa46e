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
