import pytest

from gcl.cli import main

EXPECTED = {
    "cora": {"nodes": 2708, "edges": 10556, "features": 1433, "classes": 7},
    "citeseer": {"nodes": 3327, "edges": 9104, "features": 3703, "classes": 6},
    "gowalla": {"users": 29858, "items": 40981, "train_interactions": 810128, "test_interactions": 217242},
    "ml-100k": {"users": 943, "items": 1682, "interactions": 100000},
    "beauty": {"users": 22363, "items": 12101, "interactions": 198502},
}


@pytest.mark.real_data
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_datasets_info_prints_the_shared_readme_counts(name, data_dir, capsys):
    assert main(["datasets", "--data-dir", str(data_dir), "info", name, "--no-download"]) == 0
    out = capsys.readouterr().out
    for key, value in EXPECTED[name].items():
        line = next(line for line in out.splitlines() if line.startswith(key + " "))
        assert line.split()[1:3] == [str(value), str(value)], line


def test_unknown_dataset_is_a_clear_error(capsys):
    assert main(["datasets", "info", "gowala"]) == 2
    assert "Did you mean 'gowalla'" in capsys.readouterr().err


def test_missing_files_offline_names_them(tmp_path, capsys):
    assert main(["datasets", "--data-dir", str(tmp_path), "info", "cora", "--no-download"]) == 2
    err = capsys.readouterr().err
    assert "raw/ind.cora.x" in err and str(tmp_path / "Cora") in err


@pytest.mark.real_data
def test_datasets_check_and_list(data_dir, capsys):
    assert main(["datasets", "--data-dir", str(data_dir), "check", "cora", "beauty"]) == 0
    out = capsys.readouterr().out
    assert out.count(" ok") == 9
    assert main(["datasets", "--data-dir", str(data_dir), "list"]) == 0
    listing = capsys.readouterr().out
    assert any(line.startswith("cora") and " yes " in line for line in listing.splitlines())
