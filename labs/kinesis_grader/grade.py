"""`make grade`: a bulk download of submissions → grades, feedback, a CSV and a summary.

Steps: read the download (folder or zip; see :mod:`.ingest`) into submitted/<student>/<quiz>/,
add the students to the gradebook, autograde one student at a time in a worker process (with a
progress line), generate each student's feedback, export the grades to CSV, print a summary.

One bad submission never stops the batch and never costs another student their grade: a file
that is not a notebook is reported before grading; a submission nbgrader cannot grade is
recorded with its reason; a worker stuck past the per-student limit is killed with its kernels
and replaced, and the batch goes on.
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .authoring import nbgrader_meta
from .course import Course, CourseError
from .export import export_csv, save_status
from .ingest import Intake, Submission, find_submissions, place
from .worker import GRADED, NEEDS_MANUAL, NOT_GRADED, forget_submission, serve

DEFAULT_STUDENT_TIMEOUT = 600  # seconds for one whole submission (its cells have their own limit)
WORKER_START_TIMEOUT = 120

Printer = Callable[[str], None]


@dataclass
class Batch:
    quiz: str
    results: dict[str, dict[str, Any]]
    skipped: list[str]
    csv: Path
    seconds: float
    notes: list[str] = field(default_factory=list)

    def students(self, status: str) -> list[str]:
        return sorted(s for s, r in self.results.items() if r["status"] == status)


def clock(seconds: float) -> str:
    """0:07, 12:30, 1:02:03."""
    seconds = int(round(seconds))
    hours, minutes = divmod(seconds // 60, 60)
    return f"{hours}:{minutes:02d}:{seconds % 60:02d}" if hours else f"{minutes}:{seconds % 60:02d}"


class Worker:
    """One grading worker process (see :mod:`.worker`), killable with its kernels."""

    def __init__(self, course: Course, quiz: str, cell_timeout: int, log_path: Path) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.process = context.Process(
            target=serve,
            args=(child, str(course.root), quiz, cell_timeout, str(log_path)),
            name=f"kinesis-grader-{quiz}",
        )
        self.started: dict[int, float] = {}  # pid → start time of every process it started
        self.died = False  # set when the worker's pipe closed or the process ended
        self.process.start()
        child.close()
        if self._receive(WORKER_START_TIMEOUT) is None:
            self.kill()
            raise CourseError(f"the grading worker did not start (see above, or {log_path})")

    def _receive(self, timeout: float) -> dict[str, Any] | None:
        """The worker's next message, waiting up to ``timeout`` s; remembers the processes it
        starts meanwhile, so they can be stopped even if the worker itself dies."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                self._remember_children()
                if self.connection.poll(max(0.0, min(1.0, deadline - time.monotonic()))):
                    return self.connection.recv()
                if not self.process.is_alive():
                    self.died = True
                    return None
                if time.monotonic() >= deadline:
                    return None
        except (EOFError, OSError):  # the pipe closed: the worker is gone (maybe not reaped yet)
            self.died = True
            return None

    def _remember_children(self) -> None:
        try:
            import psutil

            for child in psutil.Process(self.process.pid).children(recursive=True):
                self.started[child.pid] = child.create_time()
        except Exception:  # psutil missing, or the worker is already gone
            pass

    def grade(self, student: str, timeout: float) -> dict[str, Any] | None:
        """The worker's result for ``student``, or None if it hung or died."""
        try:
            self.connection.send(student)
        except OSError:
            return None
        return self._receive(timeout)

    def kill(self) -> None:
        """Stop the worker and every process it started (kernels run in their own sessions)."""
        self._remember_children()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(10)
        try:
            import psutil
        except ImportError:
            return
        for pid, created in self.started.items():
            try:
                child = psutil.Process(pid)
                if child.create_time() == created:  # not a new process that reused the pid
                    child.kill()
            except Exception:  # already gone
                pass

    def close(self) -> None:
        try:
            self.connection.send(None)
        except OSError:
            pass
        self.process.join(30)
        if self.process.is_alive():
            self.kill()


