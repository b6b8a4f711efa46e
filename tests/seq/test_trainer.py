import pytest
import torch

from gcl.data.readers import read_sequences
from gcl.seq.data import SequenceData
from gcl.seq.encoder import SASRecEncoder
from gcl.seq.evaluate import evaluate_ranking
from gcl.seq.models import build_model
from gcl.seq.trainer import SeqTrainConfig, train_sequential
from tests.conftest import require
from tests.seq.test_models import toy_data


def small(name: str, data: SequenceData, **kw):
    torch.manual_seed(0)
    enc = SASRecEncoder(data.num_items, max_length=data.max_length, hidden=16, num_blocks=1, dropout=0.1)
    return build_model(name, enc, **kw)


def test_training_learns_the_toy_pattern_and_restores_the_best_epoch():
    data = toy_data()
    model = small("sasrec", data)
    lines = []
    cfg = SeqTrainConfig(
        epochs=8, batch_size=32, lr=1e-2, patience=3, ks=(1, 5), monitor="ndcg@5", progress=False
    )
    result = train_sequential(model, data, cfg, log=lines.append)
    assert result.valid["hit_rate@5"] > 0.5  # next item = current + 1 is easy
    assert result.history[result.best_epoch]["valid_ndcg@5"] == max(h["valid_ndcg@5"] for h in result.history)
    assert evaluate_ranking(model, data, "valid", ks=(1, 5)) == result.valid  # best weights restored
    if result.stopped_early:
        assert len(result.history) - 1 - result.best_epoch == 3
    assert any(line.startswith("epoch   0 | loss") for line in lines)
    assert result.test["num_users"] == 60 and "protocol" in result.test


@pytest.mark.parametrize("name", ["cl4srec", "duorec", "icsrec"])
def test_contrastive_models_train_end_to_end(name):
    data = toy_data()
    kw = {"num_intents": 4} if name == "icsrec" else {}
    model = small(name, data, **kw)
    cfg = SeqTrainConfig(epochs=2, batch_size=64, patience=None, ks=(5, 10), progress=False)
    result = train_sequential(model, data, cfg)
    assert len(result.history) == 2 and not result.stopped_early
    assert all(torch.isfinite(torch.tensor(h["loss"])) for h in result.history)


def test_same_seed_same_result():
    data = toy_data()
    cfg = SeqTrainConfig(epochs=1, batch_size=64, ks=(5, 10), progress=False, seed=3)
    a = train_sequential(small("cl4srec", data), data, cfg)
    b = train_sequential(small("cl4srec", data), data, cfg)
    assert a.history[0]["loss"] == b.history[0]["loss"] and a.test == b.test


def test_config_errors():
    with pytest.raises(ValueError, match="monitor must be 'ndcg@K' or 'hit_rate@K' with K in ks"):
        SeqTrainConfig(monitor="ndcg@50")
    with pytest.raises(ValueError, match="batch_size must be an int >= 1"):
        SeqTrainConfig(batch_size=0)


@pytest.mark.real_data
def test_beauty_smoke(data_dir):
    require(data_dir, "Beauty/Beauty.txt")
    inter = read_sequences(data_dir / "Beauty/Beauty.txt")
    inter = inter.select(inter.user < 2000)  # the first 2,000 users keep the test fast
    data = SequenceData.from_interactions(inter, max_length=50)
    model = small("duorec", data)
    cfg = SeqTrainConfig(epochs=1, batch_size=128, max_batches_per_epoch=4, progress=False)
    result = train_sequential(model, data, cfg)
    assert result.test["num_users"] == 2000
    assert 0.0 <= result.test["ndcg@10"] <= result.test["hit_rate@10"] <= 1.0
