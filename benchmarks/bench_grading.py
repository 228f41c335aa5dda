"""Grading a class: `make grade`'s logic beside one plain `nbgrader autograde` per student.

Why: an instructor grades 30 notebooks at a time. `make grade` autogrades one student at a time
in a worker process that imports nbgrader once, and also writes each student's feedback and
the CSV; the plain route starts `nbgrader autograde <quiz> --student <id>` once per student.
Both run here on the same synthetic class (a third fully right, some blank, the rest partly
right), in a private copy of the course — quizzes/ is never touched — and must agree on every
score.

    .venv/bin/python benchmarks/bench_grading.py                      # q01, 30 students
    .venv/bin/python benchmarks/bench_grading.py --quiz a01_iot --students 10
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kinesis_grader.course import Course
from kinesis_grader.grade import grade
from kinesis_grader.release import release
from kinesis_grader.synthetic import demo_class

REPO = Path(__file__).resolve().parents[1]


def private_course(folder: Path) -> Course:
    root = folder / "quizzes"
    shutil.copytree(REPO / "quizzes" / "source", root / "source")
    shutil.copy(REPO / "quizzes" / "nbgrader_config.py", root)
    return Course.at(root)


def plain_autograde(course: Course, quiz: str, students: list[str]) -> dict[str, float]:
    """Seconds per student for `nbgrader autograde <quiz> --student <id> --force`."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    seconds = {}
    for student in students:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "nbgrader", "autograde", quiz, "--student", student, "--force"],
            cwd=course.root,
            env=env,
            capture_output=True,
            check=True,
        )
        seconds[student] = time.perf_counter() - started
    return seconds


def scores(course: Course, quiz: str, students: list[str]) -> dict[str, float]:
    with course.gradebook() as gradebook:
        return {s: float(gradebook.find_submission(quiz, s).code_score) for s in students}


def line(label: str, values: list[float], total: float) -> str:
    p95 = statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]
    return (
        f"{label:<34} {statistics.median(values):6.2f} {statistics.mean(values):6.2f} "
        f"{p95:6.2f} {total:8.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quiz", default="q01_core_capacity")
    parser.add_argument("--students", type=int, default=30)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-grading-") as folder:
        course = private_course(Path(folder))
        release(course, [args.quiz], say=lambda _: None)
        download = Path(folder) / "download"
        expected = demo_class(course, args.quiz, download, args.students)
        students = sorted(expected)

        started = time.perf_counter()
        batch = grade(course, args.quiz, download, say=lambda _: None)
        grade_total = time.perf_counter() - started
        ours = scores(course, args.quiz, students)
        per_student = [batch.results[s]["seconds"] for s in students]
        autograde_part = [batch.results[s]["autograde_seconds"] for s in students]
        feedback_part = [batch.results[s]["feedback_seconds"] for s in students]

        plain = plain_autograde(course, args.quiz, students)
        plain_total = sum(plain.values())
        theirs = scores(course, args.quiz, students)

    agree = sum(ours[s] == theirs[s] == expected[s] for s in students)
    print(f"Grading {args.students} synthetic submissions of {args.quiz} ({os.cpu_count()} CPUs)")
    print(f"{'seconds':<34} {'median':>6} {'mean':>6} {'p95':>6} {'total':>8}")
    print(line("make grade, per submission", per_student, grade_total))
    print(line("  of which autograde", autograde_part, sum(autograde_part)))
    print(line("  of which feedback", feedback_part, sum(feedback_part)))
    print(line("nbgrader autograde, one per student", list(plain.values()), plain_total))
    print(
        f"make grade total includes reading the download, the worker's start, feedback and the "
        f"CSV; speed-up over the plain route: {plain_total / grade_total:.2f}×"
    )
    print(f"scores agree (make grade = nbgrader = expected): {agree} of {len(students)}")
    if agree != len(students):
        raise SystemExit("the two routes disagree on some scores")


if __name__ == "__main__":
    main()