def ensure_released(course: Course, quiz: str, say: Printer) -> None:
    """The gradebook needs the quiz (its tests and points): generate it if it was never released."""
    release = course.release_notebook(quiz)
    in_gradebook = False
    if (course.root / "gradebook.db").exists():
        from nbgrader.api import MissingEntry

        with course.gradebook() as gradebook:
            try:
                gradebook.find_assignment(quiz)
                in_gradebook = True
            except MissingEntry:
                pass
    if not release.exists() or not in_gradebook:
        say(f"{quiz} has not been released here yet: generating it first (make release).")
        outcome = course.api().generate_assignment(quiz, force=True)
        if not outcome["success"]:
            raise CourseError(f"could not generate {quiz}:\n{outcome.get('error', '')}")
    elif course.source_notebook(quiz).stat().st_mtime > release.stat().st_mtime:
        say(
            f"Note: source/{quiz} changed after its release; grading uses the tests of the "
            "release (run `make release` first to grade with the new ones)."
        )


def quiz_cell_ids(course: Course, quiz: str) -> set[str]:
    notebook = json.loads(course.source_notebook(quiz).read_text(encoding="utf-8"))
    return {nbgrader_meta(cell).get("grade_id") for cell in notebook["cells"]} - {None}


def other_quiz_problem(path: Path, quiz: str, quiz_ids: set[str]) -> str | None:
    """Why a notebook is not this quiz's: none of its graded or read-only cells are there.

    (nbgrader cannot grade such a notebook: it puts missing test cells back after the cells
    around them, and there are none.)"""
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return None
    ids = {nbgrader_meta(cell).get("grade_id") for cell in cells if isinstance(cell, dict)}
    if quiz_ids and not ids & quiz_ids:
        return (
            f"none of {quiz}'s cells are in this notebook (another quiz's notebook, or the "
            "answers were copied into a new notebook)"
        )
    return None


def intake_to_submitted(
    course: Course, quiz: str, intake: Intake, collected: bool = False
) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """Place gradable submissions into submitted/; return them and the ungradable results.

    A student whose new file cannot be graded loses an earlier batch's grade for this quiz:
    the download is the record of what they handed in."""
    quiz_ids = quiz_cell_ids(course, quiz)
    gradable: list[str] = []
    results: dict[str, dict[str, Any]] = {}
    for submission in intake.submissions:
        if submission.problem is None and submission.notebook is not None:
            submission.problem = other_quiz_problem(submission.notebook, quiz, quiz_ids)
        if submission.problem is not None:
            results[submission.student_id] = not_graded(submission, submission.problem)
            forget_submission(course, quiz, submission.student_id)
            if not collected:  # a download replaces older files; keep what the exchange gave
                folder = course.submitted_folder(submission.student_id, quiz)
                shutil.rmtree(folder, ignore_errors=True)
            continue
        try:
            place(submission, course.submitted_folder(submission.student_id, quiz), quiz)
        except OSError as error:
            results[submission.student_id] = not_graded(submission, f"could not copy: {error}")
            continue
        gradable.append(submission.student_id)
        results[submission.student_id] = {"notes": list(submission.notes)}
    with course.gradebook() as gradebook:
        for student in results:
            gradebook.update_or_create_student(student)
    return gradable, results


def not_graded(submission: Submission, reason: str) -> dict[str, Any]:
    return {
        "student": submission.student_id,
        "status": NOT_GRADED,
        "reason": f"{submission.origin}: {reason}",
        "notes": list(submission.notes),
        "seconds": 0.0,
    }


