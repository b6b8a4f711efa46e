import math
import warnings
from collections.abc import Iterator

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.testing import assert_close

from gcl.augment.uniform_draws import uniform_draws
from gcl.data.interactions import Interactions
from gcl.data.readers import read_recbole_atomic
from gcl.losses import directau_loss, in_batch_info_nce
from gcl.rec.graph import interaction_edges, normalized_adjacency
from gcl.rec.models import (
    MF,
    MODELS,
    NCL,
    SGL,
    DirectAU,
    LightGCN,
    SimGCL,
    XSimGCL,
    build_model,
    kmeans,
)
from gcl.rec.models.base import cross_view_info_nce
from gcl.rec.sampler import BPRSampler
from tests.conftest import require

# 4 users x 5 items, every user has a negative.
TINY = dict(user=[0, 0, 1, 1, 2, 3, 3], item=[0, 1, 1, 2, 0, 3, 4], user_ids=range(4), item_ids=range(5))
BATCH = (torch.tensor([0, 1, 2, 3, 0]), torch.tensor([1, 2, 0, 4, 0]), torch.tensor([3, 0, 4, 1, 2]))


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Small sparse products are fastest (and most reproducible) on one thread."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def tiny() -> Interactions:
    return Interactions(**TINY)


def seeded(cls, *args, seed: int = 0, **kwargs):
    torch.manual_seed(seed)
    return cls(*args, **kwargs)


# ------------------------------------------------------------------------------ MF / LightGCN


def test_mf_loss_equals_hand_formula():
    model = seeded(MF, tiny(), embedding_dim=4, reg_weight=0.1)
    users, pos, neg = BATCH
    loss = model.calculate_loss(users, pos, neg)
    u, p, n = model.user_embedding[users], model.item_embedding[pos], model.item_embedding[neg]
    bpr = -F.logsigmoid((u * p).sum(1) - (u * n).sum(1)).mean()
    reg = 0.1 / 2 * (u.pow(2).sum() + p.pow(2).sum() + n.pow(2).sum()) / 5
    assert_close(loss, bpr + reg)
    assert_close(model.loss_terms["bpr"], bpr.detach())
    assert_close(model.loss_terms["reg"], reg.detach())


def test_lightgcn_embeddings_equal_the_dense_layer_mean():
    inter = tiny()
    model = seeded(LightGCN, inter, embedding_dim=3, num_layers=3)
    a = normalized_adjacency(inter).matrix.to_dense()
    e0 = torch.cat([model.user_embedding, model.item_embedding]).detach()
    layers = [e0, a @ e0, a @ a @ e0, a @ a @ a @ e0]
    user, item = model.embeddings()
    assert_close(torch.cat([user, item]), torch.stack(layers).mean(0))
    no_ego = seeded(LightGCN, inter, embedding_dim=3, num_layers=3, include_ego=False)
    assert_close(torch.cat(no_ego.embeddings()), torch.stack(layers[1:]).mean(0))


def test_lightgcn_reg_uses_ego_embeddings_and_scores_are_dot_products():
    model = seeded(LightGCN, tiny(), embedding_dim=4, num_layers=2, reg_weight=1.0)
    users, pos, neg = BATCH
    model.calculate_loss(users, pos, neg)
    ego = model.user_embedding[users].pow(2).sum() + model.item_embedding[pos].pow(2).sum()
    ego = ego + model.item_embedding[neg].pow(2).sum()
    assert_close(model.loss_terms["reg"], (0.5 * ego / 5).detach())
    model.eval()
    user, item = model.embeddings()
    assert_close(model.full_sort_predict(torch.tensor([2, 0])), (user[[2, 0]] @ item.t()).detach())


