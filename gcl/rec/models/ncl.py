"""NCL: neighborhood-enriched contrastive learning (structural and prototype contrast).

Lin et al. 2022, "Improving Graph Collaborative Filtering with Neighborhood-enriched Contrastive Learning"
(WWW). On top of LightGCN's BPR:

* structural contrast -- a node's ego embedding ``E^(0)`` and its layer-``2h`` embedding (its even-hop,
  homogeneous neighbourhood; ``h = hyper_layers``) are positives; the ego embeddings of *all* other users
  (items) are the negatives: ``-log softmax_v(cos(E^(2h)_u, E^(0)_v) / tau)_u``, users ``+ alpha *`` items;
* prototype contrast -- k-means (E-step, once per epoch, after ``warm_up_epochs``) clusters the ego
  embeddings; a node's ego embedding is pulled to its (L2-normalized) centroid against all other centroids.

Both terms are means over the batch's anchors (users and positive items, duplicates kept, as the reference).
RecBole's NCL sums them over the batch, so its weights ``ssl_reg = 1e-7`` and ``proto_reg = 8e-8``
(``NCL.yaml`` / the NCL repository's ``ml-1m.yaml``, batch 4096) correspond to mean-normalized weights
``1e-7 * 4096 = 4.096e-4`` and ``8e-8 * 4096 = 3.2768e-4``, the defaults here; ``ssl_temp = 0.1``,
``alpha = 1``, ``num_clusters = 1000``, ``hyper_layers = 1``, 3 layers, 20 warm-up epochs without the
prototype term. The structural term builds a ``[B, U]`` and a ``[B, I]`` logit matrix per batch.
"""

from __future__ import annotations

import warnings

import torch
import torch.nn.functional as F
from torch import Tensor

from gcl.rec.models.base import TrainSet, _check_nonnegative, _check_positive, _check_positive_int
from gcl.rec.models.lightgcn import LightGCN

__all__ = ["NCL", "kmeans"]


def kmeans(
    x: Tensor, k: int, *, iters: int = 20, generator: torch.Generator | None = None
) -> tuple[Tensor, Tensor]:
    """Lloyd's k-means with Euclidean distance, vectorized over points and clusters.

    Initial centroids are ``k`` distinct random rows (faiss ``Kmeans``' default, used by the NCL reference);
    an empty cluster keeps its previous centroid.

    Args:
        x: Points ``[n, D]``.
        k: Clusters, ``1 <= k <= n``.
        iters: Lloyd iterations (``>= 1``).
        generator: Optional CPU ``torch.Generator`` for the initialization.

    Returns:
        ``(centroids [k, D], assignment LongTensor [n])`` with ``assignment`` the nearest final centroid.

    Example:
        >>> x = torch.tensor([[0.0], [0.1], [10.0], [10.2]])
        >>> c, a = kmeans(x, 2, generator=torch.Generator().manual_seed(0))
        >>> sorted(round(v, 2) for v in c.view(-1).tolist()), a[0] == a[1], a[2] == a[3], a[0] != a[2]
        ([0.05, 10.1], tensor(True), tensor(True), tensor(True))
    """
    n = x.size(0)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= n:
        raise ValueError(f"k: expected an int in [1, {n}] (the number of points), got {k!r}")
    _check_positive_int("iters", iters)
    x = x.detach()
    init = torch.randperm(n, generator=generator)[:k].to(x.device)
    centroids = x[init].clone()
    x_sq = x.pow(2).sum(dim=1, keepdim=True)

    def assign(c: Tensor) -> Tensor:
        return torch.addmm(c.pow(2).sum(dim=1).unsqueeze(0), x, c.t(), alpha=-2.0).add_(x_sq).argmin(dim=1)

    for _ in range(iters):
        labels = assign(centroids)
        sums = torch.zeros_like(centroids).index_add_(0, labels, x)
        counts = torch.bincount(labels, minlength=k).unsqueeze(1)
        centroids = torch.where(counts > 0, sums / counts.clamp_min(1).to(x.dtype), centroids)
    return centroids, assign(centroids)


