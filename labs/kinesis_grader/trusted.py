"""Grade a batch through the trusted path: sandboxed kernels, decisions outside them.

Why this is the default for `make grade`: stock nbgrader runs untrusted code as the
instructor and believes what the student's kernel says. Here each submission is rebuilt from
the instructor's notebook (:mod:`.rebuild`), run in a jail with a watchdog (:mod:`.sandbox`,
:mod:`.executor`), and scored by the grader from plain data (:mod:`.verdicts`). The batch:

- refuses to start if another grading command holds the course's lock, or if the sandbox's
  self-test fails (unless the instructor passes the loudly named unsafe flag);
- writes each student's result atomically (temp file + rename) as soon as it is known, so an
  interrupted batch resumes without regrading finished students (same submission, same
  source → same stored result), and a re-run gives the same scores;
- never lets one submission stop the batch or touch another student's grade.
Scores go into nbgrader's gradebook (so `make export` and the formgrader see them), feedback
is built from the verdicts only.
"""

from __future__ import annotations

import fcntl
import hashlib
import html
import json
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import nbformat

from .course import Course
from .executor import OK, RunLimits, run_notebook
from .observer import account_plan, observes_account
from .rebuild import AuthoringError, WrongNotebook, rebuild
from .review import answer_rule_breaks, held_note, hold_for_review
from .sandbox import SandboxUnavailable, self_test
from .verdicts import judge

GRADED, NEEDS_MANUAL, NOT_GRADED = "graded", "needs_manual_grading", "not_graded"
INVALID, WRONG_QUIZ, GRADER_ERROR = "invalid_submission", "wrong_notebook", "grader_error"
RESULT_VERSION = 2  # 2: answers are read against the answer rules
ACCOUNT_PROCESS_MODE = b"account-process"  # part of a result's digest in that mode

# SQLAlchemy 2.1 warns inside nbgrader's gradebook code; the grades are stored all the same.
warnings.filterwarnings("ignore", message=".*not in session.*")
Printer = Callable[[str], None]


class GradingInProgress(RuntimeError):
    """Another grading command holds the lock: one writer at a time."""