def test_full_sort_predict_cache_is_dropped_on_train_and_load():
    model = seeded(LightGCN, tiny(), embedding_dim=4, num_layers=1)
    model.eval()
    before = model.full_sort_predict(torch.tensor([0]))
    with torch.no_grad():  # linear model: doubling all embeddings multiplies the scores by 4
        model.user_embedding.mul_(2)
        model.item_embedding.mul_(2)
    assert torch.equal(model.full_sort_predict(torch.tensor([0])), before)  # cached in eval mode
    model.train()
    model.eval()
    assert_close(model.full_sort_predict(torch.tensor([0])), 4 * before)
    model.load_state_dict({k: v / 2 for k, v in model.state_dict().items()})
    assert_close(model.full_sort_predict(torch.tensor([0])), before)


# ------------------------------------------------------------------------------ SimGCL / XSimGCL


@pytest.mark.parametrize("include_ego", [False, True])
@pytest.mark.parametrize("cls", [SimGCL, XSimGCL])
def test_noise_free_weightless_simgcl_and_xsimgcl_equal_lightgcn(cls, include_ego):
    inter = tiny()
    base = seeded(LightGCN, inter, embedding_dim=4, num_layers=2, include_ego=include_ego)
    model = seeded(cls, inter, embedding_dim=4, num_layers=2, eps=0.0, cl_weight=0.0, include_ego=include_ego)
    assert torch.equal(model.user_embedding, base.user_embedding)  # same init
    loss_base, loss = base.calculate_loss(*BATCH), model.calculate_loss(*BATCH)
    assert torch.equal(loss, loss_base)
    loss_base.backward()
    loss.backward()
    # equal up to the order in which autograd sums the gradient contributions
    assert_close(model.embedding.grad, base.embedding.grad, rtol=1e-6, atol=1e-9)
    for a, b in zip(model.embeddings(), base.embeddings()):
        assert torch.equal(a, b)
    assert model.loss_terms["cl"] > 0  # still computed, weighted by 0


def test_simgcl_perturbs_views_but_not_the_ranking_embeddings():
    inter = tiny()
    base = seeded(LightGCN, inter, embedding_dim=4, num_layers=2, include_ego=False)
    model = seeded(SimGCL, inter, embedding_dim=4, num_layers=2, generator=torch.Generator().manual_seed(1))
    for a, b in zip(model.embeddings(), base.embeddings()):
        assert torch.equal(a, b)
    noisy_user, _ = model.forward(perturbed=True)
    clean_user, _ = model.forward()
    assert not torch.allclose(noisy_user, clean_user)
    # every perturbed layer moved by exactly eps (no zero coordinates here)
    layers = model.propagate(perturbed=True)
    clean = base.propagate()
    for k in (1, 2):
        prev = layers[k - 1]
        assert_close((layers[k] - model.adjacency @ prev).norm(dim=1), torch.full((9,), 0.1))
    assert torch.equal(layers[0], clean[0])


def test_simgcl_loss_equals_selfrec_reference_with_the_same_noise():
    """Slow reference: SELFRec's SimGCL written densely, replaying the same noise draws."""
    inter = tiny()
    model = seeded(SimGCL, inter, embedding_dim=4, num_layers=2, generator=torch.Generator().manual_seed(7))
    loss = model.calculate_loss(*BATCH)
    gen = torch.Generator().manual_seed(7)
    a = normalized_adjacency(inter).matrix.to_dense()
    e0 = model.embedding.detach()

    def view() -> Tensor:  # SELFRec: ego = A @ ego; ego += sign(ego) * normalize(rand) * eps; mean of 1..K
        x, layers = e0, []
        for _ in range(2):
            x = a @ x
            x = x + torch.sign(x) * F.normalize(uniform_draws((9, 4), gen, "cpu"), dim=-1) * 0.1
            layers.append(x)
        return torch.stack(layers).mean(0)

    view_1, view_2 = view(), view()
    users, items = [0, 1, 2, 3], [4 + i for i in (0, 1, 2, 4)]
    cl = in_batch_info_nce(view_1[users], view_2[users], 0.2) + in_batch_info_nce(
        view_1[items], view_2[items], 0.2
    )
    assert_close(model.loss_terms["cl"], cl)
    assert_close(loss, model.loss_terms["bpr"] + model.loss_terms["reg"] + 0.5 * cl)


