"""Rebuild what is graded from the instructor's notebook, taking only answers from the student.

Why: a submission is a file the student controls — cells can be deleted, reordered, added,
edited; metadata and kernelspec changed. Grading that file lets the student change the tests.
Instead the grader runs the instructor's source notebook, with the student's answer cells
(matched by grade_id) put in, and hidden tests *stripped of their expected values*: each
``expect(check_id, value, equals=…)`` loses its expectation keywords, which stay in the
trusted grader (:class:`Expectation`). The kernel then only reports plain data; the decision
is made outside it (:mod:`kinesis_grader.verdicts`). Markdown never enters the sandbox.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import nbformat

from . import authoring
from .authoring import AuthoringError, cell_expectations

__all__ = ["AuthoringError", "Expectation", "Rebuilt", "WrongNotebook", "rebuild"]

ROLE_SETUP, ROLE_ANSWER, ROLE_TEST = "setup", "answer", "test"
SOLUTION_REGION = re.compile(r"[ \t]*### BEGIN SOLUTION.*?### END SOLUTION[ \t]*\n?", re.S)
STUB = "# YOUR CODE HERE\nraise NotImplementedError()\n"


class WrongNotebook(ValueError):
    """A submission that is not an attempt at this quiz."""


@dataclass(frozen=True)
class Expectation:
    cell_grade_id: str
    check_id: str
    mode: str
    expected: Any
    tol: float | None = None


@dataclass
class GradedCell:
    grade_id: str
    points: float
    index: int  # position in the rebuilt notebook


@dataclass
class Rebuilt:
    notebook: Any
    expectations: list[Expectation] = field(default_factory=list)
    test_cells: list[GradedCell] = field(default_factory=list)
    answers_found: list[str] = field(default_factory=list)
    answers_missing: list[str] = field(default_factory=list)


def _nbgrader(cell: Any) -> dict[str, Any]:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def strip_expectations(source: str, grade_id: str) -> tuple[str, list[Expectation]]:
    """A test cell's code without expected values (and without comments), plus what was cut.

    The cell is read with the authoring rules (:func:`.authoring.cell_expectations`): a quiz
    that breaks them is refused with the reason, before any submission runs."""
    found = [
        Expectation(grade_id, e.check_id, e.mode, e.expected, e.tol)
        for e in cell_expectations(source, grade_id)
    ]
    return authoring.strip_expectations(source) + "\n", found


def release_stub(source: str) -> str:
    """An answer cell as the learner received it: the solution region replaced by a stub,
    indented like the region (a solution inside a function keeps a valid function body)."""

    def stub(match: re.Match[str]) -> str:
        indent = re.match(r"[ \t]*", match.group(0)).group(0)
        return "".join(indent + line + "\n" for line in STUB.splitlines())

    return SOLUTION_REGION.sub(stub, source)


def _student_answers(student: Any) -> dict[str, str]:
    answers: dict[str, str] = {}
    for cell in student.get("cells", []):
        grade_id = _nbgrader(cell).get("grade_id")
        if isinstance(grade_id, str) and grade_id not in answers:
            source = cell.get("source", "")
            answers[grade_id] = "".join(source) if isinstance(source, list) else str(source)
    return answers


def rebuild(source: Any, student: Any) -> Rebuilt:
    """The notebook to execute: instructor's setup and tests, the student's answers only."""
    answers = _student_answers(student)
    answer_ids = [
        _nbgrader(c)["grade_id"]
        for c in source.cells
        if _nbgrader(c).get("solution") and c.cell_type == "code"
    ]
    if answer_ids and not set(answer_ids) & set(answers):
        raise WrongNotebook(
            "none of this quiz's answer cells are in the submission "
            "(a notebook from another quiz, or an empty one)"
        )
    out = nbformat.v4.new_notebook()
    out.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    result = Rebuilt(notebook=out)
    for cell in source.cells:
        if cell.cell_type != "code":
            continue
        meta = _nbgrader(cell)
        grade_id = meta.get("grade_id", "")
        if meta.get("solution"):
            role = ROLE_ANSWER
            if grade_id in answers:
                code = answers[grade_id]
                result.answers_found.append(grade_id)
            else:
                code = release_stub(cell.source)
                result.answers_missing.append(grade_id)
        elif meta.get("grade"):
            role = ROLE_TEST
            code, found = strip_expectations(cell.source, grade_id)
            result.expectations += found
            result.test_cells.append(
                GradedCell(grade_id, float(meta.get("points", 0)), len(out.cells))
            )
        else:
            role, code = ROLE_SETUP, cell.source
        new = nbformat.v4.new_code_cell(code)
        new.metadata = {"kgrader": {"grade_id": grade_id, "role": role}}
        out.cells.append(new)
    return result
