"""The quizzes follow their authoring rules, read from the source notebooks without running them."""

from __future__ import annotations

import ast
import copy
import re
import sys

import nbformat
import pytest
from paths import REPO

from kinesis_grader import authoring
from kinesis_grader.authoring import AuthoringError, quiz_items, strip_expectations
from kinesis_grader.course import Course
from kinesis_lab.quiz.check import EXPECTATION_KEYWORDS

COURSE = Course.at(REPO / "quizzes")
QUIZZES = COURSE.quizzes()
LESSON = REPO / "notebooks" / "00_orientation.ipynb"
sys.path.insert(0, str(REPO / "tools"))
from colab_setup import split_guard  # noqa: E402  (tools/ is not a package)


def source(quiz: str) -> nbformat.NotebookNode:
    return nbformat.read(COURSE.source_notebook(quiz), as_version=nbformat.NO_CONVERT)


def code_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_the_course_has_quizzes_and_an_assignment():
    assert {"q01_core_capacity", "q02_producers", "a01_iot"} <= set(QUIZZES)


@pytest.mark.parametrize("quiz", QUIZZES)
def test_every_quiz_follows_the_authoring_rules(quiz):
    items = quiz_items(source(quiz))
    assert items, quiz
    assert [item for item in items if item.manual and item.kind == "design"], "one design answer"
    assert len([item for item in items if item.manual]) == 1
    assert all(item.points > 0 and float(item.points).is_integer() for item in items)
    assert all(item.grade_id.startswith(quiz.split("_")[0] + "_") for item in items)
    total = sum(item.points for item in items)
    assert 15 <= total <= 40, f"{quiz}: {total} points"


@pytest.mark.parametrize("quiz", QUIZZES)
def test_quizzes_are_committed_clean_and_start_with_the_lessons_setup(quiz):
    notebook = source(quiz)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)
    lesson_setup = next(c for c in nbformat.read(LESSON, 4).cells if c.cell_type == "code")
    # The lessons' Colab install guard is not for quizzes: they run where the course is
    # installed (make lab, the class hub, the grader), and a quiz cell must not install.
    before, _guard, after = split_guard(lesson_setup.source)
    assert code_lines(code[0].source) == code_lines("\n".join(before + after))
    assert code[0].metadata["nbgrader"]["locked"], "the setup cell is read-only"


@pytest.mark.parametrize("quiz", QUIZZES)
def test_quizzes_never_leave_the_mocked_account(quiz):
    for cell in source(quiz).cells:
        for forbidden in ("target=", "i_accept_aws_costs", "import socket", "requests", "urllib"):
            assert forbidden not in cell.source, (quiz, forbidden)


@pytest.mark.parametrize("quiz", QUIZZES)
def test_every_expected_value_can_be_stripped_before_the_notebook_runs(quiz):
    notebook = source(quiz)
    expectations = authoring.expectations(notebook)
    assert expectations
    for cell in notebook.cells:
        if cell.cell_type == "code" and authoring.nbgrader_meta(cell).get("grade"):
            stripped = strip_expectations(cell.source)
            calls = [
                node
                for node in ast.walk(ast.parse(stripped))
                if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "expect"
            ]
            assert calls
            assert all(kw.arg not in EXPECTATION_KEYWORDS for call in calls for kw in call.keywords)


def test_items_per_module_and_exam_are_counted():
    """The figures the issue note reports: items per exam code and per module."""
    per_exam: dict[str, int] = {}
    per_module: dict[str, int] = {}
    for quiz in QUIZZES:
        for item in quiz_items(source(quiz)):
            per_module[item.module] = per_module.get(item.module, 0) + 1
            for exam in item.exams:
                per_exam[exam] = per_exam.get(exam, 0) + 1
    assert set(per_exam) == set(authoring.EXAMS)
    assert {"M0", "M1", "M2", "M3"} <= set(per_module)


# --- the rules catch mistakes ----------------------------------------------------------------


