"""Collaborative-filtering models: MF-BPR, LightGCN and the contrastive SGL, SimGCL, XSimGCL, NCL, DirectAU.

Every model follows :class:`~gcl.rec.models.base.Recommender` (``calculate_loss``, ``embeddings``,
``full_sort_predict``, ``on_epoch_start``) and takes the training interactions as its first argument.
:func:`build_model` looks a model up by name (case-insensitive) from :data:`MODELS`.
"""

from __future__ import annotations

from typing import Any

from gcl.rec.models.base import Recommender, TrainSet, cross_view_info_nce
from gcl.rec.models.directau import DirectAU
from gcl.rec.models.lightgcn import LightGCN
from gcl.rec.models.mf import MF
from gcl.rec.models.ncl import NCL, kmeans
from gcl.rec.models.sgl import SGL
from gcl.rec.models.simgcl import SimGCL
from gcl.rec.models.xsimgcl import XSimGCL

__all__ = [
    "MF",
    "MODELS",
    "NCL",
    "SGL",
    "DirectAU",
    "LightGCN",
    "Recommender",
    "SimGCL",
    "XSimGCL",
    "build_model",
    "cross_view_info_nce",
    "kmeans",
]

#: Model classes by lower-case name.
MODELS: dict[str, type[Recommender]] = {
    "mf": MF,
    "lightgcn": LightGCN,
    "sgl": SGL,
    "simgcl": SimGCL,
    "xsimgcl": XSimGCL,
    "ncl": NCL,
    "directau": DirectAU,
}


def build_model(name: str, train: TrainSet, **kwargs: Any) -> Recommender:
    """Instantiate the model called ``name`` (case-insensitive) on ``train`` with keyword arguments.

    Raises:
        ValueError: Unknown name (the message lists the known ones) or an argument the model does not take.

    Example:
        >>> from gcl.data.interactions import Interactions
        >>> build_model("SimGCL", Interactions(user=[0, 1], item=[1, 0]), eps=0.2).eps
        0.2
    """
    key = str(name).lower()
    if key not in MODELS:
        raise ValueError(f"model: unknown name {name!r}; expected one of {sorted(MODELS)}")
    try:
        return MODELS[key](train, **kwargs)
    except TypeError as err:  # an unexpected keyword argument
        raise ValueError(f"model {name!r}: {err}") from None
