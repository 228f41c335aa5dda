"""Rebuild from the instructor's notebook and decide outside the kernel (issue 6, items 2–3)."""

import json

import nbformat
import pytest

from kinesis_grader.rebuild import (
    ROLE_ANSWER,
    ROLE_TEST,
    AuthoringError,
    WrongNotebook,
    rebuild,
    release_stub,
    strip_expectations,
)
from kinesis_grader.verdicts import FAILED, NO_ANSWER, NOT_RUN, PASSED, TAMPERED, judge
from kinesis_lab.quiz.check import STDOUT_PREFIX, canonical


def cell(source, grade_id=None, *, solution=False, grade=False, points=0):
    new = nbformat.v4.new_code_cell(source)
    if grade_id:
        new.metadata["nbgrader"] = {
            "grade_id": grade_id,
            "solution": solution,
            "grade": grade,
            "points": points,
        }
    return new


def quiz():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Quiz — rubric: secret"),
        cell("from kinesis_lab import start_lab", "setup"),
        cell(
            "### BEGIN SOLUTION\n# CANARY-SOLUTION-q_a\nanswer = 3\n### END SOLUTION",
            "q_a_answer",
            solution=True,
        ),
        cell(
            "from kinesis_lab.quiz.check import expect\n"
            "### BEGIN HIDDEN TESTS\n# CANARY-HIDDEN-q_a\n"
            "expect('q_a', answer, equals=3)\n### END HIDDEN TESTS",
            "q_a",
            grade=True,
            points=2,
        ),
        cell(
            "### BEGIN SOLUTION\nf = lambda x: x * 2\n### END SOLUTION", "q_b_answer", solution=True
        ),
        cell(
            "from kinesis_lab.quiz.check import expect\n"
            "### BEGIN HIDDEN TESTS\n# CANARY-HIDDEN-q_b\n"
            "expect('q_b:one', f(1), equals=2)\nexpect('q_b:ten', f(10), close_to=20.0, tol=0.5)\n"
            "### END HIDDEN TESTS",
            "q_b",
            grade=True,
            points=3,
        ),
    ]
    return nb


def submission(answers):
    nb = nbformat.v4.new_notebook()
    nb.cells = [cell(src, gid, solution=True) for gid, src in answers.items()]
    return nb


def report(check_id, value):
    record = {
        "v": 1,
        "check": check_id,
        "kind": "answer",
        "value": value,
        "error": None,
        "passed": None,
    }
    return {
        "output_type": "stream",
        "name": "stdout",
        "text": STDOUT_PREFIX + canonical(record) + "\n",
    }


def test_expected_values_and_comments_never_reach_the_kernel():
    rebuilt = rebuild(quiz(), submission({"q_a_answer": "answer = 1", "q_b_answer": "f = abs"}))
    executed_code = json.dumps([c.source for c in rebuilt.notebook.cells])
    assert "equals" not in executed_code and "close_to" not in executed_code
    assert "CANARY" not in executed_code and "HIDDEN" not in executed_code
    assert "rubric" not in executed_code  # markdown stays outside the sandbox
    assert [(e.check_id, e.mode, e.expected, e.tol) for e in rebuilt.expectations] == [
        ("q_a", "equals", 3, None),
        ("q_b:one", "equals", 2, None),
        ("q_b:ten", "close_to", 20.0, 0.5),
    ]


def test_only_answer_cells_come_from_the_student():
    hostile = submission({"q_a_answer": "answer = 3", "q_b_answer": "f = lambda x: 2 * x"})
    hostile.cells.insert(0, cell("import os; os.remove('tests')", "q_a"))  # a forged test cell
    hostile.cells.append(cell("expect = lambda *a, **k: None"))  # an added cell
    hostile.metadata["kernelspec"] = {"name": "evil"}
    rebuilt = rebuild(quiz(), hostile)
    roles = [c.metadata["kgrader"]["role"] for c in rebuilt.notebook.cells]
    assert roles == ["setup", ROLE_ANSWER, ROLE_TEST, ROLE_ANSWER, ROLE_TEST]
    assert "os.remove" not in str(rebuilt.notebook) and "lambda *a" not in str(rebuilt.notebook)
    assert rebuilt.notebook.metadata["kernelspec"]["name"] == "python3"


def test_a_missing_answer_gets_the_release_stub():
    rebuilt = rebuild(quiz(), submission({"q_a_answer": "answer = 3"}))
    assert rebuilt.answers_missing == ["q_b_answer"]
    assert "raise NotImplementedError()" in rebuilt.notebook.cells[3].source
    assert release_stub("x\n### BEGIN SOLUTION\ny\n### END SOLUTION\n") == (
        "x\n# YOUR CODE HERE\nraise NotImplementedError()\n"
    )


