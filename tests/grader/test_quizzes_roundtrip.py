"""Generate → synthetic class → the nbgrader engine (`make grade GRADE_ARGS="--engine nbgrader"`)
→ feedback → export.

Each quiz here is graded once, in a private copy of the course, with a class that brings the
usual trouble: a blank notebook, a mixed one (every choice item wrong, the other items solved in
turn: partial credit and wrong options in one), a runaway loop, a tampered one (one item's test
cell deleted, another's edited to pass), malformed JSON, an empty file, a badly named file.
Every well-formed submission must get exactly its score; every other one a reason; nobody else
is affected.

Which quizzes: the engine's handling of this trouble does not depend on a quiz's content, so it
runs on one quiz that holds every kind of item (ENGINE_QUIZZES: the producers quiz, the quickest
such quiz to run — 39 s here against 45 s for the fraud capstone; the test below
proves it covers every kind);
every quiz's own answer keys (correct, blank, partial, wrong options) are proven on the default
path in test_quizzes_trusted.py. This keeps the suite inside its time budget (issue 10).
"""

from __future__ import annotations

import csv
import shutil
import time

import nbformat
import pytest
from quizzes_helpers import QUIZZES, REPO, hidden_text_in, learner_files, nbgrader, released_copy

from kinesis_grader.export import NBGRADER_COLUMNS, export_csv
from kinesis_grader.feedback import regenerate
from kinesis_grader.grade import grade
from kinesis_grader.synthetic import (
    Quiz,
    with_edited_tests,
    with_infinite_loop,
    without_cell,
    write,
)

pytestmark = pytest.mark.slow
CELL_TIMEOUT = 10  # seconds: short, so the runaway loop costs little


def leaf_items(model: Quiz, kinds=None) -> list[str]:
    """Autograded items with their own answer cell that no other item builds on."""
    needed = {dep for item in model.items.values() for dep in item.depends_on}
    return [
        item.grade_id
        for item in model.autograded
        if item.answers and item.grade_id not in needed and (kinds is None or item.kind in kinds)
    ]


def leaf_item(model: Quiz, kinds=None) -> str:
    return leaf_items(model, kinds)[-1]


ENGINE_QUIZZES = ["q02_producers"]


def test_the_engine_quizzes_are_real_and_cover_every_item_kind():
    from kinesis_grader.authoring import quiz_items
    from kinesis_grader.course import Course

    course = Course.at(REPO / "quizzes")

    def kinds(quiz: str) -> set[str]:
        source = nbformat.read(course.source_notebook(quiz), as_version=4)
        return {item.kind for item in quiz_items(source)}

    assert set(ENGINE_QUIZZES) <= set(QUIZZES)
    every_kind = set().union(*(kinds(quiz) for quiz in QUIZZES))
    assert set().union(*(kinds(quiz) for quiz in ENGINE_QUIZZES)) == every_kind


@pytest.fixture(scope="module", params=ENGINE_QUIZZES)
def graded(request, tmp_path_factory):
    quiz = request.param
    course, model, download = released_copy(tmp_path_factory, quiz)
    total = model.autograded_points
    expected: dict[str, float] = {}

    write(model.submission(), download / "correct.ipynb")
    expected["correct"] = total
    shutil.copy(course.release_notebook(quiz), download / "blank.ipynb")
    expected["blank"] = 0.0
    choices = [i.grade_id for i in model.autograded if i.kind == "choice"]
    others = [i.grade_id for i in model.autograded if i.grade_id not in choices]
    solved = model.closed(others[::2])
    write(model.submission(solved, wrong=choices), download / "mixed.ipynb")
    expected["mixed"] = model.score_of(solved)
    assert choices and 0 < expected["mixed"] < total

    looping = leaf_item(model, kinds=("calculation", "code"))
    notebook = model.submission()
    with_infinite_loop(model, notebook, looping)
    write(notebook, download / "looping.ipynb")
    expected["looping"] = total - model.items[looping].points

    # One item's test cell deleted (the answer right), another's edited to pass (the answer
    # wrong): nbgrader puts both back, so only the second item's points are lost.
    *_, edited, deleted = leaf_items(model)
    notebook = model.submission(set(model.items) - {edited}, wrong={edited})
    without_cell(notebook, deleted)
    with_edited_tests(notebook, edited)
    write(notebook, download / "tampered.ipynb")
    expected["tampered"] = total - model.items[edited].points

    (download / "malformed.ipynb").write_text('{"cells": [{"cell_type": "code", ')
    (download / "empty.ipynb").write_text("")
    write(model.submission(), download / "Jane Doe.ipynb")

    said: list[str] = []
    started = time.monotonic()
    batch = grade(course, quiz, download, cell_timeout=CELL_TIMEOUT, say=said.append)
    return {
        "quiz": quiz,
        "course": course,
        "model": model,
        "batch": batch,
        "expected": expected,
        "said": said,
        "seconds": time.monotonic() - started,
        "looping": looping,
    }


