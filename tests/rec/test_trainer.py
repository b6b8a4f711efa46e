from collections.abc import Iterator

import numpy as np
import pytest
import torch
from torch import Tensor, nn

from gcl.data.interactions import Interactions, InteractionSplit
from gcl.data.splits import random_split
from gcl.rec.models import MF, LightGCN
from gcl.rec.models.base import Recommender
from gcl.rec.trainer import RecResult, RecTrainConfig, RecTrainer, train_recommender

NUM_USERS, NUM_ITEMS = 6, 12


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def part(rows: dict[int, list[int]]) -> Interactions:
    user = [u for u, items in rows.items() for _ in items]
    item = [i for items in rows.values() for i in items]
    return Interactions(user=user, item=item, user_ids=range(NUM_USERS), item_ids=range(NUM_ITEMS))


# Each user: 3 training items, 1 validation item, 2 test items, all different per user.
TRAIN = {u: [(u + k) % NUM_ITEMS for k in range(3)] for u in range(NUM_USERS)}
VALID = {u: [(u + 3) % NUM_ITEMS] for u in range(NUM_USERS)}
TEST = {u: [(u + 4) % NUM_ITEMS, (u + 5) % NUM_ITEMS] for u in range(NUM_USERS)}


def handmade_split() -> InteractionSplit:
    return InteractionSplit(train=part(TRAIN), valid=part(VALID), test=part(TEST))


class FixedScores(Recommender):
    """Scores train items 3, validation items 2, test items 1, the rest 0 (plus a small item tie-break)."""

    def __init__(self, train: Interactions) -> None:
        super().__init__(train, embedding_dim=NUM_ITEMS, reg_weight=0.0)
        scores = torch.zeros(NUM_USERS, NUM_ITEMS)
        for value, rows in ((3.0, TRAIN), (2.0, VALID), (1.0, TEST)):
            for u, items in rows.items():
                scores[u, items] = value
        scores -= torch.arange(NUM_ITEMS) * 1e-3
        with torch.no_grad():
            self.user_embedding.copy_(scores)
            self.item_embedding.copy_(torch.eye(NUM_ITEMS))

    def embeddings(self) -> tuple[Tensor, Tensor]:
        return self.user_embedding, self.item_embedding

    def calculate_loss(self, users: Tensor, pos: Tensor, neg: Tensor) -> Tensor:
        self._begin_loss(users, pos, neg)
        loss = (self.user_embedding[users] * 0).sum()
        self.loss_terms = {"zero": loss.detach()}
        return loss


def quiet(**kwargs) -> dict:
    return {"progress": False, "ks": (1, 2), "monitor": "recall@2", "batch_size": 8, **kwargs}


def test_test_evaluation_masks_training_and_validation_items():
    split = handmade_split()
    model = FixedScores(split.train)
    result = train_recommender(model, split, epochs=1, lr=0.0, device="cpu", **quiet())
    # Training items (score 3) and validation items (score 2) outrank the test items; only masking both
    # puts the two test items at the top.
    assert result.test["recall@2"] == 1.0 and result.test["precision@2"] == 1.0
    assert result.test["num_users"] == NUM_USERS
    # Validation masks training items only: the validation item comes first.
    assert result.valid["recall@1"] == 1.0
    topk = torch.topk(model.full_sort_predict(torch.arange(NUM_USERS)), 3).indices
    assert all(set(topk[u].tolist()) == set(TRAIN[u]) for u in range(NUM_USERS))  # unmasked: train first


def test_test_metrics_carry_alignment_and_uniformity_of_the_restored_embeddings():
    split = handmade_split()
    model = MF(split.train, 4)
    result = train_recommender(model, split, epochs=2, device="cpu", **quiet())
    users, items = (t.detach() for t in model.embeddings())
    u, i = torch.as_tensor(np.array(split.test.user)), torch.as_tensor(np.array(split.test.item))
    pairs = (torch.nn.functional.normalize(users[u]) - torch.nn.functional.normalize(items[i])).pow(2).sum(1)
    assert result.test["alignment"] == pytest.approx(pairs.mean().item(), rel=1e-5)
    d2 = torch.pdist(torch.nn.functional.normalize(items)).pow(2)
    assert result.test["uniformity_item"] == pytest.approx(float(torch.exp(-2 * d2).mean().log()), rel=1e-5)
    assert np.isfinite(result.test["uniformity_user"])