@pytest.mark.parametrize(("num_layers", "include_ego"), [(1, False), (2, False), (3, True)])
def test_simgcl_offset_views_equal_perturbing_inside_autograd(num_layers, include_ego):
    """The fast loss (one propagation + constant offsets) has the naive loss's value and gradient."""
    inter = Interactions(
        user=torch.randint(0, 30, (200,), generator=torch.Generator().manual_seed(0)),
        item=torch.randint(0, 40, (200,), generator=torch.Generator().manual_seed(1)),
        user_ids=range(30),
        item_ids=range(40),
    )
    batch = tuple(torch.randint(0, 30, (64,), generator=torch.Generator().manual_seed(s)) for s in (2, 3, 4))
    kwargs = dict(embedding_dim=16, num_layers=num_layers, include_ego=include_ego, cl_weight=0.7)
    fast = seeded(SimGCL, inter, **kwargs, generator=torch.Generator().manual_seed(5))
    naive = seeded(SimGCL, inter, **kwargs, generator=torch.Generator().manual_seed(5))
    fast_loss = fast.calculate_loss(*batch)
    fast_loss.backward()

    users, pos, neg = batch
    bpr, reg = naive.bpr_terms(naive.node_embeddings(), users, pos, neg)  # full tables
    nodes, _ = naive.batch_nodes(users, pos, neg)  # the views' last layer (and noise) on the batch rows
    view_1 = naive.combine(naive.propagate(perturbed=True, rows=nodes), rows=nodes)
    view_2 = naive.combine(naive.propagate(perturbed=True, rows=nodes), rows=nodes)
    cl = cross_view_info_nce(view_1, view_2, users, pos, naive.num_users, naive.tau, nodes=nodes)
    naive_loss = bpr + reg + 0.7 * cl
    naive_loss.backward()
    assert_close(fast.loss_terms["cl"], cl.detach(), rtol=1e-5, atol=1e-6)
    assert_close(fast_loss, naive_loss, rtol=1e-5, atol=1e-6)
    assert_close(fast.embedding.grad, naive.embedding.grad, rtol=1e-4, atol=1e-7)
    assert fast.embedding.grad.abs().sum() > 0


def test_xsimgcl_contrasts_layer_l_star_with_the_final_layer_of_one_propagation():
    inter = tiny()
    model = seeded(
        XSimGCL, inter, embedding_dim=4, num_layers=2, cl_layer=1, generator=torch.Generator().manual_seed(3)
    )
    loss = model.calculate_loss(*BATCH)
    replay = seeded(XSimGCL, inter, embedding_dim=4, num_layers=2, generator=torch.Generator().manual_seed(3))
    layers = replay.propagate(perturbed=True)
    final = (layers[1] + layers[2]) / 2
    u_final, i_final = final[:4], final[4:]
    cl = in_batch_info_nce(u_final[[0, 1, 2, 3]], layers[1][[0, 1, 2, 3]], 0.2) + in_batch_info_nce(
        i_final[[0, 1, 2, 4]], layers[1][[4, 5, 6, 8]], 0.2
    )
    assert_close(model.loss_terms["cl"], cl.detach())
    assert_close(loss, model.loss_terms["bpr"] + model.loss_terms["reg"] + 0.2 * cl.detach())


# ------------------------------------------------------------------------------ SGL


def test_sgl_views_are_renormalized_subgraphs_resampled_each_epoch():
    inter = tiny()
    model = seeded(
        SGL, inter, embedding_dim=4, num_layers=2, drop_ratio=0.5, generator=torch.Generator().manual_seed(0)
    )
    model.on_epoch_start(0)
    view_a, view_b = model.views
    assert view_a[0] is view_a[1]  # ED: one sub-graph for all layers
    assert len(view_a) == 2
    dense = view_a[0].matrix.to_dense()
    kept = dense[:4, 4:] > 0  # which (user, item) edges survived
    edges = interaction_edges(inter)
    mask = kept[edges[0], edges[1]]
    assert_close(dense, normalized_adjacency(inter, edge_mask=mask).matrix.to_dense())
    assert 0 < int(mask.sum()) < edges.size(1)
    before = [v.matrix.to_dense() for v in (view_a[0], view_b[0])]
    model.on_epoch_start(1)
    after = [v[0].matrix.to_dense() for v in model.views]
    assert any(not torch.equal(x, y) for x, y in zip(before, after))


