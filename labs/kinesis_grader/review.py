"""Answers a person must look at before their autograded score counts.

Why: the trusted grader decides each check from plain data, but that data comes from a process
the learner's answers ran in. Every way for an answer to make a check report what it likes
(patching the checks, reflection, code from strings, rebinding what the checks read) is
visible in its source, so the grader reads the answers here — outside the kernel, before
believing any check — with :mod:`kinesis_grader.answer_rules`. A submission with rule breaks is
still run (its would-be score is kept for the instructor), but its autograded items are held
at 0 until the instructor has looked.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kinesis_grader.answer_rules import RULES_FOR_LEARNERS, protected_names, rule_breaks

from .rebuild import ROLE_ANSWER, ROLE_TEST, Rebuilt
from .verdicts import Verdict

HELD = "held_for_review"


def _role(cell: Any) -> str:
    return cell.get("metadata", {}).get("kgrader", {}).get("role", "")


def answer_rule_breaks(source: Any, rebuilt: Rebuilt) -> list[str]:
    """``"<answer cell> line N: what"`` for each rule the student's answers break."""
    solutions = [
        cell.source
        for cell in source.cells
        if cell.cell_type == "code" and cell.get("metadata", {}).get("nbgrader", {}).get("solution")
    ]
    checks = [cell.source for cell in rebuilt.notebook.cells if _role(cell) == ROLE_TEST]
    protected = protected_names(solutions, checks)
    found = []
    for cell in rebuilt.notebook.cells:
        if _role(cell) == ROLE_ANSWER:
            grade_id = cell.metadata["kgrader"]["grade_id"]
            found += [f"{grade_id} {each}" for each in rule_breaks(cell.source, protected)]
    return found


def hold_for_review(verdicts: list[Verdict], breaks: list[str]) -> tuple[list[Verdict], float]:
    """Every autograded item at 0 with a learner-facing reason; and the score they would have."""
    would_have = sum(verdict.score for verdict in verdicts)
    message = "held at 0 for your instructor's review (the answer rules, above)"
    held = [replace(verdict, score=0.0, status=HELD, message=message) for verdict in verdicts]
    return held, would_have


def held_note(breaks: list[str]) -> str:
    """What the learner's feedback says once, above the items."""
    return (
        "Your answers break the answer rules ("
        + "; ".join(breaks)
        + "), so every autograded item is held at 0 until your instructor has reviewed them. "
        + RULES_FOR_LEARNERS
    )
