"""The README's RecBole quick start runs as written (only the data folder is pointed at the test data)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("recbole", reason="the recbole extra is not installed (pip install '.[recbole]')")

from ..conftest import require

README = Path(__file__).resolve().parents[2] / "README.md"


def quickstart_code() -> str:
    text = README.read_text()
    block = re.search(
        r"<!-- recbole-quickstart -->\n```python\n(.*?)```\n<!-- /recbole-quickstart -->", text, re.S
    )
    assert block, "README lost its RecBole quick start block"
    return block.group(1)


def test_readme_recbole_quickstart_runs(data_dir, tmp_path, monkeypatch, capsys):
    require(data_dir, "ml-100k/ml-100k.inter")
    code = quickstart_code()
    assert '"data_path": "datasets"' in code
    monkeypatch.chdir(tmp_path)  # RecBole writes saved/ and log/ into the working directory
    (tmp_path / "datasets").symlink_to(data_dir)
    exec(compile(code, str(README), "exec"), {})
    printed = capsys.readouterr().out
    assert "recall@10" in printed and "mrr@10" in printed
