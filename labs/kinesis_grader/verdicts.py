"""Decide each autograded item in the trusted grader, from plain data the kernel reported.

Why here and not in the kernel: code in the kernel can lie — an object whose ``==`` is always
true, a patched ``expect``, a cell that blanks the tests after it. Here the grader reads the
JSON lines each test cell printed (only from that cell's own output, and only if the cell
finished without an error: records printed just before a raise prove nothing), checks that
every expectation it holds was reported exactly once, and compares with :func:`quizcheck.decide`
on plain data. An item scores its points only if all its checks pass.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kinesis_lab.quiz.check import STDOUT_PREFIX, decide

from .rebuild import Expectation, Rebuilt

PASSED, FAILED, NO_ANSWER, NOT_RUN, TAMPERED = (
    "passed",
    "failed",
    "no_answer",
    "not_run",
    "tampered",
)


@dataclass(frozen=True)
class Verdict:
    grade_id: str
    points: float
    score: float
    status: str
    message: str  # learner-facing: never an expected value, hidden input or traceback


def reported_values(cell: Any) -> list[dict[str, Any]]:
    """The check records a cell printed on stdout, in order."""
    found = []
    for output in cell.get("outputs", []):
        if output.get("output_type") != "stream" or output.get("name") != "stdout":
            continue
        for line in output.get("text", "").splitlines():
            if line.startswith(STDOUT_PREFIX):
                try:
                    found.append(json.loads(line[len(STDOUT_PREFIX) :]))
                except json.JSONDecodeError:
                    found.append({"check": None})
    return found


def _raised(cell: Any) -> str | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return str(output.get("ename", "an error"))
    return None


def _check(expectation: Expectation, records: list[dict[str, Any]]) -> tuple[str, str]:
    answers = [
        r for r in records if r.get("check") == expectation.check_id and r.get("kind") == "answer"
    ]
    if not answers:
        return NO_ANSWER, "no answer reached the check"
    if len(answers) > 1:
        return TAMPERED, "the check was reported more than once"
    record = answers[0]
    if record.get("error"):
        return FAILED, "the answer is not plain data (a number, text, list or dict)"
    tol = expectation.tol if expectation.tol is not None else 1e-6
    if decide(expectation.mode, record.get("value"), expectation.expected, tol):
        return PASSED, "correct"
    return FAILED, "not the expected answer"


def judge(
    rebuilt: Rebuilt,
    executed: Any,
    cells_run: list[int],
    stop_reason: str,
    stopped_at: int | None = None,
) -> list[Verdict]:
    """One verdict per autograded item of the quiz (``stopped_at``: the cell the watchdog
    cut short, which counts as not run)."""
    verdicts = []
    for test in rebuilt.test_cells:
        mine = [e for e in rebuilt.expectations if e.cell_grade_id == test.grade_id]
        if test.index not in cells_run or test.index == stopped_at:
            why = stop_reason or "the notebook stopped before this check"
            verdicts.append(Verdict(test.grade_id, test.points, 0.0, NOT_RUN, f"not run: {why}"))
            continue
        cell = executed.cells[test.index]
        raised = _raised(cell)
        if raised:  # a check cell must finish: records printed before an error prove nothing
            message = f"your code raised {raised} before the check finished"
            verdicts.append(Verdict(test.grade_id, test.points, 0.0, NO_ANSWER, message))
            continue
        records = reported_values(cell)
        outcomes = [_check(e, records) for e in mine]
        if mine and all(status == PASSED for status, _ in outcomes):
            verdicts.append(Verdict(test.grade_id, test.points, test.points, PASSED, "correct"))
            continue
        status, message = next(((s, m) for s, m in outcomes if s != PASSED), (FAILED, ""))
        if not mine:
            status, message = FAILED, "this item has no automatic check"
        verdicts.append(Verdict(test.grade_id, test.points, 0.0, status, message))
    return verdicts
