"""Every lesson runs top to bottom — and again in the same kernel — and is committed clean;
run blank, its exercises' checks say "not yet".

Why run twice: learners re-run cells all the time, so a lesson must be idempotent; a second
pass in the same kernel catches "stream already exists" and similar re-run failures. A lesson
with exercises is run again by tests/course/test_exercises.py with its answers filled in (the harder
re-run: the learner's own calls have made their resources), so here it runs once, blank.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import nbformat
import pytest
from paths import REPO

NOTEBOOK_DIR = REPO / "notebooks"
sys.path.insert(0, str(REPO / "tools"))
import execute_lessons  # noqa: E402  (tools/ is not a package)
import run_exercises  # noqa: E402

NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def notebook_id(path: Path) -> str:
    return path.stem


def code_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


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
@pytest.mark.usefixtures("kernel_zygote")  # its kernels forked: tests/conftest.py
@pytest.mark.parametrize("path", NOTEBOOKS, ids=notebook_id)
def test_lesson_runs_top_to_bottom_and_again(path, tmp_path):
    """Every pass clean and within budget. The first pass's executed copy goes where the site
    build looks for it (tools/execute_lessons.py's cache), so the site tests that follow in
    this worker (tests/conftest.py keeps them in one group) build without executing again.
    The "again" pass of a lesson with exercises runs answered, in tests/course/test_exercises.py."""
    # Only the site's lessons go to its cache: a site build running meanwhile deletes any other
    # notebook there (the CLI appendix is not on the site), and this test reads its copy back.
    on_site = path in execute_lessons.lesson_paths()
    target = (execute_lessons.OUT_DIR if on_site else tmp_path) / path.name
    key = execute_lessons.cache_key(path, toolkit_fingerprint())
    reruns = 0 if run_exercises.exercises_in(nbformat.read(path, as_version=4)) else 1
    try:
        passes = execute_lessons.execute_lesson(path, target, key, reruns=reruns)
    except execute_lessons.LessonExecutionError as error:
        pytest.fail(str(error), pytrace=False)
    # Speed is benchmarks/bench_lessons.py's (the 20 s budget, median of runs on a quiet
    # machine), not a timed assertion here: under the suite's load a pass takes up to 2× longer.
    assert len(passes) == 1 + reruns
    # Blank, as learners get it, every exercise's checks say "not yet" (issue 11).
    assert run_exercises.blank_problems(nbformat.read(target, as_version=4)) == []


@functools.cache
def toolkit_fingerprint() -> str:
    return execute_lessons.toolkit_fingerprint()
