"""``run_recbole_model``: RecBole's quick start for model *classes*, ours included.

RecBole's ``run_recbole`` looks a model up by name among its own modules, so a class from another
package cannot go through it. This function is the same pipeline -- ``Config``, ``create_dataset``,
``data_preparation``, RecBole's trainer and evaluator -- with the class passed in.
"""

from __future__ import annotations

from typing import Any

from recbole.config import Config
from recbole.data import create_dataset, data_preparation
from recbole.utils import get_model, get_trainer, init_logger, init_seed

__all__ = ["run_recbole_model"]


def run_recbole_model(
    model: type | str,
    dataset: str,
    config_dict: dict[str, Any] | None = None,
    config_file_list: list[str] | None = None,
    *,
    saved: bool = True,
    return_objects: bool = False,
) -> dict[str, Any]:
    """Train and test ``model`` (a RecBole model class, ours or RecBole's, or a RecBole model name).

    Args:
        model: E.g. :class:`~gcl.integrations.recbole.GclSimGCL`, ``recbole...LightGCN`` or ``"LightGCN"``.
        dataset: RecBole dataset name (``<data_path>/<dataset>/<dataset>.inter``).
        config_dict: RecBole settings (``data_path``, ``seed``, ``eval_args``, ``lambda`` ...).
        config_file_list: RecBole YAML files.
        saved: Save and reload the best validation checkpoint for the test (RecBole's default).
        return_objects: Also return the config, dataloaders, model and trainer.

    Returns:
        ``best_valid_score``, ``best_valid_result``, ``test_result`` (RecBole's metric dicts), plus the
        objects when asked.
    """
    config = Config(model=model, dataset=dataset, config_dict=config_dict, config_file_list=config_file_list)
    init_seed(config["seed"], config["reproducibility"])
    init_logger(config)
    data = create_dataset(config)
    train_data, valid_data, test_data = data_preparation(config, data)
    init_seed(config["seed"] + config["local_rank"], config["reproducibility"])
    model_class = get_model(model) if isinstance(model, str) else model
    net = model_class(config, train_data._dataset).to(config["device"])
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, net)
    best_valid_score, best_valid_result = trainer.fit(
        train_data, valid_data, saved=saved, show_progress=config["show_progress"]
    )
    test_result = trainer.evaluate(test_data, load_best_model=saved, show_progress=config["show_progress"])
    out: dict[str, Any] = {
        "best_valid_score": best_valid_score,
        "best_valid_result": dict(best_valid_result),
        "test_result": dict(test_result),
    }
    if return_objects:
        out.update(config=config, data=(train_data, valid_data, test_data), model=net, trainer=trainer)
    return out