def test_every_well_formed_submission_gets_exactly_its_score(graded):
    results = graded["batch"].results
    scores = {s: results[s].get("autograded") for s in graded["expected"]}
    assert scores == graded["expected"], "\n".join(graded["said"])
    assert all(results[s]["autograded_max"] == graded["model"].autograded_points for s in scores)


def test_design_answers_wait_for_a_human_and_blanks_do_not(graded):
    results = graded["batch"].results
    assert results["correct"]["status"] == "needs_manual_grading"
    assert results["blank"]["status"] == "graded"


def test_a_runaway_loop_loses_only_its_own_item(graded):
    notes = graded["batch"].results["looping"]["notes"]
    assert any(f"{CELL_TIMEOUT} s cell limit" in note for note in notes), notes


def test_broken_files_are_reported_and_bad_names_skipped(graded):
    results = graded["batch"].results
    assert results["malformed"]["status"] == "not_graded"
    assert "not valid JSON" in results["malformed"]["reason"]
    assert results["empty"]["reason"].endswith("empty file")
    assert "Jane Doe" not in results
    assert any("Jane Doe.ipynb" in line and "space" in line for line in graded["batch"].skipped)


def test_progress_and_summary_are_printed(graded):
    said = graded["said"]
    gradable = len(graded["expected"])
    progress = [line for line in said if line.startswith("student ")]
    assert len(progress) == gradable
    assert progress[0].startswith(f"student 1 of {gradable} · ")
    assert all("elapsed" in line and "remaining" in line for line in progress)
    text = "\n".join(said)
    for heading in ("graded:", "needs manual grading:", "could not be graded: 2", "Grades (CSV):"):
        assert heading in text
    assert "malformed: malformed.ipynb: not valid JSON" in text


def test_feedback_and_release_hold_no_hidden_text(graded):
    course = graded["course"]
    feedback = sorted((course.root / "feedback").rglob("*.html"))
    assert len(feedback) == len(graded["expected"])
    leaks = {str(p): hidden_text_in(p) for p in learner_files(course)}
    assert {p: found for p, found in leaks.items() if found} == {}


def test_the_csv_has_nbgrader_columns_and_every_student(graded):
    batch = graded["batch"]
    with open(batch.csv, newline="", encoding="utf-8") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
        header = list(rows[next(iter(rows))].keys())
    assert header[: len(NBGRADER_COLUMNS)] == list(NBGRADER_COLUMNS)
    assert set(rows) == set(graded["expected"]) | {"malformed", "empty"}
    assert float(rows["correct"]["raw_score"]) == graded["expected"]["correct"]
    assert rows["correct"]["needs_manual_grade"] == "true"
    assert rows["malformed"]["score"] == "" and rows["malformed"]["status"] == "not_graded"
    assert "not valid JSON" in rows["malformed"]["reason"]


def test_nbgrader_sees_the_same_grades(graded):
    """The gradebook is nbgrader's: its own export agrees (where it has a submission)."""
    course = graded["course"]
    out = course.root.parent / "nbgrader_export.csv"
    result = nbgrader(course, "export", "--to", str(out), "--assignment", graded["quiz"])
    assert result.returncode == 0, result.stderr
    with open(out, newline="") as handle:
        stock = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(handle)}
    for student, score in graded["expected"].items():
        assert stock[student] == score


def test_manual_grades_flow_into_feedback_and_export(graded):
    course, quiz = graded["course"], graded["quiz"]
    design = next(item.grade_id for item in graded["model"].items.values() if item.manual)
    with course.gradebook() as gradebook:
        grade_row = gradebook.find_grade(design, quiz, quiz, "correct")
        grade_row.manual_score = 2
        gradebook.db.commit()
    result = regenerate(course, quiz)
    assert result["success"] and not result["withheld"]
    with open(export_csv(course, quiz), newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["student_id"] == "correct")
    assert float(row["raw_score"]) == graded["expected"]["correct"] + 2
    html = course.feedback_file("correct", quiz).read_text()
    assert "2.0 / " in html


def test_the_autograded_notebook_got_the_instructors_tests_back(graded):
    course, quiz = graded["course"], graded["quiz"]
    notebook = nbformat.read(course.autograded_notebook("tampered", quiz), as_version=4)
    text = "\n".join(cell.source for cell in notebook.cells)
    assert "CANARY-HIDDEN-" in text  # instructor-side only: restored hidden tests
    checks = course.grading_folder(quiz) / "checks" / "correct.jsonl"
    assert checks.read_text().count('"kind":"answer"') >= 1
