"""Command line: ``python -m kinesis_grader <command>`` (the Makefile's targets call these)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .course import Course, CourseError


def _release(course: Course, args: argparse.Namespace) -> int:
    from .release import release

    release(course, args.quizzes or None)
    return 0


def _grade(course: Course, args: argparse.Namespace) -> int:
    from .grade import grade

    if not args.submissions:
        raise CourseError(
            "Say where the submissions are: SUBMISSIONS=<folder or .zip> (one <student_id>.ipynb "
            "per student, or one folder per student)."
        )
    if args.account_process and args.engine != "trusted":
        raise CourseError("--account-process is a mode of the trusted engine, not of nbgrader's.")
    if args.engine == "trusted":
        from .executor import RunLimits
        from .sandbox import SandboxUnavailable
        from .trusted import GradingInProgress, grade_quiz

        limits = RunLimits(
            cell_timeout=args.cell_timeout or 60, notebook_timeout=args.student_timeout
        )
        try:
            grade_quiz(
                course,
                args.quiz,
                Path(args.submissions),
                limits,
                allow_unsafe=args.unsafe_no_sandbox,
                account_process=args.account_process,
            )
        except (GradingInProgress, SandboxUnavailable) as error:
            raise CourseError(str(error)) from None
        return 0
    print("WARNING: --engine nbgrader runs student code as you, unjailed, and trusts its kernel.")
    grade(
        course,
        args.quiz,
        Path(args.submissions),
        cell_timeout=args.cell_timeout,
        student_timeout=args.student_timeout,
    )
    return 0


def _feedback(course: Course, args: argparse.Namespace) -> int:
    from .feedback import regenerate

    quiz = course.require_quiz(args.quiz)
    result = regenerate(course, quiz)
    print(f"Feedback for {quiz}: {len(result['files'])} file(s) in {course.root / 'feedback'}")
    for path, markers in result["withheld"].items():
        print(f"  WITHHELD {path}: it contained {', '.join(markers)}")
    if not result["success"]:
        print(result.get("error", ""), file=sys.stderr)
        return 1
    return 0


def _export(course: Course, args: argparse.Namespace) -> int:
    from .export import export_csv

    path = export_csv(course, course.require_quiz(args.quiz))
    print(f"Grades (CSV): {path}")
    return 0


def _check(course: Course, args: argparse.Namespace) -> int:
    import nbformat

    from .authoring import AuthoringError, quiz_items

    failures = 0
    per_module: dict[str, int] = {}
    per_exam: dict[str, int] = {}
    for quiz in course.quizzes():
        try:
            items = quiz_items(nbformat.read(course.source_notebook(quiz), as_version=4))
        except AuthoringError as error:
            print(f"{quiz}: {error}")
            failures += 1
            continue
        points = sum(item.points for item in items)
        manual = sum(item.points for item in items if item.manual)
        print(f"{quiz}: {len(items)} items, {points:g} points ({manual:g} graded by hand)")
        for item in items:
            per_module[item.module] = per_module.get(item.module, 0) + 1
            for exam in item.exams:
                per_exam[exam] = per_exam.get(exam, 0) + 1
            if args.items:
                exams = " ".join(item.exams)
                print(
                    f"  {item.grade_id:<26} {item.kind:<12} {item.module:<4} {exams:<32} {item.points:g}"
                )
    if args.items:
        modules = sorted(per_module, key=lambda m: int(m[1:]))
        print("items per module: " + ", ".join(f"{m} {per_module[m]}" for m in modules))
        print("items per exam:   " + ", ".join(f"{e} {n}" for e, n in sorted(per_exam.items())))
    return 1 if failures else 0


def _demo_class(course: Course, args: argparse.Namespace) -> int:
    from .synthetic import demo_class

    quiz = course.require_quiz(args.quiz)
    expected = demo_class(course, quiz, Path(args.destination), args.students, args.seed)
    print(f"{len(expected)} synthetic submissions of {quiz} in {args.destination}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kinesis_grader", description=__doc__)
    parser.add_argument("--course", help="the nbgrader course folder (default: quizzes/)")
    commands = parser.add_subparsers(dest="command", required=True)

    release = commands.add_parser("release", help="generate the release version of quizzes")
    release.add_argument("quizzes", nargs="*", help="default: every quiz in source/")
    release.set_defaults(run=_release)

    grade = commands.add_parser("grade", help="grade a folder or zip of submissions")
    grade.add_argument("quiz", nargs="?")
    grade.add_argument("submissions", nargs="?")
    grade.add_argument("--cell-timeout", type=int, help="seconds per cell (default: config)")
    grade.add_argument(
        "--student-timeout", type=float, default=600, help="seconds per submission (600)"
    )
    grade.add_argument(
        "--engine",
        choices=["trusted", "nbgrader"],
        default="trusted",
        help="trusted (default): sandboxed kernels, scores decided outside them; "
        "nbgrader: stock nbgrader autograde (runs code as you)",
    )
    grade.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="UNSAFE: run student code without the bubblewrap jail (no isolation at all)",
    )
    grade.add_argument(
        "--account-process",
        action="store_true",
        help="run each submission's mocked account in its own jailed process, and the quiz's "
        "pure observations of it in a second kernel that runs no learner code (slower; see "
        "INSTRUCTORS.md)",
    )
    grade.set_defaults(run=_grade)

    feedback = commands.add_parser("feedback", help="regenerate feedback (after manual grading)")
    feedback.add_argument("quiz", nargs="?")
    feedback.set_defaults(run=_feedback)

    export = commands.add_parser("export", help="write the quiz's grades to CSV")
    export.add_argument("quiz", nargs="?")
    export.set_defaults(run=_export)

    check = commands.add_parser("check", help="check every quiz against the authoring rules")
    check.add_argument("--items", action="store_true", help="list every item and the counts")
    check.set_defaults(run=_check)

    demo = commands.add_parser("demo-class", help="write a synthetic class to rehearse grading")
    demo.add_argument("quiz", nargs="?")
    demo.add_argument("destination")
    demo.add_argument("--students", type=int, default=30)
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(run=_demo_class)

    args = parser.parse_args(argv)
    try:
        return args.run(Course.at(args.course), args)
    except (CourseError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