def test_sgl_random_walk_uses_one_subgraph_per_layer_and_nd_drops_nodes():
    inter = tiny()
    rw = seeded(
        SGL,
        inter,
        embedding_dim=4,
        num_layers=3,
        aug_type="RW",
        drop_ratio=0.5,
        generator=torch.Generator().manual_seed(0),
    )
    view = rw.sample_view()
    assert len(view) == 3 and view[0] is not view[1]
    nd = seeded(
        SGL,
        inter,
        embedding_dim=4,
        num_layers=2,
        aug_type="nd",
        drop_ratio=0.5,
        generator=torch.Generator().manual_seed(0),
    )
    dense = nd.sample_view()[0].matrix.to_dense()
    isolated = dense.abs().sum(1) == 0
    assert isolated.any()  # dropped nodes lose all their edges


def test_sgl_without_dropout_and_weight_equals_lightgcn():
    inter = tiny()
    base = seeded(LightGCN, inter, embedding_dim=4, num_layers=2)
    model = seeded(SGL, inter, embedding_dim=4, num_layers=2, drop_ratio=0.0, cl_weight=0.0)
    assert torch.equal(model.calculate_loss(*BATCH), base.calculate_loss(*BATCH))
    user_1, _ = model.forward(model.views[0])
    assert_close(user_1, base.embeddings()[0])


# ------------------------------------------------------------------------------ NCL / DirectAU


def test_kmeans_separates_obvious_clusters_and_is_seeded():
    gen = torch.Generator().manual_seed(0)
    x = torch.cat([torch.randn(20, 2, generator=gen) * 0.1 + 5, torch.randn(20, 2, generator=gen) * 0.1 - 5])
    centroids, labels = kmeans(x, 2, generator=torch.Generator().manual_seed(1))
    assert labels[:20].unique().numel() == 1 and labels[20:].unique().numel() == 1 and labels[0] != labels[20]
    assert_close(centroids[labels[0]], x[:20].mean(0))
    again = kmeans(x, 2, generator=torch.Generator().manual_seed(1))
    assert torch.equal(again[0], centroids) and torch.equal(again[1], labels)
    with pytest.raises(ValueError, match=r"k: expected an int in \[1, 40\]"):
        kmeans(x, 41)


def test_ncl_structural_term_matches_reference_and_prototypes_wait_for_warm_up():
    inter = tiny()
    model = seeded(
        NCL,
        inter,
        embedding_dim=4,
        num_layers=3,
        num_clusters=2,
        warm_up_epochs=1,
        generator=torch.Generator().manual_seed(0),
    )
    model.on_epoch_start(0)
    model.calculate_loss(*BATCH)
    assert "proto" not in model.loss_terms and model.prototypes is None
    layers = model.propagate()
    users, pos, _ = BATCH

    def reference(context, center, ids):  # RecBole's ssl_layer_loss, per side, averaged instead of summed
        a = F.normalize(context[ids], dim=1)
        pos_score = torch.exp((a * F.normalize(center[ids], dim=1)).sum(1) / 0.1)
        ttl = torch.exp(a @ F.normalize(center, dim=1).t() / 0.1).sum(1)
        return -torch.log(pos_score / ttl).mean()

    ssl = reference(layers[2][:4], layers[0][:4], users) + reference(layers[2][4:], layers[0][4:], pos)
    assert_close(model.loss_terms["ssl"], ssl.detach())
    model.on_epoch_start(1)
    assert model.prototypes["user"][0].shape == (2, 4) and model.prototypes["item"][1].shape == (5,)
    model.calculate_loss(*BATCH)
    assert model.loss_terms["proto"] > 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seeded(NCL, inter, embedding_dim=4, warm_up_epochs=0).on_epoch_start(0)
    assert [str(w.message) for w in caught] == [
        "NCL: num_clusters=1000 exceeds the 4 users; using 4 clusters",
        "NCL: num_clusters=1000 exceeds the 5 items; using 5 clusters",
    ]


