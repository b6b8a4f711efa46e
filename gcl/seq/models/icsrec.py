"""ICSRec: intent contrastive learning with cross subsequences.

Qin et al. 2024, "Intent Contrastive Learning with Cross Subsequences for Sequential Recommendation" (WSDM);
official code github.com/QinHsiu/ICSRec.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gcl.node.clustering import kmeans
from gcl.seq.data import SeqBatch, SequenceData
from gcl.seq.models.base import (
    SIMILARITIES,
    SequentialRecommender,
    check_choice,
    check_tau,
    check_weight,
    nt_xent,
)

__all__ = ["ICSRec"]


class ICSRec(SequentialRecommender):
    """ICSRec: cross-subsequence intent contrast, coarse (same target) and fine (k-means intents).

    What is implemented, following the paper and its official code (``trainers.py``/``datasets.py``):

    * **Subsequences** -- the dynamic segmentation of a user's training sequence gives every prefix with
      its next item, which is exactly the prefix training examples of :class:`gcl.seq.data.SequenceData`.
      For each example, a *cross subsequence* is another training example with the same target item
      (possibly of another user; itself if the target occurs once), resampled every epoch
      (:func:`gcl.seq.data.sample_same_target`, ``batch.partner_seq``).
    * **Recommendation** -- cross-entropy of the subsequence's representation over all items.
    * **Coarse-grain intent contrastive learning (CICL)** -- NT-Xent between a second forward pass of the
      subsequence and its cross subsequence; in-batch negatives, with rows sharing the target item removed
      from the negatives (FNM, ``--f_neg``).
    * **Fine-grain intent contrastive learning (FICL)** -- before each epoch, k-means (``num_intents``
      clusters, ``kmeans_iters`` Lloyd iterations, :func:`gcl.node.clustering.kmeans`) over the
      representations of all training subsequences (eval mode); the L2-normalized centroids are the intent
      prototypes. For both views, NT-Xent between each representation and the prototype of its nearest
      centroid, rows of the same intent removed from the negatives (FNM). Prototypes are constants.

    ``loss = rec_weight * rec + lambda_coarse * CICL + beta_fine * FICL``; dot similarity and ``tau = 1``.
    Beauty defaults from ``src/scripts/beauty.sh``: ``lambda_0 = 0.3``, ``beta_0 = 0.1``, 256 intents,
    FNM on (the README's training command uses 0.1 / 0.1 / 512). Differences from the official code:
    torch k-means instead of faiss (same 20 iterations; ``kmeans_restarts=1`` instead of faiss' 5 by
    default, to save time). As in the reference, the prototypes used during epoch ``t`` are clustered from
    the model at the start of epoch ``t``.

    Args:
        encoder: The sequence encoder.
        lambda_coarse: Weight of CICL (``lambda_0``).
        beta_fine: Weight of FICL (``beta_0``); 0 disables clustering.
        rec_weight: Weight of the recommendation loss.
        num_intents: Number of intent clusters (capped by the number of training examples).
        tau: Temperature.
        similarity: ``"dot"`` or ``"cos"``.
        mask_false_negatives: FNM for both terms.
        kmeans_iters: Lloyd iterations per clustering.
        kmeans_restarts: k-means restarts per clustering.
        cluster_batch_size: Examples encoded per batch when computing the representations to cluster.
        loss_type: ``"ce"`` or ``"bpr"`` for the recommendation term.
    """

    needs_partner = True

    def __init__(
        self,
        encoder: nn.Module,
        lambda_coarse: float = 0.3,
        beta_fine: float = 0.1,
        rec_weight: float = 1.0,
        num_intents: int = 256,
        tau: float = 1.0,
        similarity: str = "dot",
        mask_false_negatives: bool = True,
        kmeans_iters: int = 20,
        kmeans_restarts: int = 1,
        cluster_batch_size: int = 1024,
        loss_type: str = "ce",
    ) -> None:
        super().__init__(encoder, loss_type)
        self.lambda_coarse = check_weight("lambda_coarse", lambda_coarse)
        self.beta_fine = check_weight("beta_fine", beta_fine)
        self.rec_weight = check_weight("rec_weight", rec_weight)
        for name, value in (
            ("num_intents", num_intents),
            ("kmeans_iters", kmeans_iters),
            ("kmeans_restarts", kmeans_restarts),
            ("cluster_batch_size", cluster_batch_size),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        self.num_intents = num_intents
        self.kmeans_iters = kmeans_iters
        self.kmeans_restarts = kmeans_restarts
        self.cluster_batch_size = cluster_batch_size
        self.tau = check_tau(tau)
        self.similarity = check_choice("similarity", similarity, SIMILARITIES)
        self.mask_false_negatives = bool(mask_false_negatives)
        self.register_buffer("centroids", torch.empty(0), persistent=False)  # raw k-means centers [K, D]

    @torch.no_grad()
    def cluster(
        self, data: SequenceData, *, device: torch.device | str | None = None, seed: int = 0
    ) -> Tensor:
        """Run k-means over the representations of all training examples; store and return the centers."""
        device = torch.device(device) if device is not None else self.encoder.item_embedding.weight.device
        was_training = self.training
        self.eval()
        try:
            reps = [
                self(data.batch(chunk).seq.to(device))
                for chunk in data.train_positions().split(self.cluster_batch_size)
            ]
        finally:
            self.train(was_training)
        x = torch.cat(reps)
        k = min(self.num_intents, x.size(0))
        _, centers, _ = kmeans(x, k, n_init=self.kmeans_restarts, max_iter=self.kmeans_iters, seed=seed)
        self.centroids = centers.detach()
        return self.centroids

    def on_epoch_start(
        self,
        epoch: int,
        data: SequenceData,
        *,
        device: torch.device | str | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        """Re-cluster the intents before every epoch (skipped when ``beta_fine == 0``)."""
        if self.beta_fine == 0:
            return
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator)) if generator is not None else epoch
        self.cluster(data, device=device, seed=seed)

    def intents(self, rep: Tensor) -> tuple[Tensor, Tensor]:
        """Nearest center of each row of ``rep [B, D]``: ``(intent ids [B], unit-norm prototypes [B, D])``."""
        if self.centroids.numel() == 0:
            raise ValueError(
                "ICSRec: no intent clusters yet; call cluster(data) (the trainer does every epoch)"
            )
        centers = self.centroids.to(rep.device)
        r = rep.detach()
        dist = r.square().sum(1, keepdim=True) - 2 * r @ centers.t() + centers.square().sum(1)
        intent = dist.argmin(dim=1)
        return intent, F.normalize(centers, dim=1)[intent]

    def calculate_loss(self, batch: SeqBatch, generator: torch.Generator | None = None) -> Tensor:
        """``rec_weight * rec + lambda_coarse * CICL + beta_fine * FICL``."""
        if batch.partner_seq is None:
            raise ValueError("ICSRec needs batch.partner_seq (same-target subsequences); use gcl.seq.trainer")
        rec = self.rec_loss(self(batch.seq), batch.target, generator)
        view1, view2 = self(batch.seq), self(batch.partner_seq)
        labels = batch.target if self.mask_false_negatives else None
        terms: dict[str, Tensor] = {"rec": rec}
        loss = self.rec_weight * rec
        if self.lambda_coarse > 0:
            terms["coarse"] = nt_xent(view1, view2, self.tau, self.similarity, labels)
            loss = loss + self.lambda_coarse * terms["coarse"]
        if self.beta_fine > 0:
            fine = rec.new_zeros(())
            for view in (view1, view2):
                intent, proto = self.intents(view)
                fine = fine + nt_xent(
                    view, proto, self.tau, self.similarity, intent if self.mask_false_negatives else None
                )
            terms["fine"] = fine
            loss = loss + self.beta_fine * fine
        self.loss_terms = {k: v.detach() for k, v in terms.items()}
        return loss

    def config(self) -> dict[str, Any]:
        """Hyper-parameters."""
        keys = (
            "lambda_coarse",
            "beta_fine",
            "rec_weight",
            "num_intents",
            "tau",
            "similarity",
            "mask_false_negatives",
            "kmeans_iters",
            "kmeans_restarts",
        )
        return {**super().config(), **{k: getattr(self, k) for k in keys}}