def test_history_best_epoch_and_restored_state():
    split = random_split(
        Interactions(
            user=np.repeat(np.arange(20), 12),
            item=np.random.default_rng(0).integers(0, 30, 240),
            user_ids=range(20),
            item_ids=range(30),
        ),
        seed=0,
    )
    torch.manual_seed(0)
    model = LightGCN(split.train, embedding_dim=8, num_layers=2)
    result = train_recommender(
        model, split, epochs=6, lr=0.05, eval_every=2, patience=None, device="cpu", **quiet()
    )
    assert isinstance(result, RecResult)
    assert [h["epoch"] for h in result.history] == list(range(6))
    evaluated = [h for h in result.history if "valid_recall@2" in h]
    assert [h["epoch"] for h in evaluated] == [1, 3, 5]
    for h in result.history:
        assert {"loss", "bpr", "reg", "train_seconds", "batches"} <= set(h)
    best = max(evaluated, key=lambda h: h["valid_recall@2"])  # first maximum wins (strict improvement)
    assert result.best_epoch == best["epoch"]
    assert result.valid["recall@2"] == best["valid_recall@2"]
    trainer = RecTrainer(model, split, RecTrainConfig(**quiet()), device="cpu")
    assert trainer.evaluate("valid")["recall@2"] == pytest.approx(best["valid_recall@2"])  # restored
    assert not model.training
    assert result.seconds > 0 and result.epochs_run == 6 and not result.stopped_early
    assert result.to_dict()["config"]["epochs"] == 6


def test_early_stopping_on_a_flat_validation_metric():
    split = handmade_split()
    result = train_recommender(
        FixedScores(split.train), split, epochs=10, lr=0.0, patience=2, device="cpu", **quiet()
    )
    assert result.stopped_early and len(result.history) == 3 and result.best_epoch == 0


def test_checkpoint_resume_continues_the_same_run(tmp_path):
    split = handmade_split()
    path = tmp_path / "run" / "state.pt"
    torch.manual_seed(0)
    first = train_recommender(
        MF(split.train, 4), split, epochs=2, lr=0.01, checkpoint=str(path), device="cpu", **quiet()
    )
    assert path.exists()
    torch.manual_seed(0)
    resumed = train_recommender(
        MF(split.train, 4), split, epochs=3, lr=0.01, checkpoint=str(path), device="cpu", **quiet()
    )
    torch.manual_seed(0)
    straight = train_recommender(MF(split.train, 4), split, epochs=3, lr=0.01, device="cpu", **quiet())
    assert len(resumed.history) == 3
    assert resumed.history[:2] == first.history
    assert resumed.history[2]["loss"] == pytest.approx(straight.history[2]["loss"], rel=1e-6)


def test_bad_input_is_rejected_with_clear_messages():
    split = handmade_split()
    model = MF(split.train, 4)
    no_valid = InteractionSplit(train=split.train, valid=part({}), test=split.test)
    with pytest.raises(ValueError, match=r"split\.valid: has no interactions; .*never select on test"):
        train_recommender(model, no_valid, device="cpu")
    other = Interactions(user=[0], item=[0], user_ids=range(2), item_ids=range(3))
    with pytest.raises(ValueError, match=r"model: built for 2 users x 3 items, but the split has 6 x 12"):
        train_recommender(MF(other, 4), split, device="cpu")
    with pytest.raises(ValueError, match=r"monitor: expected '<metric>@<k>' .* got 'recall@7'"):
        RecTrainConfig(monitor="recall@7")
    with pytest.raises(ValueError, match=r"RecTrainConfig\.validate: expected True or False"):
        RecTrainConfig(validate="no")
    with pytest.raises(ValueError, match=r"RecTrainConfig\.epochs: expected an int >= 1"):
        RecTrainConfig(epochs=0)
    with pytest.raises(ValueError, match=r"unknown RecTrainConfig field\(s\) \['epoch'\]"):
        train_recommender(model, split, epoch=3)
    with pytest.raises(ValueError, match=r"model: expected a gcl\.rec\.models Recommender"):
        RecTrainer(nn.Linear(2, 2), split)


def test_non_finite_loss_stops_with_an_error():
    split = handmade_split()
    model = MF(split.train, 4)
    with torch.no_grad():
        model.user_embedding.fill_(float("nan"))
    with pytest.raises(FloatingPointError, match="training loss became nan at epoch 0, batch 0"):
        train_recommender(model, split, epochs=1, device="cpu", **quiet())


