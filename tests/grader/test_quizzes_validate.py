"""nbgrader's own QA: the source passes its tests, the release fails every one; no release leaks.

`nbgrader validate` is the instructor's own check before a release. It is run here on two quizzes
(a lesson quiz and a capstone) to prove the command works on the course's notebooks; that every
quiz's source and release behave is proven on the default grading path for all nine
(test_quizzes_trusted.py: a correct submission gets every point, the released blank none).
"""

from __future__ import annotations

import nbformat
import pytest
from quizzes_helpers import QUIZZES, copy_course, hidden_text_in, learner_files, nbgrader

from kinesis_grader.authoring import nbgrader_meta
from kinesis_grader.course import CourseError
from kinesis_grader.release import release

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = copy_course(tmp_path_factory.mktemp("course"))
    said: list[str] = []
    assert release(course, say=said.append) == QUIZZES
    assert len(said) == len(QUIZZES)
    return course


VALIDATED = ["q01_core_capacity"]


@pytest.mark.parametrize("quiz", VALIDATED)
def test_the_source_passes_all_its_tests(course, quiz):
    result = nbgrader(course, "validate", f"source/{quiz}/{quiz}.ipynb")
    assert "Success! Your notebook passes all the tests." in result.stdout, (
        result.stdout + result.stderr
    )


@pytest.mark.parametrize("quiz", VALIDATED)
def test_the_release_fails_every_test(course, quiz):
    result = nbgrader(course, "validate", "--invert", f"release/{quiz}/{quiz}.ipynb")
    assert "Success! The notebook does not pass any tests." in result.stdout, (
        result.stdout + result.stderr
    )


@pytest.mark.parametrize("quiz", QUIZZES)
def test_the_release_holds_no_solution_hidden_test_or_rubric(course, quiz):
    notebook = nbformat.read(course.release_notebook(quiz), as_version=4)
    for cell in notebook.cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution"):
            assert "YOUR" in cell.source, meta["grade_id"]
    files = [p for p in learner_files(course) if quiz in p.parts]
    assert files and all(hidden_text_in(p) == [] for p in files)


def test_a_leaking_release_is_refused_and_deleted(tmp_path):
    course = copy_course(tmp_path)
    path = course.source_notebook("q01_core_capacity")
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[0].source += "\n\n(CANARY-SOLUTION-oops: pasted into the intro)"
    nbformat.write(notebook, path)
    with pytest.raises(CourseError, match="CANARY"):
        release(course, ["q01_core_capacity"], say=lambda _: None)
    assert not course.release_notebook("q01_core_capacity").exists()
