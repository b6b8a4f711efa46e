"""Our models inside RecBole's pipeline, RecBole's split in ours, and the two evaluators agreeing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("recbole", reason="the recbole extra is not installed (pip install '.[recbole]')")

from gcl.integrations.recbole import (
    GclCL4SRec,
    GclDuoRec,
    GclLightGCN,
    GclSGL,
    GclSimGCL,
    GclXSimGCL,
    load_recbole_split,
    run_recbole_model,
    split_from_recbole,
)
from gcl.integrations.recbole.sequential import right_align
from gcl.rec.evaluate import full_ranking_from_embeddings
from gcl.rec.models import LightGCN

from ..conftest import require
from .conftest import recbole_config


@pytest.mark.parametrize("model", [GclLightGCN, GclSGL, GclSimGCL, GclXSimGCL])
def test_graph_models_train_and_test_in_recbole(model, tiny_general):
    config = recbole_config(tiny_general, epochs=2, train_batch_size=64, embedding_size=16, n_layers=2)
    result = run_recbole_model(model, "tiny", config, return_objects=True)
    assert set(result["test_result"]) == {"recall@10", "ndcg@10", "mrr@10"}
    assert all(np.isfinite(v) for v in result["test_result"].values())
    net, train_data = result["model"], result["data"][0]
    assert isinstance(net.gcl, model.gcl_class) and net.gcl.embedding_dim == 16
    net.eval()
    users = torch.tensor([1, 2, 3])
    items = torch.tensor([4, 5, 6])
    full = net.full_sort_predict({net.USER_ID: users}).view(3, -1)
    assert full.shape[1] == train_data._dataset.item_num
    pairs = net.predict({net.USER_ID: users, net.ITEM_ID: items})
    torch.testing.assert_close(pairs, full[torch.arange(3), items])


def test_recbole_config_keys_reach_our_model(tiny_general):
    config = recbole_config(tiny_general, epochs=1, eps=0.3, temperature=0.5, layer_cl=2, n_layers=3)
    config["lambda"] = 0.07
    net = run_recbole_model(GclXSimGCL, "tiny", config, return_objects=True, saved=False)["model"]
    assert (net.gcl.eps, net.gcl.cl_weight, net.gcl.tau, net.gcl.cl_layer, net.gcl.num_layers) == (
        0.3, 0.07, 0.5, 2, 3,
    )  # fmt: skip


def test_right_align_moves_items_to_the_end_in_order():
    seq = torch.tensor([[3, 4, 5, 0, 0], [7, 0, 0, 0, 0], [1, 2, 3, 4, 5]])
    out = right_align(seq, torch.tensor([3, 1, 5]))
    assert out.tolist() == [[0, 0, 3, 4, 5], [0, 0, 0, 0, 7], [1, 2, 3, 4, 5]]


@pytest.mark.parametrize("model", [GclCL4SRec, GclDuoRec])
def test_sequential_models_train_and_test_in_recbole(model, tiny_sequences):
    config = recbole_config(
        tiny_sequences,
        epochs=2,
        train_batch_size=32,
        hidden_size=16,
        inner_size=32,
        n_layers=1,
        n_heads=2,
        MAX_ITEM_LIST_LENGTH=8,
        train_neg_sample_args=None,
        loss_type="CE",
        eval_args={"split": {"LS": "valid_and_test"}, "order": "TO", "mode": "full"},
        load_col={"inter": ["user_id", "item_id", "timestamp"]},
    )
    result = run_recbole_model(model, "tinyseq", config, return_objects=True)
    assert all(np.isfinite(v) for v in result["test_result"].values())
    net = result["model"]
    assert net.gcl.encoder.num_items == result["data"][0]._dataset.item_num - 1
    assert set(net.gcl.loss_terms) >= {"rec"}


def test_ml100k_recbole_split_and_our_evaluator_agree_with_recbole(data_dir, tmp_path):
    """The same trained weights score the same in RecBole's evaluator and ours on RecBole's split."""
    require(data_dir, "ml-100k/ml-100k.inter")
    config = recbole_config(data_dir, epochs=1, checkpoint_dir=str(tmp_path), learning_rate=0.01)
    result = run_recbole_model(GclLightGCN, "ml-100k", config, return_objects=True)
    split = split_from_recbole(*result["data"])
    assert (len(split.train), len(split.valid), len(split.test)) == (80_808, 9_596, 9_596)
    again = load_recbole_split("ml-100k", config)  # the same seed gives RecBole's trainer's split
    for ours, theirs in zip(again.parts().values(), split.parts().values()):
        assert (ours.pair_keys() == theirs.pair_keys()).all()
    assert split.train.num_users == 944 and split.train.user_ids[0] == "[PAD]"
    net = result["model"].eval()
    assert isinstance(net.gcl, LightGCN)
    with torch.no_grad():
        user_emb, item_emb = net.gcl.embeddings()
    ours = full_ranking_from_embeddings(
        user_emb,
        item_emb,
        split.train.csr(),
        split.test.csr(),
        exclude=(split.train.csr(), split.valid.csr()),
        ks=(10,),
        metrics=("recall", "ndcg", "mrr"),
    )
    for key in ("recall@10", "ndcg@10", "mrr@10"):
        assert ours[key] == pytest.approx(result["test_result"][key], abs=1e-4), key