class GradingLock:
    """An exclusive, non-blocking lock file for the course's gradebook."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: Any = None

    def __enter__(self) -> GradingLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = open(self.path, "a+")  # noqa: SIM115 (released in __exit__)
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.handle.seek(0)
            holder = self.handle.read().strip() or "another process"
            self.handle.close()
            raise GradingInProgress(
                f"Another grading command is running ({holder}); wait for it to finish. "
                "Only one grading command may write the gradebook at a time."
            ) from None
        self.handle.seek(0)
        self.handle.truncate()
        self.handle.write(f"pid {os.getpid()}")
        self.handle.flush()
        return self

    def __exit__(self, *_: Any) -> None:
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, encoding="utf-8") as tmp:
        tmp.write(text)
        tmp.flush()
        os.fsync(tmp.fileno())
    os.replace(tmp.name, path)


def _digest(*parts: bytes) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(hashlib.sha256(part).digest())
    return hasher.hexdigest()


def grade_one(
    source: Any,
    student_path: Path,
    scratch: Path,
    limits: RunLimits,
    sandboxed: bool,
    account_process: bool = False,
) -> dict[str, Any]:
    """One submission → a result dict (status, reason, verdicts); never raises for bad input.

    ``account_process``: the mocked account in its own process, the quiz's pure observations
    of it in an observer kernel (:mod:`.observer`)."""
    try:
        student = nbformat.read(student_path, as_version=4)
        rebuilt = rebuild(source, student)
    except WrongNotebook as error:
        return {"status": WRONG_QUIZ, "reason": f"{WRONG_QUIZ}: {error}", "verdicts": []}
    except AuthoringError:
        raise
    except Exception as error:
        return {"status": INVALID, "reason": f"{INVALID}: {error}"[:300], "verdicts": []}
    breaks = answer_rule_breaks(source, rebuilt)  # read here, before any of it runs
    work = scratch / "work"
    shutil.copytree(student_path.parent, work, ignore=shutil.ignore_patterns("*.ipynb"))
    plan = account_plan(source, rebuilt) if account_process else None
    run = run_notebook(
        rebuilt.notebook,
        work,
        scratch / "run",
        limits,
        sandboxed=sandboxed,
        kernel_env={"KINESIS_QUIZCHECK_STDOUT": "1"},
        plan=plan,
    )
    stop = "" if run.status == OK else f"{run.status}: {run.reason}"
    verdicts = judge(rebuilt, run.notebook, run.cells_run, stop, run.stopped_at)
    result: dict[str, Any] = {"status": GRADED, "reason": stop}
    if breaks:
        verdicts, would_have = hold_for_review(verdicts, breaks)
        result.update(held_for_review=breaks, score_before_review=would_have)
    if plan is not None:
        result["observed_by_grader"] = [
            rebuilt.notebook.cells[index].metadata["kgrader"]["grade_id"] for index in plan.observed
        ]
    return {
        **result,
        "verdicts": [asdict(v) for v in verdicts],
        "answers_missing": rebuilt.answers_missing,
        "seconds": round(run.seconds, 2),
    }


def feedback_html(quiz: str, student: str, result: dict[str, Any]) -> str:
    """What the learner gets back: per item pass/fail and points, nothing from hidden tests."""
    rows = "".join(
        f"<tr><td>{html.escape(v['grade_id'])}</td><td>{'✓' if v['score'] else '✗'}</td>"
        f"<td>{v['score']:g} / {v['points']:g}</td><td>{html.escape(v['message'])}</td></tr>"
        for v in result.get("verdicts", [])
    )
    earned = sum(v["score"] for v in result.get("verdicts", []))
    possible = sum(v["points"] for v in result.get("verdicts", []))
    note = f"<p>{html.escape(result['reason'])}</p>" if result.get("reason") else ""
    if result.get("held_for_review"):
        note += f"<p><strong>{html.escape(held_note(result['held_for_review']))}</strong></p>"
    return (
        f"<!doctype html><meta charset='utf-8'><title>{html.escape(quiz)} feedback</title>"
        f"<h1>{html.escape(quiz)} — feedback for {html.escape(student)}</h1>{note}"
        f"<p>Autograded score: {earned:g} / {possible:g}. Items graded by hand are added by "
        "your instructor.</p><table><tr><th>item</th><th></th><th>points</th><th>why</th></tr>"
        f"{rows}</table>"
    )


def record_in_gradebook(course: Course, quiz: str, student: str, result: dict[str, Any]) -> None:
    """Put the autograded scores where nbgrader's export and formgrader read them."""
    with course.gradebook() as gradebook:
        gradebook.update_or_create_student(student)
        try:
            gradebook.remove_submission(quiz, student)
        except Exception:
            pass
        gradebook.add_submission(quiz, student)
        scores = {v["grade_id"]: v["score"] for v in result.get("verdicts", [])}
        submitted = gradebook.find_submission_notebook(quiz, quiz, student)
        for grade in submitted.grades:
            if grade.cell.name in scores:
                grade.auto_score = scores[grade.cell.name]
                grade.needs_manual_grade = False
            elif result["status"] != GRADED and grade.cell.cell_type == "code":
                grade.auto_score = 0.0  # a notebook from another quiz: its items score 0
                grade.needs_manual_grade = False
        gradebook.db.commit()


def _status_with_manual(course: Course, quiz: str, student: str, status: str) -> str:
    if status != GRADED:
        return status
    with course.gradebook() as gradebook:
        submission = gradebook.find_submission(quiz, student)
        return NEEDS_MANUAL if submission.needs_manual_grade else GRADED