def test_directau_loss_is_alignment_plus_gamma_uniformity():
    inter = tiny()
    model = seeded(DirectAU, inter, embedding_dim=4, gamma=2.0)
    users, pos, neg = BATCH
    loss = model.calculate_loss(users, pos, neg)
    assert_close(loss, directau_loss(model.user_embedding[users], model.item_embedding[pos], 2.0))
    assert model.num_layers == 0
    assert torch.equal(model.embeddings()[0], model.user_embedding)  # MF encoder
    graph = seeded(DirectAU, inter, embedding_dim=4, encoder="LightGCN", num_layers=2)
    base = seeded(LightGCN, inter, embedding_dim=4, num_layers=2)
    assert torch.equal(graph.embeddings()[1], base.embeddings()[1])


# ------------------------------------------------------------------------------ factory, errors


def test_build_model_and_argument_errors():
    inter = tiny()
    assert isinstance(build_model("XSimGCL", inter), XSimGCL)
    with pytest.raises(ValueError, match=r"unknown name 'gru4rec'; expected one of \['directau'"):
        build_model("gru4rec", inter)
    with pytest.raises(ValueError, match=r"model 'mf':.*unexpected keyword argument 'eps'"):
        build_model("mf", inter, eps=0.1)
    with pytest.raises(ValueError, match="eps: expected a finite number >= 0"):
        SimGCL(inter, eps=-0.1)
    with pytest.raises(ValueError, match="tau: expected a finite number > 0"):
        SimGCL(inter, tau=0)
    with pytest.raises(ValueError, match=r"cl_layer: expected an int in \[0, num_layers=2\]"):
        XSimGCL(inter, cl_layer=3)
    with pytest.raises(ValueError, match=r"aug_type: expected one of \('ED', 'ND', 'RW'\)"):
        SGL(inter, aug_type="EDGE")
    with pytest.raises(ValueError, match="drop_ratio: expected a probability in"):
        SGL(inter, drop_ratio=1.0)
    with pytest.raises(ValueError, match="encoder: expected one of"):
        DirectAU(inter, encoder="gcn")
    with pytest.raises(ValueError, match="embedding_dim: expected an int >= 1"):
        MF(inter, embedding_dim=0)
    with pytest.raises(ValueError, match="train: expected an Interactions"):
        MF([[0, 1]])
    with pytest.raises(ValueError, match=r"users: expected a 1-D LongTensor \[B\]"):
        MF(inter).calculate_loss(torch.tensor([0.0]), torch.tensor([1]), torch.tensor([2]))
    with pytest.raises(ValueError, match="neg: expected 2 > 0 entries like users"):
        MF(inter).calculate_loss(torch.tensor([0, 1]), torch.tensor([1, 2]), torch.tensor([2]))


# ------------------------------------------------------------------------------ real data


@pytest.fixture(scope="module")
def ml100k_batches(data_dir) -> tuple[Interactions, list]:
    require(data_dir, "ml-100k/ml-100k.inter")
    inter = read_recbole_atomic(data_dir / "ml-100k" / "ml-100k.inter")
    sampler = BPRSampler(inter, 512, generator=torch.Generator().manual_seed(0))
    batches = []
    for batch in sampler:
        batches.append(batch)
        if len(batches) == 30:
            break
    return inter, batches


REAL_LR = {"mf": 5e-2, "directau": 5e-2}
REAL_KWARGS = {
    "ncl": {"num_clusters": 20, "warm_up_epochs": 0, "num_layers": 2},
    "lightgcn": {"num_layers": 2},
    "sgl": {"num_layers": 2},
    "directau": {"encoder": "lightgcn", "num_layers": 2},
}


