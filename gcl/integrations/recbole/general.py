"""Our graph recommenders as RecBole ``GeneralRecommender`` models (an adapter, not a copy).

Each class wraps the :mod:`gcl.rec.models` model of the same name, built on RecBole's training
interaction matrix, and maps RecBole's config keys (RecBole / RecBole-GNN spelling) onto its
arguments; a key the config does not set keeps our model's default. RecBole's trainer calls
``model.train()`` at the start of every epoch, which runs our ``on_epoch_start`` hook (SGL resamples
its views there). Final embeddings are computed once per evaluation and cached until training resumes.

Example (RecBole's own pipeline; see the README for the full quick start)::

    from gcl.integrations.recbole import GclSimGCL, run_recbole_model
    result = run_recbole_model(GclSimGCL, "ml-100k", {"data_path": "datasets", "lambda": 0.1})
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from recbole.model.abstract_recommender import GeneralRecommender
from recbole.utils import InputType
from torch import Tensor

from gcl.rec.models import LightGCN, Recommender, SimGCL, XSimGCL
from gcl.rec.models.sgl import SGL

__all__ = ["GclLightGCN", "GclSGL", "GclSimGCL", "GclXSimGCL", "config_kwargs"]

#: RecBole config key -> our keyword, shared by every graph model.
COMMON_KEYS = {"embedding_size": "embedding_dim", "n_layers": "num_layers", "reg_weight": "reg_weight"}


def config_kwargs(config: Any, keys: dict[str, str]) -> dict[str, Any]:
    """Our keyword arguments from a RecBole ``Config`` (keys it does not set are left out)."""
    out = {}
    for recbole_key, ours in keys.items():
        value = config[recbole_key] if recbole_key in config else None
        if value is not None:
            out[ours] = value
    return out


class _GclGeneral(GeneralRecommender):
    """Shared adapter: one of our :class:`~gcl.rec.models.base.Recommender` inside RecBole."""

    input_type = InputType.PAIRWISE
    gcl_class: ClassVar[type[Recommender]]
    model_keys: ClassVar[dict[str, str]] = {}

    def __init__(self, config: Any, dataset: Any) -> None:
        super().__init__(config, dataset)
        train = dataset.inter_matrix(form="csr").astype(np.float32)  # ids include RecBole's padding 0
        kwargs = config_kwargs(config, {**COMMON_KEYS, **self.model_keys})
        self.gcl = self.gcl_class(train, **kwargs)
        self._epoch = 0
        self._cache: tuple[Tensor, Tensor] | None = None

    def train(self, mode: bool = True) -> _GclGeneral:
        """RecBole calls ``train()`` once per epoch: run our epoch hook and drop cached embeddings."""
        super().train(mode)
        self._cache = None
        if mode:
            self.gcl.on_epoch_start(self._epoch)
            self._epoch += 1
        return self

    def calculate_loss(self, interaction: Any) -> Tensor:
        """Our model's full training loss (BPR + regularization + contrastive term) on a pairwise batch."""
        return self.gcl.calculate_loss(
            interaction[self.USER_ID], interaction[self.ITEM_ID], interaction[self.NEG_ITEM_ID]
        )

    def _embeddings(self) -> tuple[Tensor, Tensor]:
        if self.training:
            return self.gcl.embeddings()
        if self._cache is None:
            self._cache = self.gcl.embeddings()
        return self._cache

    def predict(self, interaction: Any) -> Tensor:
        """Scores of (user, item) pairs ``[B]``."""
        user_emb, item_emb = self._embeddings()
        users, items = interaction[self.USER_ID], interaction[self.ITEM_ID]
        return (user_emb[users] * item_emb[items]).sum(dim=1)

    def full_sort_predict(self, interaction: Any) -> Tensor:
        """Scores of every item for the batch's users, flattened ``[B * n_items]`` as RecBole expects."""
        user_emb, item_emb = self._embeddings()
        return (user_emb[interaction[self.USER_ID]] @ item_emb.t()).view(-1)


class GclLightGCN(_GclGeneral):
    """:class:`gcl.rec.models.LightGCN` (He et al. 2020) in RecBole."""

    gcl_class = LightGCN


class GclSGL(_GclGeneral):
    """:class:`gcl.rec.models.SGL` (Wu et al. 2021); RecBole's keys ``type``, ``drop_ratio``, ``ssl_*``."""

    gcl_class = SGL
    model_keys: ClassVar[dict[str, str]] = {
        "type": "aug_type",
        "drop_ratio": "drop_ratio",
        "ssl_tau": "tau",
        "ssl_weight": "cl_weight",
    }


class GclSimGCL(_GclGeneral):
    """:class:`gcl.rec.models.SimGCL` (Yu et al. 2022); keys ``eps``, ``lambda``, ``temperature``."""

    gcl_class = SimGCL
    model_keys: ClassVar[dict[str, str]] = {"eps": "eps", "lambda": "cl_weight", "temperature": "tau"}


class GclXSimGCL(_GclGeneral):
    """:class:`gcl.rec.models.XSimGCL` (Yu et al. 2023); RecBole-GNN's keys plus ``layer_cl``."""

    gcl_class = XSimGCL
    model_keys: ClassVar[dict[str, str]] = {
        "eps": "eps",
        "lambda": "cl_weight",
        "temperature": "tau",
        "layer_cl": "cl_layer",
    }