class NCL(LightGCN):
    """NCL: LightGCN + structural (ego vs even layer) and prototype (k-means) contrast.

    Args:
        train: Training interactions.
        embedding_dim: ``D``.
        num_layers: ``K`` layers averaged for ranking (3).
        reg_weight: L2 weight on ego embeddings (1e-4).
        ssl_tau: Temperature of both contrastive terms (0.1).
        ssl_weight: Weight of the structural term, mean-normalized (4.096e-4; see the module docstring).
        alpha: Weight of the item side of the structural term (1).
        proto_weight: Weight of the prototype term, mean-normalized (3.2768e-4).
        num_clusters: k-means clusters per side (1000); capped at the number of users / items with a warning.
        hyper_layers: ``h``; the structural positive is layer ``2h`` (1, i.e. layer 2).
        warm_up_epochs: Epochs trained without the prototype term (20).
        kmeans_iters: Lloyd iterations per E-step (20).
        generator: Optional CPU ``torch.Generator`` for the k-means initialization.
    """

    def __init__(
        self,
        train: TrainSet,
        embedding_dim: int = 64,
        num_layers: int = 3,
        reg_weight: float = 1e-4,
        *,
        ssl_tau: float = 0.1,
        ssl_weight: float = 4.096e-4,
        alpha: float = 1.0,
        proto_weight: float = 3.2768e-4,
        num_clusters: int = 1000,
        hyper_layers: int = 1,
        warm_up_epochs: int = 20,
        kmeans_iters: int = 20,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__(train, embedding_dim, num_layers, reg_weight, include_ego=True)
        self.ssl_tau = _check_positive("ssl_tau", ssl_tau)
        self.ssl_weight = _check_nonnegative("ssl_weight", ssl_weight)
        self.alpha = _check_nonnegative("alpha", alpha)
        self.proto_weight = _check_nonnegative("proto_weight", proto_weight)
        self.num_clusters = _check_positive_int("num_clusters", num_clusters)
        self.hyper_layers = _check_positive_int("hyper_layers", hyper_layers)
        if isinstance(warm_up_epochs, bool) or not isinstance(warm_up_epochs, int) or warm_up_epochs < 0:
            raise ValueError(f"warm_up_epochs: expected an int >= 0, got {warm_up_epochs!r}")
        self.warm_up_epochs = warm_up_epochs
        self.kmeans_iters = _check_positive_int("kmeans_iters", kmeans_iters)
        self.generator = generator
        self.epoch = 0
        self.prototypes: dict[str, tuple[Tensor, Tensor]] | None = None  # side -> (centroids, assignment)

    # ------------------------------------------------------------------ E-step
    def _clusters(self, side: str, x: Tensor) -> tuple[Tensor, Tensor]:
        k = self.num_clusters
        if k > x.size(0):
            warnings.warn(
                f"NCL: num_clusters={k} exceeds the {x.size(0)} {side}s; using {x.size(0)} clusters",
                stacklevel=3,
            )
            k = x.size(0)
        centroids, labels = kmeans(x, k, iters=self.kmeans_iters, generator=self.generator)
        return F.normalize(centroids, dim=1), labels

    @torch.no_grad()
    def e_step(self) -> None:
        """Cluster the current ego embeddings of users and items (k-means), as NCL's E-step."""
        self.prototypes = {
            "user": self._clusters("user", self.user_embedding.detach()),
            "item": self._clusters("item", self.item_embedding.detach()),
        }

    def on_epoch_start(self, epoch: int) -> None:
        """Record the epoch; after the warm-up, re-cluster the ego embeddings."""
        self.epoch = int(epoch)
        if self.epoch >= self.warm_up_epochs and self.proto_weight > 0:
            self.e_step()

    # ------------------------------------------------------------------ losses
    def _structural(self, context: Tensor, center: Tensor, ids: Tensor) -> Tensor:
        anchors = F.normalize(context[ids], dim=1)
        logits = anchors @ F.normalize(center, dim=1).t() / self.ssl_tau
        return F.cross_entropy(logits, ids)

    def _prototype(self, side: str, center: Tensor, ids: Tensor) -> Tensor:
        assert self.prototypes is not None
        centroids, labels = self.prototypes[side]
        logits = F.normalize(center[ids], dim=1) @ centroids.t() / self.ssl_tau
        return F.cross_entropy(logits, labels[ids])

    def calculate_loss(self, users: Tensor, pos: Tensor, neg: Tensor) -> Tensor:
        """``bpr + reg + ssl_weight * structural (+ proto_weight * prototype after the warm-up)``."""
        self._begin_loss(users, pos, neg)
        layers = self.propagate(depth=max(self.num_layers, 2 * self.hyper_layers))
        bpr, reg = self.bpr_terms(self.combine(layers[: self.num_layers + 1]), users, pos, neg)
        center_u, center_i = self.split(layers[0])
        context_u, context_i = self.split(layers[2 * self.hyper_layers])
        ssl = self._structural(context_u, center_u, users) + self.alpha * self._structural(
            context_i, center_i, pos
        )
        total = bpr + reg + self.ssl_weight * ssl
        self.loss_terms = {"bpr": bpr.detach(), "reg": reg.detach(), "ssl": ssl.detach()}
        if self.epoch >= self.warm_up_epochs and self.proto_weight > 0:
            if self.prototypes is None or self.prototypes["user"][0].device != layers[0].device:
                self.e_step()
            proto = self._prototype("user", center_u, users) + self._prototype("item", center_i, pos)
            self.loss_terms["proto"] = proto.detach()
            total = total + self.proto_weight * proto
        return total

    def extra_repr(self) -> str:  # noqa: D102
        return (
            f"{super().extra_repr()}, ssl_tau={self.ssl_tau}, ssl_weight={self.ssl_weight}, "
            f"proto_weight={self.proto_weight}, num_clusters={self.num_clusters}"
        )
