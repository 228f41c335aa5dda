"""Grades to CSV: nbgrader's export columns, then what the batch learned about each student.

nbgrader's own CSV export (``nbgrader export``) writes a zero for a student whose submission
could not be graded, which a learning platform would take as a real grade. This export keeps
nbgrader's columns and values for everything that was graded, leaves the score columns empty
for a submission that could not be graded, and adds ``needs_manual_grade``, ``status`` and
``reason`` columns. Values are quoted properly (nbgrader's plugin does not quote commas).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from .course import Course

NBGRADER_COLUMNS = (
    "assignment",
    "duedate",
    "timestamp",
    "student_id",
    "last_name",
    "first_name",
    "email",
    "raw_score",
    "late_submission_penalty",
    "score",
    "max_score",
)
EXTRA_COLUMNS = ("needs_manual_grade", "status", "reason")
NO_SUBMISSION = "no_submission"


def status_file(course: Course, quiz: str) -> Path:
    return course.grading_folder(quiz) / "status.json"


def load_status(course: Course, quiz: str) -> dict[str, dict[str, Any]]:
    path = status_file(course, quiz)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def save_status(course: Course, quiz: str, results: dict[str, dict[str, Any]]) -> None:
    """Merge this batch's per-student outcome into the quiz's status file (atomically)."""
    merged = {**load_status(course, quiz), **results}
    path = status_file(course, quiz)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(merged, indent=1, sort_keys=True), encoding="utf-8")
    temporary.replace(path)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def grade_rows(course: Course, quiz: str) -> list[dict[str, str]]:
    """One row per student in the gradebook for ``quiz``."""
    from nbgrader.api import MissingEntry

    statuses = load_status(course, quiz)
    rows = []
    with course.gradebook() as gradebook:
        assignment = gradebook.find_assignment(quiz)
        for student in sorted(gradebook.students, key=lambda s: s.id):
            known = statuses.get(student.id, {})
            row = {
                "assignment": quiz,
                "duedate": _text(assignment.duedate),
                "student_id": student.id,
                "last_name": _text(student.last_name),
                "first_name": _text(student.first_name),
                "email": _text(student.email),
                "max_score": _text(assignment.max_score),
            }
            try:
                submission = gradebook.find_submission(quiz, student.id)
            except MissingEntry:
                not_graded = known.get("status") == "not_graded"
                zero = "" if not_graded else "0.0"
                row.update(
                    timestamp="",
                    raw_score=zero,
                    late_submission_penalty=zero,
                    score=zero,
                    needs_manual_grade="",
                    status="not_graded" if not_graded else NO_SUBMISSION,
                    reason=known.get("reason", "") if not_graded else "",
                )
            else:
                penalty = submission.late_submission_penalty or 0.0
                needs_manual = bool(submission.needs_manual_grade)
                row.update(
                    timestamp=_text(submission.timestamp),
                    raw_score=_text(submission.score),
                    late_submission_penalty=_text(penalty),
                    score=_text(max(0.0, submission.score - penalty)),
                    needs_manual_grade=str(needs_manual).lower(),
                    status="needs_manual_grading" if needs_manual else "graded",
                    reason="; ".join(known.get("notes", [])),
                )
            rows.append(row)
    return rows


def export_csv(course: Course, quiz: str, path: Path | None = None) -> Path:
    """Write the quiz's grades to ``path`` (default: quizzes/exports/<quiz>_grades.csv)."""
    path = path or course.export_file(quiz)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*NBGRADER_COLUMNS, *EXTRA_COLUMNS])
        writer.writeheader()
        writer.writerows(grade_rows(course, quiz))
    return path
