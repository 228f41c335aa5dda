"""Submissions that never finish: the batch records a reason, kills what they started, goes on."""

from __future__ import annotations

import time

import psutil
import pytest
from quizzes_helpers import copy_course

from kinesis_grader.export import grade_rows
from kinesis_grader.grade import grade
from kinesis_grader.release import release
from kinesis_grader.synthetic import Quiz, write

pytestmark = pytest.mark.slow
QUIZ = "q01_core_capacity"
STUBBORN = (
    "import time\n"
    "while True:  # ignores the interrupt the per-cell limit sends\n"
    "    try:\n"
    "        time.sleep(0.1)\n"
    "    except BaseException:\n"
    "        pass\n"
)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = copy_course(tmp_path_factory.mktemp("watchdog"))
    release(course, [QUIZ], say=lambda _: None)
    return course


def answer_with(model: Quiz, source: str):
    notebook = model.submission()
    notebook.cells[model.answer_cell_index(notebook, "q01_ordering")].source = source
    return notebook


def kernels_alive(course) -> list[psutil.Process]:
    """Kernels still running in this course's folders (orphans included, whoever's child)."""
    alive = []
    for process in psutil.process_iter():
        try:
            if "ipykernel" in " ".join(process.cmdline()) and process.cwd().startswith(
                str(course.root)
            ):
                alive.append(process)
        except psutil.Error:
            continue
    return alive


def test_a_submission_past_the_whole_notebook_limit_is_stopped_and_the_batch_goes_on(
    course, tmp_path
):
    """One runaway (it sleeps in a loop and swallows every interrupt, so it is also what a
    plain long sleep would be, only harder to stop) before a normal submission."""
    model = Quiz(course, QUIZ)
    write(answer_with(model, STUBBORN), tmp_path / "a_stubborn.ipynb")
    write(model.submission(), tmp_path / "c_after.ipynb")
    started = time.monotonic()
    batch = grade(course, QUIZ, tmp_path, cell_timeout=300, student_timeout=20, say=print)
    assert time.monotonic() - started < 120
    assert batch.results["a_stubborn"]["status"] == "not_graded"
    assert "20 s submission limit" in batch.results["a_stubborn"]["reason"]
    assert batch.results["c_after"]["autograded"] == model.autograded_points
    assert kernels_alive(course) == []
    rows = {row["student_id"]: row for row in grade_rows(course, QUIZ)}
    assert rows["a_stubborn"]["score"] == "" and rows["a_stubborn"]["status"] == "not_graded"
    assert rows["c_after"]["status"] == "needs_manual_grading"


@pytest.fixture(scope="module")
def stubborn_and_killer(course, tmp_path_factory):
    """One batch (one grading run, a 5 s cell limit): a cell that ignores the interrupt, a
    submission that kills the grading worker, then a normal submission after both."""
    folder = tmp_path_factory.mktemp("stubborn_and_killer")
    model = Quiz(course, QUIZ)
    killer = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)  # the kernel's parent\n"
    write(answer_with(model, STUBBORN), folder / "a_stubborn.ipynb")
    write(answer_with(model, killer), folder / "b_killer.ipynb")
    write(model.submission(), folder / "zz_after.ipynb")
    batch = grade(course, QUIZ, folder, cell_timeout=5, student_timeout=300, say=print)
    return model, batch


def test_a_cell_that_ignores_the_interrupt_is_reported_as_a_timeout(course, stubborn_and_killer):
    model, batch = stubborn_and_killer
    reason = batch.results["a_stubborn"]["reason"]
    assert reason.startswith("timeout: a cell was still running after the 5 s limit"), reason
    assert batch.results["zz_after"]["autograded"] == model.autograded_points
    assert kernels_alive(course) == []


def test_a_submission_that_kills_the_grading_worker_costs_no_one_else(course, stubborn_and_killer):
    model, batch = stubborn_and_killer
    assert batch.results["b_killer"]["reason"].startswith("worker_died")
    assert batch.results["zz_after"]["autograded"] == model.autograded_points
    assert kernels_alive(course) == []