def grade_batch(
    course: Course,
    quiz: str,
    submissions: list[Any],
    limits: RunLimits | None = None,
    allow_unsafe: bool = False,
    say: Printer = print,
    account_process: bool = False,
) -> dict[str, dict[str, Any]]:
    """Grade ``submissions`` (ingest.Submission objects) one at a time; return the results
    (``account_process``: see :func:`grade_one`)."""
    limits = limits or RunLimits()
    with GradingLock(course.root / "grading" / ".lock"):
        if allow_unsafe:
            say("WARNING: --unsafe-no-sandbox: student code runs UNJAILED, as you, with network.")
        else:
            report = self_test()
            if not report.isolated:
                raise SandboxUnavailable(
                    "The grading sandbox does not isolate on this machine: "
                    + "; ".join(report.problems)
                    + ". To fix it: run `make grade` as root, which installs what is missing "
                    "(bash tools/ensure_system_packages.sh grading: Debian's bubblewrap and "
                    "util-linux), or install them yourself (sudo apt-get install bubblewrap) "
                    "and grade as root; or pass the unsafe flag knowingly."
                )
        source_path = course.source_notebook(quiz)
        source = nbformat.read(source_path, as_version=4)
        source_bytes = source_path.read_bytes()
        if account_process:
            observed = [
                c.metadata["nbgrader"]["grade_id"] for c in source.cells if observes_account(c)
            ]
            say(
                "Account-process mode: each submission's mocked account runs in its own jailed "
                f"process; observed by the grader: {', '.join(observed) or 'no item of this quiz'}."
            )
        results: dict[str, dict[str, Any]] = {}
        started = time.monotonic()
        total = len(submissions)
        for number, submission in enumerate(submissions, 1):
            elapsed = time.monotonic() - started
            left = elapsed / (number - 1) * (total - number + 1) if number > 1 else 0
            result = _grade_student(
                course,
                quiz,
                source,
                source_bytes,
                submission,
                limits,
                not allow_unsafe,
                account_process,
            )
            results[submission.student_id] = result
            earned = sum(v["score"] for v in result.get("verdicts", []))
            held = " (held for review)" if result.get("held_for_review") else ""
            say(
                f"student {number} of {total} · {submission.student_id} · {result['status']} "
                f"{earned:g}{held} · elapsed {elapsed:.0f} s · about {left:.0f} s left"
            )
        return results


def _grade_student(
    course: Course,
    quiz: str,
    source: Any,
    source_bytes: bytes,
    submission: Any,
    limits: RunLimits,
    sandboxed: bool,
    account_process: bool = False,
) -> dict[str, Any]:
    student = submission.student_id
    result_path = course.root / "grading" / quiz / "results" / f"{student}.json"
    if submission.problem or submission.notebook is None:
        result = {"status": INVALID, "reason": f"{INVALID}: {submission.problem}", "verdicts": []}
        write_atomically(result_path, json.dumps(result, indent=1))
        return result
    # A result from the other mode is not reused (the default mode's digest is unchanged).
    mode = [ACCOUNT_PROCESS_MODE] if account_process else []
    digest = _digest(source_bytes, Path(submission.notebook).read_bytes(), *mode)
    if result_path.exists():
        stored = json.loads(result_path.read_text(encoding="utf-8"))
        if stored.get("digest") == digest and stored.get("version") == RESULT_VERSION:
            return {**stored, "resumed": True}
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"kgrader-{quiz}-") as scratch:
        try:
            result = grade_one(
                source, Path(submission.notebook), Path(scratch), limits, sandboxed, account_process
            )
        except AuthoringError:
            raise
        except Exception as error:  # the grader's own failure must not stop the batch
            result = {
                "status": GRADER_ERROR,
                "reason": f"{GRADER_ERROR}: {error}"[:300],
                "verdicts": [],
            }
    result.update(digest=digest, version=RESULT_VERSION)
    result["wall_seconds"] = round(time.monotonic() - began, 2)
    if result["status"] == WRONG_QUIZ:
        record_in_gradebook(course, quiz, student, result)  # every item scores 0, with a message
    elif result["status"] == GRADED:
        record_in_gradebook(course, quiz, student, result)
        result["status"] = _status_with_manual(course, quiz, student, GRADED)
    write_atomically(course.feedback_file(student, quiz), feedback_html(quiz, student, result))
    ready_for_release_feedback(course, quiz, student)
    write_atomically(result_path, json.dumps(result, indent=1))
    return result