def test_refit_mode_trains_the_given_epochs_and_tests_the_final_state():
    split = handmade_split()
    torch.manual_seed(0)
    validated = train_recommender(
        MF(split.train, 4), split, device="cpu", epochs=3, patience=None, **quiet(batch_size=6)
    )
    refit = split.refit()
    assert len(refit.valid) == 0 and len(refit.train) == len(split.train) + len(split.valid)
    model = MF(refit.train, 4)
    result = train_recommender(model, refit, device="cpu", epochs=3, validate=False, **quiet(batch_size=6))
    assert [h["epoch"] for h in result.history] == [0, 1, 2] and result.best_epoch == 2
    assert result.valid == {} and not any(k.startswith("valid_") for h in result.history for k in h)
    final = RecTrainer(model, refit, RecTrainConfig(validate=False, **quiet(batch_size=6))).evaluate("test")
    assert result.test["recall@2"] == final["recall@2"]  # nothing restored: the last epoch is tested
    assert validated.history[0]["batches"] < result.history[0]["batches"]  # the validation pairs are trained

    torch.manual_seed(0)
    same = train_recommender(
        MF(split.train, 4), split, device="cpu", epochs=3, validate=False, **quiet(batch_size=6)
    )
    for a, b in zip(validated.history, same.history, strict=True):  # skipping validation draws nothing
        assert a["loss"] == b["loss"]
    with pytest.raises(ValueError, match=r"or RecTrainConfig\(validate=False\) to refit"):
        train_recommender(MF(refit.train, 4), refit, device="cpu")


def test_epoch_callback_records_into_history_and_leaves_training_unchanged():
    split = handmade_split()
    refit = split.refit()
    cfg = RecTrainConfig(epochs=3, validate=False, **quiet(batch_size=6))
    torch.manual_seed(0)
    plain_model = LightGCN(refit.train, 4, 2)
    plain = RecTrainer(plain_model, refit, cfg, device="cpu").fit()
    torch.manual_seed(0)
    model = LightGCN(refit.train, 4, 2)
    seen: list[int] = []

    def test_recall(epoch: int, trainer: RecTrainer) -> dict[str, float]:
        seen.append(epoch)
        return {"test_recall@2": trainer.evaluate("test")["recall@2"]}

    result = RecTrainer(model, refit, cfg, device="cpu").fit(epoch_callback=test_recall)
    assert seen == [0, 1, 2]
    assert [h["loss"] for h in result.history] == [h["loss"] for h in plain.history]  # same draws, same steps
    for name, value in model.state_dict().items():
        assert torch.equal(value, plain_model.state_dict()[name])
    assert result.history[-1]["test_recall@2"] == result.test["recall@2"]  # the refit tests its last epoch
    assert not any("test_recall@2" in h for h in plain.history)


def interrupt_at(monkeypatch, stop_epoch: int) -> None:
    """Make Ctrl-C arrive at the start of epoch ``stop_epoch``."""
    original = RecTrainer._train_epoch

    def train_epoch(self, epoch, *args):
        if epoch == stop_epoch:
            raise KeyboardInterrupt
        return original(self, epoch, *args)

    monkeypatch.setattr(RecTrainer, "_train_epoch", train_epoch)


def test_ctrl_c_restores_and_tests_the_best_validated_epoch(monkeypatch):
    split = handmade_split()
    torch.manual_seed(0)
    straight = train_recommender(MF(split.train, 4), split, epochs=4, lr=0.05, device="cpu", **quiet())
    interrupt_at(monkeypatch, 4)
    torch.manual_seed(0)
    cut = train_recommender(MF(split.train, 4), split, epochs=50, lr=0.05, device="cpu", **quiet())
    assert cut.interrupted and not straight.interrupted and not cut.stopped_early
    untimed = [
        [{k: v for k, v in h.items() if "seconds" not in k} for h in r.history] for r in (cut, straight)
    ]
    assert cut.epochs_run == 4 and untimed[0] == untimed[1]
    assert cut.best_epoch == straight.best_epoch and cut.valid == straight.valid
    assert cut.test == straight.test


def test_ctrl_c_without_a_validated_state_propagates(monkeypatch):
    split = handmade_split()
    interrupt_at(monkeypatch, 0)
    with pytest.raises(KeyboardInterrupt):
        train_recommender(MF(split.train, 4), split, epochs=3, device="cpu", **quiet())
    interrupt_at(monkeypatch, 2)  # a refit has nothing validated to fall back on
    with pytest.raises(KeyboardInterrupt):
        train_recommender(
            MF(split.train, 4), split.refit(), epochs=3, validate=False, device="cpu", **quiet()
        )
