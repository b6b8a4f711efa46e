"""One test per RecBole compatibility shim (gcl.integrations.recbole.compat), with the failure it fixes."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

pytest.importorskip("recbole", reason="the recbole extra is not installed (pip install '.[recbole]')")

from gcl.integrations.recbole import compat

from .conftest import recbole_config

compat.apply()


def test_numpy_aliases_live_in_recbole_modules_only():
    from recbole.config import Config
    from recbole.data.dataset import dataset as recbole_dataset

    for name in ("float_", "unicode_", "complex_", "bool8"):
        assert not hasattr(np, name), f"numpy itself must stay NumPy 2 ({name})"
    view = recbole_dataset.np
    assert view.float is np.float64 and view.long is np.int_ and view.unicode_ is np.str_
    assert view.array is np.array  # everything else is numpy's
    Config.compatibility_settings(object())  # RecBole's version would raise AttributeError on np.float_
    assert not hasattr(np, "float_")


def test_quick_start_imports_ray_without_leaving_bool8_behind():
    module = compat.import_quick_start()
    assert module is sys.modules["recbole.quick_start"] and hasattr(module, "run_recbole")
    assert not hasattr(np, "bool8")


def test_dok_update_of_the_graph_models_builds_the_adjacency():
    from recbole.model.general_recommender import lightgcn

    dok = lightgcn.sp.dok_matrix((3, 4), dtype=np.float32)
    dok._update({(0, 1): 1, (2, 3): 1, (1, 0): 2})
    expected = np.zeros((3, 4), dtype=np.float32)
    expected[0, 1] = expected[2, 3] = 1
    expected[1, 0] = 2
    np.testing.assert_array_equal(dok.toarray(), expected)
    assert not hasattr(__import__("scipy.sparse").sparse.dok_matrix, "_update")  # scipy itself untouched


class _Pickled:
    """Stands for RecBole's Config inside its checkpoints: not a tensor, so weights_only refuses it."""

    value = 3


def test_recbole_trainer_reloads_its_own_checkpoints(tmp_path):
    from recbole.trainer import trainer as recbole_trainer

    path = tmp_path / "checkpoint.pth"
    torch.save({"config": _Pickled(), "state_dict": {"w": torch.ones(2)}}, path)
    with pytest.raises(Exception, match=r"[Ww]eights"):
        torch.load(path)  # torch's default since 2.6; RecBole 1.2.1 calls it like this
    loaded = recbole_trainer.torch.load(path, map_location="cpu")
    assert isinstance(loaded["config"], _Pickled) and torch.equal(loaded["state_dict"]["w"], torch.ones(2))
    assert recbole_trainer.torch.nn is torch.nn


def test_missing_ratings_are_filled_not_silently_left_nan(tiny_general):
    from recbole.config import Config
    from recbole.data import create_dataset

    config = Config(model="BPR", dataset="tiny", config_dict=recbole_config(tiny_general, load_col=None))
    dataset = create_dataset(config)
    ratings = np.asarray(dataset.inter_feat["rating"], dtype=float)
    assert not np.isnan(ratings).any()
    raw = np.loadtxt(tiny_general / "tiny" / "tiny.inter", skiprows=1, usecols=2, delimiter="\t", dtype=str)
    known = np.array([float(r) for r in raw if r != ""])
    assert np.isclose(ratings, known.mean()).sum() >= 1  # the empty cell got the column mean


def test_recbole_fill_nan_without_the_shim_leaves_nan_under_pandas_3():
    import pandas as pd

    frame = pd.DataFrame({"rating": [1.0, np.nan, 3.0]})
    frame["rating"].fillna(value=2.0, inplace=True)  # RecBole 1.2.1's idiom
    assert np.isnan(frame["rating"][1])  # copy-on-write: the frame keeps its NaN
