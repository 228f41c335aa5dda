"""Shared by the quiz tests: a private copy of the course, so tests never write into quizzes/."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from kinesis_grader.course import Course, leaks_in
from kinesis_grader.feedback import feedback_text

REPO = Path(__file__).resolve().parents[1]
QUIZZES = Course.at(REPO / "quizzes").quizzes()
# Test cells that show an expected value use these keywords; visible tests never do.
EXPECTATION_TEXT = re.compile(r"\b(equals|close_to|one_of|same_items)\s*=")


def copy_course(destination: Path) -> Course:
    """quizzes/nbgrader_config.py and quizzes/source/ in ``destination``/quizzes."""
    root = destination / "quizzes"
    shutil.copytree(REPO / "quizzes" / "source", root / "source")
    shutil.copy(REPO / "quizzes" / "nbgrader_config.py", root / "nbgrader_config.py")
    return Course.at(root)


def released_copy(tmp_path_factory, quiz: str):
    """A private course copy with ``quiz`` released; its model; the folder a download goes in."""
    from kinesis_grader.release import release
    from kinesis_grader.synthetic import Quiz

    course = copy_course(tmp_path_factory.mktemp(quiz))
    release(course, [quiz], say=lambda _: None)
    return course, Quiz(course, quiz), course.root.parent / "download"


def nbgrader(course: Course, *args: str) -> subprocess.CompletedProcess[str]:
    """The nbgrader command line, run from the course folder as its docs say."""
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def learner_files(course: Course) -> list[Path]:
    """Everything a learner receives: release notebooks and feedback files."""
    return sorted(
        p
        for folder in ("release", "feedback")
        for p in (course.root / folder).rglob("*")
        if p.is_file()
    )


def hidden_text_in(path: Path) -> list[str]:
    """Leak markers or expected-value keywords in a file a learner receives."""
    text = feedback_text(path) if path.suffix == ".html" else path.read_text(encoding="utf-8")
    found = leaks_in(text)
    if EXPECTATION_TEXT.search(text):
        found.append(EXPECTATION_TEXT.search(text).group(0))
    return found
