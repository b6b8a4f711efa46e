"""Every notebook runs top to bottom (small budgets: ``GCL_NOTEBOOK_QUICK=1``) and draws its figures."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="the notebooks extra is not installed")
nbclient = pytest.importorskip("nbclient", reason="the notebooks extra is not installed")

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def figures(notebook) -> int:
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


def test_notebooks_are_committed_without_outputs():
    assert NOTEBOOKS, "no notebooks found"
    for path in NOTEBOOKS:
        notebook = nbformat.read(path, as_version=4)
        dirty = [
            i
            for i, c in enumerate(notebook.cells)
            if c.cell_type == "code" and (c.outputs or c.execution_count)
        ]
        assert not dirty, f"{path.name}: strip the outputs of cells {dirty} before committing"


@pytest.mark.slow
@pytest.mark.real_data
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_draws_its_figures(path, data_dir, monkeypatch):
    monkeypatch.setenv("GCL_NOTEBOOK_QUICK", "1")
    monkeypatch.setenv("GCL_DATA_DIR", str(Path(data_dir).resolve()))  # the kernel runs in notebooks/
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()  # raises CellExecutionError naming the failing cell
    expected = notebook.metadata["gcl"]["min_figures"]
    assert figures(notebook) >= expected, f"{path.name}: {figures(notebook)} figures, expected {expected}"