def grade(
    course: Course,
    quiz: str,
    submissions: Path,
    *,
    cell_timeout: int | None = None,
    student_timeout: float = DEFAULT_STUDENT_TIMEOUT,
    say: Printer = print,
) -> Batch:
    """Grade every submission in ``submissions`` for ``quiz``; see the module docstring."""
    quiz = course.require_quiz(quiz)
    started = time.monotonic()
    cell_timeout = int(cell_timeout or course.config().Execute.timeout)
    ensure_released(course, quiz, say)
    with tempfile.TemporaryDirectory(prefix="kinesis-grade-") as workdir:
        collected = Path(submissions).resolve() == (course.root / "submitted").resolve()
        intake = find_submissions(Path(submissions), quiz, Path(workdir), collected=collected)
        gradable, results = intake_to_submitted(course, quiz, intake, collected)
    say(
        f"{quiz}: {len(intake.submissions)} submission(s) found in {submissions}; "
        f"grading {len(gradable)} one at a time (cell limit {cell_timeout} s, "
        f"submission limit {student_timeout:.0f} s)."
    )
    for line in intake.skipped:
        say(f"  skipped {line}")
    for student, result in results.items():
        if result.get("status") == NOT_GRADED:
            say(f"  cannot grade {student}: {result['reason']}")

    folder = course.grading_folder(quiz)
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / "worker.log"
    worker: Worker | None = None
    durations: list[float] = []
    grading_started = time.monotonic()
    try:
        for number, student in enumerate(gradable, start=1):
            if worker is None:
                worker = Worker(course, quiz, cell_timeout, log_path)
            outcome = worker.grade(student, student_timeout)
            if outcome is None:  # hung past the limit, or the worker died: replace it
                alive = not worker.died
                worker.kill()
                worker = None
                forget_submission(course, quiz, student)
                reason = (
                    f"timeout: still running after the {student_timeout:.0f} s submission limit"
                    if alive
                    else "worker_died: the grading process stopped while grading this notebook"
                )
                outcome = {"student": student, "status": NOT_GRADED, "reason": reason, "notes": []}
                outcome["seconds"] = student_timeout if alive else 0.0
            outcome["notes"] = results[student]["notes"] + outcome.get("notes", [])
            results[student] = outcome
            durations.append(outcome.get("seconds", 0.0))
            elapsed = time.monotonic() - grading_started
            remaining = elapsed / number * (len(gradable) - number)
            say(
                f"student {number} of {len(gradable)} · {student} · {describe(outcome)} · "
                f"{outcome.get('seconds', 0.0):.1f} s · elapsed {clock(elapsed)} · "
                f"remaining ~{clock(remaining)}"
            )
    except BaseException:  # e.g. Ctrl-C: stop the worker and its kernels, keep nothing running
        if worker is not None:
            worker.kill()
            worker = None
        raise
    finally:
        if worker is not None:
            worker.close()
    save_status(course, quiz, results)
    csv_path = export_csv(course, quiz)
    batch = Batch(quiz, results, intake.skipped, csv_path, time.monotonic() - started)
    for line in summary(batch, course, durations):
        say(line)
    return batch


def describe(outcome: dict[str, Any]) -> str:
    status = outcome["status"]
    if status == NOT_GRADED:
        return f"could not be graded ({outcome['reason']})"
    scored = f"autograded {outcome['autograded']:g}/{outcome['autograded_max']:g}"
    if status == NEEDS_MANUAL:
        return scored + ", needs manual grading"
    return scored + ", graded"


def summary(batch: Batch, course: Course, durations: list[float]) -> list[str]:
    quiz = batch.quiz
    graded = batch.students(GRADED)
    manual = batch.students(NEEDS_MANUAL)
    failed = batch.students(NOT_GRADED)
    lines = ["", f"Summary — {quiz}: {len(batch.results)} submission(s)"]
    scores = [batch.results[s]["autograded"] for s in graded + manual]
    if scores:
        top = batch.results[(graded + manual)[0]]["autograded_max"]
        lines.append(
            f"  autograded scores: min {min(scores):g}, median {statistics.median(scores):g}, "
            f"max {max(scores):g} of {top:g}"
        )
    lines.append(f"  graded: {len(graded)}")
    lines.append(f"  needs manual grading: {len(manual)}")
    if manual:
        lines.append(
            "    grade the design answers in the formgrader (make lab → Nbgrader → Formgrader →"
            f" Manual Grading), then: make feedback QUIZ={quiz}"
        )
    lines.append(f"  could not be graded: {len(failed)}")
    lines += [f"    {student}: {batch.results[student]['reason']}" for student in failed]
    if batch.skipped:
        lines.append(f"  not a submission (rename and grade again): {len(batch.skipped)}")
        lines += [f"    {line}" for line in batch.skipped]
    noted = [s for s in sorted(batch.results) if batch.results[s].get("notes")]
    if noted:
        lines.append("  notes:")
        lines += [f"    {s}: {'; '.join(batch.results[s]['notes'])}" for s in noted]
    if durations:
        lines.append(
            f"  time: {statistics.mean(durations):.1f} s per submission, "
            f"{clock(batch.seconds)} in total"
        )
    lines.append(f"Grades (CSV): {batch.csv}")
    if graded or manual:
        lines.append(
            f"Feedback: {course.root / 'feedback'}/<student>/{quiz}/{quiz}.html "
            "(hand back with `nbgrader release_feedback` or your platform)"
        )
    return lines