# What `nbgrader collect` leaves beside a submission from the exchange.
EXCHANGE_RECEIPT = ("timestamp.txt", "submission_secret.txt")


def ready_for_release_feedback(course: Course, quiz: str, student: str) -> None:
    """Leave the feedback as nbgrader's own feedback step does, so `nbgrader release_feedback`
    can hand it back over the exchange: readable by others (the learner's account reads the copy
    in the exchange; a temporary file is 0600), with the submission's secret and timestamp beside
    it (the copy is named after them; a bulk download's submissions have none and need none)."""
    feedback = course.feedback_file(student, quiz)
    feedback.chmod(0o644)
    submitted = course.submitted_folder(student, quiz)
    for name in EXCHANGE_RECEIPT:
        if (submitted / name).is_file():
            shutil.copyfile(submitted / name, feedback.parent / name)


def _status_row(result: dict[str, Any]) -> dict[str, Any]:
    """The batch status nbgrader's export columns are completed with (see :mod:`.export`)."""
    if result["status"] in (INVALID, GRADER_ERROR):
        return {"status": NOT_GRADED, "reason": result["reason"], "notes": []}
    notes = [result["reason"]] if result.get("reason") else []
    if result.get("held_for_review"):
        notes.append(
            f"held at 0 for review (would score {result['score_before_review']:g}): "
            + "; ".join(result["held_for_review"])
        )
    return {"status": result["status"], "reason": result.get("reason", ""), "notes": notes}


def grade_quiz(
    course: Course,
    quiz: str,
    submissions_path: Path,
    limits: RunLimits | None = None,
    allow_unsafe: bool = False,
    say: Printer = print,
    account_process: bool = False,
) -> dict[str, Any]:
    """`make grade`: intake → trusted batch → feedback → CSV → a summary for the instructor
    (``account_process``: see :func:`grade_one`)."""
    from .export import export_csv, save_status
    from .grade import ensure_released
    from .ingest import find_submissions

    quiz = course.require_quiz(quiz)
    ensure_released(course, quiz, say)
    with tempfile.TemporaryDirectory(prefix="kgrader-intake-") as workdir:
        intake = find_submissions(Path(submissions_path), quiz, Path(workdir))
        for line in intake.skipped:
            say(f"skipped: {line}")
        started = time.monotonic()
        results = grade_batch(
            course, quiz, intake.submissions, limits, allow_unsafe, say, account_process
        )
        seconds = time.monotonic() - started
    with course.gradebook() as gradebook:
        for student in results:
            gradebook.update_or_create_student(student)
    save_status(course, quiz, {s: _status_row(r) for s, r in results.items()})
    csv_path = export_csv(course, quiz)
    by_status: dict[str, list[str]] = {}
    for student, result in sorted(results.items()):
        by_status.setdefault(result["status"], []).append(student)
    say(f"Graded {len(results)} submission(s) of {quiz} in {seconds:.0f} s.")
    for status in (GRADED, NEEDS_MANUAL):
        if by_status.get(status):
            say(f"  {status}: {', '.join(by_status[status])}")
    for student, result in sorted(results.items()):
        if result["status"] in (INVALID, WRONG_QUIZ, GRADER_ERROR) or result.get("reason"):
            say(f"  {student}: {result['reason']}")
    held = {s: r for s, r in sorted(results.items()) if r.get("held_for_review")}
    if held:
        say(
            f"  held at 0 for your review — answers that break the answer rules ({len(held)}); "
            "read them, then override the scores in the formgrader if they are honest:"
        )
        for student, result in held.items():
            say(
                f"    {student} (would score {result['score_before_review']:g}): "
                + "; ".join(result["held_for_review"])
            )
    say(f"Grades (CSV): {csv_path}")
    say(f"Feedback: {course.root / 'feedback'}/<student>/{quiz}/{quiz}.html")
    return {"results": results, "csv": csv_path, "seconds": seconds, "skipped": intake.skipped}
