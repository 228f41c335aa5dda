"""Every lesson runs top to bottom — and again in the same kernel — and is committed clean.

Why run twice: learners re-run cells all the time, so a lesson must be idempotent; a second
pass in the same kernel catches "stream already exists" and similar re-run failures.
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT_SECONDS = 60
RUN_BUDGET_SECONDS = 20  # one pass over a lesson, kernel start excluded


def notebook_id(path: Path) -> str:
    return path.stem


def code_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def problems_in(cell: nbformat.NotebookNode) -> list[str]:
    """Error outputs and tracebacks printed to stderr, described for the failure message."""
    found = []
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            found.append(f"{output.ename}: {output.evalue}")
        elif output.output_type == "stream" and output.name == "stderr":
            if "Traceback" in output.text:
                found.append(f"traceback on stderr: {output.text[-500:]}")
    return found


def test_there_are_lessons():
    assert NOTEBOOKS, f"no notebooks in {NOTEBOOK_DIR}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_lesson_is_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    nbformat.validate(notebook)
    assert notebook.nbformat == 4
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    for cell in code_cells(notebook):
        assert cell.outputs == [], f"{path.name}: cell {cell.get('id')} has outputs"
        assert cell.execution_count is None, f"{path.name}: cell {cell.get('id')} has a count"


def test_every_lesson_starts_with_the_same_setup_cell():
    first_cells = {
        path.name: code_cells(nbformat.read(path, as_version=4))[0].source for path in NOTEBOOKS
    }
    assert len(set(first_cells.values())) == 1, first_cells
    setup = next(iter(first_cells.values()))
    assert "from kinesis_lab import start_lab" in setup
    assert "lab = start_lab()" in setup


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_lesson_runs_top_to_bottom_and_again(path):
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=CELL_TIMEOUT_SECONDS,
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    with client.setup_kernel():
        for run in ("first run", "re-run in the same kernel"):
            started = time.monotonic()
            for index, cell in enumerate(notebook.cells):
                if cell.cell_type == "code":
                    cell.outputs = []
                    client.execute_cell(cell, index)
            elapsed = time.monotonic() - started
            failures = [
                f"cell {cell.get('id')}: {problem}"
                for cell in code_cells(notebook)
                for problem in problems_in(cell)
            ]
            assert not failures, f"{path.name} ({run}):\n" + "\n".join(failures)
            assert elapsed < RUN_BUDGET_SECONDS, f"{path.name} ({run}) took {elapsed:.1f} s"
