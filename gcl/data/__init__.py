"""Datasets: registry and data root, downloads, graph loading, interaction logs, filters and splits."""

from gcl.data.filters import deduplicate, drop_cold, kcore, min_rating
from gcl.data.interactions import Interactions, InteractionSplit, UnknownIdError
from gcl.data.readers import from_dataframe, read_lightgcn, read_recbole_atomic, read_sequences, read_table
from gcl.data.registry import ensure_files, get_card, list_cards
from gcl.data.report import StepReport
from gcl.data.root import data_root
from gcl.data.splits import leave_one_out, predefined, random_split, temporal_split

__all__ = [
    "InteractionSplit",
    "Interactions",
    "StepReport",
    "UnknownIdError",
    "data_root",
    "deduplicate",
    "drop_cold",
    "ensure_files",
    "from_dataframe",
    "get_card",
    "kcore",
    "leave_one_out",
    "list_cards",
    "min_rating",
    "predefined",
    "random_split",
    "read_lightgcn",
    "read_recbole_atomic",
    "read_sequences",
    "read_table",
    "temporal_split",
]
