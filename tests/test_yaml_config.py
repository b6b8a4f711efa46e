import math

import pytest

from gcl.cli import build_parser
from gcl.rec.commands import resolve_config
from gcl.yaml_config import load_yaml


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1e-6", 1e-6),  # a string under PyYAML's YAML 1.1 rules
        ("5E3", 5000.0),
        ("-2e+1", -20.0),
        ("1.0e6", 1e6),  # YAML 1.1 needs a signed exponent
        ("1.5e-3", 1.5e-3),
        ("0.25", 0.25),
    ],
)
def test_exponent_floats_are_floats(text, expected):
    value = load_yaml(text)
    assert type(value) is float and value == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10", 10), ("true", True), ("1e", "1e"), ("e5", "e5"), ("1e-6x", "1e-6x"), ("'1e-6'", "1e-6")],
)
def test_everything_else_resolves_as_safe_load(text, expected):
    value = load_yaml(text)
    assert type(value) is type(expected) and value == expected


def test_special_floats_and_documents():
    assert math.isinf(load_yaml(".inf")) and math.isnan(load_yaml(".nan"))
    assert load_yaml("") is None
    assert load_yaml("model: {reg_weight: 1e-6, ks: [10, 20]}") == {
        "model": {"reg_weight": 1e-6, "ks": [10, 20]}
    }


def test_unsafe_tags_are_refused():
    with pytest.raises(Exception, match="python/object"):
        load_yaml("!!python/object/apply:os.system ['true']")


def test_rec_config_file_and_param_read_exponent_floats(tmp_path):
    (tmp_path / "log.csv").write_text("user,item\n1,2\n")
    config = tmp_path / "run.yaml"
    config.write_text("model:\n  name: simgcl\n  reg_weight: 1e-5\n  eps: 2e-1\n")
    args = build_parser().parse_args(
        [
            "rec",
            "train",
            "--config",
            str(config),
            "--data",
            str(tmp_path / "log.csv"),
            "--param",
            "cl_weight=5e-1",
        ]
    )
    model = resolve_config(args)["model"]
    assert (model["reg_weight"], model["eps"], model["cl_weight"]) == (1e-5, 0.2, 0.5)
    assert all(type(model[key]) is float for key in ("reg_weight", "eps", "cl_weight"))
