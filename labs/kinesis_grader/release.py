"""`make release`: the release (learner) version of every quiz, checked for leaks."""

from __future__ import annotations

from collections.abc import Callable

from .course import Course, CourseError, leaks_in


def release(
    course: Course, quizzes: list[str] | None = None, say: Callable[[str], None] = print
) -> list[str]:
    """Run nbgrader's generate_assignment for each quiz; refuse a release that leaks.

    The check reads every file of each release folder for solution, hidden-test and rubric
    markers and canaries; a leaking release is deleted, so it cannot be handed out."""
    names = [course.require_quiz(q) for q in quizzes] if quizzes else course.quizzes()
    api = course.api()
    done = []
    for quiz in names:
        outcome = api.generate_assignment(quiz, force=True, create=True)
        if not outcome["success"]:
            raise CourseError(f"could not generate {quiz}:\n{outcome.get('error', '')}")
        folder = course.release_notebook(quiz).parent
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            markers = leaks_in(path.read_text(encoding="utf-8", errors="replace"))
            if markers:
                for stale in folder.rglob("*"):
                    if stale.is_file():
                        stale.unlink()
                raise CourseError(
                    f"the release of {quiz} contained {', '.join(markers)} in {path.name}: "
                    "deleted. Fix the source notebook (see INSTRUCTORS.md, 'Writing a quiz')."
                )
        say(f"released {quiz} → {course.release_notebook(quiz)}")
        done.append(quiz)
    return done