def broken(change) -> nbformat.NotebookNode:
    notebook = copy.deepcopy(source("q01_core_capacity"))
    for cell in notebook.cells:
        if authoring.nbgrader_meta(cell).get("grade_id") == "q01_ordering":
            change(cell)
    return notebook


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: setattr(c, "source", c.source + "\nassert q01_ordering"), "assert/raise"),
        (
            lambda c: setattr(
                c,
                "source",
                'expect("q01_ordering", q01_ordering, equals="b")  # CANARY-HIDDEN-q01_ordering',
            ),
            "no hidden test region",
        ),
        (
            lambda c: setattr(c, "source", 'expect("q01_ordering", 1, equals="b")\n' + c.source),
            "outside the hidden region",
        ),
        (
            lambda c: setattr(c, "source", re.sub(r'equals="[a-e]"', "equals=ANSWER", c.source)),
            "literal",
        ),
        (lambda c: setattr(c, "source", c.source.replace('"q01_ordering"', '"q01_x"')), "check id"),
        (lambda c: setattr(c, "source", c.source.replace("CANARY-HIDDEN", "CANARY")), "CANARY"),
        (lambda c: c.metadata.pop("kinesis_quiz"), "module"),
        (lambda c: c.metadata["kinesis_quiz"].update(exams=["AWS-101"]), "exams"),
    ],
)
def test_the_authoring_rules_catch_mistakes(change, message):
    with pytest.raises(AuthoringError, match=message):
        quiz_items(broken(change))


def test_a_rubric_must_sit_in_a_read_only_cell():
    notebook = copy.deepcopy(source("q01_core_capacity"))
    for cell in notebook.cells:
        if authoring.nbgrader_meta(cell).get("grade_id") == "q01_design_question":
            cell.metadata["nbgrader"]["locked"] = False
    with pytest.raises(AuthoringError, match="read-only"):
        quiz_items(notebook)


# --- the course configuration ----------------------------------------------------------------


def test_the_course_configuration():
    config = COURSE.config()
    assert config.CourseDirectory.course_id == "kinesis-course"
    assert config.Exchange.root == str(REPO / ".exchange")
    assert config.Execute.timeout == 60
    assert config.OverwriteCells.add_missing_cells is True
    feedback = config.GenerateFeedback.preprocessors
    assert "nbgrader.preprocessors.ClearHiddenTests" in feedback
    assert "nbgrader.preprocessors.ClearMarkScheme" in feedback
    from traitlets.utils.importstring import import_item

    assert all(import_item(name) for name in feedback)
    assert COURSE.config(cell_timeout=5).Execute.timeout == 5


def test_the_exchange_can_be_a_class_hubs_shared_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("KINESIS_COURSE_EXCHANGE", str(tmp_path))
    assert COURSE.config().Exchange.root == str(tmp_path)


def test_the_repository_root_config_points_a_lab_server_at_the_course():
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()
    assert config.CourseDirectory.root == str(REPO / "quizzes")
    assert config.OverwriteCells.add_missing_cells is True


def test_feedback_keeps_only_safe_test_output():
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from kinesis_grader.preprocessors import HideTestTracebacks

    test = new_code_cell("expect(...)")
    test.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "q", "points": 1}
    test.outputs = [
        new_output("stream", name="stdout", text="hidden input 42\n✓ q:case\n"),
        new_output(
            "error",
            ename="CheckFailed",
            evalue="q: not the expected answer",
            traceback=["----> 4 expect('q', x, equals='SECRET')"],
        ),
    ]
    answer = new_code_cell("x = 1")
    answer.metadata["nbgrader"] = {"grade": False, "solution": True, "grade_id": "q_answer"}
    answer.outputs = [new_output("stream", name="stdout", text="the learner's own output\n")]
    other = new_code_cell("f()")
    other.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "r", "points": 1}
    other.outputs = [new_output("error", ename="KeyError", evalue="'hidden-key'", traceback=["x"])]
    notebook, _ = HideTestTracebacks().preprocess(new_notebook(cells=[test, answer, other]), {})
    shown = str(notebook)
    assert "SECRET" not in shown and "hidden input" not in shown and "hidden-key" not in shown
    assert "✓ q:case" in shown and "not the expected answer" in shown
    assert "the learner's own output" in shown
