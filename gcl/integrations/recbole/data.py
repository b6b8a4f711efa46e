"""RecBole datasets in our pipeline: the split RecBole made, interaction for interaction.

:func:`split_from_recbole` turns RecBole's train / validation / test datasets (after
``data_preparation``, so RecBole's filtering and split settings have been applied) into an
:class:`~gcl.data.interactions.InteractionSplit` in RecBole's id space -- internal id ``i`` is RecBole's
id ``i``, raw ids are RecBole's tokens (id 0, RecBole's ``[PAD]``, has no interaction) -- so our trainers
see exactly the interactions RecBole's trainer sees.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gcl.data.interactions import Interactions, InteractionSplit

__all__ = ["interactions_from_recbole", "load_recbole_split", "split_from_recbole"]


def interactions_from_recbole(dataset: Any, name: str) -> Interactions:
    """One RecBole ``Dataset`` as :class:`Interactions` (RecBole's ids; tokens as raw ids)."""
    uid, iid = dataset.uid_field, dataset.iid_field
    feat = dataset.inter_feat
    rating = feat[dataset.config["RATING_FIELD"]].numpy() if dataset.config["RATING_FIELD"] in feat else None
    time_field = dataset.config["TIME_FIELD"]
    return Interactions(
        user=feat[uid].numpy(),
        item=feat[iid].numpy(),
        rating=rating,
        timestamp=feat[time_field].numpy() if time_field in feat else None,
        user_ids=np.asarray(dataset.field2id_token[uid]),
        item_ids=np.asarray(dataset.field2id_token[iid]),
        source=f"recbole:{dataset.dataset_name}:{name}",
    )


def split_from_recbole(train_data: Any, valid_data: Any, test_data: Any) -> InteractionSplit:
    """Our split from the three dataloaders (or datasets) that RecBole's ``data_preparation`` returns."""
    parts = [getattr(d, "_dataset", getattr(d, "dataset", d)) for d in (train_data, valid_data, test_data)]
    train, valid, test = (interactions_from_recbole(d, n) for d, n in zip(parts, ("train", "valid", "test")))
    return InteractionSplit(train, valid, test)


def load_recbole_split(dataset: str, config_dict: dict[str, Any] | None = None) -> InteractionSplit:
    """RecBole's filtering and split of ``dataset`` under ``config_dict``, as our split, without training.

    Seeds exactly as RecBole's quick start does before it splits, so for the same settings and ``seed``
    the interactions equal those RecBole's own trainer gets.
    """
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    from recbole.utils import init_seed

    config = Config(model="BPR", dataset=dataset, config_dict=config_dict)
    init_seed(config["seed"], config["reproducibility"])
    return split_from_recbole(*data_preparation(config, create_dataset(config)))
