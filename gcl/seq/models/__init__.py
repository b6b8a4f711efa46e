"""Sequential recommenders: SASRec, CL4SRec, DuoRec, ICSRec (one model per module) and a name registry."""

from __future__ import annotations

from typing import Any

from torch import nn

from gcl.seq.models.base import SequentialRecommender, nt_xent
from gcl.seq.models.cl4srec import CL4SRec
from gcl.seq.models.duorec import DuoRec
from gcl.seq.models.icsrec import ICSRec
from gcl.seq.models.sasrec import SASRec

__all__ = [
    "MODELS",
    "CL4SRec",
    "DuoRec",
    "ICSRec",
    "SASRec",
    "SequentialRecommender",
    "build_model",
    "nt_xent",
]

MODELS: dict[str, type[SequentialRecommender]] = {
    "sasrec": SASRec,
    "cl4srec": CL4SRec,
    "duorec": DuoRec,
    "icsrec": ICSRec,
}


def build_model(name: str, encoder: nn.Module, **kwargs: Any) -> SequentialRecommender:
    """Instantiate a model by (case-insensitive) name with the given encoder and keyword hyper-parameters.

    Raises:
        ValueError: Unknown name (the message lists the known ones) or unknown keyword.
    """
    key = str(name).lower()
    if key not in MODELS:
        raise ValueError(f"unknown sequential model {name!r}; expected one of {sorted(MODELS)}")
    try:
        return MODELS[key](encoder, **kwargs)
    except TypeError as exc:  # unexpected keyword argument
        raise ValueError(f"{MODELS[key].__name__}: {exc}") from None