def test_the_stub_keeps_the_indentation_of_a_solution_inside_a_function():
    source = (
        'def f(x):\n    """Doc."""\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n'
    )
    stub = release_stub(source)
    compile(stub, "answer", "exec")  # still valid Python
    assert stub == (
        'def f(x):\n    """Doc."""\n    # YOUR CODE HERE\n    raise NotImplementedError()\n'
    )


def test_a_notebook_from_another_quiz_is_refused():
    with pytest.raises(WrongNotebook, match="another quiz"):
        rebuild(quiz(), submission({"other_quiz_answer": "x = 1"}))


def test_a_quiz_that_breaks_the_authoring_rules_is_refused_before_grading():
    hidden = "### BEGIN HIDDEN TESTS\n{}\n### END HIDDEN TESTS"
    with pytest.raises(AuthoringError, match="literal"):
        strip_expectations(hidden.format("expect('q', x, equals=compute())"), "q")
    with pytest.raises(AuthoringError, match="outside the hidden region"):
        strip_expectations("expect('q', x, equals=3)\n" + hidden.format("expect('q:b', 1)"), "q")


def executed(rebuilt, outputs_by_index):
    nb = rebuilt.notebook
    for index, outputs in outputs_by_index.items():
        nb.cells[index].outputs = outputs
    return nb


def test_scores_are_decided_from_reported_plain_data():
    rebuilt = rebuild(quiz(), submission({"q_a_answer": "", "q_b_answer": ""}))
    nb = executed(
        rebuilt, {2: [report("q_a", 3)], 4: [report("q_b:one", 2), report("q_b:ten", 20.3)]}
    )
    verdicts = judge(rebuilt, nb, cells_run=[0, 1, 2, 3, 4], stop_reason="")
    assert [(v.grade_id, v.score, v.status) for v in verdicts] == [
        ("q_a", 2.0, PASSED),
        ("q_b", 3.0, PASSED),
    ]


def test_wrong_missing_duplicated_or_unrun_checks_score_zero():
    rebuilt = rebuild(quiz(), submission({"q_a_answer": "", "q_b_answer": ""}))
    error = {"output_type": "error", "ename": "NameError", "evalue": "f", "traceback": []}
    nb = executed(rebuilt, {2: [report("q_a", 3), report("q_a", 3)], 4: [error]})
    verdicts = judge(rebuilt, nb, cells_run=[0, 1, 2, 3, 4], stop_reason="")
    assert [(v.score, v.status) for v in verdicts] == [(0.0, TAMPERED), (0.0, NO_ANSWER)]
    assert "NameError" in verdicts[1].message
    wrong = executed(rebuilt, {2: [report("q_a", 4)], 4: []})
    assert judge(rebuilt, wrong, [0, 1, 2], "")[0].status == FAILED
    assert judge(rebuilt, wrong, [0, 1, 2], "timeout: a cell ran too long", 2)[0].status == NOT_RUN
    assert judge(rebuilt, wrong, [0, 1, 2], "timeout: a cell ran too long", 2)[1].status == NOT_RUN


def test_records_printed_before_an_error_do_not_count():
    # e.g. a learner's function, called by the check, prints a forged record and raises so
    # that the genuine one is never reported
    rebuilt = rebuild(quiz(), submission({"q_a_answer": "", "q_b_answer": ""}))
    error = {"output_type": "error", "ename": "ValueError", "evalue": "", "traceback": []}
    nb = executed(rebuilt, {2: [report("q_a", 3), error]})
    verdict = judge(rebuilt, nb, [0, 1, 2], "")[0]
    assert (verdict.score, verdict.status) == (0.0, NO_ANSWER)
    assert verdict.message == "your code raised ValueError before the check finished"


def test_a_value_printed_by_another_cell_does_not_count():
    rebuilt = rebuild(quiz(), submission({"q_a_answer": "", "q_b_answer": ""}))
    nb = executed(rebuilt, {1: [report("q_a", 3)], 2: []})  # printed by the answer cell
    assert judge(rebuilt, nb, [0, 1, 2, 3, 4], "")[0].status == NO_ANSWER


def test_messages_never_contain_expected_values():
    rebuilt = rebuild(quiz(), submission({"q_a_answer": "", "q_b_answer": ""}))
    nb = executed(rebuilt, {2: [report("q_a", 4)], 4: [report("q_b:one", 5), report("q_b:ten", 1)]})
    for verdict in judge(rebuilt, nb, [0, 1, 2, 3, 4], ""):
        assert "3" not in verdict.message and "20" not in verdict.message
