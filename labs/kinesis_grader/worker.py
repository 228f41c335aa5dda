"""The grading worker: a separate process that autogrades one student at a time with nbgrader.

Why a process of its own: nbgrader is imported once for the whole batch (about 3 s saved per
student over one `nbgrader autograde` command each), while the batch command stays outside it
and can kill it — with the kernels it started — when a submission hangs past the per-student
limit, then carry on with a fresh worker. The worker's output (nbgrader's log, kernel warnings)
goes to a log file, not to the instructor's terminal.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import nbformat

from kinesis_lab.quiz.check import LOG_ENV

from .course import Course, leaks_in
from .feedback import feedback_text

GRADED = "graded"
NEEDS_MANUAL = "needs_manual_grading"
NOT_GRADED = "not_graded"


def describe_failure(error: str, cell_timeout: int) -> str:
    """One line saying why nbgrader could not grade a submission, from its traceback."""
    error = strip_ansi(error)
    if "CellTimeoutError" in error or "Timeout waiting for" in error:
        return (
            f"timeout: a cell was still running after the {cell_timeout} s limit and did not "
            "stop when interrupted (e.g. a loop that catches KeyboardInterrupt)"
        )
    if "DeadKernelError" in error or "Kernel died" in error or "kernel died" in error:
        return "kernel_died: the notebook's kernel stopped (e.g. os._exit or out of memory)"
    lines = [line.strip() for line in error.strip().splitlines() if line.strip()]
    causes = [line for line in lines if re.match(r"^[\w.]+(Error|Exception): ", line)]
    useful = [line for line in causes if "NbGraderException" not in line] or causes or lines[-1:]
    return f"nbgrader_error: {useful[0][:200] if useful else 'unknown'} (see the student's log)"


def timed_out_cells(notebook_path: Path) -> list[str]:
    """Graded cells of an autograded notebook that hit the per-cell time limit."""
    try:
        notebook = nbformat.read(notebook_path, as_version=4)
    except Exception:
        return []
    names = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and output.get("ename") == "CellTimeoutError":
                meta = cell.get("metadata", {}).get("nbgrader", {})
                names.append(meta.get("grade_id") or f"cell {index + 1}")
                break
    return names


def grade_one(api: Any, course: Course, quiz: str, student: str, cell_timeout: int) -> dict:
    """Autograde and generate feedback for one student; never raises."""
    started = time.monotonic()
    logs = course.grading_folder(quiz) / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    checks = course.grading_folder(quiz) / "checks" / f"{student}.jsonl"
    checks.parent.mkdir(parents=True, exist_ok=True)
    checks.unlink(missing_ok=True)
    os.environ[LOG_ENV] = str(checks)  # the kernel inherits it: quizcheck records go here
    result: dict[str, Any] = {"student": student, "notes": []}
    log_text = ""
    try:
        outcome = api.autograde(quiz, student, force=True, create=True)
        result["autograde_seconds"] = round(time.monotonic() - started, 2)
        log_text = outcome.get("log", "") + outcome.get("error", "")
        if not outcome["success"]:
            result.update(status=NOT_GRADED, reason=describe_failure(log_text, cell_timeout))
            forget_submission(course, quiz, student)
        else:
            result.update(read_scores(course, quiz, student))
            late = timed_out_cells(course.autograded_notebook(student, quiz))
            if late:
                result["notes"].append(
                    f"{', '.join(late)}: hit the {cell_timeout} s cell limit (scored 0)"
                )
            feedback_started = time.monotonic()
            feedback = api.generate_feedback(quiz, student, force=True)
            result["feedback_seconds"] = round(time.monotonic() - feedback_started, 2)
            log_text += feedback.get("log", "") + feedback.get("error", "")
            result["notes"] += check_feedback(course, quiz, student, feedback["success"])
    except Exception:  # one student's problem must never end the batch
        error = traceback.format_exc()
        log_text += error
        result.update(status=NOT_GRADED, reason=describe_failure(error, cell_timeout))
    finally:
        os.environ.pop(LOG_ENV, None)
    (logs / f"{student}.log").write_text(log_text, encoding="utf-8")
    result["seconds"] = round(time.monotonic() - started, 2)
    return result


def read_scores(course: Course, quiz: str, student: str) -> dict[str, Any]:
    with course.gradebook() as gradebook:
        submission = gradebook.find_submission(quiz, student)
        needs_manual = bool(submission.needs_manual_grade)
        return {
            "status": NEEDS_MANUAL if needs_manual else GRADED,
            "reason": "",
            "score": float(submission.score),
            "max_score": float(submission.max_score),
            "autograded": float(submission.code_score),
            "autograded_max": float(submission.max_code_score),
        }


def check_feedback(course: Course, quiz: str, student: str, generated: bool) -> list[str]:
    """Withhold (delete) a feedback file that shows hidden text; say what happened."""
    path = course.feedback_file(student, quiz)
    if not generated or not path.exists():
        return ["feedback could not be generated (see the student's log)"]
    leaks = leaks_in(feedback_text(path))
    if leaks:
        path.unlink()
        return [f"feedback withheld: it contained {', '.join(leaks)}"]
    return []


def forget_submission(course: Course, quiz: str, student: str) -> None:
    """Drop a half-made gradebook entry (no fake zero) and the partial autograded folder."""
    try:
        with course.gradebook() as gradebook:
            gradebook.remove_submission(quiz, student)
    except Exception:
        pass  # nothing was recorded
    shutil.rmtree(course.autograded_notebook(student, quiz).parent, ignore_errors=True)
    shutil.rmtree(course.feedback_file(student, quiz).parent, ignore_errors=True)


def serve(connection: Any, course_root: str, quiz: str, cell_timeout: int, log_path: str) -> None:
    """Worker entry point: grade each student id received; send back one result each."""
    log = open(log_path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 (lives as long as the worker)
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    sys.stdout = sys.stderr = log
    course = Course.at(course_root)
    os.chdir(course.root)
    api = course.api(cell_timeout=cell_timeout)
    connection.send({"ready": True})
    while True:
        student = connection.recv()
        if student is None:
            break
        connection.send(grade_one(api, course, quiz, student, cell_timeout))
    connection.close()


def strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)