@pytest.mark.real_data
@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_loss_is_finite_and_decreases_on_ml100k(name, ml100k_batches):
    inter, batches = ml100k_batches
    model = seeded(build_model, name, inter, embedding_dim=32, **REAL_KWARGS.get(name, {}))
    optimizer = torch.optim.Adam(model.parameters(), lr=REAL_LR.get(name, 5e-3))
    model.train()
    model.on_epoch_start(0)
    losses = []
    for batch in batches:
        loss = model.calculate_loss(*batch)
        assert math.isfinite(loss.item()), (name, model.loss_terms)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert last < first - 0.01 * abs(first), (name, losses)
    user, item = model.embeddings()
    assert user.shape == (943, 32) and item.shape == (1682, 32)
    assert torch.isfinite(user).all() and torch.isfinite(item).all()


def test_sgl_all_node_negatives_match_a_dense_reference():
    """negatives="all": each batch user against every user of the other view (SGL's reference loss)."""
    inter = tiny()
    model = seeded(SGL, inter, embedding_dim=4, num_layers=2, negatives="all", cl_weight=1.0)
    model.calculate_loss(*BATCH)
    view_1 = model.node_embeddings(model.views[0]).detach()
    view_2 = model.node_embeddings(model.views[1]).detach()
    a, b = F.normalize(view_1, dim=1), F.normalize(view_2, dim=1)
    users, items = torch.tensor([0, 1, 2, 3]), torch.tensor([0, 1, 2, 4])  # unique batch users / items

    def term(anchor_rows, key_rows, positives):
        logits = a[anchor_rows] @ b[key_rows].t() / 0.2
        return (logits.logsumexp(dim=1) - logits[torch.arange(len(positives)), positives]).mean()

    expected = term(users, torch.arange(4), users) + term(items + 4, torch.arange(4, 9), items)
    assert_close(model.loss_terms["cl"], expected)
    batch_only = cross_view_info_nce(view_1, view_2, *BATCH[:2], 4, 0.2)
    assert not torch.isclose(model.loss_terms["cl"], batch_only)  # item 3 is a negative only under "all"
    with pytest.raises(ValueError, match="negatives"):
        SGL(inter, negatives="some")


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (LightGCN, dict(num_layers=2)),
        (LightGCN, dict(num_layers=1, include_ego=False)),
        (LightGCN, dict(num_layers=0)),
        (XSimGCL, dict(num_layers=2, cl_layer=0, eps=0.0)),
        (XSimGCL, dict(num_layers=2, cl_layer=1, eps=0.0)),
        (XSimGCL, dict(num_layers=3, cl_layer=3, eps=0.0, include_ego=True)),
    ],
)
def test_batch_rows_loss_equals_the_full_propagation_loss(cls, kwargs):
    """The last layer computed on the batch's nodes only gives the full-table loss and gradient."""
    gen = torch.Generator().manual_seed(0)
    inter = Interactions(
        user=torch.randint(0, 30, (200,), generator=gen),
        item=torch.randint(0, 40, (200,), generator=gen),
        user_ids=range(30),
        item_ids=range(40),
    )
    users, pos, neg = (torch.randint(0, 20, (16,), generator=gen) for _ in range(3))  # a few of the nodes
    fast = seeded(cls, inter, embedding_dim=8, **kwargs)
    full = seeded(cls, inter, embedding_dim=8, **kwargs)
    loss = fast.calculate_loss(users, pos, neg)
    loss.backward()

    layers = full.propagate()
    final = full.combine(layers)
    bpr, reg = full.bpr_terms(final, users, pos, neg)
    reference = bpr + reg
    if cls is XSimGCL:
        cl = cross_view_info_nce(final, layers[full.cl_layer], users, pos, full.num_users, full.tau)
        reference = reference + full.cl_weight * cl
        assert_close(fast.loss_terms["cl"], cl.detach())
    reference.backward()
    assert_close(loss, reference)
    assert_close(fast.embedding.grad, full.embedding.grad, rtol=1e-5, atol=1e-8)
    nodes, positions = fast.batch_nodes(users, pos, neg)
    assert nodes.numel() < fast.num_users + fast.num_items  # the restriction is exercised
    assert torch.equal(nodes[positions], torch.cat([users, pos + 30, neg + 30]))
